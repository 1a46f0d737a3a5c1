"""Access control as a table: every route × (anonymous, student A, student B, instructor) → the
expected status; CSRF; and XSS / SQL injection tries in names, file names and form fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from capstone_service.models import Submission, User
from capstone_service.submissions import accept, mark_queued
from capstone_service.worker import Worker

from .support import PASSWORD, csrf_of, login, stub_zip

ROLES = ("anon", "a", "b", "teacher")
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                         "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


@pytest.fixture
def world(runtime, make_user, client_for, monkeypatch):
    """Students a and b, an instructor, two scored submissions of a; a client per role."""
    from capstone_service import pictures

    # the worker draws the pictures and the pages only serve them; drawing itself is tested elsewhere
    # (test_pages, test_flow), so here a one-pixel PNG stands in for each picture
    monkeypatch.setattr(pictures, "RENDER", {kind: (lambda report: TINY_PNG) for kind in pictures.KINDS})
    ids = {"a": make_user("a"), "b": make_user("b"), "teacher": make_user("teacher", role="instructor")}
    worker = Worker(runtime.settings, name="test-worker")
    subs = []
    for tag in ("one", "two"):
        sub = accept(runtime.db, runtime.settings, ids["a"], stub_zip(tag), f"{tag}.zip")
        mark_queued(runtime.db, sub.id, runtime.queue)
        assert worker.score_job(sub.id) == "done"
        subs.append(sub.id)
    clients, tokens = {}, {}
    for role in ROLES:
        client = client_for()
        if role != "anon":
            login(client, role)
            tokens[role] = client.post("/account/token", data={"csrf": csrf_of(client.get("/account/token").text)}).text
            tokens[role] = re.search(r'<pre id="token">([^<]+)</pre>', tokens[role]).group(1)
        clients[role] = client
    return {"ids": ids, "subs": subs, "clients": clients, "tokens": tokens, "runtime": runtime}


def roster_csv() -> bytes:
    return "student_id,name,email\nnew1,新入 一郎,new1@example.com\n".encode()


# (method, path, form, file, {role: status}); {A} is a's first submission, {A2} the second.
PAGES = [
    ("GET", "/", None, None, dict(anon=303, a=303, b=303, teacher=303)),
    ("GET", "/help", None, None, dict(anon=200, a=200, b=200, teacher=200)),
    ("GET", "/login", None, None, dict(anon=200, a=200, b=200, teacher=200)),
    ("GET", "/password/forgot", None, None, dict(anon=200, a=200, b=200, teacher=200)),
    ("GET", "/password/not-a-token", None, None, dict(anon=404, a=404, b=404, teacher=404)),
    ("GET", "/dashboard", None, None, dict(anon=303, a=200, b=200, teacher=200)),
    ("GET", "/submissions/{A}", None, None, dict(anon=303, a=200, b=404, teacher=200)),
    ("GET", "/submissions/999999", None, None, dict(anon=303, a=404, b=404, teacher=404)),
    ("GET", "/submissions/{A}/download", None, None, dict(anon=303, a=200, b=404, teacher=200)),
    ("GET", "/submissions/{A}/pictures/confusion.png", None, None, dict(anon=303, a=200, b=404, teacher=200)),
    ("GET", "/submissions/{A}/pictures/per_class.png", None, None, dict(anon=303, a=200, b=404, teacher=200)),
    ("GET", "/submissions/{A}/pictures/misclassified.png", None, None, dict(anon=303, a=200, b=404, teacher=200)),
    ("GET", "/submissions/{A}/pictures/other.png", None, None, dict(anon=303, a=404, b=404, teacher=404)),
    ("POST", "/submissions/{A}/select", {"selected": "1"}, None, dict(anon=303, a=303, b=404, teacher=403)),
    ("GET", "/leaderboard", None, None, dict(anon=303, a=200, b=200, teacher=200)),
    ("GET", "/account/token", None, None, dict(anon=303, a=200, b=200, teacher=200)),
    ("POST", "/submissions", {}, "zip", dict(anon=303, a=303, b=303, teacher=403)),
    ("GET", "/instructor", None, None, dict(anon=303, a=403, b=403, teacher=200)),
    ("GET", "/instructor/roster", None, None, dict(anon=303, a=403, b=403, teacher=200)),
    ("POST", "/instructor/roster", {}, "csv", dict(anon=303, a=403, b=403, teacher=200)),
    ("GET", "/instructor/submissions", None, None, dict(anon=303, a=403, b=403, teacher=200)),
    ("GET", "/instructor/submissions/{A}/report.json", None, None, dict(anon=303, a=403, b=403, teacher=200)),
    ("POST", "/instructor/submissions/{A2}/rescore", {}, None, dict(anon=303, a=403, b=403, teacher=303)),
    ("POST", "/instructor/rescore-all", {}, None, dict(anon=303, a=403, b=403, teacher=400)),  # not confirmed
    ("POST", "/instructor/rescore-all", {"confirm": "yes"}, None, dict(anon=303, a=403, b=403, teacher=303)),
    ("POST", "/instructor/submissions/{A2}/disqualify", {"reason": "テスト"}, None, dict(anon=303, a=403, b=403, teacher=303)),
    ("GET", "/instructor/ranking.csv", None, None, dict(anon=303, a=403, b=403, teacher=409)),
    ("POST", "/instructor/close", {"confirm": "yes"}, None, dict(anon=303, a=403, b=403, teacher=303)),
    ("GET", "/instructor/ranking.csv", None, None, dict(anon=303, a=403, b=403, teacher=200)),
    ("POST", "/submissions/{A}/select", {"selected": "0"}, None, dict(anon=303, a=409, b=404, teacher=403)),
]

API = [
    ("GET", "/api/me", None, None, dict(anon=401, a=200, b=200, teacher=200)),
    ("GET", "/api/submissions", None, None, dict(anon=401, a=200, b=200, teacher=200)),
    ("GET", "/api/submissions/{A}", None, None, dict(anon=401, a=200, b=404, teacher=200)),
    ("POST", "/api/submissions", {}, "zip", dict(anon=401, a=202, b=202, teacher=403)),
    ("POST", "/api/submissions/{A}/select", {"selected": "1"}, None, dict(anon=401, a=200, b=404, teacher=403)),
    ("GET", "/api/leaderboard", None, None, dict(anon=401, a=200, b=200, teacher=200)),
    ("POST", "/api/instructor/roster", {}, "csv", dict(anon=401, a=403, b=403, teacher=200)),
    ("POST", "/api/instructor/submissions/{A2}/rescore", {}, None, dict(anon=401, a=403, b=403, teacher=200)),
    ("POST", "/api/instructor/submissions/{A2}/disqualify", {"reason": "x"}, None, dict(anon=401, a=403, b=403, teacher=200)),
    ("GET", "/api/instructor/ranking.csv", None, None, dict(anon=401, a=403, b=403, teacher=409)),
    ("POST", "/api/instructor/close", {}, None, dict(anon=401, a=403, b=403, teacher=200)),
    ("GET", "/api/instructor/ranking.csv", None, None, dict(anon=401, a=403, b=403, teacher=200)),
]


def _request(world, role, method, path, form, file, api):
    client = world["clients"][role]
    path = path.replace("{A2}", str(world["subs"][1])).replace("{A}", str(world["subs"][0]))
    headers = {}
    if api and role != "anon":
        headers["Authorization"] = f"Bearer {world['tokens'][role]}"
    files = None
    if file == "zip":
        files = {"file": ("mine.zip", stub_zip(f"{role}-{path}"), "application/zip")}
    elif file == "csv":
        files = {"file": ("roster.csv", roster_csv(), "text/csv")}
    data = None
    if method == "POST":
        data = dict(form or {})
        if not api:
            data["csrf"] = csrf_of(client.get("/login").text)
    if api:  # the API never looks at cookies
        client = _cookieless(client)
    response = client.request(method, path, data=data, files=files, headers=headers, follow_redirects=False)
    return response


def _cookieless(client):
    client.cookies.clear()
    return client


@pytest.mark.parametrize("table", ["pages", "api"])
def test_access_control_table(world, table):
    rows = PAGES if table == "pages" else API
    if table == "api":
        for role in ROLES:  # the API's clients carry no session cookie at all
            world["clients"][role].cookies.clear()
    failures = []
    for method, path, form, file, expected in rows:
        for role in ROLES:
            got = _request(world, role, method, path, form, file, api=table == "api").status_code
            if got != expected[role]:
                failures.append(f"{method} {path} as {role}: expected {expected[role]}, got {got}")
    assert failures == []


def test_anonymous_is_sent_to_the_login_page_and_back(world):
    response = world["clients"]["anon"].get(f"/submissions/{world['subs'][0]}", follow_redirects=False)
    assert response.headers["location"] == f"/login?next=%2Fsubmissions%2F{world['subs'][0]}"


def test_a_student_never_sees_another_students_submissions(world):
    b = world["clients"]["b"]
    assert "one.zip" not in b.get("/dashboard").text
    token = world["tokens"]["b"]
    b.cookies.clear()
    listed = b.get("/api/submissions", headers={"Authorization": f"Bearer {token}"}).json()
    assert listed == {"submissions": []}


def test_private_scores_stay_hidden_until_the_competition_closes(world):
    a = world["clients"]["a"]
    page = a.get(f"/submissions/{world['subs'][0]}").text
    assert 'id="public-accuracy"' in page and 'id="private-accuracy"' not in page and "非公開テストデータ（" not in page
    token = world["tokens"]["a"]
    data = world["clients"]["anon"].get(f"/api/submissions/{world['subs'][0]}",
                                        headers={"Authorization": f"Bearer {token}"}).json()
    assert "private_accuracy" not in data["result"] and "非公開" not in data["report_text"].split("■ 公開")[1]
    teacher = world["clients"]["teacher"]
    assert 'id="private-accuracy"' in teacher.get(f"/submissions/{world['subs'][0]}").text
    teacher.post("/instructor/close", data={"confirm": "yes", "csrf": csrf_of(teacher.get("/instructor").text)})
    assert 'id="private-accuracy"' in a.get(f"/submissions/{world['subs'][0]}").text
    assert 'id="final"' in a.get("/leaderboard").text


@pytest.mark.parametrize("case", ["missing", "wrong", "other_site"])
def test_forms_need_a_valid_csrf_token(world, case):
    a = world["clients"]["a"]
    good = csrf_of(a.get("/dashboard").text)
    data = {"selected": "1"}
    headers = {}
    if case == "wrong":
        data["csrf"] = "0" * 64
    elif case == "other_site":
        data["csrf"] = good
        headers["Origin"] = "https://evil.example"
    response = a.post(f"/submissions/{world['subs'][0]}/select", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "受け付けません" in response.text or "有効期限" in response.text


def test_session_cookie_flags_and_security_headers(world, client_for):
    client = client_for()
    page = client.get("/login")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in page.text and 'lang="ja"' in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    response = client.post("/login", data={"student_id": "a", "password": PASSWORD, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


XSS = '<script>alert("x")</script>'
IMG = '<img src=x onerror=alert(1)>'


def test_script_in_names_file_names_and_fields_is_shown_as_text(world):
    runtime, teacher, a = world["runtime"], world["clients"]["teacher"], world["clients"]["a"]
    csv_text = (f"student_id,name,email\nx1,{XSS},x1@example.com\n{IMG},名前,bad@example.com\n"
                f"x2,\"Robert'); DROP TABLE users;--\",x2@example.com\n")
    response = teacher.post("/instructor/roster", data={"csrf": csrf_of(teacher.get("/instructor/roster").text)},
                            files={"file": ("r.csv", csv_text.encode(), "text/csv")})
    assert response.status_code == 400  # one bad row is reported, the others are imported
    assert XSS not in response.text and IMG not in response.text
    assert "&lt;script&gt;" in response.text and "&lt;img src=x" in response.text
    with runtime.db.read() as session:
        names = set(session.scalars(select(User.name)))
    assert XSS in names and "Robert'); DROP TABLE users;--" in names  # stored as typed, tables intact
    # a file name with markup, through the page and the API
    evil_name = f'"><svg onload=alert(1)>{XSS}.zip'
    response = a.post("/submissions", data={"csrf": csrf_of(a.get("/dashboard").text)},
                      files={"file": (evil_name, stub_zip("evil"), "application/zip")}, follow_redirects=True)
    assert response.status_code == 200
    for page in (a.get("/dashboard").text, teacher.get("/instructor/submissions").text, response.text):
        assert "<svg onload" not in page and XSS not in page
    # a name that is a script, on the leaderboard
    with runtime.db.write() as session:
        session.get(User, world["ids"]["a"]).name = XSS
    board = teacher.get("/leaderboard").text
    assert XSS not in board and "&lt;script&gt;" in board


@pytest.mark.parametrize("student_id", ["' OR '1'='1", "a' --", "a'; DROP TABLE users; --", '" OR ""="'])
def test_sql_injection_in_the_login_form(world, client_for, student_id):
    client = client_for()
    page = client.get("/login")
    response = client.post("/login", data={"student_id": student_id, "password": "' OR '1'='1",
                                           "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 401
    with world["runtime"].db.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3
        assert session.execute(text("SELECT count(*) FROM submissions")).scalar() == 2


@pytest.mark.parametrize("path", ["/submissions/1%20OR%201=1", "/submissions/1;DROP%20TABLE%20users",
                                  "/api/submissions/1%27%20OR%20%271%27=%271"])
def test_sql_injection_in_ids(world, path):
    a = world["clients"]["a"]
    headers = {"Authorization": f"Bearer {world['tokens']['a']}"} if path.startswith("/api") else {}
    assert a.get(path, headers=headers).status_code in (404, 422)
    with world["runtime"].db.read() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 2


def test_login_redirects_only_inside_the_site(world, client_for):
    client = client_for()
    page = client.get("/login?next=//evil.example/x")
    assert 'name="next" value=""' in page.text
    response = client.post("/login", data={"student_id": "a", "password": PASSWORD, "csrf": csrf_of(page.text),
                                           "next": "https://evil.example/"}, follow_redirects=False)
    assert response.headers["location"].startswith("/dashboard")


def test_login_is_rate_limited(world, client_for):
    client = client_for()
    settings = world["runtime"].settings
    for _ in range(settings.login_attempts):
        page = client.get("/login")
        assert client.post("/login", data={"student_id": "b", "password": "wrong-password", "csrf": csrf_of(page.text)}
                           ).status_code == 401
    page = client.get("/login")
    blocked = client.post("/login", data={"student_id": "b", "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert blocked.status_code == 429 and "ログインできません" in blocked.text
    # the API's token endpoint shares the limit
    assert client.post("/api/token", data={"student_id": "b", "password": PASSWORD}).status_code == 429
    # another account is not affected
    login(client_for(), "a")


def test_uploads_over_the_limit_are_refused_before_reading(world):
    a = world["clients"]["a"]
    response = a.post("/submissions", content=b"x" * 10, headers={"Content-Length": str(40 * 1024 ** 2),
                                                                    "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
