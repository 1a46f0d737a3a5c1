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

from sqlalchemy import func, select, type_coerce, update

from .config import Settings
from .models import COUNTED, PENDING, Event, Result, Submission, User, UTCDateTime, WorkerBeat, utcnow
from .rules import MAX_SELECTED, Rules, competition, load_rules
from .storage import TooLarge, receive, store, unstore

TOKYO = ZoneInfo("Asia/Tokyo")


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


def accept(db, settings: Settings, user_id: int, data, filename: str | None,
           now: dt.datetime | None = None) -> Submission:
    """Receive the zip (bytes or a binary file) into the incoming folder under the size limit,
    check it, then in one transaction count the quota, link the zip into the store and insert the row.

    Raises Rejected or QuotaExceeded; either way nothing is counted and the upload is deleted."""
    from autograder.capstone.unpack import MAX_ZIP_BYTES

    try:
        incoming = receive(data, settings.incoming_dir, MAX_ZIP_BYTES)
    except TooLarge:
        raise Rejected("too_large", f"zip が大きすぎます（上限 {MAX_ZIP_BYTES // 2 ** 20} MiB）。") from None
    try:
        if incoming.size == 0:
            raise Rejected("bad_zip", "空のファイルです。zip ファイルを選んでください。")
        precheck(incoming.read())
        created = False
        try:
            with db.write() as session:
                now = now or utcnow()
                # PostgreSQL: the student's row lock serializes concurrent submissions of one student;
                # SQLite: the transaction began with BEGIN IMMEDIATE, which serializes all writers.
                session.execute(select(User.id).where(User.id == user_id).with_for_update())
                used = used_today(session, user_id, now)
                if used >= settings.quota_per_day:
                    raise QuotaExceeded(Quota(used, settings.quota_per_day, next_reset(now)))
                submission = Submission(user_id=user_id, sha256=incoming.sha256, filename=clean_filename(filename),
                                        size=incoming.size, quota_day=quota_day(now), status="accepted", accepted_at=now)
                session.add(submission)
                session.flush()
                session.add(Event(action="accepted", submission_id=submission.id, actor_id=user_id, at=now))
                created = store(settings.blob_dir, incoming)  # last step before the commit
        except QuotaExceeded:
            raise
        except BaseException:
            if created:
                _unstore_if_unused(db, settings, incoming.sha256)
            raise
    finally:
        incoming.discard()
    return submission


def _unstore_if_unused(db, settings: Settings, sha256: str) -> None:
    try:
        with db.read() as session:
            if session.scalar(select(func.count()).select_from(Submission).where(Submission.sha256 == sha256)):
                return
        unstore(settings.blob_dir, sha256)
    except Exception:
        pass


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
        previous = session.get(Result, sub.current_result_id) if sub.current_result_id else None
        if report["status"] == "scorer_error" and previous is not None:
            # a re-scoring that our side could not finish: keep the result it had, note the attempt
            result = record_result(session, sub, report, report_path, seconds, claim.owner, now)
            sub.current_result_id = previous.id
            sub.status = STATUS_OF_REPORT.get(previous.status, "error")
            session.add(Event(action="rescore_failed", submission_id=sub.id, at=now, detail="previous result kept"))
            return "done"
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
    """Queue submissions again after a scorer fix; earlier results stay in ``results`` and the
    current one keeps counting (rankings, CSV, pages) until the new one is recorded."""
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


def close_competition(db, actor_id: int, now: dt.datetime | None = None) -> None:
    """Close by hand now (a scheduled deadline that passed earlier stays the close time)."""
    with db.write() as session:
        comp = competition(session)
        if comp.closed_at is None:
            comp.closed_at, comp.closed_by = now or utcnow(), actor_id
            session.add(Event(action="closed", actor_id=actor_id))


class DeadlineError(Exception):
    pass


def set_deadline(db, settings: Settings, actor_id: int, when: dt.datetime | None, now: dt.datetime | None = None) -> None:
    """Schedule (or, with None, cancel) the close. Refused once the competition has closed and
    for a time in the past (closing now is ``close_competition``)."""
    now = now or utcnow()
    with db.write() as session:
        comp = competition(session)
        if load_rules(session, settings).is_closed(now):
            raise DeadlineError("コンペティションは締め切られたため、締め切り日時は変更できません。")
        if when is not None and when <= now:
            raise DeadlineError("締め切り日時は未来の日時にしてください（すぐ締め切るときは「今すぐ締め切る」を使います）。")
        comp.deadline_at = when
        session.add(Event(action="deadline", actor_id=actor_id, detail=when.isoformat() if when else "none"))


def is_closed(session, now: dt.datetime | None = None) -> bool:
    return load_rules(session).is_closed(now)


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
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
            if result is None or result.status != "scored" or sub.disqualified_at is not None:
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


RANKABLE = ("scored", *PENDING)  # a submission being re-scored keeps its current result meanwhile


def _scored(session, rules: Rules, user_id: int | None = None):
    """Each student's submissions that rank: a scored current result, not disqualified, accepted
    before the close (``rules.ranks``)."""
    query = (select(Submission, Result).join(Result, Result.id == Submission.current_result_id)
             .join(User, User.id == Submission.user_id)
             .where(Submission.status.in_(RANKABLE), Submission.disqualified_at.is_(None), User.role == "student",
                    User.active.is_(True), Result.status == "scored"))
    if rules.close_time is not None:
        query = query.where(Submission.accepted_at < rules.close_time)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    by_user: dict[int, list[tuple[Submission, Result]]] = {}
    for sub, result in session.execute(query).all():
        by_user.setdefault(sub.user_id, []).append((sub, result))
    return by_user


