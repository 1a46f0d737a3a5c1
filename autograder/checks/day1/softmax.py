"""Hidden checks of 1_4_softmax: overflow-safe softmax for 1-D and 2-D (row-wise) input."""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_4_softmax"


def reference_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def _no_shift(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def _whole_array(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def _column_wise(x):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _max_not_kept(x):
    m = np.max(x, axis=-1) if x.ndim == 1 else np.max(x, axis=-1)[:, None]
    e = np.exp(x - m)
    return e / np.sum(e)


MISTAKES = [
    Mistake("最大値を引かずに np.exp(x) を計算しているため、大きな値でオーバーフローしています。", _no_shift),
    Mistake("2 次元入力で、行ごとではなく配列全体で合計しています（axis=1 と keepdims=True を使いましょう）。", _whole_array),
    Mistake("列ごと（axis=0）に正規化しています。データは 1 行 = 1 サンプルなので行ごと（axis=-1）です。", _column_wise),
    Mistake("合計を全体でとっています。各行の合計で割ってください。", _max_not_kept),
]

rng = np.random.default_rng(1400)

CHECKS = {
    "softmax_1d": [FunctionCheck(
        function="softmax", reference=reference_softmax, mistakes=MISTAKES, rtol=1e-6, atol=1e-9,
        dtype="float", returns="array",
        visible=[
            Case("本の例 [0.3, 2.9, 4.0]", (np.array([0.3, 2.9, 4.0]),)),
            Case("要素がすべて同じ", (np.zeros(4),)),
        ],
        cases=[
            Case("本の例 [0.3, 2.9, 4.0]", (np.array([0.3, 2.9, 4.0]),)),
            Case("要素がすべて同じ", (np.zeros(5),)),
            Case("1 つだけ大きい（ほぼ one-hot）", (np.array([0.0, 0.0, 30.0, 0.0]),)),
            Case("ランダムな 10 要素", (rng.normal(size=10),)),
            Case("要素 1 個", (np.array([3.5]),)),
        ])],
    "softmax_overflow": [FunctionCheck(
        function="softmax", reference=reference_softmax, mistakes=MISTAKES, rtol=1e-6, atol=1e-9,
        dtype="float", returns="array",
        visible=[
            Case("大きな値 [1010, 1000, 990]", (np.array([1010.0, 1000.0, 990.0]),), forbid_warnings=True),
        ],
        cases=[
            Case("大きな値 [1010, 1000, 990]", (np.array([1010.0, 1000.0, 990.0]),), forbid_warnings=True),
            Case("とても大きな値と小さな値 [1000, -1000, 0]", (np.array([1000.0, -1000.0, 0.0]),), forbid_warnings=True),
            Case("すべて -1000", (np.full(4, -1000.0),), forbid_warnings=True),
        ])],
    "softmax_2d": [FunctionCheck(
        function="softmax", reference=reference_softmax, mistakes=MISTAKES, rtol=1e-6, atol=1e-9,
        dtype="float", returns="array",
        visible=[
            Case("2×3 のバッチ", (np.array([[0.3, 2.9, 4.0], [1.0, 1.0, 1.0]]),)),
            Case("大きな値を含む 2×3 のバッチ", (np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]]),),
                 forbid_warnings=True),
        ],
        cases=[
            Case("2×3 のバッチ", (np.array([[0.3, 2.9, 4.0], [1.0, 1.0, 1.0]]),)),
            Case("行ごとにスケールの違う 4×5 のバッチ", (rng.normal(size=(4, 5)) * np.array([[1.0], [10.0], [100.0], [0.1]]),)),
            Case("大きな値を含む 3×4 のバッチ", (np.array([[1000.0, 1001, 1002, 1003], [-5, 0, 5, 10], [0, 0, 0, 0]]),),
                 forbid_warnings=True),
            Case("1×10 のバッチ（1 行）", (rng.normal(size=(1, 10)),)),
            Case("列が 1 つ（10×1）", (rng.normal(size=(10, 1)),)),
        ])],
}
