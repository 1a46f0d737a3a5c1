"""Dry run of a day's hidden checks against its source notebooks: ``course-grade dayN --check``.

Runs in seconds, starts no kernel, and finds before grading what would otherwise reach every
student as "採点システム側のエラー" or as a silent zero:

- a graded notebook of the day without a check module, or a check module of the day
  (``autograder/checks/dayN``) whose ``NOTEBOOK`` is not a graded notebook of the day;
- a test cell of the source without a ``CHECKS`` entry, and a ``CHECKS`` entry without a test
  cell (e.g. a misspelled key);
- a check whose reference raises on one of its own cases (or whose inputs cannot be sent to
  the probe);
- a check of a function or class that no answer cell of the source defines.

``course-grade`` runs the same validation at the start of every grading run and stops before
any kernel starts when it finds a problem.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course import probe
from course.checking import ClassCheck, FunctionCheck

from .notebook_cells import grade_id, is_answer_cell, is_graded_notebook, is_test_cell, read_notebook


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a day's checks; names the notebook, the test cell and the check."""

    notebook: str
    cell: str | None
    check: str | None
    message: str

    def __str__(self) -> str:
        where = " / ".join(p for p in (self.notebook, self.cell and f"テストセル {self.cell}",
                                       self.check and f"チェック {self.check}") if p)
        return f"{where}: {self.message}"


def graded_notebooks(root: Path, day: str) -> dict[str, object]:
    """Name → source notebook of every graded notebook of the day (demos left out)."""
    return {p.stem: nb for p in sorted((Path(root) / "source" / day).glob("*.ipynb"))
            if is_graded_notebook(nb := read_notebook(p))}


def defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def answer_names(notebook: str, nb) -> tuple[set[str], list[Problem]]:
    names, problems = set(), []
    for cell in nb.cells:
        if cell.cell_type == "code" and is_answer_cell(cell):
            try:
                names |= defined_names(cell.source)
            except SyntaxError as exc:
                problems.append(Problem(notebook, None, None,
                                        f"解答セル {grade_id(cell)} が Python として読めません（{exc.msg}, {exc.lineno} 行目）。"))
    return names, problems


def reference_problems(check) -> list[str]:
    """Why the reference of ``check`` cannot give the expected value of each case (empty: fine)."""
    found = []
    try:
        check.request()
    except Exception as exc:
        found.append(f"入力を採点用のセルに渡せません（{type(exc).__name__}: {exc}）。")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if isinstance(check, ClassCheck):
            for scenario in check.scenarios:
                try:
                    entries = probe.run_scenario(check.reference, scenario.encoded_steps())
                except Exception as exc:
                    found.append(f"シナリオ「{scenario.label}」を参照実装で実行できません（{type(exc).__name__}: {exc}）。")
                    continue
                failed = [e for e in entries if not e.get("ok")]
                if failed:
                    found.append(f"参照実装がシナリオ「{scenario.label}」でエラーになりました（{failed[0].get('error')}）。")
        else:
            for case in check.cases:
                try:
                    check.expected_for(case)
                except Exception as exc:
                    found.append(f"参照実装がケース「{case.label}」でエラーになりました（{type(exc).__name__}: {exc}）。")
    return found


def _day_check_modules(day: str) -> dict[str, str]:
    """NOTEBOOK → module name of every check module under ``autograder/checks/<day>``."""
    try:
        package = importlib.import_module(f"autograder.checks.{day}")
    except ModuleNotFoundError:
        return {}
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = sys.modules.get(f"{package.__name__}.{info.name}") or importlib.import_module(f"{package.__name__}.{info.name}")
        found[getattr(module, "NOTEBOOK", "")] = module.__name__
    return found


