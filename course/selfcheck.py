"""Visible self-checks: students run them in their notebook and read Japanese messages.

A test cell starts with ``self_check("1_4_softmax", "softmax_1d")``. The cases it runs are the
visible cases of the same check tables the grader uses, judged by the same
``course.checking.judge``; their expected values and the values of every typical mistake on
those inputs were computed when the course was built and are read from
``course/selfchecks/<notebook>.json`` (data only: no reference code travels to the student).
So every mistake the grader names is named here too, with the same hint.

File format (``FORMAT``): ``{"notebook", "cells": {grade_id: [check, ...]}}`` where a check is
``{"kind": "function" | "class", "function", options of FunctionCheck/ClassCheck, "hints": [...],``
``"cases": [{"label", "args", "kwargs", "forbid_warnings", "expected", "mistakes": [...]}]}`` (function)
or ``"scenarios": [{"label", "steps", "expected": [...], "mistakes": [[...], ...]}]`` (class); values
are indices into ``"values"`` (each distinct ``course.probe.encode_value`` datum once), ``null`` where
the reference or a mistake raised.
"""

from __future__ import annotations

import inspect
import json
from functools import lru_cache
from pathlib import Path

from . import probe
from .checking import (NOT_SET, Case, ClassCheck, FunctionCheck, Mistake, Scenario, Step, Timing, Verdict,
                       run_in_process)

__all__ = ["Case", "Mistake", "SelfCheckError", "check_function", "self_check", "OWN_WORK_RULE"]

FORMAT = "course-selfcheck/2"
SELFCHECK_DIR = Path("course") / "selfchecks"  # relative to the repository root
_DATA = Path(__file__).resolve().parent / "selfchecks"

# The one sentence every notebook that grades code states (docs/authoring.md).
OWN_WORK_RULE = ("採点される関数・クラスは、このノートブックの中で自分で実装してください。"
                 "ライブラリや course パッケージの既存の実装を呼び出すだけの解答は 0 点になります。")

HIDDEN_NOTE = "（提出後の採点では、ここにない入力の隠しテストでも同じ観点を確かめます。）"


class SelfCheckError(AssertionError):
    """A visible self-check failed; the message says what and why (in Japanese)."""

    def _render_traceback_(self):  # IPython shows these lines instead of a Python traceback
        return ["✘ " + line if i == 0 else line for i, line in enumerate(str(self).splitlines())]


class _Values:
    """Decodes the shared value pool of one file on demand."""

    def __init__(self, encoded: list):
        self._encoded = encoded

    def __call__(self, index):
        return NOT_SET if index is None else probe.decode_value(self._encoded[index])


def _options(entry: dict) -> dict:
    return {"rtol": entry["rtol"], "atol": entry["atol"], "dtype": entry["dtype"], "returns": entry["returns"],
            "check_inputs_unchanged": entry["check_inputs_unchanged"], "must_be_own": entry["must_be_own"],
            "allowed_borrowed": tuple(entry["allowed_borrowed"]),
            "error_hints": tuple(tuple(p) for p in entry["error_hints"]),
            "prerequisite_of": entry.get("prerequisite_of", "")}


def _class_options(entry: dict) -> dict:
    return dict(_options(entry), part=entry.get("part", ""))


def _function_check(entry: dict, value: _Values) -> FunctionCheck:
    cases = [Case(c["label"], tuple(value(a) for a in c["args"]), {k: value(v) for k, v in c["kwargs"].items()},
                  expected=value(c["expected"]), forbid_warnings=c["forbid_warnings"])
             for c in entry["cases"]]
    mistakes = [Mistake(hint, values=[value(c["mistakes"][i]) for c in entry["cases"]])
                for i, hint in enumerate(entry["hints"])]
    timing = entry.get("timing")
    timing = Timing(**dict(timing, shapes=[tuple(s) for s in timing["shapes"]])) if timing else None
    return FunctionCheck(function=entry["function"], cases=cases, mistakes=mistakes, timing=timing, **_options(entry))


def _step(data: dict, value: _Values) -> Step:
    return Step(data["op"], method=data["method"], path=tuple(data["path"]),
                args=tuple(value(a) for a in data["args"]), kwargs={k: value(v) for k, v in data["kwargs"].items()},
                record=data["record"], label=data["label"], forbid_warnings=data["forbid_warnings"])


def _class_check(entry: dict, value: _Values) -> ClassCheck:
    scenarios = [Scenario(s["label"], [_step(st, value) for st in s["steps"]]) for s in entry["scenarios"]]
    expected = [[value(v) for v in s["expected"]] for s in entry["scenarios"]]
    mistakes = [Mistake(hint, values=[[value(v) for v in s["mistakes"][i]] for s in entry["scenarios"]])
                for i, hint in enumerate(entry["hints"])]
    return ClassCheck(function=entry["function"], scenarios=scenarios, reference=None, expected=expected,
                      mistakes=mistakes, **_class_options(entry))


@lru_cache(maxsize=None)
def _table(notebook: str) -> dict:
    path = _DATA / f"{notebook}.json"
    if not path.is_file():
        raise FileNotFoundError(f"自己チェックのデータ {path.name} が見つかりません。course パッケージを更新してください"
                                f"（講師の方: course-build を実行してください）。")
    table = json.loads(path.read_text(encoding="utf-8"))
    if table.get("format") != FORMAT:
        raise ValueError(f"{path.name} の形式 {table.get('format')!r} はこの course パッケージでは読めません。")
    return table


def visible_checks(notebook: str, grade_id: str) -> list:
    """The visible checks of one test cell, rebuilt from the generated data."""
    table = _table(notebook)
    cells, value = table["cells"], _Values(table["values"])
    if grade_id not in cells:
        raise KeyError(f"{notebook} にテスト {grade_id!r} の自己チェックがありません。")
    return [(_class_check if e["kind"] == "class" else _function_check)(e, value) for e in cells[grade_id]]


def _labels(check) -> list[str]:
    return [c.label for c in (check.scenarios if isinstance(check, ClassCheck) else check.cases)]


def run_self_check(notebook: str, grade_id: str, namespace: dict) -> list[Verdict]:
    return [run_in_process(check, namespace) for check in visible_checks(notebook, grade_id)]


def self_check(notebook: str, grade_id: str, namespace: dict | None = None) -> None:
    """Run the visible self-check of one test cell against the notebook's code and print the result.

    ``namespace`` defaults to the caller's globals (the notebook).
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    checks = visible_checks(notebook, grade_id)
    failures = []
    for check in checks:
        verdict = run_in_process(check, namespace)
        if not verdict.passed:
            failures.append(verdict.message)
            break  # the first failure is the one to fix; later checks often fail because of it
    if failures:
        raise SelfCheckError("\n".join(failures))
    for check in checks:
        print(f"✔ {check.function}: " + "、".join(_labels(check)))
    print(HIDDEN_NOTE)


def check_function(name: str, cases, namespace: dict | None = None, **options) -> None:
    """Ad-hoc checks of ``name`` on cases with written-out expected values (demos, exploration).

    Test cells use ``self_check`` instead, whose cases come from the check tables.
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    check = FunctionCheck(function=name, cases=list(cases), **options)
    verdict = run_in_process(check, namespace)
    if not verdict.passed:
        raise SelfCheckError(verdict.message)
    print("✔ " + verdict.message)
