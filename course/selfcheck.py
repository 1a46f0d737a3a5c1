"""Visible self-checks: students run them in their notebook and read Japanese messages.

They use the same check definitions and the same judge as the hidden grader
(``course.checking``), only with a few example inputs whose expected values are written
in the notebook.
"""

from __future__ import annotations

import inspect

from .checking import Case, FunctionCheck, Mistake, run_in_process

__all__ = ["Case", "Mistake", "SelfCheckError", "check_function"]


class SelfCheckError(AssertionError):
    """A visible self-check failed; the message says what and why (in Japanese)."""


def check_function(name: str, cases, namespace: dict | None = None, **options) -> None:
    """Run ``cases`` against the notebook's function ``name`` and print the result.

    ``namespace`` defaults to the caller's globals (the notebook). ``options`` are the
    fields of ``FunctionCheck`` (rtol, atol, dtype, returns, mistakes, ...).
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    check = FunctionCheck(function=name, cases=list(cases), **options)
    verdict = run_in_process(check, namespace)
    if not verdict.passed:
        raise SelfCheckError(verdict.message)
    print("✔ " + verdict.message)
