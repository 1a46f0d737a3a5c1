"""E-mail: an outbox in the database, sent over SMTP with retries (back-off doubles each time).

A mail is written to the outbox in the same transaction as what it reports, so a result is
never recorded without its mail, and a failed send never loses anything: the result is on the
site whatever happens to the mail.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select, update

from .config import Settings
from .models import Mail, utcnow
from .text import jst, loss_text, percent


def add_mail(session, *, kind: str, to_addr: str, subject: str, body: str, user_id: int | None = None,
             submission_id: int | None = None) -> Mail:
    mail = Mail(kind=kind, to_addr=to_addr, subject=subject, body=body, user_id=user_id,
                submission_id=submission_id, next_attempt_at=utcnow())
    session.add(mail)
    session.flush()
    return mail


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr(("カタカナ認識 最終課題", settings.mail_from))
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(idstring=f"mail{mail.id}", domain="capstone.local")
    message["Date"] = dt.datetime.now(dt.timezone.utc)
    message.set_content(mail.body, charset="utf-8")
    return message


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    security = settings.smtp_security.lower()
    if security == "ssl":
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    with client:
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        client.send_message(message)


def deliver(db, settings: Settings, mail_id: int, send=smtp_send) -> str:
    """Try to send one mail now if it is due. Returns sent | retry | gave_up | skipped."""
    now = utcnow()
    lease = now + dt.timedelta(seconds=settings.smtp_timeout * 3 + 5)
    with db.write() as session:
        # take the mail for this attempt (another worker skips it meanwhile)
        taken = session.execute(update(Mail).where(Mail.id == mail_id, Mail.status == "pending",
                                                   Mail.next_attempt_at <= now)
                                .values(next_attempt_at=lease, attempts=Mail.attempts + 1)).rowcount
        if not taken:
            return "skipped"
        mail = session.get(Mail, mail_id)
        message = build_message(settings, mail)
        attempts = mail.attempts
    try:
        send(settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with db.write() as session:
            mail = session.get(Mail, mail_id)
            mail.last_error = error
            if attempts >= settings.mail_max_attempts:
                mail.status = "gave_up"
                return "gave_up"
            mail.next_attempt_at = utcnow() + dt.timedelta(seconds=settings.mail_retry_seconds * 2 ** (attempts - 1))
        return "retry"
    with db.write() as session:
        mail = session.get(Mail, mail_id)
        mail.status, mail.sent_at, mail.last_error = "sent", utcnow(), None
    return "sent"


def due_mail_ids(db, limit: int = 50) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Mail.id).where(Mail.status == "pending", Mail.next_attempt_at <= utcnow())
                                    .order_by(Mail.next_attempt_at).limit(limit)))


# ------------------------------------------------------------------------------------- texts

def password_mail(user, link: str, hours: float) -> tuple[str, str]:
    subject = "【カタカナ認識 最終課題】パスワード設定のご案内"
    body = (f"{user.name} さん\n\n"
            "カタカナ認識の最終課題の提出サイトのアカウントが用意できました。\n"
            "次のリンクを開いて、パスワードを設定してください（1 回だけ使えます。"
            f"有効期限は {hours:.0f} 時間です）。\n\n"
            f"{link}\n\n"
            f"ログイン ID（学籍番号）: {user.student_id}\n\n"
            "心当たりがない場合は、このメールを破棄してください。\n")
    return subject, body


def result_mail(settings: Settings, user, submission, result, report: dict, rank, ranked: int, quota,
                rules=None) -> tuple[str, str]:
    """The result mail. What it promises about the ranking follows ``rules`` (see rules.py): a
    submission accepted after the close never ranks, and after the close nothing waits for it."""
    from course.katakana import LABELS

    from .rules import Rules

    rules = rules or Rules(quota_per_day=quota.limit)
    ranks = rules.ranks(submission.accepted_at)
    closed = rules.is_closed()

    link = f"{settings.base_url}/submissions/{submission.id}"
    remaining = (f"本日の残り提出回数: {quota.remaining} / {quota.limit} 回"
                 f"（{quota.resets_at:%Y-%m-%d %H:%M} 日本時間にリセット）")
    if result.status == "scored":
        public = report["public"]
        per_class = public["per_class_accuracy"]
        cells = [f"{LABELS[c]} {acc * 100:5.1f}%" if acc is not None else f"{LABELS[c]}   -  "
                 for c, acc in enumerate(per_class)]
        rows = ["  " + "   ".join(cells[i:i + 5]) for i in range(0, len(cells), 5)]
        rank_text = f"{rank} 位 / {ranked} 人（各自の最高の提出で比べた公開テストデータでの順位）" if rank else "順位なし"
        if not ranks:
            ranking = (f"この提出はコンペティションの締め切り（{jst(rules.close_time, '%Y-%m-%d %H:%M')} 日本時間）"
                       "より後に受け付けたため、ランキングにも最終順位にも入りません。"
                       "非公開テストデータの結果は結果のページで見られます。")
        elif closed:
            ranking = "コンペティションは締め切られました。非公開テストデータの結果と最終順位はサイトで見られます。"
        else:
            ranking = "非公開テストデータの結果は、コンペティションの締め切り後に最終順位として発表します。"
        subject = f"【カタカナ認識】提出 #{submission.id} の採点結果: 正解率 {percent(result.public_accuracy)}"
        body = (f"{user.name} さん\n\n提出 #{submission.id}（{submission.filename}）を採点しました。\n\n"
                f"■ 公開テストデータ（{public['n']} 枚）\n"
                f"正解率: {percent(result.public_accuracy)}\n"
                f"損失（交差エントロピー誤差の平均）: {loss_text(result.public_loss)}\n"
                + (f"現在の順位: {rank_text}\n" if ranks else "") + "\n"
                "文字ごとの正解率:\n" + "\n".join(rows) + "\n\n"
                f"{ranking}\n\n"
                f"{remaining}\n\n"
                f"混同行列や間違えた画像は、結果のページで見られます:\n{link}\n")
    else:
        subject = f"【カタカナ認識】提出 #{submission.id} は採点できませんでした"
        counted = "この提出は提出回数に数えます。" if submission.status == "failed" else "この提出は提出回数に数えません。"
        body = (f"{user.name} さん\n\n提出 #{submission.id}（{submission.filename}）の採点中にエラーが起きました。\n\n"
                f"種類: {result.error_kind}\n内容: {result.error_message}\n\n{counted}\n{remaining}\n\n"
                f"詳しい内容（トレースバック）は結果のページで見られます:\n{link}\n")
    return subject, body
