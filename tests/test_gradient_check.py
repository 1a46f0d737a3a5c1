"""The course's gradient checker: right gradients pass, wrong ones are named with their worst element."""

import numpy as np
import pytest

from course.gradient_check import check_gradients, relative_error


def _quadratic():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 4))
    W = rng.normal(size=(4, 2))
    b = rng.normal(size=2)
    params = {"W": W, "b": b}

    def loss():
        return float(np.sum((A @ params["W"] + params["b"]) ** 2))

    out = 2 * (A @ W + b)
    return params, loss, {"W": A.T @ out, "b": out.sum(axis=0)}


def test_correct_gradients_pass_and_params_are_restored():
    params, loss, grads = _quadratic()
    before = {k: v.copy() for k, v in params.items()}
    verdict = check_gradients(loss, params, grads)
    assert verdict.passed, verdict.message
    assert all(np.array_equal(before[k], params[k]) for k in params)
    assert max(e for e, _ in verdict.worst.values()) < 1e-8


def test_wrong_gradient_is_named_with_its_worst_element():
    params, loss, grads = _quadratic()
    grads["b"] = grads["b"] / 4  # e.g. not summed over the batch properly
    verdict = check_gradients(loss, params, grads)
    assert not verdict.passed
    assert "✘ b" in verdict.message and "✔ W" in verdict.message and "位置" in verdict.message


def test_shape_mismatch_and_float32_are_reported():
    params, loss, grads = _quadratic()
    grads["W"] = grads["W"].T
    assert "形状" in check_gradients(loss, params, grads).message
    with pytest.raises(TypeError, match="float64"):
        check_gradients(loss, {"W": params["W"].astype(np.float32)}, grads)


def test_relative_error_is_symmetric_and_zero_safe():
    assert relative_error(np.zeros(3), np.zeros(3)).max() == 0
    assert relative_error(np.array([1.0]), np.array([2.0]))[0] == pytest.approx(1 / 3)
