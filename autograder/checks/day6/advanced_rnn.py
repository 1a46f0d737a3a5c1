"""Hidden checks of 6_5_advanced_rnn: content-based addressing of an external memory (the read of a Neural
Turing Machine head).

Conventions stated in the notebook and tested here (the reference is ``course.memory``):
- ``M`` is the memory (B, N, W), ``k`` the key (B, W), ``beta`` a non-negative float, ``eps=1e-8``; float64.
- ``cosine_similarity(M, k, eps=1e-8)`` -> (B, N): ``M[b, n] · k[b] / (‖M[b, n]‖ * ‖k[b]‖ + eps)``: eps is
  added once, to the product of the two norms (not to each norm, not inside the square root), so a zero
  row or a zero key gives 0 without a warning.
- ``content_addressing(M, k, beta, eps=1e-8)`` -> (B, N): ``softmax(beta * cos)`` over the N rows (axis 1),
  each row of the result sums to 1; beta multiplies the similarities before the softmax; the maximum is
  subtracted first, so a large beta gives no overflow warning.
- ``content_read(M, k, beta, eps=1e-8)`` -> (B, W): ``r[b] = Σ_n w[b, n] * M[b, n, :]`` (``w[b] @ M[b]``).
- ``content_read_backward(M, k, beta, dr, eps=1e-8)`` -> ``(dM, dk)`` of shapes (B, N, W), (B, W): the gradients of
  ``L = Σ r · dr`` through all three steps (the direct path of the weighted sum, the softmax with beta, and the cosine
  similarity including the norms in its denominator ``q = ‖M[b, n]‖ ‖k[b]‖ + eps``, eps kept in the backward too);
  no row of ``M`` and no key is the zero vector; beta is a constant (no gradient).
- No argument is modified.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.memory import EPS, content_addressing as reference_addressing, content_read as reference_read
from course.memory import content_read_backward as reference_read_backward
from course.memory import cosine_similarity as reference_cosine

NOTEBOOK = "6_5_advanced_rnn"

RTOL, ATOL = 1e-9, 1e-12


# --------------------------------------------------------------------------- typical mistakes
def _cos_no_eps(M, k, eps=EPS):
    return np.einsum("bnw,bw->bn", M, k) / (np.linalg.norm(M, axis=2) * np.linalg.norm(k, axis=1)[:, None])


def _cos_eps_each_norm(M, k, eps=EPS):
    return np.einsum("bnw,bw->bn", M, k) / ((np.linalg.norm(M, axis=2) + eps) * (np.linalg.norm(k, axis=1)[:, None] + eps))


def _cos_eps_in_sqrt(M, k, eps=EPS):
    nm = np.sqrt(np.sum(M ** 2, axis=2) + eps)
    nk = np.sqrt(np.sum(k ** 2, axis=1) + eps)
    return np.einsum("bnw,bw->bn", M, k) / (nm * nk[:, None])


def _cos_norm_wrong_axis(M, k, eps=EPS):
    nm = np.linalg.norm(M, axis=1)  # (B, W): the norm over the rows instead of within a row
    dots = np.einsum("bnw,bw->bn", M / (nm[:, None, :] + eps), k)
    return dots / (np.linalg.norm(k, axis=1)[:, None] + eps)


def _cos_key_not_normalised(M, k, eps=EPS):
    return np.einsum("bnw,bw->bn", M, k) / (np.linalg.norm(M, axis=2) + eps)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _addr_beta_after(M, k, beta, eps=EPS):
    return beta * _softmax(reference_cosine(M, k, eps), 1)


def _addr_wrong_axis(M, k, beta, eps=EPS):
    return _softmax(beta * reference_cosine(M, k, eps), 0)


def _addr_whole_array(M, k, beta, eps=EPS):
    s = beta * reference_cosine(M, k, eps)
    e = np.exp(s - s.max())
    return e / e.sum()


def _addr_no_shift(M, k, beta, eps=EPS):
    e = np.exp(beta * reference_cosine(M, k, eps))
    return e / e.sum(axis=1, keepdims=True)


def _addr_no_beta(M, k, beta, eps=EPS):
    return _softmax(reference_cosine(M, k, eps), 1)


def _read_transposed(M, k, beta, eps=EPS):
    return np.einsum("bn,bwn->bw", reference_addressing(M, k, beta, eps), M)  # M[b].T @ w[b] would need N == W


def _read_sum_within_rows(M, k, beta, eps=EPS):
    return np.sum(reference_addressing(M, k, beta, eps)[:, :, None] * M, axis=2)


def _read_similarity_weights(M, k, beta, eps=EPS):
    return np.einsum("bn,bnw->bw", reference_cosine(M, k, eps), M)


COSINE_MISTAKES = [
    Mistake("eps を使っていないため、0 ベクトルの行（またはキー）で 0 / 0 になり nan と警告が出ます。"
            "分母は ‖M[b, n]‖ * ‖k[b]‖ + eps です。", _cos_no_eps),
    Mistake("eps を足す場所が違います。このノートブックでは 2 つのノルムの積に 1 回だけ足します: "
            "(‖M[b, n]‖ * ‖k[b]‖ + eps)。(‖M‖ + eps) * (‖k‖ + eps) ではノルムが小さいときに値が変わります。", _cos_eps_each_norm),
    Mistake("eps を足す場所が違います。平方根の中ではなく、2 つのノルムの積に足します: "
            "np.linalg.norm(M, axis=2) * np.linalg.norm(k, axis=1)[:, None] + eps。", _cos_eps_in_sqrt),
    Mistake("メモリのノルムをとる軸が違います。‖M[b, n]‖ は 1 つの行（W 個の数）の長さなので axis=2 です"
            "（axis=1 は N 個の行をまたいでしまいます）。", _cos_norm_wrong_axis),
    Mistake("キー k のノルムで割っていません。コサイン類似度は内積を 2 つのノルムの積で割ります。", _cos_key_not_normalised),
]
ADDRESSING_MISTAKES = [
    Mistake("β を softmax の後に掛けています。β は類似度に掛けてから softmax に渡します: softmax(β * cos)。"
            "後から掛けると重みの和が 1 になりません。", _addr_beta_after),
    Mistake("softmax をとる軸が違います。重みは各系列 b ごとに N 個の行について正規化します（axis=1、各行の和が 1）。",
            _addr_wrong_axis),
    Mistake("softmax を配列全体でとっています。重みは各系列 b ごとに N 個の行について正規化します（axis=1, keepdims=True）。",
            _addr_whole_array),
    Mistake("softmax の前に最大値を引いていないため、β が大きいと np.exp がオーバーフローします。"
            "各系列の最大値（axis=1, keepdims=True）を引いてから np.exp をとります。", _addr_no_shift),
    Mistake("β を掛けていません。重みは softmax(β * cos) です。", _addr_no_beta),
]
READ_MISTAKES = [
    Mistake("読み出しの積の向きが違います。r[b] = w[b] @ M[b]（(N,) と (N, W) の積、行の重み付き和）で、"
            "M[b] を転置した M[b].T @ w[b] のような積ではありません。", _read_transposed),
    Mistake("和をとる軸が違います。読み出しは N 個の行についての重み付き和 Σ_n w[b, n] * M[b, n, :] で、"
            "結果は (B, W) です（w[:, :, None] * M を axis=1 で足します）。", _read_sum_within_rows),
    Mistake("softmax の重み w ではなくコサイン類似度そのものを重みに使っています。r は content_addressing の重みで作ります。",
            _read_similarity_weights),
]



def _backward_parts(M, k, beta, dr, eps=EPS):
    """The pieces of the backward every variant below shares: norms, similarities, weights and dw."""
    norm_M = np.linalg.norm(M, axis=2)
    norm_k = np.linalg.norm(k, axis=1)[:, None]
    dots = np.einsum("bnw,bw->bn", M, k)
    K = dots / (norm_M * norm_k + eps)
    w = _softmax(beta * K, 1)
    dw = np.einsum("bw,bnw->bn", dr, M)
    return norm_M, norm_k, dots, K, w, dw


def _read_backward_variant(M, k, beta, dr, eps=EPS, *, direct=True, norm_path=True, softmax="right", q="right"):
    """The notebook's formula dM = w dr + (dK/q)(k - K‖k‖M/‖M‖), dk = Σ_n (dK/q)(M - K‖M‖k/‖k‖) with one part changed."""
    norm_M, norm_k, dots, K, w, dw = _backward_parts(M, k, beta, dr, eps)
    if softmax == "right":
        dK = beta * w * (dw - np.sum(w * dw, axis=1, keepdims=True))
    elif softmax == "no subtraction":
        dK = beta * w * dw
    else:  # "no beta"
        dK = w * (dw - np.sum(w * dw, axis=1, keepdims=True))
    den = {"right": norm_M * norm_k + eps, "no eps": norm_M * norm_k,
           "each norm": (norm_M + eps) * (norm_k + eps)}[q]
    g = dK / den
    if norm_path:
        dM = g[:, :, None] * (k[:, None, :] - (K * norm_k / norm_M)[:, :, None] * M)
        dk = np.sum(g[:, :, None] * (M - (K * norm_M / norm_k)[:, :, None] * k[:, None, :]), axis=1)
    else:
        dM = g[:, :, None] * k[:, None, :]
        dk = np.einsum("bn,bnw->bw", g, M)
    if direct:
        dM = dM + w[:, :, None] * dr[:, None, :]
    return dM, dk


