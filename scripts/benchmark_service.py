"""Load benchmark of the submission service on loopback (a script, not a timed test).

    .venv/bin/python scripts/benchmark_service.py [--students 100] [--spread 60] [--workers 2]

Starts its own service (embedded defaults in a temporary directory, or --database-url /
--queue-url for the scaled-out configuration), creates the students, and has each of them
submit a small real model (a softmax regression; the real scorer in the sandbox) at a random
moment within --spread seconds, while a prober keeps loading pages. It then waits for the
queue to drain and prints p50/p95 page latency (during the load), submit latency, queue wait
(accepted → scoring started) and jobs per minute. Bounded: --students (at most 500) and
--limit seconds for the whole run; every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the submissions arrive")
    parser.add_argument("--workers", type=int, default=2, help="scoring worker processes")
    parser.add_argument("--limit", type=float, default=1800.0, help="give up after this many seconds in all")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--queue-url", default=None)
    parser.add_argument("--stub", action="store_true", help="a stand-in scorer (measures the service, not scoring)")
    parser.add_argument("--keep", action="store_true", help="keep the service's folder (logs, database) afterwards")
    args = parser.parse_args()
    args.students = max(1, min(args.students, 500))
    sys.path.insert(0, str(REPO)) if str(REPO) not in sys.path else None
    from tests.service.support import STUB, Stack, real_zip, stub_zip

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="capstone-bench-"))
    env = {"COURSE_SERVICE_LOGIN_ATTEMPTS_PER_IP": "100000"}
    if args.database_url:
        env["COURSE_SERVICE_DATABASE_URL"] = args.database_url
    if args.queue_url:
        env["COURSE_SERVICE_QUEUE_URL"] = args.queue_url
    if args.stub:
        env["COURSE_SERVICE_SCORER"] = STUB
    stack = Stack(data_dir / "service", env).start(workers=args.workers)
    print(f"service at {stack.url} ({args.workers} workers), data in {data_dir}", flush=True)
    try:
        from capstone_service import accounts
        from capstone_service.config import load_settings
        from capstone_service.models import Submission, User
        from capstone_service.runtime import Runtime

        runtime = Runtime(load_settings(data_dir=stack.env["COURSE_SERVICE_DATA_DIR"], secret_key="test-secret",
                                        database_url=env.get("COURSE_SERVICE_DATABASE_URL")
                                        or f"sqlite:///{stack.env['COURSE_SERVICE_DATA_DIR']}/service.db",
                                        queue_url=env.get("COURSE_SERVICE_QUEUE_URL", "sqlite")))
        tokens = []
        with runtime.db.write() as session:
            for i in range(args.students):
                user = User(student_id=f"b{i:04d}", name=f"負荷 {i:04d}", email=f"b{i:04d}@example.com", role="student")
                session.add(user)
                session.flush()
                tokens.append(accounts.new_api_token(session, user))
        base = real_zip() if not args.stub else None
        zips = [stub_zip(f"bench-{i}") if args.stub else _with_nonce(base, i) for i in range(args.students)]

        page_latency, submit_latency, failures = [], [], []
        stop = threading.Event()

        def probe():
            with httpx.Client(base_url=stack.url, timeout=30) as client:
                headers = {"Authorization": f"Bearer {tokens[0]}"}
                paths = ["/api/leaderboard", "/help", "/login", "/api/submissions"]
                n = 0
                while not stop.is_set():
                    path = paths[n % len(paths)]
                    n += 1
                    t0 = time.perf_counter()
                    response = client.get(path, headers=headers)
                    page_latency.append(time.perf_counter() - t0)
                    if response.status_code != 200:
                        failures.append(f"GET {path}: {response.status_code}")
                    time.sleep(0.1)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        schedule = sorted(random.Random(0).uniform(0, args.spread) for _ in range(args.students))
        t_start = time.monotonic()

        # one client for every submitter (a client per request would measure its own TLS set-up)
        submitter = httpx.Client(base_url=stack.url, timeout=60, limits=httpx.Limits(max_connections=32))
        submitter.get("/healthz")

        busy = []

        def submit(i):
            time.sleep(max(0.0, t_start + schedule[i] - time.monotonic()))
            t0 = time.perf_counter()
            while True:  # 503: too many uploads in flight on the server; a client waits and sends again
                response = submitter.post("/api/submissions", headers={"Authorization": f"Bearer {tokens[i]}"},
                                          files={"file": ("katakana.zip", zips[i], "application/zip")})
                if response.status_code != 503:
                    break
                busy.append(i)
                time.sleep(float(response.headers.get("retry-after", "1")) / 10)
            submit_latency.append(time.perf_counter() - t0)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"submit {i} at {time.monotonic() - t_start:.2f}s took {submit_latency[-1]:.3f}s", flush=True)
            if response.status_code != 202:
                failures.append(f"submit {i}: {response.status_code} {response.text[:200]}")

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(submit, range(args.students)))
        submitter.close()
        accepted_by = time.monotonic() - t_start
        print(f"{args.students - len([f for f in failures if f.startswith('submit')])} of {args.students} "
              f"submissions accepted within {accepted_by:.1f} s ({len(busy)} times told to wait: uploads in flight)",
              flush=True)
        load_latency = list(page_latency)
        while time.monotonic() - started < args.limit:
            with runtime.db.read() as session:
                pending = session.query(Submission).filter(Submission.status.in_(("accepted", "queued", "running"))).count()
            if not pending:
                break
            time.sleep(1)
        stop.set()
        with runtime.db.read() as session:
            subs = session.query(Submission).all()
        done = [s for s in subs if s.status in ("scored", "failed")]
        waits = [(s.started_at - s.accepted_at).total_seconds() for s in done if s.started_at]
        first = min((s.started_at for s in done if s.started_at), default=None)
        last = max((s.finished_at for s in done if s.finished_at), default=None)
        span = (last - first).total_seconds() if first and last else float("nan")
        print("\nresults")
        print(f"  submissions: {len(subs)} accepted, {len(done)} finished "
              f"({sum(s.status == 'scored' for s in subs)} scored, {sum(s.status == 'failed' for s in subs)} failed), "
              f"{len(subs) - len(done)} unfinished when the run ended")
        print(f"  page latency while loaded: p50 {percentile(load_latency, 50) * 1000:.0f} ms, "
              f"p95 {percentile(load_latency, 95) * 1000:.0f} ms ({len(load_latency)} requests)")
        print(f"  submit latency: p50 {percentile(submit_latency, 50) * 1000:.0f} ms, "
              f"p95 {percentile(submit_latency, 95) * 1000:.0f} ms")
        print(f"  queue wait (accepted → scoring started): p50 {percentile(waits, 50):.1f} s, "
              f"p95 {percentile(waits, 95):.1f} s, max {max(waits, default=float('nan')):.1f} s")
        print(f"  throughput: {len(done) / span * 60 if span and span == span else float('nan'):.1f} jobs/min "
              f"with {args.workers} workers")
        if failures:
            print(f"  errors: {len(failures)}; first: {failures[:3]}")
        runtime.db.dispose()
        return 0 if not failures and len(done) == len(subs) == args.students else 1
    finally:
        stack.close()
        if args.keep:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def _with_nonce(data: bytes, i: int) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr("student.txt", f"{i}\n")
    return buffer.getvalue()


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    raise SystemExit(main())
