"""Hidden checks of 1_9_loss_function: the book's two loss functions and the Keras list, in numpy.

Conventions stated in the notebook and tested here (argument order as in the book: ``y`` is the
network's output, ``t`` the target; Keras uses the opposite order ``(y_true, y_pred)``):
- 1-D inputs are one sample, 2-D inputs ``(N, n)`` a batch (one row per sample).
- ``sum_squared_error``: ``0.5 * sum((y - t) ** 2)`` over *all* elements (the book's version, no batch
  averaging).
- ``cross_entropy_error``: the book's version: 1-D → reshape to ``(1, n)``; one-hot ``t`` (same size
  as ``y``) → argmax; ``-sum(log(y[arange(N), t] + 1e-7)) / N``.
- Keras-style losses: reduce the last axis per sample (mean for element-wise losses, sum for
  distribution losses), then the mean over the batch; return a scalar. ``EPS = 1e-7``.
"""

import numpy as np

from autograder.checks.references import cross_entropy_error as reference_cross_entropy_error
from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_9_loss_function"
EPS = 1e-7


# ---------------------------------------------------------------- references

def _f(a):
    return np.asarray(a, dtype=np.float64)


def _batch_mean(per_sample):
    """Mean over the batch of per-sample values (a 0-d value for one sample)."""
    return float(np.mean(per_sample))


def reference_sum_squared_error(y, t):
    return float(0.5 * np.sum((_f(y) - _f(t)) ** 2))


def reference_mean_squared_error(y, t):
    return _batch_mean(np.mean((_f(y) - _f(t)) ** 2, axis=-1))


def reference_mean_absolute_error(y, t):
    return _batch_mean(np.mean(np.abs(_f(y) - _f(t)), axis=-1))


def reference_mean_absolute_percentage_error(y, t):
    y, t = _f(y), _f(t)
    diff = np.abs((t - y) / np.maximum(np.abs(t), EPS))
    return _batch_mean(100.0 * np.mean(diff, axis=-1))


def reference_mean_squared_logarithmic_error(y, t):
    y, t = _f(y), _f(t)
    first = np.log(np.maximum(y, EPS) + 1.0)
    second = np.log(np.maximum(t, EPS) + 1.0)
    return _batch_mean(np.mean((first - second) ** 2, axis=-1))


def reference_hinge(y, t):
    return _batch_mean(np.mean(np.maximum(1.0 - _f(t) * _f(y), 0.0), axis=-1))


def reference_squared_hinge(y, t):
    return _batch_mean(np.mean(np.maximum(1.0 - _f(t) * _f(y), 0.0) ** 2, axis=-1))


def reference_binary_crossentropy(y, t):
    y, t = _f(y), _f(t)
    y = np.clip(y, EPS, 1.0 - EPS)
    return _batch_mean(np.mean(-(t * np.log(y) + (1.0 - t) * np.log(1.0 - y)), axis=-1))


def _normalize_clip(y):
    y = _f(y)
    y = y / np.sum(y, axis=-1, keepdims=True)
    return np.clip(y, EPS, 1.0 - EPS)


def reference_categorical_crossentropy(y, t):
    return _batch_mean(-np.sum(_f(t) * np.log(_normalize_clip(y)), axis=-1))


def reference_sparse_categorical_crossentropy(y, t):
    p = _normalize_clip(y)
    if p.ndim == 1:
        return float(-np.log(p[int(np.asarray(t).reshape(-1)[0])]))
    t = np.asarray(t).reshape(-1).astype(np.int64)
    return _batch_mean(-np.log(p[np.arange(p.shape[0]), t]))


def reference_kl_divergence(y, t):
    y = np.clip(_f(y), EPS, 1.0)
    t = np.clip(_f(t), EPS, 1.0)
    return _batch_mean(np.sum(t * np.log(t / y), axis=-1))


def reference_poisson(y, t):
    y, t = _f(y), _f(t)
    return _batch_mean(np.mean(y - t * np.log(y + EPS), axis=-1))


def _l2_normalize(x):
    x = _f(x)
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))


def reference_cosine_similarity(y, t):
    return _batch_mean(-np.sum(_l2_normalize(y) * _l2_normalize(t), axis=-1))


# ---------------------------------------------------------------- inputs

rng = np.random.default_rng(1900)


def _softmax_rows(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _one_hot(labels, n):
    out = np.zeros((len(labels), n))
    out[np.arange(len(labels)), labels] = 1.0
    return out


BOOK_Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
BOOK_T = np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
BOOK_T7 = np.roll(BOOK_T, 5)  # correct class 7

P_4x5 = _softmax_rows(rng.normal(size=(4, 5)))
L_4 = np.array([1, 4, 0, 2])
T_4x5 = _one_hot(L_4, 5)
P_3x3 = _softmax_rows(rng.normal(size=(3, 3)))
L_3 = np.array([2, 0, 1])
P_ZERO_TARGET = np.array([[0.0, 0.3, 0.7], [0.2, 0.5, 0.3]])  # the correct class of row 0 has probability 0
L_ZERO_TARGET = np.array([0, 1])

R_Y_3x4 = rng.normal(size=(3, 4))
R_T_3x4 = rng.normal(size=(3, 4))
R_Y_6 = rng.normal(size=6)
R_T_6 = rng.normal(size=6)
ONE_DIFF_Y = np.zeros((3, 4))
ONE_DIFF_T = np.zeros((3, 4))
ONE_DIFF_T[1, 2] = 2.0

POS_Y_3x4 = rng.uniform(0.5, 5.0, size=(3, 4))
POS_T_3x4 = rng.uniform(0.5, 5.0, size=(3, 4))

SIGN_T_3x4 = np.where(rng.random(size=(3, 4)) < 0.5, -1.0, 1.0)
SCORE_3x4 = rng.normal(size=(3, 4)) * 1.5

PROB_3x2 = rng.uniform(0.05, 0.95, size=(3, 2))
BIN_3x2 = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])

COUNT_T_3x4 = rng.poisson(3.0, size=(3, 4)).astype(np.float64)
RATE_Y_3x4 = rng.uniform(0.5, 6.0, size=(3, 4))

VEC_Y_4x3 = rng.normal(size=(4, 3))
VEC_T_4x3 = rng.normal(size=(4, 3))


