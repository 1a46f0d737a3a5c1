"""Hidden checks of 2_1_mini_batch.

Conventions stated in the notebook and tested here:
- ``cross_entropy_error(y, t)``: the book's batch version: 1-D ``y`` is one sample (reshape to
  ``(1, n)``); ``t`` one-hot (same size as ``y``) or class indices; returns
  ``-sum(log(y[arange(N), t] + 1e-7)) / N`` (a number). It is the exercise here: taking it from
  ``course.functions`` earns no points.
- ``sample_batch(x, t, batch_size, seed)``: ``idx = np.random.default_rng(seed).choice(len(x), batch_size,
  replace=False)``; returns the tuple ``(x[idx], t[idx])``.
"""

import numpy as np

from autograder.checks.references import cross_entropy_error as reference_cross_entropy_error
from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "2_1_mini_batch"
DELTA = 1e-7


def reference_sample_batch(x, t, batch_size, seed):
    idx = np.random.default_rng(seed).choice(len(x), batch_size, replace=False)
    return x[idx], t[idx]


# ---------------------------------------------------------------- typical mistakes

def _ce_no_average(y, t):
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    return reference_cross_entropy_error(y, t) * y2.shape[0]


def _ce_onehot_only(y, t):
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    return float(-np.sum(t * np.log(y + DELTA)) / y.shape[0])


def _ce_whole_mean(y, t):
    y2 = np.atleast_2d(np.asarray(y, dtype=np.float64))
    return reference_cross_entropy_error(y, t) / y2.shape[1]


def _sample_with_replacement(x, t, batch_size, seed):
    idx = np.random.default_rng(seed).choice(len(x), batch_size)
    return x[idx], t[idx]


def _sample_legacy(x, t, batch_size, seed):
    np.random.seed(seed)
    idx = np.random.choice(len(x), batch_size, replace=False)
    return x[idx], t[idx]


def _sample_legacy_replace(x, t, batch_size, seed):
    np.random.seed(seed)
    idx = np.random.choice(len(x), batch_size)
    return x[idx], t[idx]


def _sample_two_draws(x, t, batch_size, seed):
    rng = np.random.default_rng(seed)
    i = rng.choice(len(x), batch_size, replace=False)
    j = rng.choice(len(x), batch_size, replace=False)
    return x[i], t[j]


def _sample_first_rows(x, t, batch_size, seed):
    return x[:batch_size], t[:batch_size]


CE_MISTAKES = [
    Mistake("バッチの合計のままです。バッチサイズ N で割って 1 サンプルあたりの平均にしてください。", _ce_no_average),
    Mistake("ラベルが番号のときも one-hot 用の式 t * log(y) を使っています。番号のラベルでは "
            "y[np.arange(N), t] で正解クラスの確率を取り出してください。", _ce_onehot_only),
    Mistake("要素の数（N × クラス数）で割っています。割るのはバッチサイズ N（行の数）です。", _ce_whole_mean),
]
CE_ERROR_HINTS = [
    ("index", "ラベルが one-hot か番号かで処理を分けてください（t.size == y.size なら t = t.argmax(axis=1)）。"),
    ("broadcast", "ラベルが番号（形状 (N,)）のときは y[np.arange(N), t] で正解クラスの確率を取り出してください。"),
]

SAMPLE_MISTAKES = [
    Mistake("replace=False を指定していません（既定では同じ番号が重複して選ばれることがあります）。",
            _sample_with_replacement),
    Mistake("np.random.seed と np.random.choice を使っています。np.random.default_rng(seed).choice(...) を使ってください。",
            _sample_legacy),
    Mistake("np.random.seed と np.random.choice を使い、replace=False もありません。"
            "np.random.default_rng(seed).choice(len(x), batch_size, replace=False) を使ってください。", _sample_legacy_replace),
    Mistake("x と t で別々に番号を選んでいます。同じ番号 idx で x[idx] と t[idx] を取り出してください。", _sample_two_draws),
    Mistake("先頭の batch_size 行をそのまま返しています。ランダムに選んでください。", _sample_first_rows),
]

