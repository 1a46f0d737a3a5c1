"""The web application: server-rendered Japanese pages and a JSON API (``course-service-web``).

Pages use a session cookie and a CSRF token in every form; the API uses bearer tokens (no
cookies, so no CSRF). The web process never scores: it checks and stores a zip, counts it
against the quota and queues it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import ipaddress
import logging
import secrets
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, or_, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import accounts
from .config import Settings, load_settings
from .mail import add_mail, password_mail
from .models import PENDING, Competition, Event, Mail, Result, Submission, User, utcnow
from .rules import load_rules
from .runtime import Runtime
from .submissions import (DeadlineError, QuotaExceeded, Rejected, SelectionError, accept, close_competition,
                          disqualify, expected_wait, final_ranking, leaderboard, live_workers, mark_queued, quota,
                          rescore, set_deadline, set_selected, shared_zips, standing)
from .text import TOKYO, duration, jst, loss_text, percent

log = logging.getLogger("capstone_service.web")

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "capstone_session"
CSRF_COOKIE = "capstone_csrf"
MAX_BODY = 31 * 1024 ** 2  # the scorer's zip limit (30 MiB) plus the form around it
STATUS_LABELS = {"accepted": "受付済み", "queued": "採点待ち", "running": "採点中", "scored": "採点済み",
                 "failed": "採点エラー", "rejected": "受付不可", "error": "採点環境のエラー"}
MESSAGES = {
    "login": "ログインしました。", "logout": "ログアウトしました。", "password_set": "パスワードを設定しました。ログインしてください。",
    "link_sent": "登録されているメールアドレスにパスワード設定用のリンクを送りました（届くまで数分かかることがあります）。",
    "submitted": "提出を受け付けました。採点が終わるとメールでお知らせします。",
    "selected": "最終順位に使う提出を変更しました。", "rescored": "再採点を予約しました。", "disqualified": "提出を失格にしました。",
    "reinstated": "失格を取り消しました。", "closed": "コンペティションを締め切りました。最終順位が確定しました。",
    "roster": "名簿を読み込みました。", "deadline": "締め切り日時を設定しました。",
    "password_changed": "パスワードを変更しました。ほかのブラウザのログインと API トークンはすべて無効になりました。",
    "nickname": "ランキングに表示する名前を変更しました。", "revoked": "無効にしました。",
}


TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
ERROR_TEXTS = {
    400: "リクエストを読み取れませんでした。ページを読み込み直してからもう一度送信してください。",
    401: "ログインが必要です。", 403: "この操作はできません。", 404: "ページが見つかりません。",
    405: "この方法ではアクセスできません。", 409: "いまはこの操作はできません。",
    413: "提出ファイルが大きすぎます（30 MiB まで）。", 422: "入力が正しくありません。",
    429: "しばらく待ってからもう一度試してください。", 500: "サーバーでエラーが起きました。時間をおいてもう一度試してください。",
    503: "混み合っています。少し待ってからもう一度試してください。",
}
ERROR_KINDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "too_large", 422: "invalid", 429: "too_many", 500: "server_error",
               503: "busy"}
MAX_ID = 2 ** 31 - 1  # ids are 32-bit on every database
UPLOAD_PATHS = ("/submissions", "/api/submissions")


def error_response(path: str, status: int, message: str | None = None, kind: str | None = None,
                   context: dict | None = None, headers: dict | None = None) -> Response:
    """Every error the site gives, in Japanese: the error page in the site's layout, or JSON under /api/."""
    message = message or ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    kind = kind or ERROR_KINDS.get(status, "error")
    if path.startswith("/api/"):
        return JSONResponse({"error": kind, "message": message}, status_code=status, headers=headers)
    values = {"user": None, "csrf": "", "msg": None, **(context or {}), "message": message}
    html = TEMPLATES.get_template("error.html").render(values)
    return HTMLResponse(html, status_code=status, headers=headers)


