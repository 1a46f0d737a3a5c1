"""The examples of test-only handwriting styles shown to students come from test-only fonts and
from the public part of the test set only."""

from __future__ import annotations

import numpy as np

from autograder.capstone.score import load_test_set
from capstone.katakana.generate import TEST_SEED, choose_source, fonts_for
from capstone.katakana.test_only_styles import PER_FONT, examples_of_test_only_fonts


def test_examples_are_public_images_of_test_only_fonts():
    test = load_test_set()
    examples = examples_of_test_only_fonts(test.t, test.public)
    test_only = {f.path for f in fonts_for("test")} - {f.path for f in fonts_for("train")}
    assert set(examples) == test_only and len(test_only) == 9
    for path, indices in examples.items():
        assert len(indices) == PER_FONT
        assert all(test.public[i] for i in indices)
        assert list(test.t[indices]) == list(range(PER_FONT))  # one per character, in label order
        for i in indices:
            assert choose_source("test", np.random.default_rng([TEST_SEED, i])).path == path
