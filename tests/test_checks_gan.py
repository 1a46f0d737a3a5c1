"""The checks of 8_3_gan: right answers pass, typical mistakes fail with a hint (in the grader and in the
notebook's self-check: the judge_code fixture proves both); the gradients of the losses (reference and
answer) are proven against numerical gradients."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "8_3_gan"
REPO = Path(__file__).resolve().parent.parent

LOG_SIGMOID = """
def log_sigmoid(x):
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))
"""
LOG_SIGMOID_LOGADDEXP = """
def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)
"""
LOG_SIGMOID_WHERE = """
def log_sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = -np.log1p(np.exp(-x[pos]))
    out[~pos] = x[~pos] - np.log1p(np.exp(x[~pos]))
    return out
"""
SIGMOID = """
def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
"""
SIGMOID_TANH = """
def sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)
"""

D_LOSS = LOG_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(log_sigmoid(real_logits)) - np.mean(log_sigmoid(-fake_logits)))
"""
D_BACK = SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return (sigmoid(real_logits) - 1.0) / real_logits.size, sigmoid(fake_logits) / fake_logits.size
"""
G_LOSS = LOG_SIGMOID + """
def generator_loss(fake_logits):
    return float(-np.mean(log_sigmoid(fake_logits)))
"""
G_BACK = SIGMOID + """
def generator_loss_backward(fake_logits):
    return (sigmoid(fake_logits) - 1.0) / fake_logits.size
"""

CORRECT = {
    "log_sigmoid_values": {"minimum and log1p": LOG_SIGMOID, "logaddexp": LOG_SIGMOID_LOGADDEXP,
                           "two branches": LOG_SIGMOID_WHERE},
    "discriminator_loss_values": {
        "answer": D_LOSS,
        "logaddexp, numpy scalar": LOG_SIGMOID_LOGADDEXP + """
def discriminator_loss(real_logits, fake_logits):
    real_part = np.sum(np.logaddexp(0.0, -real_logits)) / real_logits.size
    fake_part = np.sum(np.logaddexp(0.0, fake_logits)) / fake_logits.size
    return real_part + fake_part
""",
        "labels as in BCE": LOG_SIGMOID_WHERE + """
def discriminator_loss(real_logits, fake_logits):
    def bce(a, t):
        return -np.mean(t * log_sigmoid(a) + (1 - t) * log_sigmoid(-a))
    return bce(real_logits, np.ones_like(real_logits)) + bce(fake_logits, np.zeros_like(fake_logits))
"""},
    "discriminator_loss_backward_values": {
        "answer": D_BACK,
        "tanh sigmoid, labels": SIGMOID_TANH + """
def discriminator_loss_backward(real_logits, fake_logits):
    d_real = (sigmoid(real_logits) - np.ones_like(real_logits)) / len(real_logits.ravel())
    d_fake = (sigmoid(fake_logits) - np.zeros_like(fake_logits)) / len(fake_logits.ravel())
    return d_real, d_fake
""",
        "exp of log_sigmoid": LOG_SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return -np.exp(log_sigmoid(-real_logits)) / real_logits.size, np.exp(log_sigmoid(fake_logits)) / fake_logits.size
"""},
    "generator_loss_values": {
        "answer": G_LOSS,
        "logaddexp": LOG_SIGMOID_LOGADDEXP + """
def generator_loss(fake_logits):
    return np.mean(np.logaddexp(0, -fake_logits))
"""},
    "generator_loss_backward_values": {
        "answer": G_BACK,
        "tanh sigmoid": SIGMOID_TANH + """
def generator_loss_backward(fake_logits):
    return -(1.0 - sigmoid(fake_logits)) / fake_logits.size
"""},
}

NAIVE_SIGMOID = "\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"

