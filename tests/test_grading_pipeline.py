"""End to end through the real pipeline: every DAY1 answer gets full marks, every untouched
trainee notebook gets zero, and the feedback never shows hidden test code."""

from __future__ import annotations

import csv
import json

import pytest

from autograder import grade
from autograder.build import days
from autograder.grade import graded_notebooks, score_table

from .grading_support import REPO, answer, make_course_root, submit, trainee

DAY = "day1"
NOTEBOOKS = sorted(graded_notebooks(REPO, DAY))
DAYS = [d for d in days(REPO) if graded_notebooks(REPO, d)]


def _grade_answers_and_trainees(tmp, day):
    root = make_course_root(tmp)
    subs = tmp / "submissions"
    for name in graded_notebooks(REPO, day):
        submit(subs, "answers", f"{name}.ipynb", answer(day, name))
        submit(subs, "untouched", f"{name}_trainee.ipynb", trainee(day, name))
    code = grade.main([day, "--submissions", str(subs), "--root", str(root), "--jobs", "2"])
    return root, code


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return _grade_answers_and_trainees(tmp_path_factory.mktemp("class"), DAY)


@pytest.mark.parametrize("day", [d for d in DAYS if d != DAY])
def test_later_days_answers_full_marks_trainees_zero(tmp_path, day):
    root, code = _grade_answers_and_trainees(tmp_path, day)
    assert code == 0
    table = score_table(root, day)
    for name in graded_notebooks(REPO, day):
        score, max_score = table["answers"][name]
        assert score == max_score > 0, (name, json.loads((root / "grading/results/answers" / f"{name}.json").read_text()))
        assert table["untouched"][name][0] == 0, name


def test_every_day1_notebook_is_graded():
    assert DAY in days(REPO)
    assert {"1_1_perceptron", "1_2_activation_function", "1_4_softmax", "1_5_linear_regression",
            "1_7_predict", "1_8_batch", "1_9_loss_function"} <= set(NOTEBOOKS)


def test_answers_get_full_marks_and_untouched_trainees_zero(graded_class):
    root, code = graded_class
    assert code == 0
    table = score_table(root, DAY)
    for name in NOTEBOOKS:
        score, max_score = table["answers"][name]
        assert max_score > 0
        assert score == max_score, (name, json.loads((root / "grading/results/answers" / f"{name}.json").read_text()))
        assert table["untouched"][name][0] == 0, name


def test_csv_export_has_both_students(graded_class):
    root, _ = graded_class
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades.csv").open(encoding="utf-8"))}
    assert float(rows["answers"]["score"]) == float(rows["answers"]["max_score"]) > 0
    assert float(rows["untouched"]["score"]) == 0


def test_feedback_is_japanese_and_hides_hidden_tests(graded_class):
    root, _ = graded_class
    for name in NOTEBOOKS:
        html = (root / "feedback" / "untouched" / DAY / f"{name}.html").read_text(encoding="utf-8")
        assert "不合格" in html and "NotImplementedError" in html
        assert "採点結果" in html and "合計: 0 / " in html
        for secret in ("BEGIN HIDDEN TESTS", "run_check", "autograder", "reference_"):
            assert secret not in html, (name, secret)


def test_regrading_one_student_and_notebook_keeps_the_rest(graded_class, tmp_path):
    root, _ = graded_class
    before = score_table(root, DAY)
    subs = tmp_path / "resubmitted"
    submit(subs, "untouched", "1_4_softmax_trainee.ipynb", answer(DAY, "1_4_softmax"))
    code = grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1",
                       "--students", "untouched", "--notebooks", "1_4_softmax"])
    after = score_table(root, DAY)
    assert code == 0
    assert after["untouched"]["1_4_softmax"][0] == after["untouched"]["1_4_softmax"][1] > 0
    for name in NOTEBOOKS:
        assert after["answers"][name] == before["answers"][name]
        if name != "1_4_softmax":
            assert after["untouched"][name] == before["untouched"][name]


def test_parallel_and_sequential_runs_give_identical_verdicts(tmp_path):
    from .grading_support import with_answer

    subs = tmp_path / "submissions"
    wrong = "def softmax(x):\n    e = np.exp(x)\n    return e / np.sum(e)\n"
    for i, nb in enumerate([answer(DAY, "1_4_softmax"), trainee(DAY, "1_4_softmax"),
                            with_answer(trainee(DAY, "1_4_softmax"), "softmax", wrong)]):
        submit(subs, f"s{i}", "1_4_softmax_trainee.ipynb", nb)
        submit(subs, f"s{i}", "1_1_perceptron.ipynb", answer(DAY, "1_1_perceptron") if i else trainee(DAY, "1_1_perceptron"))
    verdicts = {}
    for jobs in (1, 2):
        root = make_course_root(tmp_path / f"jobs{jobs}")
        assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", str(jobs),
                           "--notebooks", "1_4_softmax,1_1_perceptron"]) == 0
        verdicts[jobs] = {p.relative_to(root).as_posix(): json.loads(p.read_text())["verdicts"]
                          for p in sorted((root / "grading/results").rglob("*.json"))}
    assert len(verdicts[1]) == 6
    assert verdicts[1] == verdicts[2]
