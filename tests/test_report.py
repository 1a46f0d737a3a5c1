"""course.report (the numbers of the mid-term report) and its figures in course.plotting."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest

from course.katakana import LABELS, N_CLASSES, score_predictions
from course.report import (classification_summary, confusion_matrix, most_confident_mistakes, most_confused_pairs,
                           per_class_accuracy)


def _random_probabilities(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, N_CLASSES, size=n)
    scores = rng.normal(size=(n, N_CLASSES))
    scores[np.arange(n), t] += 2.0  # mostly right, some mistakes
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), t


def test_confusion_matrix_counts_truth_by_prediction():
    t = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    confusion = confusion_matrix(t, predicted, 3)
    assert confusion.dtype == np.int64
    np.testing.assert_array_equal(confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion.sum() == len(t)


def test_confusion_matrix_rejects_labels_out_of_range_and_lengths():
    with pytest.raises(ValueError, match="範囲外"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="長さ"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)


def test_per_class_accuracy_and_an_empty_class():
    confusion = np.array([[3, 1, 0], [0, 0, 0], [1, 0, 1]])
    acc = per_class_accuracy(confusion)
    assert acc.dtype == np.float64
    np.testing.assert_allclose(acc[[0, 2]], [0.75, 0.5])
    assert np.isnan(acc[1])


def test_most_confused_pairs_order_is_count_then_labels():
    confusion = np.array([[5, 2, 0], [2, 5, 1], [0, 3, 5]])
    assert most_confused_pairs(confusion, k=3) == [(2, 1, 3), (0, 1, 2), (1, 0, 2)]
    assert most_confused_pairs(np.eye(3, dtype=int)) == []


def test_most_confident_mistakes_first_and_stable():
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.3, 0.7]])
    t = np.array([1, 1, 0, 0, 0])
    np.testing.assert_array_equal(most_confident_mistakes(p, t), [0, 2, 4])
    np.testing.assert_array_equal(most_confident_mistakes(p, t, k=1), [0])


def test_summary_agrees_with_the_scorer():
    p, t = _random_probabilities()
    summary = classification_summary(p, t)
    scores = score_predictions(p, t)
    assert 0 < summary["accuracy"] < 1
    assert summary["correct"] == scores["correct"] and summary["n"] == scores["n"]
    assert summary["accuracy"] == pytest.approx(scores["accuracy"])
    assert summary["loss"] == pytest.approx(scores["loss"])
    np.testing.assert_array_equal(summary["confusion"], scores["confusion"])
    np.testing.assert_allclose(summary["per_class_accuracy"], np.array(scores["per_class_accuracy"], dtype=float))


def test_report_figures_draw_japanese_without_missing_glyphs():
    import matplotlib.pyplot as plt

    import course.plotting as plotting

    matplotlib.use("Agg")
    p, t = _random_probabilities(120, seed=1)
    summary = classification_summary(p, t)
    images = np.random.default_rng(2).integers(0, 256, size=(120, 28, 28), dtype=np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, (ax1, ax2) = plt.subplots(1, 2)
        plotting.plot_confusion_matrix(summary["confusion"], LABELS, ax=ax1)
        plotting.plot_confusion_matrix(summary["confusion"], LABELS, ax=ax2, normalize=True)
        fig.canvas.draw()
        ax = plotting.plot_per_class_accuracy(summary["per_class_accuracy"], LABELS, overall=summary["accuracy"])
        ax.figure.canvas.draw()
        wrong = most_confident_mistakes(p, t, k=10)
        grid = plotting.show_confused_images(images, t, p, wrong, LABELS)
        grid.canvas.draw()
    assert plotting.show_confused_images(images, t, p, [], LABELS) is None
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    assert len(grid.axes) >= len(wrong)
    plt.close("all")