def _bw_no_norm_path(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, norm_path=False)


def _bw_no_direct(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, direct=False)


def _bw_softmax_no_subtraction(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, softmax="no subtraction")


def _bw_softmax_no_beta(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, softmax="no beta")


def _bw_eps_dropped(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, q="no eps")


def _bw_eps_each_norm(M, k, beta, dr, eps=EPS):
    return _read_backward_variant(M, k, beta, dr, eps, q="each norm")


READ_BACKWARD_MISTAKES = [
    Mistake("コサイン類似度の分母（ノルム）を通る経路を忘れています。K = (M[b, n]·k[b]) / q の q = ‖M[b, n]‖‖k[b]‖ + eps も "
            "M と k で変わるので、dM[b, n] には -(dK/q)·K·‖k‖·M[b, n]/‖M[b, n]‖、dk には -Σ_n (dK/q)·K·‖M[b, n]‖·k/‖k‖ "
            "の項が加わります。", _bw_no_norm_path),
    Mistake("重み付き和 r = Σ_n w[b, n] M[b, n] から M への直接の経路を忘れています。dM には w[b, n] * dr[b] も足します"
            "（M は重み w を通る経路と、読み出す値そのものの 2 か所で使われています）。", _bw_no_direct),
    Mistake("softmax の逆伝播が違います。dK = β * w * (dw - Σ_j w_j dw_j) で、和 Σ_j w_j dw_j を引く項が必要です"
            "（softmax は 1 つのスコアが変わると N 個の重みすべてが変わります）。", _bw_softmax_no_subtraction),
    Mistake("softmax に入るスコアは β * K なので、dK には β を掛けます: dK = β * w * (dw - Σ_j w_j dw_j)。",
            _bw_softmax_no_beta),
    Mistake("逆伝播で eps を落としています。順伝播と同じ q = ‖M[b, n]‖‖k[b]‖ + eps で割ります（ノルムがとても小さいときに"
            "値が大きく変わります）。", _bw_eps_dropped),
    Mistake("逆伝播で eps を足す場所が違います。q = ‖M[b, n]‖‖k[b]‖ + eps（2 つのノルムの積に 1 回だけ）で、"
            "(‖M‖ + eps)(‖k‖ + eps) ではありません。", _bw_eps_each_norm),
]

