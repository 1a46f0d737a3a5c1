"""Benchmark: the course's grader against stock sequential ``nbgrader autograde``.

Builds a synthetic class (N students × every graded notebook of a day; students alternate
between the answer notebooks and the untouched trainee notebooks), grades it

1. with stock nbgrader 0.9 (``nbgrader autograde DAY`` in one CLI call: sequential, the
   hidden tests run inside each student's kernel), and
2. with ``course-grade`` (sandboxed kernels in parallel, verdicts decided outside),

checks that both give the same scores, and prints seconds per notebook and the ratio.

Usage: python scripts/benchmark_grading.py [--students 40] [--day day1] [--jobs N]
(needs COURSE_MNIST_DIR / COURSE_HOUSING_DIR like the tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.grade import graded_notebooks, main as course_grade, score_table
from autograder.nbgrader_setup import repo_root

STOCK_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "genba-dl"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Autograde.create_student = True
c.ExecutePreprocessor.timeout = 120
"""


def make_class(repo: Path, day: str, students: int, out: Path) -> int:
    names = sorted(graded_notebooks(repo, day))
    for i in range(students):
        folder = out / f"s{i:03d}"
        folder.mkdir(parents=True)
        for name in names:
            src = repo / "release" / day / (f"{name}.ipynb" if i % 2 == 0 else f"{name}_trainee.ipynb")
            shutil.copy(src, folder / f"{name}.ipynb")
    return students * len(names)


def stock(repo: Path, day: str, submissions: Path, work: Path) -> tuple[float, dict]:
    root = work / "stock"
    shutil.copytree(repo / "source", root / "source")
    (root / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=str(root)))
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(nbgrader + ["generate_assignment", day, "--force"], cwd=root, env=env, check=True,
                   capture_output=True)
    for folder in submissions.iterdir():
        shutil.copytree(folder, root / "submitted" / folder.name / day)
    started = time.perf_counter()
    subprocess.run(nbgrader + ["autograde", day, "--force"], cwd=root, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    return elapsed, score_table(root, day)


def ours(repo: Path, day: str, submissions: Path, work: Path, jobs: int) -> tuple[float, dict]:
    root = work / "course"
    shutil.copytree(repo / "source", root / "source")
    started = time.perf_counter()
    course_grade([day, "--submissions", str(submissions), "--root", str(root), "--jobs", str(jobs)])
    return time.perf_counter() - started, score_table(root, day)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--day", default="day1")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    repo = repo_root()
    work = Path(tempfile.mkdtemp(prefix="grading-benchmark-"))
    try:
        n = make_class(repo, args.day, args.students, work / "submissions")
        load = [os.getloadavg()]
        t_ours, s_ours = ours(repo, args.day, work / "submissions", work, args.jobs)
        load.append(os.getloadavg())
        t_stock, s_stock = stock(repo, args.day, work / "submissions", work)
        load.append(os.getloadavg())
        same = {k: dict(v) for k, v in s_ours.items()} == {k: dict(v) for k, v in s_stock.items()}
        print(f"\nclass: {args.students} students × {n // args.students} notebooks = {n} notebooks, {args.jobs} jobs")
        print(f"stock nbgrader autograde (sequential): {t_stock:8.1f} s  {t_stock / n:6.2f} s/notebook")
        print(f"course-grade (sandboxed, parallel):   {t_ours:8.1f} s  {t_ours / n:6.2f} s/notebook")
        print(f"speed-up: {t_stock / t_ours:.2f}x   identical grades: {same}")
        print("load average (1, 5, 15 min) before, between, after: "
              + "  ".join("/".join(f"{x:.1f}" for x in avg) for avg in load) + f"  on {os.cpu_count()} cores")
        if not same:
            for student in sorted(s_stock):
                if dict(s_stock[student]) != dict(s_ours.get(student, {})):
                    print("  differs:", student, dict(s_stock[student]), dict(s_ours.get(student, {})))
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
