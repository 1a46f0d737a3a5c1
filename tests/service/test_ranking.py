"""The ranking rules of the help page: the leaderboard takes each student's best public accuracy,
the final ranking the private accuracy of the selected submissions (up to 2; the 2 best public
ones when none is selected); ties go to the earlier submission; disqualified and failed
submissions never rank."""

from __future__ import annotations

import datetime as dt

import pytest

from capstone_service.models import Submission
from capstone_service.submissions import (SelectionError, close_competition, disqualify, final_ranking, leaderboard,
                                          record_result, set_selected)

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def scored(runtime, make_user):
    """add(student_id, public, private, minutes after T0, status) -> submission id"""
    users = {}

    def add(student_id: str, public: float, private: float, minutes: int, status: str = "scored") -> int:
        if student_id not in users:
            users[student_id] = make_user(student_id)
        at = T0 + dt.timedelta(minutes=minutes)
        report = {"status": status, "scorer_version": "1",
                  "error": None if status == "scored" else {"kind": "crash", "message": "x"},
                  "public": {"accuracy": public, "loss": 1 - public} if status == "scored" else None,
                  "private": {"accuracy": private, "loss": 1 - private} if status == "scored" else None}
        with runtime.db.write() as session:
            sub = Submission(user_id=users[student_id], sha256=f"{minutes:064d}", filename="s.zip", size=1,
                             quota_day=at.date().isoformat(), status="running", accepted_at=at)
            session.add(sub)
            session.flush()
            record_result(session, sub, report, "", 0.0, "w", at + dt.timedelta(seconds=5))
            return sub.id

    add.users = users
    return add


def _board(runtime, ranking):
    with runtime.db.read() as session:
        return [(e.rank, e.user.student_id, e.submission.id) for e in ranking(session)]


def test_leaderboard_best_public_per_student_ties_to_the_earlier(runtime, scored):
    a1 = scored("a", 0.90, 0.99, 1)
    a2 = scored("a", 0.95, 0.50, 2)
    b1 = scored("b", 0.95, 0.60, 0)  # same public accuracy as a2, submitted earlier
    scored("c", 0.99, 0.99, 3, status="failed")
    assert _board(runtime, leaderboard) == [(1, "b", b1), (2, "a", a2)]
    assert a1 not in [row[2] for row in _board(runtime, leaderboard)]


def test_disqualified_submissions_do_not_rank(runtime, scored, make_user):
    teacher = make_user("t", role="instructor")
    a1 = scored("a", 0.99, 0.99, 1)
    a2 = scored("a", 0.80, 0.80, 2)
    assert disqualify(runtime.db, a1, teacher, "コピー")
    assert _board(runtime, leaderboard) == [(1, "a", a2)]


def test_final_ranking_uses_the_two_best_public_when_none_is_selected(runtime, scored):
    scored("a", 0.97, 0.90, 1)
    a2 = scored("a", 0.96, 0.93, 2)  # second best public, best private of the two: counts
    scored("a", 0.50, 0.99, 3)  # third by public: not considered
    b1 = scored("b", 0.90, 0.93, 0)  # same private as a2, earlier: ranks first
    assert _board(runtime, final_ranking) == [(1, "b", b1), (2, "a", a2)]


def test_final_ranking_uses_only_the_selected_submissions(runtime, scored):
    scored("a", 0.99, 0.98, 1)
    a2 = scored("a", 0.60, 0.70, 2)
    set_selected(runtime.db, scored.users["a"], a2, True)
    assert _board(runtime, final_ranking) == [(1, "a", a2)]
    with runtime.db.read() as session:
        assert final_ranking(session)[0].chosen_by == "selected"


def test_at_most_two_selections_and_none_after_closing(runtime, scored, make_user):
    subs = [scored("a", 0.9, 0.9, m) for m in range(3)]
    failed = scored("a", 0, 0, 9, status="failed")
    uid = scored.users["a"]
    set_selected(runtime.db, uid, subs[0], True)
    set_selected(runtime.db, uid, subs[1], True)
    with pytest.raises(SelectionError, match="2 件まで"):
        set_selected(runtime.db, uid, subs[2], True)
    with pytest.raises(SelectionError):
        set_selected(runtime.db, uid, failed, True)
    other = make_user("b")
    with pytest.raises(LookupError):
        set_selected(runtime.db, other, subs[2], True)  # not their submission
    close_competition(runtime.db, make_user("t", role="instructor"))
    with pytest.raises(SelectionError, match="締め切"):
        set_selected(runtime.db, uid, subs[0], False)
