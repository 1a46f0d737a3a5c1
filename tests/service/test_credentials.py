"""Credentials: the login limit holds under concurrency (the failure is counted before the
password hash is checked), X-Forwarded-For is believed only from configured proxies, API
tokens expire and can be listed and revoked (by the student and the instructor), and a new
password ends every session, token and one-time link."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from capstone_service import accounts
from capstone_service.admin import set_password
from capstone_service.models import ApiToken, LoginAttempt, PasswordLink, User, WebSession
from capstone_service.web import client_address

from .support import PASSWORD, csrf_of, login


def test_forty_parallel_wrong_passwords_reach_the_hash_only_five_times(runtime, make_user, monkeypatch):
    make_user("victim")
    settings = runtime.settings
    verified = []
    real_verify = accounts.PasswordHasher.verify

    def counting_verify(self, hash_, password):
        verified.append(1)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(accounts.PasswordHasher, "verify", counting_verify)
    go = threading.Barrier(40)
    outcomes = []

    def attempt(i):
        go.wait()
        try:
            outcomes.append(accounts.authenticate(runtime.db, settings, "victim", f"wrong-{i}", f"10.0.0.{i}"))
        except accounts.RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(verified) == settings.login_attempts == 5
    assert outcomes.count("limited") == 35 and outcomes.count(None) == 5
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)
                              .where(LoginAttempt.key == "user:victim")) == 5
    with pytest.raises(accounts.RateLimited):  # the right password too, until the window passes
        accounts.authenticate(runtime.db, settings, "victim", PASSWORD, "10.0.1.1")


def test_a_success_clears_the_accounts_failures(runtime, make_user):
    make_user("a")
    for _ in range(4):
        assert accounts.authenticate(runtime.db, runtime.settings, "a", "wrong-password", "1.2.3.4") is None
    assert accounts.authenticate(runtime.db, runtime.settings, "a", PASSWORD, "1.2.3.4") is not None
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == "user:a")) == 0


def test_x_forwarded_for_is_believed_only_from_configured_proxies():
    assert client_address("203.0.113.9", "1.1.1.1", ()) == "203.0.113.9"
    assert client_address("203.0.113.9", "1.1.1.1", ("10.0.0.0/8",)) == "203.0.113.9"
    assert client_address("10.0.0.5", "6.6.6.6, 198.51.100.7", ("10.0.0.0/8",)) == "198.51.100.7"
    assert client_address("10.0.0.5", "198.51.100.7, 10.0.0.4", ("10.0.0.0/8",)) == "198.51.100.7"
    assert client_address("10.0.0.5", "not-an-ip", ("10.0.0.0/8",)) == "not-an-ip"
    assert client_address("10.0.0.5", None, ("10.0.0.0/8",)) == "10.0.0.5"


def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(runtime, make_user, client_for):
    settings = runtime.settings
    client = client_for()
    for i in range(settings.login_attempts_per_ip):
        page = client.get("/login")
        response = client.post("/login", data={"student_id": f"nobody{i}", "password": "x" * 12,
                                               "csrf": csrf_of(page.text)}, headers={"X-Forwarded-For": f"10.9.{i}.1"})
        assert response.status_code == 401
    page = client.get("/login")
    response = client.post("/login", data={"student_id": "another", "password": "x" * 12, "csrf": csrf_of(page.text)},
                           headers={"X-Forwarded-For": "10.9.99.1"})
    assert response.status_code == 429


def _token(client) -> str:
    page = client.post("/account/token", data={"csrf": csrf_of(client.get("/account/token").text), "label": "ノート"})
    return re.search(r'<pre id="token">([^<]+)</pre>', page.text).group(1)


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_tokens_expire_and_are_listed_and_revoked_by_the_student(runtime, make_user, client_for):
    make_user("a")
    web = client_for()
    login(web, "a")
    first, second = _token(web), _token(web)
    api = client_for()
    listed = api.get("/api/tokens", headers=_bearer(first)).json()["tokens"]
    assert [t["label"] for t in listed] == ["ノート", "ノート"] and all(t["live"] for t in listed)
    expires = dt.datetime.fromisoformat(listed[0]["expires_at"])
    assert dt.timedelta(days=89) < expires - dt.datetime.now(dt.timezone.utc) < dt.timedelta(days=91)
    page = web.get("/account/token").text
    assert page.count("無効にする") == 2 and "ノート" in page
    # revoke the second through the page, the first through the API
    second_id = max(t["id"] for t in listed)
    web.post(f"/account/token/{second_id}/revoke", data={"csrf": csrf_of(page)})
    assert api.get("/api/me", headers=_bearer(second)).status_code == 401
    assert api.post(f"/api/tokens/{second_id + 1000}/revoke", headers=_bearer(first)).status_code == 404
    assert api.post(f"/api/tokens/{min(t['id'] for t in listed)}/revoke", headers=_bearer(first)).json()["revoked"]
    assert api.get("/api/me", headers=_bearer(first)).status_code == 401
    # an expired token is refused
    third = _token(web)
    with runtime.db.write() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == accounts.token_hash(third)))
        row.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    response = api.get("/api/me", headers=_bearer(third))
    assert response.status_code == 401 and "期限切れ" in response.json()["message"]


def test_the_instructor_lists_and_revokes_a_students_credentials(runtime, make_user, client_for):
    uid = make_user("a")
    make_user("teacher", role="instructor")
    student = client_for()
    login(student, "a")
    token = _token(student)
    teacher = client_for()
    login(teacher, "teacher")
    page = teacher.get(f"/instructor/users/{uid}").text
    assert "ノート" in page and 'id="tokens"' in page
    assert teacher.post(f"/instructor/users/{uid}/revoke", data={"csrf": csrf_of(page)}).status_code == 400  # no confirm
    assert student.get("/dashboard", follow_redirects=False).status_code == 200
    teacher.post(f"/instructor/users/{uid}/revoke", data={"csrf": csrf_of(page), "confirm": "yes"})
    assert student.get("/dashboard", follow_redirects=False).status_code == 303
    assert client_for().get("/api/me", headers=_bearer(token)).status_code == 401
    assert student.get(f"/instructor/users/{uid}", follow_redirects=False).status_code == 303


def _counts(runtime, uid):
    with runtime.db.read() as session:
        sessions = session.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == uid))
        tokens = session.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == uid, ApiToken.revoked_at.is_(None)))
        links = session.scalar(select(func.count()).select_from(PasswordLink).where(
            PasswordLink.user_id == uid, PasswordLink.used_at.is_(None)))
    return sessions, tokens, links


@pytest.mark.parametrize("how", ["reset_link", "admin", "account_page"])
def test_a_new_password_ends_sessions_tokens_and_links(runtime, make_user, client_for, how):
    uid = make_user("a")
    browser, other = client_for(), client_for()
    login(browser, "a")
    login(other, "a")
    token = _token(browser)
    with runtime.db.write() as session:
        user = session.get(User, uid)
        old_link = accounts.new_password_link(session, runtime.settings, user).rsplit("/", 1)[1]
        new_link = accounts.new_password_link(session, runtime.settings, user).rsplit("/", 1)[1]
    assert _counts(runtime, uid) == (2, 1, 2)
    if how == "reset_link":
        fresh = client_for()
        page = fresh.get(f"/password/{new_link}")
        response = fresh.post(f"/password/{new_link}", data={"password": "brand-new-password",
                                                              "password2": "brand-new-password", "csrf": csrf_of(page.text)},
                              follow_redirects=False)
        assert response.status_code == 303
        expected = (0, 0, 0)
    elif how == "admin":
        set_password(runtime, "a", "brand-new-password")
        expected = (0, 0, 0)
    else:
        page = browser.get("/account")
        response = browser.post("/account/password", data={"current": PASSWORD, "password": "brand-new-password",
                                                           "password2": "brand-new-password", "csrf": csrf_of(page.text)})
        assert "パスワードを変更しました" in response.text
        expected = (1, 0, 0)  # this browser stays logged in with a new session
        assert browser.get("/dashboard", follow_redirects=False).status_code == 200
    assert _counts(runtime, uid) == expected
    assert other.get("/dashboard", follow_redirects=False).status_code == 303
    assert client_for().get("/api/me", headers=_bearer(token)).status_code == 401
    assert client_for().get(f"/password/{old_link}").status_code == 404
    login(client_for(), "a", "brand-new-password")


def test_the_account_page_refuses_a_wrong_current_password(runtime, make_user, client_for):
    make_user("a")
    browser = client_for()
    login(browser, "a")
    page = browser.get("/account")
    response = browser.post("/account/password", data={"current": "not-it-at-all", "password": "brand-new-password",
                                                       "password2": "brand-new-password", "csrf": csrf_of(page.text)})
    assert response.status_code == 400 and "今のパスワードが違います" in response.text
    login(client_for(), "a")
