"""The checks of 7_4_attention: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the answer's backward passes are
proven against numerical gradients."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "7_4_attention"
CELLS = ["weight_sum_forward", "weight_sum_backward", "attention_weight_forward", "attention_weight_backward",
         "attention_forward", "attention_backward"]
REPO = Path(__file__).resolve().parent.parent

BOOK = """
class Softmax:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        x = x - x.max(axis=1, keepdims=True)
        x = np.exp(x)
        x /= x.sum(axis=1, keepdims=True)
        self.out = x
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        sumdx = np.sum(dx, axis=1, keepdims=True)
        dx -= self.out * sumdx
        return dx


class WeightSum:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        N, T, H = hs.shape
        ar = a.reshape(N, T, 1).repeat(H, axis=2)
        t = hs * ar
        c = np.sum(t, axis=1)
        self.cache = (hs, ar)
        return c

    def backward(self, dc):
        hs, ar = self.cache
        N, T, H = hs.shape
        dt = dc.reshape(N, 1, H).repeat(T, axis=1)
        dar = dt * hs
        dhs = dt * ar
        da = np.sum(dar, axis=2)
        return dhs, da


class AttentionWeight:
    def __init__(self):
        self.params, self.grads = [], []
        self.softmax = Softmax()
        self.cache = None

    def forward(self, hs, h):
        N, T, H = hs.shape
        hr = h.reshape(N, 1, H).repeat(T, axis=1)
        t = hs * hr
        s = np.sum(t, axis=2)
        a = self.softmax.forward(s)
        self.cache = (hs, hr)
        return a

    def backward(self, da):
        hs, hr = self.cache
        N, T, H = hs.shape
        ds = self.softmax.backward(da)
        dt = ds.reshape(N, T, 1).repeat(H, axis=2)
        dhs = dt * hr
        dhr = dt * hs
        dh = np.sum(dhr, axis=1)
        return dhs, dh


class Attention:
    def __init__(self):
        self.params, self.grads = [], []
        self.attention_weight_layer = AttentionWeight()
        self.weight_sum_layer = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        a = self.attention_weight_layer.forward(hs, h)
        out = self.weight_sum_layer.forward(hs, a)
        self.attention_weight = a
        return out

    def backward(self, dout):
        dhs0, da = self.weight_sum_layer.backward(dout)
        dhs1, dh = self.attention_weight_layer.backward(da)
        dhs = dhs0 + dhs1
        return dhs, dh
"""

OTHER = """
class WeightSum:
    def __init__(self):
        self.params = []
        self.grads = []

    def forward(self, hs, a):
        self.hs, self.a = hs, a
        return np.einsum("nt,nth->nh", a, hs)

    def backward(self, dc):
        return np.einsum("nt,nh->nth", self.a, dc), np.einsum("nth,nh->nt", self.hs, dc)


class AttentionWeight:
    def __init__(self):
        self.params = []
        self.grads = []

    def forward(self, hs, h):
        s = np.einsum("nth,nh->nt", hs, h)
        s = s - np.max(s, axis=-1, keepdims=True)
        self.a = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
        self.hs, self.h = hs, h
        return self.a

    def backward(self, da):
        a = self.a
        ds = a * da - a * (a * da).sum(axis=-1, keepdims=True)
        return np.einsum("nt,nh->nth", ds, self.h), np.einsum("nt,nth->nh", ds, self.hs)


class Attention:
    def __init__(self):
        self.params, self.grads = [], []
        self.attention_weight_layer = AttentionWeight()
        self.weight_sum_layer = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        self.attention_weight = self.attention_weight_layer.forward(hs, h)
        return self.weight_sum_layer.forward(hs, self.attention_weight)

    def backward(self, dc):
        dhs, da = self.weight_sum_layer.backward(dc)
        more, dh = self.attention_weight_layer.backward(da)
        return dhs + more, dh
