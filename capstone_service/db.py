"""Engines and transactions.

SQLite runs in WAL mode with a busy timeout; a *write* transaction starts with
``BEGIN IMMEDIATE`` so two transactions that read then write (the quota check and the insert)
are serialized instead of failing on a lock upgrade. On PostgreSQL the same code takes a row
lock (``SELECT … FOR UPDATE``) where it matters.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                               pool_size=20, max_overflow=40)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            private_files(make_url(url).database)

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def private_files(database: str | None) -> None:
    """An SQLite database and its WAL files: readable and writable by the service's user only."""
    if not database or database == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        try:
            if os.stat(database + suffix).st_mode & 0o777 != 0o600:
                os.chmod(database + suffix, 0o600)
        except FileNotFoundError:
            pass


class Database:
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)

    @contextmanager
    def read(self):
        with self._read() as session:
            yield session

    @contextmanager
    def write(self):
        """One transaction that commits at the end (BEGIN IMMEDIATE on SQLite)."""
        with self._write() as session, session.begin():
            yield session

    def session(self) -> Session:
        return self._read()

    def dispose(self) -> None:
        self.engine.dispose()
