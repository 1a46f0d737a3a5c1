"""Turn test cells into probe cells, and probe outputs into verdicts.

In the notebook that is executed for grading, every test cell becomes a probe: an expression
that calls the student's functions on the hidden inputs (embedded as data) and returns what
came back as JSON tagged with a random nonce. The probe is never cell text: it travels as a
``user_expressions`` entry of the execute request of the last code cell before the test cell,
which the kernel evaluates after that cell has run — IPython's input and AST transformers and
its ``pre_run_cell``/``post_run_cell`` events only ever see the student's own cell, exactly as
when the student runs the notebook, so student code can neither recognise nor rewrite the
probe, and the report comes back in the execute reply, not as an output the notebook could
forge. The verdict is then decided here, in the grading process, by ``course.checking.judge``
against the reference implementations that never entered the student's kernel. A report that
is missing, malformed or carries the wrong nonce counts as no answer: it can only lose points,
never gain them.
"""

from __future__ import annotations

import ast
import base64
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from course import probe as probe_module
from course.checking import FunctionCheck, judge

from .notebook_cells import grade_id, is_test_cell

PROBE_RUNTIME = Path(probe_module.__file__).read_text(encoding="utf-8")
MAX_PROBE_OUTPUT = 32 * 1024 * 1024

STATUS_TEXT = {
    "ok": "",
    "timeout": "セルの実行が制限時間を超えたため、カーネルを停止しました（無限ループや重すぎる計算がないか確認してください）。",
    "wall": "ノートブック全体の実行時間が上限を超えたため、採点を打ち切りました。",
    "dead": "カーネルが停止しました（os._exit や sys.exit、メモリの使いすぎなど）。これ以降のセルは実行されていません。",
    "output": "出力が多すぎるため実行を打ち切りました（大量の print を減らしてください）。",
    "startup": "カーネルを起動できませんでした（採点環境の問題です。担当者に連絡してください）。",
}


@dataclass
class Probe:
    index: int
    grade_id: str
    checks: list[FunctionCheck]
    nonce: str = field(default_factory=lambda: secrets.token_hex(16))


PROBE_CELL_TEXT = "# 採点用のセル（自動生成）: 解答の関数を採点用の入力で呼び出し、戻り値を記録します。"


def probe_expression(probe: Probe) -> str:
    """One Python expression: load the probe runtime into a namespace of its own, call the
    student's functions and return the JSON report (a str) with the nonce."""
    requests = [c.request() for c in probe.checks]
    runtime = base64.b64encode(PROBE_RUNTIME.encode("utf-8")).decode("ascii")
    payload = base64.b64encode(json.dumps(requests).encode("utf-8")).decode("ascii")
    return (
        "(lambda _ns, _user: (exec(compile(__import__('base64').b64decode('" + runtime + "').decode('utf-8'), "
        "'<probe>', 'exec'), _ns), _ns['probe_json'](_user, '" + payload + "', '" + probe.nonce + "'))[1])"
        "({'__name__': 'course_probe_runtime'}, globals())"
    )


def instrument(nb, checks_by_grade_id: dict[str, list[FunctionCheck]]) -> list[Probe]:
    """Turn every test cell of ``nb`` (in place) into a probe: the cell keeps only a comment and
    is not executed; ``expressions(nb, probes)`` says which request carries which probe."""
    probes = []
    for index, cell in enumerate(nb.cells):
        if is_test_cell(cell):
            gid = grade_id(cell)
            probe = Probe(index, gid, checks_by_grade_id[gid])
            cell.source = PROBE_CELL_TEXT
            cell.metadata["course_probe"] = True
            probes.append(probe)
    return probes


def expressions(nb, probes: list[Probe]) -> dict[int, dict[str, str]]:
    """cell index → the probe expressions its execute request carries: every probe rides on the
    last code cell before it that is executed (not a probe, not empty); a probe with no such
    cell rides on an empty request of its own (index -1 - probe index)."""
    carried: dict[int, dict[str, str]] = {}
    for probe in probes:
        carrier = next((i for i in range(probe.index - 1, -1, -1)
                        if nb.cells[i].cell_type == "code" and not nb.cells[i].metadata.get("course_probe")
                        and nb.cells[i].source.strip()), -1 - probe.index)
        carried.setdefault(carrier, {})[f"probe{probe.index}"] = probe_expression(probe)
    return carried


@dataclass
class CellVerdict:
    grade_id: str
    passed: bool
    message: str

    def to_json(self) -> dict:
        return {"grade_id": self.grade_id, "passed": self.passed, "message": self.message}


def _reports_of(value, nonce: str):
    """The reports of one probe from its ``user_expressions`` reply entry, or None."""
    if not isinstance(value, dict) or value.get("status") != "ok":
        return None
    text = (value.get("data") or {}).get("text/plain")
    if not isinstance(text, str) or len(text) > MAX_PROBE_OUTPUT:
        return None
    try:
        payload = json.loads(ast.literal_eval(text))  # the repr of the JSON string
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(payload, dict) or payload.get("nonce") != nonce or not isinstance(payload.get("reports"), list):
        return None
    return payload["reports"]


def decide(replies: dict, probes: list[Probe], status: str, stopped_at: int | None) -> list[CellVerdict]:
    """Verdicts for every probe of an executed notebook (the trusted side); ``replies``: the
    ``user_expressions`` replies by expression name (``Execution.expression_results``)."""
    verdicts = []
    for probe in probes:
        not_run = stopped_at is not None and probe.index >= stopped_at
        reports = None if not_run else _reports_of(replies.get(f"probe{probe.index}"), probe.nonce)
        if reports is None or len(reports) != len(probe.checks):
            reason = STATUS_TEXT.get(status, "") if not_run or status != "ok" else ""
            text = "このテストセルの採点結果を受け取れませんでした。" + (reason or
                   "テストセルより前のセルでエラーが起きていないか、解答の関数が定義されているか確認してください。")
            if status != "ok" and probe.index == stopped_at:
                text = STATUS_TEXT[status]
            verdicts.append(CellVerdict(probe.grade_id, False, text))
            continue
        try:
            results = [judge(check, report if isinstance(report, dict) else None)
                       for check, report in zip(probe.checks, reports)]
        except Exception as exc:  # a malformed report is the submission's fault: no points
            verdicts.append(CellVerdict(probe.grade_id, False, f"採点結果の形式が不正です（{type(exc).__name__}）。"))
            continue
        passed = all(r.passed for r in results)
        verdicts.append(CellVerdict(probe.grade_id, passed, "\n".join(r.message for r in results)))
    return verdicts
