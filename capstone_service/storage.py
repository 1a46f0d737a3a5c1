"""Submission zips on disk, named by their SHA-256 and never overwritten.

The layout is the offline scorer's archive (``autograder.capstone.score.archive``):
``<data>/submissions/<sha256>/submission.zip`` beside ``report-v<scorer version>.json``/``.txt``.
An upload is first streamed into ``<data>/incoming/`` (hashed on the way, cut off at the size
limit), then linked into the store inside the transaction that counts it; the incoming file is
always deleted afterwards, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .config import private_dir

_SHA = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 ** 2


def blob_folder(blob_dir: Path, sha256: str) -> Path:
    if not _SHA.match(sha256):
        raise ValueError("not a sha256")
    return Path(blob_dir) / sha256


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


@dataclass
class Incoming:
    """An upload received into the incoming folder (not yet in the store)."""
    path: Path
    sha256: str
    size: int

    def read(self) -> bytes:
        return self.path.read_bytes()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def receive(source, incoming_dir: Path, limit: int) -> Incoming:
    """Copy ``source`` (bytes or a binary file) into a new private file under ``incoming_dir``,
    hashing it on the way; more than ``limit`` bytes → TooLarge (and the partial file is gone)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    private_dir(incoming_dir)
    path = Path(incoming_dir) / f"upload-{os.getpid()}-{os.urandom(8).hex()}.zip"
    digest, size = hashlib.sha256(), 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(limit)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Incoming(path, digest.hexdigest(), size)


def store(blob_dir: Path, incoming: Incoming) -> bool:
    """Link an incoming file into the store under its SHA-256; False when that zip was there already.

    Never replaces a stored zip (``os.link`` fails instead)."""
    folder = blob_folder(blob_dir, incoming.sha256)
    private_dir(folder)
    try:
        os.link(incoming.path, folder / "submission.zip")
    except FileExistsError:
        return False
    return True


def unstore(blob_dir: Path, sha256: str) -> None:
    """Undo ``store`` (the transaction that counted the zip did not commit)."""
    folder = blob_folder(blob_dir, sha256)
    (folder / "submission.zip").unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass


def store_zip(blob_dir: Path, data: bytes) -> str:
    """Write ``data`` once and return its SHA-256 (for tools; the web goes through ``receive``/``store``)."""
    incoming = receive(data, Path(blob_dir).parent / "incoming", len(data))
    try:
        store(blob_dir, incoming)
    finally:
        incoming.discard()
    return incoming.sha256


def read_zip(blob_dir: Path, sha256: str) -> bytes:
    data = (blob_folder(blob_dir, sha256) / "submission.zip").read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"stored zip {sha256} does not match its name")
    return data


def private_tree(folder: Path) -> None:
    """Make what the scorer's ``archive`` wrote under ``folder`` private (0600 files, 0700 folders)."""
    folder = Path(folder)
    if folder.is_dir():
        os.chmod(folder, 0o700)
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mode & 0o777 != 0o600:
                os.chmod(path, 0o600)
