"""Run a hidden check inside the current process.

The hidden block of a source notebook's test cell calls ``run_check``. This only happens
where the instructor runs the source notebook (authoring, the project's tests): when a
submission is graded, the grader replaces the whole test cell by a probe and decides the
verdict outside the student's kernel (``autograder.grade``).
"""

from __future__ import annotations

from course.checking import run_in_process

from .checks import checks_for


class HiddenCheckFailed(AssertionError):
    """A hidden check failed (instructor-side run); the message is the student feedback."""


def run_check(notebook: str, grade_id: str, namespace: dict) -> None:
    failures = [v.message for v in (run_in_process(c, namespace) for c in checks_for(notebook, grade_id))
                if not v.passed]
    if failures:
        raise HiddenCheckFailed("\n".join(failures))
