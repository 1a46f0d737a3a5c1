"""Scaffolds: add a notebook to a day, or a graded exercise to a notebook (``course-new``).

    course-new notebook day3 3_6_learning_rate_finder --title "3.6 学習率の探し方"     # graded
    course-new notebook day3 3_7_loss_landscape --title "3.7 損失関数の地形" --demo   # demo only
    course-new exercise 3_6_learning_rate_finder lr_range_test --points 2 [--after CELL_ID]

``notebook`` writes the source notebook (title, imports, the own-work rule for graded ones), and
for a graded notebook its check module ``autograder/checks/dayN/<topic>.py`` and proof-test file
``tests/test_checks_<topic>.py``. ``exercise`` adds to a notebook the prose stub, the answer cell
and the test cell (stable ids from the names, inserted at the end or after a given cell), and to
the check module a stub entry with a reference, visible and hidden cases and a mistake. The stubs
are meant to fail: ``tests/test_course_consistency.py`` names every piece still missing until the
instructor has filled it in. Nothing existing is overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .authoring import answer, code, markdown, notebook, test
from .build import days
from .nbgrader_setup import repo_root
from .notebook_cells import grade_id, read_notebook, write_notebook

NAME = re.compile(r"^\d+_\d+_[a-z0-9_]+$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OWN_WORK_CELL = "**自分で実装するルール**: {rule}"


def topic_of(notebook_name: str) -> str:
    """3_6_learning_rate_finder -> learning_rate_finder (the check module and proof-test name)."""
    return notebook_name.split("_", 2)[2]


def _day_of(notebook_name: str) -> str:
    return "day" + notebook_name.split("_", 1)[0]


def _cell_prefix(notebook_name: str) -> str:
    return notebook_name.replace("_", "-")


def _own_work_text() -> str:
    from course.selfcheck import OWN_WORK_RULE

    return OWN_WORK_CELL.format(rule=OWN_WORK_RULE)


def new_notebook(root: Path, day: str, name: str, title: str, demo: bool) -> list[Path]:
    if not NAME.match(name) or _day_of(name) != day:
        raise SystemExit(f"notebook names look like {day[3:]}_<n>_<topic> (lower case): got {name!r}")
    path = root / "source" / day / f"{name}.ipynb"
    if path.exists():
        raise SystemExit(f"{path.relative_to(root)} exists already")
    prefix = _cell_prefix(name)
    imports = "import numpy as np\nimport matplotlib.pyplot as plt\n\nfrom course import plotting  # 日本語のラベル"
    cells = [markdown(f"# {title}\n\n（このノートブックで学ぶことを書きます。）"), code(imports)]
    if not demo:
        cells[1] = code(imports + "\nfrom course.selfcheck import self_check")
        cells.append(markdown(_own_work_text()))
    nb = notebook(cells, name)
    ids = ["title", "imports", "own-work"]
    for cell, suffix in zip(nb.cells, ids):
        cell.id = f"{prefix}-{suffix}"
    written = [path]
    write_notebook(nb, path)
    if not demo:
        written += _new_check_module(root, day, name)
    return written


def _new_check_module(root: Path, day: str, name: str) -> list[Path]:
    topic = topic_of(name)
    module = root / "autograder" / "checks" / day / f"{topic}.py"
    package = module.parent / "__init__.py"
    written = []
    if not package.exists():
        package.parent.mkdir(parents=True, exist_ok=True)
        package.write_text(f'"""Hidden checks of {day.upper()}."""\n', encoding="utf-8")
        written.append(package)
    if module.exists():
        raise SystemExit(f"{module.relative_to(root)} exists already")
    module.write_text(f'''"""Hidden checks of {name}."""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put  # noqa: F401

NOTEBOOK = "{name}"

CHECKS = {{}}  # test cell grade_id -> [FunctionCheck | ClassCheck]; `course-new exercise` adds entries
''', encoding="utf-8")
    written.append(module)
    tests = root / "tests" / f"test_checks_{topic}.py"
    if not tests.exists():
        tests.write_text(f'''"""The checks of {name}: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "{name}"

# grade_id -> {{description: code}}: implementations written differently that must pass
CORRECT = {{}}

# description -> (code, grade_id, words the message must contain)
WRONG = {{}}

# grade_id -> the untouched stub of the trainee notebook
STUBS = {{}}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {{sorted(cells - set(CORRECT))}}"
    assert cells <= {{w[1] for w in WRONG.values()}}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {{sorted(cells - set(STUBS))}}"
