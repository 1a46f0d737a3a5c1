"""Safe extraction of a capstone submission zip.

Nothing in the archive is trusted: sizes are counted while decompressing (not taken from the
headers), and the archive is refused before anything is written when it is too large, holds
too many files, absolute or ``..`` paths, links or device entries, encrypted entries,
duplicate names or names that are not plain relative paths. The submission folder is the
directory that holds ``submit_katakana.ipynb`` (the root of the zip or one folder inside it).
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from course.katakana import MAX_FILES, MAX_UNPACKED_BYTES, MAX_ZIP_BYTES, NOTEBOOK_NAME

MAX_RATIO = 200  # uncompressed / compressed, for entries larger than RATIO_FLOOR
RATIO_FLOOR = 1024 ** 2
MAX_DEPTH = 8
MAX_NAME = 255
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store"}
CHUNK = 1024 * 1024


class SubmissionRejected(Exception):
    """The zip cannot be scored; ``kind`` is one of bad_zip, too_large, unsafe_zip, missing_notebook."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Unpacked:
    folder: Path  # the directory holding submit_katakana.ipynb
    files: list[str]  # paths relative to ``folder``, sorted
    total_bytes: int


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's relative path, None for entries to ignore; raises for unsafe names."""
    name = info.filename
    if "\\" in name or "\x00" in name or len(name) > 1024:
        raise SubmissionRejected("unsafe_zip", f"zip の中のファイル名 {name!r} は使えません（\\ や制御文字を含む名前）。")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise SubmissionRejected("unsafe_zip", f"zip の中に絶対パス {name!r} があります。提出フォルダの中身だけを zip にしてください。")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise SubmissionRejected("unsafe_zip", f"zip の中のファイル名 {name!r} に .. が含まれています。")
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_NAME for p in parts) or len(parts) > MAX_DEPTH:
        raise SubmissionRejected("unsafe_zip", f"zip の中のファイル名 {name!r} が長すぎるか、フォルダが深すぎます。")
    if not parts or any(p in IGNORED_PARTS or p.startswith("._") for p in parts):
        return None
    return PurePosixPath(*parts)


def _check_entry_type(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        raise SubmissionRejected("unsafe_zip", f"zip の中にシンボリックリンク {info.filename!r} があります。実体のファイルを入れてください。")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise SubmissionRejected("unsafe_zip", f"zip の中の {info.filename!r} は通常のファイルではありません。")
    if info.flag_bits & 0x1:
        raise SubmissionRejected("unsafe_zip", f"zip の中の {info.filename!r} は暗号化されています。パスワードなしの zip にしてください。")


def unpack_submission(data: bytes, dest: Path) -> Unpacked:
    """Check and extract the zip ``data`` into the empty directory ``dest``."""
    if len(data) > MAX_ZIP_BYTES:
        raise SubmissionRejected("too_large", f"zip が大きすぎます（{len(data) / 2**20:.1f} MiB、上限 {_mb(MAX_ZIP_BYTES)}）。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionRejected("bad_zip", f"zip ファイルとして読めません（{exc}）。make_submission_zip で作り直してください。") from None

    entries: list[tuple[PurePosixPath, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    declared = 0
    for info in infos:
        _check_entry_type(info)
        path = _entry_path(info)
        if path is None or info.is_dir():
            continue
        key = str(path).casefold()
        if key in seen:
            raise SubmissionRejected("unsafe_zip", f"zip の中に同じ名前のファイル {path} が複数あります。")
        seen.add(key)
        entries.append((path, info))
        declared += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SubmissionRejected("unsafe_zip", f"{path} の圧縮率が異常です（zip 爆弾の疑い）。")
    if len(entries) > MAX_FILES:
        raise SubmissionRejected("unsafe_zip", f"ファイルが多すぎます（{len(entries)} 個、上限 {MAX_FILES} 個）。")
    if declared > MAX_UNPACKED_BYTES:
        raise SubmissionRejected("too_large", f"展開後の合計が大きすぎます（{declared / 2**20:.1f} MiB、上限 {_mb(MAX_UNPACKED_BYTES)}）。")

    notebooks = [p for p, _ in entries if p.name == NOTEBOOK_NAME]
    if not notebooks:
        others = sorted(str(p) for p, _ in entries if p.suffix == ".ipynb")
        hint = f"（zip にあるノートブック: {', '.join(others)}。名前を {NOTEBOOK_NAME} にしてください）" if others else ""
        raise SubmissionRejected("missing_notebook", f"zip の中に {NOTEBOOK_NAME} がありません{hint}。")
    if len(notebooks) > 1:
        raise SubmissionRejected("missing_notebook", f"zip の中に {NOTEBOOK_NAME} が複数あります（{', '.join(map(str, notebooks))}）。1 つにしてください。")
    base = notebooks[0].parent

    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    written = []
    for path, info in entries:
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue  # outside the submission folder: not part of the submission
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        size = 0
        try:
            with archive.open(info) as src, os.fdopen(fd, "wb") as out:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if size > info.file_size or total > MAX_UNPACKED_BYTES:
                        raise SubmissionRejected("unsafe_zip", f"{path} を展開すると申告より大きくなります（zip 爆弾の疑い）。")
                    out.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise SubmissionRejected("bad_zip", f"zip の中の {path} を展開できません（{exc}）。") from None
        written.append(rel.as_posix())
    return Unpacked(folder=dest, files=sorted(written), total_bytes=total)
