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
import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from . import accounts
from .config import Settings, load_settings
from .mail import add_mail, password_mail
from .models import PENDING, Competition, Event, Mail, Result, Submission, User, utcnow
from .runtime import Runtime
from .storage import read_zip
from .submissions import (TOKYO, QuotaExceeded, Rejected, SelectionError, accept, close_competition,
                          disqualify, final_ranking, is_closed, leaderboard, mark_queued, quota, rescore, set_selected)

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
    "roster": "名簿を読み込みました。",
}


class BodyLimit:
    """Refuse request bodies over MAX_BODY before they are read (413)."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send):
    body = "提出ファイルが大きすぎます（30 MiB まで）。".encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class HTTPError(Exception):
    def __init__(self, status: int, message: str, kind: str = "error"):
        self.status, self.message, self.kind = status, message, kind


def jst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if value is None else value.astimezone(TOKYO).strftime(fmt)


def pct(value) -> str:
    return "-" if value is None else f"{value * 100:.2f} %"


def loss(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def until(value: dt.datetime) -> str:
    seconds = max(0, int((value - utcnow()).total_seconds()))
    return f"{seconds // 3600} 時間 {seconds % 3600 // 60} 分"


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or load_settings())
    settings = runtime.settings
    _warm_up()
    app = FastAPI(title="カタカナ認識 最終課題 提出サイト", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.runtime = runtime
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(jst=jst, pct=pct, loss=loss, until=until)
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
        context.update(request=request, user=user, csrf=accounts.csrf_token(settings, csrf_seed(request)), msg=msg)
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
            raise HTTPError(401, "API トークンが必要です（Authorization: Bearer …）。", "unauthorized")
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
        return request.client.host if request.client else "unknown"

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

    @app.exception_handler(HTTPError)
    async def _http_error(request: Request, exc: HTTPError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.kind, "message": exc.message}, status_code=exc.status)
        return page(request, "error.html", status=exc.status, message=exc.message)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not_found", "message": "見つかりません。"}, status_code=404)
        return page(request, "error.html", status=404, message="ページが見つかりません。")

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
        return page(request, "help.html", quota_per_day=settings.quota_per_day,
                    login_attempts=settings.login_attempts, window=int(settings.login_window_seconds // 60),
                    link_hours=int(settings.password_link_hours), min_password=accounts.MIN_PASSWORD)

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
            return page(request, "error.html", status=404,
                        message="このリンクは使えません（使用済みか期限切れです）。ログイン画面から再設定を依頼してください。")
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
                accounts.set_password(session, settings, link, password)
        if problem:
            return page(request, "password_set.html", status=400, token=token, account=user, error=problem)
        return redirect("/login", "password_set")

    # ------------------------------------------------------------------ student pages
    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request):
        user = need_user(request)
        with db.read() as session:
            subs = session.scalars(select(Submission).where(Submission.user_id == user.id)
                                   .order_by(Submission.id.desc())).all()
            results = _results(session, subs)
            q = quota(session, settings, user.id)
            closed = is_closed(session)
        return page(request, "dashboard.html", submissions=subs, results=results, quota=q, closed=closed,
                    pending=any(s.status in PENDING for s in subs))

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
            return page(request, "rejected.html", status=400, kind=exc.kind, message=exc.message, quota=q)
        except QuotaExceeded as exc:
            return page(request, "rejected.html", status=429, kind="quota", quota=exc.quota,
                        message=f"本日の提出回数（{exc.quota.limit} 回）を使い切りました。"
                                f"{jst(exc.quota.resets_at, '%m月%d日 %H:%M')}（日本時間）に回数が戻ります。")
        return redirect(f"/submissions/{sub.id}", "submitted")

    def _accept(user: User, file: UploadFile | None) -> Submission:
        if file is None:
            raise Rejected("bad_zip", "zip ファイルを選んでください。")
        data = file.file.read(MAX_BODY + 1)
        if not data:
            raise Rejected("bad_zip", "空のファイルです。zip ファイルを選んでください。")
        sub = accept(db, settings, user.id, data, file.filename)
        mark_queued(db, sub.id, runtime.queue)
        return sub

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def submission_page(request: Request, submission_id: int):
        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
            closed = is_closed(session)
            history = session.scalars(select(Result).where(Result.submission_id == sub.id).order_by(Result.id)).all()
            events = session.scalars(select(Event).where(Event.submission_id == sub.id).order_by(Event.id)).all()
            q = quota(session, settings, sub.user_id)
        report = json.loads(result.report_json) if result else None
        show_private = closed or user.is_instructor
        text = None
        if report:
            from autograder.capstone.score import render_text

            text = render_text(report, include_private=show_private)
        return page(request, "submission.html", sub=sub, result=result, report=report, text=text, history=history,
                    events=events, show_private=show_private, closed=closed, quota=q, owner=sub.user,
                    pending=sub.status in PENDING, top_mistakes=_top_mistakes(report))

    @app.get("/submissions/{submission_id}/download")
    def download(request: Request, submission_id: int):
        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
        return Response(read_zip(settings.blob_dir, sub.sha256), media_type="application/zip",
                        headers={"Content-Disposition": f"attachment; filename=\"submission-{sub.id}.zip\""})

    @app.get("/submissions/{submission_id}/pictures/{kind}.png")
    def picture_file(request: Request, submission_id: int, kind: str):
        from .pictures import KINDS, picture

        user = need_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
        if kind not in KINDS or result is None or result.status != "scored":
            raise HTTPError(404, "図がありません。", "not_found")
        path = picture(settings.picture_dir, result.id, kind, json.loads(result.report_json))
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.post("/submissions/{submission_id}/select")
    def select_submission(request: Request, submission_id: int, selected: str = Form("1"), csrf: str = Form("")):
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
            closed = is_closed(session)
            board = leaderboard(session)
            final = final_ranking(session) if closed else None
        return page(request, "leaderboard.html", board=board, final=final, closed=closed, me=user)

    @app.get("/account/token", response_class=HTMLResponse)
    def token_page(request: Request):
        need_user(request)
        return page(request, "token.html", token=None)

    @app.post("/account/token", response_class=HTMLResponse)
    def token_create(request: Request, csrf: str = Form("")):
        user = need_user(request)
        check_csrf(request, csrf)
        with db.write() as session:
            token = accounts.new_api_token(session, user)
        return page(request, "token.html", token=token)

    # ------------------------------------------------------------------ instructor pages
    @app.get("/instructor", response_class=HTMLResponse)
    def instructor_home(request: Request):
        need_instructor(request)
        with db.read() as session:
            comp = session.get(Competition, 1)
            counts = dict(session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
            students = session.scalar(select(func.count()).select_from(User).where(User.role == "student")) or 0
            mails = dict(session.execute(select(Mail.status, func.count()).group_by(Mail.status)).all())
        return page(request, "instructor/home.html", comp=comp, counts=counts, students=students, mails=mails,
                    queue_length=_queue_length())

    def _queue_length():
        try:
            return runtime.queue.pending()
        except Exception:
            return None

    @app.get("/instructor/roster", response_class=HTMLResponse)
    def roster_page(request: Request):
        need_instructor(request)
        with db.read() as session:
            users = session.scalars(select(User).order_by(User.role.desc(), User.student_id)).all()
            counts = dict(session.execute(select(Submission.user_id, func.count()).group_by(Submission.user_id)).all())
        return page(request, "instructor/roster.html", users=users, counts=counts, report=None)

    @app.post("/instructor/roster", response_class=HTMLResponse)
    def roster_import(request: Request, file: UploadFile | None = File(None), csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        data = file.file.read(2 * 1024 ** 2) if file else b""
        report = _import_roster(data, actor)
        with db.read() as session:
            users = session.scalars(select(User).order_by(User.role.desc(), User.student_id)).all()
            counts = dict(session.execute(select(Submission.user_id, func.count()).group_by(Submission.user_id)).all())
        return page(request, "instructor/roster.html", users=users, counts=counts, report=report,
                    status=200 if not report["errors"] else 400)

    def _import_roster(data: bytes, actor: User) -> dict:
        from .admin import import_roster_data

        result = import_roster_data(runtime, data, actor.id)
        return {"created": result.created_ids, "updated": result.updated_ids, "errors": result.errors}

    @app.get("/instructor/submissions", response_class=HTMLResponse)
    def all_submissions(request: Request):
        need_instructor(request)
        with db.read() as session:
            subs = session.scalars(select(Submission).order_by(Submission.id.desc())).all()
            results = _results(session, subs)
        return page(request, "instructor/submissions.html", submissions=subs, results=results)

    @app.post("/instructor/submissions/{submission_id}/rescore")
    def rescore_one(request: Request, submission_id: int, csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        rescore(db, runtime.queue, [submission_id], actor.id)
        return redirect(f"/submissions/{submission_id}", "rescored")

    @app.post("/instructor/rescore-all")
    def rescore_everything(request: Request, csrf: str = Form("")):
        actor = need_instructor(request)
        check_csrf(request, csrf)
        with db.read() as session:
            ids = list(session.scalars(select(Submission.id).where(Submission.status.in_(("scored", "failed", "error")))))
        rescore(db, runtime.queue, ids, actor.id)
        return redirect("/instructor/submissions", "rescored")

    @app.post("/instructor/submissions/{submission_id}/disqualify")
    def disqualify_one(request: Request, submission_id: int, reason: str = Form(""), undo: str = Form(""),
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
            if not is_closed(session):
                raise HTTPError(409, "最終順位はコンペティションを締め切ってから出力できます。", "not_closed")
            rows = final_ranking(session)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["rank", "student_id", "name", "submission_id", "accepted_at_jst", "private_accuracy",
                         "private_loss", "public_accuracy", "public_loss", "chosen_by", "submissions"])
        for e in rows:
            writer.writerow([e.rank, _csv_safe(e.user.student_id), _csv_safe(e.user.name), e.submission.id,
                             jst(e.submission.accepted_at), f"{e.private_accuracy:.6f}", f"{e.private_loss:.6f}",
                             f"{e.public_accuracy:.6f}", f"{e.public_loss:.6f}", e.chosen_by, e.count])
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=\"final_ranking.csv\""})

    @app.get("/instructor/submissions/{submission_id}/report.json")
    def report_json_file(request: Request, submission_id: int):
        need_instructor(request)
        with db.read() as session:
            sub = session.get(Submission, submission_id)
            result = session.get(Result, sub.current_result_id) if sub and sub.current_result_id else None
        if result is None:
            raise HTTPError(404, "レポートがありません。", "not_found")
        return Response(result.report_json, media_type="application/json")

    # ------------------------------------------------------------------ JSON API
    @app.post("/api/token")
    def api_token(request: Request, student_id: str = Form(""), password: str = Form("")):
        try:
            user = accounts.authenticate(db, settings, student_id, password, client_ip(request))
        except accounts.RateLimited:
            raise HTTPError(429, "ログインの失敗が続いたため、しばらくログインできません。", "rate_limited") from None
        if user is None:
            raise HTTPError(401, "学籍番号またはパスワードが違います。", "unauthorized")
        with db.write() as session:
            token = accounts.new_api_token(session, user)
        return {"token": token}

    @app.get("/api/me")
    def api_me(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            q = quota(session, settings, user.id)
        return {"student_id": user.student_id, "name": user.name, "role": user.role, "quota": _quota_json(q)}

    @app.get("/api/submissions")
    def api_list(request: Request):
        user = bearer_user(request)
        with db.read() as session:
            query = select(Submission).order_by(Submission.id)
            if not user.is_instructor:
                query = query.where(Submission.user_id == user.id)
            subs = session.scalars(query).all()
            results = _results(session, subs)
            closed = is_closed(session)
        return {"submissions": [_submission_json(s, results.get(s.id), closed or user.is_instructor) for s in subs]}

    @app.post("/api/submissions", status_code=202)
    def api_submit(request: Request, file: UploadFile | None = File(None)):
        user = bearer_user(request)
        if user.is_instructor:
            raise HTTPError(403, "提出できるのは受講者だけです。", "forbidden")
        try:
            sub = _accept(user, file)
        except Rejected as exc:
            return JSONResponse({"error": "rejected", "kind": exc.kind, "message": exc.message, "counted": False},
                                status_code=400)
        except QuotaExceeded as exc:
            return JSONResponse({"error": "quota_exceeded", "message": "本日の提出回数を使い切りました。",
                                 "quota": _quota_json(exc.quota)}, status_code=429)
        with db.read() as session:
            q = quota(session, settings, user.id)
            sub = session.get(Submission, sub.id)
        return {**_submission_json(sub, None, False), "quota": _quota_json(q),
                "url": f"{settings.base_url}/submissions/{sub.id}"}

    @app.get("/api/submissions/{submission_id}")
    def api_get(request: Request, submission_id: int):
        user = bearer_user(request)
        with db.read() as session:
            sub = own_submission(session, user, submission_id)
            result = session.get(Result, sub.current_result_id) if sub.current_result_id else None
            closed = is_closed(session)
        data = _submission_json(sub, result, closed or user.is_instructor)
        if result is not None:
            from autograder.capstone.score import render_text

            data["report_text"] = render_text(json.loads(result.report_json), include_private=closed or user.is_instructor)
        return data

    @app.post("/api/submissions/{submission_id}/select")
    def api_select(request: Request, submission_id: int, selected: str = Form("1")):
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
        bearer_user(request)
        with db.read() as session:
            closed = is_closed(session)
            board = [{"rank": e.rank, "name": e.user.name, "public_accuracy": e.public_accuracy,
                      "public_loss": e.public_loss, "submitted_at": e.submission.accepted_at.isoformat()}
                     for e in leaderboard(session)]
            final = [{"rank": e.rank, "name": e.user.name, "private_accuracy": e.private_accuracy,
                      "private_loss": e.private_loss, "submitted_at": e.submission.accepted_at.isoformat()}
                     for e in final_ranking(session)] if closed else None
        return {"closed": closed, "public": board, "final": final}

    @app.post("/api/instructor/roster")
    def api_roster(request: Request, file: UploadFile | None = File(None)):
        actor = bearer_instructor(request)
        report = _import_roster(file.file.read(2 * 1024 ** 2) if file else b"", actor)
        return JSONResponse(report, status_code=200 if not report["errors"] else 400)

    @app.post("/api/instructor/submissions/{submission_id}/rescore")
    def api_rescore(request: Request, submission_id: int):
        actor = bearer_instructor(request)
        return {"queued": rescore(db, runtime.queue, [submission_id], actor.id)}

    @app.post("/api/instructor/submissions/{submission_id}/disqualify")
    def api_disqualify(request: Request, submission_id: int, reason: str = Form("")):
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

    app.add_middleware(BodyLimit)
    return app


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


def _submission_json(sub: Submission, result: Result | None, private: bool) -> dict:
    data = {"id": sub.id, "status": sub.status, "filename": sub.filename, "sha256": sub.sha256, "size": sub.size,
            "selected": sub.selected, "disqualified": sub.disqualified_at is not None,
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
    uvicorn.run("capstone_service.web:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", proxy_headers=True, access_log=False)
    return 0


def app_from_env() -> FastAPI:
    return create_app(load_settings())


if __name__ == "__main__":
    raise SystemExit(main())
