"""The checks of 7_5_transformer: right answers pass, typical mistakes fail with a hint (in the grader and in
the notebook's self-check: the judge_code fixture proves both), the untouched stubs fail; the answer's and the
reference's backward passes are proven against numerical gradients, masks included."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "7_5_transformer"
REPO = Path(__file__).resolve().parent.parent
ANSWER_IDS = ["scaled_dot_product_attention", "ScaledDotProductAttention", "split_heads", "merge_heads",
              "MultiHeadAttention", "positional_encoding"]


def _cells(path):
    return {c["id"]: "".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]}


ANSWER = "\n\n".join(_cells(REPO / "source" / "day7" / f"{NB}.ipynb")[i] for i in ANSWER_IDS)
TRAINEE = _cells(REPO / "release" / "day7" / f"{NB}_trainee.ipynb")

# written differently: einsum, -inf for blocked scores, softmax in a helper, split with np.split / stack,
# grads through einsum, positional encoding with np.power and explicit loops over pairs
OTHER = '''
def _softmax_last(s):
    s = s - np.max(s, axis=-1, keepdims=True)
    e = np.exp(s)
    return e / np.sum(e, axis=-1, keepdims=True)


def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.einsum("...qd,...kd->...qk", Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(np.broadcast_to(mask, scores.shape), scores, -np.inf)
    weights = _softmax_last(scores)
    return np.einsum("...qk,...kv->...qv", weights, V), weights


class ScaledDotProductAttention:
    def __init__(self):
        self.saved = None

    def forward(self, Q, K, V, mask=None):
        out, self.weights = scaled_dot_product_attention(Q, K, V, mask=mask)
        self.saved = (Q.copy(), K.copy(), V.copy())
        return out

    def backward(self, dout):
        Q, K, V = self.saved
        A = self.weights
        dV = np.einsum("...qk,...qv->...kv", A, dout)
        dA = np.einsum("...qv,...kv->...qk", dout, V)
        dS = A * dA
        dS -= A * dS.sum(axis=-1, keepdims=True)
        scale = 1 / np.sqrt(Q.shape[-1])
        return np.einsum("...qk,...kd->...qd", dS, K) * scale, np.einsum("...qk,...qd->...kd", dS, Q) * scale, dV


def split_heads(x, num_heads):
    return np.stack(np.split(x, num_heads, axis=-1), axis=1)


def merge_heads(x):
    return np.concatenate([x[:, k] for k in range(x.shape[1])], axis=-1)


class MultiHeadAttention:
    def __init__(self, W_Q, W_K, W_V, W_O, num_heads):
        self.params = [W_Q, W_K, W_V, W_O]
        self.grads = [np.zeros(W.shape) for W in self.params]
        self.num_heads = num_heads

    def forward(self, x_q, x_kv, mask=None):
        W_Q, W_K, W_V, W_O = self.params
        self.core = ScaledDotProductAttention()
        heads = self.core.forward(split_heads(x_q @ W_Q, self.num_heads), split_heads(x_kv @ W_K, self.num_heads),
                                  split_heads(x_kv @ W_V, self.num_heads), mask)
        self.weights = self.core.weights
        self.x_q, self.x_kv, self.merged = x_q, x_kv, merge_heads(heads)
        return self.merged @ W_O

    def backward(self, dout):
        W_Q, W_K, W_V, W_O = self.params
        parts = self.core.backward(split_heads(dout @ W_O.T, self.num_heads))
        dQ, dK, dV = [merge_heads(p) for p in parts]
        new = [np.einsum("ntd,nte->de", self.x_q, dQ), np.einsum("ntd,nte->de", self.x_kv, dK),
               np.einsum("ntd,nte->de", self.x_kv, dV), np.einsum("ntd,nte->de", self.merged, dout)]
        for g, v in zip(self.grads, new):
            g[...] = v
        return dQ @ W_Q.T, dK @ W_K.T + dV @ W_V.T


def positional_encoding(T, d_model):
    pe = np.empty((T, d_model))
    for i in range(d_model // 2):
        angle = np.arange(T) / np.power(10000.0, 2 * i / d_model)
        pe[:, 2 * i] = np.sin(angle)
        pe[:, 2 * i + 1] = np.cos(angle)
    return pe
'''

CELLS = ["scaled_dot_product_attention_values", "scaled_dot_product_attention_mask",
         "scaled_dot_product_attention_backward", "split_merge_heads", "multi_head_attention_forward",
         "multi_head_attention_backward", "positional_encoding_values"]
CORRECT = {cell: {"answer": ANSWER, "written differently (einsum, -inf, split/stack)": OTHER} for cell in CELLS}


def _replace(old, new, code=ANSWER, count=1):
    assert code.count(old) >= 1, old
    return code.replace(old, new, count)


SCORES = "scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)  # (..., T_q, T_k)"
SOFTMAX = """    scores = scores - scores.max(axis=-1, keepdims=True)  # オーバーフロー対策
    e = np.exp(scores)
    weights = e / e.sum(axis=-1, keepdims=True)  # キーの軸で正規化"""
