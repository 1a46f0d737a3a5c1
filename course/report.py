"""Numbers for a classification report: confusion matrix, per-class accuracy, the most confused pairs.

Used by the mid-term report notebook (5_7) on the katakana capstone; nothing here is specific to
katakana (labels are integers ``0 .. n_classes - 1``). The conventions follow
``course.katakana.score_predictions`` so the report shows the same numbers as the scorer:

* predictions are the arg max of the probabilities, ties going to the smaller label;
* ``confusion[i, j]`` counts the images whose true label is ``i`` and predicted label is ``j``
  (rows = truth, columns = prediction), an int64 array;
* the loss is the mean of ``-log(max(p[true], 1e-15))``.

The figures that go with these numbers are in ``course.plotting`` (``plot_confusion_matrix``,
``plot_per_class_accuracy``, ``show_confused_images``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "per_class_accuracy", "most_confused_pairs", "most_confident_mistakes",
           "classification_summary", "LOSS_EPSILON"]

LOSS_EPSILON = 1e-15  # the same clipping as course.katakana.score_predictions


def _labels(t, name: str) -> np.ndarray:
    t = np.asarray(t)
    if t.ndim != 1:
        raise ValueError(f"{name} はラベルの 1 次元配列にしてください（形状 {t.shape}）。")
    if t.size and t.dtype.kind not in "iu":
        raise ValueError(f"{name} は整数のラベルにしてください（dtype {t.dtype}）。")
    return t.astype(np.int64)


def confusion_matrix(t, predicted, n_classes: int) -> np.ndarray:
    """混同行列: ``confusion[i, j]`` = 正解が ``i`` で ``j`` と予測した枚数（行が正解、列が予測）。

    ``t`` and ``predicted`` are 1-D integer label arrays of the same length, every label in
    ``0 .. n_classes - 1``. Returns a new ``(n_classes, n_classes)`` int64 array whose total is
    ``len(t)`` and whose diagonal holds the correct predictions.
    """
    t, predicted = _labels(t, "t"), _labels(predicted, "predicted")
    if t.shape != predicted.shape:
        raise ValueError(f"t と predicted の長さが違います（{len(t)} と {len(predicted)}）。")
    for name, labels in (("t", t), ("predicted", predicted)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} に 0〜{n_classes - 1} の範囲外のラベルがあります。")
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (t, predicted), 1)
    return confusion


def per_class_accuracy(confusion) -> np.ndarray:
    """クラスごとの正解率: 対角成分 ÷ 行の和（正解がそのクラスの枚数）。float64、枚数 0 のクラスは nan。"""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"混同行列は正方行列にしてください（形状 {confusion.shape}）。")
    totals = confusion.sum(axis=1).astype(np.float64)
    diagonal = np.diag(confusion).astype(np.float64)
    out = np.full(len(totals), np.nan)
    np.divide(diagonal, totals, out=out, where=totals > 0)
    return out


def most_confused_pairs(confusion, k: int = 5) -> list[tuple[int, int, int]]:
    """いちばん多い取り違え: ``(正解, 予測, 枚数)`` の組を枚数の多い順に最大 ``k`` 個。

    Only off-diagonal cells with at least one image; ties are ordered by the true label, then by
    the predicted label, so the list is deterministic.
    """
    confusion = np.asarray(confusion)
    pairs = [(int(i), int(j), int(confusion[i, j])) for i, j in zip(*np.nonzero(confusion)) if i != j]
    pairs.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))
    return pairs[:k]


def most_confident_mistakes(probabilities, t, k: int = 20) -> np.ndarray:
    """間違えた画像の添字を、予測したクラスに付けた確率の高い順（自信たっぷりの間違いから）に最大 ``k`` 個。

    Ties keep the order of the data (a stable sort), so the result is deterministic.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    t = _labels(t, "t")
    if p.ndim != 2 or len(p) != len(t):
        raise ValueError(f"probabilities は (N, クラス数) にしてください（形状 {p.shape}、ラベル {len(t)} 個）。")
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != t)
    confidence = p[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:k]


def classification_summary(probabilities, t) -> dict:
    """正解率・損失・混同行列・クラスごとの正解率をまとめて求める（発表用の数字）。

    Returns a dict with ``n``, ``correct``, ``accuracy``, ``loss`` (floats and ints),
    ``predicted`` (N,), ``confusion`` (C, C) int64 and ``per_class_accuracy`` (C,) float64.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    t = _labels(t, "t")
    if p.ndim != 2 or len(p) != len(t):
        raise ValueError(f"probabilities は (N, クラス数) にしてください（形状 {p.shape}、ラベル {len(t)} 個）。")
    predicted = p.argmax(axis=1)
    confusion = confusion_matrix(t, predicted, p.shape[1])
    true_p = np.clip(p[np.arange(len(t)), t], LOSS_EPSILON, 1.0)
    correct = int(np.trace(confusion))
    return {
        "n": int(len(t)),
        "correct": correct,
        "accuracy": correct / len(t) if len(t) else 0.0,
        "loss": float(-np.log(true_p).mean()) if len(t) else 0.0,
        "predicted": predicted,
        "confusion": confusion,
        "per_class_accuracy": per_class_accuracy(confusion),
    }
