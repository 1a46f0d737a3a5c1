"""Grade a class: ``course-grade day1 --submissions DIR``.

DIR holds one folder per student (the folder name is the student id) with the notebooks
they submitted (``X_trainee.ipynb`` or ``X.ipynb``). Steps:

1. intake: map file names to notebooks, report unknown or duplicated files;
2. execute every (student, notebook) in a sandboxed kernel, in parallel on all cores, and
   decide the verdicts in this process; each result is saved as it completes, so an
   interrupted run loses nothing already graded;
3. nbgrader (one process, no kernels, sequential gradebook writes): autograde, feedback, CSV;
4. print the score table and the per-check summary.

``--students`` / ``--notebooks`` re-grade a part; the others keep their saved results.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm

from .build import generate_student_versions, nbgrader_api
from .execute import SLOT_UID_BASE, KernelSupply, Limits, acquire_slot, kill_uid
from .intake import notebook_name_for, suggest_name
from .nbgrader_bridge import reason_line, result_path
from .nbgrader_setup import repo_root
from .notebook_cells import TRAINEE_SUFFIX, is_graded_notebook, read_notebook, write_notebook


@dataclass
class Task:
    student: str
    notebook: str
    path: Path


def graded_notebooks(root: Path, day: str) -> dict[str, object]:
    return {p.stem: nb for p in sorted((root / "source" / day).glob("*.ipynb"))
            if is_graded_notebook(nb := read_notebook(p))}


def notebooks_of_other_days(root: Path, day: str) -> dict[str, str]:
    """Notebook stem -> day, for every day of the course but ``day`` (for the rename advice)."""
    return {p.stem: p.parent.name for p in sorted((root / "source").glob("day*/*.ipynb")) if p.parent.name != day}


def collect_tasks(submissions: Path, known: set[str], students: set[str] | None,
                  notebooks: set[str] | None, other_days: dict[str, str] | None = None,
                  ) -> tuple[list[Task], dict[str, list[str]]]:
    """Tasks to grade and, per student, notes about files that were not taken."""
    tasks, notes = [], defaultdict(list)
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir()):
        student = folder.name
        if students and student not in students:
            continue
        chosen: dict[str, Path] = {}
        for path in sorted(folder.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            name = notebook_name_for(path.name, known)
            if name is None:
                notes[student].append(suggest_name(path.name, known, other_days))
                continue
            if name in chosen:
                keep = chosen[name] if chosen[name].stem.endswith(TRAINEE_SUFFIX) else path
                other = path if keep is chosen[name] else chosen[name]
                notes[student].append(f"{name} のファイルが複数あります（{keep.name} と {other.name}）。{keep.name} を採点しました。")
                chosen[name] = keep
                continue
            chosen[name] = path
        for name, path in sorted(chosen.items()):
            if notebooks and name not in notebooks:
                continue
            tasks.append(Task(student, name, path))
    return tasks, notes


_slot = None
_supply: KernelSupply | None = None


def _init_worker() -> None:
    global _slot
    if _slot is None:
        _slot = acquire_slot()
    os.environ.setdefault("MPLBACKEND", "Agg")


def _close_supply() -> None:
    global _supply
    if _supply is not None:
        _supply.close()
        _supply = None


def _kernels(work: str, limits: Limits) -> KernelSupply:
    """This worker's kernel supply (created on first use, closed when the worker exits)."""
    global _supply
    if _supply is None or _supply.work != Path(work) or _supply.limits != limits:
        _close_supply()
        _supply = KernelSupply(Path(work), _slot, limits)
        multiprocessing.util.Finalize(None, _close_supply, exitpriority=10)
    return _supply


def _grade_task(task: Task, root: str, day: str, work: str, limits: Limits) -> tuple[Task, dict]:
    from .grading import grade_file

    source = read_notebook(Path(root) / "source" / day / f"{task.notebook}.ipynb")
    try:
        result = grade_file(task.path, task.notebook, source, work=Path(work), slot=_slot, limits=limits,
                            supply=_kernels(work, limits))
    except Exception as exc:  # a grader bug must not stop the batch; the student sees a neutral note
        result = {"notebook": task.notebook, "file": task.path.name, "status": "grader-error",
                  "notes": [f"採点中に採点システム側のエラーが発生しました（{type(exc).__name__}）。担当者に連絡してください。"],
                  "verdicts": [], "outputs": {}, "normalized": None, "detail": repr(exc)}
    result["slot"] = _slot
    if result.get("normalized") is not None:
        result["normalized"] = nbformat.writes(result["normalized"])
    return task, result


def _save(root: Path, day: str, task: Task, result: dict, source_nb) -> None:
    normalized = result.pop("normalized", None)
    target = root / "submitted" / task.student / day / f"{task.notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if normalized is not None:
        target.write_text(normalized, encoding="utf-8")
    else:  # unreadable file: grade the empty instructor copy so the feedback can explain
        write_notebook(source_nb, target)
    path = result_path(root, task.student, task.notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def execute_all(tasks: list[Task], root: Path, day: str, jobs: int, limits: Limits, sources: dict) -> dict:
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    os.chmod(work, 0o711)
    done = {}
    try:
        if jobs <= 1:
            _init_worker()
            for task in tqdm(tasks, desc="採点", unit="nb"):
                task, result = _grade_task(task, str(root), day, str(work), limits)
                _save(root, day, task, result, sources[task.notebook])
                done[(task.student, task.notebook)] = result
        else:
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker) as pool:
                futures = [pool.submit(_grade_task, t, str(root), day, str(work), limits) for t in tasks]
                for future in tqdm(as_completed(futures), total=len(futures), desc="採点", unit="nb"):
                    task, result = future.result()
                    _save(root, day, task, result, sources[task.notebook])
                    done[(task.student, task.notebook)] = result
    finally:
        _close_supply()
        # backstop: nothing of any slot used in this batch may outlive it
        for slot in ({r.get("slot") for r in done.values()} - {None}) if os.geteuid() == 0 else ():
            for sub in (0, 1):
                kill_uid(SLOT_UID_BASE + 2 * slot + sub)
        shutil.rmtree(work, ignore_errors=True)
    return done


