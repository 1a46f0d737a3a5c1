"""Cross-file consistency of the course: every rule that ties a source notebook, its check table,
its self-check data and its proof tests together, each returned as a message that names the file
and the missing piece. ``tests/test_course_consistency.py`` runs every rule; ``course-build --lint``
prints them for an instructor.

Rules (docs/authoring.md):
- every test cell of a source notebook has an entry in the check tables, and every entry a cell;
- every test cell is exactly ``self_check(...)`` + the hidden block naming its notebook and cell;
- every check has a reference, visible cases, and typical mistakes with Japanese hints;
- the reference passes its own checks, visible and hidden;
- every mistake fails the hidden check AND the visible self-check, each time with its own hint
  (so a hint is reachable, and a ✔ in the notebook never hides a mistake the grader names);
- every promise the hidden cases test (no warnings at extreme inputs, each input rank) has a
  visible case as well;
- every notebook that grades code states the own-work rule (``course.selfcheck.OWN_WORK_RULE``);
- every check module has its proof tests ``tests/test_checks_<module>.py``;
- a ``grading-skip`` cell is a plain demo cell whose names no later untagged cell reads.
"""

from __future__ import annotations

import dataclasses
import symtable
import importlib
import re
from pathlib import Path

import numpy as np

from course.checking import ClassCheck, run_in_process
from course.selfcheck import OWN_WORK_RULE, visible_checks

from .authoring import test_source
from .checks import registry
from .notebook_cells import SKIP_TAG, grade_id, is_answer_cell, is_test_cell, read_notebook

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def source_notebooks(root: Path) -> dict[str, Path]:
    """Notebook name → source path, for every notebook of every day (not the capstone)."""
    return {p.stem: p for p in sorted((root / "source").glob("day*/*.ipynb"))}


def check_modules() -> dict[str, object]:
    """Notebook name → its check module."""
    out = {}
    package = importlib.import_module("autograder.checks")
    for day in sorted(Path(package.__file__).parent.glob("day*")):
        for path in sorted(day.glob("*.py")):
            if path.stem == "__init__":
                continue
            module = importlib.import_module(f"autograder.checks.{day.name}.{path.stem}")
            out[module.NOTEBOOK] = module
    return out


def _where(module) -> str:
    return "autograder/checks/" + "/".join(module.__name__.split(".")[2:]) + ".py"


def cell_problems(root: Path) -> list[str]:
    """Test cells ↔ check entries, and the exact text of every test cell."""
    problems = []
    tables = registry()
    modules = check_modules()
    for name, path in source_notebooks(root).items():
        nb = read_notebook(path)
        rel = path.relative_to(root)
        cells = [c for c in nb.cells if is_test_cell(c)]
        if not cells:
            continue
        if name not in tables:
            problems.append(f"{rel}: graded notebook without a check module (NOTEBOOK = {name!r} in autograder/checks/dayN/)")
            continue
        where = _where(modules[name])
        for cell in cells:
            gid = grade_id(cell)
            if gid not in tables[name]:
                problems.append(f"{rel}: test cell {gid!r} has no entry in CHECKS of {where}")
            if cell.source.strip() != test_source(gid, name).strip():
                problems.append(f"{rel}: test cell {gid!r} must be exactly:\n{test_source(gid, name)}")
            if not cell.metadata.get("nbgrader", {}).get("points"):
                problems.append(f"{rel}: test cell {gid!r} has no points")
        for gid in tables[name]:
            if gid not in {grade_id(c) for c in cells}:
                problems.append(f"{where}: CHECKS[{gid!r}] matches no test cell of {rel}")
    for name, module in modules.items():
        if name not in source_notebooks(root):
            problems.append(f"{_where(module)}: NOTEBOOK = {name!r} matches no source notebook")
    return problems


def _as_student(check):
    """The check with the own-work rule off, so a mistake implementation can stand in for a student."""
    return dataclasses.replace(check, must_be_own=False)


def _student_namespace(check, implementation) -> dict:
    return {"__name__": "__main__", check.function: implementation}


def table_problems() -> list[str]:
    """Reference, visible cases, mistakes with hints, and promise coverage of every check."""
    problems = []
    for name, module in check_modules().items():
        where = _where(module)
        for gid, checks in module.CHECKS.items():
            for check in checks:
                label = f"{where}: CHECKS[{gid!r}] {check.function}"
                if check.reference is None:
                    problems.append(f"{label}: no reference")
                if not check.visible:
                    problems.append(f"{label}: no visible cases (visible=[...])")
                if not check.mistakes and not check.prerequisite_of:
                    problems.append(f"{label}: no typical mistakes (mistakes=[Mistake(hint, wrong_implementation)])")
                for m in check.mistakes:
                    if not JAPANESE.search(m.hint):
                        problems.append(f"{label}: the hint {m.hint!r} is not Japanese")
                problems += [f"{label}: {p}" for p in _promise_gaps(check)]
    return problems


def _cases(check):
    if isinstance(check, ClassCheck):
        return [st for sc in check.scenarios for st in sc.steps], [st for sc in check.visible for st in sc.steps]
    return list(check.cases), list(check.visible)


