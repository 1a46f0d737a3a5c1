"""Submissions: the daily quota, the lifecycle with leases, re-scoring, selection, the leaderboard.

Lifecycle: accepted → queued → running → scored | failed (timestamps on the row, every step
also in ``events``). A worker *claims* a job by taking a lease; it renews the lease while it
scores; a job whose lease expired is queued again (its worker died) unless it already ran past
the scorer's wall limit, which makes it fail with ``timeout``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from .config import Settings
from .models import COUNTED, PENDING, Competition, Event, Result, Submission, User, utcnow
from .storage import store_zip

TOKYO = ZoneInfo("Asia/Tokyo")
MAX_SELECTED = 2


# ------------------------------------------------------------------------------------- quota

def quota_day(now: dt.datetime) -> str:
    return now.astimezone(TOKYO).date().isoformat()


def next_reset(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(TOKYO)
    tomorrow = local.date() + dt.timedelta(days=1)
    return dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=TOKYO)


@dataclass
class Quota:
    used: int
    limit: int
    resets_at: dt.datetime  # Asia/Tokyo

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def used_today(session, user_id: int, now: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.user_id == user_id, Submission.quota_day == quota_day(now),
        Submission.status.in_(COUNTED))) or 0


def quota(session, settings: Settings, user_id: int, now: dt.datetime | None = None) -> Quota:
    now = now or utcnow()
    return Quota(used_today(session, user_id, now), settings.quota_per_day, next_reset(now))


class QuotaExceeded(Exception):
    def __init__(self, quota: Quota):
        super().__init__("quota exceeded")
        self.quota = quota


class Rejected(Exception):
    """The zip cannot be scored (checked before it is accepted; does not count)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def precheck(data: bytes) -> list[str]:
    """The scorer's own checks before scoring (``unpack.py`` and reading the notebook)."""
    import nbformat

    from autograder.capstone.unpack import SubmissionRejected, unpack_submission
    from course.katakana import NOTEBOOK_NAME

    with tempfile.TemporaryDirectory(prefix="capstone-precheck-") as tmp:
        try:
            unpacked = unpack_submission(data, Path(tmp) / "unpacked")
        except SubmissionRejected as exc:
            raise Rejected(exc.kind, exc.message) from None
        try:
            nbformat.reads((unpacked.folder / NOTEBOOK_NAME).read_text(encoding="utf-8"), as_version=4)
        except Exception as exc:
            raise Rejected("bad_notebook", f"{NOTEBOOK_NAME} をノートブックとして読めません（{type(exc).__name__}）。"
                                           "Jupyter で開いて保存し直してください。") from None
        return unpacked.files


def clean_filename(name: str | None) -> str:
    name = (name or "submission.zip").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "submission.zip"
    return name[:200]


def accept(db, settings: Settings, user_id: int, data: bytes, filename: str | None,
           now: dt.datetime | None = None) -> Submission:
    """Check the zip, store it, then count and insert in one transaction.

    Raises Rejected (nothing stored in the database, nothing counted) or QuotaExceeded."""
    precheck(data)
    sha256 = store_zip(settings.blob_dir, data)
    with db.write() as session:
        now = now or utcnow()
        # PostgreSQL: the student's row lock serializes concurrent submissions of one student;
        # SQLite: the transaction began with BEGIN IMMEDIATE, which serializes all writers.
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        used = used_today(session, user_id, now)
        if used >= settings.quota_per_day:
            raise QuotaExceeded(Quota(used, settings.quota_per_day, next_reset(now)))
        submission = Submission(user_id=user_id, sha256=sha256, filename=clean_filename(filename), size=len(data),
                                quota_day=quota_day(now), status="accepted", accepted_at=now)
        session.add(submission)
        session.flush()
        session.add(Event(action="accepted", submission_id=submission.id, actor_id=user_id, at=now))
    return submission


def mark_queued(db, submission_id: int, queue) -> None:
    """accepted → queued, then hand the job to the queue (a crash in between is repaired by ``recover``)."""
    with db.write() as session:
        now = utcnow()
        done = session.execute(update(Submission).where(Submission.id == submission_id, Submission.status == "accepted")
                               .values(status="queued", queued_at=now)).rowcount
        if done:
            session.add(Event(action="queued", submission_id=submission_id, at=now))
    queue.enqueue_score(submission_id)


# ------------------------------------------------------------------------------------- worker side