MASKING = "scores = np.where(mask, scores, -1e9)  # False の位置は見ない"

AXIS = _replace(SOFTMAX, SOFTMAX.replace("axis=-1", "axis=-2"))
SCALE_D = _replace(SCORES, "scores = Q @ np.swapaxes(K, -1, -2) / d_k")
NO_SCALE = _replace(SCORES, "scores = Q @ np.swapaxes(K, -1, -2)")
UNSTABLE = _replace("    scores = scores - scores.max(axis=-1, keepdims=True)  # オーバーフロー対策\n", "")
MUTATES_Q = _replace(SCORES, "Q /= np.sqrt(d_k)\n    scores = Q @ np.swapaxes(K, -1, -2)")
MASK_AFTER = _replace(MASKING, "pass").replace("    out = weights @ V\n", "    if mask is not None:\n"
                                                  "        weights = weights * mask\n    out = weights @ V\n", 1)
MASK_INVERTED = _replace(MASKING, "scores = np.where(mask, -1e9, scores)")
MASK_MULTIPLIED = _replace(MASKING, "scores = scores * mask")
NO_SOFTMAX_SUM = _replace("dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))", "dS = A * dA")
NO_SCALE_BACKWARD = _replace("        dS = dS / np.sqrt(d_k)\n", "")
DK_NOT_TRANSPOSED = _replace("dK = np.swapaxes(dS, -1, -2) @ Q", "dK = dS @ Q")
DV_NOT_TRANSPOSED = _replace("dV = np.swapaxes(A, -1, -2) @ dout", "dV = A @ dout")
SPLIT_DIRECT = _replace("return x.reshape(N, T, num_heads, d_k).transpose(0, 2, 1, 3)",
                        "return x.reshape(N, num_heads, T, d_k)")
SPLIT_INTERLEAVED = _replace("return x.reshape(N, T, num_heads, d_k).transpose(0, 2, 1, 3)",
                             "return x.reshape(N, T, d_k, num_heads).transpose(0, 3, 1, 2)")
MERGE_DIRECT = _replace("return x.transpose(0, 2, 1, 3).reshape(N, T, h * d_k)", "return x.reshape(N, T, h * d_k)")
MHA_OWN_WRONG_SPLIT = _replace("""        Q = split_heads(x_q @ W_Q, h)  # (N, h, T_q, d_k)
        K = split_heads(x_kv @ W_K, h)  # (N, h, T_k, d_k)
        V = split_heads(x_kv @ W_V, h)""", """        Q = (x_q @ W_Q).reshape(x_q.shape[0], h, x_q.shape[1], -1)
        K = (x_kv @ W_K).reshape(x_kv.shape[0], h, x_kv.shape[1], -1)
        V = (x_kv @ W_V).reshape(x_kv.shape[0], h, x_kv.shape[1], -1)""")
MHA_SCALE_D_MODEL = _replace("heads = self.attention.forward(Q, K, V, mask)",
                             "heads = self.attention.forward(Q * np.sqrt(Q.shape[-1] / W_Q.shape[1]), K, V, mask)")
MHA_NO_WO = _replace("return merged @ W_O\n", "return merged\n")
MHA_NO_DV = _replace("dx_kv = dK @ W_K.T + dV @ W_V.T", "dx_kv = dK @ W_K.T")
MHA_SWAP_GRADS = _replace("self.grads[1][...] = x_kv.reshape(-1, d_model).T @ dK.reshape(-1, d_model)\n"
                          "        self.grads[2][...] = x_kv.reshape(-1, d_model).T @ dV.reshape(-1, d_model)",
                          "self.grads[1][...] = x_kv.reshape(-1, d_model).T @ dV.reshape(-1, d_model)\n"
                          "        self.grads[2][...] = x_kv.reshape(-1, d_model).T @ dK.reshape(-1, d_model)")
PE_SWAPPED = _replace("pe[:, 0::2] = np.sin(angle)\n    pe[:, 1::2] = np.cos(angle)",
                      "pe[:, 0::2] = np.cos(angle)\n    pe[:, 1::2] = np.sin(angle)")
