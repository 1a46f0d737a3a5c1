"""Take submitted notebook files in: read them defensively and rebuild them on the instructor's copy.

A submission is untrusted bytes. ``read_submission`` turns it into a notebook or a clear
Japanese reason why not (not UTF-8, not JSON, not nbformat 4, ...). ``normalize`` rebuilds
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
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .notebook_cells import SKIP_TAG, TRAINEE_SUFFIX, grade_id, is_answer_cell

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


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


def read_submission(path: Path):
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"ファイルが大きすぎます（{size} バイト、上限 {MAX_NOTEBOOK_BYTES} バイト）。"
                              "出力をすべて消去（Clear All Outputs）してから提出してください。")
    raw = path.read_bytes()
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
        if gid is not None:
            notes.append(f"不明なセル {gid} は通常のセルとして扱いました。")
        cells.append(_plain_copy(cell))
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
    used: set[str] = set()
    for i, cell in enumerate(out.cells):
        cid = grade_id(cell) or cell.get("id") or f"cell-{i:03d}"
        if cid in used or not isinstance(cid, str):
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
