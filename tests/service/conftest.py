"""Fixtures of the service tests: a migrated SQLite service in a temporary directory, users,
clients, and throwaway PostgreSQL / Redis servers (a missing server binary fails the tests)."""

from __future__ import annotations

import uuid

import pytest

from .support import PASSWORD, STUB, Postgres, Redis


@pytest.fixture(params=["embedded", "scaled"])
def settings(request, tmp_path):
    """The service's settings on the embedded stack (SQLite, Huey on SQLite) and on the scaled-out
    one (a fresh PostgreSQL database, Huey on Redis): every in-process test runs on both."""
    from capstone_service.config import load_settings

    extra = {}
    if request.param == "scaled":
        postgres = request.getfixturevalue("postgres")
        redis_server = request.getfixturevalue("redis_server")
        extra = {"database_url": postgres.new_database(f"t_{uuid.uuid4().hex[:16]}"), "queue_url": redis_server.url}
    yield load_settings(data_dir=tmp_path / "data", secret_key="test-secret", scorer=STUB, argon2_time_cost=1,
                        base_url="http://testserver", **extra)
    if request.param == "scaled":
        import redis

        redis.Redis.from_url(extra["queue_url"]).flushdb()


@pytest.fixture
def runtime(settings):
    from capstone_service.migrate import upgrade
    from capstone_service.runtime import Runtime

    upgrade(settings.database_url)
    runtime = Runtime(settings)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def make_user(runtime):
    from capstone_service import accounts
    from capstone_service.models import User

    def make(student_id: str, role: str = "student", name: str | None = None, password: str | None = PASSWORD,
             email: str | None = None) -> int:
        with runtime.db.write() as session:
            user = User(student_id=student_id, name=name or f"受講者 {student_id}", role=role,
                        email=email or f"{student_id}@example.com",
                        password_hash=accounts.hasher(runtime.settings).hash(password) if password else None)
            session.add(user)
            session.flush()
            return user.id

    return make


@pytest.fixture
def client_for(runtime):
    from fastapi.testclient import TestClient

    from capstone_service.web import create_app

    app = create_app(runtime.settings)
    clients = []

    def make():
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def postgres():
    try:
        server = Postgres().start()
    except FileNotFoundError as exc:  # the set-up installs it (scripts/setup-system.sh): a missing one fails
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    try:
        server = Redis().start()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
