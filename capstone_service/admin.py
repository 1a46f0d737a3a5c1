"""Instructor commands on the server (``course-service-admin``)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from sqlalchemy import func, select

from . import accounts
from .config import data_dir_from_env, load_settings
from .mail import add_mail, password_mail
from .models import Event, Mail, Submission, User
from .runtime import Runtime


def add_user(runtime: Runtime, student_id: str, name: str, email: str, role: str) -> str:
    """Create (or update) a user and queue the password mail; returns the link."""
    settings, db = runtime.settings, runtime.db
    with db.write() as session:
        result = accounts.import_roster(session, [{"student_id": student_id, "name": name, "email": email}], role=role)
        user = (result.created or result.updated or [None])[0] or session.scalar(
            select(User).where(func.lower(User.student_id) == student_id.lower()))
        user.role = role
        link = accounts.new_password_link(session, settings, user)
        subject, body = password_mail(user, link, settings.password_link_hours)
        mail_id = add_mail(session, kind="password", to_addr=user.email, subject=subject, body=body, user_id=user.id).id
    runtime.queue.enqueue_mail(mail_id)
    return link


def set_password(runtime: Runtime, student_id: str, password: str) -> None:
    with runtime.db.write() as session:
        user = session.scalar(select(User).where(func.lower(User.student_id) == student_id.lower()))
        if user is None:
            raise SystemExit(f"no such user: {student_id}")
        problem = accounts.password_problem(password, user)
        if problem:
            raise SystemExit(problem)
        accounts.change_password(session, runtime.settings, user, password)  # ends sessions, tokens, links


def import_roster_data(runtime: Runtime, data: bytes, actor_id: int | None = None) -> accounts.RosterResult:
    """Import a roster CSV and mail every new account its one-time password link."""
    settings, db = runtime.settings, runtime.db
    rows, errors = accounts.parse_roster(data)
    mail_ids = []
    with db.write() as session:
        result = accounts.import_roster(session, rows)
        for user in result.created:
            link = accounts.new_password_link(session, settings, user)
            subject, body = password_mail(user, link, settings.password_link_hours)
            mail_ids.append(add_mail(session, kind="password", to_addr=user.email, subject=subject, body=body,
                                     user_id=user.id).id)
        session.add(Event(action="roster", actor_id=actor_id,
                          detail=f"created {len(result.created)}, updated {len(result.updated)}"))
        result.created_ids = [u.student_id for u in result.created]
        result.updated_ids = [u.student_id for u in result.updated]
    for mail_id in mail_ids:
        runtime.queue.enqueue_mail(mail_id)
    result.errors = errors
    return result


def import_roster_file(runtime: Runtime, path: Path) -> accounts.RosterResult:
    return import_roster_data(runtime, Path(path).read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="提出サービスの管理コマンド")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("add-instructor", help="講師アカウントを作り、パスワード設定のリンクをメールで送る")
    p.add_argument("login_id")
    p.add_argument("name")
    p.add_argument("email")
    p = sub.add_parser("import-roster", help="名簿 CSV（student_id,name,email）を読み込む")
    p.add_argument("csv", type=Path)
    p = sub.add_parser("set-password", help="パスワードを直接設定する（標準入力から読む）")
    p.add_argument("login_id")
    sub.add_parser("status", help="提出・キュー・メールの状況")
    p = sub.add_parser("set-deadline", help="締め切り日時を予約する（日本時間、例: '2026-12-20 18:00'。none で取り消し）")
    p.add_argument("when")
    p = sub.add_parser("revoke", help="アカウントのログイン中のセッション・API トークン・設定用リンクをすべて無効にする")
    p.add_argument("login_id")
    args = parser.parse_args(argv)
    problem = _not_ready()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    runtime = Runtime(load_settings())
    if args.command == "add-instructor":
        link = add_user(runtime, args.login_id, args.name, args.email, "instructor")
        print(f"instructor {args.login_id}: password link {link}")
    elif args.command == "import-roster":
        result = import_roster_file(runtime, args.csv)
        print(f"created {len(result.created)}, updated {len(result.updated)}, errors {len(result.errors)}")
        for error in result.errors:
            print(error, file=sys.stderr)
        return 1 if result.errors else 0
    elif args.command == "set-password":
        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()
        set_password(runtime, args.login_id, password)
    elif args.command == "status":
        with runtime.db.read() as session:
            subs = dict(session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
            mails = dict(session.execute(select(Mail.status, func.count()).group_by(Mail.status)).all())
        print(f"submissions {subs}; mails {mails}; queue {runtime.queue.pending()}")
    elif args.command == "set-deadline":
        return set_deadline_command(runtime, args.when)
    elif args.command == "revoke":
        with runtime.db.write() as session:
            user = session.scalar(select(User).where(func.lower(User.student_id) == args.login_id.lower()))
            if user is None:
                raise SystemExit(f"no such user: {args.login_id}")
            accounts.revoke_credentials(session, user.id)
        print(f"{args.login_id}: sessions, API tokens and password links revoked")
    return 0


def set_deadline_command(runtime: Runtime, when: str) -> int:
    import datetime as dt

    from .submissions import DeadlineError, set_deadline
    from .text import TOKYO, jst

    moment = None
    if when.strip().lower() != "none":
        try:
            moment = dt.datetime.fromisoformat(when.strip()).replace(tzinfo=TOKYO)
        except ValueError:
            print(f"not a date and time: {when!r} (e.g. '2026-12-20 18:00', Asia/Tokyo)", file=sys.stderr)
            return 2
    try:
        set_deadline(runtime.db, runtime.settings, None, moment)
    except DeadlineError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"deadline: {jst(moment, '%Y-%m-%d %H:%M') + ' (Asia/Tokyo)' if moment else 'none'}")
    return 0


def _not_ready() -> str | None:
    """Why the commands cannot run here (nothing is created to find out), or None."""
    import os

    data_dir = data_dir_from_env()
    if not data_dir.is_dir():
        return (f"no data directory at {data_dir}: set COURSE_SERVICE_DATA_DIR to the service's data directory, "
                "or create a new one with course-service-migrate")
    if not os.environ.get("COURSE_SERVICE_DATABASE_URL") and not (data_dir / "service.db").exists():
        return f"no database in {data_dir}: run course-service-migrate first"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
