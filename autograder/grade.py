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

Before anything runs, the day's hidden checks are validated against the source notebooks
(``--check`` does only that) and the gradebook is compared with the source: when the source of
a day with submissions changed, grading stops and asks for ``--update-source``, which updates
the gradebook (``autograder.gradebook_update``) and re-grades only what changed.

Exit codes: 0 graded; 1 nbgrader could not record a student; 2 usage (no submissions folder);
3 grader error (the checks do not fit the source, or a submission hit ``grader-error``);
4 the source changed since the gradebook got submissions (run ``--update-source``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm

from .build import generate_student_versions, nbgrader_api
from .execute import SLOT_UID_BASE, KernelSupply, Limits, acquire_slot, kill_uid
from .gradebook_update import (apply_changes, has_submissions, pending_changes, source_changed_message,
                               students_with_submissions, update_gradebook)
from .intake import demo_notebook_note, notebook_name_for, suggest_name
from .nbgrader_bridge import reason_line, result_path
from .nbgrader_setup import repo_root
from .notebook_cells import TRAINEE_SUFFIX, read_notebook, write_notebook
from .sandbox import release_mounts
from .validate import graded_notebooks, grader_error_report, problems_report, validate_day

EXIT_NBGRADER, EXIT_USAGE, EXIT_GRADER_ERROR, EXIT_SOURCE_CHANGED = 1, 2, 3, 4


@dataclass
class Task:
    student: str
    notebook: str
    path: Path
    base: Path | None = None  # the submissions root: nothing below it is read through a link


def _submitted_files(folder: Path, student: str, notes: dict) -> list[Path]:
    """The ``.ipynb`` entries below a student's folder, found without following any link
    (linked folders get a note; linked or special files are read by intake, which refuses them)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in sorted(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):
                notes[student].append(f"フォルダ {name} はリンク（シンボリックリンク）のため読みませんでした。"
                                      "ファイルそのものを提出してください。")
        dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints"
                             and not os.path.islink(os.path.join(dirpath, d)))
        found += [Path(dirpath) / name for name in sorted(filenames) if name.endswith(".ipynb")]
    return found


def notebooks_of_other_days(root: Path, day: str) -> dict[str, str]:
    """Notebook stem -> day, for every day of the course but ``day`` (for the rename advice)."""
    return {p.stem: p.parent.name for p in sorted((root / "source").glob("day*/*.ipynb")) if p.parent.name != day}


def collect_tasks(submissions: Path, known: set[str], students: set[str] | None,
                  notebooks: set[str] | None, demos: set[str] = frozenset(),
                  other_days: dict[str, str] | None = None) -> tuple[list[Task], dict[str, list[str]]]:
    """Tasks to grade and, per student, notes about files that were not taken."""
    tasks, notes = [], defaultdict(list)
    for folder in sorted(submissions.iterdir()):
        student = folder.name
        if students and student not in students:
            continue
        if folder.is_symlink():
            notes[student].append("提出フォルダがリンク（シンボリックリンク）のため読みませんでした。")
            continue
        if not folder.is_dir():
            continue
        chosen: dict[str, Path] = {}
        for path in _submitted_files(folder, student, notes):
            name = notebook_name_for(path.name, known)
            if name is None:
                notes[student].append(demo_notebook_note(path.name, demos) or suggest_name(path.name, known, other_days))
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
            tasks.append(Task(student, name, path, submissions))
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
                            supply=_kernels(work, limits), base=task.base)
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
            for task in tqdm(sorted(tasks, key=lambda t: (t.notebook, t.student)), desc="採点", unit="nb"):
                task, result = _grade_task(task, str(root), day, str(work), limits)
                _save(root, day, task, result, sources[task.notebook])
                done[(task.student, task.notebook)] = result
        else:
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker) as pool:
                # notebook by notebook: a worker's next kernel, started ahead, has the right view of course/
                ordered = sorted(tasks, key=lambda t: (t.notebook, t.student))
                futures = [pool.submit(_grade_task, t, str(root), day, str(work), limits) for t in ordered]
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
        release_mounts(work)  # scratch tmpfs mounts of kernels a crashed worker left
        shutil.rmtree(work, ignore_errors=True)
    return done


NBGRADER_STAGE_SECONDS = 300  # autograde or feedback of one student (all their notebooks)


class StageTimeout(Exception):
    """A grading stage of one student took longer than its limit."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str):
    """Raise ``StageTimeout`` in this (main) thread when the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise StageTimeout(f"{what}: more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _feedback(root: str, day: str, student: str) -> tuple[str, str | None, bool]:
    """nbgrader's feedback of one student: (student, the error or None, whether it ran out of time)."""
    try:
        with time_limit(NBGRADER_STAGE_SECONDS, f"feedback {student}"):
            out = nbgrader_api(Path(root)).generate_feedback(day, student, force=True)
    except StageTimeout as exc:
        return student, str(exc), True
    return student, None if out["success"] else (out.get("error") or out.get("log", "") or "feedback failed"), False


def _autograde(api, day: str, student: str) -> tuple[str | None, bool]:
    """nbgrader's autograde of one student (no kernel): (the error or None, whether it ran out of time)."""
    try:
        with time_limit(NBGRADER_STAGE_SECONDS, f"autograde {student}"):
            out = api.autograde(day, student, force=True, create=True)
    except StageTimeout as exc:
        return str(exc), True
    return (None if out["success"] else (out.get("error") or out.get("log", "") or "autograde failed")), False


def record_with_nbgrader(root: Path, day: str, students: list[str], jobs: int = 1) -> dict[str, str]:
    """Autograde (no execution, one process: the only gradebook writer), and render each
    student's feedback (it only reads the gradebook) in a pool as soon as that student is
    recorded, so both run at once; returns errors by student. A student whose autograde or
    feedback failed while the other stage was running is tried once more alone at the end
    (a busy gradebook is not the student's fault)."""
    with tempfile.TemporaryDirectory(prefix="course-build-") as work:
        generate_student_versions(root / "source" / day, day, Path(work), course_root=root)
    api = nbgrader_api(root)
    errors, graded, retry = {}, [], []
    pool = None
    if jobs > 1 and len(students) > 1:
        pool = ProcessPoolExecutor(min(jobs, len(students)), mp_context=multiprocessing.get_context("forkserver"))
    futures = []
    try:
        for student in tqdm(students, desc="nbgrader", unit="人"):
            if not any((root / "submitted" / student / day).glob("*.ipynb")):
                # nothing gradable (e.g. only misnamed files): listed with zero, notes in grading/intake
                from nbgrader.api import Gradebook

                with Gradebook(api.coursedir.db_url, "genba-dl") as gb:
                    gb.update_or_create_student(student)
                continue
            error, timed_out = _autograde(api, day, student)
            if error is None:
                graded.append(student)
                if pool is not None:
                    futures.append(pool.submit(_feedback, str(root), day, student))
            elif pool is not None and not timed_out:
                retry.append(student)
            else:
                errors[student] = error
        results = [f.result() for f in tqdm(futures, desc="フィードバック", unit="人")] if pool is not None else []
    finally:
        if pool is not None:
            pool.shutdown()
    for student in retry:  # alone now: nothing else touches the gradebook
        error, _ = _autograde(api, day, student)
        if error is None:
            graded.append(student)
            results.append(_feedback(str(root), day, student))
        else:
            errors[student] = error
    if pool is None:
        results = [_feedback(str(root), day, s) for s in tqdm(graded, desc="フィードバック", unit="人")]
    for student, error, timed_out in results:
        if error and not timed_out:  # once more alone, unless it ran out of time
            student, error, _ = _feedback(str(root), day, student)
        if error:
            errors[student] = error
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
    parser.add_argument("--submissions", type=Path, default=None, help="folder with one folder per student")
    parser.add_argument("--check", action="store_true",
                        help="only validate the day's hidden checks against source/ (seconds, no kernel)")
    parser.add_argument("--update-source", action="store_true",
                        help="update the gradebook to the changed source/ (grades and comments kept), "
                             "then re-grade what changed")
    parser.add_argument("--root", type=Path, default=None, help="nbgrader course directory (default: the repository)")
    parser.add_argument("--students", default="", help="comma-separated student ids to (re-)grade")
    parser.add_argument("--notebooks", default="", help="comma-separated notebook names to (re-)grade")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout)
    parser.add_argument("--csv", type=Path, default=None, help="grades CSV (default: ROOT/grades.csv)")
    args = parser.parse_args(argv)
    root = (args.root or repo_root()).resolve()
    problems = validate_day(root, args.day)
    if args.check or problems:
        print(problems_report(args.day, problems, dry_run=args.check), file=sys.stderr if problems else sys.stdout)
        return EXIT_GRADER_ERROR if problems else 0
    if args.submissions is None or not args.submissions.is_dir():
        print(f"提出フォルダがありません（--submissions）: {args.submissions}", file=sys.stderr)
        return EXIT_USAGE
    sources = graded_notebooks(root, args.day)
    demos = {p.stem for p in (root / "source" / args.day).glob("*.ipynb")} - set(sources)
    students = set(filter(None, args.students.split(","))) or None
    notebooks = set(filter(None, args.notebooks.split(","))) or None
    also_record: list[str] = []
    if args.update_source:
        changes = update_gradebook(root, args.day)
        if not changes:
            print(f"{args.day} の成績表はソースと一致しています。採点し直すものはありません。\n"
                  f"The gradebook of {args.day} matches the source; nothing to re-grade.")
            return 0
        print("\n".join([f"{args.day} の成績表を新しいソースに合わせました:", *changes.describe()]))
        notebooks = changes.to_execute & notebooks if notebooks else changes.to_execute
        also_record = students_with_submissions(root, args.day)
    elif has_submissions(root, args.day) and (changes := pending_changes(root, args.day)):
        if not changes.demo_only:
            print(source_changed_message(args.day, changes), file=sys.stderr)
            return EXIT_SOURCE_CHANGED
        apply_changes(root, args.day, changes)
        print("\n".join([f"{args.day} のデモのノートブックの変更を成績表に反映しました（採点には影響しません）:",
                         *changes.describe()]))
    tasks, notes = collect_tasks(args.submissions.resolve(), set(sources), students, notebooks, demos,
                                 notebooks_of_other_days(root, args.day))
    if notebooks is not None and not notebooks:  # --update-source with nothing to run again
        tasks = []
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
    started = time.monotonic()
    done = execute_all(tasks, root, args.day, args.jobs, limits, sources)
    graded_students = sorted({t.student for t in tasks} | set(notes) | set(also_record))
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
    failed = [(s, n, r.get("detail", "")) for (s, n), r in sorted(done.items()) if r.get("status") == "grader-error"]
    if failed:
        print("\n" + grader_error_report(root, args.day, failed), file=sys.stderr)
        return EXIT_GRADER_ERROR
    return EXIT_NBGRADER if errors else 0


if __name__ == "__main__":
    sys.exit(main())