# ---------------------------------------------------------------- mistakes

def _reduce_like(per_sample_fn):
    """Wrap a per-element function into several typical wrong reductions."""
    def total(y, t):
        return float(np.sum(per_sample_fn(_f(y), _f(t))))

    def per_sample(y, t):
        return np.mean(per_sample_fn(_f(y), _f(t)), axis=-1)

    def sum_then_mean(y, t):
        return float(np.mean(np.sum(per_sample_fn(_f(y), _f(t)), axis=-1)))

    return total, per_sample, sum_then_mean


def _elementwise_mistakes(per_element):
    total, per_sample, sum_then_mean = _reduce_like(per_element)
    return [
        Mistake("サンプルの中で合計（sum）しています。この関数はサンプルの中でも平均（mean）をとります。", sum_then_mean),
        Mistake("平均ではなく合計になっています。サンプルごとに最後の軸で平均し、さらにバッチで平均します（np.mean）。", total),
        Mistake("サンプルごとの値を配列のまま返しています。バッチで平均して 1 つの数（スカラー）にしてください。", per_sample),
    ]


def _one_element(reference):
    """The right value in an array of shape (1,) (keepdims=True or np.atleast_2d left in place)."""
    return lambda y, t: np.array([reference(y, t)])


ONE_ELEMENT_HINT = ("形状 (1,) の配列（要素 1 個）を返しています。keepdims=True や np.atleast_2d / reshape(1, -1) "
                    "のまま平均すると軸が 1 つ残ります。np.mean(...) や float(...) で 1 つの数（スカラー）にしてください。")


def _with_one_element(mistakes, reference):
    return list(mistakes) + [Mistake(ONE_ELEMENT_HINT, _one_element(reference))]


SSE_MISTAKES = [
    Mistake("0.5 を掛け忘れています。2 乗和誤差は 0.5 * Σ(y - t)² です。", lambda y, t: float(np.sum((y - t) ** 2))),
    Mistake("合計ではなく平均をとっています。本の 2 乗和誤差は 0.5 * np.sum((y - t)**2) です。",
            lambda y, t: float(0.5 * np.mean((y - t) ** 2))),
    Mistake("バッチの大きさで割っています。このノートブックの sum_squared_error は本と同じで、バッチでも全要素の合計です。",
            lambda y, t: float(0.5 * np.sum((y - t) ** 2) / (y.shape[0] if y.ndim == 2 else 1))),
    Mistake("差を 2 乗していません。", lambda y, t: float(0.5 * np.sum(np.abs(y - t)))),
]


def _cee_no_eps(y, t):
    y, t = _f(y), np.asarray(t)
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return float(-np.sum(np.log(y[np.arange(y.shape[0]), t.reshape(-1)])) / y.shape[0])


def _cee_one_hot_no_eps(y, t):
    y, t = np.atleast_2d(_f(y)), np.atleast_2d(_f(t))
    if t.shape != y.shape:
        raise ValueError("one-hot labels only")
    return float(-np.sum(t * np.log(y)) / y.shape[0])


def _cee_sum(y, t):
    return reference_cross_entropy_error(y, t) * (_f(y).shape[0] if _f(y).ndim == 2 else 1)


def _cee_mean_all(y, t):
    return reference_cross_entropy_error(y, t) / _f(y).shape[-1]


def _cee_no_reshape(y, t):
    y, t = _f(y), np.asarray(t)
    if t.size == y.size:
        t = t.argmax(axis=-1)
    batch_size = y.shape[0]
    picked = y[np.arange(batch_size), t] if y.ndim == 2 else y[t]
    return float(-np.sum(np.log(picked + 1e-7)) / batch_size)


def _cee_index_only(y, t):
    y, t = _f(y), np.asarray(t)
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    return float(-np.sum(np.log(y[np.arange(y.shape[0]), t.astype(np.int64)] + 1e-7)) / y.shape[0])


def _cee_one_hot_only(y, t):
    y, t = _f(y), _f(t)
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    return float(-np.sum(t * np.log(y + 1e-7)) / y.shape[0])


CEE_MISTAKES = [
    Mistake("log の中に小さな値 delta = 1e-7 を足していないため、y = 0 のところで log(0) = -inf になっています。"
            "np.log(y + 1e-7) としてください。", _cee_no_eps),
    Mistake("マイナスを付け忘れています。交差エントロピー誤差は -Σ t log y で、0 以上の値になります。",
            lambda y, t: -reference_cross_entropy_error(y, t)),
    Mistake("log の中に delta = 1e-7 を足していないため、y = 0 のところで log(0) = -inf になり、"
            "0 × (-inf) が nan になっています。np.log(y + 1e-7) としてください。", _cee_one_hot_no_eps),
    Mistake("バッチの大きさ N で割っていません。交差エントロピー誤差はバッチで平均します。", _cee_sum),
    Mistake("1 サンプルなのに要素数（クラス数）で割ってしまっています。1 次元の入力は y.reshape(1, y.size)、"
            "t.reshape(1, t.size) としてバッチの大きさ 1 として扱い、割るのはバッチの大きさだけにします。",
            _cee_no_reshape),
    Mistake("全要素の数（N × クラス数）で割っています。割るのはバッチの大きさ N だけです。", _cee_mean_all),
    Mistake("t が one-hot 表現のときに対応していません。t.size == y.size なら t.argmax(axis=1) でクラス番号に直します。",
            _cee_index_only),
    Mistake("t がクラス番号（整数の配列）のときに対応していません。y[np.arange(batch_size), t] で正解クラスの確率を取り出します。",
            _cee_one_hot_only),
    Mistake("自然対数ではなく常用対数（log10）を使っています。np.log を使ってください。",
            lambda y, t: reference_cross_entropy_error(y, t) / np.log(10.0)),
]

MSE_MISTAKES = _elementwise_mistakes(lambda y, t: (y - t) ** 2) + [
    Mistake("0.5 を掛けています。mean_squared_error は 0.5 を掛けない mean((y - t)**2) です。",
            lambda y, t: 0.5 * reference_mean_squared_error(y, t)),
    Mistake("平方根をとっています（それは RMSE です）。", lambda y, t: float(np.sqrt(reference_mean_squared_error(y, t)))),
    Mistake("絶対値の平均（MAE）になっています。差を 2 乗してください。", reference_mean_absolute_error),
]

