"""Draw example images of the handwriting styles that appear only in the hidden test set.

    .venv/bin/python -m capstone.katakana.test_only_styles

Writes ``source/capstone/test_only_styles.png`` (released beside the tutorial, which shows it).
Every test image's source is known without rendering anything: ``render_sample`` first draws
its glyph source from the image's own generator (``choose_source``), so replaying that draw tells
which images come from a font marked "test". One row per such font, images from the public part
of the test set only, one per character in label order (the first ``PER_FONT`` characters that
have one). Needs no fonts; deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from capstone.katakana.generate import CHARS, TEST_SEED, choose_source, fonts_for

REPO = Path(__file__).resolve().parents[2]
TEST_SET = REPO / "autograder" / "capstone" / "katakana_test.npz"
OUTPUT = REPO / "source" / "capstone" / "test_only_styles.png"
PER_FONT = 10
STYLE_NAMES = {"handwriting": "手書き風", "brush": "毛筆", "printed": "活字"}


def examples_of_test_only_fonts(t: np.ndarray, public: np.ndarray) -> dict[str, list[int]]:
    """font file name → indices of public test images drawn with that test-only font."""
    test_only = {f.path for f in fonts_for("test")} - {f.path for f in fonts_for("train")}
    found: dict[str, dict[int, int]] = {}
    for index in np.flatnonzero(public):
        font = choose_source("test", np.random.default_rng([TEST_SEED, int(index)]))
        if font is None or font.path not in test_only:
            continue
        per_char = found.setdefault(font.path, {})
        per_char.setdefault(int(t[index]), int(index))
    return {path: [per_char[c] for c in sorted(per_char)][:PER_FONT] for path, per_char in sorted(found.items())}


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import course.plotting  # noqa: F401  (Japanese labels)

    with np.load(TEST_SET, allow_pickle=False) as data:
        x, t, public = data["x"], data["t"], data["public"]
    examples = examples_of_test_only_fonts(t, public)
    styles = {f.path: f.style for f in fonts_for("test")}
    fig, axes = plt.subplots(len(examples), PER_FONT, figsize=(PER_FONT * 0.9, len(examples) * 1.0), squeeze=False,
                             gridspec_kw={"wspace": 0.15, "hspace": 0.45})
    for row, (path, indices) in enumerate(examples.items()):
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(indices):
                ax.imshow(x[indices[col]], cmap="gray_r", vmin=0, vmax=255)
                ax.set_title(CHARS[t[indices[col]]], fontsize=8, pad=2)
            else:
                ax.axis("off")
        axes[row, 0].set_ylabel(f"{STYLE_NAMES[styles[path]]}\n{Path(path).stem}", rotation=0, ha="right", va="center",
                                fontsize=8)
    fig.suptitle("テストデータにしかない書き方の例（公開部分から）", fontsize=11)
    fig.savefig(OUTPUT, dpi=80, bbox_inches="tight", metadata={"Software": None})
    print(OUTPUT.relative_to(REPO))


if __name__ == "__main__":
    main()
