"""Accounts: roster import, one-time password links, argon2 hashes, sessions, API tokens, the login rate limit."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, text, update

from .config import Settings
from .models import ApiToken, LoginAttempt, PasswordLink, User, WebSession, utcnow

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
MIN_PASSWORD = 10
HEADERS = {"student_id": "student_id", "学籍番号": "student_id", "id": "student_id",
           "name": "name", "氏名": "name", "名前": "name",
           "email": "email", "e-mail": "email", "mail": "email", "メールアドレス": "email", "メール": "email"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hasher(settings: Settings) -> PasswordHasher:
    if settings.argon2_time_cost:
        return PasswordHasher(time_cost=settings.argon2_time_cost)
    return PasswordHasher()


def password_problem(password: str, user: User) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"パスワードは {MIN_PASSWORD} 文字以上にしてください。"
    if len(password) > 256:
        return "パスワードが長すぎます（256 文字まで）。"
    if password.strip().lower() in (user.student_id.lower(), user.email.lower()):
        return "学籍番号やメールアドレスと同じパスワードは使えません。"
    return None


# ------------------------------------------------------------------------------------- roster

@dataclass
class RosterResult:
    created: list[User] = field(default_factory=list)
    updated: list[User] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)  # student ids, readable after the session closed
    updated_ids: list[str] = field(default_factory=list)


def parse_roster(data: bytes) -> tuple[list[dict], list[str]]:
    """Rows of a roster CSV (student_id, name, email; Japanese headers accepted; UTF-8 or Shift_JIS)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return [], ["CSV の文字コードが読めません（UTF-8 で保存してください）。"]
    reader = csv.reader(io.StringIO(text))
    rows, errors = [], []
    header = None
    for number, raw in enumerate(reader, start=1):
        if not any(cell.strip() for cell in raw):
            continue
        if header is None:
            keys = [HEADERS.get(cell.strip().lower()) for cell in raw]
            if {"student_id", "name", "email"} <= set(keys):
                header = keys
                continue
            header = ["student_id", "name", "email"]  # no header line
        row = {key: cell.strip() for key, cell in zip(header, raw) if key}
        sid, name, email = row.get("student_id", ""), row.get("name", ""), row.get("email", "")
        if not STUDENT_ID.match(sid):
            errors.append(f"{number} 行目: 学籍番号 {sid[:70]!r} は使えません（英数字と _ . - で 64 文字まで）。")
        elif not name or len(name) > 200:
            errors.append(f"{number} 行目: 氏名が空か長すぎます。")
        elif not EMAIL.match(email) or len(email) > 320:
            errors.append(f"{number} 行目: メールアドレス {email[:100]!r} が正しくありません。")
        else:
            rows.append({"student_id": sid, "name": name, "email": email})
    return rows, errors


def import_roster(session, rows: list[dict], role: str = "student") -> RosterResult:
    result = RosterResult()
    for row in rows:
        user = session.scalar(select(User).where(func.lower(User.student_id) == row["student_id"].lower()))
        if user is None:
            user = User(student_id=row["student_id"], name=row["name"], email=row["email"], role=role)
            session.add(user)
            result.created.append(user)
        elif (user.name, user.email) != (row["name"], row["email"]):
            user.name, user.email = row["name"], row["email"]
            result.updated.append(user)
    session.flush()
    return result


# ------------------------------------------------------------------------------------- links

def new_password_link(session, settings: Settings, user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(PasswordLink(user_id=user.id, token_hash=token_hash(token), created_at=now,
                             expires_at=now + dt.timedelta(hours=settings.password_link_hours)))
    return f"{settings.base_url}/password/{token}"


def find_password_link(session, token: str) -> PasswordLink | None:
    link = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        return None
    return link


def set_password(session, settings: Settings, link: PasswordLink, password: str) -> User:
    """Set the password through a one-time link; every other credential of the account ends."""
    user = session.get(User, link.user_id)
    change_password(session, settings, user, password)
    return user


def change_password(session, settings: Settings, user: User, password: str) -> None:
    """A new password (reset link, the account page, or the admin command): sessions, API tokens
    and one-time links of the account end with it."""
    user.password_hash = hasher(settings).hash(password)
    revoke_credentials(session, user.id)


def revoke_credentials(session, user_id: int, *, sessions: bool = True, tokens: bool = True, links: bool = True) -> None:
    now = utcnow()
    if links:
        session.execute(update(PasswordLink).where(PasswordLink.user_id == user_id, PasswordLink.used_at.is_(None))
                        .values(used_at=now))
    if sessions:
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    if tokens:
        session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now))