MAE_MISTAKES = _elementwise_mistakes(lambda y, t: np.abs(y - t)) + [
    Mistake("差の絶対値をとっていないため、正と負の誤差が打ち消し合っています。np.abs を使ってください。",
            lambda y, t: float(np.mean(_f(y) - _f(t)))),
    Mistake("差を 2 乗しています（それは MSE です）。MAE は絶対値の平均です。", reference_mean_squared_error),
]

MAPE_MISTAKES = _elementwise_mistakes(lambda y, t: 100.0 * np.abs((t - y) / np.maximum(np.abs(t), EPS))) + [
    Mistake("100 を掛け忘れています。MAPE はパーセント（%）で表すので 100 倍します。",
            lambda y, t: reference_mean_absolute_percentage_error(y, t) / 100.0),
    Mistake("予測 y の大きさで割っています。割るのは正解 t の大きさ max(|t|, eps) です（Keras とは引数の順番が逆なことに注意）。",
            lambda y, t: reference_mean_absolute_percentage_error(t, y)),
    Mistake("0 で割らないための max(|t|, 1e-7) を使っていないため、t = 0 のところで inf になっています。",
            lambda y, t: float(100.0 * np.mean(np.abs((_f(t) - _f(y)) / np.abs(_f(t)))))),
    Mistake("t の絶対値で割っていません。t が負のとき符号が変わってしまいます。分母は max(|t|, eps) です。",
            lambda y, t: float(100.0 * np.mean(np.abs(_f(t) - _f(y)) / np.maximum(_f(t), EPS)))),
    Mistake("差 (t - y) の絶対値をとっていないため、大きく予測した誤差と小さく予測した誤差が打ち消し合っています。"
            "|t - y| / max(|t|, eps) のように、比の全体を絶対値にしてください。",
            lambda y, t: _batch_mean(100.0 * np.mean((_f(t) - _f(y)) / np.maximum(np.abs(_f(t)), EPS), axis=-1))),
    Mistake("誤差の合計を正解の合計で割っています（比の平均ではなく、平均の比になっています）。"
            "要素ごとに |t - y| / max(|t|, eps) を計算してから平均してください。",
            lambda y, t: float(100.0 * np.mean(np.abs(_f(t) - _f(y))) / max(float(np.mean(np.abs(_f(t)))), EPS))),
]

MSLE_MISTAKES = _elementwise_mistakes(
    lambda y, t: (np.log(np.maximum(y, EPS) + 1.0) - np.log(np.maximum(t, EPS) + 1.0)) ** 2) + [
    Mistake("log の中で 1 を足していません。MSLE は log(y + 1) と log(t + 1) の差を使います（0 のときも有限になるように）。",
            lambda y, t: float(np.mean((np.log(np.maximum(_f(y), EPS)) - np.log(np.maximum(_f(t), EPS))) ** 2))),
    Mistake("y と t を max(・, 1e-7) で 0 以上にしていません。負の予測があると log(y + 1) が -inf や nan になります。",
            lambda y, t: float(np.mean((np.log(_f(y) + 1.0) - np.log(_f(t) + 1.0)) ** 2))),
    Mistake("差を 2 乗していません。", lambda y, t: float(np.mean(np.abs(np.log(np.maximum(_f(y), EPS) + 1.0)
                                                                 - np.log(np.maximum(_f(t), EPS) + 1.0))))),
]

HINGE_MISTAKES = _elementwise_mistakes(lambda y, t: np.maximum(1.0 - t * y, 0.0)) + [
    Mistake("0 との max をとっていません。正しく分類できている（t * y >= 1）ところの損失は 0 です: np.maximum(1 - t * y, 0)。",
            lambda y, t: float(np.mean(1.0 - _f(t) * _f(y)))),
    Mistake("ラベルを 0/1 だと思って変換しています。このノートブックでは t は最初から -1 か 1 です。",
            lambda y, t: reference_hinge(y, 2.0 * _f(t) - 1.0)),
    Mistake("2 乗しています（それは squared_hinge です）。", reference_squared_hinge),
]

SQUARED_HINGE_MISTAKES = _elementwise_mistakes(lambda y, t: np.maximum(1.0 - t * y, 0.0) ** 2) + [
    Mistake("2 乗していません（それは hinge です）。", reference_hinge),
    Mistake("0 との max をとる前に 2 乗しています。正しく分類できているところも損失が正になってしまいます。"
            "np.maximum(1 - t * y, 0) ** 2 の順です。", lambda y, t: float(np.mean((1.0 - _f(t) * _f(y)) ** 2))),
    Mistake("ラベルを 0/1 だと思って変換しています。このノートブックでは t は最初から -1 か 1 です。",
            lambda y, t: reference_squared_hinge(y, 2.0 * _f(t) - 1.0)),
    Mistake("平均をとってから 2 乗しています。要素ごとに max(1 - t * y, 0) を 2 乗してから平均します。",
            lambda y, t: float(np.mean(np.maximum(1.0 - _f(t) * _f(y), 0.0)) ** 2)),
]


def _bce_no_clip(y, t):
    y, t = _f(y), _f(t)
    return float(np.mean(-(t * np.log(y) + (1.0 - t) * np.log(1.0 - y))))


BCE_MISTAKES = _elementwise_mistakes(
    lambda y, t: -(t * np.log(np.clip(y, EPS, 1 - EPS)) + (1 - t) * np.log(1 - np.clip(y, EPS, 1 - EPS)))) + [
    Mistake("y を [1e-7, 1 - 1e-7] に clip していないため、y = 0 や y = 1 のところで log(0) が出ています。", _bce_no_clip),
    Mistake("(1 - t) log(1 - y) の項がありません。t = 0 のサンプルの損失も数えてください。",
            lambda y, t: float(np.mean(-_f(t) * np.log(np.clip(_f(y), EPS, 1 - EPS))))),
    Mistake("マイナスを付け忘れています。", lambda y, t: -reference_binary_crossentropy(y, t)),
    Mistake("y と t が逆になっています。本と同じく第 1 引数 y が予測、第 2 引数 t が正解です（Keras とは順番が逆）。",
            lambda y, t: reference_binary_crossentropy(t, y)),
]