PE_EXPONENT_J = _replace("""    i2 = np.arange(0, d_model, 2)  # 2i = 0, 2, 4, ...
    angle = pos / 10000 ** (i2 / d_model)  # (T, d_model // 2)
    pe = np.zeros((T, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)""", """    angle = pos / 10000 ** (np.arange(d_model) / d_model)
    pe = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, 1::2])""")
PE_EXPONENT_I = _replace("angle = pos / 10000 ** (i2 / d_model)", "angle = pos / 10000 ** (i2 / 2 / d_model)")
PE_MULTIPLIED = _replace("angle = pos / 10000 ** (i2 / d_model)", "angle = pos * 10000 ** (i2 / d_model)")
PE_FROM_ONE = _replace("pos = np.arange(T)[:, np.newaxis]", "pos = np.arange(1, T + 1)[:, np.newaxis]")
PE_HALVES = _replace("pe[:, 0::2] = np.sin(angle)\n    pe[:, 1::2] = np.cos(angle)",
                     "pe = np.concatenate([np.sin(angle), np.cos(angle)], axis=1)")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "softmax over the query axis": (AXIS, "scaled_dot_product_attention_values", "ソフトマックスを取る軸が違います"),
    "scaled by d_k": (SCALE_D, "scaled_dot_product_attention_values", "d_k ではなく √d_k で割ります"),
    "not scaled": (NO_SCALE, "scaled_dot_product_attention_values", "√d_k で割っていません"),
    "softmax without the maximum subtracted": (UNSTABLE, "scaled_dot_product_attention_values", "オーバーフロー"),
    "Q divided in place": (MUTATES_Q, "scaled_dot_product_attention_values", "書き換えられています"),
    "mask applied after the softmax": (MASK_AFTER, "scaled_dot_product_attention_mask", "ソフトマックスの<strong>あと</strong>"),
    "mask inverted": (MASK_INVERTED, "scaled_dot_product_attention_mask", "True と False が逆"),
    "scores multiplied by the mask": (MASK_MULTIPLIED, "scaled_dot_product_attention_mask", "掛け算しています"),
    "wrong softmax axis, seen from the mask cell": (AXIS, "scaled_dot_product_attention_mask", "ソフトマックスを取る軸"),
    "softmax backward without the sum": (NO_SOFTMAX_SUM, "scaled_dot_product_attention_backward",
                                         "ソフトマックスの逆伝播が違います"),
    "no 1/sqrt(d_k) in the backward": (NO_SCALE_BACKWARD, "scaled_dot_product_attention_backward",
                                       "√d_k の割り算を忘れて"),
    "dK without the transpose": (DK_NOT_TRANSPOSED, "scaled_dot_product_attention_backward", "dK = dscores の転置 @ Q"),
    "dV without the transpose": (DV_NOT_TRANSPOSED, "scaled_dot_product_attention_backward", "dV = weights の転置 @ dout"),
    "mask inverted, seen from the backward cell": (MASK_INVERTED, "scaled_dot_product_attention_backward",
                                                   "先に scaled_dot_product_attention を直して"),
    "heads split by one reshape": (SPLIT_DIRECT, "split_merge_heads", "いきなり (N, h, T, d_k) に reshape"),
    "heads split into interleaved columns": (SPLIT_INTERLEAVED, "split_merge_heads", "連続した d_k 列"),
    "heads merged by one reshape": (MERGE_DIRECT, "split_merge_heads", "split_heads のちょうど逆の順番"),
    "MHA splits Q by one reshape itself": (MHA_OWN_WRONG_SPLIT, "multi_head_attention_forward",
                                           "いきなり (N, h, T, d_k) に reshape"),
    "MHA scaled by sqrt(d_model)": (MHA_SCALE_D_MODEL, "multi_head_attention_forward", "d_model ではなく"),
    "MHA without W_O": (MHA_NO_WO, "multi_head_attention_forward", "W_O を掛けていません"),
    "merge wrong, seen from MHA": (MERGE_DIRECT, "multi_head_attention_forward", "先に merge_heads を直して"),
    "dx_kv without the V path": (MHA_NO_DV, "multi_head_attention_backward", "V を通る勾配が足りません"),
    "dW_K and dW_V swapped": (MHA_SWAP_GRADS, "multi_head_attention_backward", "入れ替わっています"),
    "attention backward wrong, seen from MHA": (NO_SOFTMAX_SUM, "multi_head_attention_backward",
                                                "先に ScaledDotProductAttention を直して"),
    "sin and cos swapped": (PE_SWAPPED, "positional_encoding_values", "sin と cos が逆"),
    "dimension index in the exponent": (PE_EXPONENT_J, "positional_encoding_values", "番号 j をそのまま"),
    "i/d_model in the exponent": (PE_EXPONENT_I, "positional_encoding_values", "i/d_model ではなく 2i/d_model"),
    "pos multiplied by the frequency term": (PE_MULTIPLIED, "positional_encoding_values", "掛けています"),
    "positions from 1": (PE_FROM_ONE, "positional_encoding_values", "1 から始まって"),
    "sin and cos in two halves": (PE_HALVES, "positional_encoding_values", "前半と後半"),
}

