"""Hidden checks of 7_5_transformer: scaled dot-product attention (with masks) and its backward, splitting
and merging heads, multi-head attention forward/backward, sinusoidal positional encoding.

Conventions stated in the notebook and tested here (the reference is ``course.transformer_attention``):
- ``scaled_dot_product_attention(Q, K, V, mask=None)`` -> ``(out, weights)``: Q (..., T_q, d_k),
  K (..., T_k, d_k), V (..., T_k, d_v), leading axes (N,) or (N, h); scores = Q K^T / sqrt(d_k);
  ``mask`` bool, broadcastable to (..., T_q, T_k), True = may attend, False = blocked (score -> -1e9 before
  the softmax; every row keeps at least one True); softmax over the last axis, stable; out = weights @ V.
  Inputs are not modified.
- ``ScaledDotProductAttention``: ``forward(Q, K, V, mask=None)`` -> out, ``self.weights``;
  ``backward(dout)`` -> ``(dQ, dK, dV)``.
- ``split_heads(x, num_heads)``: (N, T, d_model) -> (N, T, h, d_k) -> (N, h, T, d_k); ``merge_heads`` back.
- ``MultiHeadAttention(W_Q, W_K, W_V, W_O, num_heads)``: ``forward(x_q, x_kv, mask=None)`` -> (N, T_q, d_model),
  ``self.weights`` (N, h, T_q, T_k); ``backward(dout)`` -> ``(dx_q, dx_kv)``; ``grads`` = [dW_Q, dW_K, dW_V, dW_O].
- ``positional_encoding(T, d_model)``: (T, d_model), PE[pos, 2i] = sin(pos / 10000^(2i/d_model)),
  PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model)).
"""

from dataclasses import replace

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new
from course.transformer_attention import MultiHeadAttention as ReferenceMultiHeadAttention
from course.transformer_attention import ScaledDotProductAttention as ReferenceScaledDotProductAttention
from course.transformer_attention import merge_heads as reference_merge_heads
from course.transformer_attention import positional_encoding as reference_positional_encoding
from course.transformer_attention import scaled_dot_product_attention as reference_attention
from course.transformer_attention import split_heads as reference_split_heads

NOTEBOOK = "7_5_transformer"

RTOL, ATOL = 1e-7, 1e-10


# --------------------------------------------------------------------------- wrong attention functions
def _attention(Q, K, V, mask=None, *, axis=-1, scale="sqrt", mask_mode="before", stable=True):
    d_k = Q.shape[-1]
    scores = Q @ np.swapaxes(K, -1, -2)
    if scale == "sqrt":
        scores = scores / np.sqrt(d_k)
    elif scale == "d":
        scores = scores / d_k
    if mask is not None:
        if mask_mode == "before":
            scores = np.where(mask, scores, -1e9)
        elif mask_mode == "inverted":
            scores = np.where(mask, -1e9, scores)
        elif mask_mode == "multiply":
            scores = scores * mask
    if stable:
        scores = scores - scores.max(axis=axis, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=axis, keepdims=True)
    if mask is not None and mask_mode == "after":
        weights = weights * mask
    return weights @ V, weights


def _wrong(**switches):
    def wrong(Q, K, V, mask=None):
        with np.errstate(over="ignore", invalid="ignore"):
            return _attention(Q, K, V, mask, **switches)
    return wrong