ERROR_HINTS = [
    ("einstein sum", "einsum の添字と配列の形が合っていません。M は (B, N, W)、k は (B, W)、w は (B, N) です。"),
    ("could not be broadcast", "配列の形状が合っていません。M は (B, N, W)、k は (B, W)、類似度と重み w は (B, N)、"
                               "読み出し r は (B, W) です。keepdims=True や [:, None] で軸をそろえてください。"),
    ("matmul", "行列の積の形が合っていません。系列ごとに w[b] (N,) と M[b] (N, W) の積をとると (W,) になります。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(6500)

# visible: readable numbers
v_M = np.array([[[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]],
                [[-1.0, 1.0], [2.0, 2.0], [0.5, -0.5]]])  # B = 2, N = 3, W = 2
v_k = np.array([[1.0, 1.0], [0.0, 2.0]])
v_M_zero = np.array([[[0.0, 0.0], [1.0, 2.0], [-2.0, 1.0]]])  # a zero row
v_k_zero = np.array([[0.0, 0.0], [1.0, -1.0]])
v_M_small = v_M * 1e-4
v_k_small = v_k * 1e-4
v_M_sq = np.array([[[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [2.0, 0.5, 1.0]],
                   [[0.5, 0.0, -1.0], [1.0, 1.0, 1.0], [-2.0, 1.0, 0.0]]])  # N = W = 3
v_k_sq = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]])