def _cce_per_element(y, t):
    return -t * np.log(_normalize_clip(y))


CCE_MISTAKES = [
    Mistake("y を合計 1 に正規化していません。y / np.sum(y, axis=-1, keepdims=True) で割ってから clip します。",
            lambda y, t: _batch_mean(-np.sum(_f(t) * np.log(np.clip(_f(y), EPS, 1 - EPS)), axis=-1))),
    Mistake("y を [1e-7, 1 - 1e-7] に clip していないため、y = 0 のところで log(0) が出ています（0 * log(0) は nan になります）。",
            lambda y, t: _batch_mean(-np.sum(_f(t) * np.log(_f(y) / _f(y).sum(axis=-1, keepdims=True)), axis=-1))),
    Mistake("バッチで平均せずに合計しています。", lambda y, t: float(np.sum(_cce_per_element(y, _f(t))))),
    Mistake("クラスの方向にも平均しています。サンプルの中では合計（sum）、バッチで平均（mean）です。",
            lambda y, t: float(np.mean(_cce_per_element(y, _f(t))))),
    Mistake("サンプルごとの値を配列のまま返しています。バッチで平均して 1 つの数（スカラー）にしてください。",
            lambda y, t: np.sum(_cce_per_element(y, _f(t)), axis=-1)),
    Mistake("t の argmax だけを使っています。t が one-hot でない確率分布（ラベル平滑化など）のときも"
            "-Σ t log y で計算してください。",
            lambda y, t: reference_sparse_categorical_crossentropy(y, np.argmax(_f(t), axis=-1))),
]


def _pick(p, t):
    """The probability of the correct class of each sample (index labels)."""
    if p.ndim == 1:
        return p[int(np.asarray(t).reshape(-1)[0])]
    return p[np.arange(p.shape[0]), np.asarray(t).reshape(-1)]


def _sparse_pick(y, t):
    return _pick(_normalize_clip(y), t)


SPARSE_MISTAKES = [
    Mistake("y を合計 1 に正規化していません。y / np.sum(y, axis=-1, keepdims=True) で割ってから clip します。",
            lambda y, t: _batch_mean(-np.log(_pick(np.clip(_f(y), EPS, 1 - EPS), t)))),
    Mistake("y を clip していないため、正解クラスの確率が 0 のところで log(0) = -inf になっています。",
            lambda y, t: _batch_mean(-np.log(_pick(_f(y) / _f(y).sum(axis=-1, keepdims=True), t)))),
    Mistake("バッチで平均せずに合計しています。", lambda y, t: float(np.sum(-np.log(_sparse_pick(y, t))))),
    Mistake("y[:, t] と書いたため、N×N 個の値を取り出しています。y[np.arange(N), t] で各行の正解クラスだけを取り出してください。",
            lambda y, t: _batch_mean(-np.log(_normalize_clip(y)[:, np.asarray(t)]))),
    Mistake("サンプルごとの値を配列のまま返しています。バッチで平均して 1 つの数（スカラー）にしてください。",
            lambda y, t: -np.log(_sparse_pick(y, t))),
]


def _kl_terms(y, t):
    y = np.clip(_f(y), EPS, 1.0)
    t = np.clip(_f(t), EPS, 1.0)
    return t * np.log(t / y)


KL_MISTAKES = [
    Mistake("y と t が逆です。KL ダイバージェンスは非対称で、Σ t log(t / y)（t が正解の分布）です。",
            lambda y, t: reference_kl_divergence(t, y)),
    Mistake("符号が逆です。Σ t log(t / y) は 0 以上になります（log(y / t) ではなく log(t / y)）。",
            lambda y, t: -reference_kl_divergence(y, t)),
    Mistake("y と t を [1e-7, 1] に clip していないため、0 のところで log(0) や 0 / 0 が出ています。",
            lambda y, t: _batch_mean(np.sum(_f(t) * np.log(_f(t) / _f(y)), axis=-1))),
    Mistake("クラスの方向に平均しています。サンプルの中では合計（sum）、バッチで平均（mean）です。",
            lambda y, t: float(np.mean(_kl_terms(y, t)))),
    Mistake("バッチで平均せずに合計しています。", lambda y, t: float(np.sum(_kl_terms(y, t)))),
    Mistake("サンプルごとの値を配列のまま返しています。バッチで平均して 1 つの数（スカラー）にしてください。",
            lambda y, t: np.sum(_kl_terms(y, t), axis=-1)),
]

POISSON_MISTAKES = _elementwise_mistakes(lambda y, t: y - t * np.log(y + EPS)) + [
    Mistake("log の中に 1e-7 を足していないため、y = 0 のところで log(0) = -inf になっています。",
            lambda y, t: float(np.mean(_f(y) - _f(t) * np.log(_f(y))))),
    Mistake("y と t が逆です。y が予測（平均の回数）、t が正解の回数で、y - t log(y + eps) です。",
            lambda y, t: reference_poisson(t, y)),
    Mistake("符号が逆です。y - t log(y + eps) です。", lambda y, t: -reference_poisson(y, t)),
]


def _cos_rows(y, t):
    return np.sum(_l2_normalize(y) * _l2_normalize(t), axis=-1)


COSINE_MISTAKES = [
    Mistake("マイナスを付けていません。損失として使うので、コサイン類似度の平均にマイナスを付けた値を返します。",
            lambda y, t: -reference_cosine_similarity(y, t)),
    Mistake("1 - cos（コサイン距離）になっています。このノートブックでは Keras と同じ -cos の平均です。",
            lambda y, t: 1.0 + reference_cosine_similarity(y, t)),
    Mistake("バッチの方向（axis=0）で正規化しています。各サンプル（最後の軸、axis=-1）のベクトルを長さ 1 にします。",
            lambda y, t: _batch_mean(-np.sum(_f(y) / np.sqrt(np.maximum(np.sum(_f(y) ** 2, axis=0), 1e-12))
                                             * _f(t) / np.sqrt(np.maximum(np.sum(_f(t) ** 2, axis=0), 1e-12)), axis=-1))),
    Mistake("長さが 0 のベクトルで 0 で割っています。ノルムの 2 乗を max(Σx², 1e-12) にしてから平方根をとります。",
            lambda y, t: _batch_mean(-np.sum(_f(y) * _f(t), axis=-1)
                                     / (np.linalg.norm(_f(y), axis=-1) * np.linalg.norm(_f(t), axis=-1)))),
    Mistake("バッチで平均せずに合計しています。", lambda y, t: float(-np.sum(_cos_rows(y, t)))),
    Mistake("サンプルごとの値を配列のまま返しています。バッチで平均して 1 つの数（スカラー）にしてください。",
            lambda y, t: -_cos_rows(y, t)),
]


