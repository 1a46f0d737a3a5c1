"""course.plotting: Japanese text renders without missing glyphs; show_images lays out a grid."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import course.plotting as plotting

JAPANESE_TEXT = {
    "suptitle": "学習曲線（ミニバッチ SGD）",
    "title": "損失の推移：訓練データとテストデータ",
    "xlabel": "エポック数",
    "ylabel": "損失（交差エントロピー誤差）",
    "legend": ("訓練データ", "テストデータ"),
}


def _glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]


def _render_japanese_figure() -> list[str]:
    """Draw a figure with Japanese text on an Agg canvas; return the 'Glyph ... missing' warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # matplotlib's glyph warnings would otherwise show only once
        fig = Figure(figsize=(4, 3))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        epochs = np.arange(1, 11)
        ax.plot(epochs, 1 / epochs, label=JAPANESE_TEXT["legend"][0])
        ax.plot(epochs, 1.2 / epochs - 0.5, label=JAPANESE_TEXT["legend"][1])  # negative ticks too
        ax.set_title(JAPANESE_TEXT["title"])
        ax.set_xlabel(JAPANESE_TEXT["xlabel"])
        ax.set_ylabel(JAPANESE_TEXT["ylabel"])
        ax.text(5, 0.5, "数字 0〜9 の画像", fontsize=8)
        ax.legend()
        fig.suptitle(JAPANESE_TEXT["suptitle"])
        fig.canvas.draw()
    return _glyph_warnings(caught)


def test_import_registers_a_japanese_font():
    assert plotting.has_japanese_font()
    assert plotting.japanese_font_name() == matplotlib.rcParams["font.family"][0]


def test_has_japanese_font_detects_a_latin_only_font():
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        assert not plotting.has_japanese_font()


def test_japanese_text_renders_without_missing_glyphs():
    assert _render_japanese_figure() == []


def test_missing_glyphs_would_be_detected():
    # The same figure with a Latin-only font does warn: the check above can fail.
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        missing = _render_japanese_figure()
    assert missing and any("missing from font" in m for m in missing)


def _drawn(fig):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return _glyph_warnings(caught)


def test_show_images_with_flat_784_vectors():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    images = rng.random((23, 784)).astype(np.float32)
    fig = plotting.show_images(images, ncols=10)
    try:
        assert len(fig.axes) == 30  # 3 rows of 10
        for i, ax in enumerate(fig.axes):
            if i < 23:
                assert len(ax.images) == 1
                np.testing.assert_array_equal(ax.images[0].get_array(), images[i].reshape(28, 28))
            else:
                assert len(ax.images) == 0
            assert ax.get_title() == ""
        assert _drawn(fig) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("shape", [(12, 28, 28), (12, 1, 28, 28)])
def test_show_images_with_28x28_images_and_titles(shape):
    import matplotlib.pyplot as plt

    images = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    labels = [f"正解 {i % 10}" for i in range(12)]
    fig = plotting.show_images(images, labels=labels, ncols=5)
    try:
        assert len(fig.axes) == 15  # 3 rows of 5
        for i, ax in enumerate(fig.axes):
            if i < 12:
                assert ax.get_title() == labels[i]
                np.testing.assert_array_equal(ax.images[0].get_array(), images[i].reshape(28, 28))
            else:
                assert ax.get_title() == "" and len(ax.images) == 0
        assert _drawn(fig) == []  # Japanese titles: no missing glyphs
    finally:
        plt.close(fig)


@pytest.mark.parametrize("n, ncols, expected_axes", [(1, 1, 1), (3, 10, 10), (10, 10, 10), (11, 10, 20)])
def test_show_images_grid_size(n, ncols, expected_axes):
    import matplotlib.pyplot as plt

    fig = plotting.show_images(np.zeros((n, 784)), labels=list(range(n)), ncols=ncols)
    try:
        assert len(fig.axes) == expected_axes
        assert [ax.get_title() for ax in fig.axes[:n]] == [str(i) for i in range(n)]
    finally:
        plt.close(fig)
