"""Intake reads only regular files under the submissions root and rebuilds the notebook on the
instructor's copy: links, FIFOs, devices and hard links are refused with a Japanese note, cell
ids come from the instructor, and cells a student added cost bounded work."""

from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path

import nbformat
import pytest

from autograder import grade
from autograder.intake import (MAX_ADDED_CELLS, SubmissionError, normalize, read_regular_file,
                               read_submission, skip_demo_cells)
from autograder.notebook_cells import grade_id, write_notebook

from .grading_support import REPO, answer, submit, trainee

DAY, NB = "day1", "1_2_activation_function"
SOURCE = REPO / "source" / DAY / f"{NB}.ipynb"
KNOWN = {NB}


@pytest.fixture
def submissions(tmp_path):
    root = tmp_path / "submissions"
    submit(root, "honest", f"{NB}_trainee.ipynb", trainee(DAY, NB))
    return root


def _refused(path: Path, base: Path) -> str:
    with pytest.raises(SubmissionError) as info:
        read_submission(path, base)
    return str(info.value)


def test_a_regular_file_is_read(submissions):
    nb = read_submission(submissions / "honest" / f"{NB}_trainee.ipynb", submissions)
    assert any(grade_id(c) for c in nb.cells)


def test_symlink_to_the_instructor_source_is_refused(submissions):
    link = submissions / "cheater" / f"{NB}_trainee.ipynb"
    link.parent.mkdir()
    link.symlink_to(SOURCE)
    assert "シンボリックリンク" in _refused(link, submissions)


def test_symlink_to_a_classmate_is_refused(submissions):
    link = submissions / "cheater" / f"{NB}.ipynb"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "honest" / f"{NB}_trainee.ipynb")
    assert "シンボリックリンク" in _refused(link, submissions)


def test_hard_link_to_a_classmate_is_refused(submissions):
    link = submissions / "cheater" / f"{NB}.ipynb"
    link.parent.mkdir()
    os.link(submissions / "honest" / f"{NB}_trainee.ipynb", link)
    assert "ハードリンク" in _refused(link, submissions)


def test_linked_folder_below_the_root_is_not_followed(submissions, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write_notebook(answer(DAY, NB), elsewhere / f"{NB}.ipynb")
    (submissions / "cheater").mkdir()
    (submissions / "cheater" / "work").symlink_to(elsewhere)
    assert "シンボリックリンク" in _refused(submissions / "cheater" / "work" / f"{NB}.ipynb", submissions)
    tasks, notes = grade.collect_tasks(submissions, KNOWN, None, None)
    assert [t.student for t in tasks] == ["honest"]
    assert any("リンク" in n for n in notes["cheater"])


def test_linked_student_folder_is_not_read(submissions):
    (submissions / "mirror").symlink_to(submissions / "honest")
    tasks, notes = grade.collect_tasks(submissions, KNOWN, None, None)
    assert [t.student for t in tasks] == ["honest"]
    assert any("リンク" in n for n in notes["mirror"])


def test_fifo_does_not_block_and_is_refused(submissions):
    fifo = submissions / "blocker" / f"{NB}_trainee.ipynb"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_refused(fifo, submissions)), daemon=True)
    reader.start()
    reader.join(60)  # a blocking open would never return; the guard only keeps the suite alive
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "名前付きパイプ" in outcome[0]


def test_symlink_to_dev_zero_is_refused_without_reading(submissions):
    link = submissions / "zero" / f"{NB}_trainee.ipynb"
    link.parent.mkdir()
    link.symlink_to("/dev/zero")
    assert "シンボリックリンク" in _refused(link, submissions)


def test_a_device_is_refused_even_when_opened_directly(tmp_path):
    with pytest.raises(SubmissionError) as info:
        read_regular_file(Path("/dev/zero"), Path("/dev"))
    assert "デバイス" in str(info.value)


def test_reading_is_bounded(submissions):
    big = submissions / "big" / f"{NB}_trainee.ipynb"
    big.parent.mkdir()
    big.write_bytes(b" " * 2048)
    with pytest.raises(SubmissionError) as info:
        read_regular_file(big, submissions, limit=1024)
    assert "大きすぎます" in str(info.value)


def test_symlinked_submissions_are_collected_and_refused_by_intake(submissions):
    link = submissions / "cheater" / f"{NB}_trainee.ipynb"
    link.parent.mkdir()
    link.symlink_to(SOURCE)
    tasks, _ = grade.collect_tasks(submissions, KNOWN, None, None)
    task = next(t for t in tasks if t.student == "cheater")
    assert task.base == submissions
    assert "シンボリックリンク" in _refused(task.path, task.base)


def test_student_cell_ids_never_reach_nbgrader(submissions):
    source = nbformat.read(str(SOURCE), as_version=4)
    nb = trainee(DAY, NB)
    evil = nbformat.v4.new_markdown_cell("notes")
    evil["id"] = "../../etc/passwd"
    nb.cells.insert(1, evil)
    for cell in nb.cells:
        if grade_id(cell):
            cell["id"] = "../" + cell["id"]
    rebuilt = normalize(nb, source).notebook
    ids = [c["id"] for c in rebuilt.cells]
    assert all("/" not in i and "." not in i for i in ids), ids
    assert len(set(ids)) == len(ids)
    nbformat.validate(rebuilt)
    assert rebuilt.metadata == source.metadata
    for cell in rebuilt.cells:
        if grade_id(cell):
            assert cell["id"] == grade_id(cell)


def test_demo_cells_keep_the_instructor_id_so_they_can_be_skipped():
    source = nbformat.read(str(SOURCE), as_version=4)
    rebuilt = normalize(trainee(DAY, NB), source).notebook
    instructor_ids = {c["id"] for c in source.cells if not grade_id(c)}
    kept = [c["id"] for c in rebuilt.cells if not grade_id(c) and c["id"] in instructor_ids]
    assert kept
    skip_demo_cells(copy.deepcopy(rebuilt), source)


def test_many_added_cells_are_capped_with_a_note():
    source = nbformat.read(str(SOURCE), as_version=4)
    nb = trainee(DAY, NB)
    nb.cells += [nbformat.v4.new_markdown_cell(f"メモ {i}") for i in range(2000)]
    normalized = normalize(nb, source)
    added = len(normalized.notebook.cells) - len(trainee(DAY, NB).cells)
    assert added <= MAX_ADDED_CELLS
    assert any("追加されたセルが多すぎる" in n for n in normalized.notes)


def test_a_file_with_a_huge_number_of_cells_is_refused(tmp_path):
    data = json.loads(nbformat.writes(trainee(DAY, NB)))
    data["cells"] += [{"cell_type": "markdown", "id": f"m{i}", "metadata": {}, "source": "x"} for i in range(100_000)]
    path = tmp_path / "s" / f"{NB}.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SubmissionError) as info:
        read_submission(path, tmp_path)
    assert "セルが多すぎます" in str(info.value)


def test_a_stuck_nbgrader_stage_is_interrupted():
    import time

    from autograder.grade import StageTimeout, time_limit

    with pytest.raises(StageTimeout):
        with time_limit(0.2, "autograde someone"):
            time.sleep(60)
    with time_limit(5, "quick"):  # a stage within its limit is not disturbed
        pass
