"""Take submitted notebook files in: read them defensively and rebuild them on the instructor's copy.

A submission is untrusted bytes. ``read_submission`` turns it into a notebook or a clear
Japanese reason why not (a link, a FIFO or device, too big, not UTF-8, not JSON, not nbformat 4,
...). Only regular files under the submissions root are read: every directory on the way is
opened without following links (``O_NOFOLLOW`` relative to its parent), the file itself too
(``O_NONBLOCK``, so a FIFO cannot block), and its type and size are checked on the opened
descriptor before a bounded read. ``normalize`` rebuilds
it on the instructor's source notebook so that nothing a student did to the structure can
confuse grading: the student's notebook is the base; answer cells keep the student's code
(matched by nbgrader grade_id; the first copy wins when duplicated); every other nbgrader
cell (locked prose and code, test cells) is the instructor's, whatever the student did to
its source, metadata or id, and comes back where it belongs when deleted; cells without
nbgrader metadata (demo code, notes, cells the student added) are the student's own and
are kept in place, as plain cells.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .notebook_cells import SKIP_TAG, TRAINEE_SUFFIX, grade_id, is_answer_cell

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 3000  # cells in a submitted file; more is not a notebook anybody wrote by hand
MAX_ADDED_CELLS = 300  # cells the student added; the rest are dropped with a note
CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

LINK_TEXT = ("{name} はリンク（シンボリックリンク）です。リンクは採点できません。"
             "ノートブックのファイルそのものを提出してください。")
HARDLINK_TEXT = ("{name} は他のファイルとつながったリンク（ハードリンク）です。"
                 "ノートブックをコピーした普通のファイルを提出してください。")
SPECIAL_TEXT = ("{name} は通常のファイルではありません（{kind}）。"
                "ノートブックのファイルそのものを提出してください。")
TOO_BIG_TEXT = ("ファイルが大きすぎます（{size} バイト、上限 {limit} バイト）。"
                "出力をすべて消去（Clear All Outputs）してから提出してください。")


class SubmissionError(Exception):
    """The file cannot be graded; the message (Japanese) goes to the student's feedback."""


@dataclass
class Normalized:
    notebook: object
    notes: list[str] = field(default_factory=list)


def notebook_name_for(filename: str, known: set[str]) -> str | None:
    """Map a submitted file name to the notebook it is: ``X_trainee.ipynb`` or ``X.ipynb``."""
    if not filename.endswith(".ipynb"):
        return None
    stem = filename[: -len(".ipynb")]
    if stem.endswith(TRAINEE_SUFFIX) and stem[: -len(TRAINEE_SUFFIX)] in known:
        return stem[: -len(TRAINEE_SUFFIX)]
    return stem if stem in known else None


def demo_notebook_note(filename: str, demos: set[str]) -> str | None:
    """The note for a submitted demo notebook (one without graded cells), or None for other files."""
    name = notebook_name_for(filename, demos)
    if name is None:
        return None
    return f"{filename} は採点のないデモのノートブック（{name}）です。提出は不要で、成績には影響しません。"


CLOSE_NAME = 0.75  # difflib ratio above which a file name is taken for a misspelling of a notebook's


def _closeness(stem: str, name: str) -> float:
    """How surely the file ``stem`` means notebook file ``name``: the difflib ratio, or CLOSE_NAME
    when the stem contains the notebook's topic (``softmax_kadai`` → ``1_4_softmax``)."""
    import difflib
    import re

    topic = re.sub(r"^\d+_\d+_", "", name.removesuffix(TRAINEE_SUFFIX))
    ratio = difflib.SequenceMatcher(None, stem, name).ratio()
    return max(ratio, CLOSE_NAME if len(topic) >= 5 and topic in stem else 0.0)


