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
NET_HEAD = """
from collections import OrderedDict
from course.layers import Affine, Relu, SoftmaxWithLoss

class MultiLayerNet:
    def __init__(self, input_size, hidden_size_list, output_size, weight_decay_lambda=0.0, seed=0):
        self.weight_decay_lambda = weight_decay_lambda
        rng = np.random.default_rng(seed)
        sizes = [input_size, *hidden_size_list, output_size]
        self.n_layers = len(sizes) - 1
        self.params = {}
        self.layers = OrderedDict()
        for i in range(1, self.n_layers + 1):
            self.params[f"W{i}"] = np.sqrt(2.0 / sizes[i - 1]) * rng.standard_normal((sizes[i - 1], sizes[i]))
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i < self.n_layers:
                self.layers[f"Relu{i}"] = Relu()
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x
"""
NET = LOSS + GRAD + NET_HEAD + """
    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t) + weight_decay_loss(self.params, self.weight_decay_lambda)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.n_layers + 1):
            layer = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = weight_decay_gradient(layer.W, layer.dW, self.weight_decay_lambda)
            grads[f"b{i}"] = layer.db
        return grads
"""
NET_BOOK = NET_HEAD + """
    def loss(self, x, t):
        y = self.predict(x)
        weight_decay = 0
        for idx in range(1, self.n_layers + 1):
            W = self.params['W' + str(idx)]
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(W ** 2)
        return self.last_layer.forward(y, t) + weight_decay

    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.n_layers + 1):
            grads['W' + str(idx)] = self.layers['Affine' + str(idx)].dW + \\
                self.weight_decay_lambda * self.layers['Affine' + str(idx)].W
            grads['b' + str(idx)] = self.layers['Affine' + str(idx)].db
        return grads
"""
NET_CELLS = ("multi_layer_net_loss", "multi_layer_net_gradient")
CORRECT = {"weight_decay_loss_values": {"loop with startswith": LOSS, "the book's loop over W1, W2, ...": LOSS_BOOK},
           "weight_decay_gradient_values": {"dW + λW": GRAD, "copy then +=": GRAD_OTHER},
           **{cell: {"with the functions of tasks 1 and 2": NET, "the book's MultiLayerNet": NET_BOOK}
              for cell in NET_CELLS}}


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
    # the network (task 3)
    "network: decay on the biases": (_replace(NET, '        if key.startswith("W"):\n            total', '        total')
                                     .replace("grads[f\"b{i}\"] = layer.db", "grads[f\"b{i}\"] = layer.db + "
                                              "self.weight_decay_lambda * layer.b"),
                                     "multi_layer_net_loss", "バイアス b にも荷重減衰"),
    "network: decay on the biases (gradient)": (_replace(NET, "grads[f\"b{i}\"] = layer.db",
                                                         "grads[f\"b{i}\"] = layer.db + self.weight_decay_lambda * layer.b"),
                                                "multi_layer_net_gradient", "バイアス b にも荷重減衰"),
    "network: 0.5 missing in the loss": (_replace(NET_BOOK, "weight_decay += 0.5 * self.weight_decay_lambda",
                                                  "weight_decay += self.weight_decay_lambda"),
                                         "multi_layer_net_loss", "0.5 がありません"),
    "network: λ missing in the gradient": (_replace(NET_BOOK, "self.weight_decay_lambda * self.layers['Affine' + str(idx)].W",
                                                    "self.layers['Affine' + str(idx)].W"),
                                           "multi_layer_net_gradient", "λ を掛けずに"),
    "network: decay in the loss but not in the gradient": (
        _replace(NET, "grads[f\"W{i}\"] = weight_decay_gradient(layer.W, layer.dW, self.weight_decay_lambda)",
                 "grads[f\"W{i}\"] = layer.dW"), "multi_layer_net_gradient", "勾配には足していません"),
    "network: no decay in the loss": (_replace(NET, " + weight_decay_loss(self.params, self.weight_decay_lambda)", ""),
                                      "multi_layer_net_loss", "入っていません"),
    "network: the layers' dW changed in place": (
        _replace(NET, "grads[f\"W{i}\"] = weight_decay_gradient(layer.W, layer.dW, self.weight_decay_lambda)",
                 "layer.dW += self.weight_decay_lambda * layer.W\n            grads[f\"W{i}\"] = layer.dW"),
        "multi_layer_net_gradient", "書き換えています"),
    "network: the helper of task 2 changes dW in place": (
        _replace(NET, "    return dW + weight_decay_lambda * W", "    dW += weight_decay_lambda * W\n    return dW"),
        "multi_layer_net_gradient", "書き換えています"),
}

NET_STUB = NET_HEAD + """
    def loss(self, x, t):
        raise NotImplementedError()

    def gradient(self, x, t):
        raise NotImplementedError()
"""
STUBS = {
    "weight_decay_loss_values": "def weight_decay_loss(params, weight_decay_lambda):\n    raise NotImplementedError()\n",
    "weight_decay_gradient_values": "def weight_decay_gradient(W, dW, weight_decay_lambda):\n"
                                    "    raise NotImplementedError()\n",
    **{cell: NET_STUB for cell in NET_CELLS},
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


def test_multi_layer_net_with_weight_decay_matches_numerical_gradients():
    """The reference of task 3 (and so every answer that passes its checks) against numerical gradients."""
    from autograder.checks.day4.weight_decay import ReferenceMultiLayerNet
    from course.gradient_check import check_gradients

    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(5, 6)), np.array([0, 2, 1, 2, 0])
    net = ReferenceMultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.3, seed=3)
    for key in ("b1", "b2", "b3"):
        net.params[key][...] = rng.normal(size=net.params[key].shape)
    grads = net.gradient(x, t)
    verdict = check_gradients(lambda: net.loss(x, t), net.params, grads, threshold=1e-4)
    assert verdict.passed, verdict.message
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong["b2"] += 0.3 * net.params["b2"]  # decay on a bias: the checker must notice
    assert not check_gradients(lambda: net.loss(x, t), net.params, wrong, threshold=1e-4).passed


def test_recorded_weight_decay_curves_show_a_smaller_gap_with_a_larger_lambda():
    import json
    from importlib.resources import files

    record = json.loads(files("course").joinpath("data", "day4_weight_decay_overfitting.json").read_text("utf-8"))
    runs = {run["weight_decay_lambda"]: run for run in record["runs"]}
    assert set(runs) == {0.0, 0.01, 0.1} and record["train_size"] == 300
    assert all(len(run["train_accuracy"]) == record["epochs"] for run in runs.values())
    gap = {lam: run["train_accuracy"][-1] - run["test_accuracy"][-1] for lam, run in runs.items()}
    assert runs[0.0]["train_accuracy"][-1] >= 0.99  # memorised the 300 images
    assert gap[0.1] < gap[0.0] - 0.03 and gap[0.01] <= gap[0.0], gap