WRONG = {
    # log_sigmoid
    "naive log sigmoid": ("def log_sigmoid(x):\n    return np.log(1 / (1 + np.exp(-x)))\n", "log_sigmoid_values",
                          "np.log(sigmoid(x)) をそのまま"),
    "clip": ("def log_sigmoid(x):\n    return np.log(np.clip(1 / (1 + np.exp(-np.clip(x, -500, 500))), 1e-7, 1))\n",
             "log_sigmoid_values", "clip してから log"),
    "softplus": ("def log_sigmoid(x):\n    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))\n",
                 "log_sigmoid_values", "softplus"),
    "log sigmoid of -x": ("def log_sigmoid(x):\n    return np.minimum(-x, 0) - np.log1p(np.exp(-np.abs(x)))\n",
                          "log_sigmoid_values", "log σ(-x)"),
    "modifies input": ("def log_sigmoid(x):\n    x -= 0\n    np.abs(x, out=x) if False else None\n"
                       "    y = np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))\n    x[...] = 0\n    return y\n",
                       "log_sigmoid_values", "書き換えられています"),
    # discriminator_loss
    "d labels swapped": (LOG_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(log_sigmoid(-real_logits)) - np.mean(log_sigmoid(fake_logits)))
""", "discriminator_loss_values", "ラベルが逆"),
    "d sum": (LOG_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.sum(log_sigmoid(real_logits)) - np.sum(log_sigmoid(-fake_logits)))
""", "discriminator_loss_values", "合計しています"),
    "d half": (LOG_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return 0.5 * float(-np.mean(log_sigmoid(real_logits)) - np.mean(log_sigmoid(-fake_logits)))
""", "discriminator_loss_values", "1/2 を掛けて"),
    "d pooled": (LOG_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(np.concatenate([log_sigmoid(real_logits).ravel(), log_sigmoid(-fake_logits).ravel()])))
""", "discriminator_loss_values", "1 つの平均"),
    "d naive": (LOG_SIGMOID + NAIVE_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(np.log(sigmoid(real_logits))) - np.mean(np.log(1 - sigmoid(fake_logits))))
""", "discriminator_loss_values", "overflow や log(0)"),
    "d clip": (LOG_SIGMOID + NAIVE_SIGMOID + """
def discriminator_loss(real_logits, fake_logits):
    p = np.clip(sigmoid(np.clip(real_logits, -500, 500)), 1e-7, 1 - 1e-7)
    q = np.clip(sigmoid(np.clip(fake_logits, -500, 500)), 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(p)) - np.mean(np.log(1 - q)))
""", "discriminator_loss_values", "頭打ち"),
    "d broken log_sigmoid": ("def log_sigmoid(x):\n    return np.log(1 / (1 + np.exp(-x)))\n" + """
