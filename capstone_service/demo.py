"""A demo class for the service (``course-service-demo``): an instructor, five students with
known passwords, and sample submissions queued for scoring (two models of different quality
and the untouched fill-in notebook, which fails)."""

from __future__ import annotations

import argparse
import time

from sqlalchemy import func, select

from autograder.capstone.samples import (answer_notebook_bytes, fill_in_notebook_bytes, model_bytes, softmax_regression,
                                        zip_files)

from .admin import add_user, set_password
from .config import load_settings
from .models import PENDING, Submission, User
from .runtime import Runtime
from .submissions import accept, mark_queued

INSTRUCTOR = ("teacher", "講師 太郎", "teacher@example.com", "demo-teacher-pass")
STUDENTS = [
    ("s001", "青木 さくら", "s001@example.com"),
    ("s002", "井上 大翔", "s002@example.com"),
    ("s003", "上田 陽菜", "s003@example.com"),
    ("s004", "江口 蓮", "s004@example.com"),
    ("s005", "大野 結衣", "s005@example.com"),
]
STUDENT_PASSWORD = "demo-student-pass"


def submission_zip(params: dict | None, filled_in: bool = True) -> bytes:
    """A zip like make_submission_zip makes: the submission notebook and model.npz."""
    files = {"submit_katakana.ipynb": answer_notebook_bytes() if filled_in else fill_in_notebook_bytes()}
    if params is not None:
        files["model.npz"] = model_bytes(params)
    return zip_files(files)


def sample_zips() -> dict[str, bytes]:
    return {"good": submission_zip(softmax_regression(200)), "weak": submission_zip(softmax_regression(15)),
            "unfinished": submission_zip(softmax_regression(15), filled_in=False)}


def setup(runtime: Runtime, submit: bool = True) -> list[int]:
    with runtime.db.read() as session:
        existing = session.scalar(select(func.count()).select_from(User)) or 0
    if existing:
        return []
    add_user(runtime, *INSTRUCTOR[:3], role="instructor")
    set_password(runtime, INSTRUCTOR[0], INSTRUCTOR[3])
    for sid, name, email in STUDENTS:
        add_user(runtime, sid, name, email, role="student")
        if sid != "s005":  # s005 sets a password through the mailed link
            set_password(runtime, sid, STUDENT_PASSWORD)
    if not submit:
        return []
    zips = sample_zips()
    plan = [("s001", "good", "model_v2.zip"), ("s001", "weak", "model_v1.zip"), ("s002", "weak", "first_try.zip"),
            ("s003", "unfinished", "submission.zip"), ("s004", "good", "katakana.zip")]
    ids = []
    with runtime.db.read() as session:
        users = {u.student_id: u.id for u in session.scalars(select(User))}
    for sid, kind, filename in plan:
        sub = accept(runtime.db, runtime.settings, users[sid], zips[kind], filename)
        mark_queued(runtime.db, sub.id, runtime.queue)
        ids.append(sub.id)
    return ids


def wait_scored(runtime: Runtime, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.read() as session:
            pending = session.scalar(select(func.count()).select_from(Submission).where(Submission.status.in_(PENDING)))
        if not pending:
            return True
        time.sleep(1)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="デモ用のクラス（講師 1 人・受講者 5 人・提出例）を作ります。")
    parser.add_argument("--no-submissions", action="store_true")
    parser.add_argument("--wait", type=float, default=0, help="wait up to this many seconds for the scoring")
    args = parser.parse_args(argv)
    runtime = Runtime(load_settings())
    ids = setup(runtime, submit=not args.no_submissions)
    print(f"demo class ready; {len(ids)} sample submissions queued" if ids else "demo class already there")
    if args.wait:
        print("all sample submissions scored" if wait_scored(runtime, args.wait) else "scoring still running")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
