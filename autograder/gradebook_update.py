"""Bring a day's gradebook up to date after its source changed: ``course-grade dayN --update-source``.

nbgrader refuses to change the cells or notebooks of an assignment once it has submissions.
Real courses fix notebooks mid-course, so this module compares the gradebook in use with the
one nbgrader makes from the current source (``generate_assignment`` in a throwaway course
directory) and applies the difference through nbgrader's own database API
(``nbgrader.api.Gradebook`` and its model classes), the way ``Gradebook.add_submission`` and
``Gradebook.remove_notebook`` build and remove the same rows:

- notebooks added or removed (an added notebook gets an empty submitted copy in every existing
  submission, so nbgrader can record it);
- grade, solution, task and source cells added, removed or changed; points changes are applied;
- every grade, manual score and comment of the cells that stay is kept; a removed cell takes
  its grades and comments with it.

The saved copies nbgrader grades (``submitted/<student>/<day>/X.ipynb``) of every changed
notebook are rebuilt on the new source (no kernel), so the gradebook and the notebooks agree.
``notebooks_to_execute`` says which notebooks need their submissions run again (new or changed
test or code cells); a change of points or prose only needs nbgrader to record again.

A notebook without graded cells (a demo) never needs grading: changes that only add, remove
or edit demo notebooks are applied automatically at the start of a grading run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader import utils as nbutils
from nbgrader.api import Comment, Grade, Gradebook, MissingEntry, SubmittedNotebook
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import NbGraderPreprocessor, SaveCells
from traitlets import Unicode

from .build import nbgrader_api
from .intake import normalize
from .notebook_cells import read_notebook, write_notebook

COURSE_ID = "genba-dl"


@dataclass
class NotebookCells:
    """What nbgrader's gradebook knows about one source notebook."""

    kernelspec: str | None = None
    grade: dict[str, tuple[float, str]] = field(default_factory=dict)  # name → (max_score, cell_type)
    task: dict[str, tuple[float, str]] = field(default_factory=dict)
    solution: set[str] = field(default_factory=set)
    source: dict[str, tuple[str, bool, str, str | None]] = field(default_factory=dict)  # name → (type, locked, source, checksum)

    @property
    def graded(self) -> bool:
        return bool(self.grade or self.task)


def db_url(root: Path) -> str:
    return f"sqlite:///{Path(root) / 'gradebook.db'}"


def read_cells(gb: Gradebook, day: str) -> dict[str, NotebookCells]:
    """Notebook name → its cells, as recorded in ``gb`` for assignment ``day``."""
    try:
        assignment = gb.find_assignment(day)
    except MissingEntry:
        return {}
    found = {}
    for nb in assignment.notebooks:
        found[nb.name] = NotebookCells(
            kernelspec=nb.kernelspec,
            grade={c.name: (float(c.max_score), c.cell_type) for c in nb.grade_cells},
            task={c.name: (float(c.max_score), c.cell_type) for c in nb.task_cells},
            solution={c.name for c in nb.solution_cells},
            source={c.name: (c.cell_type, bool(c.locked), c.source or "", c.checksum) for c in nb.source_cells},
        )
    return found


class CollectCells(NbGraderPreprocessor):
    """Stands in for nbgrader's ``SaveCells`` in ``generate_assignment``: writes what SaveCells
    would record for a notebook (same cells, points, locked sources and checksums) to
    ``<output_dir>/<notebook>.json`` instead of a gradebook."""

    output_dir = Unicode("", help="where the JSON files go").tag(config=True)

    def preprocess(self, nb, resources):
        cells = NotebookCells(kernelspec=json.dumps(nb.metadata.get("kernelspec", {})))
        for cell in nb.cells:
            info = cell.metadata.get("nbgrader", {})
            if nbutils.is_grade(cell):
                cells.grade[info["grade_id"]] = (float(info["points"]), cell.cell_type)
            if nbutils.is_solution(cell):
                cells.solution.add(info["grade_id"])
            if nbutils.is_task(cell):
                cells.task[info["grade_id"]] = (float(info["points"]), cell.cell_type)
            if nbutils.is_grade(cell) or nbutils.is_solution(cell) or nbutils.is_locked(cell) or nbutils.is_task(cell):
                cells.source[info["grade_id"]] = (cell.cell_type, nbutils.is_locked(cell), cell.source,
                                                  info.get("checksum"))
        data = {"kernelspec": cells.kernelspec, "grade": cells.grade, "task": cells.task,
                "solution": sorted(cells.solution), "source": cells.source}
        target = Path(self.output_dir) / f"{resources['nbgrader']['notebook']}.json"
        target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return nb, resources


