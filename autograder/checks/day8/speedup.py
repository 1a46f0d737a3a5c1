"""Hidden checks of 8_7_speedup: a vectorised ``pairwise_squared_distances``.

Conventions stated in the notebook and tested here:
- ``pairwise_squared_distances(X, Y)``: ``X`` is (N, D), ``Y`` is (M, D) (float64, N, M, D ≥ 1); returns a new
  float64 array ``dist`` of shape (N, M) with ``dist[i, j] = Σ_k (X[i, k] - Y[j, k])²`` (squared, no square
  root), every value ≥ 0 (the matrix-product form clips rounding errors below zero with ``np.maximum(…, 0)``);
  ``X`` and ``Y`` are not modified.
- Written without Python loops: on X (150, 16), Y (150, 16) the function may take at most 30 times as long as
  the yardstick ``(X[:, None, :] - Y[None, :, :]).sum(axis=-1)`` timed in the same process (the matrix-product form
  takes about 0.1-0.5 times, broadcasting about 1-1.5 times, a loop over rows about 2-3 times, a double loop
  over all pairs about 100-1000 times). The yardstick allocates what the broadcasting answers allocate, so
  a sandbox where fresh memory is slow slows both alike.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake, Timing

NOTEBOOK = "8_7_speedup"


def reference_pairwise_squared_distances(X, Y):
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] - 2.0 * X @ Y.T
    return np.maximum(sq, 0.0)


def _exact(X, Y):
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2)


# ----------------------------------------------------------------------------- typical mistakes
def wrong_distance_not_squared(X, Y):
    return np.sqrt(_exact(X, Y))


def wrong_transposed(X, Y):
    return _exact(X, Y).T


def wrong_without_factor_two(X, Y):
    return np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] - X @ Y.T


def wrong_plus_cross_term(X, Y):
    return np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] + 2.0 * X @ Y.T


def wrong_norms_swapped(X, Y):
    # the squared norms of X broadcast along the wrong axis (only shapes N == M run)
    return np.sum(X ** 2, axis=1)[None, :] + np.sum(Y ** 2, axis=1)[:, None] - 2.0 * X @ Y.T


def wrong_row_pairs(X, Y):
    # row i of X with row i of Y only (the differences of the arrays as they are)
    return np.sum((X - Y) ** 2, axis=1)


def wrong_sum_over_everything(X, Y):
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2)


def wrong_plain_difference_sum(X, Y):
    return np.sum(X[:, None, :] - Y[None, :, :], axis=2) ** 2


MISTAKES = [
    Mistake("距離そのもの（平方根）を返しているようです。この関数は 2 乗距離を返します（np.sqrt は不要です）。",
            wrong_distance_not_squared),
    Mistake("行と列が入れ替わっているようです。dist[i, j] は X の i 行目と Y の j 行目の 2 乗距離で、形状は (N, M) です。",
            wrong_transposed),
    Mistake("展開した式の交差項の係数 2 が抜けているようです。‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y です。",
            wrong_without_factor_two),
    Mistake("交差項の符号が逆のようです。‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y（引き算）です。",
            wrong_plus_cross_term),
    Mistake("‖x‖² と ‖y‖² を足す向きが逆のようです。X の 2 乗ノルムは (N, 1)、Y の 2 乗ノルムは (1, M) の形にして足します。",
            wrong_norms_swapped),
    Mistake("X の i 行目と Y の i 行目の組だけを計算しているようです。X のすべての行と Y のすべての行の組み合わせ（(N, M) 個）が必要です。"
            "X[:, None, :] - Y[None, :, :] のようにブロードキャストします。", wrong_row_pairs),
    Mistake("すべての組の 2 乗距離を 1 つの数に足し合わせているようです。和は特徴の軸（axis=2 または axis=-1）だけでとります。",
            wrong_sum_over_everything),
    Mistake("差を足してから 2 乗しているようです。要素ごとに差を 2 乗してから、特徴の軸で和をとります。",
            wrong_plain_difference_sum),
]

ERROR_HINTS = [
    ("operands could not be broadcast", "形状が合っていません。X を (N, 1, D)、Y を (1, M, D) にしてから引き算するか、"
                                        "行列積 X @ Y.T（形状 (N, M)）を使ってください。"),
    ("matmul: Input operand 1 has a mismatch", "行列積の形が合っていません。X (N, D) と Y (M, D) の積は X @ Y.T です。"),
]

LOOP_HINT = ("ループで計算しているようです。for 文で 1 組ずつ（または 1 行ずつ）計算すると、numpy の 1 回の演算でまとめて計算するより"
             "何十〜何千倍も遅くなります。X[:, None, :] - Y[None, :, :] のブロードキャストか、"
             "‖x‖² + ‖y‖² − 2 X @ Y.T の行列積の形で、ループを使わずに計算してください。")

TIMING = Timing(label="大きな入力 X (150, 16), Y (150, 16) での実行時間", shapes=[(150, 16), (150, 16)],
                baseline="difference_sums", max_ratio=30.0, hint=LOOP_HINT, seed=8, repeat=10)


def _rng(seed):
    return np.random.default_rng(seed)


_g = _rng(87)
X_SMALL = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5]])
Y_SMALL = np.array([[1.0, 0.0], [0.0, -2.0]])
X_SQUARE = _g.standard_normal((4, 3))
Y_SQUARE = _g.standard_normal((4, 3))
X_ONE = np.array([[3.0, -1.0, 2.0]])
Y_ONE = np.array([[1.0, 1.0, 1.0]])
X_COLUMN = _g.standard_normal((5, 1))
Y_COLUMN = _g.standard_normal((3, 1))
X_WIDE = _g.standard_normal((6, 10)) * 3.0 + 5.0
Y_WIDE = _g.standard_normal((7, 10)) * 3.0 + 5.0
X_SAME = _g.standard_normal((3, 4))

VISIBLE = [
    Case("N = M の例 X (4, 3), Y (4, 3)", (X_SQUARE, Y_SQUARE)),
    Case("小さな例 X (3, 2), Y (2, 2)（手で計算できる値）", (X_SMALL, Y_SMALL)),
    Case("1 行ずつ X (1, 3), Y (1, 3)", (X_ONE, Y_ONE)),
]
HIDDEN = [
    Case("N = M の例 X (4, 3), Y (4, 3)", (X_SQUARE, Y_SQUARE)),
    Case("小さな例 X (3, 2), Y (2, 2)", (X_SMALL, Y_SMALL)),
    Case("特徴が 1 つ X (5, 1), Y (3, 1)", (X_COLUMN, Y_COLUMN)),
    Case("平均が 0 でない値 X (6, 10), Y (7, 10)", (X_WIDE, Y_WIDE)),
    Case("X と Y が同じ配列の値（対角は 0）", (X_SAME, X_SAME.copy())),
]


def _check(visible, cases, timing=None):
    return FunctionCheck(function="pairwise_squared_distances", reference=reference_pairwise_squared_distances,
                         dtype="float", returns="array", rtol=1e-7, atol=1e-8, visible=visible, cases=cases,
                         mistakes=MISTAKES, error_hints=ERROR_HINTS, timing=timing)


CHECKS = {
    "pairwise_squared_distances_values": [_check(VISIBLE, HIDDEN)],
    "pairwise_squared_distances_vectorized": [_check(VISIBLE[:1], HIDDEN[3:4], TIMING)],
}
