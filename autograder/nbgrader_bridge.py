"""Hand the verdicts to nbgrader: gradebook, locked-cell restoration, feedback, CSV export.

nbgrader never executes a submission here. Its autograde pipeline runs with the
``ApplyVerdicts`` preprocessor in place of ``Execute``: after nbgrader has restored the
locked and test cells from its gradebook, ApplyVerdicts writes the verdict of every test
cell as its output (nothing on pass; a Japanese error output on fail) and the sanitized
outputs of the other cells; nbgrader's own SaveAutoGrades then records the scores.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbformat.v4 import new_markdown_cell
from traitlets import Unicode

from .notebook_cells import grade_id, is_test_cell

RESULTS_DIR = "grading/results"


def result_path(root: Path, student: str, notebook: str) -> Path:
    return Path(root) / RESULTS_DIR / student / f"{notebook}.json"


def verdict_output(passed: bool, message: str) -> NotebookNode:
    if passed:
        return NotebookNode({"output_type": "stream", "name": "stdout", "text": "✔ 合格: " + message + "\n"})
    lines = message.splitlines() or ["不合格"]
    return NotebookNode({"output_type": "error", "ename": "不合格", "evalue": lines[0], "traceback": ["✘ 不合格"] + lines})


class ApplyVerdicts(NbGraderPreprocessor):
    """Write precomputed verdicts and outputs into the notebook nbgrader is grading."""

    course_root = Unicode("", help="course directory whose grading/results holds the verdicts").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = result_path(Path(self.course_root), info["student"], info["notebook"])
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {"verdicts": [], "outputs": {}, "notes": ["このノートブックは採点されていません。"]}
        verdicts = {v["grade_id"]: v for v in result.get("verdicts", [])}
        outputs = result.get("outputs", {})
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if is_test_cell(cell):
                v = verdicts.get(grade_id(cell))
                if v is None:
                    v = {"passed": False, "message": "このテストセルは採点されていません。"}
                cell.outputs = [verdict_output(v["passed"], v["message"])]
            else:
                cell.outputs = [NotebookNode(o) for o in outputs.get(cell.get("id", ""), [])]
            cell.execution_count = None
        notes = result.get("notes") or []
        nb.metadata["course_grading"] = {"status": result.get("status", "ungraded"), "notes": notes,
                                         "isolation": result.get("isolation", "")}
        nb.cells.insert(0, new_markdown_cell(summary_markdown(nb, verdicts, notes), id="course-grading-summary"))
        return nb, resources


def summary_markdown(nb, verdicts: dict, notes: list[str]) -> str:
    """A Japanese summary for the top of the feedback: every test cell, its result and points."""
    rows, got, total = [], 0.0, 0.0
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        gid = grade_id(cell)
        points = float(cell.metadata["nbgrader"].get("points", 0))
        passed = bool(verdicts.get(gid, {}).get("passed"))
        got += points if passed else 0.0
        total += points
        rows.append(f"| {gid} | {'✔ 合格' if passed else '✘ 不合格'} | {points if passed else 0:g} / {points:g} |")
    lines = ["## 採点結果", "", f"**合計: {got:g} / {total:g} 点**", "",
             "| テスト | 結果 | 点数 |", "| --- | --- | --- |", *rows, "",
             "不合格のテストは、そのセルの下に理由（入力・期待値・実際の値・考えられる原因）が表示されています。"]
    if notes:
        lines += ["", "### 採点時のお知らせ", *[f"- {n}" for n in notes]]
    return "\n".join(lines)
