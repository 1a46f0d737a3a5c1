"""The class-check machinery (layers with forward/backward) and functions passed by name."""

import numpy as np

from course import probe
from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put, run_in_process

from .conftest import student_namespace


class ReferenceAffine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dout @ self.W.T


class NoBatchSum(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.copy()
        return dx


rng = np.random.default_rng(0)
W, b, x, dout = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
CHECK = ClassCheck(
    function="Affine", reference=ReferenceAffine,
    mistakes=[Mistake("db をバッチ方向に合計していません。", NoBatchSum)],
    scenarios=[Scenario("4 サンプルのバッチ", [
        new(W, b), call("forward", x, label="forward(x)"), call("backward", dout, label="backward(dout) の dx"),
        get("dW"), get("db"),
    ])])

CORRECT = """
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b
    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = dout.sum(axis=0)
        return np.dot(dout, self.W.T)
"""


def test_correct_class_passes():
    verdict = run_in_process(CHECK, student_namespace(CORRECT))
    assert verdict.passed, verdict.message


def test_wrong_class_fails_at_the_right_step_with_the_hint():
    code = CORRECT.replace("self.db = dout.sum(axis=0)", "self.db = dout")
    verdict = run_in_process(CHECK, student_namespace(code))
    assert not verdict.passed
    assert "属性 db" in verdict.message and "バッチ方向に合計" in verdict.message


def test_backward_that_modifies_dout_fails():
    code = CORRECT.replace("return np.dot(dout, self.W.T)", "dout *= 1.0001\n        return np.dot(dout, self.W.T)")
    verdict = run_in_process(CHECK, student_namespace(code))
    assert not verdict.passed and "書き換えられています" in verdict.message


def test_constructor_error_skips_the_rest_with_the_error():
    code = CORRECT.replace("def __init__(self, W, b):", "def __init__(self, W):")
    verdict = run_in_process(CHECK, student_namespace(code))
    assert not verdict.passed and "TypeError" in verdict.message


def test_put_fills_arrays_in_place():
    class Net:
        def __init__(self):
            self.params = {"W": np.zeros(2)}
            self.view = self.params["W"]

        def total(self):
            return float(self.view.sum())

    check = ClassCheck("Net", [Scenario("in place", [new(), put("params.W", np.array([1.0, 2.0])), call("total")])],
                       reference=Net, must_be_own=False)
    assert run_in_process(check, {"Net": Net}).passed


def test_known_functions_travel_by_name():
    f = probe.KNOWN_FUNCTIONS["function_2"]
    data = probe.encode_value(f)
    assert data == {"kind": "fn", "cls": data["cls"], "name": "function_2"}
    assert probe.decode_value(data) is f

    def reference(fn, x):
        return fn(x) * 2

    check = FunctionCheck("double", [Case("f=function_2", (f, np.array([3.0, 4.0])))], reference=reference)
    ns = student_namespace("def double(f, x):\n    return 2 * f(x)\n")
    assert run_in_process(check, ns).passed
    ns = student_namespace("def double(f, x):\n    return f(x)\n")
    assert not run_in_process(check, ns).passed