def _public_key(pair):
    sub, result = pair
    return (-(result.public_accuracy or 0.0), sub.accepted_at, sub.id)


def _private_key(pair):
    sub, result = pair
    return (-(result.private_accuracy or 0.0), sub.accepted_at, sub.id)


def final_candidates(pairs, rules: Rules) -> tuple[list, str]:
    """The submissions of one student that the final ranking compares, and how they were chosen."""
    chosen = [p for p in pairs if p[0].selected][:rules.max_selected]
    if chosen:
        return chosen, "selected"
    return sorted(pairs, key=_public_key)[:rules.max_selected], "auto"


def leaderboard(session, rules: Rules | None = None) -> list[Entry]:
    """Each student's best public accuracy; ties go to the earlier submission."""
    rules = rules or load_rules(session)
    best = []
    for pairs in _scored(session, rules).values():
        sub, result = min(pairs, key=_public_key)
        best.append((sub.user, sub, result, len(pairs)))
    best.sort(key=lambda item: _public_key(item[1:3]))
    return [Entry(i + 1, user, sub, result, count) for i, (user, sub, result, count) in enumerate(best)]


def final_ranking(session, rules: Rules | None = None) -> list[Entry]:
    """Private accuracy of each student's selected submissions (up to 2; the 2 best public ones
    when none is selected), among those accepted before the close; the better of them counts;
    ties go to the earlier submission."""
    rules = rules or load_rules(session)
    best = []
    for pairs in _scored(session, rules).values():
        chosen, how = final_candidates(pairs, rules)
        sub, result = min(chosen, key=_private_key)
        best.append((sub.user, sub, result, len(pairs), how))
    best.sort(key=lambda item: _private_key(item[1:3]))
    return [Entry(i + 1, user, sub, result, count, how) for i, (user, sub, result, count, how) in enumerate(best)]


def public_rank(session, user_id: int, rules: Rules | None = None) -> tuple[int | None, int]:
    board = leaderboard(session, rules)
    for entry in board:
        if entry.user.id == user_id:
            return entry.rank, len(board)
    return None, len(board)


@dataclass
class Standing:
    """A student's place, for the dashboard."""
    rank: int | None
    ranked: int
    best: Entry | None
    counting_ids: list[int]  # the submissions the final ranking will compare
    chosen_by: str  # selected | auto | ""


def standing(session, rules: Rules, user_id: int) -> Standing:
    board = leaderboard(session, rules)
    mine = next((e for e in board if e.user.id == user_id), None)
    pairs = _scored(session, rules, user_id).get(user_id, [])
    chosen, how = final_candidates(pairs, rules) if pairs else ([], "")
    return Standing(mine.rank if mine else None, len(board), mine, [sub.id for sub, _ in chosen], how)


# ------------------------------------------------------------------------------------- the queue as students see it

LIVE_AFTER_SECONDS = 3  # a worker is alive when its heartbeat is newer than this many maintenance periods


def live_workers(session, settings: Settings, now: dt.datetime | None = None) -> list[WorkerBeat]:
    now = now or utcnow()
    limit = now - dt.timedelta(seconds=max(settings.maintenance_seconds * LIVE_AFTER_SECONDS, 15.0))
    return list(session.scalars(select(WorkerBeat).where(WorkerBeat.last_seen_at >= limit).order_by(WorkerBeat.name)))


@dataclass
class Wait:
    ahead: int  # jobs that start before this one
    workers: int  # live workers
    seconds_per_job: float | None  # recent average scoring time
    expected_seconds: float | None  # None when no worker is alive or nothing was scored yet


def expected_wait(session, settings: Settings, sub: Submission) -> Wait:
    """The position of a waiting submission in the queue and the expected wait (first come, first served)."""
    if sub.status == "running":
        ahead = 0
    else:
        since = sub.queued_at or sub.accepted_at
        ahead = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.status.in_(("accepted", "queued")), Submission.id != sub.id,
            type_coerce(func.coalesce(Submission.queued_at, Submission.accepted_at), UTCDateTime) < since)) or 0
    running = session.scalar(select(func.count()).select_from(Submission).where(Submission.status == "running")) or 0
    recent = session.scalars(select(Result.seconds).where(Result.seconds > 0).order_by(Result.id.desc()).limit(20)).all()
    per_job = sum(recent) / len(recent) if recent else None
    workers = len(live_workers(session, settings))
    expected = None
    if per_job is not None and workers:
        jobs_before = ahead + (running if sub.status != "running" else 0)
        expected = (jobs_before / workers + 1) * per_job
    return Wait(ahead + (running if sub.status != "running" else 0), workers, per_job, expected)


# ------------------------------------------------------------------------------------- flags for the instructor

def shared_zips(session) -> dict[str, list[str]]:
    """SHA-256 of zips submitted by more than one student → their student ids."""
    rows = session.execute(select(Submission.sha256, User.student_id).join(User, User.id == Submission.user_id)
                           .where(User.role == "student").distinct()).all()
    owners: dict[str, set[str]] = {}
    for sha, student_id in rows:
        owners.setdefault(sha, set()).add(student_id)
    return {sha: sorted(ids) for sha, ids in owners.items() if len(ids) > 1}
