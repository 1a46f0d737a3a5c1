"""Hidden checks of 2_3_gradient_descent.

Conventions stated in the notebook and tested here:
- ``gradient_descent(f, init_x, lr=0.01, step_num=100)``: start from a *copy* of ``init_x`` (a float64
  array; ``init_x`` itself must be left unchanged), repeat ``step_num`` times
  ``x = x - lr * numerical_gradient(f, x)`` and return the final ``x`` (a float array of init_x's shape).
  ``step_num=0`` returns a copy of the start point.
- ``numerical_gradient`` is the one the notebook gives in a locked cell (central difference, h = 1e-4).
"""

import numpy as np

from autograder.checks.references import numerical_gradient as _numerical_gradient
from course.checking import Case, FunctionCheck, Mistake
from course.probe import KNOWN_FUNCTIONS as F

NOTEBOOK = "2_3_gradient_descent"
H = 1e-4


def _descend(f, init_x, lr, step_num, sign=-1.0):
    x = np.array(init_x, dtype=np.float64)
    for _ in range(step_num):
        x = x + sign * lr * _numerical_gradient(f, x)
    return x


def reference_gradient_descent(f, init_x, lr=0.01, step_num=100):
    return _descend(f, init_x, lr, step_num)


def _first_point(f, init_x, lr=0.01, step_num=100):
    return np.array(init_x, dtype=np.float64)


def _ascent(f, init_x, lr=0.01, step_num=100):
    return _descend(f, init_x, lr, step_num, sign=1.0)


def _one_more(f, init_x, lr=0.01, step_num=100):
    return _descend(f, init_x, lr, step_num + 1)


def _one_less(f, init_x, lr=0.01, step_num=100):
    return _descend(f, init_x, lr, max(step_num - 1, 0))


def _ignores_lr(f, init_x, lr=0.01, step_num=100):
    return _descend(f, init_x, 0.01, step_num)


MISTAKES = [
    Mistake("最初の点 init_x をそのまま返しています。ループの中で x を更新し、最後の x を返してください。", _first_point),
    Mistake("勾配を足しています（勾配上昇法になっています）。関数の値を減らすには x = x - lr * grad です。", _ascent),
    Mistake("更新の回数が 1 回多くなっています。更新は step_num 回です（for i in range(step_num)）。", _one_more),
    Mistake("更新の回数が 1 回少なくなっています。更新は step_num 回です（for i in range(step_num)）。", _one_less),
    Mistake("引数の lr を使わず、既定値の 0.01 で更新しています。", _ignores_lr),
]

ERROR_HINTS = [
    ("numerical_gradient", "numerical_gradient が見つかりません。ノートブックの「numerical_gradient を用意する」セルを先に実行してください。"),
]


def _check(cases, visible):
    return [FunctionCheck(function="gradient_descent", reference=reference_gradient_descent, mistakes=MISTAKES,
                          error_hints=ERROR_HINTS, rtol=1e-6, atol=1e-12, dtype="float", returns="array",
                          cases=cases, visible=visible)]


CHECKS = {
    "gradient_descent_basic": _check([
        Case("f = x0² + x1²、init_x = (-3, 4)、lr = 0.1、3 回更新",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 3}),
        Case("f = x0² + x1²、init_x = (-3, 4)、lr = 0.1、1 回だけ更新",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 1}),
        Case("f = x0² + x1²、init_x = (-3, 4)、lr = 0.1、100 回更新（本の例）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 100}),
        Case("f = x0² + x1²、init_x = (1, -2)、lr と step_num は既定値（0.01 と 100）",
             (F["function_2"], np.array([1.0, -2.0]))),
        Case("f = x0² + x1²、init_x = (2, 1)、lr = 0.3、位置引数で 4 回",
             (F["function_2"], np.array([2.0, 1.0]), 0.3, 4)),
    ], visible=[
        Case("f = x0² + x1²、init_x = (-3, 4)、lr = 0.1、2 回更新",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 2}),
        Case("f = x0² + x1²、init_x = (-3, 4)、lr = 0.1、1 回だけ更新",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 1}),
        Case("f = x0² + x1²、init_x = (2, -1)、lr と step_num は既定値（0.01 と 100）",
             (F["function_2"], np.array([2.0, -1.0]))),
    ]),
    "gradient_descent_edge": _check([
        Case("step_num = 0（1 回も更新しない → 最初の点のコピー）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 0}),
        Case("学習率が大きすぎる lr = 10（発散する）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 10.0, "step_num": 5}),
        Case("学習率が小さすぎる lr = 1e-10（ほとんど動かない）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 1e-10, "step_num": 10}),
    ], visible=[
        Case("step_num = 0（1 回も更新しない → 最初の点のコピー）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 0.1, "step_num": 0}),
        Case("学習率が大きすぎる lr = 10、2 回（発散する）",
             (F["function_2"], np.array([-3.0, 4.0])), {"lr": 10.0, "step_num": 2}),
    ]),
    "gradient_descent_other": _check([
        Case("f = 1·x0² + 2·x1² + 3·x2²、init_x = (1, 1, 1)、lr = 0.1、10 回",
             (F["weighted_squares"], np.array([1.0, 1.0, 1.0])), {"lr": 0.1, "step_num": 10}),
        Case("f = Σ 重み·x²、2×2 の init_x、lr = 0.05、7 回",
             (F["weighted_squares"], np.array([[1.0, -1.0], [0.5, 2.0]])), {"lr": 0.05, "step_num": 7}),
        Case("ローゼンブロック関数、init_x = (-1, 1)、lr = 0.001、5 回",
             (F["rosenbrock"], np.array([-1.0, 1.0])), {"lr": 0.001, "step_num": 5}),
        Case("ローゼンブロック関数、init_x = (0, 0)、lr = 0.002、20 回",
             (F["rosenbrock"], np.array([0.0, 0.0])), {"lr": 0.002, "step_num": 20}),
    ], visible=[
        Case("f = 1·x0² + 2·x1² + 3·x2²、init_x = (1, 1, 1)、lr = 0.1、2 回",
             (F["weighted_squares"], np.array([1.0, 1.0, 1.0])), {"lr": 0.1, "step_num": 2}),
        Case("f = Σ 重み·x²、2×2 の init_x、lr = 0.1、3 回",
             (F["weighted_squares"], np.array([[2.0, 1.0], [-1.0, 0.5]])), {"lr": 0.1, "step_num": 3}),
    ]),
}