def job_wall_seconds(settings: Settings) -> float:
    """How long a job may run before it counts as timed out (the scorer's wall limit plus start-up)."""
    from autograder.capstone.score import SCORING_LIMITS

    wall = settings.scorer_wall_seconds or SCORING_LIMITS.notebook_timeout
    return wall + SCORING_LIMITS.startup_timeout + 30.0


@dataclass
class Claim:
    submission_id: int
    sha256: str
    attempt: int
    owner: str
    first_scoring: bool
    started_at: dt.datetime


def claim(db, settings: Settings, submission_id: int, owner: str) -> Claim | None:
    with db.write() as session:
        now = utcnow()
        sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update(of=Submission))
        if sub is None:
            return None
        lost = sub.status == "running" and sub.lease_expires_at is not None and sub.lease_expires_at < now
        if sub.status not in ("accepted", "queued") and not lost:
            return None
        if sub.attempts >= settings.max_attempts:
            return None  # recover() decides its end
        sub.status, sub.started_at = "running", now
        sub.lease_owner, sub.lease_expires_at = owner, now + dt.timedelta(seconds=settings.lease_seconds)
        sub.attempts += 1
        session.add(Event(action="running", submission_id=sub.id, at=now, detail=f"{owner} attempt {sub.attempts}"))
        return Claim(sub.id, sub.sha256, sub.attempts, owner, sub.current_result_id is None, now)


def renew_lease(db, settings: Settings, claim: Claim) -> bool:
    with db.write() as session:
        now = utcnow()
        return session.execute(update(Submission).where(
            Submission.id == claim.submission_id, Submission.status == "running", Submission.lease_owner == claim.owner)
            .values(lease_expires_at=now + dt.timedelta(seconds=settings.lease_seconds))).rowcount == 1


STATUS_OF_REPORT = {"scored": "scored", "failed": "failed", "rejected": "rejected", "scorer_error": "error"}


def record_result(session, sub: Submission, report: dict, report_path: str, seconds: float, worker: str | None,
                  now: dt.datetime) -> Result:
    from autograder.capstone.score import SCORER_VERSION

    error = report.get("error") or {}
    public, private = report.get("public") or {}, report.get("private") or {}
    result = Result(submission_id=sub.id, scorer_version=str(report.get("scorer_version") or SCORER_VERSION),
                    status=report["status"], error_kind=error.get("kind"), error_message=error.get("message"),
                    public_accuracy=public.get("accuracy"), public_loss=public.get("loss"),
                    private_accuracy=private.get("accuracy"), private_loss=private.get("loss"),
                    report_json=json.dumps(report, ensure_ascii=False, sort_keys=True), report_path=report_path,
                    seconds=seconds, worker=worker, created_at=now)
    session.add(result)
    session.flush()
    sub.current_result_id = result.id
    sub.status = STATUS_OF_REPORT.get(report["status"], "error")
    sub.finished_at = now
    sub.lease_owner = sub.lease_expires_at = None
    session.add(Event(action=sub.status, submission_id=sub.id, at=now, detail=error.get("kind")))
    return result


def finish(db, settings: Settings, claim: Claim, report: dict, report_path: str, seconds: float,
           on_recorded=None) -> str:
    """Store the result of a claimed job. Returns "done", "retry" (our scorer failed; queued again)
    or "lost" (another worker holds the job now; the result is dropped, the archive kept it).

    ``on_recorded(session, submission, result)`` runs inside the same transaction (the result mail
    goes into the outbox there, so a result is never recorded without its mail)."""
    with db.write() as session:
        now = utcnow()
        sub = session.scalar(select(Submission).where(Submission.id == claim.submission_id).with_for_update(of=Submission))
        if sub is None or sub.status != "running" or sub.lease_owner != claim.owner:
            return "lost"
        if report["status"] == "scorer_error" and sub.attempts < settings.max_attempts:
            sub.status, sub.queued_at, sub.lease_owner, sub.lease_expires_at = "queued", now, None, None
            session.add(Event(action="retry", submission_id=sub.id, at=now, detail="scorer_error"))
            return "retry"
        result = record_result(session, sub, report, report_path, seconds, claim.owner, now)
        if on_recorded is not None:
            on_recorded(session, sub, result)
        return "done"


def fail_report(sha256: str, kind: str, message: str) -> dict:
    from autograder.capstone.score import base_report, load_test_set

    report = base_report(sha256, load_test_set())
    report.update(status="failed", error={"kind": kind, "message": message})
    return report