# ---------------------------------------------------------------- checks

# ---------------------------------------------------------------- hints for errors

CEE_ERROR_HINTS = [
    ("arrays used as indices must be of integer",
     "one-hot 表現の t（0 と 1 の浮動小数点数の配列）をそのまま添字に使っています。t.size == y.size のときは "
     "t = t.argmax(axis=1) でクラス番号（整数）に直してから、y[np.arange(batch_size), t] としてください。"),
    ("could not be broadcast together",
     "y[np.arange(batch_size), t] の t の形状が合っていません。t が one-hot 表現（形状 (N, クラス数)）なら、"
     "t.argmax(axis=1) で形状 (N,) のクラス番号に直してから添字に使います。"),
    ("too many indices for array",
     "1 次元の y（1 サンプル）に y[np.arange(batch_size), t] のような 2 つの添字を使っています。"
     "1 次元の入力は y.reshape(1, y.size)、t.reshape(1, t.size) として、1 行のバッチにしてから計算してください。"),
]

SPARSE_ERROR_HINTS = [
    ("too many indices for array",
     "1 サンプル（y が 1 次元、t が整数）のときに y[np.arange(N), t] のような 2 つの添字を使っています。"
     "1 サンプルなら y[t] で正解クラスの確率を取り出します（np.atleast_2d などで 2 次元にそろえてもかまいません）。"),
]


def _check(function, reference, mistakes, cases, *, rtol=1e-6, atol=1e-9, error_hints=(), visible=()):
    return [FunctionCheck(function=function, reference=reference, mistakes=_with_one_element(mistakes, reference),
                          cases=cases, rtol=rtol, atol=atol, dtype="float", error_hints=list(error_hints),
                          visible=list(visible))]


# ---------------------------------------------------------------- the visible cases (shown in the notebook)
# The examples of the prose, one sample (1-D) and a batch (2-D) for every function, and every promise
# of the prose: finite values without warnings at 0 and 1, both kinds of labels where both are allowed.

V_Y_2x3 = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
V_T_2x3 = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
V_L_2 = np.array([1, 2])
V_ZERO_Y = np.array([[0.0, 0.4, 0.6], [0.3, 0.3, 0.4]])  # the correct class of row 0 has probability 0
V_ZERO_L = np.array([0, 2])

