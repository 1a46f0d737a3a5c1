"""What pages and the API show: every error in Japanese in the site's layout, ids validated, the
pending page with the queue position and an expected wait, the dashboard with the student's rank
and the submissions that will count, the instructor's flags (one zip from several students, an
implausible score), filters and pages, worker liveness, nicknames; pictures drawn by the worker
only; ``admin status`` without a data directory."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from capstone_service.models import Result, Submission, User, WorkerBeat, utcnow
from capstone_service.submissions import accept, mark_queued, record_result
from capstone_service.worker import Worker

from .stub_scorer import score as stub_score
from .support import REPO, csrf_of, login, stub_zip

LAYOUT = ("<header>", "カタカナ認識 最終課題", "<footer>")


def _in_layout(text: str) -> bool:
    return all(part in text for part in LAYOUT)


@pytest.fixture
def site(runtime, make_user, client_for):
    ids = {"a": make_user("a"), "b": make_user("b"), "teacher": make_user("teacher", role="instructor")}
    clients = {}
    for role in ids:
        clients[role] = client_for()
        login(clients[role], role)
    return {"ids": ids, "clients": clients, "runtime": runtime}


@pytest.mark.parametrize("path", ["/submissions/99999999999999999999999999", "/submissions/2147483648",
                                  "/submissions/0", "/submissions/-1", "/submissions/abc", "/submissions/1.5",
                                  "/instructor/users/99999999999999999999", "/no/such/page"])
def test_bad_ids_and_unknown_pages_are_a_japanese_404_in_the_layout(site, path):
    client = site["clients"]["teacher"]
    response = client.get(path)
    assert response.status_code == 404 and _in_layout(response.text) and "見つかりません" in response.text


@pytest.mark.parametrize("path", ["/api/submissions/99999999999999999999999999", "/api/submissions/abc"])
def test_bad_ids_in_the_api_are_a_japanese_404(site, path):
    response = site["clients"]["a"].get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "ページが見つかりません。"}


def test_other_errors_are_japanese_too(site):
    a, teacher = site["clients"]["a"], site["clients"]["teacher"]
    response = a.get("/logout")  # wrong method
    assert response.status_code == 405 and _in_layout(response.text) and "この方法では" in response.text
    response = teacher.get("/instructor/submissions?page_no=abc")
    assert response.status_code == 422 and _in_layout(response.text) and "入力が正しくありません" in response.text
    response = a.post("/submissions", content=b"x" * 10,
                      headers={"Content-Length": str(40 * 1024 ** 2), "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and _in_layout(response.text) and "大きすぎます" in response.text
    response = a.post("/api/submissions", content=b"x" * 10,
                      headers={"Content-Length": str(40 * 1024 ** 2), "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"

    def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n\r\n'
        for _ in range(33):
            yield b"\0" * 1024 ** 2

    response = a.post("/submissions", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and _in_layout(response.text) and "大きすぎます" in response.text
    for text in (a.get("/logout").text, a.get("/nope").text):
        assert "Not Found" not in text and "Method Not Allowed" not in text and "detail" not in text


def _scored(runtime, uid, tag, status="scored"):
    sub = accept(runtime.db, runtime.settings, uid, stub_zip(tag), f"{tag}.zip")
    scoring = stub_score(stub_zip(tag))
    with runtime.db.write() as session:
        row = session.get(Submission, sub.id)
        row.status = "running"
        record_result(session, row, scoring.report, "", 2.0, "w", utcnow())
    return sub.id


def test_the_result_page_loses_the_accepted_notice_and_pictures_come_from_the_worker(site):
    runtime, a = site["runtime"], site["clients"]["a"]
    sub_id = _scored(runtime, site["ids"]["a"], "one")
    page = a.get(f"/submissions/{sub_id}?msg=submitted").text
    assert "提出を受け付けました" not in page and 'id="public-accuracy"' in page
    assert "confusion.png" not in page and "図を作っています" in page  # not drawn yet: the page waits
    assert 'http-equiv="refresh" content="5; url=/submissions/' in page
    assert a.get(f"/submissions/{sub_id}/pictures/confusion.png").status_code == 404  # the web never draws
    assert not (runtime.settings.picture_dir / str(sub_id)).exists()
    worker = Worker(runtime.settings, name="drawer")
    assert worker.draw_missing() == 1
    page = a.get(f"/submissions/{sub_id}").text
    assert "confusion.png" in page and "図を作っています" not in page and "refresh" not in page
    picture = a.get(f"/submissions/{sub_id}/pictures/confusion.png")
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"


def test_the_pending_page_shows_the_queue_position_and_an_expected_wait(site):
    runtime, a = site["runtime"], site["clients"]["a"]
    _scored(runtime, site["ids"]["b"], "timed")  # a recent scoring that took 2 s
    waiting = []
    for i, who in enumerate(("b", "b", "a")):
        sub = accept(runtime.db, runtime.settings, site["ids"][who], stub_zip(f"w{i}"), "w.zip")
        mark_queued(runtime.db, sub.id, runtime.queue)
        waiting.append(sub.id)
    page = a.get(f"/submissions/{waiting[2]}?msg=submitted").text
    assert "提出を受け付けました" in page
    assert "この提出の前に <strong>2</strong> 件あります" in page
    assert "いま動いている採点用プロセスがありません" in page
    with runtime.db.write() as session:
        session.add(WorkerBeat(name="w1", last_seen_at=utcnow(), started_at=utcnow()))
    page = a.get(f"/submissions/{waiting[2]}").text
    assert "結果が出るまでの目安: <strong>約 6 秒</strong>" in page  # (2 ahead / 1 worker + 1) × 2 s
    token = a.post("/account/token", data={"csrf": csrf_of(a.get("/account/token").text)}).text
    token = token.split('<pre id="token">')[1].split("<")[0]
    data = a.get(f"/api/submissions/{waiting[2]}", headers={"Authorization": f"Bearer {token}"}).json()
    assert data["queue"] == {"ahead": 2, "workers": 1, "expected_seconds": 6.0}


def test_the_dashboard_shows_rank_best_and_what_will_count(site):
    runtime, a = site["runtime"], site["clients"]["a"]
    subs = [_scored(runtime, site["ids"]["a"], f"d{i}") for i in range(3)]
    _scored(runtime, site["ids"]["b"], "other")
    with runtime.db.read() as session:
        results = {s: session.get(Result, session.get(Submission, s).current_result_id).public_accuracy for s in subs}
    best_two = sorted(subs, key=lambda s: -results[s])[:2]
    page = a.get("/dashboard").text
    assert 'id="my-rank"' in page and 'id="my-best"' in page
    counting = page.split('id="counting"')[1].split("</p>")[0]
    assert sorted(int(x) for x in __import__("re").findall(r"#(\d+)</a>", counting)) == sorted(best_two)
    assert "自動で使います" in counting and page.count("自動で使う</span>") == 2
    a.post(f"/submissions/{subs[0]}/select", data={"selected": "1", "csrf": csrf_of(page)})
    counting = a.get("/dashboard").text.split('id="counting"')[1].split("</p>")[0]
    assert f"#{subs[0]}</a>" in counting and "自分で選んだ提出" in counting


def test_the_instructor_sees_flags_filters_and_pages(site):
    runtime, teacher = site["runtime"], site["clients"]["teacher"]
    same = stub_zip("copied")
    for who in ("a", "b"):
        accept(runtime.db, runtime.settings, site["ids"][who], same, "same.zip")
    perfect = _scored(runtime, site["ids"]["a"], "perfect")
    with runtime.db.write() as session:
        result = session.get(Result, session.get(Submission, perfect).current_result_id)
        result.public_accuracy = 1.0
    page = teacher.get("/instructor/submissions?flag=shared").text
    assert "2 件" in page and "同じ zip: a、b" in page
    page = teacher.get("/instructor/submissions?flag=implausible").text
    assert f"#{perfect}</a>" in page and "1 件" in page and "公開データの正解率が 100.00 %" in page
    assert f"#{perfect}</a>" not in teacher.get("/instructor/submissions?student=b").text
    # paging: 50 a page
    with runtime.db.write() as session:
        for i in range(60):
            session.add(Submission(user_id=site["ids"]["b"], sha256=f"{i:064x}", filename="p.zip", size=1,
                                   quota_day="2026-01-01", status="failed", accepted_at=utcnow()))
    first = teacher.get("/instructor/submissions?status=failed").text
    assert "60 件（1 / 2 ページ）" in first and 'rel="next"' in first
    second = teacher.get("/instructor/submissions?status=failed&page_no=2").text
    assert second.count('<td class="status-failed">') == 10 and 'rel="prev"' in second


def test_worker_liveness_on_the_instructor_page(site):
    runtime, teacher = site["runtime"], site["clients"]["teacher"]
    page = teacher.get("/instructor").text
    assert 'id="no-worker"' in page
    Worker(runtime.settings, name="alive-worker").beat()
    with runtime.db.write() as session:
        session.add(WorkerBeat(name="dead-worker", started_at=utcnow() - dt.timedelta(hours=2),
                               last_seen_at=utcnow() - dt.timedelta(hours=1)))
    page = teacher.get("/instructor").text
    assert 'id="no-worker"' not in page
    assert "<td>alive-worker</td><td>動作中</td>" in page and "<td>dead-worker</td><td>応答なし</td>" in page


def test_a_nickname_replaces_the_name_for_other_students(site):
    runtime, a, b, teacher = (site["runtime"], site["clients"]["a"], site["clients"]["b"], site["clients"]["teacher"])
    _scored(runtime, site["ids"]["a"], "nick")
    page = a.get("/account").text
    assert a.post("/account/nickname", data={"nickname": "<b>x</b>", "csrf": csrf_of(page)}).status_code == 400
    a.post("/account/nickname", data={"nickname": "カタカナ名人", "csrf": csrf_of(page)})
    board = b.get("/leaderboard").text
    assert "カタカナ名人" in board and "受講者 a" not in board
    assert "受講者 a（カタカナ名人）" in teacher.get("/leaderboard").text
    a.post("/account/nickname", data={"nickname": "", "csrf": csrf_of(page)})
    assert "受講者 a" in b.get("/leaderboard").text


def test_admin_status_without_a_data_directory_creates_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_SERVICE_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "capstone_service.admin", "status"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no data directory" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
