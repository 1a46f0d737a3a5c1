"""Grader errors are loud: the dry run (``course-grade dayN --check``, also run before every
grading run) names the notebook, the test cell and the check; a ``grader-error`` during a run
makes ``course-grade`` exit non-zero and say which notebook; every status is documented."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from autograder import grade
from autograder.build import days
from autograder.checks import registry
from autograder.grade import EXIT_GRADER_ERROR, collect_tasks, graded_notebooks
from autograder.probes import STATUS_TEXT
from autograder.validate import validate_day
from course.checking import Case, ClassCheck, FunctionCheck, Scenario, call, new

from .grading_support import REPO, answer, make_course_root, submit, trainee

DAY = "day1"
NB = "1_4_softmax"


@pytest.fixture
def softmax_checks():
    """The check table of 1_4_softmax, changed only for the test."""
    checks = registry()[NB]
    original = {k: list(v) for k, v in checks.items()}
    yield checks
    checks.clear()
    checks.update(original)


@pytest.mark.parametrize("day", [d for d in days(REPO) if graded_notebooks(REPO, d)])
def test_the_course_checks_fit_their_sources(day):
    assert validate_day(REPO, day) == []


def test_dry_run_passes_on_the_course(capsys):
    assert grade.main([DAY, "--check", "--root", str(REPO)]) == 0
    assert "問題なし" in capsys.readouterr().out


def test_a_misspelled_checks_key_names_the_cell_and_the_key(softmax_checks, capsys):
    softmax_checks["softmax_2D"] = softmax_checks.pop("softmax_2d")
    problems = validate_day(REPO, DAY)
    assert {(p.notebook, p.cell, p.check) for p in problems} == {(NB, "softmax_2d", None), (NB, None, "softmax_2D")}
    assert grade.main([DAY, "--check", "--root", str(REPO)]) == EXIT_GRADER_ERROR
    err = capsys.readouterr().err
    assert "1_4_softmax / テストセル softmax_2d" in err and "'softmax_2D'" in err
    assert "2 problem(s)" in err


def test_a_missing_check_module_is_named(softmax_checks, monkeypatch):
    monkeypatch.delitem(registry(), NB)
    problems = validate_day(REPO, DAY)
    assert [(p.notebook, p.cell) for p in problems] == [(NB, None)]
    assert "チェックモジュールがありません" in problems[0].message


def test_a_reference_that_raises_is_named_with_its_case(softmax_checks):
    def broken(x):
        return {}["swish"]

    softmax_checks["softmax_1d"] = [FunctionCheck("softmax", [Case("本の例", (np.array([0.3, 2.9, 4.0]),))],
                                                  reference=broken)]
    problems = validate_day(REPO, DAY)
    assert len(problems) == 1
    p = problems[0]
    assert (p.notebook, p.cell, p.check) == (NB, "softmax_1d", "softmax")
    assert "KeyError" in p.message and "本の例" in p.message


def test_a_class_reference_that_fails_a_scenario_is_named(softmax_checks):
    class Broken:
        def forward(self, x):
            raise ValueError("shapes")

    check = ClassCheck("softmax", [Scenario("順伝播", [new(), call("forward", np.ones(2))])], reference=Broken)
    softmax_checks["softmax_2d"] = [check]
    problems = validate_day(REPO, DAY)
    assert [(p.cell, p.check) for p in problems] == [("softmax_2d", "softmax")]
    assert "順伝播" in problems[0].message and "ValueError" in problems[0].message


def test_a_check_of_a_function_no_answer_cell_defines_is_named(softmax_checks):
    first = softmax_checks["softmax_1d"][0]
    softmax_checks["softmax_1d"] = [FunctionCheck("softmax_stable", first.cases, reference=first.reference)]
    problems = validate_day(REPO, DAY)
    assert [(p.cell, p.check) for p in problems] == [("softmax_1d", "softmax_stable")]
    assert "解答セル" in problems[0].message


def test_a_real_run_stops_before_any_kernel_when_the_checks_do_not_fit(softmax_checks, tmp_path, capsys):
    softmax_checks["softmax_2D"] = softmax_checks.pop("softmax_2d")
    root = make_course_root(tmp_path)
    subs = tmp_path / "submissions"
    submit(subs, "s1", f"{NB}_trainee.ipynb", trainee(DAY, NB))
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1"]) == EXIT_GRADER_ERROR
    err = capsys.readouterr().err
    assert "カーネルは起動していません" in err and "nothing was graded" in err and "softmax_2d" in err
    assert not (root / "grading").exists() and not (root / "gradebook.db").exists()


def test_a_grader_error_during_a_run_exits_non_zero_and_names_the_notebook(tmp_path, monkeypatch, capsys):
    import autograder.grading

    def crash(*args, **kwargs):
        raise KeyError("swish")

    monkeypatch.setattr(autograder.grading, "grade_file", crash)
    root = make_course_root(tmp_path)
    subs = tmp_path / "submissions"
    submit(subs, "s1", f"{NB}_trainee.ipynb", answer(DAY, NB))
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1"]) == EXIT_GRADER_ERROR
    err = capsys.readouterr().err
    assert "grader-error" in err and f"s1 / {NB}: KeyError('swish')" in err
    assert f"--students s1 --notebooks {NB}" in err
    result = json.loads((root / "grading/results/s1" / f"{NB}.json").read_text(encoding="utf-8"))
    assert result["status"] == "grader-error"


def test_a_handed_in_demo_notebook_gets_a_note_not_a_rename_hint(tmp_path):
    subs = tmp_path / "submissions"
    submit(subs, "s1", "1_6_mnist.ipynb", answer(DAY, "1_6_mnist"))
    submit(subs, "s1", "1_4_softmx.ipynb", trainee(DAY, NB))
    known = set(graded_notebooks(REPO, DAY))
    tasks, notes = collect_tasks(subs, known, None, None, {"0_preparation", "1_3_forward", "1_6_mnist"})
    assert tasks == []
    misnamed, demo = notes["s1"]  # files are taken in name order
    assert "1_6_mnist" in demo and "デモ" in demo and "一致しません" not in demo
    assert "1_4_softmax.ipynb に名前を変えて" in misnamed


def test_every_result_status_is_documented():
    text = (REPO / "docs" / "grading.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.M))
    assert set(STATUS_TEXT) | {"unreadable", "grader-error"} <= documented