VISIBLE = {
    "sse_values": [
        Case("本の例（正解 2、y[2] = 0.6）", (BOOK_Y, BOOK_T)),
        Case("本の例（正解 7、y[7] = 0.1）", (BOOK_Y, BOOK_T7)),
        Case("バッチ 2×2（全要素の合計。バッチの大きさでは割らない）",
             (np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 3.0]]))),
    ],
    "cee_one_sample": [
        Case("本の例（正解 2、y[2] = 0.6）", (BOOK_Y, BOOK_T), forbid_warnings=True),
        Case("本の例（正解 7、y[7] = 0.1）", (BOOK_Y, BOOK_T7), forbid_warnings=True),
        Case("正解クラスの確率がちょうど 0（有限の値になるはず）", (np.array([0.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0])),
             forbid_warnings=True),
        Case("正解クラスの確率がちょうど 1", (np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0])), forbid_warnings=True),
    ],
    "cee_batch": [
        Case("2×3 のバッチ（one-hot）", (V_Y_2x3, V_T_2x3), forbid_warnings=True),
        Case("同じサンプルが 3 行（1 行のときと同じ値）", (np.tile(BOOK_Y, (3, 1)), np.tile(BOOK_T, (3, 1))),
             forbid_warnings=True),
        Case("1 行目の正解クラスの確率が 0 のバッチ 2×3（one-hot）", (V_ZERO_Y, np.eye(3)[V_ZERO_L]), forbid_warnings=True),
    ],
    "cee_labels": [
        Case("3×3 のバッチ（ラベル [2, 0, 1]）", (np.array([[0.2, 0.2, 0.6], [0.7, 0.1, 0.2], [0.3, 0.4, 0.3]]),
                                              np.array([2, 0, 1])), forbid_warnings=True),
        Case("2×3 のバッチ（ラベル [1, 2]）", (V_Y_2x3, V_L_2), forbid_warnings=True),
        Case("1 サンプル（ラベル np.array([7])）", (BOOK_Y, np.array([7])), forbid_warnings=True),
        Case("1 行目の正解クラスの確率が 0 のバッチ 2×3（ラベル [0, 2]）", (V_ZERO_Y, V_ZERO_L), forbid_warnings=True),
    ],
    "mse_values": [
        Case("1 か所だけ 3 ずれているバッチ 2×2", (np.zeros((2, 2)), np.array([[0.0, 0.0], [3.0, 0.0]]))),
        Case("1 サンプル（3 要素）", (np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 2.0]))),
    ],
    "mae_values": [
        Case("バッチ 2×2", (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.5, 2.0], [2.0, 4.0]]))),
        Case("正と負の誤差（打ち消し合わない）", (np.array([1.0, -1.0, 2.0, -2.0]), np.zeros(4))),
    ],
    "mape_values": [
        Case("すべて 10% 大きく予測（10 になるはず）", (np.array([1.1, 2.2, 3.3]), np.array([1.0, 2.0, 3.0]))),
        Case("大きく予測した誤差と小さく予測した誤差", (np.array([1.5, 1.0, 4.4]), np.array([1.0, 2.0, 4.0]))),
        Case("正解に負の値を含む", (np.array([-1.5, 2.0, -4.0]), np.array([-1.0, 2.5, -5.0]))),
        Case("バッチ 2×2（正の値）", (np.array([[1.2, 3.0], [0.5, 2.0]]), np.array([[1.0, 4.0], [1.0, 2.5]]))),
        Case("正解に 0 を含む（有限の値になるはず）", (np.array([0.5, 1.0, 2.0]), np.array([0.0, 1.0, 2.0])),
             forbid_warnings=True),
    ],
    "msle_values": [
        Case("比率が同じ 2 つの誤差（1000→1100 と 10→11）", (np.array([1100.0, 11.0]), np.array([1000.0, 10.0]))),
        Case("バッチ 2×2（正の値）", (np.array([[1.0, 3.0], [0.5, 2.0]]), np.array([[2.0, 3.0], [1.0, 0.5]]))),
        Case("y も t も 0 を含む", (np.array([0.0, 2.0, 1.0]), np.array([0.0, 0.0, 1.0])), forbid_warnings=True),
        Case("負の予測を含む（0 とみなす）", (np.array([-0.5, -2.0, 2.0]), np.array([0.0, 1.0, 2.0])), forbid_warnings=True),
    ],
    "hinge_values": [
        Case("すべて余裕をもって正解（0 になるはず）", (np.array([2.0, -1.5, 1.0]), np.array([1.0, -1.0, 1.0]))),
        Case("1 か所だけ間違えている（y = -0.5、t = 1）", (np.array([2.0, -0.5, -3.0]), np.array([1.0, 1.0, -1.0]))),
        Case("2×3 のバッチ", (np.array([[0.5, -2.0, 1.5], [-0.3, 0.8, -1.2]]),
                            np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]]))),
    ],
    "squared_hinge_values": [
        Case("すべて余裕をもって正解（0 になるはず）", (np.array([2.0, -1.5, 1.0]), np.array([1.0, -1.0, 1.0]))),
        Case("1 か所だけ間違えている（y = -0.5、t = 1）", (np.array([2.0, -0.5, -3.0]), np.array([1.0, 1.0, -1.0]))),
        Case("2×3 のバッチ", (np.array([[0.5, -2.0, 1.5], [-0.3, 0.8, -1.2]]),
                            np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]]))),
    ],
    "bce_values": [
        Case("1 サンプル（2 要素）", (np.array([0.8, 0.3]), np.array([1.0, 0.0])), forbid_warnings=True),
        Case("2×2 のバッチ", (np.array([[0.9, 0.2], [0.4, 0.7]]), np.array([[1.0, 0.0], [0.0, 0.0]])),
             forbid_warnings=True),
        Case("y がちょうど 0 と 1 で正解と一致（ほぼ 0 で有限）", (np.array([0.0, 1.0]), np.array([0.0, 1.0])),
             forbid_warnings=True),
        Case("y がちょうど 0 と 1 で正解と逆（有限の値になるはず）", (np.array([0.0, 1.0]), np.array([1.0, 0.0])),
             forbid_warnings=True),
    ],
    "cce_values": [
        Case("1 サンプル（本の例、正解 2）", (BOOK_Y, BOOK_T), forbid_warnings=True),
        Case("合計が 1 でない y（行の合計が 2 と 1.5）", (np.array([[0.2, 1.2, 0.6], [0.3, 0.3, 0.9]]), V_T_2x3),
             forbid_warnings=True),
        Case("正解クラスの確率が 0 の行を含む 2×3", (V_ZERO_Y, np.eye(3)[V_ZERO_L]), forbid_warnings=True),
        Case("t が one-hot でない確率分布（ラベル平滑化）", (V_Y_2x3, np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])),
             forbid_warnings=True),
    ],
    "sparse_cce_values": [
        Case("2×3 のバッチ（ラベル [1, 2]）", (V_Y_2x3, V_L_2), forbid_warnings=True),
        Case("1 サンプル（本の例、正解 2、t は整数）", (BOOK_Y, 2), forbid_warnings=True),
        Case("正解クラスの確率が 0 の行を含む 2×3", (V_ZERO_Y, V_ZERO_L), forbid_warnings=True),
        Case("合計が 1 でない y（行の合計が 2 と 1.5）", (np.array([[0.2, 1.2, 0.6], [0.3, 0.3, 0.9]]), V_L_2),
             forbid_warnings=True),
    ],
    "kl_values": [
        Case("y と t が等しい（0 になるはず）", (np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])), forbid_warnings=True),
        Case("1 サンプル", (np.array([0.25, 0.25, 0.5]), np.array([0.5, 0.25, 0.25])), forbid_warnings=True),
        Case("2×3 のバッチ", (V_Y_2x3, np.array([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3]])), forbid_warnings=True),
        Case("t が one-hot（0 を含む、有限の値になるはず）", (V_Y_2x3, V_T_2x3), forbid_warnings=True),
        Case("y に 0 を含む（有限の値になるはず）", (V_ZERO_Y, np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])),
             forbid_warnings=True),
    ],
    "poisson_values": [
        Case("正解の回数が 0（損失は y の平均）", (np.array([0.5, 2.0]), np.array([0.0, 0.0])), forbid_warnings=True),
        Case("1 サンプル", (np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])), forbid_warnings=True),
        Case("2×2 のバッチ", (np.array([[1.5, 0.5], [3.0, 2.0]]), np.array([[2.0, 0.0], [4.0, 1.0]])),
             forbid_warnings=True),
        Case("予測が 0 で正解が正（有限の値になるはず）", (np.array([0.0, 2.0]), np.array([1.0, 2.0])), forbid_warnings=True),
    ],
    "cosine_values": [
        Case("長さだけ違う同じ向き（-1 になるはず）", (np.array([5.0, 10.0, 15.0]), np.array([1.0, 2.0, 3.0]))),
        Case("直交（0 になるはず）", (np.array([1.0, 0.0]), np.array([0.0, 3.0]))),
        Case("2×3 のバッチ", (np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]]), np.array([[2.0, 1.0, 0.0], [1.0, 1.0, 1.0]]))),
        Case("長さ 0 のベクトルを含むバッチ（その行は 0）", (np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]),
                                                   np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 2.0]])), forbid_warnings=True),
    ],
}