def suggest_name(filename: str, known: set[str], other_days: dict[str, str] | None = None) -> str:
    """A 'rename to …' hint for a file whose name matches no notebook of the day being graded.

    Only a close name of this day is suggested; a file that is (or is close to) a notebook of
    another day (``other_days``: notebook stem -> day) is said to belong to that day's grading.
    """
    stem = Path(filename).stem.replace(" ", "_")
    owner = {k: None for k in known} | {k: day for k, day in (other_days or {}).items() if k not in known}
    candidates = {name: day for k, day in owner.items() for name in (k + TRAINEE_SUFFIX, k)}
    scored = sorted(((_closeness(stem, name), name) for name in candidates), key=lambda x: -x[0])
    best = scored[0][1] if scored and scored[0][0] >= CLOSE_NAME else None
    if best is not None and candidates[best] is not None:
        return (f"ファイル {filename} は {candidates[best]} の課題です。{candidates[best]} の採点で採点されます"
                "（この採点には含めません）。")
    if best is not None:
        return f"ファイル名 {filename} はどの課題とも一致しません。{best}.ipynb に名前を変えて提出してください。"
    return (f"ファイル名 {filename} はどの課題とも一致しません。配布されたファイル名（例: "
            f"{sorted(known)[0]}{TRAINEE_SUFFIX}.ipynb）のまま提出してください。")


