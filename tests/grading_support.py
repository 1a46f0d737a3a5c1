"""Builders for sample classes used by the grading tests (imported as ``tests.grading_support``)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

from autograder.notebook_cells import grade_id, read_notebook, write_notebook

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "release"


def make_course_root(tmp: Path) -> Path:
    """A fresh nbgrader course directory holding a copy of source/."""
    root = tmp / "course"
    root.mkdir(parents=True)
    shutil.copytree(REPO / "source", root / "source")
    return root


def trainee(day: str, notebook: str):
    return read_notebook(RELEASE / day / f"{notebook}_trainee.ipynb")


def answer(day: str, notebook: str):
    return read_notebook(RELEASE / day / f"{notebook}.ipynb")


def with_answer(nb, answer_id: str, code: str):
    """A copy of ``nb`` whose answer cell ``answer_id`` holds ``code``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) == answer_id:
            cell.source = code
            return nb
    raise KeyError(answer_id)


def submit(submissions: Path, student: str, filename: str, content) -> Path:
    folder = submissions / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        write_notebook(content, path)
    return path
