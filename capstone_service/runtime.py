"""What every process of the service holds: settings, the database and the queue."""

from __future__ import annotations

import importlib
from functools import cached_property

from .config import Settings, load_settings, private_dir
from .db import Database


class Runtime:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()
        # everybody's zips, reports and (on SQLite) the database: readable by the service's user only
        for folder in (self.settings.data_dir, self.settings.blob_dir, self.settings.picture_dir,
                       self.settings.incoming_dir):
            private_dir(folder)

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def queue(self):
        from .queue import Queue

        return Queue(self.settings)


def resolve(path: str):
    """"package.module:function" -> the function."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