TIMEOUT_MESSAGE = ("採点が制限時間（{seconds:.0f} 秒）を超えたため打ち切りました。"
                   "提出用ノートブックで学習していないか、予測が重すぎないか確認してください。")
LOST_MESSAGE = "採点中の処理が {n} 回とも途中で止まったため、採点できませんでした。メモリの使いすぎがないか確認してください。"


def recover(db, settings: Settings, queue, *, archive_failure=None) -> dict:
    """Repair what crashed processes left: lost leases, jobs never enqueued or dropped by the queue.

    Returns counts by action. Safe to run in several workers at once (every change is a
    conditional update inside a write transaction)."""
    counts = {"requeued": 0, "timeout": 0, "enqueued": 0}
    now = utcnow()
    wall = job_wall_seconds(settings)
    to_enqueue: list[int] = []
    with db.read() as session:
        expired = session.scalars(select(Submission.id).where(
            Submission.status == "running", Submission.lease_expires_at < now)).all()
    for sub_id in expired:
        with db.write() as session:
            sub = session.scalar(select(Submission).where(Submission.id == sub_id).with_for_update(of=Submission))
            if sub is None or sub.status != "running" or sub.lease_expires_at >= utcnow():
                continue
            overdue = sub.started_at is not None and (utcnow() - sub.started_at).total_seconds() > wall
            if overdue or sub.attempts >= settings.max_attempts:
                kind, message = ("timeout", TIMEOUT_MESSAGE.format(seconds=wall)) if overdue else \
                    ("timeout", LOST_MESSAGE.format(n=sub.attempts))
                report = fail_report(sub.sha256, kind, message)
                path = archive_failure(sub.sha256, report) if archive_failure else ""
                record_result(session, sub, report, str(path), 0.0, None, utcnow())
                counts["timeout"] += 1
            else:
                sub.status, sub.queued_at = "queued", utcnow()
                sub.lease_owner = sub.lease_expires_at = None
                session.add(Event(action="requeued", submission_id=sub.id, detail="lease expired"))
                to_enqueue.append(sub.id)
                counts["requeued"] += 1
    stale = now - dt.timedelta(seconds=settings.requeue_seconds)
    with db.read() as session:
        forgotten = session.scalars(select(Submission.id).where(
            ((Submission.status == "accepted") & (Submission.accepted_at < stale))
            | ((Submission.status == "queued") & (Submission.queued_at < stale)))).all()
    if forgotten:
        waiting = queue.pending_submission_ids()
        for sub_id in forgotten:
            if sub_id in waiting:
                continue
            with db.write() as session:
                done = session.execute(update(Submission).where(
                    Submission.id == sub_id, Submission.status.in_(("accepted", "queued")))
                    .values(status="queued", queued_at=utcnow())).rowcount
                if done:
                    session.add(Event(action="requeued", submission_id=sub_id, detail="not in the queue"))
                    to_enqueue.append(sub_id)
                    counts["enqueued"] += 1
    for sub_id in to_enqueue:
        queue.enqueue_score(sub_id)
    return counts


# ------------------------------------------------------------------------------------- instructor

def rescore(db, queue, submission_ids: list[int], actor_id: int) -> int:
    """Queue submissions again after a scorer fix; earlier results stay in ``results``."""
    queued = []
    with db.write() as session:
        now = utcnow()
        for sub in session.scalars(select(Submission).where(Submission.id.in_(submission_ids)).with_for_update(of=Submission)):
            if sub.status in PENDING:
                continue
            sub.status, sub.queued_at, sub.attempts = "queued", now, 0
            sub.started_at = sub.finished_at = None
            session.add(Event(action="rescore", submission_id=sub.id, actor_id=actor_id, at=now))
            queued.append(sub.id)
    for sub_id in queued:
        queue.enqueue_score(sub_id)
    return len(queued)


def disqualify(db, submission_id: int, actor_id: int, reason: str, undo: bool = False) -> bool:
    with db.write() as session:
        sub = session.get(Submission, submission_id)
        if sub is None:
            return False
        if undo:
            sub.disqualified_at, sub.disqualified_reason = None, None
        else:
            sub.disqualified_at, sub.disqualified_reason = utcnow(), reason.strip()[:1000] or "（理由なし）"
            sub.selected = False
        session.add(Event(action="reinstated" if undo else "disqualified", submission_id=sub.id, actor_id=actor_id,
                          detail=reason[:1000]))
    return True


