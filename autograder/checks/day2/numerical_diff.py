"""Hidden checks of 2_2_numerical_diff: numerical differentiation and the numerical gradient.

Conventions stated in the notebook and tested here:
- ``numerical_diff(f, x)``: central difference ``(f(x + h) - f(x - h)) / (2 * h)`` with ``h = 1e-4``;
  ``x`` is a number (float).
- ``numerical_gradient(f, x)``: ``x`` is a float64 array of any shape; ``f`` takes the whole array and
  returns a number. For each element, central difference with ``h = 1e-4`` while all other elements
  keep their original values. Returns a float array of ``x``'s shape. ``x`` may be changed during the
  computation but must hold exactly its original values afterwards (save the value, put it back).
Functions travel by name (``course.probe.KNOWN_FUNCTIONS``).
"""

import numpy as np

from autograder.checks.references import numerical_gradient as reference_numerical_gradient
from course.checking import Case, FunctionCheck, Mistake
from course.probe import KNOWN_FUNCTIONS as F

NOTEBOOK = "2_2_numerical_diff"
H = 1e-4


# ---------------------------------------------------------------- references

def reference_numerical_diff(f, x):
    return (f(x + H) - f(x - H)) / (2 * H)


# ---------------------------------------------------------------- typical mistakes

def _forward_diff(f, x):
    return (f(x + H) - f(x)) / H


def _tiny_h(f, x):
    h = 1e-50
    return (f(x + h) - f(x - h)) / (2 * h)


def _half_missing(f, x):
    return (f(x + H) - f(x - H)) / H


def _forward_gradient(f, x):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + H
        plus = f(x)
        x[idx] = saved
        grad[idx] = (plus - f(x)) / H
    return grad


def _gradient_half_missing(f, x):
    return reference_numerical_gradient(f, x) * 2.0


def _gradient_not_restored(f, x):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + H
        plus = f(x)
        x[idx] = saved - H
        minus = f(x)
        grad[idx] = (plus - minus) / (2 * H)
    return grad


def _first_axis_only(f, x):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        saved = x[i].copy()
        x[i] = saved + H
        plus = f(x)
        x[i] = saved - H
        minus = f(x)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * H)
    return grad


DIFF_MISTAKES = [
    Mistake("前方差分 (f(x+h) - f(x)) / h になっています。中心差分 (f(x+h) - f(x-h)) / (2*h) を使ってください。",
            _forward_diff),
    Mistake("h が小さすぎて丸め誤差で x + h が x と同じ値になり、結果が 0 になっています。h = 1e-4 を使ってください。",
            _tiny_h),
    Mistake("中心差分の分母が h になっています。x - h から x + h までの幅は 2*h です。", _half_missing),
]

GRAD_MISTAKES = [
    Mistake("前方差分になっています。各要素について中心差分 (f(x+h) - f(x-h)) / (2*h) を計算してください。",
            _forward_gradient),
    Mistake("中心差分の分母が h になっています。幅は 2*h です。", _gradient_half_missing),
    Mistake("1 つの要素の計算が終わったあと、その要素を元の値に戻していません。"
            "他の要素をずらしたまま次の要素の偏微分を計算することになります。", _gradient_not_restored),
    Mistake("x[i] で 1 行ずつまとめてずらしています。2 次元以上の x では、要素ごとに 1 つずつずらしてください"
            "（np.ndindex(x.shape) や np.nditer の multi_index）。", _first_axis_only),
]

GRAD_ERROR_HINTS = [
    ("only integer scalar arrays", "x[i] のような 1 次元用の添字になっていませんか。np.nditer や np.ndindex で多次元の添字を使いましょう。"),
    ("only length-1 arrays", "2 次元以上の x で x[i] が 1 行（配列）になっています。要素ごとの多次元の添字（np.ndindex など）を使いましょう。"),
    ("setting an array element with a sequence", "2 次元以上の x で x[i] が 1 行（配列）になっています。要素ごとの多次元の添字（np.ndindex など）を使いましょう。"),
    ("could not broadcast", "2 次元以上の x で x[i] が 1 行（配列）になっています。要素ごとの多次元の添字（np.ndindex など）を使いましょう。"),
    ("out of bounds", "x.size までの 1 次元の添字で x を直接参照していませんか。多次元の添字（np.ndindex など）を使いましょう。"),
]

rng = np.random.default_rng(2200)