rng = np.random.default_rng(2100)


def _probs(n, k):
    a = rng.normal(size=(n, k)) * 2.0
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


Y5 = _probs(5, 4)
T5 = np.array([0, 3, 1, 1, 2])
Y1 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
X20 = np.arange(20 * 3, dtype=np.float64).reshape(20, 3)
T20 = np.arange(20) % 10
T20_ONEHOT = np.eye(10)[T20]


# the book's example (prose of the notebook): two samples, the right class 2 has 0.6 and 0.1
Y_BOOK = np.array([[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0],
                   [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]])
Y_ZERO = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])  # the right class of sample 0 has probability 0
X10 = np.arange(10 * 2, dtype=np.float64).reshape(10, 2)
T10 = np.arange(10)


def _ce(cases, visible):
    return [FunctionCheck(function="cross_entropy_error", reference=reference_cross_entropy_error,
                          mistakes=CE_MISTAKES, error_hints=CE_ERROR_HINTS, rtol=1e-6, atol=1e-9,
                          dtype="float", cases=cases, visible=visible)]


CHECKS = {
    "cross_entropy_error_onehot": _ce([
        Case("1 サンプル（本の例、正解は 2 番）", (Y1, np.eye(10)[2])),
        Case("5 サンプルのバッチ、one-hot ラベル", (Y5, np.eye(4)[T5])),
        Case("1 行だけのバッチ（形状 (1, 4)）", (Y5[:1], np.eye(4)[T5[:1]])),
        Case("正解クラスの確率が 0（log(0) を避ける 1e-7）", (np.array([[0.0, 1.0], [0.5, 0.5]]), np.eye(2)[[0, 1]])),
    ], visible=[
        Case("本の例（1 サンプル、正解 2 番の確率 0.6）", (Y_BOOK[0], np.eye(10)[2])),
        Case("2 サンプルのバッチ（正解 2 番の確率 0.6 と 0.1）", (Y_BOOK, np.eye(10)[[2, 2]])),
        Case("正解クラスの確率が 0 のサンプルを含む（log(0) を避ける 1e-7）", (Y_ZERO, np.eye(3)[[0, 2]])),
    ]),
    "cross_entropy_error_index": _ce([
        Case("1 サンプル、ラベルは番号 2", (Y1, np.array(2))),
        Case("5 サンプルのバッチ、ラベルは番号 (N,)", (Y5, T5)),
        Case("1 行だけのバッチ、ラベルは番号", (Y5[:1], T5[:1])),
        Case("3 サンプル、すべて正解の確率 1", (np.eye(3), np.array([0, 1, 2]))),
    ], visible=[
        Case("1 サンプル、ラベルは番号 2（形状 () の配列）", (Y_BOOK[0], np.array(2))),
        Case("2 サンプルのバッチ、ラベル [2, 7]", (Y_BOOK, np.array([2, 7]))),
        Case("正解クラスの確率が 0 のサンプルを含む、ラベル [0, 2]", (Y_ZERO, np.array([0, 2]))),
    ]),
    "sample_batch_seed": [FunctionCheck(
        function="sample_batch", reference=reference_sample_batch, mistakes=SAMPLE_MISTAKES,
        rtol=0, atol=0,
        cases=[
            Case("20 サンプルから 5 個、seed = 0", (X20, T20, 5, 0)),
            Case("20 サンプルから 10 個、seed = 42、one-hot ラベル", (X20, T20_ONEHOT, 10, 42)),
            Case("20 サンプルから 20 個（全部、並べ替えになる）、seed = 7", (X20, T20, 20, 7)),
            Case("20 サンプルから 1 個、seed = 3", (X20, T20, 1, 3)),
        ],
        visible=[
            Case("10 サンプルから 4 個、seed = 0（ラベルは番号）", (X10, T10, 4, 0)),
            Case("10 サンプルから 3 個、seed = 1（one-hot ラベル）", (X10, np.eye(10)[T10], 3, 1)),
        ])],
}
