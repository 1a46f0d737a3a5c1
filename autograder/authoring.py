r"""Helpers to author nbgrader source notebooks from Python (and the scaffolds' building blocks).

Instructors edit ``source/dayN/*.ipynb`` in JupyterLab (nbgrader's "Create Assignment" toolbar
sets the same metadata) or from a script with these helpers; ``course-new`` (``autograder.scaffold``)
uses them to add an exercise or a notebook. See docs/authoring.md.

    nb = notebook([
        markdown("# ソフトマックス関数"),
        code("import numpy as np\nfrom course.selfcheck import self_check"),
        answer("softmax", "def softmax(x):\n    ### BEGIN SOLUTION\n    ...\n    ### END SOLUTION"),
        test("softmax_1d", 2, "1_4_softmax"),
    ], "1_4_softmax")
    write_notebook(nb, Path("source/day1/1_4_softmax.ipynb"))
"""

from __future__ import annotations

from nbformat import v4

from .notebook_cells import BEGIN_HIDDEN, END_HIDDEN


def _nbgrader(grade_id, *, grade, solution, locked, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def markdown(text: str, grade_id: str | None = None):
    cell = v4.new_markdown_cell(text.strip("\n"))
    if grade_id:
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False, locked=True)
    return cell


def code(text: str, grade_id: str | None = None):
    """A demo code cell; with ``grade_id`` it is locked (restored from the instructor's copy)."""
    cell = v4.new_code_cell(text.strip("\n"))
    if grade_id:
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False, locked=True)
    return cell


def answer(grade_id: str, text: str):
    """An autograded answer cell: the part between the SOLUTION markers becomes the stub."""
    cell = v4.new_code_cell(text.strip("\n"))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True, locked=False)
    return cell


def hidden_block(notebook_name: str, grade_id: str) -> str:
    return (f"{BEGIN_HIDDEN}\n"
            f"from autograder.hidden import run_check\n"
            f"run_check({notebook_name!r}, {grade_id!r}, globals())\n"
            f"{END_HIDDEN}")


def test_source(grade_id: str, notebook_name: str) -> str:
    """The text of a test cell: the visible self-check, then the hidden check call."""
    return f"self_check({notebook_name!r}, {grade_id!r})\n\n" + hidden_block(notebook_name, grade_id)


def test(grade_id: str, points: float, notebook_name: str):
    """An autograded test cell (visible cases and hidden checks both live in autograder/checks/)."""
    cell = v4.new_code_cell(test_source(grade_id, notebook_name))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=False, locked=True, points=points)
    return cell


def notebook(cells, name: str):
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(cells):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = gid or f"{name.replace('_', '-')}-{i:02d}"
    nb.cells = list(cells)
    return nb
