"""Turn test cells into probe cells, and probe outputs into verdicts.

In the notebook that is executed for grading, every test cell is replaced by a generated
probe cell: it calls the student's functions on the hidden inputs (embedded as data) and
displays the return values as one output of a private MIME type, tagged with a random
nonce. The verdict is then decided here, in the grading process, by ``course.checking.judge``
against the reference implementations that never entered the student's kernel. A probe
output that is missing, duplicated, malformed or carries the wrong nonce counts as no
answer: it can only lose points, never gain them.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from course import probe as probe_module
from course.checking import FunctionCheck, judge

from .notebook_cells import grade_id, is_test_cell

MIME = "application/vnd.genba-dl.probe+json"
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


def probe_source(probe: Probe) -> str:
    requests = [c.request() for c in probe.checks]
    runtime = base64.b64encode(PROBE_RUNTIME.encode("utf-8")).decode("ascii")
    payload = base64.b64encode(json.dumps(requests).encode("utf-8")).decode("ascii")
    return (
        "# 採点用のセル（自動生成）: 解答の関数を採点用の入力で呼び出し、戻り値を記録します。\n"
        "def _course_probe(_user_ns):\n"
        "    import base64, json\n"
        "    from IPython.display import display\n"
        "    _ns = {'__name__': 'course_probe_runtime'}\n"
        f"    exec(compile(base64.b64decode('{runtime}').decode('utf-8'), '<probe>', 'exec'), _ns)\n"
        f"    _requests = json.loads(base64.b64decode('{payload}'))\n"
        "    _reports = [_ns['run_calls'](_user_ns, _r) for _r in _requests]\n"
        f"    display({{'{MIME}': {{'nonce': '{probe.nonce}', 'reports': json.loads(_ns['report_to_json'](_reports))}}}}, raw=True)\n"
        "_course_probe(globals())\n"
        "del _course_probe\n"
    )


def instrument(nb, checks_by_grade_id: dict[str, list[FunctionCheck]]) -> list[Probe]:
    """Replace every test cell of ``nb`` (in place) by a probe cell; return the probes."""
    probes = []
    for index, cell in enumerate(nb.cells):
        if is_test_cell(cell):
            gid = grade_id(cell)
            probe = Probe(index, gid, checks_by_grade_id[gid])
            cell.source = probe_source(probe)
            probes.append(probe)
    return probes


@dataclass
class CellVerdict:
    grade_id: str
    passed: bool
    message: str

    def to_json(self) -> dict:
        return {"grade_id": self.grade_id, "passed": self.passed, "message": self.message}


def _reports_of(cell, nonce: str):
    found = []
    for out in cell.get("outputs", []):
        data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
        if MIME in data:
            found.append(data[MIME])
    if len(found) != 1:
        return None
    payload = found[0]
    if isinstance(payload, str):  # some front ends keep JSON as text
        if len(payload) > MAX_PROBE_OUTPUT:
            return None
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    if not isinstance(payload, dict) or payload.get("nonce") != nonce or not isinstance(payload.get("reports"), list):
        return None
    return payload["reports"]


def decide(nb, probes: list[Probe], status: str, stopped_at: int | None) -> list[CellVerdict]:
    """Verdicts for every probe of an executed notebook (the trusted side)."""
    verdicts = []
    for probe in probes:
        cell = nb.cells[probe.index]
        not_run = stopped_at is not None and probe.index >= stopped_at
        reports = None if not_run else _reports_of(cell, probe.nonce)
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
