"""Helpers of the service tests: sample zips, logged-in clients, throwaway servers (the service's
own processes, PostgreSQL, Redis, an SMTP server)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import httpx

from ..capstone_support import make_zip, model_bytes, notebook, submission, train_softmax_regression

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "service"
STUB = "tests.service.stub_scorer:score"
PASSWORD = "correct-horse-battery"


@lru_cache(maxsize=1)
def model() -> bytes:
    return model_bytes(train_softmax_regression())


def real_zip(extra: dict | None = None) -> bytes:
    """A zip that the real scorer scores (the answer notebook and a softmax-regression model)."""
    return submission(notebook("answer"), model(), extra=extra)


def stub_zip(tag: str = "", **markers) -> bytes:
    """A valid submission for the stub scorer; ``tag`` makes the bytes unique."""
    files = {"submit_katakana.ipynb": _answer_text(), "nonce.txt": tag or str(time.time_ns())}
    files.update({f"stub_{name}.txt": str(value) for name, value in markers.items()})
    return make_zip(files)


@lru_cache(maxsize=1)
def _answer_text() -> str:
    import nbformat

    return nbformat.writes(notebook("answer"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, student_id: str, password: str = PASSWORD):
    page = client.get("/login")
    response = client.post("/login", data={"student_id": student_id, "password": password, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def service_env(settings_env: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_SERVICE_")}
    env.update(settings_env)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Stack:
    """The service's own processes (web, workers, SMTP sink) on loopback, with one configuration."""

    def __init__(self, data_dir: Path, env: dict, web_processes: int = 1):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.smtp_port = int(env.get("COURSE_SERVICE_SMTP_PORT") or free_port())
        self.env = service_env({
            "COURSE_SERVICE_DATA_DIR": str(self.data_dir),
            "COURSE_SERVICE_BASE_URL": f"http://127.0.0.1:{self.port}",
            "COURSE_SERVICE_SMTP_PORT": str(self.smtp_port),
            "COURSE_SERVICE_SECRET_KEY": "test-secret",
            "COURSE_SERVICE_ARGON2_TIME_COST": "1",
            "COURSE_SERVICE_MAINTENANCE_SECONDS": "1",
            "COURSE_SERVICE_MAIL_RETRY_SECONDS": "1",
            **env,
        })
        self.web_processes = web_processes
        self.procs: dict[str, subprocess.Popen] = {}
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = self.data_dir / "mail"
        self.logs = self.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", *args], cwd=REPO, env=self.env, stdout=log, stderr=log,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def migrate(self):
        subprocess.run([sys.executable, "-m", "capstone_service.migrate"], cwd=REPO, env=self.env, check=True,
                       capture_output=True)

    def start_sink(self):
        self._spawn("smtp", ["capstone_service.smtp_sink", "--dir", str(self.mail_dir), "--port", str(self.smtp_port)])
        wait_for(lambda: _port_open(self.smtp_port), 15, what="the SMTP sink")

    def start_web(self):
        self._spawn("web", ["capstone_service.web", "--port", str(self.port), "--workers", str(self.web_processes)])
        wait_for(lambda: _healthy(self.url), 120, what="the web server")  # start-up takes ~30 s on a loaded machine

    def start_worker(self, name: str = "worker"):
        return self._spawn(name, ["capstone_service.worker", "--name", name])

    def start(self, workers: int = 1, sink: bool = True):
        self.migrate()
        if sink:
            self.start_sink()
        for i in range(workers):
            self.start_worker(f"worker{i + 1}")
        self.start_web()
        return self

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 15):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def kill(self, name: str):
        self.stop(name, signal.SIGKILL)

    def close(self):
        for name in list(self.procs):
            self.stop(name)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def mails(self) -> list:
        import email
        from email import policy

        if not self.mail_dir.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.mail_dir.glob("*.eml"))]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# ------------------------------------------------------------------------------ PostgreSQL, Redis

def _postgres_bin(name: str) -> str | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, on a free loopback port."""

    def __init__(self):
        self.initdb, self.pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
        if not self.initdb or not self.pg_ctl:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
        self.dir = Path(tempfile.mkdtemp(prefix="capstone-pg-"))
        self.port = free_port()
        self.run_as = []
        if os.geteuid() == 0:  # the server refuses to run as root
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        data = self.dir / "data"
        subprocess.run([*self.run_as, self.initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True)
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        subprocess.run([*self.run_as, self.pg_ctl, "-D", str(data), "-o", options, "-l", str(self.dir / "log"), "-w",
                        "start"], check=True, capture_output=True)
        return self

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        subprocess.run([*self.run_as, self.pg_ctl, "-D", str(self.dir / "data"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise FileNotFoundError("redis-server not found: apt-get install redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="capstone-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _port_open(self.port), 10, what="redis-server")
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