CHECKS = {
    "numerical_diff_central": [FunctionCheck(
        function="numerical_diff", reference=reference_numerical_diff, mistakes=DIFF_MISTAKES,
        rtol=1e-7, atol=1e-10, dtype="float",
        cases=[
            Case("f(x) = 0.01x² + 0.1x の x = 5（本の例、真の値 0.2）", (F["function_1"], 5.0)),
            Case("f(x) = 0.01x² + 0.1x の x = 10（本の例、真の値 0.3）", (F["function_1"], 10.0)),
            Case("f(x) = 0.01x² + 0.1x の x = 0（真の値 0.1）", (F["function_1"], 0.0)),
            Case("f(x) = x³ - 2x の x = 2（真の値 10）", (F["cubic_mix"], 2.0)),
            Case("f(x) = x³ - 2x の x = -1.5（真の値 4.75）", (F["cubic_mix"], -1.5)),
            Case("f(x) = x³ - 2x の x = 0.3", (F["cubic_mix"], 0.3)),
        ],
        visible=[
            Case("f(x) = 0.01x² + 0.1x の x = 5（本の例）", (F["function_1"], 5.0)),
            Case("f(x) = 0.01x² + 0.1x の x = 10（本の例）", (F["function_1"], 10.0)),
            Case("f(x) = x³ - 2x の x = 1", (F["cubic_mix"], 1.0)),
        ])],
    "numerical_gradient_1d": [FunctionCheck(
        function="numerical_gradient", reference=reference_numerical_gradient, mistakes=GRAD_MISTAKES,
        error_hints=GRAD_ERROR_HINTS, rtol=1e-6, atol=1e-8, dtype="float", returns="array",
        cases=[
            Case("f = x0² + x1² の点 (3, 4)（本の例、真の値 (6, 8)）", (F["function_2"], np.array([3.0, 4.0]))),
            Case("f = x0² + x1² の点 (0, 2)", (F["function_2"], np.array([0.0, 2.0]))),
            Case("f = x0² + x1² の点 (3, 0)", (F["function_2"], np.array([3.0, 0.0]))),
            Case("f = 1·x0² + 2·x1² + 3·x2²（要素ごとに重みが違う）", (F["weighted_squares"], np.array([1.0, -1.0, 0.5]))),
            Case("f = Σ(xi³ - 2xi) の 5 要素", (F["cubic_mix"], np.round(rng.normal(size=5), 3))),
            Case("ローゼンブロック関数の点 (-0.5, 1.5)", (F["rosenbrock"], np.array([-0.5, 1.5]))),
            Case("要素 1 個", (F["cubic_mix"], np.array([1.25]))),
        ],
        visible=[
            Case("f = x0² + x1² の点 (3, 4)（本の例）", (F["function_2"], np.array([3.0, 4.0]))),
            Case("f = x0² + x1² の点 (0, 2)", (F["function_2"], np.array([0.0, 2.0]))),
            Case("ローゼンブロック関数の点 (1, 1)（x0 と x1 が絡み合う関数）", (F["rosenbrock"], np.array([1.0, 1.0]))),
        ])],
    "numerical_gradient_nd": [FunctionCheck(
        function="numerical_gradient", reference=reference_numerical_gradient, mistakes=GRAD_MISTAKES,
        error_hints=GRAD_ERROR_HINTS, rtol=1e-6, atol=1e-8, dtype="float", returns="array",
        cases=[
            Case("2×3 の x、f = Σ x²", (F["function_2"], np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5)),
            Case("2×3 の x、f = Σ 重み·x²（位置ごとに重みが違う）",
                 (F["weighted_squares"], np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, 0.5]]))),
            Case("3×2 の x、f = Σ(x³ - 2x)", (F["cubic_mix"], np.round(rng.normal(size=(3, 2)), 3))),
            Case("1×4 の x（1 行）", (F["weighted_squares"], np.array([[0.5, -1.0, 2.0, 1.5]]))),
            Case("4×1 の x（1 列）", (F["weighted_squares"], np.array([[0.5], [-1.0], [2.0], [1.5]]))),
            Case("2×2×3 の 3 次元の x", (F["weighted_squares"], np.round(rng.normal(size=(2, 2, 3)), 3))),
        ],
        visible=[
            Case("2×2 の x、f = Σ x²", (F["function_2"], np.array([[1.0, -2.0], [0.5, 3.0]]))),
            Case("2×3 の x、f = Σ 重み·x²（位置ごとに重みが違う）",
                 (F["weighted_squares"], np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.5]]))),
            Case("1×2×2 の 3 次元の x、f = Σ x²", (F["function_2"], np.array([[[1.0, 0.0], [0.0, -1.0]]]))),
        ])],
    "numerical_gradient_restore": [FunctionCheck(
        function="numerical_gradient", reference=reference_numerical_gradient, mistakes=GRAD_MISTAKES,
        error_hints=GRAD_ERROR_HINTS, rtol=1e-6, atol=1e-8, dtype="float", returns="array",
        cases=[
            Case("ローゼンブロック関数の点 (0.1, 0.7)（x0 と x1 が絡み合う関数）", (F["rosenbrock"], np.array([0.1, 0.7]))),
            Case("ローゼンブロック関数の点 (1.3, 0.3)", (F["rosenbrock"], np.array([1.3, 0.3]))),
            Case("端数のある値の 1 次元の x（元の値がそのまま戻るか）",
                 (F["function_2"], np.array([0.1, 0.7, 1.1, 2.3, -0.3]))),
            Case("端数のある値の 2 次元の x（元の値がそのまま戻るか）",
                 (F["weighted_squares"], np.array([[0.1, 0.7, 1.1], [2.3, -0.3, 0.9]]))),
        ],
        visible=[
            Case("ローゼンブロック関数の点 (0.5, 1.2)", (F["rosenbrock"], np.array([0.5, 1.2]))),
            Case("端数のある値の 1 次元の x（元の値がそのまま戻るか）", (F["function_2"], np.array([0.1, 2.3, -0.3]))),
            Case("端数のある値の 2 次元の x（元の値がそのまま戻るか）",
                 (F["weighted_squares"], np.array([[0.1, 0.7], [2.3, -1.7]]))),
        ])],
}
