"""No notebook imports a ``course`` module that the grader hides from its own kernel: such a notebook would
work for the student and fail in grading. (The grader hides every course module that defines or imports a
name the notebook grades, so a new module that imports, say, ``TimeLSTM`` is hidden from 6.3.)"""

import json
import re

import pytest

from autograder.course_view import hidden_modules

from .grading_support import REPO

NOTEBOOKS = sorted(REPO.glob("source/*/*.ipynb"))
IMPORT = re.compile(r"^\s*(?:from\s+course\.(\w+)\s+import|import\s+course\.(\w+))", re.MULTILINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_no_course_module_hidden_while_grading(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    imported = {f"{a or b}.py" for a, b in IMPORT.findall(code)}
    hidden = set(hidden_modules(path.stem))
    assert not imported & hidden, f"{path.stem} imports {sorted(imported & hidden)}, which grading hides"


def test_the_check_sees_imports():
    code = "from course.time_layers import TimeAffine\nimport course.plotting as p\n"
    assert {a or b for a, b in IMPORT.findall(code)} == {"time_layers", "plotting"}