def _feedback(root: str, day: str, student: str) -> tuple[str, str | None]:
    out = nbgrader_api(Path(root)).generate_feedback(day, student, force=True)
    return student, None if out["success"] else (out.get("error") or out.get("log", ""))


def record_with_nbgrader(root: Path, day: str, students: list[str], jobs: int = 1) -> dict[str, str]:
    """Autograde (no execution, one process: no SQLite write contention), then render the
    feedback in parallel (it only reads the gradebook); returns errors by student."""
    generate_student_versions(root / "source" / day, day, course_root=root)
    api = nbgrader_api(root)
    errors, graded = {}, []
    for student in tqdm(students, desc="nbgrader", unit="人"):
        if not any((root / "submitted" / student / day).glob("*.ipynb")):
            # nothing gradable (e.g. only misnamed files): listed with zero, notes in grading/intake
            from nbgrader.api import Gradebook

            with Gradebook(api.coursedir.db_url, "genba-dl") as gb:
                gb.update_or_create_student(student)
            continue
        out = api.autograde(day, student, force=True, create=True)
        if out["success"]:
            graded.append(student)
        else:
            errors[student] = out.get("error") or out.get("log", "")
    if jobs > 1 and len(graded) > 1:
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(min(jobs, len(graded)), mp_context=ctx) as pool:
            futures = [pool.submit(_feedback, str(root), day, s) for s in graded]
            results = [f.result() for f in tqdm(as_completed(futures), total=len(futures), desc="フィードバック", unit="人")]
    else:
        results = [_feedback(str(root), day, s) for s in tqdm(graded, desc="フィードバック", unit="人")]
    errors.update({student: error for student, error in results if error})
    return errors


def export_csv(root: Path, target: Path) -> None:
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "genba-dl") as gb:
        CsvExportPlugin(to=str(target)).export(gb)


def score_table(root: Path, day: str) -> dict[str, dict[str, tuple[float, float]]]:
    from nbgrader.api import Gradebook

    table: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "genba-dl") as gb:
        for nb in gb.find_assignment(day).notebooks:
            for sub in nb.submissions:
                table[sub.student.id][nb.name] = (sub.score, sub.max_score)
    return table


def summary_lines(root: Path, students: list[str], notebooks: list[str]) -> list[str]:
    passes, totals, failures = Counter(), Counter(), Counter()
    for student in students:
        for notebook in notebooks:
            try:
                result = json.loads(result_path(root, student, notebook).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for v in result.get("verdicts", []):
                key = f"{notebook}/{v['grade_id']}"
                totals[key] += 1
                passes[key] += bool(v["passed"])
                if not v["passed"]:
                    failures[(key, reason_line(v["message"]))] += 1
    lines = ["チェックごとの合格率:"]
    lines += [f"  {key:45s} {passes[key]:3d}/{totals[key]:3d}" for key in sorted(totals)]
    lines.append("よくある不合格の理由:")
    lines += [f"  {n:3d}× {key}: {msg}" for (key, msg), n in failures.most_common(10)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("day")
    parser.add_argument("--submissions", type=Path, required=True, help="folder with one folder per student")
    parser.add_argument("--root", type=Path, default=None, help="nbgrader course directory (default: the repository)")
    parser.add_argument("--students", default="", help="comma-separated student ids to (re-)grade")
    parser.add_argument("--notebooks", default="", help="comma-separated notebook names to (re-)grade")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout)
    parser.add_argument("--csv", type=Path, default=None, help="grades CSV (default: ROOT/grades.csv)")
    args = parser.parse_args(argv)
    root = (args.root or repo_root()).resolve()
    if not args.submissions.is_dir():
        print(f"提出フォルダがありません: {args.submissions}", file=sys.stderr)
        return 2
    sources = graded_notebooks(root, args.day)
    students = set(filter(None, args.students.split(","))) or None
    notebooks = set(filter(None, args.notebooks.split(","))) or None
    tasks, notes = collect_tasks(args.submissions.resolve(), set(sources), students, notebooks,
                                 notebooks_of_other_days(root, args.day))
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
    started = time.monotonic()
    execute_all(tasks, root, args.day, args.jobs, limits, sources)
    graded_students = sorted({t.student for t in tasks} | set(notes))
    for student, items in notes.items():
        log = root / "grading" / "intake" / f"{student}.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("\n".join(items) + "\n", encoding="utf-8")
        for item in items:
            print(f"[{student}] {item}")
    errors = record_with_nbgrader(root, args.day, graded_students, args.jobs)
    for student, error in errors.items():
        print(f"[{student}] nbgrader で記録できませんでした: {error}", file=sys.stderr)
    csv_path = args.csv or root / "grades.csv"
    export_csv(root, csv_path)
    table = score_table(root, args.day)
    names = sorted(sources)
    print("\n学生ごとの得点:")
    for student in graded_students:
        row = table.get(student, {})
        cells = [f"{n}: {row[n][0]:g}/{row[n][1]:g}" for n in names if n in row]
        print(f"  {student}: " + ", ".join(cells))
    print()
    print("\n".join(summary_lines(root, graded_students, names)))
    elapsed = time.monotonic() - started
    print(f"\n{len(tasks)} ノートブックを {elapsed:.1f} 秒で採点しました（{args.jobs} 並列）。")
    print(f"成績 CSV: {csv_path}\nフィードバック: {root / 'feedback'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
