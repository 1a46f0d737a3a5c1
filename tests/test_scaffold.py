"""course-new: the scaffolds write a notebook and an exercise that follow the authoring contract."""

import ast
import shutil

import pytest

from autograder import scaffold
from autograder.authoring import test_source as expected_test_cell
from autograder.contents import natural_key
from autograder.notebook_cells import grade_id, is_answer_cell, is_test_cell, read_notebook
from course.selfcheck import OWN_WORK_RULE


@pytest.fixture
def course_root(tmp_path):
    (tmp_path / "source" / "day9").mkdir(parents=True)
    (tmp_path / "autograder" / "checks").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    return tmp_path


def test_a_graded_notebook_gets_its_check_module_and_proof_tests(course_root):
    written = scaffold.new_notebook(course_root, "day9", "9_1_toy", "9.1 おもちゃ", demo=False)
    names = {p.relative_to(course_root).as_posix() for p in written}
    assert names == {"source/day9/9_1_toy.ipynb", "autograder/checks/day9/__init__.py",
                     "autograder/checks/day9/toy.py", "tests/test_checks_toy.py"}
    nb = read_notebook(course_root / "source/day9/9_1_toy.ipynb")
    assert nb.cells[0].source.startswith("# 9.1 おもちゃ")
    assert "from course.selfcheck import self_check" in nb.cells[1].source
    assert OWN_WORK_RULE in nb.cells[2].source
    assert [c.id for c in nb.cells] == ["9-1-toy-title", "9-1-toy-imports", "9-1-toy-own-work"]
    for path in written:
        if path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"))


def test_a_demo_notebook_has_no_checks(course_root):
    written = scaffold.new_notebook(course_root, "day9", "9_2_show", "9.2 見るだけ", demo=True)
    assert [p.name for p in written] == ["9_2_show.ipynb"]
    nb = read_notebook(written[0])
    assert not any(is_test_cell(c) or is_answer_cell(c) for c in nb.cells)


def test_an_exercise_adds_prose_answer_test_and_a_check_entry(course_root):
    scaffold.new_notebook(course_root, "day9", "9_1_toy", "9.1 おもちゃ", demo=False)
    scaffold.new_exercise(course_root, "9_1_toy", "double", 2, after=None, cell=None)
    scaffold.new_exercise(course_root, "9_1_toy", "halve", 1, after="9-1-toy-own-work", cell="halve_basic")
    nb = read_notebook(course_root / "source/day9/9_1_toy.ipynb")
    ids = [c.id for c in nb.cells]
    # halve was inserted after the own-work cell, double stays at the end
    assert ids.index("halve") < ids.index("double")
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert [grade_id(c) for c in tests] == ["halve_basic", "double_values"]
    assert tests[1].source == expected_test_cell("double_values", "9_1_toy")
    assert tests[1].metadata["nbgrader"]["points"] == 2
    answers = [c for c in nb.cells if is_answer_cell(c)]
    assert "### BEGIN SOLUTION" in answers[0].source
    module = (course_root / "autograder/checks/day9/toy.py").read_text(encoding="utf-8")
    tree = ast.parse(module)
    assigned = [ast.unparse(n.targets[0]) for n in tree.body if isinstance(n, ast.Assign)]
    assert "CHECKS['double_values']" in assigned and "CHECKS['halve_basic']" in assigned
    # the same name twice is refused, nothing is overwritten
    before = (course_root / "source/day9/9_1_toy.ipynb").read_bytes()
    with pytest.raises(SystemExit):
        scaffold.new_exercise(course_root, "9_1_toy", "double", 1, after=None, cell=None)
    assert (course_root / "source/day9/9_1_toy.ipynb").read_bytes() == before


def test_bad_names_are_refused(course_root):
    with pytest.raises(SystemExit):
        scaffold.new_notebook(course_root, "day9", "Toy", "x", demo=True)
    with pytest.raises(SystemExit):
        scaffold.new_notebook(course_root, "day9", "3_1_wrong_day", "x", demo=True)
    with pytest.raises(SystemExit):
        scaffold.new_exercise(course_root, "9_1_missing", "f", 1, after=None, cell=None)


def test_natural_order_puts_1_10_after_1_9():
    names = ["1_10_extra", "1_2_activation_function", "1_9_loss_function", "0_preparation"]
    assert sorted(names, key=natural_key) == ["0_preparation", "1_2_activation_function", "1_9_loss_function",
                                              "1_10_extra"]
