"""Uploads: streamed into the data directory's incoming folder under the size cap, counted and
moved into the store in one transaction, deleted when refused; uploads refused before their
body is read when the account has no submission left or already has one in flight; and a
flood of parallel oversized uploads against a running server leaves neither files nor memory
behind."""

from __future__ import annotations

import io
import os
import socket
import threading
import uuid

import httpx
import pytest

from capstone_service import accounts
from capstone_service.models import User
from capstone_service.submissions import QuotaExceeded, Rejected, accept

from .support import Stack, stub_zip
from .test_flow import runtime_of

MiB = 1024 ** 2


def _files(folder, name: str = "*") -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(name) if p.is_file()) if folder.exists() else []


def test_an_oversized_file_is_cut_off_while_streaming_and_nothing_is_kept(runtime, make_user):
    uid = make_user("a")
    settings = runtime.settings
    before = _files(settings.blob_dir)
    with pytest.raises(Rejected) as info:
        accept(runtime.db, settings, uid, io.BytesIO(b"\0" * (31 * MiB)), "big.zip")
    assert info.value.kind == "too_large" and "30 MiB" in info.value.message
    assert _files(settings.incoming_dir) == [] and _files(settings.blob_dir) == before


def test_a_refused_upload_is_deleted_and_an_accepted_one_is_private(runtime, make_user):
    uid = make_user("a")
    settings = runtime.settings.with_(quota_per_day=1)
    sub = accept(runtime.db, settings, uid, io.BytesIO(stub_zip("first")), "ok.zip")
    stored = settings.blob_dir / sub.sha256 / "submission.zip"
    assert stored.exists() and stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.stat().st_mode & 0o777 == 0o700
    with pytest.raises(QuotaExceeded):
        accept(runtime.db, settings, uid, io.BytesIO(stub_zip("second")), "ok.zip")
    with pytest.raises(Rejected):
        accept(runtime.db, settings, uid, io.BytesIO(b"not a zip"), "bad.zip")
    assert _files(settings.blob_dir) == [f"{sub.sha256}/submission.zip"]
    assert _files(settings.incoming_dir) == []
    for folder in (settings.data_dir, settings.blob_dir, settings.incoming_dir, settings.picture_dir):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    if settings.database_url.startswith("sqlite"):
        assert (settings.data_dir / "service.db").stat().st_mode & 0o777 == 0o600
        if (settings.data_dir / "queue.db").exists():
            assert (settings.data_dir / "queue.db").stat().st_mode & 0o777 == 0o600


@pytest.fixture(params=["embedded", "scaled"])
def upload_stack(request, tmp_path):
    web_tmp = tmp_path / "web-tmp"
    web_tmp.mkdir()
    env = {"COURSE_SERVICE_SCORER": "tests.service.stub_scorer:score", "COURSE_SERVICE_QUOTA_PER_DAY": "1",
           "TMPDIR": str(web_tmp)}
    if request.param == "scaled":
        env["COURSE_SERVICE_DATABASE_URL"] = request.getfixturevalue("postgres").new_database(
            f"up_{uuid.uuid4().hex[:12]}")
        env["COURSE_SERVICE_QUEUE_URL"] = request.getfixturevalue("redis_server").url
    stack = Stack(tmp_path / "service", env)
    try:
        stack.start(workers=1, sink=False)
        stack.web_tmp = web_tmp
        yield stack
    finally:
        stack.close()
        if request.param == "scaled":
            import redis

            redis.Redis.from_url(env["COURSE_SERVICE_QUEUE_URL"]).flushdb()


def _memory(pid: int) -> dict:
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields


def _post(url, token, body=None, stream=None, headers=None):
    """One upload; the status, or the name of the error when the server closed the connection first."""
    try:
        if stream is not None:
            response = httpx.post(url, content=stream, timeout=120,
                                  headers={"Authorization": f"Bearer {token}",
                                           "Content-Type": "multipart/form-data; boundary=x", **(headers or {})})
        else:
            response = httpx.post(url, files={"file": ("big.zip", body, "application/zip")}, timeout=120,
                                  headers={"Authorization": f"Bearer {token}", **(headers or {})})
        return response.status_code, response.json().get("message", "")
    except httpx.HTTPError as exc:  # the server answered early and closed while we were still sending
        return type(exc).__name__, ""