CHECKS = {
    "sse_values": _check("sum_squared_error", reference_sum_squared_error, SSE_MISTAKES, [
        Case("本の例（正解 2、y[2] = 0.6）", (BOOK_Y, BOOK_T)),
        Case("本の例（正解 7、y[7] = 0.1）", (BOOK_Y, BOOK_T7)),
        Case("y と t が等しい（0 になるはず）", (P_4x5[0], P_4x5[0])),
        Case("1 か所だけ 2 ずれているバッチ 3×4", (ONE_DIFF_Y, ONE_DIFF_T)),
        Case("4×5 のバッチ（全要素の合計）", (P_4x5, T_4x5)),
    ], visible=VISIBLE["sse_values"]),
    "cee_one_sample": _check("cross_entropy_error", reference_cross_entropy_error, CEE_MISTAKES, [
        Case("本の例（正解 2、y[2] = 0.6）", (BOOK_Y, BOOK_T), forbid_warnings=True),
        Case("本の例（正解 7、y[7] = 0.1）", (BOOK_Y, BOOK_T7), forbid_warnings=True),
        Case("正解クラスの確率がちょうど 0（有限の値になるはず）", (np.array([0.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0])),
             forbid_warnings=True),
        Case("正解クラスの確率がちょうど 1", (np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0, 0.0])),
             forbid_warnings=True),
    ], atol=1e-6, error_hints=CEE_ERROR_HINTS, visible=VISIBLE["cee_one_sample"]),
    "cee_batch": _check("cross_entropy_error", reference_cross_entropy_error, CEE_MISTAKES, [
        Case("4×5 のバッチ（one-hot）", (P_4x5, T_4x5), forbid_warnings=True),
        Case("1 行目の正解クラスの確率が 0 のバッチ 2×3（one-hot）", (P_ZERO_TARGET, _one_hot(L_ZERO_TARGET, 3)),
             forbid_warnings=True),
        Case("1×10 のバッチ（本の例を 1 行にしたもの）", (BOOK_Y.reshape(1, 10), BOOK_T.reshape(1, 10)),
             forbid_warnings=True),
        Case("4 行とも同じサンプル（平均なので 1 行のときと同じ値）", (np.tile(BOOK_Y, (4, 1)), np.tile(BOOK_T, (4, 1))),
             forbid_warnings=True),
    ], atol=1e-6, error_hints=CEE_ERROR_HINTS, visible=VISIBLE["cee_batch"]),
    "cee_labels": _check("cross_entropy_error", reference_cross_entropy_error, CEE_MISTAKES, [
        Case("3×3 のバッチ（ラベルはクラス番号）", (P_3x3, L_3), forbid_warnings=True),
        Case("4×5 のバッチ（ラベルはクラス番号）", (P_4x5, L_4), forbid_warnings=True),
        Case("1 行目の正解クラスの確率が 0 のバッチ 2×3（クラス番号）", (P_ZERO_TARGET, L_ZERO_TARGET), forbid_warnings=True),
        Case("1 サンプル、ラベルは形状 (1,) の配列 [7]", (BOOK_Y, np.array([7])), forbid_warnings=True),
    ], atol=1e-6, error_hints=CEE_ERROR_HINTS, visible=VISIBLE["cee_labels"]),
    "mse_values": _check("mean_squared_error", reference_mean_squared_error, MSE_MISTAKES, [
        Case("3×4 のバッチ", (R_Y_3x4, R_T_3x4)),
        Case("1 サンプル（6 要素）", (R_Y_6, R_T_6)),
        Case("y と t が等しい（0 になるはず）", (R_Y_3x4, R_Y_3x4.copy())),
        Case("1 か所だけ 2 ずれているバッチ 3×4", (ONE_DIFF_Y, ONE_DIFF_T)),
        Case("1×6 のバッチ", (R_Y_6.reshape(1, 6), R_T_6.reshape(1, 6))),
    ], visible=VISIBLE["mse_values"]),
    "mae_values": _check("mean_absolute_error", reference_mean_absolute_error, MAE_MISTAKES, [
        Case("3×4 のバッチ", (R_Y_3x4, R_T_3x4)),
        Case("1 サンプル（6 要素）", (R_Y_6, R_T_6)),
        Case("正と負の誤差が打ち消し合う例", (np.array([1.0, -1.0, 2.0, -2.0]), np.zeros(4))),
        Case("1 か所だけ 2 ずれているバッチ 3×4", (ONE_DIFF_Y, ONE_DIFF_T)),
    ], visible=VISIBLE["mae_values"]),
    "mape_values": _check("mean_absolute_percentage_error", reference_mean_absolute_percentage_error, MAPE_MISTAKES, [
        Case("1 サンプル（正の値 4 要素）", (POS_Y_3x4[0], POS_T_3x4[0])),
        Case("すべて 10% 大きく予測（10 になるはず）", (np.array([1.1, 2.2, 3.3]), np.array([1.0, 2.0, 3.0]))),
        Case("3×4 のバッチ（正の値）", (POS_Y_3x4, POS_T_3x4)),
        Case("正解に負の値を含む", (np.array([-1.5, 2.0, -4.0]), np.array([-1.0, 2.5, -5.0]))),
        Case("正解に 0 を含む（有限の値になるはず）", (np.array([0.5, 1.0, 2.0]), np.array([0.0, 1.0, 2.0])),
             forbid_warnings=True),
    ], visible=VISIBLE["mape_values"]),
    "msle_values": _check("mean_squared_logarithmic_error", reference_mean_squared_logarithmic_error, MSLE_MISTAKES, [
        Case("1 サンプル（正の値 4 要素）", (POS_Y_3x4[0], POS_T_3x4[0])),
        Case("3×4 のバッチ（正の値）", (POS_Y_3x4, POS_T_3x4)),
        Case("y も t も 0 を含む", (np.array([0.0, 1.0, 3.0]), np.array([0.0, 0.0, 3.0])), forbid_warnings=True),
        Case("負の予測を含む（0 とみなす）", (np.array([-0.5, -1.0, -3.0, 2.0]), np.array([0.0, 1.0, 2.0, 2.0])),
             forbid_warnings=True),
        Case("大きな値（1000 と 1100）", (np.array([1000.0, 50.0]), np.array([1100.0, 50.0]))),
    ], visible=VISIBLE["msle_values"]),
    "hinge_values": _check("hinge", reference_hinge, HINGE_MISTAKES, [
        Case("1 サンプル（t は -1 か 1）", (SCORE_3x4[0], SIGN_T_3x4[0])),
        Case("すべて余裕をもって正解（t * y >= 1、0 になるはず）", (np.array([2.0, -1.5, 1.0]), np.array([1.0, -1.0, 1.0]))),
        Case("1 か所だけ間違えている（y = -0.5、t = 1）", (np.array([2.0, -0.5, -3.0]), np.array([1.0, 1.0, -1.0]))),
        Case("3×4 のバッチ", (SCORE_3x4, SIGN_T_3x4)),
    ], visible=VISIBLE["hinge_values"]),
    "squared_hinge_values": _check("squared_hinge", reference_squared_hinge, SQUARED_HINGE_MISTAKES, [
        Case("1 サンプル（t は -1 か 1）", (SCORE_3x4[0], SIGN_T_3x4[0])),
        Case("すべて余裕をもって正解（0 になるはず）", (np.array([2.0, -1.5, 1.0]), np.array([1.0, -1.0, 1.0]))),
        Case("1 か所だけ間違えている（y = -0.5、t = 1）", (np.array([2.0, -0.5, -3.0]), np.array([1.0, 1.0, -1.0]))),
        Case("3×4 のバッチ", (SCORE_3x4, SIGN_T_3x4)),
    ], visible=VISIBLE["squared_hinge_values"]),
    "bce_values": _check("binary_crossentropy", reference_binary_crossentropy, BCE_MISTAKES, [
        Case("1 サンプル（2 要素）", (PROB_3x2[0], BIN_3x2[0]), forbid_warnings=True),
        Case("3×2 のバッチ", (PROB_3x2, BIN_3x2), forbid_warnings=True),
        Case("t = 0 のサンプルだけ", (np.array([0.2, 0.9]), np.array([0.0, 0.0])), forbid_warnings=True),
        Case("y がちょうど 0 と 1 で正解と一致（ほぼ 0 で有限）", (np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0])),
             forbid_warnings=True),
        Case("y がちょうど 0 と 1 で正解と逆（有限の値になるはず）", (np.array([0.0, 1.0]), np.array([1.0, 0.0])),
             forbid_warnings=True),
    ], atol=1e-6, visible=VISIBLE["bce_values"]),
    "cce_values": _check("categorical_crossentropy", reference_categorical_crossentropy, CCE_MISTAKES, [
        Case("1 サンプル（本の例、正解 2）", (BOOK_Y, BOOK_T), forbid_warnings=True),
        Case("4×5 のバッチ（one-hot）", (P_4x5, T_4x5), forbid_warnings=True),
        Case("正解クラスの確率が 0 の行を含む 2×3", (P_ZERO_TARGET, _one_hot(L_ZERO_TARGET, 3)), forbid_warnings=True),
        Case("合計が 1 でない y（行の合計が 2 と 1.5）", (np.array([[0.2, 1.2, 0.6], [0.3, 0.3, 0.9]]),
                                                   np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])), forbid_warnings=True),
        Case("t が one-hot でない確率分布（ラベル平滑化）", (P_3x3, np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05],
                                                                  [0.05, 0.05, 0.9]])), forbid_warnings=True),
    ], atol=1e-6, visible=VISIBLE["cce_values"]),
    "sparse_cce_values": _check("sparse_categorical_crossentropy", reference_sparse_categorical_crossentropy,
                                SPARSE_MISTAKES, [
        Case("4×5 のバッチ", (P_4x5, L_4), forbid_warnings=True),
        Case("3×3 のバッチ", (P_3x3, L_3), forbid_warnings=True),
        Case("正解クラスの確率が 0 の行を含む 2×3", (P_ZERO_TARGET, L_ZERO_TARGET), forbid_warnings=True),
        Case("合計が 1 でない y（行の合計が 2 と 1.5）", (np.array([[0.2, 1.2, 0.6], [0.3, 0.3, 0.9]]), np.array([1, 2])),
             forbid_warnings=True),
        Case("1 サンプル（本の例、正解 2、t は整数）", (BOOK_Y, 2), forbid_warnings=True),
    ], atol=1e-6, error_hints=SPARSE_ERROR_HINTS, visible=VISIBLE["sparse_cce_values"]),
    "kl_values": _check("kl_divergence", reference_kl_divergence, KL_MISTAKES, [
        Case("1 サンプル（確率分布 5 要素）", (P_4x5[0], P_4x5[1]), forbid_warnings=True),
        Case("y と t が等しい（0 になるはず）", (P_4x5, P_4x5.copy()), forbid_warnings=True),
        Case("4×5 のバッチ", (P_4x5, P_4x5[::-1].copy()), forbid_warnings=True),
        Case("t が one-hot（0 を含む）", (P_4x5, T_4x5), forbid_warnings=True),
        Case("y に 0 を含む", (P_ZERO_TARGET, P_3x3[:2]), forbid_warnings=True),
    ], atol=1e-6, visible=VISIBLE["kl_values"]),
    "poisson_values": _check("poisson", reference_poisson, POISSON_MISTAKES, [
        Case("1 サンプル（4 要素）", (RATE_Y_3x4[0], COUNT_T_3x4[0]), forbid_warnings=True),
        Case("3×4 のバッチ", (RATE_Y_3x4, COUNT_T_3x4), forbid_warnings=True),
        Case("正解の回数が 0（損失は y の平均）", (np.array([0.5, 2.0]), np.array([0.0, 0.0])), forbid_warnings=True),
        Case("予測が 0 で正解が正（有限の値になるはず）", (np.array([0.0, 1.0]), np.array([2.0, 1.0])), forbid_warnings=True),
    ], atol=1e-6, visible=VISIBLE["poisson_values"]),
    "cosine_values": _check("cosine_similarity", reference_cosine_similarity, COSINE_MISTAKES, [
        Case("同じ向き（-1 になるはず）", (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))),
        Case("長さだけ違う同じ向き（-1 になるはず）", (np.array([5.0, 10.0, 15.0]), np.array([1.0, 2.0, 3.0]))),
        Case("逆向き（1 になるはず）", (np.array([1.0, -1.0]), np.array([-2.0, 2.0]))),
        Case("直交（0 になるはず）", (np.array([1.0, 0.0]), np.array([0.0, 3.0]))),
        Case("4×3 のバッチ", (VEC_Y_4x3, VEC_T_4x3)),
        Case("長さ 0 のベクトルを含むバッチ（その行は 0）", (np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]),
                                                   np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 2.0]])), forbid_warnings=True),
    ], visible=VISIBLE["cosine_values"]),
}
