"""The worker with the real scorer: a worker killed in the middle of a job → another worker
finishes it after the lease; a job past the wall limit fails with "timeout"; everything
killed and restarted → nothing lost, nothing stuck. Plus the repair rules of ``recover`` and
the retry of our own scorer errors (stub scorer)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from capstone_service.models import Event, Mail, Result, Submission, utcnow
from capstone_service.submissions import accept, claim, mark_queued, recover
from capstone_service.worker import Worker

from ..capstone_support import with_cell
from .support import Stack, model, notebook, real_zip, stub_zip, submission, wait_for
from .test_flow import runtime_of

FAST = {"COURSE_SERVICE_LEASE_SECONDS": "3", "COURSE_SERVICE_REQUEUE_SECONDS": "3",
        "COURSE_SERVICE_SCORER_WALL_SECONDS": "8", "COURSE_SERVICE_SCORER_CELL_SECONDS": "4"}


@pytest.fixture(params=["embedded", "scaled"])
def fast_env(request, tmp_path):
    """Short leases and limits, on the embedded stack or on PostgreSQL + Redis."""
    env = dict(FAST)
    if request.param == "scaled":
        postgres = request.getfixturevalue("postgres")
        redis_server = request.getfixturevalue("redis_server")
        env["COURSE_SERVICE_DATABASE_URL"] = postgres.new_database(f"worker_{uuid.uuid4().hex[:12]}")
        env["COURSE_SERVICE_QUEUE_URL"] = redis_server.url
    yield env
    if request.param == "scaled":
        import redis

        redis.Redis.from_url(env["COURSE_SERVICE_QUEUE_URL"]).flushdb()


def _status(runtime, sub_id):
    with runtime.db.read() as session:
        return session.get(Submission, sub_id).status


def _make_student(runtime, sid):
    from capstone_service.admin import add_user

    add_user(runtime, sid, f"受講者 {sid}", f"{sid}@example.com", role="student")
    from capstone_service.models import User

    with runtime.db.read() as session:
        return session.scalar(select(User.id).where(User.student_id == sid))


def test_a_killed_worker_s_job_is_finished_by_another_after_the_lease(tmp_path, fast_env):
    stack = Stack(tmp_path / "service", fast_env)
    stack.migrate()
    stack.start_sink()
    stack.start_worker("worker1")
    runtime = runtime_of(stack)
    try:
        uid = _make_student(runtime, "w001")
        sub = accept(runtime.db, runtime.settings, uid, real_zip(), "katakana.zip")
        mark_queued(runtime.db, sub.id, runtime.queue)
        wait_for(lambda: _status(runtime, sub.id) == "running", 180, interval=0.05, what="worker1 to start")
        stack.kill("worker1")
        assert _status(runtime, sub.id) == "running"
        stack.start_worker("worker2")
        # a real scoring (sandboxed kernel + model) after the lease: ~20 s idle, over 90 s on a loaded machine
        wait_for(lambda: _status(runtime, sub.id) == "scored", 300, interval=0.3, what="worker2 to finish the job")
        with runtime.db.read() as session:
            scored = session.get(Submission, sub.id)
            results = session.scalars(select(Result).where(Result.submission_id == sub.id)).all()
            actions = [e.action for e in session.scalars(select(Event).where(Event.submission_id == sub.id).order_by(Event.id))]
        assert scored.attempts == 2 and len(results) == 1 and results[0].worker == "worker2"
        assert actions == ["accepted", "queued", "running", "requeued", "running", "scored"]
        assert 0.8 < results[0].public_accuracy < 1
    finally:
        stack.close()
        runtime.db.dispose()


INFINITE = "while True:\n    pass\n"


def test_restart_everything_nothing_lost_nothing_stuck_and_timeouts_fail(tmp_path, fast_env):
    stack = Stack(tmp_path / "service", fast_env).start(workers=1)
    runtime = runtime_of(stack)
    try:
        users = [_make_student(runtime, f"r00{i}") for i in range(3)]
        looping = submission(with_cell(notebook("answer"), INFINITE), model())
        tokens = []
        from capstone_service import accounts

        with runtime.db.write() as session:
            from capstone_service.models import User

            for uid in users:
                tokens.append(accounts.new_api_token(session, session.get(User, uid)))
        ids = []
        for token, data in zip(tokens, [looping, real_zip(), real_zip({"notes.txt": "2"})]):
            response = httpx.post(f"{stack.url}/api/submissions", headers={"Authorization": f"Bearer {token}"},
                                  files={"file": ("s.zip", data, "application/zip")}, timeout=30)
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        wait_for(lambda: _status(runtime, ids[0]) == "running", 180, interval=0.05, what="the first job to start")
        # a crash of every process of the service
        stack.kill("web")
        stack.kill("worker1")
        stack.start_worker("worker1-restarted")
        stack.start_web()
        wait_for(lambda: all(_status(runtime, i) in ("scored", "failed") for i in ids), 300, interval=0.5,
                 what="every submission to finish")
        with runtime.db.read() as session:
            subs = [session.get(Submission, i) for i in ids]
            results = {i: session.scalars(select(Result).where(Result.submission_id == i)).all() for i in ids}
        assert [s.status for s in subs] == ["failed", "scored", "scored"], \
            {i: [(r.error_kind, (r.error_message or "")[:300]) for r in rs] for i, rs in results.items()}
        assert all(len(r) == 1 for r in results.values())
        assert results[ids[0]][0].error_kind == "timeout" and "制限時間" in results[ids[0]][0].error_message
        wait_for(lambda: len([m for m in stack.mails() if "提出 #" in m["Subject"]]) == 3, 90, what="three result mails")
        with runtime.db.read() as session:
            assert set(session.scalars(select(Mail.status))) == {"sent"}
        page = httpx.get(f"{stack.url}/api/submissions/{ids[0]}", headers={"Authorization": f"Bearer {tokens[0]}"}).json()
        assert page["status"] == "failed" and page["result"]["error"]["kind"] == "timeout"
    finally:
        stack.close()
        runtime.db.dispose()


# ------------------------------------------------------------------ recover() and retries, in process

class FakeQueue:
    def __init__(self, pending=()):
        self.enqueued, self.pending = [], set(pending)

    def enqueue_score(self, sub_id):
        self.enqueued.append(sub_id)

    def pending_submission_ids(self):
        return self.pending


def test_recover_requeues_lost_leases_fails_overdue_jobs_and_finds_forgotten_ones(runtime, make_user):
    settings = runtime.settings.with_(lease_seconds=1, requeue_seconds=5, scorer_wall_seconds=10)
    db = runtime.db
    uid = make_user("rc1")
    lost, overdue, forgotten, waiting, fresh = [accept(db, settings, uid if i < 3 else make_user(f"rc{i}"),
                                                       stub_zip(f"rc{i}"), "x.zip") for i in range(5)]
    for sub in (lost, overdue):
        assert claim(db, settings, sub.id, "dead-worker") is not None
    long_ago = utcnow() - dt.timedelta(hours=1)
    with db.write() as session:
        for sub_id in (lost.id, overdue.id):
            session.get(Submission, sub_id).lease_expires_at = utcnow() - dt.timedelta(seconds=1)
        session.get(Submission, overdue.id).started_at = long_ago
        for sub_id in (forgotten.id, waiting.id):
            row = session.get(Submission, sub_id)
            row.status, row.queued_at = "queued", long_ago
    queue = FakeQueue(pending={waiting.id})
    counts = recover(db, settings, queue)
    assert counts == {"requeued": 1, "timeout": 1, "enqueued": 1}
    assert sorted(queue.enqueued) == sorted([lost.id, forgotten.id])
    statuses = {s: _status(runtime, s) for s in (lost.id, overdue.id, forgotten.id, waiting.id, fresh.id)}
    assert statuses == {lost.id: "queued", overdue.id: "failed", forgotten.id: "queued", waiting.id: "queued",
                        fresh.id: "accepted"}
    with db.read() as session:
        result = session.get(Result, session.get(Submission, overdue.id).current_result_id)
        assert result.error_kind == "timeout"
    assert recover(db, settings, FakeQueue(pending={lost.id, forgotten.id, waiting.id})) == \
        {"requeued": 0, "timeout": 0, "enqueued": 0}


def test_our_own_scorer_errors_are_retried_then_do_not_count(runtime, make_user):
    settings = runtime.settings.with_(max_attempts=2)
    worker = Worker(settings, name="retry-test")
    worker._draw = lambda *args: None
    uid = make_user("e001")
    sub = accept(runtime.db, settings, uid, stub_zip("err", scorer_error=1), "x.zip")
    mark_queued(runtime.db, sub.id, runtime.queue)
    assert worker.score_job(sub.id) == "retry"
    assert _status(runtime, sub.id) == "queued"
    assert worker.score_job(sub.id) == "done"
    assert _status(runtime, sub.id) == "error"
    from capstone_service.submissions import quota

    with runtime.db.read() as session:
        assert quota(session, settings, uid).used == 0
