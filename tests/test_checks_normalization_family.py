"""The checks of 4_2_normalization_family: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import numpy as np
import pytest

NB = "4_2_normalization_family"
CELLS = ["ln_forward", "ln_backward"]

HEAD = """
class LayerNormalization:
    def __init__(self, gamma, beta):
        self.gamma = gamma
        self.beta = beta
"""
ANSWER = HEAD + """
    def forward(self, x, train_flg=True):
        mu = x.mean(axis=1, keepdims=True)
        xc = x - mu
        var = np.mean(xc ** 2, axis=1, keepdims=True)
        self.std = np.sqrt(var + 1e-6)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = np.sum(dout, axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dx = dxn - dxn.mean(axis=1, keepdims=True) - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)
        return dx / self.std
"""
GRAPH = HEAD + """
    def forward(self, x, train_flg=True):
        # the batch-normalisation graph on the transpose
        xt = x.T
        self.mu = xt.mean(axis=0)
        self.xc = xt - self.mu
        self.var = np.var(xt, axis=0)
        self.s = np.sqrt(self.var + 1e-6)
        self.xn_t = self.xc / self.s
        return self.gamma * self.xn_t.T + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (self.xn_t.T * dout).sum(axis=0)
        dxn = (self.gamma * dout).T
        n = dxn.shape[0]
        dxc = dxn / self.s
        dstd = -np.sum(dxn * self.xc / (self.s * self.s), axis=0)
        dvar = 0.5 * dstd / self.s
        dxc = dxc + (2.0 / n) * self.xc * dvar
        dx = dxc - np.sum(dxc, axis=0) / n
        return dx.T
"""
CORRECT = {cell: {"short-cut": ANSWER, "computational graph on the transpose": GRAPH} for cell in CELLS}


def _replace(old, new, code=ANSWER):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "batch axis (axis=0)": (_replace("mu = x.mean(axis=1, keepdims=True)", "mu = x.mean(axis=0, keepdims=True)")
                            .replace("var = np.mean(xc ** 2, axis=1, keepdims=True)",
                                     "var = np.mean(xc ** 2, axis=0, keepdims=True)"), "ln_forward", "軸が違います"),
    "epsilon outside the square root": (_replace("self.std = np.sqrt(var + 1e-6)", "self.std = np.sqrt(var) + 1e-6"),
                                        "ln_forward", "平方根の外"),
    "unbiased variance": (_replace("var = np.mean(xc ** 2, axis=1, keepdims=True)",
                                   "var = np.var(x, axis=1, ddof=1, keepdims=True)"), "ln_forward", "不偏分散"),
    "backward without the mean term": (_replace("dx = dxn - dxn.mean(axis=1, keepdims=True) - self.xn",
                                                "dx = dxn - self.xn"), "ln_backward", "平均の項"),
    "backward without the variance term": (
        _replace(" - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)", ""), "ln_backward", "分散を通る項"),
    "dgamma/dbeta summed over the features": (
        _replace("self.dbeta = np.sum(dout, axis=0)\n        self.dgamma = np.sum(self.xn * dout, axis=0)",
                 "self.dbeta = np.sum(dout, axis=1)\n        self.dgamma = np.sum(self.xn * dout, axis=1)"),
        "ln_backward", "axis=0"),
    "backward writes into dout": (_replace("        dxn = self.gamma * dout\n",
                                           "        dout *= self.gamma\n        dxn = dout\n"),
                                  "ln_backward", "書き換えられています"),
}

STUB = HEAD + """
    def forward(self, x, train_flg=True):
        raise NotImplementedError()

    def backward(self, dout):
        raise NotImplementedError()
"""
STUBS = {cell: STUB for cell in CELLS}


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


def test_reference_layer_normalization_matches_numerical_gradients():
    from course.gradient_check import check_gradients
    from course.layers import LayerNormalization

    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(4, 6)) * 2, rng.normal(size=(4, 6))
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    layer = LayerNormalization(gamma, beta)
    layer.forward(x)
    before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, before)
    verdict = check_gradients(lambda: float(np.sum(LayerNormalization(gamma, beta).forward(x) * dout)),
                              {"x": x, "gamma": gamma, "beta": beta},
                              {"x": dx, "gamma": layer.dgamma, "beta": layer.dbeta})
    assert verdict.passed, verdict.message
