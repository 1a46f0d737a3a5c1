"""Plotting with Japanese labels.

Importing this module registers a bundled Japanese font with matplotlib
(``matplotlib_fontja``, the maintained successor of japanize-matplotlib), so titles and
axis labels in Japanese render without tofu (□).
"""

from __future__ import annotations

import matplotlib
import matplotlib_fontja  # noqa: F401  (registers the IPAex Gothic font on import)
import numpy as np
from matplotlib import font_manager


def japanese_font_name() -> str:
    """The family name matplotlib uses for Japanese text."""
    return matplotlib.rcParams["font.family"][0]


def has_japanese_font() -> bool:
    """True when the configured font really contains Japanese glyphs."""
    try:
        path = font_manager.findfont(japanese_font_name(), fallback_to_default=False)
    except ValueError:
        return False
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    return all(font.get_char_index(ord(ch)) != 0 for ch in "日本語カタカナ")


def show_images(images, labels=None, ncols: int = 10, size: float = 1.2, cmap: str = "gray"):
    """Draw a grid of 28×28 images (flattened 784 vectors are reshaped) with optional titles."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.2))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        if img.ndim == 1:
            side = int(round(np.sqrt(img.size)))
            img = img.reshape(side, side)
        ax.imshow(img.squeeze(), cmap=cmap)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# figures of a classification report (numbers from course.report)

def plot_confusion_matrix(confusion, labels, *, ax=None, normalize: bool = False, title: str = "混同行列",
                          cmap: str = "Blues"):
    """Draw a confusion matrix (rows = truth, columns = prediction) with the counts written in the cells.

    ``normalize=True`` divides every row by its total (the share of each true class); cells that
    are 0 stay empty so the mistakes stand out. Returns the axes.
    """
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    values = confusion.astype(np.float64)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * len(labels) + 2.5, 0.45 * len(labels) + 1.8))
    image = ax.imshow(values, cmap=cmap, vmin=0)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(label) for label in labels])
    ax.set_yticks(ticks, [str(label) for label in labels])
    ax.set_xlabel("予測")
    ax.set_ylabel("正解")
    ax.set_title(title)
    top = values.max() if values.size else 0
    for i, j in zip(*np.nonzero(confusion)):
        text = f"{values[i, j]:.0%}" if normalize else str(confusion[i, j])
        ax.text(j, i, text, ha="center", va="center", fontsize=7 if normalize else 8,
                color="white" if values[i, j] > top / 2 else "black")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_per_class_accuracy(accuracy, labels, *, ax=None, overall: float | None = None,
                            title: str = "文字ごとの正解率"):
    """Bar chart of per-class accuracy (the lowest bars in red); ``overall`` draws the mean as a line."""
    import matplotlib.pyplot as plt

    accuracy = np.asarray(accuracy, dtype=np.float64)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * len(labels) + 2.5, 3.5))
    shown = np.nan_to_num(accuracy, nan=0.0)
    lowest = set(np.argsort(shown, kind="stable")[:3].tolist())
    colors = ["tab:red" if c in lowest else "tab:blue" for c in range(len(labels))]
    ax.bar(range(len(labels)), shown, color=colors)
    ax.set_xticks(range(len(labels)), [str(label) for label in labels])
    low = min(0.8, float(np.floor(shown.min() * 20) / 20)) if shown.size else 0.0
    ax.set_ylim(low, 1.0)
    ax.set_ylabel("正解率")
    ax.set_title(title)
    if overall is not None:
        ax.axhline(overall, color="gray", linestyle="--", label=f"全体 {overall:.1%}")
        ax.legend(loc="lower right")
    ax.grid(True, axis="y", alpha=0.4)
    return ax


def show_confused_images(images, t, probabilities, indices, labels, *, ncols: int = 8, size: float = 1.3):
    """Draw the images ``indices`` titled "正解→予測 確率" (e.g. the output of
    ``course.report.most_confident_mistakes``). Returns the figure, or None when ``indices`` is empty."""
    import matplotlib.pyplot as plt

    indices = np.asarray(indices, dtype=np.int64)
    if not len(indices):
        return None
    p = np.asarray(probabilities)
    predicted = p.argmax(axis=1)
    cols = min(ncols, len(indices))
    rows = int(np.ceil(len(indices) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.35), squeeze=False,
                             gridspec_kw={"wspace": 0.35, "hspace": 0.6})
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), indices):
        image = np.asarray(images[i])
        side = int(round(np.sqrt(image.size)))
        ax.imshow(image.reshape(side, side), cmap="gray_r")
        ax.set_title(f"{labels[t[i]]}→{labels[predicted[i]]} {p[i, predicted[i]]:.0%}", fontsize=9)
    return fig