def _ranks(items) -> set:
    out = set()
    for item in items:
        for i, a in enumerate(list(item.args) + list(getattr(item, "kwargs", {}).values())):
            if isinstance(a, np.ndarray):
                out.add((i, a.ndim))
    return out


def _promise_gaps(check) -> list[str]:
    hidden, visible = _cases(check)
    gaps = []
    if any(c.forbid_warnings for c in hidden) and not any(c.forbid_warnings for c in visible):
        gaps.append("hidden cases forbid warnings (extreme inputs) but no visible case does")
    missing = sorted(_ranks(hidden) - _ranks(visible))
    if missing:
        gaps.append("input ranks tested only by hidden cases (argument, ndim): " + ", ".join(map(str, missing)))
    return gaps


def mistake_problems(notebook: str) -> list[str]:
    """The reference passes its checks; every mistake the grader catches in a cell is caught by that
    cell's visible self-check too, with the same hint; every mistake is caught somewhere, with its hint."""
    module = check_modules()[notebook]
    where = _where(module)
    problems = []
    caught: dict[str, bool] = {}
    for gid, checks in module.CHECKS.items():
        for check, shown in zip(checks, visible_checks(notebook, gid)):
            label = f"{where}: CHECKS[{gid!r}] {check.function}"
            for kind, target in (("hidden", check), ("visible", shown)):
                verdict = run_in_process(_as_student(target), _student_namespace(check, check.reference))
                if not verdict.passed:
                    problems.append(f"{label}: the reference fails its own {kind} check:\n{verdict.message}")
            for m in check.mistakes:
                hidden = run_in_process(_as_student(check), _student_namespace(check, m.implementation))
                caught.setdefault(m.hint, False)
                if hidden.passed:
                    continue
                if m.hint in hidden.message:
                    caught[m.hint] = True
                visible = run_in_process(_as_student(shown), _student_namespace(check, m.implementation))
                if visible.passed:
                    problems.append(f"{label}: ✔ but ✘ — the mistake {m.hint!r} fails the hidden check but passes "
                                    f"the visible self-check (add a visible case that catches it)")
                elif m.hint in hidden.message and m.hint not in visible.message:
                    problems.append(f"{label}: the mistake {m.hint!r} is named by the grader but not by the "
                                    f"self-check, which says:\n{visible.message}")
    problems += [f"{where}: the mistake {hint!r} is never named by any check (an unreachable hint)"
                 for hint, ok in caught.items() if not ok]
    return problems


def own_work_problems(root: Path) -> list[str]:
    problems = []
    for name, path in source_notebooks(root).items():
        nb = read_notebook(path)
        if any(is_answer_cell(c) for c in nb.cells):
            if not any(c.cell_type == "markdown" and OWN_WORK_RULE in c.source for c in nb.cells):
                problems.append(f"{path.relative_to(root)}: graded code without the own-work sentence "
                                f"(course.selfcheck.OWN_WORK_RULE) in a markdown cell")
    return problems


def proof_test_problems(root: Path) -> list[str]:
    problems = []
    for name, module in check_modules().items():
        test = root / "tests" / f"test_checks_{module.__name__.rsplit('.', 1)[1]}.py"
        if not test.is_file():
            problems.append(f"{_where(module)}: no proof tests {test.relative_to(root)} "
                            "(correct variants pass, typical mistakes fail with their hint, the stub fails)")
    return problems


def _bound_and_read(source: str) -> tuple[set, set]:
    """Module-level names a cell binds, and global names it reads (also inside its functions)."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return set(), set()
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    stack = list(table.get_children())
    while stack:
        scope = stack.pop()
        read |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        stack.extend(scope.get_children())
    return bound, read


def skip_tag_problems(root: Path) -> list[str]:
    problems = []
    for path in sorted((root / "source").glob("*/*.ipynb")):
        nb = read_notebook(path)
        rel = path.relative_to(root)
        for i, cell in enumerate(nb.cells):
            if SKIP_TAG not in cell.metadata.get("tags", []):
                continue
            if cell.cell_type != "code" or "nbgrader" in cell.metadata:
                problems.append(f"{rel}: cell {cell.get('id')} is tagged {SKIP_TAG} but is not a plain demo code cell")
                continue
            pending, _ = _bound_and_read(cell.source)
            for later in nb.cells[i + 1:]:
                if later.cell_type != "code" or SKIP_TAG in later.metadata.get("tags", []):
                    continue
                bound_here, read = _bound_and_read(later.source)
                needed = sorted(pending & (read - bound_here))
                if needed:
                    problems.append(f"{rel}: cell {cell.get('id')} is tagged {SKIP_TAG} but cell {later.get('id')} "
                                    f"reads {', '.join(needed)} that it defines")
                pending -= bound_here
    return problems


def all_problems(root: Path) -> list[str]:
    problems = cell_problems(root) + table_problems() + own_work_problems(root) + proof_test_problems(root)
    problems += skip_tag_problems(root)
    for notebook in sorted(registry()):
        problems += mistake_problems(notebook)
    return problems
