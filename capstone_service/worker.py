"""The scoring worker: ``course-service-worker``.

A Huey consumer (one job at a time per process; start more processes to score in parallel,
on this machine or others) plus a maintenance thread that repairs lost jobs (``recover``)
and sends due mails. The worker calls the offline scorer (``autograder.capstone.score``),
keeps the zip and the report in the scorer's archive layout, records the result and queues
the result mail in one transaction, and draws the report's pictures.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading
import time
import uuid

from .config import Settings, load_settings
from .mail import add_mail, deliver, due_mail_ids, result_mail
from .runtime import Runtime, resolve
from .models import WorkerBeat, utcnow
from .rules import load_rules
from .storage import private_tree, read_zip
from .submissions import Claim, claim, finish, job_wall_seconds, public_rank, quota, recover, renew_lease

log = logging.getLogger("capstone_service.worker")


class Worker:
    def __init__(self, settings: Settings | None = None, name: str | None = None):
        self.runtime = Runtime(settings)
        self.settings = self.runtime.settings
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scorer = resolve(self.settings.scorer)
        self.slot = None
        self.current: int | None = None  # the submission being scored now
        self.started_at = utcnow()
        self._stop = threading.Event()

    @property
    def db(self):
        return self.runtime.db

    @property
    def queue(self):
        return self.runtime.queue

    # ------------------------------------------------------------------ scoring
    def limits(self):
        if not (self.settings.scorer_wall_seconds or self.settings.scorer_cell_seconds):
            return None
        from dataclasses import replace

        from autograder.capstone.score import SCORING_LIMITS

        limits = SCORING_LIMITS
        if self.settings.scorer_wall_seconds:
            limits = replace(limits, notebook_timeout=self.settings.scorer_wall_seconds)
        if self.settings.scorer_cell_seconds:
            limits = replace(limits, cell_timeout=self.settings.scorer_cell_seconds)
        return limits

    def _score(self, data: bytes):
        from autograder.capstone.score import Scoring, base_report, load_test_set, render_text

        kwargs = {}
        if self.limits() is not None:
            kwargs["limits"] = self.limits()
        if self.slot is not None:
            kwargs["slot"] = self.slot
        if self.settings.scorer == "autograder.capstone.score:score_submission":
            kwargs["extra_hide"] = [str(self.settings.data_dir.resolve())]  # everybody's zips and reports
        try:
            return self.scorer(data, **kwargs)
        except Exception as exc:  # our side: the job is tried again, then marked as an error
            log.exception("scorer raised")
            import hashlib

            report = base_report(hashlib.sha256(data).hexdigest(), load_test_set())
            report.update(status="scorer_error", error={"kind": "scorer_error",
                                                        "message": f"採点環境のエラー（{type(exc).__name__}）"})
            return Scoring(report, render_text(report))

    def _heartbeat(self, job: Claim, done: threading.Event) -> None:
        deadline = job.started_at.timestamp() + job_wall_seconds(self.settings)
        interval = max(0.2, self.settings.lease_seconds / 3)
        while not done.wait(interval):
            if time.time() > deadline:
                return  # past the wall limit: let the lease run out, recover() fails the job with timeout
            try:
                if not renew_lease(self.db, self.settings, job):
                    return
            except Exception:
                log.exception("lease renewal failed")

    def score_job(self, submission_id: int) -> str:
        from autograder.capstone.score import archive

        job = claim(self.db, self.settings, submission_id, self.owner)
        if job is None:
            return "skipped"
        log.info("scoring submission %s (attempt %s)", submission_id, job.attempt)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, done), daemon=True)
        beat.start()
        mails: list[int] = []
        self.current = submission_id
        try:
            data = read_zip(self.settings.blob_dir, job.sha256)
            scoring = self._score(data)
            path = archive(data, scoring, self.settings.blob_dir)
            private_tree(path.parent if path.is_file() else path)

            def on_recorded(session, submission, result):
                if job.first_scoring:
                    rules = load_rules(session, self.settings)
                    rank, ranked = public_rank(session, submission.user_id, rules)
                    user = submission.user
                    subject, body = result_mail(self.settings, user, submission, result, scoring.report, rank, ranked,
                                                quota(session, self.settings, user.id), rules)
                    mails.append(add_mail(session, kind="result", to_addr=user.email, subject=subject, body=body,
                                          user_id=user.id, submission_id=submission.id).id)

            outcome = finish(self.db, self.settings, job, scoring.report, str(path), scoring.seconds, on_recorded)
        finally:
            done.set()
            self.current = None
        log.info("submission %s: %s (%s)", submission_id, outcome, scoring.report["status"])
        if outcome == "retry":
            self.queue.enqueue_score(submission_id)
        elif outcome == "done":
            if scoring.report["status"] == "scored":
                self._draw(submission_id)
            for mail_id in mails:
                self.mail_job(mail_id)
        return outcome

    def _draw(self, submission_id: int) -> None:
        """Draw the pictures of the submission's current result (the web process only serves them)."""
        import json

        from .models import Result, Submission
        from .pictures import draw_all

        try:
            with self.db.read() as session:
                sub = session.get(Submission, submission_id)
                result = session.get(Result, sub.current_result_id) if sub and sub.current_result_id else None
            if result is not None and result.status == "scored":
                draw_all(self.settings.picture_dir, result.id, json.loads(result.report_json))
        except Exception:  # the maintenance loop tries again
            log.exception("drawing the pictures failed")

    def draw_missing(self, hours: float = 24.0) -> int:
        """Draw the pictures of recent scored results that have none (a worker died in between)."""
        import datetime as dt
        import json

        from sqlalchemy import select

        from .models import Result
        from .pictures import draw_all, drawn

        since = utcnow() - dt.timedelta(hours=hours)
        with self.db.read() as session:
            ids = session.scalars(select(Result.id).where(Result.status == "scored", Result.created_at >= since)).all()
        count = 0
        for result_id in ids:
            if drawn(self.settings.picture_dir, result_id):
                continue
            with self.db.read() as session:
                report = json.loads(session.get(Result, result_id).report_json)
            draw_all(self.settings.picture_dir, result_id, report)
            count += 1
        return count

    def beat(self) -> None:
        """Tell the instructor page that this worker is alive (and what it scores)."""
        with self.db.write() as session:
            row = session.get(WorkerBeat, self.owner)
            if row is None:
                session.add(WorkerBeat(name=self.owner, started_at=self.started_at, last_seen_at=utcnow(),
                                       submission_id=self.current))
            else:
                row.last_seen_at, row.submission_id = utcnow(), self.current

    def mail_job(self, mail_id: int) -> str:
        outcome = deliver(self.db, self.settings, mail_id)
        if outcome != "skipped":
            log.info("mail %s: %s", mail_id, outcome)
        return outcome

    # ------------------------------------------------------------------ maintenance
    def archive_failure(self, sha256: str, report: dict):
        from autograder.capstone.score import Scoring, archive, render_text

        path = archive(read_zip(self.settings.blob_dir, sha256), Scoring(report, render_text(report)),
                       self.settings.blob_dir)
        private_tree(path.parent if path.is_file() else path)
        return path

    def maintain_once(self) -> dict:
        self.beat()
        counts = recover(self.db, self.settings, self.queue, archive_failure=self.archive_failure)
        if any(counts.values()):
            log.info("recovered: %s", counts)
        for mail_id in due_mail_ids(self.db):
            self.mail_job(mail_id)
        try:
            counts["drawn"] = self.draw_missing()
        except Exception:
            log.exception("drawing missing pictures failed")
        return counts

    def _maintenance(self) -> None:
        while not self._stop.wait(self.settings.maintenance_seconds):
            try:
                self.maintain_once()
            except Exception:
                log.exception("maintenance failed")

    def run(self) -> None:
        from .migrate import is_current

        if not is_current(self.db.engine):
            raise SystemExit("the database is not at the newest schema: run course-service-migrate first")
        if self.settings.scorer == "autograder.capstone.score:score_submission":
            from autograder.execute import acquire_slot

            swept = sweep_orphan_sandboxes()
            if swept:
                log.info("killed %s sandbox processes left by a dead worker", swept)
            self.slot = acquire_slot()  # one sandbox slot for the life of this process
        self.queue.handle(self.score_job, self.mail_job)
        self.maintain_once()
        threading.Thread(target=self._maintenance, daemon=True, name="maintenance").start()
        consumer = self.queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                                   initial_delay=0.05, backoff=1.3, max_delay=0.5,
                                                   check_worker_health=True)
        log.info("worker %s ready (queue %s, database %s)", self.owner, self.settings.queue_url,
                 self.db.engine.url.render_as_string(hide_password=True))
        try:
            consumer.run()
        finally:
            self._stop.set()