def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(log_sigmoid(real_logits)) - np.mean(log_sigmoid(-fake_logits)))
""", "discriminator_loss_values", "先に log_sigmoid を直してください"),
    # discriminator_loss_backward
    "db labels swapped": (SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return sigmoid(real_logits) / real_logits.size, (sigmoid(fake_logits) - 1) / fake_logits.size
""", "discriminator_loss_backward_values", "ラベルが逆"),
    "db no 1/N": (SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return sigmoid(real_logits) - 1, sigmoid(fake_logits)
""", "discriminator_loss_backward_values", "バッチの大きさで割っていません"),
    "db sign": (SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return (1 - sigmoid(real_logits)) / real_logits.size, -sigmoid(fake_logits) / fake_logits.size
""", "discriminator_loss_backward_values", "符号が逆"),
    "db pooled": (SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    n = real_logits.size + fake_logits.size
    return (sigmoid(real_logits) - 1) / n, sigmoid(fake_logits) / n
""", "discriminator_loss_backward_values", "N_r + N_f"),
    "db naive sigmoid": (NAIVE_SIGMOID + """
def discriminator_loss_backward(real_logits, fake_logits):
    return (sigmoid(real_logits) - 1) / real_logits.size, sigmoid(fake_logits) / fake_logits.size
""", "discriminator_loss_backward_values", "overflow"),
    # generator_loss
    "g saturating": (LOG_SIGMOID + """
def generator_loss(fake_logits):
    return float(np.mean(log_sigmoid(-fake_logits)))
""", "generator_loss_values", "飽和する"),
    "g sign": (LOG_SIGMOID + """
def generator_loss(fake_logits):
    return float(np.mean(log_sigmoid(fake_logits)))
""", "generator_loss_values", "符号が逆"),
    "g sum": (LOG_SIGMOID + """
def generator_loss(fake_logits):
    return float(-np.sum(log_sigmoid(fake_logits)))
""", "generator_loss_values", "合計しています"),
    "g naive": (LOG_SIGMOID + NAIVE_SIGMOID + """
def generator_loss(fake_logits):
    return float(-np.mean(np.log(sigmoid(fake_logits))))
""", "generator_loss_values", "overflow や log(0)"),
    "g clip": (LOG_SIGMOID + NAIVE_SIGMOID + """
def generator_loss(fake_logits):
    return float(-np.mean(np.log(np.clip(sigmoid(np.clip(fake_logits, -500, 500)), 1e-7, 1))))
""", "generator_loss_values", "頭打ち"),
    "g broken log_sigmoid": ("def log_sigmoid(x):\n    return np.log(np.clip(1 / (1 + np.exp(-np.clip(x, -500, 500))), 1e-7, 1))\n"
                             + """
def generator_loss(fake_logits):
    return float(-np.mean(log_sigmoid(fake_logits)))
""", "generator_loss_values", "先に log_sigmoid を直してください"),
    # generator_loss_backward
    "gb saturating": (SIGMOID + """
def generator_loss_backward(fake_logits):
    return -sigmoid(fake_logits) / fake_logits.size
""", "generator_loss_backward_values", "飽和する損失"),
    "gb sign": (SIGMOID + """
def generator_loss_backward(fake_logits):
    return (1 - sigmoid(fake_logits)) / fake_logits.size
""", "generator_loss_backward_values", "符号が逆"),
    "gb no 1/N": (SIGMOID + """
def generator_loss_backward(fake_logits):
    return sigmoid(fake_logits) - 1
""", "generator_loss_backward_values", "バッチの大きさで割っていません"),
    "gb naive sigmoid": (NAIVE_SIGMOID + """
def generator_loss_backward(fake_logits):
    return (sigmoid(fake_logits) - 1) / fake_logits.size
""", "generator_loss_backward_values", "overflow"),
}

STUB = "raise NotImplementedError()"
STUBS = {
    "log_sigmoid_values": f"def log_sigmoid(x):\n    {STUB}\n",
    "discriminator_loss_values": LOG_SIGMOID + f"\ndef discriminator_loss(real_logits, fake_logits):\n    {STUB}\n",
    "discriminator_loss_backward_values": SIGMOID
    + f"\ndef discriminator_loss_backward(real_logits, fake_logits):\n    {STUB}\n",
    "generator_loss_values": LOG_SIGMOID + f"\ndef generator_loss(fake_logits):\n    {STUB}\n",
    "generator_loss_backward_values": SIGMOID + f"\ndef generator_loss_backward(fake_logits):\n    {STUB}\n",
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


# --------------------------------------------------------------------------- gradients
def _answer_functions():
    cells = json.loads((REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {"np": np}
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), ns)
    return ns


def _reference_functions():
    import course.gan as gan

    return vars(gan)


@pytest.mark.parametrize("source", ["answer", "reference"])
def test_backward_matches_numerical_gradients(source):
    from course.gradient_check import check_gradients

    fns = _answer_functions() if source == "answer" else _reference_functions()
    rng = np.random.default_rng(8)
    for real, fake in [(rng.normal(size=7) * 3, rng.normal(size=4) * 3),
                       (rng.normal(size=(5, 1)), rng.normal(size=(9, 1)) * 4),
                       (np.array([6.0, -6.0]), np.array([-7.0]))]:
        d_real, d_fake = fns["discriminator_loss_backward"](real, fake)
        verdict = check_gradients(lambda: fns["discriminator_loss"](real, fake), {"real": real, "fake": fake},
                                  {"real": d_real, "fake": d_fake}, threshold=1e-6)
        assert verdict.passed, verdict.message
        verdict = check_gradients(lambda: fns["generator_loss"](fake), {"fake": fake},
                                  {"fake": fns["generator_loss_backward"](fake)}, threshold=1e-6)
        assert verdict.passed, verdict.message


def test_losses_are_finite_and_quiet_at_extreme_logits():
    import warnings

    fns = _answer_functions()
    extreme = np.array([-1e4, -1000.0, 1000.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [fns["discriminator_loss"](extreme, extreme), fns["generator_loss"](extreme),
                  *fns["discriminator_loss_backward"](extreme, extreme), fns["generator_loss_backward"](extreme)]
    assert all(np.all(np.isfinite(v)) for v in values)
    assert fns["generator_loss"](np.array([-1000.0])) == pytest.approx(1000.0)


def test_the_gradient_check_cell_of_the_notebook_passes():
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]}
    ns = _answer_functions()
    ns["check_gradients"] = __import__("course.gradient_check", fromlist=["check_gradients"]).check_gradients
    exec(cells["8-3-gan-gradient-check"], ns)
    assert ns["verdict"].passed and ns["g_verdict"].passed, ns["verdict"].message + ns["g_verdict"].message