ATTENTION_VALUE_MISTAKES = [
    Mistake("ソフトマックスを取る軸が違います。scores は (..., T_q, T_k) で、各クエリ（行）について<strong>キーの軸</strong>"
            "（最後の軸 axis=-1）で正規化します。weights の各行の和が 1 になるはずです。", _wrong(axis=-2)),
    Mistake("スケーリングが違います。スコアは d_k ではなく √d_k で割ります: scores = Q @ K^T / np.sqrt(d_k)"
            "（d_k = Q.shape[-1]）。", _wrong(scale="d")),
    Mistake("スコアを √d_k で割っていません。scores = Q @ K^T / np.sqrt(d_k) です。d_k が大きいと内積が大きくなり、"
            "ソフトマックスが 1 か所に張り付いて勾配が消えるのを防ぐための割り算です。", _wrong(scale="none")),
    Mistake("ソフトマックスで各行の最大値を引いていないため、大きなスコアで np.exp がオーバーフローして nan になっています。"
            "scores - scores.max(axis=-1, keepdims=True) を計算してから np.exp を取ります（1.4 のソフトマックスと同じ）。",
            _wrong(stable=False)),
]
ATTENTION_MASK_MISTAKES = [
    Mistake("マスクをソフトマックスの<strong>あと</strong>で掛けています。ソフトマックスのあとで 0 にすると各行の和が 1 に"
            "なりません。ソフトマックスの<strong>前</strong>に、mask が False の位置のスコアを -1e9 にします"
            "（scores = np.where(mask, scores, -1e9)）。", _wrong(mask_mode="after")),
    Mistake("マスクの True と False が逆です。このノートブックでは True = 注目してよい位置、False = 見てはいけない位置で、"
            "False の位置のスコアを -1e9 にします。", _wrong(mask_mode="inverted")),
    Mistake("スコアにマスクを掛け算しています（scores * mask）。これでは見てはいけない位置のスコアが 0 になるだけで、"
            "重みは 0 になりません。np.where(mask, scores, -1e9) で大きな負の値に置き換えます。",
            _wrong(mask_mode="multiply")),
]

ERROR_HINTS = [
    ("mismatch in its core dimension", "行列の積の形が合っていません。scores = Q @ K の転置（np.swapaxes(K, -1, -2)、"
                                       "(..., d_k, T_k)）で (..., T_q, T_k)、out = weights @ V で (..., T_q, d_v) です。"
                                       "逆伝播では dV = weights の転置 @ dout、dK = dscores の転置 @ Q です。"),
    ("could not be broadcast", "配列の形状が合っていません。mask は (..., T_q, T_k) にブロードキャストできる形で与えられます。"
                               "ヘッドに分けたあとは (N, h, T, d_k) です。"),
    ("cannot reshape", "reshape の形が合っていません。d_k = d_model // num_heads で、(N, T, d_model) → (N, T, h, d_k) です。"),
    ("cannot unpack", "戻り値の数が違います。scaled_dot_product_attention は (out, weights)、ScaledDotProductAttention の "
                      "backward は (dQ, dK, dV)、MultiHeadAttention の backward は (dx_q, dx_kv) のタプルを返します。"),
    ("NoneType", "None を計算に使っています。forward で逆伝播に使う値（Q, K, V, weights など）を保存しているか確かめてください。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(7500)

# visible: N = 1 or 2, small T
v_Q = np.round(np.sin(np.arange(2 * 3 * 4, dtype=float) * 1.3).reshape(2, 3, 4) * 1.5, 2)
v_K = np.round(np.cos(np.arange(2 * 4 * 4, dtype=float) * 0.9).reshape(2, 4, 4) * 1.5, 2)
v_V = np.round(np.sin(np.arange(2 * 4 * 2, dtype=float) * 2.1 + 0.5).reshape(2, 4, 2), 2)
v_Qs = np.round(np.cos(np.arange(2 * 4 * 4, dtype=float) * 1.7).reshape(2, 4, 4) * 1.5, 2)  # T_q = T_k = 4
v_Q_heads = np.round(np.sin(np.arange(1 * 2 * 3 * 2, dtype=float) * 0.7).reshape(1, 2, 3, 2) * 2, 2)
v_K_heads = np.round(np.cos(np.arange(1 * 2 * 3 * 2, dtype=float) * 1.1).reshape(1, 2, 3, 2) * 2, 2)
v_V_heads = np.round(np.sin(np.arange(1 * 2 * 3 * 3, dtype=float) * 0.4).reshape(1, 2, 3, 3), 2)
v_causal = np.tril(np.ones((4, 4), dtype=bool))
v_padding_heads = np.array([True, True, False]).reshape(1, 1, 1, 3)  # (N, 1, 1, T_k)
v_dout_heads = np.round(np.cos(np.arange(1 * 2 * 3 * 3, dtype=float) * 1.6).reshape(1, 2, 3, 3), 2)
v_padding = np.array([[[True, True, True, False]], [[True, True, False, False]]])  # (N, 1, T_k)
v_dout = np.round(np.cos(np.arange(2 * 3 * 2, dtype=float) * 0.8).reshape(2, 3, 2), 2)
v_dout_s = np.round(np.sin(np.arange(2 * 4 * 2, dtype=float) * 1.9).reshape(2, 4, 2), 2)

# hidden
Q_a, K_a, V_a = rng.normal(size=(3, 5, 6)), rng.normal(size=(3, 7, 6)), rng.normal(size=(3, 7, 4))
Q_h, K_h, V_h = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 6, 5))
Q_s, K_s, V_s = rng.normal(size=(2, 6, 8)), rng.normal(size=(2, 6, 8)), rng.normal(size=(2, 6, 8))
Q_one, K_one, V_one = rng.normal(size=(1, 1, 3)), rng.normal(size=(1, 4, 3)), rng.normal(size=(1, 4, 2))
causal6 = np.tril(np.ones((6, 6), dtype=bool))
padding_a = np.ones((3, 1, 7), dtype=bool)
padding_a[0, 0, 5:] = False
padding_a[1, 0, 2:] = False
padding_h = np.ones((2, 1, 1, 6), dtype=bool)
padding_h[1, ..., 4:] = False
dout_a, dout_h, dout_s = rng.normal(size=(3, 5, 4)), rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 6, 8))


