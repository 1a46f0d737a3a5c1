"""Mail over a real local SMTP server (aiosmtpd): the result mail arrives with the right content;
a failing server makes the worker retry, and the result is kept whatever happens to the mail."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from capstone_service.mail import deliver
from capstone_service.models import Mail, Submission, utcnow
from capstone_service.submissions import accept, mark_queued
from capstone_service.worker import Worker

from .support import free_port, stub_zip


class Recorder:
    def __init__(self, failures: int = 0):
        self.failures = failures
        self.messages = []
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts <= self.failures:
            return "451 4.3.0 try again later"
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    servers = []

    def start(failures: int = 0, auth: tuple[str, str] | None = None):
        handler = Recorder(failures)
        kwargs = {}
        if auth:
            def authenticator(server, session, envelope, mechanism, data):
                ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == auth
                return AuthResult(success=ok)

            kwargs = dict(authenticator=authenticator, auth_require_tls=False)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        servers.append(controller)
        return handler, controller.port

    yield start
    for controller in servers:
        controller.stop()


def _score_one(runtime, settings, user_id, tag="m"):
    worker = Worker(settings, name="mail-test")
    worker.slot = None
    worker._draw = lambda *args: None
    sub = accept(runtime.db, settings, user_id, stub_zip(tag), "katakana.zip")
    mark_queued(runtime.db, sub.id, runtime.queue)
    assert worker.score_job(sub.id) == "done"
    return worker, sub.id


def test_the_result_mail_arrives_with_its_content(runtime, make_user, smtp):
    handler, port = smtp(auth=("mailer", "s3cret"))
    settings = runtime.settings.with_(smtp_port=port, smtp_user="mailer", smtp_password="s3cret")
    uid = make_user("m001", name="目白 花子", email="hanako@example.com")
    _, sub_id = _score_one(runtime, settings, uid)
    assert len(handler.messages) == 1
    rcpt, message = handler.messages[0]
    assert rcpt == ["hanako@example.com"]
    with runtime.db.read() as session:
        sub = session.get(Submission, sub_id)
        from capstone_service.models import Result

        result = session.get(Result, sub.current_result_id)
    assert message["Subject"] == f"【カタカナ認識】提出 #{sub_id} の採点結果: 正解率 {result.public_accuracy * 100:.2f} %"
    body = message.get_content()
    assert "目白 花子 さん" in body
    assert f"正解率: {result.public_accuracy * 100:.2f} %" in body and f"{result.public_loss:.4f}" in body
    assert "現在の順位: 1 位 / 1 人" in body
    assert "文字ごとの正解率:" in body and "ア " in body and "ソ " in body
    assert "本日の残り提出回数: 2 / 3 回" in body and "日本時間にリセット" in body
    assert f"http://testserver/submissions/{sub_id}" in body
    assert "非公開" in body and f"{result.private_accuracy * 100:.2f}" not in body  # private numbers never mailed
    with runtime.db.read() as session:
        assert session.scalar(select(Mail.status).where(Mail.submission_id == sub_id)) == "sent"


def test_a_failing_server_is_retried_and_the_result_is_kept(runtime, make_user, smtp):
    handler, port = smtp(failures=2)
    settings = runtime.settings.with_(smtp_port=port, mail_retry_seconds=0.05)
    uid = make_user("m002")
    worker, sub_id = _score_one(runtime, settings, uid)
    with runtime.db.read() as session:
        mail = session.scalar(select(Mail).where(Mail.submission_id == sub_id))
        assert mail.status == "pending" and mail.attempts == 1 and "451" in mail.last_error
        assert session.get(Submission, sub_id).status == "scored"  # the result does not wait for the mail
    import time

    for _ in range(40):
        time.sleep(0.1)
        worker.maintain_once()
        if handler.messages:
            break
    assert len(handler.messages) == 1 and handler.attempts == 3
    with runtime.db.read() as session:
        mail = session.scalar(select(Mail).where(Mail.submission_id == sub_id))
        assert (mail.status, mail.attempts, mail.last_error) == ("sent", 3, None)


def test_a_dead_server_gives_up_after_the_last_attempt_and_nothing_is_lost(runtime, make_user):
    settings = runtime.settings.with_(smtp_port=free_port(), mail_retry_seconds=0.0, mail_max_attempts=3,
                                      smtp_timeout=2)
    uid = make_user("m003")
    worker, sub_id = _score_one(runtime, settings, uid)
    with runtime.db.read() as session:
        mail_id = session.scalar(select(Mail.id).where(Mail.submission_id == sub_id))
    outcomes = []
    for _ in range(4):
        with runtime.db.write() as session:
            session.get(Mail, mail_id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
        outcomes.append(deliver(runtime.db, settings, mail_id))
    assert outcomes == ["retry", "gave_up", "skipped", "skipped"]  # attempt 1 happened in score_job
    with runtime.db.read() as session:
        mail = session.get(Mail, mail_id)
        assert mail.status == "gave_up" and "Connection refused" in mail.last_error
        assert session.get(Submission, sub_id).status == "scored"