STUB = "\n\n".join(TRAINEE[i] for i in ANSWER_IDS)


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
    assert "raise NotImplementedError()" in STUB
    passed, message = judge_code(NB, grade_id, STUB)
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells == set(CELLS)
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"


# --------------------------------------------------------------------------- gradients
def _implementations(which):
    if which == "reference":
        import course.transformer_attention as ref

        return ref.ScaledDotProductAttention, ref.MultiHeadAttention
    ns = {"np": np}
    exec(ANSWER if which == "answer" else OTHER, ns)
    return ns["ScaledDotProductAttention"], ns["MultiHeadAttention"]


def _masks(N, T_q, T_k, heads=False):
    padding = np.ones((N, 1, 1, T_k) if heads else (N, 1, T_k), dtype=bool)
    padding[0, ..., T_k - 2:] = False
    masks = {"no mask": None, "padding": padding}
    if T_q == T_k:
        masks["causal"] = np.tril(np.ones((T_q, T_k), dtype=bool))
    return masks


@pytest.mark.parametrize("which", ["answer", "reference", "other"])
@pytest.mark.parametrize("shape", [(2, 4, 4), (2, 3, 5)])
def test_attention_backward_matches_numerical_gradients(which, shape):
    from course.gradient_check import check_gradients

    SDPA, _ = _implementations(which)
    N, T_q, T_k = shape
    rng = np.random.default_rng(75)
    Q, K, V = rng.normal(size=(N, T_q, 3)), rng.normal(size=(N, T_k, 3)), rng.normal(size=(N, T_k, 2))
    dout = rng.normal(size=(N, T_q, 2))
    for name, mask in _masks(N, T_q, T_k).items():
        layer = SDPA()
        layer.forward(Q, K, V, mask)
        dQ, dK, dV = layer.backward(dout)
        verdict = check_gradients(lambda: float(np.sum(SDPA().forward(Q, K, V, mask) * dout)),
                                  {"Q": Q, "K": K, "V": V}, {"Q": dQ, "K": dK, "V": dV})
        assert verdict.passed, f"{name}: {verdict.message}"


@pytest.mark.parametrize("which", ["answer", "reference", "other"])
def test_multi_head_attention_backward_matches_numerical_gradients(which):
    from course.gradient_check import check_gradients

    _, MHA = _implementations(which)
    rng = np.random.default_rng(76)
    N, d_model, h = 2, 4, 2
    Ws = [rng.normal(size=(d_model, d_model)) * 0.6 for _ in range(4)]
    for T_q, T_k in [(3, 3), (2, 4)]:
        x_q, x_kv, dout = rng.normal(size=(N, T_q, d_model)), rng.normal(size=(N, T_k, d_model)), \
            rng.normal(size=(N, T_q, d_model))
        for name, mask in _masks(N, T_q, T_k, heads=True).items():
            layer = MHA(*Ws, h)
            if name == "causal":  # self-attention: the gradient of x is dx_q + dx_kv
                layer.forward(x_q, x_q, mask)
                dx_q, dx_kv = layer.backward(dout)
                params, analytic = {"x": x_q}, {"x": dx_q + dx_kv}

                def loss():
                    return float(np.sum(MHA(*Ws, h).forward(x_q, x_q, mask) * dout))
            else:
                layer.forward(x_q, x_kv, mask)
                dx_q, dx_kv = layer.backward(dout)
                params, analytic = {"x_q": x_q, "x_kv": x_kv}, {"x_q": dx_q, "x_kv": dx_kv}

                def loss():
                    return float(np.sum(MHA(*Ws, h).forward(x_q, x_kv, mask) * dout))
            names = ["W_Q", "W_K", "W_V", "W_O"]
            params.update(zip(names, Ws))
            analytic.update({n: g.copy() for n, g in zip(names, layer.grads)})
            verdict = check_gradients(loss, params, analytic)
            assert verdict.passed, f"T_q={T_q}, T_k={T_k}, {name}: {verdict.message}"