"""

CORRECT = {cell: {"book (8.1, with Softmax and repeat)": BOOK, "einsum": OTHER} for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "weight sum: mean over time": (_replace("c = np.sum(t, axis=1)", "c = np.mean(t, axis=1)"), "weight_sum_forward",
                                   "時刻について平均"),
    "weight sum: sum over H": (_replace("c = np.sum(t, axis=1)", "c = np.sum(t, axis=2)"), "weight_sum_forward",
                               "隠れ状態の軸（axis=2）で和"),
    "weight sum: da not summed over H": (_replace("da = np.sum(dar, axis=2)", "da = dar"), "weight_sum_backward",
                                         "da を H について合計していません"),
    "weight sum: dhs without a": (_replace("dhs = dt * ar", "dhs = dt"), "weight_sum_backward", "dhs に重み a を掛けていません"),
    "attention weight: softmax over the batch axis": (_replace(
        "a = self.softmax.forward(s)", "a = self.softmax.forward(s.T).T"), "attention_weight_forward",
        "ソフトマックスの軸が違います"),
    "attention weight: no softmax": (_replace("a = self.softmax.forward(s)", "a = s"), "attention_weight_forward",
                                     "ソフトマックスをかけていません"),
    "attention weight: softmax without the max": (_replace("        x = x - x.max(axis=1, keepdims=True)\n", ""),
                                                  "attention_weight_forward", "あふれて"),
    "attention weight: softmax backward without the sum term": (_replace("        dx -= self.out * sumdx\n", ""),
                                                                "attention_weight_backward", "ソフトマックスの逆伝播が違います"),
    "attention weight: dhs and dh swapped": (_replace("dhs = dt * hr\n        dhr = dt * hs",
                                                      "dhs = dt * hs\n        dhr = dt * hr"),
                                             "attention_weight_backward", "dhs と dh の式が入れ替わって"),
    "attention weight: softmax backward overwrites da": (_replace("dx = self.out * dout", "dout *= self.out\n        dx = dout.copy()"),
                                                         "attention_weight_backward", "書き換えられています"),
    "attention: weight not kept": (_replace("self.attention_weight = a\n", "self.attention_weight = None\n"),
                                   "attention_forward", "None"),
    "attention: returns c and a": (_replace("        self.attention_weight = a\n        return out",
                                            "        self.attention_weight = a\n        return out, a"),
                                   "attention_forward", "(c, a) のタプル"),
    "attention: only the weight-sum path": (_replace("dhs = dhs0 + dhs1", "dhs = dhs0"), "attention_backward",
                                            "WeightSum からの勾配しか"),
    "attention: only the attention-weight path": (_replace("dhs = dhs0 + dhs1", "dhs = dhs1"), "attention_backward",
                                                  "AttentionWeight からの勾配しか"),
    "attention: wrong softmax axis, seen from Attention": (_replace(
        "a = self.softmax.forward(s)", "a = self.softmax.forward(s.T).T"), "attention_forward", "先に AttentionWeight を直して"),
    "attention: da not summed, seen from Attention": (_replace("da = np.sum(dar, axis=2)", "da = dar"),
                                                      "attention_backward", "先に WeightSum を直して"),
}

STUB = """
class WeightSum:
    def __init__(self):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, hs, a):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dc):
        # ここに解答を書いてください
        raise NotImplementedError()


class AttentionWeight:
    def __init__(self):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, hs, h):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, da):
        # ここに解答を書いてください
        raise NotImplementedError()


class Attention:
    def __init__(self):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, hs, h):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dc):
        # ここに解答を書いてください
        raise NotImplementedError()
"""


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


@pytest.mark.parametrize("grade_id", CELLS)
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUB)
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells == set(CELLS)
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"


# --------------------------------------------------------------------------- gradients
def _classes(which):
    ns = {"np": np}
    if which == "answer":
        cells = json.loads((REPO / "source" / "day7" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["id"] in ("WeightSum", "AttentionWeight", "Attention"):
                exec("".join(cell["source"]), ns)
    elif which == "reference":
        import course.attention as ns_module

        return ns_module.WeightSum, ns_module.AttentionWeight, ns_module.Attention
    else:
        exec(BOOK if which == "book" else OTHER, ns)
    return ns["WeightSum"], ns["AttentionWeight"], ns["Attention"]


@pytest.mark.parametrize("which", ["answer", "reference", "book", "einsum"])
def test_backward_matches_numerical_gradients(which):
    from course.gradient_check import check_gradients

    WeightSum, AttentionWeight, Attention = _classes(which)
    rng = np.random.default_rng(74)
    N, T, H = 3, 5, 4
    hs, h = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    a = rng.dirichlet(np.ones(T), size=N)
    dc, da = rng.normal(size=(N, H)), rng.normal(size=(N, T))

    layer = WeightSum()
    layer.forward(hs, a)
    dhs, dA = layer.backward(dc)
    v = check_gradients(lambda: float(np.sum(WeightSum().forward(hs, a) * dc)), {"hs": hs, "a": a}, {"hs": dhs, "a": dA})
    assert v.passed, v.message
    layer = AttentionWeight()
    layer.forward(hs, h)
    dhs, dh = layer.backward(da)
    v = check_gradients(lambda: float(np.sum(AttentionWeight().forward(hs, h) * da)), {"hs": hs, "h": h},
                        {"hs": dhs, "h": dh})
    assert v.passed, v.message
    layer = Attention()
    c = layer.forward(hs, h)
    assert np.allclose(layer.attention_weight.sum(axis=1), 1.0) and c.shape == (N, H)
    dhs, dh = layer.backward(dc)
    v = check_gradients(lambda: float(np.sum(Attention().forward(hs, h) * dc)), {"hs": hs, "h": h}, {"hs": dhs, "h": dh})
    assert v.passed, v.message


def test_reference_attention_seq2seq_matches_numerical_gradients():
    """The model of the recorded run (course.attention.AttentionSeq2seq): every weight's gradient."""
    from course.attention import AttentionSeq2seq
    from course.gradient_check import check_gradients

    rng = np.random.default_rng(7)
    model = AttentionSeq2seq(7, 3, 4, seed=1)
    for p in model.params:
        p[...] = rng.normal(size=p.shape) * 0.5
    xs, ts = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 4))
    model.forward(xs, ts)
    model.backward()
    names = [f"p{k}" for k in range(len(model.params))]
    v = check_gradients(lambda: AttentionSeq2seq.forward(model, xs, ts), dict(zip(names, model.params)),
                        dict(zip(names, [g.copy() for g in model.grads])), threshold=1e-4)
    assert v.passed, v.message
