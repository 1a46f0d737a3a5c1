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
