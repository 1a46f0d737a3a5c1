"""The whole service end to end, as separate processes on loopback, with the real scorer:
roster import → password through the mailed one-time link → login → upload → queued → scored
→ result page, pictures, mail, leaderboard → the instructor closes → final ranking CSV.

The same test runs on the embedded configuration (SQLite, Huey on SQLite, one worker) and on
the scaled-out one (PostgreSQL, Huey on Redis, two worker processes, two web processes)."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from capstone_service.admin import add_user, set_password
from capstone_service.config import load_settings
from capstone_service.runtime import Runtime

from .support import Stack, csrf_of, real_zip, submission, notebook, model, wait_for

TEACHER_PASSWORD = "teacher-password-1"


@pytest.fixture(params=["embedded", "scaled"])
def stack(request, tmp_path):
    env = {}
    workers, web = 1, 1
    if request.param == "scaled":
        postgres = request.getfixturevalue("postgres")
        redis_server = request.getfixturevalue("redis_server")
        env["COURSE_SERVICE_DATABASE_URL"] = postgres.new_database(f"flow_{tmp_path.name[-12:].lower()}".replace("-", "_"))
        env["COURSE_SERVICE_QUEUE_URL"] = redis_server.url
        workers, web = 2, 2
    stack = Stack(tmp_path / "service", env, web_processes=web)
    try:
        stack.start(workers=workers)
        yield stack
    finally:
        stack.close()
        if request.param == "scaled":
            import redis

            redis.Redis.from_url(env["COURSE_SERVICE_QUEUE_URL"]).flushdb()


def runtime_of(stack: Stack) -> Runtime:
    env = stack.env
    return Runtime(load_settings(data_dir=env["COURSE_SERVICE_DATA_DIR"], secret_key="test-secret",
                                 database_url=env.get("COURSE_SERVICE_DATABASE_URL") or
                                 f"sqlite:///{env['COURSE_SERVICE_DATA_DIR']}/service.db",
                                 queue_url=env.get("COURSE_SERVICE_QUEUE_URL", "sqlite"),
                                 base_url=stack.url, argon2_time_cost=1))


def mail_to(stack: Stack, address: str, subject_part: str):
    def find():
        return [m for m in stack.mails() if m["To"] == address and subject_part in m["Subject"]]
    return wait_for(find, 60, what=f"a mail to {address} about {subject_part}")[-1]


def post_form(client, page_path, action, data=None, files=None):
    page = client.get(page_path)
    return client.post(action, data={**(data or {}), "csrf": csrf_of(page.text)}, files=files)


def test_the_core_flow(stack):
    runtime = runtime_of(stack)
    add_user(runtime, "teacher", "講師 花子", "teacher@example.com", role="instructor")
    set_password(runtime, "teacher", TEACHER_PASSWORD)
    teacher = httpx.Client(base_url=stack.url, timeout=30, follow_redirects=True)
    student = httpx.Client(base_url=stack.url, timeout=30, follow_redirects=True)
    try:
        # the instructor imports the roster
        response = post_form(teacher, "/login", "/login", {"student_id": "teacher", "password": TEACHER_PASSWORD})
        assert response.status_code == 200 and "講師ページ" in response.text
        roster = "学籍番号,氏名,メールアドレス\nk001,片山 一郎,k001@example.com\nk002,北村 二葉,k002@example.com\n"
        response = post_form(teacher, "/instructor/roster", "/instructor/roster",
                             files={"file": ("roster.csv", roster.encode("utf-8"), "text/csv")})
        assert response.status_code == 200 and "追加 2 人" in response.text

        # the student sets a password through the mailed link, then logs in
        mail = mail_to(stack, "k001@example.com", "パスワード設定")
        link = re.search(r"http://127\.0\.0\.1:\d+/password/\S+", mail.get_content()).group(0)
        path = link.split(str(stack.port), 1)[1]
        assert "片山 一郎" in student.get(path).text
        response = post_form(student, path, path, {"password": "katakana-pass-1", "password2": "katakana-pass-1"})
        assert "パスワードを設定しました" in response.text
        assert student.get(path).status_code == 404  # one time only
        response = post_form(student, "/login", "/login", {"student_id": "k001", "password": "katakana-pass-1"})
        assert "本日の残り提出回数" in response.text and ">3</strong> / 3 回" in response.text

        # upload → queued → scored
        response = post_form(student, "/dashboard", "/submissions",
                             files={"file": ("katakana.zip", real_zip(), "application/zip")})
        assert response.status_code == 200 and "提出を受け付けました" in response.text
        sub_url = str(response.url.path)
        assert ">2</strong> / 3 回" in response.text
        # scored, and the worker has drawn the pictures (the page waits for them)
        page = wait_for(lambda: (p := student.get(sub_url).text) and "採点済み</span>" in p and "confusion.png" in p
                        and p, 90, interval=0.5, what="the scoring and the pictures")
        assert "提出を受け付けました" not in page
        accuracy = re.search(r'id="public-accuracy">([0-9.]+) %', page).group(1)
        assert 80 < float(accuracy) < 100
        assert 'id="private-accuracy"' not in page
        for kind in ("confusion", "per_class", "misclassified"):
            picture = student.get(f"{sub_url}/pictures/{kind}.png")
            assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
        mail = mail_to(stack, "k001@example.com", "採点結果")
        assert f"正解率 {accuracy} %" in mail["Subject"]
        body = mail.get_content()
        assert "現在の順位: 1 位 / 1 人" in body and "本日の残り提出回数: 2 / 3 回" in body and sub_url in body

        # a submission that fails while scoring, through the API with a token: counts, error shown
        token = httpx.post(f"{stack.url}/api/token", data={"student_id": "k001", "password": "katakana-pass-1"}).json()["token"]
        api = httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        unfinished = submission(notebook("trainee"), model())
        created = api.post("/api/submissions", files={"file": ("unfinished.zip", unfinished, "application/zip")})
        assert created.status_code == 202 and created.json()["quota"]["remaining"] == 1
        failed = wait_for(lambda: (d := api.get(f"/api/submissions/{created.json()['id']}").json())["status"] == "failed" and d,
                          90, interval=0.5, what="the failing submission")
        assert failed["result"]["error"]["kind"] == "crash" and "NotImplementedError" in failed["result"]["error"]["message"]
        rejected = api.post("/api/submissions", files={"file": ("notes.zip", b"PK not really", "application/zip")})
        assert rejected.status_code == 400 and rejected.json()["counted"] is False
        assert api.get("/api/me").json()["quota"]["remaining"] == 1

        # leaderboard, then the instructor closes the competition and exports the final ranking
        board = student.get("/leaderboard").text
        assert "片山 一郎" in board and f"{accuracy} %" in board and 'id="final"' not in board
        response = post_form(teacher, "/instructor", "/instructor/close", {"confirm": "yes"})
        assert "締め切りました" in response.text and 'id="final"' in response.text
        ranking = teacher.get("/instructor/ranking.csv")
        rows = list(csv.DictReader(io.StringIO(ranking.text.lstrip("\ufeff"))))
        assert [(r["rank"], r["student_id"], r["chosen_by"]) for r in rows] == [("1", "k001", "auto")]
        assert 0.8 < float(rows[0]["private_accuracy"]) < 1.0
        assert 'id="private-accuracy"' in student.get(sub_url).text
    finally:
        teacher.close()
        student.close()
        runtime.db.dispose()
