"""One consistency test over the whole course (autograder/consistency.py): each failure names the
file and the missing piece."""

import pytest

from autograder import consistency
from autograder.checks import registry
from tests.conftest import REPO


def _report(problems):
    return "\n".join(problems)


def test_every_test_cell_has_its_check_and_every_check_its_cell():
    problems = consistency.cell_problems(REPO)
    assert not problems, _report(problems)


def test_every_check_has_a_reference_visible_cases_and_mistakes_with_japanese_hints():
    problems = consistency.table_problems()
    assert not problems, _report(problems)


@pytest.mark.parametrize("notebook", sorted(registry()))
def test_every_mistake_is_named_by_the_grader_and_by_the_self_check(notebook):
    problems = consistency.mistake_problems(notebook)
    assert not problems, _report(problems)


def test_every_notebook_that_grades_code_states_the_own_work_rule():
    problems = consistency.own_work_problems(REPO)
    assert not problems, _report(problems)


def test_every_check_module_has_proof_tests():
    problems = consistency.proof_test_problems(REPO)
    assert not problems, _report(problems)


def test_grading_skip_cells_are_not_needed_by_later_cells():
    problems = consistency.skip_tag_problems(REPO)
    assert not problems, _report(problems)
