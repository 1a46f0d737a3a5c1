"""Changing a day after grading has begun: ``course-grade dayN --update-source`` updates the
gradebook to the new source through nbgrader's API and re-grades what changed, keeping every
grade, manual score and comment; a demo notebook never touches grading."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from nbgrader.api import Gradebook

from autograder import authoring, grade
from autograder.authoring import code, markdown, notebook
from autograder.checks import registry
from autograder.checks.day1.softmax import reference_softmax
from autograder.grade import EXIT_SOURCE_CHANGED, score_table
from autograder.gradebook_update import db_url, pending_changes
from autograder.notebook_cells import grade_id, read_notebook, write_notebook
from course.checking import Case, FunctionCheck

from .grading_support import answer, make_course_root, submit, trainee

DAY = "day1"
NB = "1_4_softmax"
NEW_CELL = "softmax_sums_to_one"
COMMENT = "数値の安定化がよく書けています。"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A small class graded once: ``answers`` (full marks) and ``untouched`` (zero) on 1_4_softmax."""
    tmp = tmp_path_factory.mktemp("graded")
    root = make_course_root(tmp)
    subs = tmp / "submissions"
    submit(subs, "answers", f"{NB}.ipynb", answer(DAY, NB))
    submit(subs, "untouched", f"{NB}_trainee.ipynb", trainee(DAY, NB))
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1"]) == 0
    table = score_table(root, DAY)
    result = (root / "grading/results/answers" / f"{NB}.json").read_text(encoding="utf-8")
    assert table["answers"][NB] == (7.0, 7.0) and table["untouched"][NB] == (0.0, 7.0), result
    return root, subs


@pytest.fixture
def course(graded_class, tmp_path):
    """A copy of the graded class (gradebook, results, submitted notebooks) to change."""
    root, subs = graded_class
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    return copy, subs


@pytest.fixture
def new_check():
    """The hidden check of the cell the instructor adds (the check table is restored afterwards)."""
    checks = registry()[NB]
    checks[NEW_CELL] = [FunctionCheck("softmax", [Case("行ごとの和が 1", (np.array([[1.0, 2.0], [3.0, -1.0]]),))],
                                      reference=reference_softmax, dtype="float", returns="array")]
    yield
    del checks[NEW_CELL]


def add_graded_cell_and_change_points(root):
    path = root / "source" / DAY / f"{NB}.ipynb"
    nb = read_notebook(path)
    position = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "softmax_2d") + 1
    nb.cells.insert(position, authoring.test(NEW_CELL, 1, NB))
    nb.cells[position].id = NEW_CELL
    for cell in nb.cells:
        if grade_id(cell) == "softmax_1d":
            cell.metadata["nbgrader"]["points"] = 3
    write_notebook(nb, path)


def add_demo_notebook(root):
    demo = notebook([markdown("# 1_10 デモ: ソフトマックスの温度"), code("import numpy as np\nprint(np.arange(3))")],
                    "1_10_softmax_temperature")
    write_notebook(demo, root / "source" / DAY / "1_10_softmax_temperature.ipynb")


def give_manual_grades(root):
    with Gradebook(db_url(root), "genba-dl") as gb:
        gb.find_grade("softmax_overflow", NB, DAY, "untouched").manual_score = 1
        gb.find_comment("softmax", NB, DAY, "untouched").manual_comment = COMMENT
        gb.find_comment("softmax", NB, DAY, "answers").manual_comment = COMMENT
        gb.db.commit()


def test_the_source_matches_the_gradebook_right_after_grading(graded_class):
    root, _ = graded_class
    assert not pending_changes(root, DAY)


def test_update_source_keeps_grades_and_comments_and_grades_the_new_cell(course, new_check, capsys):
    root, subs = course
    give_manual_grades(root)
    add_graded_cell_and_change_points(root)
    add_demo_notebook(root)
    results = root / "grading/results/answers" / f"{NB}.json"
    before = results.read_text(encoding="utf-8")

    # a plain re-grade stops before any kernel starts and says what to run, in Japanese and English
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1"]) == EXIT_SOURCE_CHANGED
    err = capsys.readouterr().err
    assert "--update-source" in err and "変更されています" in err and "The source of day1 changed" in err
    assert f"テストセル {NEW_CELL} を追加" in err and "softmax_1d の配点 2 → 3 点" in err
    assert "Traceback" not in err
    assert results.read_text(encoding="utf-8") == before

    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1", "--update-source"]) == 0
    out = capsys.readouterr().out
    assert "1_10_softmax_temperature: 追加（デモのノートブック）" in out

    table = score_table(root, DAY)
    assert table["answers"][NB] == (9.0, 9.0)  # 3 + 2 + 3 + 1 points
    assert table["untouched"][NB] == (1.0, 9.0)  # the manual score is kept
    with Gradebook(db_url(root), "genba-dl") as gb:
        assert gb.find_grade_cell("softmax_1d", NB, DAY).max_score == 3
        assert gb.find_grade(NEW_CELL, NB, DAY, "answers").score == 1
        assert gb.find_grade(NEW_CELL, NB, DAY, "untouched").score == 0
        assert gb.find_grade("softmax_overflow", NB, DAY, "untouched").manual_score == 1
        assert gb.find_comment("softmax", NB, DAY, "untouched").manual_comment == COMMENT
        assert gb.find_comment("softmax", NB, DAY, "answers").manual_comment == COMMENT
        demo = gb.find_notebook("1_10_softmax_temperature", DAY)
        assert demo.max_score == 0 and not demo.grade_cells
    verdicts = {v["grade_id"]: v["passed"] for v in json.loads(results.read_text(encoding="utf-8"))["verdicts"]}
    assert verdicts == {"softmax_1d": True, "softmax_overflow": True, "softmax_2d": True, NEW_CELL: True}
    html = (root / "feedback" / "answers" / DAY / f"{NB}.html").read_text(encoding="utf-8")
    assert NEW_CELL in html and "合計: 9 / 9" in html

    # the gradebook now is the source's: the next plain re-grade runs as usual
    assert not pending_changes(root, DAY)
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1",
                       "--students", "untouched"]) == 0
    assert score_table(root, DAY)["untouched"][NB] == (1.0, 9.0)


