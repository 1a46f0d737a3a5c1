"""The pretrained weights of 1_7/1_8: they load without pickle, have the stated shapes and dtypes,
and classify the MNIST test set well (checked with a forward pass written here)."""

import numpy as np
import pytest

from course import pretrained
from course.datasets import load_mnist
from course.pretrained import SAMPLE_WEIGHT_SHAPES, PretrainedWeightError, load_sample_weight


def forward(network, x):
    """Reference forward pass: sigmoid, sigmoid, softmax (row-wise)."""
    z1 = 1.0 / (1.0 + np.exp(-(x @ network["W1"] + network["b1"])))
    z2 = 1.0 / (1.0 + np.exp(-(z1 @ network["W2"] + network["b2"])))
    a3 = z2 @ network["W3"] + network["b3"]
    e = np.exp(a3 - a3.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_weights_have_the_stated_keys_shapes_and_dtype():
    network = load_sample_weight()
    assert list(network) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    expected = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    assert {k: v.shape for k, v in network.items()} == expected
    assert SAMPLE_WEIGHT_SHAPES == expected
    for value in network.values():
        assert isinstance(value, np.ndarray) and value.dtype == np.float32
        assert np.all(np.isfinite(value))
        assert np.any(value != 0)  # really trained, not a placeholder


def test_each_call_returns_fresh_arrays():
    first = load_sample_weight()
    original = first["W1"].copy()
    first["W1"][:] = 0.0
    assert np.array_equal(load_sample_weight()["W1"], original)


def test_test_set_accuracy_is_at_least_93_percent():
    network = load_sample_weight()
    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    y = forward(network, x_test.astype(np.float64))
    assert y.shape == (10000, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-9)
    acc = float(np.mean(np.argmax(y, axis=1) == t_test))
    assert 0.93 <= acc < 1.0, acc


def _use_file(monkeypatch, path):
    monkeypatch.setattr(pretrained, "_weight_file", lambda: path)


def test_missing_file_gives_a_clear_bilingual_error(monkeypatch, tmp_path):
    _use_file(monkeypatch, tmp_path / "sample_weight.npz")
    with pytest.raises(PretrainedWeightError) as info:
        load_sample_weight()
    assert "見つかりません" in str(info.value) and "missing" in str(info.value)
    assert "train_sample_weight.py" in str(info.value)


def test_wrong_shapes_dtypes_and_keys_are_reported(monkeypatch, tmp_path):
    arrays = {k: np.zeros(s, dtype=np.float32) for k, s in SAMPLE_WEIGHT_SHAPES.items()}
    arrays["W1"] = np.zeros((50, 784), dtype=np.float32)
    arrays["b2"] = np.zeros(100, dtype=np.float64)
    del arrays["b3"]
    arrays["W4"] = np.zeros(3, dtype=np.float32)
    path = tmp_path / "sample_weight.npz"
    np.savez_compressed(path, **arrays)
    _use_file(monkeypatch, path)
    with pytest.raises(PretrainedWeightError) as info:
        load_sample_weight()
    message = str(info.value)
    for words in ("W1: 形状", "(784, 50)", "b2: 型", "float32", "'b3'", "'W4'", "expected"):
        assert words in message, message


def test_pickled_arrays_are_refused(monkeypatch, tmp_path):
    arrays = {k: np.zeros(s, dtype=np.float32) for k, s in SAMPLE_WEIGHT_SHAPES.items()}
    arrays["W1"] = np.array([{"not": "numbers"}], dtype=object)
    path = tmp_path / "sample_weight.npz"
    np.savez(path, **arrays)
    _use_file(monkeypatch, path)
    with pytest.raises(PretrainedWeightError) as info:
        load_sample_weight()
    assert "読み込めません" in str(info.value)


def test_a_corrupt_file_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "sample_weight.npz"
    path.write_bytes(b"this is not a zip file")
    _use_file(monkeypatch, path)
    with pytest.raises(PretrainedWeightError):
        load_sample_weight()
