"""The daily quota: the Tokyo day whatever the server's time zone, what counts and what does not,
and 50 simultaneous submissions of one student (threads in several processes) leaving exactly
3 accepted, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from capstone_service.models import Submission
from capstone_service.submissions import (QuotaExceeded, Rejected, accept, next_reset, quota, quota_day,
                                          record_result)

from .support import REPO, make_zip, stub_zip

UTC = dt.timezone.utc


@pytest.mark.parametrize("tz", ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_the_day_starts_at_midnight_in_tokyo_whatever_the_servers_time_zone(monkeypatch, tz):
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        before = dt.datetime(2026, 4, 30, 14, 59, 59, tzinfo=UTC)  # 23:59:59 in Tokyo
        after = dt.datetime(2026, 4, 30, 15, 0, 0, tzinfo=UTC)  # 00:00 in Tokyo
        assert quota_day(before) == "2026-04-30"
        assert quota_day(after) == "2026-05-01"
        assert next_reset(before) == after
        assert next_reset(after) == dt.datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
        assert next_reset(after).utcoffset() == dt.timedelta(hours=9)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_rejected_zips_do_not_count_failed_ones_do(runtime, make_user):
    settings, db = runtime.settings, runtime.db
    uid = make_user("a001")
    for bad, kind in [(b"not a zip", "bad_zip"), (make_zip({"other.ipynb": "{}"}), "missing_notebook"),
                      (make_zip({"submit_katakana.ipynb": "not json"}), "bad_notebook")]:
        with pytest.raises(Rejected) as info:
            accept(db, settings, uid, bad, "bad.zip")
        assert info.value.kind == kind
    with db.read() as session:
        assert quota(session, settings, uid).used == 0
        assert session.scalar(select(func.count()).select_from(Submission)) == 0

    now = dt.datetime(2026, 4, 30, 14, 0, tzinfo=UTC)
    subs = [accept(db, settings, uid, stub_zip(str(i)), "ok.zip", now=now) for i in range(3)]
    with pytest.raises(QuotaExceeded) as info:
        accept(db, settings, uid, stub_zip("4"), "ok.zip", now=now)
    assert info.value.quota.remaining == 0 and info.value.quota.resets_at == dt.datetime(2026, 4, 30, 15, tzinfo=UTC)
    # a failure during scoring keeps counting; an error on our side gives the submission back
    with db.write() as session:
        failed = session.get(Submission, subs[0].id)
        record_result(session, failed, {"status": "failed", "error": {"kind": "crash", "message": "x"}}, "", 0, None, now)
        ours = session.get(Submission, subs[1].id)
        record_result(session, ours, {"status": "scorer_error", "error": {"kind": "scorer_error", "message": "x"}},
                      "", 0, None, now)
    with db.read() as session:
        q = quota(session, settings, uid, now=now)
        assert (q.used, q.remaining) == (2, 1)
        assert [s.status for s in session.scalars(select(Submission).order_by(Submission.id))] == ["failed", "error", "accepted"]
    accept(db, settings, uid, stub_zip("5"), "ok.zip", now=now)
    with pytest.raises(QuotaExceeded):
        accept(db, settings, uid, stub_zip("6"), "ok.zip", now=now)
    # the next Tokyo day starts with a fresh count
    accept(db, settings, uid, stub_zip("7"), "ok.zip", now=now + dt.timedelta(hours=1))


def race(database_url: str, data_dir, user_id: int, processes: int = 2, threads: int = 25) -> dict:
    """``processes`` × ``threads`` submissions released at the same instant."""
    go_file = Path(data_dir) / f"go-{time.time_ns()}"
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.service.race", database_url, str(data_dir), str(user_id),
                               str(threads), str(go_file)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go_file.touch()
    total = {"accepted": 0, "quota": 0, "errors": []}
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        total["accepted"] += result["accepted"]
        total["quota"] += result["quota"]
        total["errors"] += result["errors"]
    return total


def _check_race(db, total, user_id):
    assert total["errors"] == []
    assert (total["accepted"], total["quota"]) == (3, 47)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Submission).where(Submission.user_id == user_id)) == 3


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_fifty_simultaneous_submissions_leave_three_on_sqlite(runtime, make_user):
    uid = make_user("racer")
    total = race(runtime.settings.database_url, runtime.settings.data_dir, uid)
    _check_race(runtime.db, total, uid)


def test_fifty_simultaneous_submissions_leave_three_on_postgresql(postgres, tmp_path):
    from capstone_service import accounts
    from capstone_service.db import Database
    from capstone_service.migrate import upgrade
    from capstone_service.models import User

    url = postgres.new_database("quota_race")
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        user = User(student_id="racer", name="競争 太郎", email="racer@example.com", role="student",
                    password_hash=accounts.PasswordHasher(time_cost=1).hash("x" * 12))
        session.add(user)
        session.flush()
        uid = user.id
    total = race(url, tmp_path / "data", uid)
    _check_race(db, total, uid)
    db.dispose()
