"""The checks of 4_4_weight_decay: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import numpy as np
import pytest

NB = "4_4_weight_decay"

LOSS = """
def weight_decay_loss(params, weight_decay_lambda):
    total = 0.0
    for key, value in params.items():
        if key.startswith("W"):
            total += np.sum(value ** 2)
    return 0.5 * weight_decay_lambda * total
"""
LOSS_BOOK = """
def weight_decay_loss(params, weight_decay_lambda):
    weight_decay = 0
    idx = 1
    while f"W{idx}" in params:
        W = params["W" + str(idx)]
        weight_decay += 0.5 * weight_decay_lambda * np.sum(W ** 2)
        idx += 1
    return weight_decay
"""
GRAD = """
def weight_decay_gradient(W, dW, weight_decay_lambda):
    return dW + weight_decay_lambda * W
"""
GRAD_OTHER = """
def weight_decay_gradient(W, dW, weight_decay_lambda):
    out = dW.copy()
    out += weight_decay_lambda * W
    return out
"""
CORRECT = {"weight_decay_loss_values": {"loop with startswith": LOSS, "the book's loop over W1, W2, ...": LOSS_BOOK},
           "weight_decay_gradient_values": {"dW + λW": GRAD, "copy then +=": GRAD_OTHER}}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "decay on the biases": (_replace(LOSS, '        if key.startswith("W"):\n            total', '        total'),
                            "weight_decay_loss_values", "バイアス"),
    "0.5 missing": (_replace(LOSS, "return 0.5 * weight_decay_lambda * total", "return weight_decay_lambda * total"),
                    "weight_decay_loss_values", "0.5"),
    "λ missing in the loss": (_replace(LOSS, "return 0.5 * weight_decay_lambda * total", "return 0.5 * total"),
                              "weight_decay_loss_values", "λ（weight_decay_lambda）を掛けていません"),
    "L1 instead of L2": (_replace(LOSS, "np.sum(value ** 2)", "np.sum(np.abs(value))"), "weight_decay_loss_values", "L1"),
    "norm not squared": (_replace(LOSS, "np.sum(value ** 2)", "np.sqrt(np.sum(value ** 2))"),
                         "weight_decay_loss_values", "2 乗していません"),
    "λ missing in the gradient": (_replace(GRAD, "dW + weight_decay_lambda * W", "dW + W"),
                                  "weight_decay_gradient_values", "λ（weight_decay_lambda）を掛けていません"),
    "0.5·λ·W in the gradient": (_replace(GRAD, "dW + weight_decay_lambda * W", "dW + 0.5 * weight_decay_lambda * W"),
                                "weight_decay_gradient_values", "0.5 * λ * W"),
    "dW forgotten": (_replace(GRAD, "dW + weight_decay_lambda * W", "weight_decay_lambda * W"),
                     "weight_decay_gradient_values", "dW を足していません"),
    "sign flipped": (_replace(GRAD, "dW + weight_decay_lambda * W", "dW - weight_decay_lambda * W"),
                     "weight_decay_gradient_values", "符号が逆"),
    "dW modified in place": (_replace(GRAD, "    return dW + weight_decay_lambda * W",
                                      "    dW += weight_decay_lambda * W\n    return dW"),
                             "weight_decay_gradient_values", "書き換えられています"),
}

STUBS = {
    "weight_decay_loss_values": "def weight_decay_loss(params, weight_decay_lambda):\n    raise NotImplementedError()\n",
    "weight_decay_gradient_values": "def weight_decay_gradient(W, dW, weight_decay_lambda):\n"
                                    "    raise NotImplementedError()\n",
}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


def test_weight_decay_gradient_is_the_numerical_gradient_of_the_loss_term():
    from autograder.checks.day4.weight_decay import reference_weight_decay_gradient, reference_weight_decay_loss
    from course.gradient_check import check_gradients

    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)),
              "b2": rng.normal(size=2)}
    analytic = {k: reference_weight_decay_gradient(v, np.zeros_like(v), 0.3) if k.startswith("W") else np.zeros_like(v)
                for k, v in params.items()}
    verdict = check_gradients(lambda: reference_weight_decay_loss(params, 0.3), params, analytic)
    assert verdict.passed, verdict.message


def test_network_with_weight_decay_and_dropout_matches_numerical_gradients():
    """course.networks.MultiLayerNet with every option on (weight decay, dropout with a fixed mask)."""
    from course.gradient_check import check_gradients
    from course.networks import MultiLayerNet

    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(4, 6)), np.array([0, 2, 1, 2])
    net = MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.2, dropout_ratio=0.3, seed=3)
    grads = net.gradient(x, t)
    masks = [layer.mask.copy() for name, layer in net.layers.items() if name.startswith("Dropout")]

    def loss():  # the forward pass with the masks of the analytic pass (a fixed mask)
        y = x
        dropouts = iter(masks)
        for name, layer in net.layers.items():
            y = y * next(dropouts) if name.startswith("Dropout") else layer.forward(y)
        return float(net.last_layer.forward(y, t) + net._weight_decay())

    # threshold 1e-4: the delta 1e-7 inside the cross-entropy's log shifts tiny gradients by ~1e-5 (relative)
    verdict = check_gradients(loss, net.params, grads, threshold=1e-4)
    assert verdict.passed, verdict.message
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong["W1"] -= 0.2 * net.params["W1"]  # without the λW term: the checker must notice
    assert not check_gradients(loss, net.params, wrong, threshold=1e-4).passed