class UploadGuard:
    """Before any request body is read: refuse bodies over MAX_BODY (Content-Length, or counting a
    chunked body as it arrives: 413 in Japanese either way), and for uploads (POST /submissions,
    /api/submissions) check who sends, whether they may submit now (quota, role) and how many
    uploads are in flight (per account and in all, in this web process), refusing at once
    without reading the body."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit
        self.in_flight = 0
        self.by_user: dict[int, int] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await error_response(path, 413)(scope, receive, send)
        user_id = None
        if scope.get("method") == "POST" and path in UPLOAD_PATHS:
            runtime = scope["app"].state.runtime
            refusal, user_id = await run_in_threadpool(upload_refusal, runtime, path, headers, self)
            if refusal is not None:
                return await refusal(scope, receive, send)
            self.in_flight += 1
            self.by_user[user_id] = self.by_user.get(user_id, 0) + 1
        try:
            await self._limited(scope, receive, send, path)
        finally:
            if user_id is not None:
                self.in_flight -= 1
                self.by_user[user_id] -= 1
                if not self.by_user[user_id]:
                    del self.by_user[user_id]

    async def _limited(self, scope, receive, send, path):
        seen = 0
        too_large = False
        started = False

        async def limited():
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message):
            nonlocal started
            if too_large:
                return  # whatever the app answers to a cut-off body, the answer is 413
            started = True
            await send(message)

        try:
            await self.app(scope, limited, guarded_send)
        except _BodyTooLarge:
            pass
        if too_large and not started:
            await error_response(path, 413)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def upload_refusal(runtime, path: str, headers: dict, guard: UploadGuard):
    """(a response that refuses the upload before its body is read, or None; the user's id)."""
    api = path.startswith("/api/")
    with runtime.db.read() as session:
        if api:
            header = headers.get(b"authorization", b"").decode("latin-1")
            token = header[7:].strip() if header.lower().startswith("bearer ") else None
            user = accounts.api_user(session, token)
        else:
            cookies = SimpleCookie()
            try:
                cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
            except Exception:
                pass
            morsel = cookies.get(SESSION_COOKIE)
            user = accounts.session_user(session, morsel.value if morsel else None)
        if user is None:
            if api:
                return error_response(path, 401, "API トークンが必要です（Authorization: Bearer …）。", "unauthorized"), None
            return RedirectResponse("/login?next=%2Fdashboard", status_code=303), None
        if user.is_instructor:
            return error_response(path, 403, "提出できるのは受講者だけです。", "forbidden"), None
        q = quota(session, runtime.settings, user.id)
    if q.remaining == 0:
        message = (f"本日の提出回数（{q.limit} 回）を使い切りました。"
                   f"{jst(q.resets_at, '%m月%d日 %H:%M')}（日本時間）に回数が戻ります。")
        if api:
            return JSONResponse({"error": "quota_exceeded", "message": message, "quota": _quota_json(q)},
                                status_code=429), None
        return error_response(path, 429, message, "quota_exceeded"), None
    settings = runtime.settings
    if guard.by_user.get(user.id, 0) >= settings.uploads_in_flight_per_user:
        return error_response(path, 429, "前の提出をまだ受信しています。終わってからもう一度送ってください。",
                              "upload_in_progress", headers={"Retry-After": "10"}), None
    if guard.in_flight >= settings.uploads_in_flight:
        return error_response(path, 503, "提出が集中しています。少し待ってからもう一度送ってください（回数には数えていません）。",
                              "busy", headers={"Retry-After": "10"}), None
    return None, user.id


class HTTPError(Exception):
    def __init__(self, status: int, message: str, kind: str = "error"):
        self.status, self.message, self.kind = status, message, kind


def pct(value) -> str:
    return percent(value)


def loss(value) -> str:
    return loss_text(value)


def until(value: dt.datetime) -> str:
    seconds = max(0, int((value - utcnow()).total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400} 日 {seconds % 86400 // 3600} 時間"
    return f"{seconds // 3600} 時間 {seconds % 3600 // 60} 分"


SubmissionId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
ItemId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
PAGE_SIZE = 50


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or load_settings())
    settings = runtime.settings
    _warm_up()
    app = FastAPI(title="カタカナ認識 最終課題 提出サイト", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.runtime = runtime
    templates = TEMPLATES
    templates.env.filters.update(jst=jst, pct=pct, loss=loss, until=until, duration=duration)
    templates.env.globals.update(STATUS_LABELS=STATUS_LABELS)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    db = runtime.db

    # ------------------------------------------------------------------ helpers
    def cookie_user(request: Request) -> User | None:
        if not hasattr(request.state, "user"):
            with db.read() as session:
                request.state.user = accounts.session_user(session, request.cookies.get(SESSION_COOKIE))
        return request.state.user

    def csrf_seed(request: Request) -> str:
        seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
        if not seed:
            seed = request.state.new_csrf = secrets.token_urlsafe(24)
        return seed

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        user = cookie_user(request)
        msg = MESSAGES.get(request.query_params.get("msg", ""))
        context.setdefault("msg", msg)
        context.update(request=request, user=user, csrf=accounts.csrf_token(settings, csrf_seed(request)))
        return templates.TemplateResponse(request, name, context, status_code=status)

    def check_csrf(request: Request, token: str) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
            raise HTTPError(403, "別のサイトからの送信は受け付けません。", "csrf")
        if not accounts.csrf_valid(settings, request.cookies.get(CSRF_COOKIE), token):
            raise HTTPError(403, "フォームの有効期限が切れました。ページを読み込み直してからもう一度送信してください。", "csrf")

    def need_user(request: Request) -> User:
        user = cookie_user(request)
        if user is None:
            raise _LoginRequired()
        return user

    def need_instructor(request: Request) -> User:
        user = need_user(request)
        if not user.is_instructor:
            raise HTTPError(403, "講師用のページです。", "forbidden")
        return user

    def bearer_user(request: Request) -> User:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        with db.read() as session:
            user = accounts.api_user(session, token)
        if user is None:
            raise HTTPError(401, "API トークンが必要です（Authorization: Bearer …）。期限切れや無効にしたトークンは使えません。",
                            "unauthorized")
        return user

    def bearer_instructor(request: Request) -> User:
        user = bearer_user(request)
        if not user.is_instructor:
            raise HTTPError(403, "講師だけが使える API です。", "forbidden")
        return user

    def own_submission(session, user: User, submission_id: int) -> Submission:
        sub = session.get(Submission, submission_id)
        if sub is None or (sub.user_id != user.id and not user.is_instructor):
            raise HTTPError(404, "提出が見つかりません。", "not_found")  # others' submissions do not exist for you
        return sub

    def client_ip(request: Request) -> str:
        return client_address(request.client.host if request.client else "unknown",
                              request.headers.get("x-forwarded-for"), settings.trusted_proxies)

    def redirect(url: str, msg: str | None = None) -> RedirectResponse:
        if msg:
            url += ("&" if "?" in url else "?") + f"msg={msg}"
        return RedirectResponse(url, status_code=303)

    class _LoginRequired(Exception):
        pass

    @app.exception_handler(_LoginRequired)
    async def _login_required(request: Request, exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target, safe='')}")

    def error_page(request: Request, status: int, message: str | None = None, kind: str | None = None) -> Response:
        if request.url.path.startswith("/api/"):
            return error_response(request.url.path, status, message, kind)
        try:
            user = cookie_user(request)
        except Exception:
            user = None
        return error_response(request.url.path, status, message, kind,
                              context={"user": user, "csrf": accounts.csrf_token(settings, csrf_seed(request))})

    @app.exception_handler(HTTPError)
    async def _http_error(request: Request, exc: HTTPError):
        return await run_in_threadpool(error_page, request, exc.status, exc.message, exc.kind)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette_error(request: Request, exc: StarletteHTTPException):
        response = await run_in_threadpool(error_page, request, exc.status_code)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return await run_in_threadpool(error_page, request, 404)  # /submissions/abc, /submissions/10**30
        fields = sorted({str(error.get("loc", ("", ""))[-1]) for error in exc.errors()})
        return await run_in_threadpool(error_page, request, 422, f"入力が正しくありません（{', '.join(fields)}）。", "invalid")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request.url.path, 500)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
                                    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        new_seed = getattr(request.state, "new_csrf", None)
        if new_seed:
            response.set_cookie(CSRF_COOKIE, new_seed, httponly=True, samesite="lax", secure=settings.secure_cookies,
                                path="/")
        return response

    # ------------------------------------------------------------------ public pages
    @app.get("/", include_in_schema=False)
    def index(request: Request):
        user = cookie_user(request)
        if user is None:
            return redirect("/login")
        return redirect("/instructor" if user.is_instructor else "/dashboard")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        with db.read() as session:
            session.execute(select(1))
        return {"ok": True}

    @app.get("/help", response_class=HTMLResponse)
    def help_page(request: Request):
        with db.read() as session:
            rules = load_rules(session, settings)
        return page(request, "help.html", quota_per_day=settings.quota_per_day, rules=rules,
                    login_attempts=settings.login_attempts, window=int(settings.login_window_seconds // 60),
                    link_hours=int(settings.password_link_hours), min_password=accounts.MIN_PASSWORD,
                    token_days=int(settings.token_days))

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = ""):
        return page(request, "login.html", next=_safe_next(next))

    @app.post("/login")
    def login(request: Request, student_id: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("")):
        check_csrf(request, csrf)
        try:
            user = accounts.authenticate(db, settings, student_id, password, client_ip(request))
        except accounts.RateLimited:
            return page(request, "login.html", status=429, next=_safe_next(next), student_id=student_id,
                        error=f"ログインの失敗が続いたため、しばらく（最大 {int(settings.login_window_seconds // 60)} 分）"
                              "ログインできません。パスワードを忘れた場合は再設定してください。")
        if user is None:
            return page(request, "login.html", status=401, next=_safe_next(next), student_id=student_id,
                        error="学籍番号またはパスワードが違います。")
        with db.write() as session:
            token = accounts.new_session(session, settings, user)
        response = redirect(_safe_next(next) or ("/instructor" if user.is_instructor else "/dashboard"), "login")
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                            max_age=int(settings.session_hours * 3600), path="/")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        check_csrf(request, csrf)
        with db.write() as session:
            accounts.end_session(session, request.cookies.get(SESSION_COOKIE))
        response = redirect("/login", "logout")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/password/forgot", response_class=HTMLResponse)
    def forgot_form(request: Request):
        return page(request, "password_forgot.html")

    @app.post("/password/forgot")
    def forgot(request: Request, student_id: str = Form(""), csrf: str = Form("")):
        check_csrf(request, csrf)
        mail_id = None
        with db.write() as session:
            user = session.scalar(select(User).where(func.lower(User.student_id) == student_id.strip()[:64].lower()))
            recent = 0
            if user is not None:
                recent = session.scalar(select(func.count()).select_from(Mail).where(
                    Mail.user_id == user.id, Mail.kind == "password",
                    Mail.created_at > utcnow() - dt.timedelta(minutes=10))) or 0
            if user is not None and user.active and recent < 3:
                link = accounts.new_password_link(session, settings, user)
                subject, body = password_mail(user, link, settings.password_link_hours)
                mail_id = add_mail(session, kind="password", to_addr=user.email, subject=subject, body=body,
                                   user_id=user.id).id
        if mail_id:
            runtime.queue.enqueue_mail(mail_id)
        return redirect("/login", "link_sent")  # the same answer whether or not the id exists

    @app.get("/password/{token}", response_class=HTMLResponse)
    def password_form(request: Request, token: str):
        with db.read() as session:
            link = accounts.find_password_link(session, token)
            user = session.get(User, link.user_id) if link else None
        if link is None:
            raise HTTPError(404, "このリンクは使えません（使用済みか期限切れです）。ログイン画面から再設定を依頼してください。",
                            "not_found")
        return page(request, "password_set.html", token=token, account=user)

    @app.post("/password/{token}")
    def password_set(request: Request, token: str, password: str = Form(""), password2: str = Form(""),
                     csrf: str = Form("")):
        check_csrf(request, csrf)
        with db.write() as session:
            link = accounts.find_password_link(session, token)
            if link is None:
                raise HTTPError(404, "このリンクは使えません（使用済みか期限切れです）。", "not_found")
            user = session.get(User, link.user_id)
            problem = "確認用のパスワードが一致しません。" if password != password2 else accounts.password_problem(password, user)
            if problem is None:
                accounts.set_password(session, settings, link, password)  # ends sessions, tokens, other links
        if problem:
            return page(request, "password_set.html", status=400, token=token, account=user, error=problem)
        response = redirect("/login", "password_set")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ account
    @app.get("/account", response_class=HTMLResponse)
    def account_page(request: Request):
        user = need_user(request)
        return page(request, "account.html", error=None)

    @app.post("/account/password", response_class=HTMLResponse)
    def account_password(request: Request, current: str = Form(""), password: str = Form(""),
                         password2: str = Form(""), csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        if not accounts.verify_password(settings, user, current):
            return page(request, "account.html", status=400, error="今のパスワードが違います。")
        problem = "確認用のパスワードが一致しません。" if password != password2 else accounts.password_problem(password, user)
        if problem:
            return page(request, "account.html", status=400, error=problem)
        with db.write() as session:
            stored = session.get(User, user.id)
            accounts.change_password(session, settings, stored, password)  # every session, token, link ends
            token = accounts.new_session(session, settings, stored)  # this browser stays logged in
        response = redirect("/account", "password_changed")
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                            max_age=int(settings.session_hours * 3600), path="/")
        return response

    @app.post("/account/nickname", response_class=HTMLResponse)
    def account_nickname(request: Request, nickname: str = Form(""), csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        nickname = nickname.strip()
        problem = accounts.nickname_problem(nickname)
        if problem:
            return page(request, "account.html", status=400, error=problem)
        with db.write() as session:
            session.get(User, user.id).nickname = nickname or None
        return redirect("/account", "nickname")

    # ------------------------------------------------------------------ student pages
    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request):
        user = need_user(request)
        with db.read() as session:
            subs = session.scalars(select(Submission).where(Submission.user_id == user.id)
                                   .order_by(Submission.id.desc())).all()
            results = _results(session, subs)
            q = quota(session, settings, user.id)
            rules = load_rules(session, settings)
            mine = standing(session, rules, user.id)
        return page(request, "dashboard.html", submissions=subs, results=results, quota=q, rules=rules,
                    closed=rules.is_closed(), standing=mine, pending=any(s.status in PENDING for s in subs),
                    refresh_url="/dashboard")

    @app.post("/submissions")
    def submit(request: Request, file: UploadFile | None = File(None), csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        if user.is_instructor:
            raise HTTPError(403, "提出できるのは受講者だけです。", "forbidden")
        try:
            sub = _accept(user, file)
        except Rejected as exc:
            with db.read() as session:
                q = quota(session, settings, user.id)
            return page(request, "rejected.html", status=413 if exc.kind == "too_large" else 400, kind=exc.kind,
                        message=exc.message, quota=q)
        except QuotaExceeded as exc:
            return page(request, "rejected.html", status=429, kind="quota", quota=exc.quota,
                        message=f"本日の提出回数（{exc.quota.limit} 回）を使い切りました。"
                                f"{jst(exc.quota.resets_at, '%m月%d日 %H:%M')}（日本時間）に回数が戻ります。")
        return redirect(f"/submissions/{sub.id}", "submitted")

    def _accept(user: User, file: UploadFile | None) -> Submission:
        if file is None:
            raise Rejected("bad_zip", "zip ファイルを選んでください。")
        sub = accept(db, settings, user.id, file.file, file.filename)  # streamed, size-capped, then counted
        mark_queued(db, sub.id, runtime.queue)
        return sub

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def submission_page(request: Request, submission_id: SubmissionId):
        from .pictures import drawn

        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
            rules = load_rules(session, settings)
            history = session.scalars(select(Result).where(Result.submission_id == sub.id).order_by(Result.id)).all()
            events = session.scalars(select(Event).where(Event.submission_id == sub.id).order_by(Event.id)).all()
            q = quota(session, settings, sub.user_id)
            wait = expected_wait(session, settings, sub) if sub.status in PENDING else None
            shared = shared_zips(session).get(sub.sha256, []) if user.is_instructor else []
        report = json.loads(result.report_json) if result else None
        show_private = rules.private_visible(user.is_instructor)
        text = None
        if report:
            from autograder.capstone.score import render_text

            text = render_text(report, include_private=show_private)
        pictures_ready = result is not None and result.status == "scored" and drawn(settings.picture_dir, result.id)
        pending = sub.status in PENDING or (result is not None and result.status == "scored" and not pictures_ready)
        msg = MESSAGES.get(request.query_params.get("msg", ""))
        if msg == MESSAGES["submitted"] and sub.status not in PENDING:
            msg = None  # "受け付けました" belongs to the waiting page, not to the result
        return page(request, "submission.html", sub=sub, result=result, report=report, text=text, history=history,
                    events=events, show_private=show_private, closed=rules.is_closed(), rules=rules,
                    ranks=rules.ranks(sub.accepted_at), quota=q, owner=sub.user, pending=pending,
                    refresh_url=f"/submissions/{sub.id}", wait=wait, pictures_ready=pictures_ready,
                    top_mistakes=_top_mistakes(report), msg=msg, shared=shared,
                    implausible=rules.implausible(result.public_accuracy, result.private_accuracy)
                    if result is not None and user.is_instructor else None)

    @app.get("/submissions/{submission_id}/download")
    def download(request: Request, submission_id: SubmissionId):
        from .storage import blob_folder

        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
        return FileResponse(blob_folder(settings.blob_dir, sub.sha256) / "submission.zip", media_type="application/zip",
                            headers={"Content-Disposition": f"attachment; filename=\"submission-{sub.id}.zip\""})

    @app.get("/submissions/{submission_id}/pictures/{kind}.png")
    def picture_file(request: Request, submission_id: SubmissionId, kind: str):
        from .pictures import KINDS, picture_path

        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
        if kind not in KINDS or result is None or result.status != "scored":
            raise HTTPError(404, "図がありません。", "not_found")
        path = picture_path(settings.picture_dir, result.id, kind)
        if not path.exists():  # the worker draws them; the web process never does
            raise HTTPError(404, "図はまだできていません。少し待ってから読み込み直してください。", "not_found")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.post("/submissions/{submission_id}/select")
    def select_submission(request: Request, submission_id: SubmissionId, selected: str = Form("1"),
                          csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            if sub.user_id != user.id:
                raise HTTPError(403, "選択できるのは本人だけです。", "forbidden")
        try:
            set_selected(db, user.id, submission_id, selected == "1")
        except SelectionError as exc:
            raise HTTPError(409, str(exc), "selection") from None
        return redirect("/dashboard", "selected")

    @app.get("/leaderboard", response_class=HTMLResponse)
    def leaderboard_page(request: Request):
        user = need_user(request)
        with db.read() as session:
            rules = load_rules(session, settings)
            closed = rules.is_closed()
            board = leaderboard(session, rules)
            final = final_ranking(session, rules) if closed else None
        return page(request, "leaderboard.html", board=board, final=final, closed=closed, me=user, rules=rules)

    @app.get("/account/token", response_class=HTMLResponse)
    def token_page(request: Request):
        user = need_user(request)
        return _token_page(request, user, None)

    def _token_page(request: Request, user: User, token: str | None) -> HTMLResponse:
        with db.read() as session:
            tokens = accounts.list_tokens(session, user.id)
        return page(request, "token.html", token=token, tokens=tokens, now=utcnow(), token_days=int(settings.token_days))

    @app.post("/account/token", response_class=HTMLResponse)
    def token_create(request: Request, label: str = Form(""), csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        with db.write() as session:
            token = accounts.new_api_token(session, user, settings, label)
        return _token_page(request, user, token)

    @app.post("/account/token/{token_id}/revoke")
    def token_revoke(request: Request, token_id: ItemId, csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        with db.write() as session:
            if not accounts.revoke_token(session, user.id, token_id):
                raise HTTPError(404, "トークンが見つかりません。", "not_found")
        return redirect("/account/token", "revoked")

    # ------------------------------------------------------------------ instructor pages
    @app.get("/instructor", response_class=HTMLResponse)
    def instructor_home(request: Request):
        need_instructor(request)
        with db.read() as session:
            comp = session.get(Competition, 1)
            rules = load_rules(session, settings)
            counts = dict(session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
            students = session.scalar(select(func.count()).select_from(User).where(User.role == "student")) or 0
            mails = dict(session.execute(select(Mail.status, func.count()).group_by(Mail.status)).all())
            workers = live_workers(session, settings)
            from .models import WorkerBeat

            all_workers = session.scalars(select(WorkerBeat).order_by(WorkerBeat.last_seen_at.desc()).limit(20)).all()
        return page(request, "instructor/home.html", comp=comp, rules=rules, closed=rules.is_closed(), counts=counts,
                    students=students, mails=mails, queue_length=_queue_length(),
                    live={w.name for w in workers}, workers=all_workers, now=utcnow())

    def _queue_length():
        try:
            return runtime.queue.pending()
        except Exception:
            return None

    @app.post("/instructor/deadline")
    def deadline(request: Request, when: str = Form(""), csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        moment = None
        if when.strip():
            try:
                moment = dt.datetime.fromisoformat(when.strip()).replace(tzinfo=TOKYO)
            except ValueError:
                raise HTTPError(422, "締め切り日時が読めません（例: 2026-12-20T18:00）。", "invalid") from None
        try:
            set_deadline(db, settings, actor.id, moment)
        except DeadlineError as exc:
            raise HTTPError(409, str(exc), "deadline") from None
        return redirect("/instructor", "deadline")

    @app.get("/instructor/roster", response_class=HTMLResponse)
    def roster_page(request: Request):
        need_instructor(request)
        return _roster_page(request, None)

    def _roster_page(request: Request, report: dict | None, status: int = 200):
        with db.read() as session:
            users = session.scalars(select(User).order_by(User.role.desc(), User.student_id)).all()
            counts = dict(session.execute(select(Submission.user_id, func.count()).group_by(Submission.user_id)).all())
        return page(request, "instructor/roster.html", users=users, counts=counts, report=report, status=status)

    @app.post("/instructor/roster", response_class=HTMLResponse)
    def roster_import(request: Request, file: UploadFile | None = File(None), csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        data = file.file.read(2 * 1024 ** 2) if file else b""
        report = _import_roster(data, actor)
        return _roster_page(request, report, 200 if not report["errors"] else 400)

    def _import_roster(data: bytes, actor: User) -> dict:
        from .admin import import_roster_data

        result = import_roster_data(runtime, data, actor.id)
        return {"created": result.created_ids, "updated": result.updated_ids, "errors": result.errors}

    @app.get("/instructor/users/{user_id}", response_class=HTMLResponse)
    def user_page(request: Request, user_id: ItemId):
        need_instructor(request)
        with db.read() as session:
            account = session.get(User, user_id)
            if account is None:
                raise HTTPError(404, "利用者が見つかりません。", "not_found")
            tokens = accounts.list_tokens(session, user_id)
        return page(request, "instructor/user.html", account=account, tokens=tokens, now=utcnow())

    @app.post("/instructor/users/{user_id}/revoke")
    def user_revoke(request: Request, user_id: ItemId, token_id: str = Form(""), confirm: str = Form(""),
                    csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        with db.write() as session:
            if session.get(User, user_id) is None:
                raise HTTPError(404, "利用者が見つかりません。", "not_found")
            if token_id:
                if not token_id.isdigit() or not accounts.revoke_token(session, user_id, int(token_id[:12])):
                    raise HTTPError(404, "トークンが見つかりません。", "not_found")
            else:
                if confirm != "yes":
                    raise HTTPError(400, "確認のチェックを入れてから無効にしてください。", "confirm")
                accounts.revoke_credentials(session, user_id)
            session.add(Event(action="revoked", actor_id=actor.id, detail=f"user {user_id} token {token_id or 'all'}"))
        return redirect(f"/instructor/users/{user_id}", "revoked")

    @app.get("/instructor/submissions", response_class=HTMLResponse)
    def all_submissions(request: Request, student: str = "", status: str = "", flag: str = "", page_no: int = 1):
        need_instructor(request)
        page_no = max(1, min(page_no, 100000))
        with db.read() as session:
            rules = load_rules(session, settings)
            shared = shared_zips(session)
            query = select(Submission).join(User, User.id == Submission.user_id)
            if student.strip():
                like = f"%{student.strip()[:64]}%"
                query = query.where(or_(User.student_id.ilike(like), User.name.ilike(like)))
            if status in STATUS_LABELS:
                query = query.where(Submission.status == status)
            if flag == "shared":
                query = query.where(Submission.sha256.in_(list(shared) or [""]))
            elif flag == "implausible":
                query = query.join(Result, Result.id == Submission.current_result_id).where(or_(
                    Result.public_accuracy >= rules.implausible_accuracy,
                    func.abs(Result.public_accuracy - Result.private_accuracy) > rules.implausible_gap))
            elif flag == "after_close" and rules.close_time is not None:
                query = query.where(Submission.accepted_at >= rules.close_time)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            subs = session.scalars(query.order_by(Submission.id.desc()).offset((page_no - 1) * PAGE_SIZE)
                                   .limit(PAGE_SIZE)).all()
            results = _results(session, subs)
        pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
        filters = {"student": student, "status": status, "flag": flag}

        def link(n: int) -> str:
            return "/instructor/submissions?" + urlencode({**{k: v for k, v in filters.items() if v}, "page_no": n})

        flags = {s.id: [f for f in (("同じ zip: " + "、".join(shared[s.sha256])) if s.sha256 in shared else None,
                                    rules.implausible(results[s.id].public_accuracy, results[s.id].private_accuracy)
                                    if s.id in results else None,
                                    "締め切り後" if not rules.ranks(s.accepted_at) else None) if f]
                 for s in subs}
        return page(request, "instructor/submissions.html", submissions=subs, results=results, flags=flags,
                    filters=filters, total=total, page_no=page_no, pages=pages, link=link)

    @app.post("/instructor/submissions/{submission_id}/rescore")
    def rescore_one(request: Request, submission_id: SubmissionId, csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        rescore(db, runtime.queue, [submission_id], actor.id)
        return redirect(f"/submissions/{submission_id}", "rescored")

    @app.post("/instructor/rescore-all")
    def rescore_everything(request: Request, csrf: str = Form(""), confirm: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        if confirm != "yes":
            raise HTTPError(400, "確認のチェックを入れてから再採点してください。", "confirm")
        with db.read() as session:
            ids = list(session.scalars(select(Submission.id).where(Submission.status.in_(("scored", "failed", "error")))))
        rescore(db, runtime.queue, ids, actor.id)
        return redirect("/instructor/submissions", "rescored")

    @app.post("/instructor/submissions/{submission_id}/disqualify")
    def disqualify_one(request: Request, submission_id: SubmissionId, reason: str = Form(""), undo: str = Form(""),
                       csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        if not disqualify(db, submission_id, actor.id, reason, undo=undo == "1"):
            raise HTTPError(404, "提出が見つかりません。", "not_found")
        return redirect(f"/submissions/{submission_id}", "reinstated" if undo == "1" else "disqualified")

    @app.post("/instructor/close")
    def close(request: Request, csrf: str = Form(""), confirm: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        if confirm != "yes":
            raise HTTPError(400, "確認のチェックを入れてから締め切ってください。", "confirm")
        close_competition(db, actor.id)
        return redirect("/leaderboard", "closed")

    @app.get("/instructor/ranking.csv")
    def ranking_csv(request: Request):
        need_instructor(request)
        return _ranking_csv()

    def _ranking_csv() -> Response:
        with db.read() as session:
            rules = load_rules(session, settings)
            if not rules.is_closed():
                raise HTTPError(409, "最終順位はコンペティションを締め切ってから出力できます。", "not_closed")
            rows = final_ranking(session, rules)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["rank", "student_id", "name", "nickname", "submission_id", "accepted_at_jst", "private_accuracy",
                         "private_loss", "public_accuracy", "public_loss", "chosen_by", "submissions"])
        for e in rows:
            writer.writerow([e.rank, _csv_safe(e.user.student_id), _csv_safe(e.user.name), _csv_safe(e.user.nickname or ""),
                             e.submission.id, jst(e.submission.accepted_at), f"{e.private_accuracy:.6f}",
                             f"{e.private_loss:.6f}", f"{e.public_accuracy:.6f}", f"{e.public_loss:.6f}", e.chosen_by,
                             e.count])
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=\"final_ranking.csv\""})

    @app.get("/instructor/submissions/{submission_id}/report.json")
    def report_json_file(request: Request, submission_id: SubmissionId):
        need_instructor(request)
        with db.read() as session:
            sub = session.get(Submission, submission_id)
            result = session.get(Result, sub.current_result_id) if sub and sub.current_result_id else None
        if result is None:
            raise HTTPError(404, "レポートがありません。", "not_found")
        return Response(result.report_json, media_type="application/json")

    # ------------------------------------------------------------------ JSON API
    @app.post("/api/token")
    def api_token(request: Request, student_id: str = Form(""), password: str = Form(""), label: str = Form("")):
        try:
            user = accounts.authenticate(db, settings, student_id, password, client_ip(request))
        except accounts.RateLimited:
            raise HTTPError(429, "ログインの失敗が続いたため、しばらくログインできません。", "rate_limited") from None
        if user is None:
            raise HTTPError(401, "学籍番号またはパスワードが違います。", "unauthorized")
        with db.write() as session:
            token = accounts.new_api_token(session, user, settings, label)
            expires = utcnow() + dt.timedelta(days=settings.token_days)
        return {"token": token, "expires_at": expires.isoformat()}

    @app.get("/api/tokens")
    def api_tokens(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            tokens = accounts.list_tokens(session, user.id)
        now = utcnow()
        return {"tokens": [{"id": t.id, "label": t.label, "created_at": t.created_at.isoformat(),
                            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                            "revoked": t.revoked_at is not None, "live": accounts.token_is_live(t, now)}
                           for t in tokens]}

    @app.post("/api/tokens/{token_id}/revoke")
    def api_token_revoke(request: Request, token_id: ItemId):
        user = bearer_user(request)
        with db.write() as session:
            if not accounts.revoke_token(session, user.id, token_id):
                raise HTTPError(404, "トークンが見つかりません。", "not_found")
        return {"id": token_id, "revoked": True}

    @app.get("/api/me")
    def api_me(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            q = quota(session, settings, user.id)
            rules = load_rules(session, settings)
            mine = standing(session, rules, user.id) if not user.is_instructor else None
        data = {"student_id": user.student_id, "name": user.name, "nickname": user.nickname, "role": user.role,
                "quota": _quota_json(q), "competition": _rules_json(rules)}
        if mine is not None:
            data["standing"] = {"rank": mine.rank, "ranked": mine.ranked,
                                "best_public_accuracy": mine.best.public_accuracy if mine.best else None,
                                "best_submission_id": mine.best.submission.id if mine.best else None,
                                "final_ranking_uses": mine.counting_ids, "chosen_by": mine.chosen_by or None}
        return data

    @app.get("/api/submissions")
    def api_list(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            query = select(Submission).order_by(Submission.id)
            if not user.is_instructor:
                query = query.where(Submission.user_id == user.id)
            subs = session.scalars(query).all()
            results = _results(session, subs)
            rules = load_rules(session, settings)
        private = rules.private_visible(user.is_instructor)
        return {"submissions": [_submission_json(s, results.get(s.id), private, rules) for s in subs]}

    @app.post("/api/submissions", status_code=202)
    def api_submit(request: Request, file: UploadFile | None = File(None)):
        user = bearer_user(request)
        if user.is_instructor:
            raise HTTPError(403, "提出できるのは受講者だけです。", "forbidden")
        try:
            sub = _accept(user, file)
        except Rejected as exc:
            return JSONResponse({"error": "rejected", "kind": exc.kind, "message": exc.message, "counted": False},
                                status_code=413 if exc.kind == "too_large" else 400)
        except QuotaExceeded as exc:
            return JSONResponse({"error": "quota_exceeded", "message": "本日の提出回数を使い切りました。",
                                 "quota": _quota_json(exc.quota)}, status_code=429)
        with db.read() as session:
            q = quota(session, settings, user.id)
            sub = session.get(Submission, sub.id)
            rules = load_rules(session, settings)
        return {**_submission_json(sub, None, False, rules), "quota": _quota_json(q),
                "url": f"{settings.base_url}/submissions/{sub.id}"}

    @app.get("/api/submissions/{submission_id}")
    def api_get(request: Request, submission_id: SubmissionId):
        user = bearer_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
            rules = load_rules(session, settings)
            wait = expected_wait(session, settings, sub) if sub.status in PENDING else None
        private = rules.private_visible(user.is_instructor)
        data = _submission_json(sub, result, private, rules)
        if wait is not None:
            data["queue"] = {"ahead": wait.ahead, "workers": wait.workers, "expected_seconds": wait.expected_seconds}
        if result is not None:
            from autograder.capstone.score import render_text

            data["report_text"] = render_text(json.loads(result.report_json), include_private=private)
        return data

    @app.post("/api/submissions/{submission_id}/select")
    def api_select(request: Request, submission_id: SubmissionId, selected: str = Form("1")):
        user = bearer_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            if sub.user_id != user.id:
                raise HTTPError(403, "選択できるのは本人だけです。", "forbidden")
        try:
            set_selected(db, user.id, submission_id, selected in ("1", "true"))
        except SelectionError as exc:
            raise HTTPError(409, str(exc), "selection") from None
        return {"id": submission_id, "selected": selected in ("1", "true")}

    @app.get("/api/leaderboard")
    def api_leaderboard(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            rules = load_rules(session, settings)
            closed = rules.is_closed()
            board = [{"rank": e.rank, "name": _shown_name(e.user, user), "public_accuracy": e.public_accuracy,
                      "public_loss": e.public_loss, "submitted_at": e.submission.accepted_at.isoformat()}
                     for e in leaderboard(session, rules)]
            final = [{"rank": e.rank, "name": _shown_name(e.user, user), "private_accuracy": e.private_accuracy,
                      "private_loss": e.private_loss, "submitted_at": e.submission.accepted_at.isoformat()}
                     for e in final_ranking(session, rules)] if closed else None
        return {"closed": closed, "competition": _rules_json(rules), "public": board, "final": final}

    @app.post("/api/instructor/roster")
    def api_roster(request: Request, file: UploadFile | None = File(None)):
        actor = bearer_instructor(request)
        report = _import_roster(file.file.read(2 * 1024 ** 2) if file else b"", actor)
        return JSONResponse(report, status_code=200 if not report["errors"] else 400)

    @app.post("/api/instructor/submissions/{submission_id}/rescore")
    def api_rescore(request: Request, submission_id: SubmissionId):
        actor = bearer_instructor(request)
        return {"queued": rescore(db, runtime.queue, [submission_id], actor.id)}

    @app.post("/api/instructor/submissions/{submission_id}/disqualify")
    def api_disqualify(request: Request, submission_id: SubmissionId, reason: str = Form("")):
        actor = bearer_instructor(request)
        if not disqualify(db, submission_id, actor.id, reason):
            raise HTTPError(404, "提出が見つかりません。", "not_found")
        return {"id": submission_id, "disqualified": True}

    @app.post("/api/instructor/close")
    def api_close(request: Request):
        actor = bearer_instructor(request)
        close_competition(db, actor.id)
        return {"closed": True}

    @app.get("/api/instructor/ranking.csv")
    def api_ranking_csv(request: Request):
        bearer_instructor(request)
        return _ranking_csv()

    app.add_middleware(UploadGuard)
    return app


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The client's address for the login limit: the peer, unless the peer is a configured proxy;
    then the right-most X-Forwarded-For entry that is not itself a configured proxy."""
    if not trusted or not forwarded_for or not _in(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _in(hop, trusted):
            return hop[:100]
    return peer


def _in(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _shown_name(user: User, viewer: User) -> str:
    """Instructors see the real name (and the nickname); students see the nickname when one is set."""
    if viewer.is_instructor and user.nickname:
        return f"{user.name}（{user.nickname}）"
    return user.name if viewer.is_instructor else user.public_name


def _rules_json(rules) -> dict:
    close = rules.close_time
    return {"closed": rules.is_closed(), "closes_at": close.isoformat() if close else None,
            "deadline_at": rules.deadline_at.isoformat() if rules.deadline_at else None,
            "max_selected": rules.max_selected}


def _warm_up() -> None:
    """Import what checking a zip needs now, not during the first submission (seconds of imports)."""
    import nbformat  # noqa: F401

    import autograder.capstone.score  # noqa: F401
    import autograder.capstone.unpack  # noqa: F401


def _safe_next(value: str) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 500:
        return value
    return ""


def _csv_safe(value: str) -> str:
    """Cells that a spreadsheet would run as a formula get a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _results(session, subs) -> dict[int, Result]:
    ids = [s.current_result_id for s in subs if s.current_result_id]
    if not ids:
        return {}
    by_id = {r.id: r for r in session.scalars(select(Result).where(Result.id.in_(ids)))}
    return {s.id: by_id[s.current_result_id] for s in subs if s.current_result_id in by_id}


def _quota_json(q) -> dict:
    return {"used": q.used, "limit": q.limit, "remaining": q.remaining, "resets_at": q.resets_at.isoformat()}


def _submission_json(sub: Submission, result: Result | None, private: bool, rules=None) -> dict:
    data = {"id": sub.id, "status": sub.status, "filename": sub.filename, "sha256": sub.sha256, "size": sub.size,
            "selected": sub.selected, "disqualified": sub.disqualified_at is not None,
            "ranks": rules.ranks(sub.accepted_at) if rules is not None else True,
            "accepted_at": sub.accepted_at.isoformat(),
            "queued_at": sub.queued_at.isoformat() if sub.queued_at else None,
            "started_at": sub.started_at.isoformat() if sub.started_at else None,
            "finished_at": sub.finished_at.isoformat() if sub.finished_at else None}
    if result is not None:
        data["result"] = {"status": result.status, "scorer_version": result.scorer_version,
                          "public_accuracy": result.public_accuracy, "public_loss": result.public_loss,
                          "error": {"kind": result.error_kind, "message": result.error_message} if result.error_kind else None}
        if private:
            data["result"].update(private_accuracy=result.private_accuracy, private_loss=result.private_loss)
    return data


def _top_mistakes(report: dict | None) -> list:
    if not report or not report.get("public"):
        return []
    labels = report["labels"]
    confusion = report["public"]["confusion"]
    mistakes = [(confusion[i][j], labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))
                if i != j and confusion[i][j]]
    return sorted(mistakes, key=lambda m: -m[0])[:5]


def main(argv: list[str] | None = None) -> int:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="提出サイト（Web と API）を起動します。")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="web processes (never scoring)")
    args = parser.parse_args(argv)
    from .migrate import is_current

    settings = load_settings()
    if not is_current(Runtime(settings).db.engine):
        raise SystemExit("the database is not at the newest schema: run course-service-migrate first")
    # X-Forwarded-For is read by the app itself, and only from COURSE_SERVICE_TRUSTED_PROXIES
    uvicorn.run("capstone_service.web:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", proxy_headers=False, access_log=False)
    return 0


def app_from_env() -> FastAPI:
    return create_app(load_settings())


if __name__ == "__main__":
    raise SystemExit(main())
