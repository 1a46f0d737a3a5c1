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


def visible_verdicts(notebook: str, grade_id: str, code: str):
    """Judge a student implementation with the visible self-check of one test cell (the notebook's ✔)."""
    from course.selfcheck import run_self_check

    return run_self_check(notebook, grade_id, student_namespace(code))


HINT_MARKERS = ("考えられる原因: ", "ヒント: ")


def hint_lines(message: str) -> list[str]:
    return [line.strip() for line in message.splitlines() if line.strip().startswith(HINT_MARKERS)]


@pytest.fixture
def judge_code():
    """judge_code(notebook, grade_id, code) -> (passed, joined message) of the hidden checks.

    Every call also proves learner parity on that code: when the grader fails it, the visible
    self-check of the same cell fails too (no "✔ in the notebook, ✘ in the grade"), and a hint
    the grader gives is given by the self-check as well (when the self-check's first failure is
    on the same function). Pass ``parity=False`` only for code written to fool the visible cases
    (answers hard-coded to the visible inputs)."""

    def run(notebook: str, grade_id: str, code: str, parity: bool = True):
        verdicts = hidden_verdicts(notebook, grade_id, code)
        passed, message = all(v.passed for v in verdicts), "\n".join(v.message for v in verdicts)
        if parity and not passed:
            visible = visible_verdicts(notebook, grade_id, code)
            shown = "\n".join(v.message for v in visible)
            if all(v.passed for v in visible):
                pytest.fail(f"✔ but ✘: the self-check of {notebook}/{grade_id} passes code the grader fails:\n{message}")
            hidden_hints = hint_lines(message)
            if hidden_hints and not set(hint_lines(shown)) & set(hidden_hints):
                pytest.fail(f"the grader's hint for {notebook}/{grade_id} is missing from the self-check:\n"
                            f"grader:\n{message}\nself-check:\n{shown}")
        return passed, message

    return run