def _kind_text(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "名前付きパイプ"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "デバイス"
    if stat.S_ISSOCK(mode):
        return "ソケット"
    if stat.S_ISDIR(mode):
        return "フォルダ"
    return "特殊なファイル"


def _refuse(st: os.stat_result, name: str) -> None:
    """Raise the Japanese reason why the file with status ``st`` is not read (or return)."""
    if stat.S_ISLNK(st.st_mode):
        raise SubmissionError(LINK_TEXT.format(name=name))
    if not stat.S_ISREG(st.st_mode):
        raise SubmissionError(SPECIAL_TEXT.format(name=name, kind=_kind_text(st.st_mode)))
    if st.st_nlink != 1:
        raise SubmissionError(HARDLINK_TEXT.format(name=name))
    if st.st_size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(TOO_BIG_TEXT.format(size=st.st_size, limit=MAX_NOTEBOOK_BYTES))


def read_regular_file(path: Path, base: Path | None = None, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of ``path``, a regular file under the directory ``base`` (default: its own folder).

    No link is followed anywhere below ``base``; FIFOs, devices, sockets, hard links and files
    over ``limit`` bytes are refused with a Japanese ``SubmissionError``."""
    path = Path(path)
    base = Path(base) if base is not None else path.parent
    parts = path.relative_to(base).parts
    name = path.name
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
    fds = [os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        for part in parts[:-1]:
            try:
                fds.append(os.open(part, flags | os.O_DIRECTORY, dir_fd=fds[-1]))
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise SubmissionError(LINK_TEXT.format(name=part)) from None
                raise
        _refuse(os.stat(parts[-1], dir_fd=fds[-1], follow_symlinks=False), name)
        try:
            fd = os.open(parts[-1], flags | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fds[-1])
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # replaced by a link after the check
                raise SubmissionError(LINK_TEXT.format(name=name)) from None
            raise
        fds.append(fd)
        _refuse(os.fstat(fd), name)  # what was opened, whatever the name points to now
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise SubmissionError(TOO_BIG_TEXT.format(size=f"{total} 以上の", limit=limit))
        return b"".join(chunks)
    finally:
        for fd in fds:
            os.close(fd)


def read_submission(path: Path, base: Path | None = None):
    """Read the submitted file ``path`` (under the submissions root ``base``) as a notebook."""
    raw = read_regular_file(path, base)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"ファイルが UTF-8 ではありません（{exc.start} バイト目）。"
                              "Jupyter で開いて保存し直してから提出してください。") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"ファイルが壊れています（JSON として読めません: {exc.lineno} 行 {exc.colno} 列）。"
                              "Jupyter で開けるか確かめ、保存し直してから提出してください。") from None
    if not isinstance(data, dict):
        raise SubmissionError("ノートブックの形式ではありません。")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(f"ノートブックの形式のバージョンが {major} です。JupyterLab / Notebook 7 で保存し直してください（nbformat 4 が必要です）。")
    if not isinstance(data.get("cells"), list):
        raise SubmissionError("ノートブックの形式ではありません（cells がありません）。")
    if len(data["cells"]) > MAX_CELLS:
        raise SubmissionError(f"セルが多すぎます（{len(data['cells'])} 個、上限 {MAX_CELLS} 個）。"
                              "配布されたノートブックに解答を書き込んで提出してください。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate cell ids are handled by normalize()
            nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for broken structure
        raise SubmissionError(f"ノートブックの構造が壊れています（{type(exc).__name__}）。") from None
    for cell in nb.cells:
        if not isinstance(cell.get("source", ""), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise SubmissionError("ノートブックのセルの形式が壊れています。")
    return nb


def _plain_copy(cell):
    cell = copy.deepcopy(cell)
    cell.metadata = {}
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.pop("attachments", None)
    return cell


def normalize(submitted, source) -> Normalized:
    """Rebuild ``submitted`` on the instructor's ``source`` notebook (see module docstring)."""
    source_cells = {grade_id(c): c for c in source.cells if grade_id(c)}
    order = [grade_id(c) for c in source.cells if grade_id(c)]
    notes: list[str] = []
    cells: list = []
    seen: set[str] = set()
    added, dropped = 0, 0
    for cell in submitted.cells:
        gid = grade_id(cell)
        if gid in source_cells:
            if gid in seen:
                notes.append(f"セル {gid} が重複していたため、最初のものだけを使いました。")
                continue
            seen.add(gid)
            restored = copy.deepcopy(source_cells[gid])
            if is_answer_cell(restored):
                if cell.cell_type != restored.cell_type:
                    notes.append(f"解答セル {gid} の種類が変えられていたため、元の種類に戻しました。")
                restored.source = cell.source
            cells.append(restored)
            continue
        added += 1
        if added > MAX_ADDED_CELLS:
            dropped += 1
            continue
        if gid is not None:
            notes.append(f"不明なセル {str(gid)[:64]} は通常のセルとして扱いました。")
        cells.append(_plain_copy(cell))
    if dropped:
        notes.append(f"追加されたセルが多すぎるため（上限 {MAX_ADDED_CELLS} 個）、後ろの {dropped} 個は"
                     "採点でも実行せず、フィードバックにも載せていません。")
    # nbgrader cells the student deleted come back after the previous one that is present
    for i, gid in enumerate(order):
        if gid in seen:
            continue
        restored = copy.deepcopy(source_cells[gid])
        if is_answer_cell(restored):
            notes.append(f"解答セル {gid} が見つかりませんでした（未解答として扱います）。")
            restored.source = ""
        else:
            notes.append(f"セル {gid} が削除されていたため、元に戻しました。")
        previous = [g for g in order[:i] if g in seen]
        position = 0
        if previous:
            position = next(k for k, c in enumerate(cells) if grade_id(c) == previous[-1]) + 1
        cells.insert(position, restored)
        seen.add(gid)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    out = copy.deepcopy(source)
    out.cells = cells
    # Cell ids are the instructor's: a graded cell gets its grade_id, a cell with the id of one of
    # the instructor's other cells keeps it (demo cells), every other cell gets a generated id.
    instructor_ids = {c.get("id") for c in source.cells if not grade_id(c) and isinstance(c.get("id"), str)}
    used: set[str] = set()
    for i, cell in enumerate(out.cells):
        cid = grade_id(cell) or (cell.get("id") if cell.get("id") in instructor_ids else None)
        if not isinstance(cid, str) or not CELL_ID.match(cid) or cid in used:
            cid = f"cell-{i:03d}"
        while cid in used:
            cid += "-x"
        used.add(cid)
        cell.id = cid
    return Normalized(out, notes)


def skip_demo_cells(nb, source, tag: str = SKIP_TAG) -> int:
    """Replace the instructor-tagged demo cells the student left unchanged by ``pass``."""
    tagged = {c.get("id"): c.source for c in source.cells
              if c.cell_type == "code" and tag in c.get("metadata", {}).get("tags", []) and not grade_id(c)}
    skipped = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and not grade_id(cell) and tagged.get(cell.get("id")) == cell.source:
            cell.source = "pass  # デモ用のセル（採点では実行しません）"
            skipped += 1
    return skipped
