"""The competition's rules after the close (rules.py): a deadline, scheduled or by hand, after
which submissions are scored and shown but never ranked; the final ranking and the leaderboard
use only submissions accepted before it; selections are frozen; pages, the API and mails say so.
Re-scoring keeps the previous result in the rankings until the new one is in."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache

import pytest

from capstone_service.mail import result_mail
from capstone_service.models import Result, Submission, User, utcnow
from capstone_service.rules import Rules, load_rules
from capstone_service.submissions import (DeadlineError, SelectionError, close_competition, final_ranking, finish,
                                          claim, leaderboard, quota, record_result, rescore, set_deadline,
                                          set_selected)
from capstone_service.text import loss_text

from .stub_scorer import score as stub_score
from .support import csrf_of, login, stub_zip

NOW = utcnow()


@pytest.fixture
def scored(runtime, make_user):
    """add(student_id, public, private, minutes relative to NOW) -> submission id (scored)"""
    users = {}

    def add(student_id: str, public: float, private: float, minutes: float) -> int:
        if student_id not in users:
            users[student_id] = make_user(student_id)
        at = NOW + dt.timedelta(minutes=minutes)
        report = _report(public, private)
        with runtime.db.write() as session:
            sub = Submission(user_id=users[student_id], sha256=f"{len(users)}{abs(int(minutes * 60)):063d}"[:64],
                             filename="s.zip", size=1, quota_day=at.date().isoformat(), status="running", accepted_at=at)
            session.add(sub)
            session.flush()
            record_result(session, sub, report, "", 1.0, "w", at + dt.timedelta(seconds=5))
            return sub.id

    add.users = users
    return add


@lru_cache(maxsize=1)
def _stub_report() -> str:
    return json.dumps(stub_score(stub_zip("rules")).report)


def _report(public: float, private: float) -> dict:
    """A report of the real shape (the stub scorer's) with the given accuracies."""
    report = json.loads(_stub_report())
    report["scorer_version"] = "1"
    report["public"].update(accuracy=public, loss=1 - public)
    report["private"].update(accuracy=private, loss=1 - private)
    return report


def _ranked(runtime, ranking):
    with runtime.db.read() as session:
        rules = load_rules(session, runtime.settings)
        return [(e.user.student_id, e.submission.id) for e in ranking(session, rules)]


def test_submissions_after_a_manual_close_never_rank(runtime, scored, make_user):
    teacher = make_user("t", role="instructor")
    a1 = scored("a", 0.80, 0.80, -60)
    b1 = scored("b", 0.85, 0.85, -50)
    close_competition(runtime.db, teacher, now=NOW - dt.timedelta(minutes=10))
    scored("a", 0.99, 0.99, -5)  # a (no selection) submits a better model after the close
    scored("c", 0.99, 0.99, -4)  # c had nothing before the close
    assert _ranked(runtime, final_ranking) == [("b", b1), ("a", a1)]
    assert _ranked(runtime, leaderboard) == [("b", b1), ("a", a1)]  # the leaderboard is frozen too


def test_a_scheduled_deadline_closes_by_itself_and_freezes_selections(runtime, scored, make_user):
    teacher = make_user("t", role="instructor")
    a1 = scored("a", 0.90, 0.70, -60)
    a2 = scored("a", 0.80, 0.95, -50)
    deadline = NOW - dt.timedelta(minutes=30)
    set_deadline(runtime.db, runtime.settings, teacher, deadline, now=deadline - dt.timedelta(days=1))
    late = scored("a", 0.99, 0.99, -10)
    with runtime.db.read() as session:
        rules = load_rules(session, runtime.settings)
    assert rules.is_closed() and rules.close_time == deadline
    assert rules.ranks(NOW - dt.timedelta(minutes=31)) and not rules.ranks(deadline)
    with pytest.raises(SelectionError, match="締め切"):
        set_selected(runtime.db, scored.users["a"], a1, True)
    with pytest.raises(SelectionError, match="締め切"):
        set_selected(runtime.db, scored.users["a"], late, True)
    # the two best public results before the deadline are a1 and a2; a2's private is better
    assert _ranked(runtime, final_ranking) == [("a", a2)]
    with pytest.raises(DeadlineError):
        set_deadline(runtime.db, runtime.settings, teacher, NOW + dt.timedelta(days=1))


def test_a_manual_close_before_the_scheduled_deadline_counts(runtime, make_user):
    teacher = make_user("t", role="instructor")
    set_deadline(runtime.db, runtime.settings, teacher, NOW + dt.timedelta(days=3))
    with runtime.db.read() as session:
        assert not load_rules(session, runtime.settings).is_closed()
    close_competition(runtime.db, teacher)
    with runtime.db.read() as session:
        rules = load_rules(session, runtime.settings)
    assert rules.is_closed() and rules.close_time < NOW + dt.timedelta(days=1)
    with pytest.raises(DeadlineError, match="変更できません"):
        set_deadline(runtime.db, runtime.settings, teacher, None)



def test_a_deadline_must_lie_in_the_future(runtime, make_user):
    teacher = make_user("t", role="instructor")
    with pytest.raises(DeadlineError, match="未来"):
        set_deadline(runtime.db, runtime.settings, teacher, NOW - dt.timedelta(minutes=1))


def test_pages_and_the_api_say_what_ranks(runtime, scored, make_user, client_for):
    teacher = make_user("t", role="instructor")
    before = scored("a", 0.80, 0.80, -60)
    close_competition(runtime.db, teacher, now=NOW - dt.timedelta(minutes=10))
    after = scored("a", 0.99, 0.97, -5)
    client = client_for()
    login(client, "a")
    page = client.get(f"/submissions/{after}").text
    assert 'id="after-close"' in page and "ランキングにも最終順位にも入りません" in page
    assert 'id="private-accuracy"' in page  # after the close private results are shown
    assert "締め切り後に公開します" not in page
    assert 'id="after-close"' not in client.get(f"/submissions/{before}").text
    dashboard = client.get("/dashboard").text
    assert "締め切り後（順位に入りません）" in dashboard and "締め切られました" in dashboard
    best = re.search(r'id="my-best">[^<]*</strong>（<a href="/submissions/(\d+)"', dashboard)
    assert best and int(best.group(1)) == before  # the best before the close, not the better one after it
    token = client.post("/account/token", data={"csrf": csrf_of(client.get("/account/token").text)}).text
    token = token.split('<pre id="token">')[1].split("<")[0]
    api = client_for()
    listed = api.get("/api/submissions", headers={"Authorization": f"Bearer {token}"}).json()["submissions"]
    assert {s["id"]: s["ranks"] for s in listed} == {before: True, after: False}
    me = api.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["competition"]["closed"] and me["standing"]["best_submission_id"] == before


def test_mails_after_the_close_promise_nothing_at_the_close(runtime, scored, make_user):
    teacher = make_user("t", role="instructor")
    close_competition(runtime.db, teacher, now=NOW - dt.timedelta(minutes=10))
    late = scored("a", 0.9, 0.9, -5)
    report = {"public": {"n": 10, "per_class_accuracy": [1.0] * 15}}
    with runtime.db.read() as session:
        sub = session.get(Submission, late)
        result = session.get(Result, sub.current_result_id)
        user = session.get(User, sub.user_id)
        rules = load_rules(session, runtime.settings)
        _, body = result_mail(runtime.settings, user, sub, result, report, None, 0,
                              quota(session, runtime.settings, user.id), rules)
    assert "締め切り後に最終順位として発表" not in body and "締め切り後" not in body.split("■")[0]
    assert "ランキングにも最終順位にも入りません" in body and "現在の順位" not in body
    open_rules = Rules(quota_per_day=3)
    with runtime.db.read() as session:
        sub = session.get(Submission, late)
        _, body = result_mail(runtime.settings, user, sub, session.get(Result, sub.current_result_id), report, 1, 1,
                              quota(session, runtime.settings, user.id), open_rules)
    assert "締め切り後に最終順位として発表します" in body and "現在の順位: 1 位" in body


def test_a_loss_that_rounds_to_zero_has_no_minus_sign(runtime, scored):
    assert loss_text(-0.0) == loss_text(-1e-9) == "0.0000" and loss_text(0.12344) == "0.1234"
    report = {"public": {"n": 10, "per_class_accuracy": [1.0] * 15}}
    sub_id = scored("a", 1.0, 1.0, -5)
    with runtime.db.write() as session:
        sub = session.get(Submission, sub_id)
        result = session.get(Result, sub.current_result_id)
        result.public_loss = -0.0
    with runtime.db.read() as session:
        sub = session.get(Submission, sub_id)
        result = session.get(Result, sub.current_result_id)
        _, body = result_mail(runtime.settings, sub.user, sub, result, report, 1, 1,
                              quota(session, runtime.settings, sub.user_id), Rules(3))
    assert "-0.0000" not in body and "損失（交差エントロピー誤差の平均）: 0.0000" in body


class _Queue:
    def __init__(self):
        self.ids = []

    def enqueue_score(self, submission_id):
        self.ids.append(submission_id)


def test_rescoring_keeps_the_previous_result_until_the_new_one_is_in(runtime, scored, make_user):
    teacher = make_user("t", role="instructor")
    a1 = scored("a", 0.90, 0.90, -60)
    b1 = scored("b", 0.80, 0.80, -50)
    assert rescore(runtime.db, _Queue(), [a1, b1], teacher) == 2
    with runtime.db.read() as session:
        assert session.get(Submission, a1).status == "queued"
    assert _ranked(runtime, leaderboard) == [("a", a1), ("b", b1)]
    close_competition(runtime.db, teacher)
    assert _ranked(runtime, final_ranking) == [("a", a1), ("b", b1)]
    # our side fails on the re-scoring of a: the previous result stays
    settings = runtime.settings.with_(max_attempts=1)
    job = claim(runtime.db, settings, a1, "w1")
    error = {"status": "scorer_error", "scorer_version": "2", "error": {"kind": "scorer_error", "message": "x"}}
    assert finish(runtime.db, settings, job, error, "", 0.0) == "done"
    # the re-scoring of b brings a new result, which replaces the old one
    job = claim(runtime.db, settings, b1, "w1")
    new = {"status": "scored", "scorer_version": "2", "error": None,
           "public": {"accuracy": 0.95, "loss": 0.1}, "private": {"accuracy": 0.95, "loss": 0.1}}
    assert finish(runtime.db, settings, job, new, "", 0.0) == "done"
    with runtime.db.read() as session:
        a = session.get(Submission, a1)
        assert a.status == "scored" and session.get(Result, a.current_result_id).scorer_version == "1"
        assert len(session.query(Result).filter(Result.submission_id == a1).all()) == 2
    assert _ranked(runtime, final_ranking) == [("b", b1), ("a", a1)]


def test_the_csv_keeps_a_student_whose_submission_is_being_rescored(runtime, scored, make_user, client_for):
    teacher = make_user("teacher", role="instructor")
    a1 = scored("a", 0.90, 0.90, -60)
    close_competition(runtime.db, teacher)
    rescore(runtime.db, _Queue(), [a1], teacher)
    client = client_for()
    login(client, "teacher")
    text = client.get("/instructor/ranking.csv").text
    assert f",a,受講者 a,,{a1}," in text
