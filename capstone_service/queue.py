"""The job queue (Huey): SQLite storage embedded by default, Redis when scaled out.

Only ids travel through the queue, serialized as JSON (no pickle); the database holds the
truth (status, lease). A message that is lost (a broker restart, a crash between commit and
enqueue) is found again by ``submissions.recover``, and a duplicate message is harmless: a
worker must *claim* the job in the database before scoring it.
"""

from __future__ import annotations

import datetime as dt
import json

from huey import RedisHuey, SqliteHuey
from huey.registry import Message
from huey.serializer import Serializer

from .config import Settings

SCORE_TASK = "score"
MAIL_TASK = "mail"
_HANDLERS: dict = {}


class JsonSerializer(Serializer):
    """Huey messages as JSON: the queue never unpickles anything."""

    def _serialize(self, data) -> bytes:
        if not isinstance(data, Message):
            raise TypeError(f"only task messages go through the queue, not {type(data).__name__}")
        if data.on_complete is not None or data.on_error is not None or data.chord_config is not None:
            raise TypeError("pipelines are not used")
        fields = data._asdict()
        for key in ("eta", "expires_resolved"):
            if isinstance(fields[key], dt.datetime):
                fields[key] = {"datetime": fields[key].isoformat()}
        return json.dumps(fields).encode("utf-8")

    def _deserialize(self, data: bytes):
        fields = json.loads(data.decode("utf-8"))
        for key in ("eta", "expires_resolved"):
            if isinstance(fields.get(key), dict):
                fields[key] = dt.datetime.fromisoformat(fields[key]["datetime"])
        fields["args"] = tuple(fields.get("args") or ())
        return Message(**{k: fields.get(k) for k in Message._fields})


def make_huey(settings: Settings):
    url = settings.queue_url
    common = dict(results=False, serializer=JsonSerializer(), utc=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("capstone", url=url, blocking=True, read_timeout=1, **common)
    if url == "sqlite":
        path = settings.data_dir / "queue.db"
    elif url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    else:
        raise ValueError(f"COURSE_SERVICE_QUEUE_URL: unknown queue {url!r} (sqlite, sqlite:///path or redis://…)")
    from .config import private_dir
    from .db import private_files

    private_dir(settings.data_dir)
    huey = SqliteHuey("capstone", filename=str(path), timeout=60, **common)
    huey.storage.conn  # create the file now, then make it private
    private_files(str(path))
    return huey


def score(submission_id):
    return _HANDLERS[SCORE_TASK](int(submission_id))


def mail(mail_id):
    return _HANDLERS[MAIL_TASK](int(mail_id))


def _missing(*_args):
    raise RuntimeError("queue tasks run in a worker (course-service-worker)")


class Queue:
    """The queue as the web process, the worker and the maintenance loop use it."""

    def __init__(self, settings: Settings, huey=None):
        self.huey = huey or make_huey(settings)
        self._score = self.huey.task(name=SCORE_TASK)(score)
        self._mail = self.huey.task(name=MAIL_TASK)(mail)

    @staticmethod
    def handle(score_handler=_missing, mail_handler=_missing) -> None:
        _HANDLERS[SCORE_TASK], _HANDLERS[MAIL_TASK] = score_handler, mail_handler

    def enqueue_score(self, submission_id: int) -> None:
        self._score(int(submission_id))

    def enqueue_mail(self, mail_id: int) -> None:
        self._mail(int(mail_id))

    def pending_submission_ids(self) -> set[int]:
        return {int(task.args[0]) for task in self.huey.pending()
                if task.name == self._score.task_class.__name__ and task.args}

    def pending(self) -> int:
        return self.huey.pending_count()
