"""Submission zips on disk, named by their SHA-256 and never overwritten.

The layout is the offline scorer's archive (``autograder.capstone.score.archive``):
``<data>/submissions/<sha256>/submission.zip`` beside ``report-v<scorer version>.json``/``.txt``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")


def blob_folder(blob_dir: Path, sha256: str) -> Path:
    if not _SHA.match(sha256):
        raise ValueError("not a sha256")
    return Path(blob_dir) / sha256


def store_zip(blob_dir: Path, data: bytes) -> str:
    """Write ``data`` once (atomically) and return its SHA-256."""
    sha256 = hashlib.sha256(data).hexdigest()
    folder = blob_folder(blob_dir, sha256)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "submission.zip"
    if path.exists():
        return sha256
    tmp = folder / f".submission.zip.{os.getpid()}.{os.urandom(4).hex()}"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # fails instead of replacing a zip another process stored first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return sha256


def read_zip(blob_dir: Path, sha256: str) -> bytes:
    data = (blob_folder(blob_dir, sha256) / "submission.zip").read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"stored zip {sha256} does not match its name")
    return data