def _attention_check(visible, cases, mistakes, **kw):
    return FunctionCheck(function="scaled_dot_product_attention", reference=reference_attention, dtype="float",
                         rtol=RTOL, atol=ATOL, visible=visible, cases=cases, mistakes=mistakes, error_hints=ERROR_HINTS,
                         **kw)


VALUE_VISIBLE = [
    Case("N = 2, T_q = 3, T_k = 4, d_k = 4, d_v = 2（マスクなし）", (v_Q, v_K, v_V)),
    Case("ヘッドの軸つき (N, h, T, d_k) = (1, 2, 3, 2)、d_v = 3", (v_Q_heads, v_K_heads, v_V_heads)),
    Case("大きなスコア（Q を 1000 倍）", (v_Q * 1000, v_K, v_V), forbid_warnings=True),
]
VALUE_HIDDEN = [
    Case("N = 3, T_q = 5, T_k = 7, d_k = 6, d_v = 4", (Q_a, K_a, V_a)),
    Case("(N, h, T_q, d_k) = (2, 3, 4, 5)、T_k = 6", (Q_h, K_h, V_h)),
    Case("クエリが 1 つ（T_q = 1）", (Q_one, K_one, V_one)),
    Case("Q が 0（重みはどのキーにも等しい）", (np.zeros_like(Q_a), K_a, V_a)),
    Case("とても大きなスコア（Q を 1e4 倍）", (Q_a * 1e4, K_a, V_a), forbid_warnings=True),
]
MASK_VISIBLE = [
    Case("因果マスク (T, T) = (4, 4)（未来を見ない）", (v_Qs, v_K, v_V), {"mask": v_causal}),
    Case("パディングマスク (N, 1, T_k)（系列ごとに後ろのキーを隠す）", (v_Q, v_K, v_V), {"mask": v_padding}),
    Case("ヘッドの軸つきでパディングマスク (N, 1, 1, T_k)", (v_Q_heads, v_K_heads, v_V_heads), {"mask": v_padding_heads}),
    Case("因果マスクと大きなスコア", (v_Qs * 1000, v_K, v_V), {"mask": v_causal}, forbid_warnings=True),
]
MASK_HIDDEN = [
    Case("因果マスク (6, 6)、d_k = 8", (Q_s, K_s, V_s), {"mask": causal6}),
    Case("パディングマスク (N, 1, T_k) = (3, 1, 7)", (Q_a, K_a, V_a), {"mask": padding_a}),
    Case("ヘッドの軸つきでパディングマスク (N, 1, 1, T_k)", (Q_h, K_h, V_h), {"mask": padding_h}),
    Case("すべて True のマスク（マスクなしと同じ）", (Q_a, K_a, V_a), {"mask": np.ones((5, 7), dtype=bool)}),
    Case("因果マスクと大きなスコア", (Q_s * 1e4, K_s, V_s), {"mask": causal6}, forbid_warnings=True),
]