def test_a_points_change_alone_runs_no_kernel(course, capsys):
    root, subs = course
    path = root / "source" / DAY / f"{NB}.ipynb"
    nb = read_notebook(path)
    for cell in nb.cells:
        if grade_id(cell) == "softmax_2d":
            cell.metadata["nbgrader"]["points"] = 5
    write_notebook(nb, path)
    changes = pending_changes(root, DAY)
    assert changes and not changes.to_execute
    results = root / "grading/results/answers" / f"{NB}.json"
    before = results.stat().st_mtime_ns
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "1", "--update-source"]) == 0
    assert results.stat().st_mtime_ns == before  # recorded again by nbgrader, not run again
    table = score_table(root, DAY)
    assert table["answers"][NB] == (9.0, 9.0) and table["untouched"][NB] == (0.0, 9.0)


def test_a_demo_notebook_never_touches_grading(course, capsys):
    root, subs = course
    before = score_table(root, DAY)
    add_demo_notebook(root)
    handed_in = subs.parent / "with-demo"
    shutil.copytree(subs, handed_in)
    submit(handed_in, "answers", "1_10_softmax_temperature.ipynb", b"{}")
    assert grade.main([DAY, "--submissions", str(handed_in), "--root", str(root), "--jobs", "1",
                       "--students", "answers"]) == 0
    out = capsys.readouterr().out
    assert "デモのノートブックの変更を成績表に反映しました" in out
    assert "1_10_softmax_temperature.ipynb は採点のないデモのノートブック" in out
    assert "一致しません" not in out
    assert not (root / "grading/results/answers/1_10_softmax_temperature.json").exists()
    after = score_table(root, DAY)
    for student, row in before.items():
        assert {k: v for k, v in after[student].items() if k != "1_10_softmax_temperature"} == row
        assert after[student]["1_10_softmax_temperature"] == (0.0, 0.0)  # listed, worth nothing
    assert not pending_changes(root, DAY)


def test_a_new_graded_notebook_and_a_removed_cell_leave_a_gradebook_nbgrader_accepts(course, tmp_path):
    from nbgrader.api import MissingEntry

    from autograder.build import generate_student_versions
    from autograder.gradebook_update import update_gradebook

    root, _ = course
    give_manual_grades(root)
    source = root / "source" / DAY
    shutil.copy(source / f"{NB}.ipynb", source / "1_10_softmax_again.ipynb")
    nb = read_notebook(source / f"{NB}.ipynb")
    nb.cells = [c for c in nb.cells if grade_id(c) != "softmax_2d"]
    write_notebook(nb, source / f"{NB}.ipynb")

    changes = update_gradebook(root, DAY)
    assert changes.to_execute == {NB, "1_10_softmax_again"}
    assert any("softmax_2d を削除" in line for line in changes.describe())
    with Gradebook(db_url(root), "genba-dl") as gb:
        assert gb.find_grade("softmax_1d", "1_10_softmax_again", DAY, "answers").score == 0
        assert gb.find_comment("softmax", "1_10_softmax_again", DAY, "untouched").manual_comment is None
        with pytest.raises(MissingEntry):
            gb.find_grade_cell("softmax_2d", NB, DAY)
        assert gb.find_grade("softmax_1d", NB, DAY, "answers").auto_score == 2
        assert gb.find_grade("softmax_overflow", NB, DAY, "untouched").manual_score == 1
        assert gb.find_comment("softmax", NB, DAY, "untouched").manual_comment == COMMENT
    saved = read_notebook(root / "submitted/answers" / DAY / f"{NB}.ipynb")
    assert "softmax_2d" not in {grade_id(c) for c in saved.cells}  # rebuilt on the new source
    generate_student_versions(source, DAY, tmp_path / "generate", course_root=root)  # nbgrader accepts the gradebook as it is
    assert not pending_changes(root, DAY)