def sweep_orphan_sandboxes() -> int:
    """Kill the sandbox processes of grading slots that nobody holds: what a killed worker left.

    Every grading run holds its slot's lock (``autograder.execute.acquire_slot``) for as long as it
    lives; a slot whose lock can be taken has no owner, so any process still running as one of its
    sandbox uids is an orphan. The lock is held during the sweep, then released. Only meaningful as
    root (the sandbox uids exist only then)."""
    import fcntl
    import tempfile
    from pathlib import Path

    import psutil

    from autograder.execute import SLOT_COUNT, SLOT_UID_BASE, kill_uid

    if os.geteuid() != 0:
        return 0
    sandbox_uids = range(SLOT_UID_BASE, SLOT_UID_BASE + 2 * SLOT_COUNT)
    busy: set[int] = set()
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info.get("uids")
        if uids:
            busy.update(u for u in (uids.real, uids.effective, uids.saved) if u in sandbox_uids)
    lock_dir = Path(tempfile.gettempdir()) / "genba-dl-grading-slots"
    killed = 0
    for slot in sorted({(uid - SLOT_UID_BASE) // 2 for uid in busy}):
        lock_dir.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(lock_dir / f"{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live grading run owns this slot
            for uid in (SLOT_UID_BASE + 2 * slot, SLOT_UID_BASE + 2 * slot + 1):
                killed += kill_uid(uid)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="提出 zip を採点するワーカーを起動します（1 プロセスで 1 件ずつ）。")
    parser.add_argument("--name", default=None, help="worker name in the logs and the database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    Worker(load_settings(), args.name).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
