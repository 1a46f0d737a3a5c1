"""Small helpers about nbgrader cells and notebook files, used by the build and the grader."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
TRAINEE_SUFFIX = "_trainee"
SKIP_TAG = "grading-skip"  # cells the grader and the capstone scorer do not run


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and nbutils.is_grade(cell) and not nbutils.is_solution(cell)


def is_answer_cell(cell) -> bool:
    return nbutils.is_solution(cell)


def is_graded_notebook(nb) -> bool:
    return any(nbutils.is_grade(c) or nbutils.is_solution(c) for c in nb.cells)


def strip_hidden_tests(source: str) -> str:
    lines, hidden = [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines).rstrip()


def strip_solution_markers(source: str) -> str:
    kept = [ln for ln in source.splitlines() if BEGIN_SOLUTION not in ln and END_SOLUTION not in ln]
    return "\n".join(kept)


def write_notebook(nb, path: Path) -> None:
    """Write deterministically (sorted keys, one trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb, version=4)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def read_notebook(path: Path):
    return nbformat.read(str(path), as_version=4)
