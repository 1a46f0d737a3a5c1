"""Grade one submitted notebook: intake, sandboxed execution, verdicts decided here.

The result is plain JSON-able data (verdict per test cell, the status of the run, notes about
the file, the sanitized outputs of the other cells) that the nbgrader stage turns into
scores and feedback.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import nbformat

from .checks import registry
from .course_view import hidden_modules
from .execute import KernelSupply, Limits, run_notebook
from .intake import SubmissionError, normalize, read_submission, skip_demo_cells
from .notebook_cells import grade_id, is_test_cell
from .probes import STATUS_TEXT, decide, expressions, instrument

KEEP_MIME = ("text/plain", "image/png")
MAX_TEXT = 20_000
MAX_IMAGE = 1_000_000


def sanitize_outputs(outputs) -> list[dict]:
    """Keep what feedback can show safely: text (truncated) and PNG images; never HTML/JS."""
    kept = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            kept.append({"output_type": "stream", "name": out.get("name", "stdout"),
                         "text": str(out.get("text", ""))[:MAX_TEXT]})
        elif kind == "error":
            kept.append({"output_type": "error", "ename": str(out.get("ename", ""))[:200],
                         "evalue": str(out.get("evalue", ""))[:MAX_TEXT],
                         "traceback": [str(t)[:MAX_TEXT] for t in out.get("traceback", [])[-20:]]})
        elif kind in ("display_data", "execute_result"):
            data = {}
            for mime in KEEP_MIME:
                value = out.get("data", {}).get(mime)
                if isinstance(value, str) and len(value) <= (MAX_IMAGE if mime == "image/png" else MAX_TEXT):
                    data[mime] = value
            if data:
                kept.append({"output_type": "display_data", "data": data, "metadata": {}})
    return kept


OWN_OUTPUT_NOTE = "（提出されたノートブックに保存されていた出力です。このセルは採点では実行していません）\n"


def own_outputs_of_skipped_cells(submitted, normalized, run_nb, probe_cells: set[int]) -> dict[str, list[dict]]:
    """The student's saved outputs (sanitized, marked as such) of the demo cells that grading
    did not run, so that the feedback keeps the student's own plots and prints."""
    shown = {cell.get("id"): cell.source for cell in normalized.cells}
    saved = {cell.get("id"): cell.get("outputs", []) for cell in submitted.cells if cell.cell_type == "code"}
    kept = {}
    for i, cell in enumerate(run_nb.cells):
        if cell.cell_type != "code" or i in probe_cells or cell.get("id") not in shown:
            continue
        if cell.source != shown[cell.id] and saved.get(cell.id):
            outputs = sanitize_outputs(saved[cell.id])
            if outputs:
                kept[cell.id] = [{"output_type": "stream", "name": "stdout", "text": OWN_OUTPUT_NOTE}, *outputs]
    return kept


def failed_everywhere(source_nb, message: str) -> list[dict]:
    return [{"grade_id": grade_id(c), "passed": False, "message": message}
            for c in source_nb.cells if is_test_cell(c)]


def grade_file(path: Path, notebook: str, source_nb, *, work: Path, slot: int = 0,
               limits: Limits | None = None, supply: KernelSupply | None = None, base: Path | None = None) -> dict:
    """Grade ``path`` as notebook ``notebook`` (the stem, e.g. ``1_4_softmax``); ``base``: the
    submissions root (no link below it is followed)."""
    started = time.monotonic()
    result = {"notebook": notebook, "file": path.name, "status": "ok", "notes": [], "verdicts": [],
              "outputs": {}, "isolation": "", "seconds": 0.0}
    try:
        submitted = read_submission(path, base)
    except (SubmissionError, OSError) as exc:
        message = str(exc) if isinstance(exc, SubmissionError) else f"ファイルを読めません: {exc}"
        # graded as the instructor's notebook with every answer cell empty: the feedback explains
        # why, and shows no solution
        empty = normalize(nbformat.v4.new_notebook(), source_nb).notebook
        result.update(status="unreadable", notes=[message], verdicts=failed_everywhere(source_nb, message),
                      normalized=empty)
        return result
    normalized = normalize(submitted, source_nb)
    result["notes"] = normalized.notes
    result["normalized"] = normalized.notebook
    run_nb = copy.deepcopy(normalized.notebook)
    skip_demo_cells(run_nb, source_nb)
    probes = instrument(run_nb, registry()[notebook])
    execution = run_notebook(run_nb, work=work, slot=slot, limits=limits, supply=supply,
                             hidden_modules=hidden_modules(notebook), expressions=expressions(run_nb, probes))
    result.update(status=execution.status, isolation=execution.isolation)
    if execution.status != "ok":
        result["kernel_log"] = execution.stderr[-3000:]  # for the instructor; not shown in feedback
        result["notes"].append(STATUS_TEXT[execution.status] + (f"（{execution.detail}）" if execution.detail else ""))
    result["verdicts"] = [v.to_json() for v in decide(execution.expression_results, probes, execution.status,
                                                      execution.stopped_at)]
    probe_cells = {p.index for p in probes}
    result["outputs"] = {
        cell.id: sanitize_outputs(cell.get("outputs", []))
        for i, cell in enumerate(run_nb.cells) if cell.cell_type == "code" and i not in probe_cells
    }
    result["outputs"].update(own_outputs_of_skipped_cells(submitted, normalized.notebook, run_nb, probe_cells))
    result["seconds"] = round(time.monotonic() - started, 3)
    return result