# hidden: random
h_M = rng.normal(size=(3, 5, 4))
h_k = rng.normal(size=(3, 4))
h_M1 = rng.normal(size=(1, 6, 3))
h_k1 = rng.normal(size=(1, 3))
h_M_sq = rng.normal(size=(2, 4, 4))
h_k_sq = rng.normal(size=(2, 4))
h_M_zero = h_M.copy()
h_M_zero[1, 2] = 0.0
h_k_zero = h_k.copy()
h_k_zero[2] = 0.0


def _check(function, reference, visible, cases, mistakes, prerequisite_of=""):
    return FunctionCheck(function=function, reference=reference, visible=visible, cases=cases, mistakes=mistakes,
                         error_hints=ERROR_HINTS, dtype="float", returns="array", rtol=RTOL, atol=ATOL,
                         prerequisite_of=prerequisite_of)


COSINE_VISIBLE = [
    Case("B = 2, N = 3, W = 2 のメモリとキー", (v_M, v_k)),
    Case("0 ベクトルの行と 0 ベクトルのキーを含む（警告が出ないこと）", (np.concatenate([v_M_zero, v_M_zero * -1]), v_k_zero),
         forbid_warnings=True),
    Case("ノルムがとても小さい（1e-4 倍）メモリとキー", (v_M_small, v_k_small)),
]
COSINE_HIDDEN = [
    Case("B = 3, N = 5, W = 4 の乱数", (h_M, h_k)),
    Case("B = 1, N = 6, W = 3 の乱数", (h_M1, h_k1)),
    Case("0 ベクトルの行とキーを含む乱数（警告が出ないこと）", (h_M_zero, h_k_zero), forbid_warnings=True),
    Case("ノルムがとても小さい乱数", (h_M * 1e-4, h_k * 1e-4)),
]
ADDRESSING_VISIBLE = [
    Case("B = 2, N = 3, W = 2、β = 2", (v_M, v_k, 2.0)),
    Case("β = 0（一様な重み）", (v_M, v_k, 0.0)),
    Case("β = 1000（鋭い重み、警告が出ないこと）", (v_M, v_k, 1000.0), forbid_warnings=True),
]
ADDRESSING_HIDDEN = [
    Case("B = 3, N = 5, W = 4 の乱数、β = 5", (h_M, h_k, 5.0)),
    Case("B = 1, N = 6, W = 3 の乱数、β = 0.5", (h_M1, h_k1, 0.5)),
    Case("0 ベクトルを含む乱数、β = 3（警告が出ないこと）", (h_M_zero, h_k_zero, 3.0), forbid_warnings=True),
    Case("β = 2000 の乱数（警告が出ないこと）", (h_M, h_k, 2000.0), forbid_warnings=True),
]
READ_VISIBLE = [
    Case("B = 2, N = W = 3、β = 2", (v_M_sq, v_k_sq, 2.0)),
    Case("B = 2, N = 3, W = 2、β = 5", (v_M, v_k, 5.0)),
]
READ_HIDDEN = [
    Case("B = 2, N = W = 4 の乱数、β = 3", (h_M_sq, h_k_sq, 3.0)),
    Case("B = 3, N = 5, W = 4 の乱数、β = 10", (h_M, h_k, 10.0)),
    Case("B = 1, N = 6, W = 3 の乱数、β = 1", (h_M1, h_k1, 1.0)),
]

