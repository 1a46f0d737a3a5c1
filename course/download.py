"""Find, verify and download the course's data files.

One mechanism for every data set: a data directory taken from an environment variable
(otherwise a per-user cache), SHA-256 verification, and downloads from a list of mirrors
written atomically (temporary file + rename), so an interrupted download never leaves a
half file that looks complete.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class DataNotAvailableError(RuntimeError):
    """The data file is neither on disk nor downloadable (message in Japanese and English)."""


@dataclass(frozen=True)
class DataFile:
    name: str
    sha256: str
    mirrors: tuple[str, ...]  # base URLs; the file name is appended


def data_dir(env_var: str, subdir: str) -> Path:
    """The directory that holds a data set: ``$env_var`` if set, else the user cache."""
    configured = os.environ.get(env_var)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "genba-dl-course" / subdir


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path, timeout: float, sha256: str) -> bool:
    """Download ``url`` to ``target`` atomically; the file only appears when its SHA-256 matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: its 0600 mode would make a file downloaded into a shared data
    # directory unreadable for other users; os.open with 0o666 honours the umask instead.
    tmp = str(target.parent / f"{target.name}.{secrets.token_hex(8)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                out.write(block)
        if sha256_of(Path(tmp)) != sha256:
            return False
        os.replace(tmp, target)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_file(spec: DataFile, directory: Path, env_var: str, timeout: float = 30.0) -> Path:
    """Return the verified path of ``spec`` in ``directory``, downloading it if needed."""
    path = directory / spec.name
    if path.exists():
        actual = sha256_of(path)
        if actual == spec.sha256:
            return path
        if os.access(directory, os.W_OK):
            # A corrupt or truncated file: replace it from a mirror below.
            path.unlink()
        else:
            raise DataNotAvailableError(
                f"{path} のチェックサムが一致しません（壊れているか別のファイルです）。"
                f"正しいファイルに置き換えてください。\n"
                f"SHA-256 mismatch for {path}: expected {spec.sha256}, got {actual}."
            )
    errors = []
    for base in spec.mirrors:
        url = base.rstrip("/") + "/" + spec.name
        try:
            complete = _download(url, path, timeout, spec.sha256)
        # http.client.HTTPException: e.g. IncompleteRead from a cut-off chunked response or a
        # garbled status line; neither is an OSError, and the next mirror must still be tried.
        except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as exc:
            errors.append(f"{url}: {exc}")
            continue
        if complete:
            return path
        errors.append(f"{url}: SHA-256 mismatch")
    tried = "\n  ".join(errors) or "(no mirror configured)"
    raise DataNotAvailableError(
        f"データファイル {spec.name} が見つからず、ダウンロードもできませんでした。\n"
        f"ファイルを {directory} に置くか、環境変数 {env_var} に置き場所を指定してください。\n"
        f"Data file {spec.name} is missing and could not be downloaded.\n"
        f"Put it into {directory} or point the environment variable {env_var} at its directory.\n"
        f"Tried:\n  {tried}"
    )