def validate_notebook(notebook: str, nb, checks: dict | None) -> list[Problem]:
    if checks is None:
        return [Problem(notebook, None, None,
                        f"チェックモジュールがありません（autograder/checks/ に NOTEBOOK = {notebook!r} のモジュールが必要です）。")]
    problems: list[Problem] = []
    cells = [grade_id(c) for c in nb.cells if is_test_cell(c)]
    for gid in cells:
        if gid not in checks:
            close = [k for k in checks if k not in cells]
            hint = f" CHECKS にある対応しないキー: {', '.join(map(repr, close))}" if close else ""
            problems.append(Problem(notebook, gid, None, f"CHECKS にこのテストセルのエントリがありません。{hint}"))
    for key in checks:
        if key not in cells:
            problems.append(Problem(notebook, None, str(key),
                                    f"CHECKS のキー {key!r} に対応するテストセルがソースにありません（綴りを確認してください）。"))
    names, problems_of_cells = answer_names(notebook, nb)
    problems += problems_of_cells
    for gid in cells:
        entry = checks.get(gid)
        if entry is None:
            continue
        if not isinstance(entry, (list, tuple)) or not entry:
            problems.append(Problem(notebook, gid, None, "CHECKS のエントリは FunctionCheck / ClassCheck の空でないリストにしてください。"))
            continue
        for check in entry:
            if not isinstance(check, (FunctionCheck, ClassCheck)):
                problems.append(Problem(notebook, gid, None, f"FunctionCheck / ClassCheck ではありません: {type(check).__name__}"))
                continue
            if check.function not in names:
                problems.append(Problem(notebook, gid, check.function,
                                        f"{check.function} を定義する解答セルがソースにありません。"))
            problems += [Problem(notebook, gid, check.function, text) for text in reference_problems(check)]
    return problems


def validate_day(root: Path, day: str, notebooks: set[str] | None = None) -> list[Problem]:
    """Every problem of the day's checks against ``root/source/<day>`` (empty: ready to grade)."""
    from .checks import registry

    sources = graded_notebooks(root, day)
    try:
        table = registry()
        modules = _day_check_modules(day)
    except Exception as exc:
        return [Problem(f"autograder/checks/{day}", None, None,
                        f"チェックモジュールを読み込めません（{type(exc).__name__}: {exc}）。")]
    problems = []
    for name, module in sorted(modules.items()):
        if name not in sources:
            problems.append(Problem(module, None, None,
                                    f"NOTEBOOK = {name!r} は {day} の採点対象のノートブックではありません（綴りを確認してください）。"))
    for name, nb in sources.items():
        if notebooks is None or name in notebooks:
            problems += validate_notebook(name, nb, table.get(name))
    return problems


def problems_report(day: str, problems: list[Problem], *, dry_run: bool) -> str:
    """The dry run's verdict for the instructor (Japanese, then one English line)."""
    if not problems:
        return (f"{day}: 採点用のチェックとソースのノートブックは一致しています（問題なし）。\n"
                f"{day}: the hidden checks match the source notebooks.")
    lines = [f"{day}: 採点用のチェックに {len(problems)} 件の問題があります:", *[f"  {p}" for p in problems]]
    if not dry_run:
        lines.append("採点は始めていません（カーネルは起動していません）。直してから実行し直してください。")
    lines.append(f"{day}: {len(problems)} problem(s) in the hidden checks (autograder/checks/) against source/{day}/"
                 + ("." if dry_run else "; nothing was graded."))
    return "\n".join(lines)


def grader_error_report(root: Path, day: str, failed: list[tuple[str, str, str]]) -> str:
    """Name every (student, notebook) that hit a grader-side error, and what the checks say."""
    lines = [f"採点システム側のエラー（grader-error）が {len(failed)} 件ありました。"
             "該当する学生のフィードバックには「採点システム側のエラー」と表示されます。"]
    lines += [f"  {student} / {notebook}: {detail}" for student, notebook, detail in failed]
    notebooks = {notebook for _, notebook, _ in failed}
    problems = validate_day(root, day, notebooks)
    if problems:
        lines.append("採点用のチェックの問題:")
        lines += [f"  {p}" for p in problems]
    names = ",".join(sorted(notebooks))
    students = ",".join(sorted({s for s, _, _ in failed}))
    lines.append(f"直したら採点し直してください: course-grade {day} --submissions 提出フォルダ --students {students} --notebooks {names}")
    lines.append(f"{len(failed)} grader error(s) (status grader-error) in {names}; fix and re-grade those students.")
    return "\n".join(lines)
