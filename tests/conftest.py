"""Shared fixtures of the project's tests."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import checks_for
from course.checking import run_in_process

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config):
    # Tests and CI read the original data files from ../shared/data (never downloaded here).
    os.environ.setdefault("COURSE_MNIST_DIR", str(SHARED_DATA / "mnist"))
    os.environ.setdefault("COURSE_HOUSING_DIR", str(SHARED_DATA / "housing"))
    os.environ.setdefault("MPLBACKEND", "Agg")


def student_namespace(code: str) -> dict:
    """Run ``code`` like a notebook cell would (module ``__main__``) and return its globals."""
    namespace = {"__name__": "__main__", "np": np}
    exec(compile(textwrap.dedent(code), "<student>", "exec"), namespace)
    return namespace


def hidden_verdicts(notebook: str, grade_id: str, code: str):
    """Judge a student implementation (source text) with the hidden checks of one test cell."""
    namespace = student_namespace(code)
    return [run_in_process(check, namespace) for check in checks_for(notebook, grade_id)]


@pytest.fixture
def judge_code():
    """judge_code(notebook, grade_id, code) -> (passed, joined message)."""

    def run(notebook: str, grade_id: str, code: str):
        verdicts = hidden_verdicts(notebook, grade_id, code)
        return all(v.passed for v in verdicts), "\n".join(v.message for v in verdicts)

    return run
