"""The committed capstone katakana data (course/data/katakana_train.npz and the hidden
autograder/capstone/katakana_test.npz) and the determinism of its generator."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "capstone" / "katakana" / "generate.py"
TRAIN = REPO / "course" / "data" / "katakana_train.npz"
TEST = REPO / "autograder" / "capstone" / "katakana_test.npz"

TRAIN_COUNTS = [200] * 15
TEST_COUNTS = [1300] * 5 + [800] * 10


def _generator():
    spec = importlib.util.spec_from_file_location("katakana_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up in sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def train():
    with np.load(TRAIN, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def test():
    with np.load(TEST, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_train_file(train):
    assert set(train) == {"x", "t"}
    assert train["x"].shape == (3000, 28, 28) and train["x"].dtype == np.uint8
    assert train["t"].shape == (3000,) and train["t"].dtype == np.int64
    assert np.bincount(train["t"], minlength=15).tolist() == TRAIN_COUNTS


def test_test_file(test):
    assert set(test) == {"x", "t", "public"}
    assert test["x"].shape == (14500, 28, 28) and test["x"].dtype == np.uint8
    assert test["t"].shape == (14500,) and test["t"].dtype == np.int64
    assert test["public"].shape == (14500,) and test["public"].dtype == np.bool_
    assert np.bincount(test["t"], minlength=15).tolist() == TEST_COUNTS


@pytest.mark.parametrize("name", ["train", "test"])
def test_images_fill_the_frame_with_strokes(name, request):
    x = request.getfixturevalue(name)["x"]
    borders = np.stack([x[:, 0, :].max(1), x[:, -1, :].max(1), x[:, :, 0].max(1), x[:, :, -1].max(1)], 1)
    # Ink touches all four borders (the characters are stretched to fill 28x28).
    assert (borders.min(axis=1) >= 64).mean() >= 0.99
    # Every image has real strokes, and is far from all ink.
    ink = (x > 128).sum(axis=(1, 2))
    assert ink.min() >= 40
    assert ink.max() <= 0.7 * 28 * 28
    # Background is 0 (or faint noise) for most pixels; ink reaches full intensity.
    assert np.median(x) == 0
    assert np.percentile(x.max(axis=(1, 2)), 5) >= 200


def test_public_split_is_stratified(test):
    t, public = test["t"], test["public"]
    for c in range(15):
        assert abs(public[t == c].mean() - 0.30) < 0.005
    assert abs(public.mean() - 0.30) < 0.005


def test_no_train_test_duplicates(train, test):
    seen = {img.tobytes() for img in train["x"]}
    assert not any(img.tobytes() in seen for img in test["x"])
    assert len({img.tobytes() for img in test["x"]}) == len(test["x"])


def test_generator_is_deterministic(train, test):
    gen = _generator()
    missing = gen.missing_fonts()
    if missing:
        pytest.skip(
            "fonts needed to regenerate the katakana data are not installed "
            f"({', '.join(sorted({f.package for f in missing}))}); CI does not install fonts"
        )
    for i in (0, 1, 7, 1234, 2999):
        img = gen.render_sample(int(train["t"][i]), "train", gen.TRAIN_SEED, i)
        assert img.tobytes() == train["x"][i].tobytes(), i
    for i in (0, 5, 9999, 14499):
        img = gen.render_sample(int(test["t"][i]), "test", gen.TEST_SEED, i)
        assert img.tobytes() == test["x"][i].tobytes(), i
    assert np.array_equal(gen.labels_for(gen.TRAIN_COUNTS, gen.TRAIN_SEED), train["t"])
    assert np.array_equal(gen.labels_for(gen.TEST_COUNTS, gen.TEST_SEED), test["t"])
    assert np.array_equal(gen.public_mask(test["t"]), test["public"])


def test_training_fonts_are_a_strict_subset():
    gen = _generator()
    train_fonts = set(gen.fonts_for("train"))
    test_fonts = set(gen.fonts_for("test"))
    assert train_fonts < test_fonts
    # Some whole font files, including ones from packages absent from training, are test-only.
    train_packages = {f.package for f in train_fonts}
    assert {f.package for f in test_fonts} - train_packages