def competition(session) -> Competition:
    found = session.get(Competition, 1)
    if found is None:
        found = Competition(id=1)
        session.add(found)
        session.flush()
    return found


def is_closed(session) -> bool:
    found = session.get(Competition, 1)
    return bool(found and found.closed_at)


def close_competition(db, actor_id: int) -> None:
    with db.write() as session:
        comp = competition(session)
        if comp.closed_at is None:
            comp.closed_at, comp.closed_by = utcnow(), actor_id
            session.add(Event(action="closed", actor_id=actor_id))


class SelectionError(Exception):
    pass


def set_selected(db, user_id: int, submission_id: int, selected: bool) -> None:
    with db.write() as session:
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        if is_closed(session):
            raise SelectionError("コンペティションは締め切られたため、選択は変更できません。")
        sub = session.get(Submission, submission_id)
        if sub is None or sub.user_id != user_id:
            raise LookupError(submission_id)
        if selected:
            if sub.status != "scored" or sub.disqualified_at is not None:
                raise SelectionError("採点済み（失格でない）の提出だけを選べます。")
            count = session.scalar(select(func.count()).select_from(Submission).where(
                Submission.user_id == user_id, Submission.selected.is_(True), Submission.id != sub.id)) or 0
            if count >= MAX_SELECTED:
                raise SelectionError(f"最終順位に使う提出は {MAX_SELECTED} 件までです。先にほかの選択を外してください。")
        sub.selected = selected
        session.add(Event(action="selected" if selected else "unselected", submission_id=sub.id, actor_id=user_id))


# ------------------------------------------------------------------------------------- rankings

@dataclass
class Entry:
    rank: int
    user: User
    submission: Submission
    result: Result
    count: int = 0
    chosen_by: str = ""  # final ranking: "selected" or "auto"

    @property
    def public_accuracy(self):
        return self.result.public_accuracy

    @property
    def public_loss(self):
        return self.result.public_loss

    @property
    def private_accuracy(self):
        return self.result.private_accuracy

    @property
    def private_loss(self):
        return self.result.private_loss


def _scored(session):
    rows = session.execute(
        select(Submission, Result).join(Result, Result.id == Submission.current_result_id)
        .join(User, User.id == Submission.user_id)
        .where(Submission.status == "scored", Submission.disqualified_at.is_(None), User.role == "student",
               User.active.is_(True), Result.status == "scored")).all()
    by_user: dict[int, list[tuple[Submission, Result]]] = {}
    for sub, result in rows:
        by_user.setdefault(sub.user_id, []).append((sub, result))
    return by_user


def _public_key(pair):
    sub, result = pair
    return (-(result.public_accuracy or 0.0), sub.accepted_at, sub.id)


def _private_key(pair):
    sub, result = pair
    return (-(result.private_accuracy or 0.0), sub.accepted_at, sub.id)


def leaderboard(session) -> list[Entry]:
    """Each student's best public accuracy; ties go to the earlier submission."""
    best = []
    for pairs in _scored(session).values():
        sub, result = min(pairs, key=_public_key)
        best.append((sub.user, sub, result, len(pairs)))
    best.sort(key=lambda item: _public_key(item[1:3]))
    return [Entry(i + 1, user, sub, result, count) for i, (user, sub, result, count) in enumerate(best)]


def final_ranking(session) -> list[Entry]:
    """Private accuracy of each student's selected submissions (up to 2; the 2 best public ones
    when none is selected); the better of them counts; ties go to the earlier submission."""
    best = []
    for pairs in _scored(session).values():
        chosen = [p for p in pairs if p[0].selected][:MAX_SELECTED]
        how = "selected"
        if not chosen:
            chosen, how = sorted(pairs, key=_public_key)[:MAX_SELECTED], "auto"
        sub, result = min(chosen, key=_private_key)
        best.append((sub.user, sub, result, len(pairs), how))
    best.sort(key=lambda item: _private_key(item[1:3]))
    return [Entry(i + 1, user, sub, result, count, how) for i, (user, sub, result, count, how) in enumerate(best)]


def public_rank(session, user_id: int) -> tuple[int | None, int]:
    board = leaderboard(session)
    for entry in board:
        if entry.user.id == user_id:
            return entry.rank, len(board)
    return None, len(board)