# no zero rows and no zero keys here: the norm has no derivative at 0 (the prose says so)
v_dr = np.array([[0.5, -1.0], [2.0, 0.3]])
v_dr_sq = np.array([[1.0, -0.5, 0.2], [-0.3, 0.8, 1.5]])
h_dr = rng.normal(size=(3, 4))
h_dr1 = rng.normal(size=(1, 3))
h_dr_sq = rng.normal(size=(2, 4))
READ_BACKWARD_VISIBLE = [
    Case("B = 2, N = 3, W = 2、β = 2", (v_M, v_k, 2.0, v_dr)),
    Case("B = 2, N = W = 3、β = 5", (v_M_sq, v_k_sq, 5.0, v_dr_sq)),
    Case("ノルムがとても小さい（1e-4 倍）メモリとキー、β = 2", (v_M_small, v_k_small, 2.0, v_dr)),
    Case("β = 0（一様な重み: M への直接の経路だけが残る）", (v_M, v_k, 0.0, v_dr)),
]
READ_BACKWARD_HIDDEN = [
    Case("B = 3, N = 5, W = 4 の乱数、β = 3", (h_M, h_k, 3.0, h_dr)),
    Case("B = 1, N = 6, W = 3 の乱数、β = 0.7", (h_M1, h_k1, 0.7, h_dr1)),
    Case("B = 2, N = W = 4 の乱数、β = 10", (h_M_sq, h_k_sq, 10.0, h_dr_sq)),
    Case("ノルムがとても小さい乱数、β = 4", (h_M * 1e-4, h_k * 1e-4, 4.0, h_dr)),
    Case("β = 0 の乱数", (h_M, h_k, 0.0, h_dr)),
]


def _tuple_check(function, reference, visible, cases, mistakes):
    # rtol 1e-6: at ordinary norms eps changes the gradients by about 1e-8 (relative); the cases with norms near 1e-4
    # are the ones that tell where eps sits
    return FunctionCheck(function=function, reference=reference, visible=visible, cases=cases, mistakes=mistakes,
                         error_hints=ERROR_HINTS, dtype="float", returns="auto", rtol=1e-6, atol=1e-9)


CHECKS = {
    "cosine_similarity_values": [
        _check("cosine_similarity", reference_cosine, COSINE_VISIBLE, COSINE_HIDDEN, COSINE_MISTAKES)],
    "content_addressing_values": [
        _check("cosine_similarity", reference_cosine, COSINE_VISIBLE, COSINE_HIDDEN, COSINE_MISTAKES,
               prerequisite_of="content_addressing"),
        _check("content_addressing", reference_addressing, ADDRESSING_VISIBLE, ADDRESSING_HIDDEN, ADDRESSING_MISTAKES)],
    "content_read_values": [
        _check("content_addressing", reference_addressing, ADDRESSING_VISIBLE, ADDRESSING_HIDDEN, ADDRESSING_MISTAKES,
               prerequisite_of="content_read"),
        _check("content_read", reference_read, READ_VISIBLE, READ_HIDDEN, READ_MISTAKES)],
    "content_read_backward_values": [
        _check("cosine_similarity", reference_cosine, COSINE_VISIBLE, COSINE_HIDDEN, COSINE_MISTAKES,
               prerequisite_of="content_read_backward"),
        _check("content_addressing", reference_addressing, ADDRESSING_VISIBLE, ADDRESSING_HIDDEN, ADDRESSING_MISTAKES,
               prerequisite_of="content_read_backward"),
        _tuple_check("content_read_backward", reference_read_backward, READ_BACKWARD_VISIBLE, READ_BACKWARD_HIDDEN,
                     READ_BACKWARD_MISTAKES)],
}
