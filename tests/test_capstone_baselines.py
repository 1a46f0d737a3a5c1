"""The reference baselines, scored through the real scorer with the released answer notebook:
the fully connected net reaches 95 % and the CNN 99 % on the hidden test set (public and private)."""

from __future__ import annotations

import json

import pytest

from autograder.capstone.score import score_submission
from course.katakana import load_model

from .capstone_support import REPO, notebook, submission

BASELINES = REPO / "capstone" / "baselines"
TARGETS = {"fc": 0.95, "cnn": 0.99}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_baseline_meets_its_target_through_the_scorer(name):
    model = (BASELINES / name / "model.npz").read_bytes()
    result = score_submission(submission(notebook("answer"), model))
    report = result.report
    assert report["status"] == "scored", report["error"]
    for part in ("public", "private"):
        assert report[part]["accuracy"] >= TARGETS[name], (name, part, report[part]["accuracy"])
    # the training record describes the committed model
    record = json.loads((BASELINES / name / "training.json").read_text(encoding="utf-8"))
    assert load_model(BASELINES / name / "model.npz")["__architecture__"] == record["architecture"]