def _announced(stack, token, length):
    """A request that announces ``length`` bytes and sends 1 KiB: the status the server answers."""
    head = (f"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", stack.port), timeout=60) as conn:
        conn.sendall(head + b"x" * 1024)
        answer = conn.recv(200).decode("latin-1")
    return int(answer.split()[1]), ""


def _flood(n, target):
    out, threads = [], []

    def run(i):
        try:
            out.append(target(i))
        except Exception as exc:
            out.append((type(exc).__name__, str(exc)))

    for i in range(n):
        threads.append(threading.Thread(target=run, args=(i,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == n
    return out


def test_parallel_oversized_uploads_leave_no_files_and_no_memory_behind(upload_stack):
    stack = upload_stack
    runtime = runtime_of(stack)
    tokens = {}
    with runtime.db.write() as session:
        for sid in ("full", "fresh"):
            user = User(student_id=sid, name=sid, email=f"{sid}@example.com", role="student")
            session.add(user)
            session.flush()
            tokens[sid] = accounts.new_api_token(session, user)
    url = stack.url + "/api/submissions"
    first = httpx.post(url, files={"file": ("a.zip", stub_zip("full"), "application/zip")},
                       headers={"Authorization": f"Bearer {tokens['full']}"}, timeout=60)
    assert first.status_code == 202  # "full" has used its one submission of the day
    data_dir = stack.data_dir
    stored = _files(data_dir / "submissions", "submission.zip")
    pid = stack.procs["web"].pid
    baseline = _memory(pid)["VmRSS"]

    body = os.urandom(29 * MiB)
    # 16 parallel 29 MiB uploads of a student without quota: refused before the body is read
    refused = _flood(16, lambda i: _post(url, tokens["full"], body=body))
    assert all(status in (429, "WriteError", "RemoteProtocolError", "ReadError") for status, _ in refused), refused
    assert any(status == 429 and "使い切りました" in message for status, message in refused)

    # 8 parallel chunked uploads of 40 MiB (no Content-Length): cut off at the limit, 413 in Japanese;
    # one upload per account at a time, the others refused at once
    def chunks():
        yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
               b"Content-Type: application/zip\r\n\r\n")
        for _ in range(40):
            yield b"\0" * MiB

    cut = _flood(8, lambda i: _post(url, tokens["fresh"], stream=chunks()))
    statuses = [status for status, _ in cut]
    assert set(statuses) <= {413, 429, "WriteError", "RemoteProtocolError", "ReadError"}, cut
    assert any(status == 413 and "大きすぎます" in message for status, message in cut), cut
    # 8 parallel uploads announcing 40 MiB: refused from the header
    announced = _flood(8, lambda i: _announced(stack, tokens["fresh"], 40 * MiB))
    assert [status for status, _ in announced] == [413] * 8, announced

    memory = _memory(pid)
    print(f"web process: {baseline / MiB:.0f} MiB before, peak {memory['VmHWM'] / MiB:.0f} MiB after; "
          f"no quota {sorted(map(str, (s for s, _ in refused)))}, chunked {sorted(map(str, statuses))}")
    assert memory["VmHWM"] - baseline < 150 * MiB, (baseline, memory)  # the old code grew by 350 MiB
    assert _files(data_dir / "incoming") == []
    assert _files(data_dir / "submissions", "submission.zip") == stored
    assert _files(stack.web_tmp) == []
    # nothing was counted: "fresh" still has its submission of the day
    ok = httpx.post(url, files={"file": ("ok.zip", stub_zip("fresh"), "application/zip")},
                    headers={"Authorization": f"Bearer {tokens['fresh']}"}, timeout=60)
    assert ok.status_code == 202, ok.text
    runtime.db.dispose()