# --------------------------------------------------------------------------- wrong backward
class _BackwardVariant(ReferenceScaledDotProductAttention):
    softmax_sum = True
    scale_in_backward = True
    transpose_dk = True

    def backward(self, dout):
        Q, K, V = self.cache
        A = self.weights
        d_k = Q.shape[-1]
        dV = np.swapaxes(A, -1, -2) @ dout
        dA = dout @ np.swapaxes(V, -1, -2)
        dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True)) if self.softmax_sum else A * dA
        if self.scale_in_backward:
            dS = dS / np.sqrt(d_k)
        dQ = dS @ K
        dK = (np.swapaxes(dS, -1, -2) @ Q) if self.transpose_dk else dS @ Q
        return dQ, dK, dV


def _backward_variant(name, **switches):
    return type(name, (_BackwardVariant,), switches)


BACKWARD_MISTAKES = [
    Mistake("ソフトマックスの逆伝播が違います。weights = softmax(scores) の逆伝播は "
            "dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True)) です"
            "（和を引く項を忘れていませんか）。", _backward_variant("_NoSoftmaxSum", softmax_sum=False)),
    Mistake("逆伝播で √d_k の割り算を忘れています。scores = Q @ K^T / √d_k なので、dQ と dK にも 1/√d_k が掛かります。",
            _backward_variant("_NoScaleBackward", scale_in_backward=False)),
]


def _forward_backward(Q, K, V, dout, mask=None):
    kwargs = {} if mask is None else {"mask": mask}
    return [call("forward", Q, K, V, label="forward(Q, K, V, mask) の戻り値 out", **kwargs),
            get("weights", label="forward のあとの self.weights"),
            call("backward", dout, label="backward(dout) の戻り値 (dQ, dK, dV)")]


SDPA_BACKWARD_VISIBLE = [
    Scenario("N = 2, T_q = 3, T_k = 4（マスクなし）", [new(), *_forward_backward(v_Q, v_K, v_V, v_dout)]),
    Scenario("T_q = T_k = 4 で因果マスク", [new(), *_forward_backward(v_Qs, v_K, v_V, v_dout_s, v_causal)]),
    Scenario("パディングマスク (N, 1, T_k)", [new(), *_forward_backward(v_Q, v_K, v_V, v_dout, v_padding)]),
    Scenario("ヘッドの軸つき、パディングマスク (N, 1, 1, T_k)", [
        new(), *_forward_backward(v_Q_heads, v_K_heads, v_V_heads, v_dout_heads, v_padding_heads)]),
]
SDPA_BACKWARD_HIDDEN = [
    Scenario("N = 3, T_q = 5, T_k = 7", [new(), *_forward_backward(Q_a, K_a, V_a, dout_a)]),
    Scenario("ヘッドの軸つき、パディングマスク (N, 1, 1, T_k)", [new(), *_forward_backward(Q_h, K_h, V_h, dout_h, padding_h)]),
    Scenario("因果マスク (6, 6)", [new(), *_forward_backward(Q_s, K_s, V_s, dout_s, causal6)]),
    Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
        new(), call("forward", Q_s * 2, K_s, V_s, record=False), *_forward_backward(Q_s, K_s, V_s, dout_s, causal6)]),
]


