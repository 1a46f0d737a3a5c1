"""Pictures of a report: the confusion matrix, per-class accuracy, misclassified public images.

Drawn with matplotlib through ``course.plotting`` (which registers a Japanese font) on the
Agg backend by the **worker** right after it records a result (its maintenance loop draws any
that are missing); the web process only serves the PNG files and never draws. Only public-part
images are ever drawn.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

KINDS = ("confusion", "per_class", "misclassified")
MAX_IMAGES = 40


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import course.plotting  # noqa: F401  (Japanese font)
    import matplotlib.pyplot as plt

    return plt


@lru_cache(maxsize=1)
def _public_images():
    from autograder.capstone.score import load_test_set

    test = load_test_set()
    return test.x, test.public


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    _pyplot().close(fig)
    return buffer.getvalue()


def confusion(report: dict) -> bytes:
    plt = _pyplot()
    labels = report["labels"]
    matrix = np.asarray(report["public"]["confusion"], dtype=float)
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("予測したラベル")
    ax.set_ylabel("正解のラベル")
    ax.set_title("混同行列（公開テストデータ、行ごとの割合）")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if rows[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return _png(fig)


def per_class(report: dict) -> bytes:
    plt = _pyplot()
    labels = report["labels"]
    values = [v if v is not None else 0.0 for v in report["public"]["per_class_accuracy"]]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    bars = ax.bar(range(len(labels)), [v * 100 for v in values], color="#4477aa")
    ax.set_xticks(range(len(labels)), labels, fontsize=12)
    ax.set_ylim(0, 105)
    ax.set_ylabel("正解率（%）")
    ax.set_title("文字ごとの正解率（公開テストデータ）")
    overall = report["public"]["accuracy"] * 100
    ax.axhline(overall, color="#cc6677", linestyle="--", linewidth=1)
    ax.text(len(labels) - 0.5, overall + 1, f"全体 {overall:.1f}%", ha="right", va="bottom", color="#cc6677", fontsize=9)
    for bar, value in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, value * 100 + 1, f"{value * 100:.0f}", ha="center", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def misclassified(report: dict) -> bytes:
    plt = _pyplot()
    x, public = _public_images()
    labels = report["labels"]
    items = [m for m in report.get("public_misclassified", []) if 0 <= m["index"] < len(x) and public[m["index"]]][:MAX_IMAGES]
    ncols = 8
    nrows = max(1, int(np.ceil(len(items) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 1.25, nrows * 1.55))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i >= len(items):
            continue
        item = items[i]
        ax.imshow(np.asarray(x[item["index"]]).reshape(28, 28), cmap="gray_r")
        ax.set_title(f"正解 {labels[item['true']]}\n予測 {labels[item['predicted']]} {item['probability'] * 100:.0f}%",
                     fontsize=8)
    if not items:
        axes_flat = np.ravel(axes)
        axes_flat[0].text(0, 0.5, "間違えた画像はありません", fontsize=12)
    fig.suptitle(f"間違えた画像（公開テストデータ、最初の {len(items)} 枚）", fontsize=10)
    fig.tight_layout()
    return _png(fig)


RENDER = {"confusion": confusion, "per_class": per_class, "misclassified": misclassified}


def picture_path(picture_dir: Path, result_id: int, kind: str) -> Path:
    if kind not in RENDER:
        raise KeyError(kind)
    return Path(picture_dir) / str(int(result_id)) / f"{kind}.png"


def drawn(picture_dir: Path, result_id: int) -> bool:
    return all(picture_path(picture_dir, result_id, kind).exists() for kind in KINDS)


def draw_all(picture_dir: Path, result_id: int, report: dict) -> None:
    for kind in KINDS:
        picture(picture_dir, result_id, kind, report)


def picture(picture_dir: Path, result_id: int, kind: str, report: dict) -> Path:
    """The PNG file of one picture of a scored result (drawn once, then cached)."""
    path = picture_path(picture_dir, result_id, kind)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = RENDER[kind](report)
        tmp = path.with_name(f".{kind}.{os.getpid()}.png")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # the same picture whoever draws it
    return path