# ------------------------------------------------------------------------------------- login

class RateLimited(Exception):
    pass


_DUMMY_HASH = PasswordHasher().hash("not a real password, only for constant time")


def _window_start(settings: Settings) -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=settings.login_window_seconds)


def _lock_keys(session, keys: list[str]) -> None:
    """Serialize the failure count of these keys between transactions. SQLite: the write
    transaction began with BEGIN IMMEDIATE, so all writers are serialized already; PostgreSQL:
    transaction-scoped advisory locks, taken in a fixed order."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        number = int.from_bytes(hashlib.sha256(f"login:{key}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def _take_attempt(db, settings: Settings, student_id: str, ip: str) -> list[int]:
    """Count the failures of the account and the address and, in the same locked transaction,
    record this attempt as a failure before the password is even checked (a success removes
    it again). Raises RateLimited when the limit is reached. Returns the rows written."""
    keys = [f"user:{student_id.lower()}", f"ip:{ip}"]
    limits = {keys[0]: settings.login_attempts, keys[1]: settings.login_attempts_per_ip}
    with db.write() as session:
        _lock_keys(session, keys)
        since = _window_start(settings)
        for key in keys:
            failures = session.scalar(select(func.count()).select_from(LoginAttempt)
                                      .where(LoginAttempt.key == key, LoginAttempt.at >= since)) or 0
            if failures >= limits[key]:
                raise RateLimited()
        rows = [LoginAttempt(key=key, at=utcnow()) for key in keys]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def authenticate(db, settings: Settings, student_id: str, password: str, ip: str) -> User | None:
    """The user, None for a wrong id/password; raises RateLimited when too many failures came first.

    The attempt counts as a failure from the moment it is admitted, so N parallel tries of one
    account never reach the password hash more than ``login_attempts`` times in a window."""
    student_id = student_id.strip()[:64]
    taken = _take_attempt(db, settings, student_id, ip)
    with db.read() as session:
        user = session.scalar(select(User).where(func.lower(User.student_id) == student_id.lower()))
    ph = hasher(settings)
    ok = False
    if user is not None and user.active and user.password_hash:
        try:
            ok = ph.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        try:
            ph.verify(_DUMMY_HASH, password)  # the same time whether or not the account exists
        except VerificationError:
            pass
    if not ok:
        return None
    with db.write() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(taken)))
        session.execute(delete(LoginAttempt).where(LoginAttempt.key == f"user:{student_id.lower()}"))
        if ph.check_needs_rehash(user.password_hash):
            stored = session.get(User, user.id)
            stored.password_hash = ph.hash(password)
    return user


def verify_password(settings: Settings, user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return hasher(settings).verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_session(session, settings: Settings, user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                           expires_at=now + dt.timedelta(hours=settings.session_hours)))
    return token


def session_user(session, token: str | None) -> User | None:
    if not token or len(token) > 200:
        return None
    found = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if found is None or found.expires_at < utcnow() or not found.user.active:
        return None
    return found.user


def end_session(session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def new_api_token(session, user: User, settings: Settings | None = None, label: str = "") -> str:
    token = "cst_" + secrets.token_urlsafe(32)
    days = settings.token_days if settings is not None else 90.0
    now = utcnow()
    session.add(ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now,
                         expires_at=now + dt.timedelta(days=days), label=label.strip()[:100] or None))
    return token


def token_is_live(found: ApiToken, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return found.revoked_at is None and (found.expires_at is None or found.expires_at > now)


def api_user(session, token: str | None) -> User | None:
    if not token or len(token) > 200:
        return None
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if found is None or not token_is_live(found) or not found.user.active:
        return None
    return found.user


def list_tokens(session, user_id: int) -> list[ApiToken]:
    """The account's tokens, newest first (the token itself is never stored, only its hash)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def revoke_token(session, user_id: int, token_id: int) -> bool:
    found = session.get(ApiToken, token_id)
    if found is None or found.user_id != user_id:
        return False
    if found.revoked_at is None:
        found.revoked_at = utcnow()
    return True


NICKNAME = re.compile(r"^[^\x00-\x1f\x7f<>]{1,40}$")


def nickname_problem(nickname: str) -> str | None:
    if nickname and not NICKNAME.match(nickname):
        return "ニックネームは 40 文字までで、制御文字や < > は使えません。"
    return None


def csrf_token(settings: Settings, cookie_value: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{cookie_value}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(settings: Settings, cookie_value: str | None, submitted: str | None) -> bool:
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(csrf_token(settings, cookie_value), submitted)