# --------------------------------------------------------------------------- heads
def _split_direct(x, num_heads):
    N, T, d_model = x.shape
    return x.reshape(N, num_heads, T, d_model // num_heads)


def _split_interleaved(x, num_heads):
    N, T, d_model = x.shape
    return x.reshape(N, T, d_model // num_heads, num_heads).transpose(0, 3, 1, 2)


def _merge_direct(x):
    N, h, T, d_k = x.shape
    return x.reshape(N, T, h * d_k)


def _merge_interleaved(x):
    N, h, T, d_k = x.shape
    return x.transpose(0, 2, 3, 1).reshape(N, T, h * d_k)


SPLIT_HINT = ("ヘッドへの分け方が違います。まず (N, T, d_model) を reshape で (N, T, h, d_k) にし（各位置のベクトルを"
              "先頭から d_k 個ずつ区切る）、次に transpose(0, 2, 1, 3) で (N, h, T, d_k) にします。いきなり "
              "(N, h, T, d_k) に reshape すると、異なる位置のベクトルが混ざります。")
SPLIT_INTERLEAVED_HINT = ("ヘッドへの分け方が違います。ヘッド k が受け持つのは列 k*d_k から (k+1)*d_k - 1 までの"
                          "連続した d_k 列です。reshape は (N, T, d_k, h) ではなく (N, T, h, d_k) です。")
MERGE_HINT = ("ヘッドのまとめ方が違います。(N, h, T, d_k) を transpose(0, 2, 1, 3) で (N, T, h, d_k) に戻してから "
              "reshape で (N, T, d_model) にします（split_heads のちょうど逆の順番）。")
SPLIT_MISTAKES = [Mistake(SPLIT_HINT, _split_direct), Mistake(SPLIT_INTERLEAVED_HINT, _split_interleaved)]
MERGE_MISTAKES = [Mistake(MERGE_HINT, _merge_direct), Mistake(MERGE_HINT, _merge_interleaved)]

v_x = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
v_heads = np.arange(2 * 2 * 3 * 2, dtype=float).reshape(2, 2, 3, 2)
x_a = rng.normal(size=(3, 5, 12))
heads_a = rng.normal(size=(3, 4, 5, 3))

SPLIT_CHECK = FunctionCheck(
    function="split_heads", reference=reference_split_heads, dtype="float", returns="array", rtol=0, atol=0,
    visible=[Case("(N, T, d_model) = (2, 3, 4)、num_heads = 2", (v_x, 2))],
    cases=[Case("(3, 5, 12)、num_heads = 4", (x_a, 4)), Case("(3, 5, 12)、num_heads = 3", (x_a, 3)),
           Case("num_heads = 1", (x_a, 1))],
    mistakes=SPLIT_MISTAKES, error_hints=ERROR_HINTS)
MERGE_CHECK = FunctionCheck(
    function="merge_heads", reference=reference_merge_heads, dtype="float", returns="array", rtol=0, atol=0,
    visible=[Case("(N, h, T, d_k) = (2, 2, 3, 2)", (v_heads,))],
    cases=[Case("(3, 4, 5, 3)", (heads_a,)), Case("h = 1", (heads_a[:, :1],))],
    mistakes=MERGE_MISTAKES, error_hints=ERROR_HINTS)


# --------------------------------------------------------------------------- wrong multi-head attention
class _MHAVariant(ReferenceMultiHeadAttention):
    split = staticmethod(reference_split_heads)
    merge = staticmethod(reference_merge_heads)
    scale_by_d_model = False
    use_W_O = True
    dv_in_dx_kv = True
    swap_grads_kv = False

    def forward(self, x_q, x_kv, mask=None):
        W_Q, W_K, W_V, W_O = self.params
        h = self.num_heads
        Q, K, V = self.split(x_q @ W_Q, h), self.split(x_kv @ W_K, h), self.split(x_kv @ W_V, h)
        if self.scale_by_d_model:
            Q = Q * np.sqrt(Q.shape[-1]) / np.sqrt(W_Q.shape[1])
        heads = self.attention.forward(Q, K, V, mask)
        self.weights = self.attention.weights
        merged = self.merge(heads)
        self.cache = (x_q, x_kv, merged)
        return merged @ W_O if self.use_W_O else merged

    def backward(self, dout):
        W_Q, W_K, W_V, W_O = self.params
        x_q, x_kv, merged = self.cache
        d = W_O.shape[0]
        dmerged = dout @ W_O.T if self.use_W_O else dout
        dW_O = merged.reshape(-1, d).T @ dout.reshape(-1, d) if self.use_W_O else np.zeros_like(W_O)
        dQ, dK, dV = self.attention.backward(reference_split_heads(dmerged, self.num_heads))
        dQ, dK, dV = reference_merge_heads(dQ), reference_merge_heads(dK), reference_merge_heads(dV)
        dW_Q = x_q.reshape(-1, d).T @ dQ.reshape(-1, d)
        dW_K = x_kv.reshape(-1, d).T @ dK.reshape(-1, d)
        dW_V = x_kv.reshape(-1, d).T @ dV.reshape(-1, d)
        if self.swap_grads_kv:
            dW_K, dW_V = dW_V, dW_K
        for grad, value in zip(self.grads, (dW_Q, dW_K, dW_V, dW_O)):
            grad[...] = value
        dx_kv = dK @ W_K.T + (dV @ W_V.T if self.dv_in_dx_kv else 0)
        return dQ @ W_Q.T, dx_kv


def _mha_variant(name, **switches):
    return type(name, (_MHAVariant,), {k: staticmethod(v) if callable(v) else v for k, v in switches.items()})


MHA_FORWARD_MISTAKES = [
    Mistake(SPLIT_HINT, _mha_variant("_SplitDirect", split=_split_direct)),
    Mistake(SPLIT_INTERLEAVED_HINT, _mha_variant("_SplitInterleaved", split=_split_interleaved)),
    Mistake(MERGE_HINT, _mha_variant("_MergeDirect", merge=_merge_direct)),
    Mistake("スケーリングが違います。各ヘッドの注意では d_model ではなく、ヘッド 1 つの次元 d_k = d_model // num_heads の"
            "平方根で割ります（scaled_dot_product_attention にヘッドに分けた Q, K, V を渡せば自然にそうなります）。",
            _mha_variant("_ScaleByDModel", scale_by_d_model=True)),
    Mistake("最後の出力の重み W_O を掛けていません。ヘッドをまとめた (N, T_q, d_model) に W_O を掛けたものが出力です。",
            _mha_variant("_NoWO", use_W_O=False)),
]
MHA_BACKWARD_MISTAKES = [
    Mistake("dx_kv に V を通る勾配が足りません。x_kv からは K = x_kv @ W_K と V = x_kv @ W_V の 2 つの道があるので、"
            "dx_kv = dK @ W_K.T + dV @ W_V.T です（dK, dV はヘッドをまとめた (N, T_k, d_model)）。",
            _mha_variant("_NoDvInDxKv", dv_in_dx_kv=False)),
    Mistake("grads の dW_K と dW_V が入れ替わっています。grads は [dW_Q, dW_K, dW_V, dW_O] の順で、"
            "dW_K = x_kv の転置 @ dK、dW_V = x_kv の転置 @ dV です。", _mha_variant("_SwapGradsKV", swap_grads_kv=True)),
]


def _weights_mha(d_model, scale=0.5):
    return [rng.normal(size=(d_model, d_model)) * scale for _ in range(4)]


v_W = [np.round(np.sin(np.arange(16, dtype=float) * (1.1 + 0.3 * k)).reshape(4, 4) * 0.8, 2) for k in range(4)]
v_xq = np.round(np.cos(np.arange(2 * 3 * 4, dtype=float) * 0.6).reshape(2, 3, 4), 2)
v_xkv = np.round(np.sin(np.arange(2 * 4 * 4, dtype=float) * 1.4).reshape(2, 4, 4), 2)
v_dmha = np.round(np.sin(np.arange(2 * 3 * 4, dtype=float) * 0.9 + 0.3).reshape(2, 3, 4), 2)
v_padding_mha = np.array([[True, True, True, False], [True, False, False, False]]).reshape(2, 1, 1, 4)
v_dmha_self = np.round(np.cos(np.arange(2 * 4 * 4, dtype=float) * 1.2).reshape(2, 4, 4), 2)
W_a = _weights_mha(12)
W_b = _weights_mha(6, 0.7)
xq_a, xkv_a, dmha_a = rng.normal(size=(3, 5, 12)), rng.normal(size=(3, 7, 12)), rng.normal(size=(3, 5, 12))
xs_b, dmha_b = rng.normal(size=(2, 6, 6)), rng.normal(size=(2, 6, 6))
padding_mha = np.ones((3, 1, 1, 7), dtype=bool)
padding_mha[0, ..., 4:] = False
padding_mha[2, ..., 1:] = False


def _mha_forward(x_q, x_kv, mask=None):
    kwargs = {} if mask is None else {"mask": mask}
    return [call("forward", x_q, x_kv, label="forward(x_q, x_kv, mask) の戻り値", **kwargs),
            get("weights", label="forward のあとの self.weights（(N, h, T_q, T_k)）")]


def _mha_backward(dout):
    return [call("backward", dout, label="backward(dout) の戻り値 (dx_q, dx_kv)"),
            get("grads", label="backward のあとの grads（[dW_Q, dW_K, dW_V, dW_O]）")]


MHA_FORWARD_VISIBLE = [
    Scenario("d_model = 4、h = 2 のクロスアテンション（T_q = 3, T_k = 4）", [new(*v_W, 2), *_mha_forward(v_xq, v_xkv)]),
    Scenario("d_model = 4、h = 2 の自己注意と因果マスク", [new(*v_W, 2), *_mha_forward(v_xkv, v_xkv, v_causal)]),
    Scenario("クロスアテンションとパディングマスク (N, 1, 1, T_k)", [new(*v_W, 2), *_mha_forward(v_xq, v_xkv, v_padding_mha)]),
]
MHA_FORWARD_HIDDEN = [
    Scenario("d_model = 12、h = 4 のクロスアテンション", [new(*W_a, 4), *_mha_forward(xq_a, xkv_a)]),
    Scenario("d_model = 12、h = 3 とパディングマスク (N, 1, 1, T_k)", [new(*W_a, 3), *_mha_forward(xq_a, xkv_a, padding_mha)]),
    Scenario("d_model = 6、h = 2 の自己注意と因果マスク", [new(*W_b, 2), *_mha_forward(xs_b, xs_b, causal6)]),
    Scenario("h = 1（ヘッド 1 つ）", [new(*W_b, 1), *_mha_forward(xs_b, xs_b)]),
]
MHA_BACKWARD_VISIBLE = [
    Scenario("d_model = 4、h = 2 のクロスアテンションの backward", [
        new(*v_W, 2), call("forward", v_xq, v_xkv, record=False), *_mha_backward(v_dmha)]),
    Scenario("自己注意と因果マスクの backward", [
        new(*v_W, 2), call("forward", v_xkv, v_xkv, mask=v_causal, record=False), *_mha_backward(v_dmha_self)]),
    Scenario("クロスアテンションとパディングマスク (N, 1, 1, T_k) の backward", [
        new(*v_W, 2), call("forward", v_xq, v_xkv, mask=v_padding_mha, record=False), *_mha_backward(v_dmha)]),
]
MHA_BACKWARD_HIDDEN = [
    Scenario("d_model = 12、h = 4 のクロスアテンションの backward", [
        new(*W_a, 4), call("forward", xq_a, xkv_a, record=False), *_mha_backward(dmha_a)]),
    Scenario("パディングマスク (N, 1, 1, T_k) の backward", [
        new(*W_a, 3), call("forward", xq_a, xkv_a, mask=padding_mha, record=False), *_mha_backward(dmha_a)]),
    Scenario("自己注意と因果マスクの backward（d_model = 6、h = 2）", [
        new(*W_b, 2), call("forward", xs_b, xs_b, mask=causal6, record=False), *_mha_backward(dmha_b)]),
]


# --------------------------------------------------------------------------- positional encoding
def _pe(T, d_model, *, swap=False, exponent="2i", divide=True, start=0, halves=False):
    pos = np.arange(start, start + T)[:, np.newaxis]
    if exponent == "j":  # the dimension index itself in the exponent
        j = np.arange(d_model)
        angle = pos / 10000 ** (j / d_model)
        return np.where(j % 2 == 0, np.sin(angle), np.cos(angle))
    i = np.arange(d_model // 2)
    if exponent == "2i":
        freq = 10000 ** (2 * i / d_model)
    elif exponent == "i":
        freq = 10000 ** (i / d_model)
    angle = pos / freq if divide else pos * freq
    first, second = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
    if halves:
        return np.concatenate([first, second], axis=1)
    pe = np.zeros((T, d_model))
    pe[:, 0::2], pe[:, 1::2] = first, second
    return pe


def _pe_wrong(**switches):
    def wrong(T, d_model):
        with np.errstate(over="ignore", invalid="ignore"):
            return _pe(T, d_model, **switches)
    return wrong


PE_MISTAKES = [
    Mistake("sin と cos が逆です。偶数番目の次元（0, 2, 4, ...）が sin、奇数番目の次元（1, 3, 5, ...）が cos です。",
            _pe_wrong(swap=True)),
    Mistake("周波数の指数が違います。次元 2i と 2i+1 の組は同じ周波数 1/10000^(2i/d_model) を使います。"
            "次元の番号 j をそのまま 10000^(j/d_model) に使うと、奇数番目の次元の周波数がずれます。", _pe_wrong(exponent="j")),
    Mistake("周波数の指数が違います。指数は i/d_model ではなく 2i/d_model です（i は sin と cos の組の番号 0, 1, ..., d_model/2 - 1）。",
            _pe_wrong(exponent="i")),
    Mistake("pos を 10000^(2i/d_model) で<strong>割る</strong>ところを掛けています。角度は pos / 10000^(2i/d_model) です。",
            _pe_wrong(divide=False)),
    Mistake("位置が 1 から始まっています。pos は 0, 1, ..., T-1 です（PE[0] は sin が 0、cos が 1 になります）。",
            _pe_wrong(start=1)),
    Mistake("sin と cos を前半と後半に分けて並べています。このノートブックでは元論文と同じく、偶数番目の次元に sin、"
            "奇数番目の次元に cos を交互に並べます（pe[:, 0::2] = sin、pe[:, 1::2] = cos）。", _pe_wrong(halves=True)),
]
PE_CHECK = FunctionCheck(
    function="positional_encoding", reference=reference_positional_encoding, dtype="float", returns="array",
    rtol=1e-7, atol=1e-10,
    visible=[Case("T = 4, d_model = 6", (4, 6)), Case("T = 50, d_model = 8（遠い位置）", (50, 8))],
    cases=[Case("T = 10, d_model = 16", (10, 16)), Case("T = 1, d_model = 4", (1, 4)),
           Case("T = 100, d_model = 32", (100, 32)), Case("T = 7, d_model = 2", (7, 2))],
    mistakes=PE_MISTAKES, error_hints=[("could not be broadcast", "配列の形状が合っていません。sin を入れるのは "
                                        "pe[:, 0::2]、cos を入れるのは pe[:, 1::2] で、どちらも (T, d_model // 2) です。")])


# --------------------------------------------------------------------------- table
def _sdpa_class(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="ScaledDotProductAttention", reference=ReferenceScaledDotProductAttention,
                      scenarios=scenarios, visible=visible, mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL,
                      atol=ATOL, dtype="float", **kw)


def _mha_class(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="MultiHeadAttention", reference=ReferenceMultiHeadAttention, scenarios=scenarios,
                      visible=visible, mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL,
                      dtype="float", **kw)


ALL_ATTENTION_MISTAKES = ATTENTION_VALUE_MISTAKES + ATTENTION_MASK_MISTAKES


def _attention_prerequisite(of):
    return _attention_check(VALUE_VISIBLE + MASK_VISIBLE, VALUE_HIDDEN + MASK_HIDDEN, ALL_ATTENTION_MISTAKES,
                            prerequisite_of=of)


def _split_merge_prerequisite(of):
    return [replace(SPLIT_CHECK, prerequisite_of=of), replace(MERGE_CHECK, prerequisite_of=of)]


CHECKS = {
    "scaled_dot_product_attention_values": [
        _attention_check(VALUE_VISIBLE, VALUE_HIDDEN, ATTENTION_VALUE_MISTAKES)],
    "scaled_dot_product_attention_mask": [
        _attention_check(MASK_VISIBLE, MASK_HIDDEN, ALL_ATTENTION_MISTAKES)],
    "scaled_dot_product_attention_backward": [
        _attention_prerequisite("ScaledDotProductAttention"),
        _sdpa_class(SDPA_BACKWARD_HIDDEN, SDPA_BACKWARD_VISIBLE, BACKWARD_MISTAKES)],
    "split_merge_heads": [SPLIT_CHECK, MERGE_CHECK],
    "multi_head_attention_forward": [
        _attention_prerequisite("MultiHeadAttention"), *_split_merge_prerequisite("MultiHeadAttention"),
        _mha_class(MHA_FORWARD_HIDDEN, MHA_FORWARD_VISIBLE, MHA_FORWARD_MISTAKES)],
    "multi_head_attention_backward": [
        _attention_prerequisite("MultiHeadAttention"), *_split_merge_prerequisite("MultiHeadAttention"),
        _sdpa_class(SDPA_BACKWARD_HIDDEN, SDPA_BACKWARD_VISIBLE, BACKWARD_MISTAKES, prerequisite_of="MultiHeadAttention"),
        _mha_class(MHA_BACKWARD_HIDDEN, MHA_BACKWARD_VISIBLE, MHA_FORWARD_MISTAKES + MHA_BACKWARD_MISTAKES)],
    "positional_encoding_values": [PE_CHECK],
}
