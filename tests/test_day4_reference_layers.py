"""DAY4 reference layers of course.layers: gradients proven numerically, train/test modes, inputs untouched."""

import numpy as np
import pytest

from course.gradient_check import check_gradients
from course.batch_normalization import BatchNormalization


def _proven(make_layer, x, params, train_flg=True):
    """Gradient check of sum(forward(x) * dout) w.r.t. x and the layer's parameters."""
    rng = np.random.default_rng(7)
    dout = rng.normal(size=x.shape)
    layer = make_layer()
    layer.forward(x, train_flg)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, dout_before)
    assert dx.shape == x.shape

    def loss():
        return float(np.sum(make_layer().forward(x, train_flg) * dout))

    analytic = {"x": dx, **{name: getattr(layer, "d" + name) for name in params}}
    return check_gradients(loss, {"x": x, **params}, analytic)


@pytest.mark.parametrize("shape", [(6, 4), (5, 2, 3, 3), (3, 5)])
def test_batch_normalization_backward_matches_numerical_gradients(shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * 2 + 0.5
    d = int(np.prod(shape[1:]))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    verdict = _proven(lambda: BatchNormalization(gamma, beta), x, {"gamma": gamma, "beta": beta})
    assert verdict.passed, verdict.message


def test_batch_normalization_training_output_has_zero_mean_unit_variance_per_feature():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3)) * np.array([10.0, 0.1, 1.0]) + np.array([5.0, -1.0, 0.0])
    out = BatchNormalization(np.ones(3), np.zeros(3)).forward(x, train_flg=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    # biased variance, eps = 1e-6 inside the square root
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-6), rtol=1e-12)


def test_batch_normalization_running_statistics_follow_the_stated_momentum_form():
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=(8, 4)), rng.normal(size=(8, 4)) + 1
    layer = BatchNormalization(np.ones(4), np.zeros(4), momentum=0.8)
    layer.forward(x1, train_flg=True)
    layer.forward(x2, train_flg=True)
    expected_mean = 0.8 * (0.2 * x1.mean(0)) + 0.2 * x2.mean(0)
    expected_var = 0.8 * (0.2 * x1.var(0)) + 0.2 * x2.var(0)
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, expected_var, rtol=1e-12)


def test_batch_normalization_test_mode_never_changes_the_running_statistics():
    rng = np.random.default_rng(4)
    layer = BatchNormalization(rng.normal(size=5), rng.normal(size=5))
    layer.forward(rng.normal(size=(10, 5)), train_flg=True)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    x_test = rng.normal(size=(3, 5)) * 4 + 2
    out = layer.forward(x_test, train_flg=False)
    for _ in range(3):
        np.testing.assert_array_equal(layer.forward(x_test, train_flg=False), out)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(layer.running_var, var)
    np.testing.assert_allclose(out, layer.gamma * (x_test - mean) / np.sqrt(var + 1e-6) + layer.beta, rtol=1e-12)


def test_batch_normalization_test_mode_of_the_graded_check_table_keeps_running_statistics():
    """The answer's class and the check table's scenario agree: the reference records unchanged statistics."""
    from autograder.checks.day4.batch_normalization import CHECKS
    from course.checking import _reference_entries

    check = CHECKS["bn_running_statistics"][0]
    scenario = next(s for s in check.scenarios if "変わらない" in s.label)
    entries = _reference_entries(check.reference, scenario)
    first_mean, first_var, second_mean, second_var = entries[1], entries[2], entries[4], entries[5]
    np.testing.assert_array_equal(first_mean, second_mean)
    np.testing.assert_array_equal(first_var, second_var)


def test_recorded_batch_normalization_curves_show_what_the_notebook_says():
    """4_1's recorded MNIST run: with BN the training accuracy ends higher at every small weight scale."""
    import json
    from importlib.resources import files

    record = json.loads(files("course").joinpath("data", "day4_batch_norm_weight_scales.json").read_text("utf-8"))
    final = {(run["weight_scale"], run["batchnorm"]): run["train_accuracy"][-1] for run in record["runs"]}
    assert {scale for scale, _ in final} == {1.0, 0.1, 0.01, 0.001}
    assert all(len(run["train_accuracy"]) == record["epochs"] for run in record["runs"])
    for scale in (1.0, 0.1, 0.01, 0.001):
        assert final[scale, True] > final[scale, False] + 0.3, (scale, final)
    for scale in (0.01, 0.001):
        assert final[scale, False] < 0.2 and final[scale, True] > 0.85, (scale, final)


@pytest.mark.parametrize("inverted", [False, True])
def test_dropout_backward_with_a_fixed_mask_matches_numerical_gradients(inverted):
    from course.dropout import Dropout

    x = np.random.default_rng(5).normal(size=(4, 3, 2))
    verdict = _proven(lambda: Dropout(0.3, seed=42, inverted=inverted), x, {})
    assert verdict.passed, verdict.message


def test_inverted_dropout_keeps_the_expected_value_and_does_nothing_at_test_time():
    from course.dropout import Dropout

    x = np.ones((200, 50))
    layer = Dropout(0.2, seed=0, inverted=True)
    out = layer.forward(x, train_flg=True)
    assert set(np.unique(out)) <= {0.0, 1.25}
    assert abs(out.mean() - 1.0) < 0.02
    state = layer.rng.bit_generator.state
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    assert layer.rng.bit_generator.state == state  # test mode draws nothing
    # the default stays the book's convention (MultiLayerNet, the capstone)
    book = Dropout(0.2, seed=0)
    np.testing.assert_array_equal(book.forward(x, train_flg=True), out * 0.8)
    np.testing.assert_allclose(book.forward(x, train_flg=False), x * 0.8)


def test_recorded_dropout_curves_show_over_fitting_and_a_smaller_gap_with_dropout():
    import json
    from importlib.resources import files

    record = json.loads(files("course").joinpath("data", "day4_dropout_overfitting.json").read_text("utf-8"))
    runs = {run["dropout_ratio"]: run for run in record["runs"]}
    assert set(runs) == {0.0, 0.2} and record["train_size"] == 300
    plain, dropout = runs[0.0], runs[0.2]
    assert plain["train_accuracy"][-1] >= 0.99  # memorised the 300 images
    gap = {r: run["train_accuracy"][-1] - run["test_accuracy"][-1] for r, run in runs.items()}
    assert gap[0.0] > 0.25 and gap[0.2] < gap[0.0] - 0.05, gap