''', encoding="utf-8")
        written.append(tests)
    return written


def new_exercise(root: Path, name: str, function: str, points: float, after: str | None, cell: str | None) -> list[Path]:
    if not IDENTIFIER.match(function):
        raise SystemExit(f"{function!r} is not a Python name")
    day = _day_of(name)
    path = root / "source" / day / f"{name}.ipynb"
    if not path.exists():
        raise SystemExit(f"{path.relative_to(root)} does not exist (course-new notebook {day} {name} ...)")
    nb = read_notebook(path)
    test_id = cell or f"{function}_values"
    taken = {c.get("id") for c in nb.cells} | {grade_id(c) for c in nb.cells}
    for new_id in (function, test_id):
        if new_id in taken:
            raise SystemExit(f"{path.relative_to(root)} already has a cell {new_id!r}")
    prefix = _cell_prefix(name)
    prose = markdown(f"## 課題: `{function}` を実装する\n\n"
                     "- 入力: （形状・dtype・とりうる値）\n- 出力: （形状・dtype）\n"
                     "- 約束: （入力を書き換えない・警告を出さない・epsilon の位置など、チェックされることをすべて書く）")
    prose.id = f"{prefix}-{function.replace('_', '-')}-task"
    solution = answer(function, f"def {function}(x):\n    \"\"\"（日本語で一行の説明）\"\"\"\n"
                                "    ### BEGIN SOLUTION\n    raise NotImplementedError(\"reference answer\")\n"
                                "    ### END SOLUTION")
    solution.id = function
    heading = markdown(f"### テスト: `{function}`")
    heading.id = f"{prefix}-{test_id.replace('_', '-')}-heading"
    check_cell = test(test_id, points, name)
    check_cell.id = test_id
    new_cells = [prose, solution, heading, check_cell]
    if after is None:
        index = len(nb.cells)
    else:
        positions = [i for i, c in enumerate(nb.cells) if c.get("id") == after]
        if not positions:
            raise SystemExit(f"{path.relative_to(root)} has no cell with id {after!r}")
        index = positions[0] + 1
    nb.cells[index:index] = new_cells
    if not any(_own_work_text() in c.source for c in nb.cells if c.cell_type == "markdown"):
        rule = markdown(_own_work_text())
        rule.id = f"{prefix}-own-work"
        nb.cells.insert(min(2, len(nb.cells)), rule)
    write_notebook(nb, path)
    module = root / "autograder" / "checks" / day / f"{topic_of(name)}.py"
    written = [path]
    if not module.exists():
        written += _new_check_module(root, day, name)
    with module.open("a", encoding="utf-8") as out:
        out.write(f'''

def reference_{function}(x):
    raise NotImplementedError("the trusted implementation of {function}")


CHECKS[{test_id!r}] = [FunctionCheck(
    function={function!r}, reference=reference_{function}, dtype="float", returns="array", rtol=1e-6, atol=1e-9,
    visible=[  # shown in the notebook: one case per promise of the prose
        Case("（入力の説明）", (np.array([1.0, -2.0, 3.0]),)),
    ],
    cases=[  # hidden: other inputs of every kind the prose allows, term-isolating, extremes
        Case("（入力の説明）", (np.linspace(-3.0, 3.0, 7),)),
    ],
    mistakes=[
        Mistake("（よくある間違いと直し方）", lambda x: x),
    ],
)]
''')
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-new", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    nb = sub.add_parser("notebook", help="add a notebook to a day")
    nb.add_argument("day")
    nb.add_argument("name", help="e.g. 3_6_learning_rate_finder")
    nb.add_argument("--title", required=True)
    nb.add_argument("--demo", action="store_true", help="a demo notebook (nothing graded)")
    ex = sub.add_parser("exercise", help="add a graded exercise to a notebook")
    ex.add_argument("notebook")
    ex.add_argument("function")
    ex.add_argument("--points", type=float, default=1)
    ex.add_argument("--cell", help="the test cell's grade_id (default: <function>_values)")
    ex.add_argument("--after", help="insert after this cell id (default: at the end)")
    args = parser.parse_args(argv)
    root = repo_root()
    if args.what == "notebook":
        if args.day not in days(root) and not (root / "source" / args.day).parent.is_dir():
            raise SystemExit(f"unknown day {args.day!r}")
        (root / "source" / args.day).mkdir(parents=True, exist_ok=True)
        written = new_notebook(root, args.day, args.name, args.title, args.demo)
    else:
        written = new_exercise(root, args.notebook, args.function, args.points, args.after, args.cell)
    for path in written:
        print(path.relative_to(root))
    print("next: fill in the stubs, then `course-build` and `pytest tests/test_course_consistency.py` "
          "(it names every piece still missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