def cells_from_source(root: Path, day: str) -> dict[str, NotebookCells]:
    """The gradebook entries nbgrader makes from ``root/source/<day>``: nbgrader's own
    ``generate_assignment`` pipeline in a throwaway directory, with ``CollectCells`` in place of
    ``SaveCells`` (no database, so no alembic run and no SQLite writes)."""
    with tempfile.TemporaryDirectory(prefix="course-gradebook-") as tmp:
        work = Path(tmp)
        shutil.copytree(Path(root) / "source" / day, work / "source" / day)
        (work / "cells").mkdir()
        api = nbgrader_api(work)
        api.config.GenerateAssignment.no_database = True
        api.config.GenerateAssignment.preprocessors = [
            CollectCells if p is SaveCells else p for p in GenerateAssignment.class_traits()["preprocessors"].default()]
        api.config.CollectCells.output_dir = str(work / "cells")
        api.coursedir.release_directory = str(work / "release-out")
        result = api.generate_assignment(day, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {day} failed:\n{result['log']}\n{result.get('error', '')}")
        found = {}
        for path in sorted((work / "cells").glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            found[path.stem] = NotebookCells(
                kernelspec=data["kernelspec"],
                grade={k: tuple(v) for k, v in data["grade"].items()},
                task={k: tuple(v) for k, v in data["task"].items()},
                solution=set(data["solution"]),
                source={k: tuple(v) for k, v in data["source"].items()},
            )
        return found


@dataclass
class NotebookChange:
    name: str
    added: bool = False
    removed: bool = False
    graded: bool = False  # has graded cells before or after the change
    lines: list[str] = field(default_factory=list)  # what changed, for the instructor
    execute: bool = False  # its submissions must be run again


@dataclass
class SourceChanges:
    day: str
    notebooks: list[NotebookChange] = field(default_factory=list)
    new: dict[str, NotebookCells] = field(default_factory=dict, repr=False)  # the source's gradebook entries

    def __bool__(self) -> bool:
        return bool(self.notebooks)

    @property
    def demo_only(self) -> bool:
        return all(not n.graded for n in self.notebooks)

    @property
    def to_execute(self) -> set[str]:
        return {n.name for n in self.notebooks if n.execute}

    def describe(self) -> list[str]:
        out = []
        for n in self.notebooks:
            kind = "採点対象" if n.graded else "デモ"
            if n.added:
                out.append(f"  {n.name}: 追加（{kind}のノートブック）")
            elif n.removed:
                out.append(f"  {n.name}: 削除（{kind}のノートブック" + ("。このノートブックの成績も削除されます）" if n.graded else "）"))
            else:
                out += [f"  {n.name}: {line}" for line in n.lines]
        return out


def compare(old: dict[str, NotebookCells], new: dict[str, NotebookCells], day: str) -> SourceChanges:
    """What changed from the gradebook in use (``old``) to the one of the current source (``new``)."""
    changes = SourceChanges(day, new=new)
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes.notebooks.append(NotebookChange(name, added=True, graded=new[name].graded, execute=new[name].graded))
            continue
        if name not in new:
            changes.notebooks.append(NotebookChange(name, removed=True, graded=old[name].graded))
            continue
        a, b = old[name], new[name]
        change = NotebookChange(name, graded=a.graded or b.graded)
        checksum_only: list[str] = []
        for label, before, after in (("テストセル", a.grade, b.grade), ("タスクセル", a.task, b.task)):
            for cell in sorted(set(after) - set(before)):
                change.lines.append(f"{label} {cell} を追加（{after[cell][0]:g} 点）")
                change.execute = True
            for cell in sorted(set(before) - set(after)):
                change.lines.append(f"{label} {cell} を削除（{before[cell][0]:g} 点。その成績も削除されます）")
                change.execute = True
            for cell in sorted(set(before) & set(after)):
                if before[cell] != after[cell]:
                    change.lines.append(f"{label} {cell} の配点 {before[cell][0]:g} → {after[cell][0]:g} 点")
        for cell in sorted(b.solution - a.solution):
            change.lines.append(f"解答セル {cell} を追加")
            change.execute = True
        for cell in sorted(a.solution - b.solution):
            change.lines.append(f"解答セル {cell} を削除（そのコメントも削除されます）")
            change.execute = True
        for cell in sorted(set(a.source) | set(b.source)):
            if a.source.get(cell) == b.source.get(cell):
                continue
            if cell in a.source and cell in b.source and a.source[cell][:3] == b.source[cell][:3]:
                checksum_only.append(cell)  # the checksum covers the points too
                continue
            if cell in a.grade or cell in b.grade or cell in a.solution or cell in b.solution:
                if cell in a.source and cell in b.source:
                    change.lines.append(f"セル {cell} の内容を変更")
            elif cell not in a.source:
                change.lines.append(f"固定セル {cell} を追加")
            elif cell not in b.source:
                change.lines.append(f"固定セル {cell} を削除")
            else:
                change.lines.append(f"固定セル {cell} の内容を変更")
            if "code" in (a.source.get(cell, ("",))[0], b.source.get(cell, ("",))[0]):
                change.execute = True
        if a.kernelspec != b.kernelspec:
            change.lines.append("カーネルの指定を変更")
        if checksum_only and not change.lines:
            change.lines.append(f"セル {', '.join(checksum_only)} のチェックサムを更新")
        if change.lines:
            change.execute = change.execute and b.graded
            changes.notebooks.append(change)
    return changes


def pending_changes(root: Path, day: str) -> SourceChanges:
    """How the current source differs from the gradebook in use (empty when there is no gradebook)."""
    if not (Path(root) / "gradebook.db").exists():
        return SourceChanges(day)
    with Gradebook(db_url(root), COURSE_ID) as gb:
        old = read_cells(gb, day)
    if not old:
        return SourceChanges(day)
    return compare(old, cells_from_source(root, day), day)


def has_submissions(root: Path, day: str) -> bool:
    if not (Path(root) / "gradebook.db").exists():
        return False
    with Gradebook(db_url(root), COURSE_ID) as gb:
        try:
            return bool(gb.find_assignment(day).submissions)
        except MissingEntry:
            return False


def students_with_submissions(root: Path, day: str) -> list[str]:
    if not (Path(root) / "gradebook.db").exists():
        return []
    with Gradebook(db_url(root), COURSE_ID) as gb:
        try:
            return sorted(s.student.id for s in gb.find_assignment(day).submissions)
        except MissingEntry:
            return []


def _remove_cell(gb: Gradebook, cell) -> None:
    for grade in list(cell.grades or []):
        gb.db.delete(grade)
    for comment in list(cell.comments or []):
        gb.db.delete(comment)
    gb.db.delete(cell)


def _apply_notebook(gb: Gradebook, day: str, name: str, new: NotebookCells) -> None:
    """Make notebook ``name`` of ``gb`` hold exactly the cells of ``new`` (the notebook exists)."""
    nb = gb.find_notebook(name, day)
    nb.kernelspec = new.kernelspec
    submitted = list(nb.submissions)
    known_grade = {c.name for c in nb.grade_cells}
    known_solution = {c.name for c in nb.solution_cells}
    known_task = {c.name for c in nb.task_cells}
    for cell in list(nb.grade_cells):
        if cell.name not in new.grade:
            _remove_cell(gb, cell)
    for cell in list(nb.task_cells):
        if cell.name not in new.task:
            _remove_cell(gb, cell)
    for cell in list(nb.solution_cells):
        if cell.name not in new.solution:
            _remove_cell(gb, cell)
    for cell in list(nb.source_cells):
        if cell.name not in new.source:
            gb.db.delete(cell)
    gb.db.commit()
    for cname, (cell_type, locked, source, checksum) in new.source.items():
        gb.update_or_create_source_cell(cname, name, day, cell_type=cell_type, locked=locked, source=source,
                                        checksum=checksum)
    for cname, (points, cell_type) in new.grade.items():
        cell = gb.update_or_create_grade_cell(cname, name, day, max_score=points, cell_type=cell_type)
        if cname not in known_grade:
            for sub in submitted:
                gb.db.add(Grade(cell_id=cell.id, notebook=sub))
    for cname in sorted(new.solution):
        cell = gb.update_or_create_solution_cell(cname, name, day)
        if cname not in known_solution:
            for sub in submitted:
                gb.db.add(Comment(cell_id=cell.id, notebook=sub))
    for cname, (points, cell_type) in new.task.items():
        cell = gb.update_or_create_task_cell(cname, name, day, max_score=points, cell_type=cell_type)
        if cname not in known_task:
            for sub in submitted:
                gb.db.add(Comment(cell_id=cell.id, notebook=sub))
                gb.db.add(Grade(cell_id=cell.id, notebook=sub))
    gb.db.commit()


def apply_changes(root: Path, day: str, changes: SourceChanges) -> None:
    """Write ``changes`` into ``root``'s gradebook through nbgrader's API and rebuild the saved
    submitted notebooks of the changed notebooks on the new source."""
    new = changes.new
    with Gradebook(db_url(root), COURSE_ID) as gb:
        submissions = list(gb.find_assignment(day).submissions)
        for change in changes.notebooks:
            if change.removed:
                gb.remove_notebook(change.name, day)
                continue
            if change.added:
                notebook = gb.add_notebook(change.name, day, kernelspec=new[change.name].kernelspec)
                for submission in submissions:
                    gb.db.add(SubmittedNotebook(notebook=notebook, assignment=submission))
                gb.db.commit()
            _apply_notebook(gb, day, change.name, new[change.name])
    for change in changes.notebooks:
        source_path = Path(root) / "source" / day / f"{change.name}.ipynb"
        if change.removed or not change.graded or not source_path.exists():
            continue
        source = read_notebook(source_path)
        for saved in sorted((Path(root) / "submitted").glob(f"*/{day}/{change.name}.ipynb")):
            write_notebook(normalize(read_notebook(saved), source).notebook, saved)


def update_gradebook(root: Path, day: str) -> SourceChanges:
    """Compare and apply in one step; returns what changed (empty: the gradebook was current)."""
    changes = pending_changes(root, day)
    if changes:
        apply_changes(root, day, changes)
    return changes


def source_changed_message(day: str, changes: SourceChanges) -> str:
    """Tell the instructor (Japanese and English) that the gradebook must be updated first."""
    return "\n".join([
        f"{day} のソース（source/{day}/）が、採点済みの提出がある成績表（gradebook.db）の作成後に変更されています:",
        *changes.describe(),
        f"成績表を新しいソースに合わせてから採点し直してください（既存の成績とコメントは保たれます）:",
        f"  course-grade {day} --submissions 提出フォルダ --update-source",
        "",
        f"The source of {day} changed after the gradebook got submissions. Update the gradebook to the new",
        "source and re-grade what changed (existing grades, manual scores and comments are kept):",
        f"  course-grade {day} --submissions DIR --update-source",
        "Nothing was graded.",
    ])
