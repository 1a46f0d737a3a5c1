"""Score a katakana capstone submission (a zip) on the hidden test set.

    course-score submission.zip [--archive DIR | --no-archive] [--json] [--student]

``--student`` prints what a student may see during the course (never the private part).

The zip is unpacked safely (``unpack.py``); its ``submit_katakana.ipynb`` runs in the same
sandboxed kernel as graded notebooks (no network, private file system view without the
course or the labels, unprivileged uid, time/memory/output limits). Our cells then call the
student's ``predict_proba`` on the test images in batches, in an order shuffled by the zip's
SHA-256, and send back the returned arrays as data. Everything else happens here, outside the
kernel: the arrays are checked with ``course.katakana.check_probabilities`` and scored with
``course.katakana.score_predictions`` against the labels, separately on the public and the
private part. The report is plain JSON (deterministic: the same zip gives the same bytes)
plus a Japanese text; both are archived under the zip's SHA-256.

Statuses: ``scored``; ``rejected`` (before scoring: bad_zip, too_large, unsafe_zip,
missing_notebook, bad_notebook — the service does not count these); ``failed`` (during
scoring: model_missing, model_invalid, crash, missing_function, timeout, killed,
output_too_large, wrong_output, not_finite, not_probability); ``scorer_error`` (our side).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import nbformat
import numpy as np

from course.katakana import (BATCH_SIZE, LABELS, N_CLASSES, NOTEBOOK_NAME, PredictionError, SCORING_ENV,
                             check_probabilities, explain_error, format_scores, score_predictions)

from ..execute import Limits, acquire_slot, run_notebook
from ..nbgrader_setup import repo_root
from ..notebook_cells import SKIP_TAG
from .unpack import SubmissionRejected, unpack_submission

TEST_SET = Path(__file__).with_name("katakana_test.npz")
REPORT_FORMAT = "katakana-score/1"
SCORER_VERSION = "1"
MIME = "application/vnd.genba-dl.katakana+json"
MAX_MISCLASSIFIED = 500
MAX_TRACEBACK = 8000
IMAGES_FILE = ".scoring/images.npy"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

SCORING_LIMITS = Limits(
    cell_timeout=120.0,  # one cell of the notebook, or one batch of BATCH_SIZE images
    notebook_timeout=420.0,  # the whole run: the notebook's own cells and every batch
    memory_bytes=3 * 1024 ** 3,
    cpu_seconds=600,
    output_bytes=32 * 1024 ** 2,
)

MESSAGES = {
    "timeout": "制限時間を超えたため採点を打ち切りました（1 セルまたは 1 バッチ {cell:.0f} 秒、全体 {wall:.0f} 秒まで）。"
               "提出用ノートブックで学習していないか、予測が重すぎないか確認してください。",
    "killed": "カーネルが停止しました（メモリの使いすぎ {memory} 超、または os._exit / sys.exit など）。",
    "output_too_large": "出力が多すぎるため採点を打ち切りました（print を減らしてください）。",
    "missing_function": "提出用ノートブックに関数 predict_proba(images) が定義されていません。",
    "scorer_error": "採点環境の問題で採点できませんでした（提出回数には数えません）。担当者に連絡してください。",
}


@dataclass
class TestSet:
    x: np.ndarray
    t: np.ndarray
    public: np.ndarray
    sha256: str


def load_test_set(path: Path = TEST_SET) -> TestSet:
    raw = Path(path).read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        x, t, public = data["x"], data["t"], data["public"]
    return TestSet(x=x, t=t.astype(np.int64), public=public.astype(bool), sha256=hashlib.sha256(raw).hexdigest())


@dataclass
class Scoring:
    report: dict
    text: str
    seconds: float = 0.0  # wall time of the whole scoring (not part of the report)
    predict_seconds: float | None = None  # time inside predict_proba, as measured in the kernel
    kernel_log: str = ""
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# the notebook that runs in the sandbox

def _setup_source() -> str:
    return (
        "# 採点用のセル（自動生成）: 提出フォルダに移動します。\n"
        "import os as _os, sys as _sys\n"
        f"_os.environ[{SCORING_ENV!r}] = '1'\n"
        "_os.chdir('submission')\n"
        "_sys.path.insert(0, _os.getcwd())\n"
    )


def _helper_source() -> str:
    return (
        "# 採点用のセル（自動生成）: predict_proba をバッチごとに呼び出し、戻り値をそのまま送ります。\n"
        "def _katakana_scoring_batch(_start, _stop, _nonce):\n"
        "    import base64, io, time\n"
        "    import numpy as np\n"
        "    from IPython.display import display\n"
        f"    _images = np.load({('../' + IMAGES_FILE)!r}, mmap_mode='r')\n"
        "    _batch = np.array(_images[_start:_stop])\n"
        "    _fn = globals().get('predict_proba')\n"
        "    _payload = {'nonce': _nonce, 'start': _start, 'stop': _stop}\n"
        "    if not callable(_fn):\n"
        "        _payload['result'] = {'kind': 'missing_function'}\n"
        "    else:\n"
        "        _t0 = time.perf_counter()\n"
        "        try:\n"
        "            _p = _fn(_batch)\n"
        "        except BaseException as _exc:\n"
        "            _tb = _exc.__traceback__.tb_next if _exc.__traceback__ is not None else None\n"
        "            try:\n"
        "                _lines = get_ipython().InteractiveTB.structured_traceback(type(_exc), _exc, _tb)\n"
        "            except Exception:\n"
        "                import traceback\n"
        "                _lines = traceback.format_exception(type(_exc), _exc, _tb)\n"
        "            _payload['result'] = {'kind': 'error', 'ename': type(_exc).__name__, 'evalue': str(_exc)[:2000],\n"
        "                                  'traceback': '\\n'.join(_lines)[-20000:]}\n"
        "        else:\n"
        "            _payload['seconds'] = time.perf_counter() - _t0\n"
        "            if isinstance(_p, np.ndarray) and _p.dtype.kind in 'biuf' and _p.nbytes <= 64 * 2**20:\n"
        "                _buf = io.BytesIO()\n"
        "                np.lib.format.write_array(_buf, np.ascontiguousarray(_p), allow_pickle=False)\n"
        "                _payload['result'] = {'kind': 'array', 'npy': base64.b64encode(_buf.getvalue()).decode('ascii')}\n"
        "            else:\n"
        "                _payload['result'] = {'kind': 'other', 'type': type(_p).__name__,\n"
        "                                      'shape': list(getattr(_p, 'shape', ()) or ()), 'dtype': str(getattr(_p, 'dtype', ''))}\n"
        f"    display({{{MIME!r}: _payload}}, raw=True)\n"
    )


@dataclass
class RunPlan:
    nb: object
    student_cells: dict[int, int]  # run-notebook cell index -> code cell number in the submission (1-based)
    batches: dict[int, tuple[int, int]]  # run-notebook cell index -> (start, stop) in the shuffled order
    nonce: str


def plan_run(submitted, n_images: int, nonce: str, batch_size: int = BATCH_SIZE) -> RunPlan:
    cells = [nbformat.v4.new_code_cell(_setup_source())]
    student_cells = {}
    number = 0
    for cell in submitted.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        tags = cell.get("metadata", {}).get("tags", []) or []
        if SKIP_TAG in tags:
            continue
        student_cells[len(cells)] = number
        cells.append(nbformat.v4.new_code_cell(str(cell.get("source", ""))))
    cells.append(nbformat.v4.new_code_cell(_helper_source()))
    batches = {}
    for start in range(0, n_images, batch_size):
        stop = min(start + batch_size, n_images)
        batches[len(cells)] = (start, stop)
        cells.append(nbformat.v4.new_code_cell(f"_katakana_scoring_batch({start}, {stop}, {nonce!r})"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"scoring-{i}"
    return RunPlan(nb, student_cells, batches, nonce)


# ---------------------------------------------------------------------------------------------
# reading what came back

class ScoringFailure(Exception):
    def __init__(self, kind: str, message: str, traceback: str = "", where: str = ""):
        super().__init__(message)
        self.kind, self.message, self.traceback, self.where = kind, message, traceback, where


_PATH = re.compile(r"""(?<![\w.-])(?P<path>/(?:[^\s'",:()/]+/)+[^\s'",:()/]+)""")  # at least two parts
_FILE_LINE = re.compile(r"""^(?:File |\s*File ")(?P<path>/[^\s",:]+)""")
_CELL_IN = re.compile(r"^(?:Cell|Input) In ?\[(?P<count>\d+)\]")
_LIBRARY = re.compile(r".*/(?:site-packages|dist-packages|lib/python3\.\d+)/(?P<rel>.+)")


def relative_path(path: str) -> str:
    """A path as the student may see it: relative to the submission folder, or to the package it
    belongs to (``course/networks.py``, ``numpy/...``); never a path of the grading machine."""
    if "/submission/" in path:
        return path.rsplit("/submission/", 1)[1]
    library = _LIBRARY.match(path)
    if library:
        return library.group("rel")
    if "/course/" in path:
        return "course/" + path.rsplit("/course/", 1)[1]
    return path.rsplit("/", 1)[-1]


def hide_paths(text: str) -> str:
    return _PATH.sub(lambda m: relative_path(m.group("path")), text)


def _clean_traceback(text: str, plan: "RunPlan | None" = None) -> str:
    """The student's own traceback: their cells and files in full, every other frame (the course
    package, numpy, our scoring cells) as one line, and no path of the grading machine."""
    blocks, current = [], []
    for line in _ANSI.sub("", text).splitlines():
        if current and (_CELL_IN.match(line) or _FILE_LINE.match(line)):
            blocks.append(current)
            current = []
        if not line.strip():
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    kept = []
    for block in blocks:
        first = block[0]
        cell, file = _CELL_IN.match(first), _FILE_LINE.match(first)
        if cell and plan is not None:
            index = int(cell.group("count")) - 1
            where = _where(plan, index) if index in plan.student_cells else "採点用のセル"
            if index not in plan.student_cells:
                kept.append([f"（{where}）"])
                continue
            kept.append([_CELL_IN.sub(where, first), *block[1:]])
        elif file and "/submission/" not in file.group("path"):
            function = first.split(", in ", 1)[1].split("(", 1)[0].strip() if ", in " in first else ""
            kept.append([f"（{relative_path(file.group('path'))}" + (f" の {function}" if function else "") + " の中）"])
        else:
            kept.append([hide_paths(line) for line in block])
    text = "\n\n".join("\n".join(block) for block in kept)
    return text if len(text) <= MAX_TRACEBACK else "…\n" + text[-MAX_TRACEBACK:]


def _with_hint(message: str, ename: str, evalue: str) -> str:
    hint = explain_error(f"{ename}: {evalue}")
    return f"{message}\nヒント: {hint}" if hint else message


def _where(plan: RunPlan, index: int | None) -> str:
    if index is None:
        return ""
    if index in plan.student_cells:
        return f"提出ノートブックの {plan.student_cells[index]} 番目のコードセル"
    if index in plan.batches:
        start, stop = plan.batches[index]
        return f"predict_proba（テスト画像 {start}〜{stop - 1} 枚目のバッチ）"
    return "採点用のセル"


def _error_from_cell(plan: RunPlan, index: int, cell) -> ScoringFailure | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        ename, evalue = str(out.get("ename", "")), hide_paths(str(out.get("evalue", "")))
        tb = _clean_traceback("\n".join(str(t) for t in out.get("traceback", [])), plan)
        where = _where(plan, index)
        if ename == "ModelFileNotFoundError" or (ename == "FileNotFoundError" and ".npz" in evalue):
            return ScoringFailure("model_missing", f"モデルファイルが見つかりません（{where}）: {evalue}", tb, where)
        if ename == "ModelFileError":
            return ScoringFailure("model_invalid", f"モデルファイルが使えません（{where}）: {evalue}", tb, where)
        if ename == "NotImplementedError":
            return ScoringFailure("crash", f"{where}がまだ書かれていません（NotImplementedError）。"
                                  "解答を書いてから提出してください。", tb, where)
        return ScoringFailure("crash", _with_hint(f"{where}でエラーが起きました: {ename}: {evalue}", ename, evalue), tb, where)
    return None


def _batch_payload(cell, nonce: str):
    found = [o["data"][MIME] for o in cell.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result") and MIME in o.get("data", {})]
    found = [p for p in found if isinstance(p, dict) and p.get("nonce") == nonce]
    return found[0] if len(found) == 1 else None


def _decode_batch(payload: dict, start: int, stop: int, where: str, plan: "RunPlan | None" = None) -> np.ndarray:
    result = payload.get("result") if isinstance(payload.get("result"), dict) else {}
    kind = result.get("kind")
    if kind == "missing_function":
        raise ScoringFailure("missing_function", MESSAGES["missing_function"], where=where)
    if kind == "error":
        ename, evalue = str(result.get("ename", "")), hide_paths(str(result.get("evalue", "")))
        raise ScoringFailure("crash", _with_hint(f"{where}でエラーが起きました: {ename}: {evalue}", ename, evalue),
                             _clean_traceback(str(result.get("traceback", "")), plan), where)
    if kind == "other":
        raise ScoringFailure("wrong_output", f"predict_proba の戻り値は numpy の配列にしてください"
                             f"（{str(result.get('type'))[:100]} が返されました）。", where=where)
    if kind != "array" or not isinstance(result.get("npy"), str):
        raise ScoringFailure("wrong_output", "predict_proba の戻り値を受け取れませんでした。", where=where)
    try:
        raw = base64.b64decode(result["npy"], validate=True)
        array = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ScoringFailure("wrong_output", f"predict_proba の戻り値を読めません（{type(exc).__name__}）。", where=where)
    try:
        return check_probabilities(array, stop - start)
    except PredictionError as exc:
        kind = {"not_finite": "not_finite", "not_probability": "not_probability"}.get(exc.kind, "wrong_output")
        raise ScoringFailure(kind, f"{where}: {exc}", where=where) from None


def collect_predictions(plan: RunPlan, execution, n_images: int, limits: Limits = SCORING_LIMITS) -> tuple[np.ndarray, float]:
    """Probabilities in the shuffled order, or ScoringFailure."""
    nb = execution.notebook
    stopped = execution.stopped_at
    # a failure in the notebook's own cells (or ours) comes first
    for index, cell in enumerate(nb.cells):
        if index in plan.batches or (stopped is not None and index > stopped):
            continue
        failure = _error_from_cell(plan, index, cell)
        if failure:
            raise failure
    if execution.status in ("timeout", "wall"):
        where = _where(plan, stopped)
        raise ScoringFailure("timeout", MESSAGES["timeout"].format(cell=limits.cell_timeout, wall=limits.notebook_timeout)
                             + (f"（{where}で停止）" if where else ""), where=where)
    parts, seconds = [], 0.0
    for index, (start, stop) in sorted(plan.batches.items(), key=lambda kv: kv[1]):
        where = _where(plan, index)
        if stopped is not None and index >= stopped and execution.status != "ok":
            break
        payload = _batch_payload(nb.cells[index], plan.nonce)
        if payload is None:
            break
        parts.append(_decode_batch(payload, start, stop, where, plan))
        if isinstance(payload.get("seconds"), (int, float)):
            seconds += float(payload["seconds"])
    if execution.status == "dead":
        raise ScoringFailure("killed", MESSAGES["killed"].format(memory=f"{limits.memory_bytes / 2**30:.0f} GiB"),
                             where=_where(plan, stopped))
    if execution.status == "output":
        raise ScoringFailure("output_too_large", MESSAGES["output_too_large"], where=_where(plan, stopped))
    if execution.status == "error":  # our scoring cell failed (e.g. the submission replaced it)
        failure = _error_from_cell(plan, stopped, nb.cells[stopped]) if stopped is not None else None
        raise failure or ScoringFailure("crash", f"{_where(plan, stopped)}でエラーが起きました。", where=_where(plan, stopped))
    if sum(len(p) for p in parts) != n_images:
        raise ScoringFailure("wrong_output", "predict_proba の結果をすべてのバッチについて受け取れませんでした"
                             "（採点用のセルや関数を書き換えていないか確認してください）。")
    return np.concatenate(parts), seconds


# ---------------------------------------------------------------------------------------------
# the report

def shuffled_order(sha256: str, n: int) -> np.ndarray:
    """The order in which test images are shown to the submission (fixed for a given zip)."""
    return np.random.default_rng(int(sha256[:16], 16)).permutation(n)


def _metrics(probabilities: np.ndarray, test: TestSet) -> tuple[dict, dict, list]:
    predicted = probabilities.argmax(axis=1)
    public = score_predictions(probabilities[test.public], test.t[test.public])
    private = score_predictions(probabilities[~test.public], test.t[~test.public])
    wrong = np.flatnonzero(test.public & (predicted != test.t))[:MAX_MISCLASSIFIED]
    misclassified = [{"index": int(i), "true": int(test.t[i]), "predicted": int(predicted[i]),
                      "probability": round(float(probabilities[i, predicted[i]]), 6)} for i in wrong]
    return public, private, misclassified


def base_report(sha256: str, test: TestSet) -> dict:
    return {
        "format": REPORT_FORMAT,
        "scorer_version": SCORER_VERSION,
        "submission_sha256": sha256,
        "test_set_sha256": test.sha256,
        "labels": list(LABELS),
        "status": None,
        "error": None,
        "files": [],
        "public": None,
        "private": None,
        "public_misclassified": [],
    }


def render_text(report: dict, *, include_private: bool = True) -> str:
    """The Japanese text of a report."""
    lines = [f"カタカナ認識 採点結果（提出 zip の SHA-256: {report['submission_sha256']}）"]
    status = report["status"]
    if status == "scored":
        lines.append("状態: 採点しました")
        lines.append("")
        lines.append(format_scores(report["public"], f"■ 公開テストデータ（{report['public']['n']} 枚）"))
        if include_private and report.get("private"):
            lines.append("")
            lines.append(format_scores(report["private"], f"■ 非公開テストデータ（{report['private']['n']} 枚、最終順位用）"))
    else:
        label = {"rejected": "受け付けられませんでした（採点前のエラー。提出回数には数えません）",
                 "failed": "採点中にエラーが起きました（提出回数に数えます）",
                 "scorer_error": "採点環境のエラー"}.get(status, status)
        error = report.get("error") or {}
        lines.append(f"状態: {label}")
        lines.append(f"種類: {error.get('kind', '')}")
        lines.append(f"内容: {error.get('message', '')}")
        if error.get("traceback"):
            lines.append("")
            lines.append("エラーの詳細（トレースバック）:")
            lines.append(error["traceback"])
    if report.get("files"):
        lines.append("")
        lines.append("提出されたファイル: " + ", ".join(report["files"]))
    return "\n".join(lines) + "\n"


def score_submission(data: bytes, *, test: TestSet | None = None, limits: Limits | None = None,
                     work: Path | None = None, slot: int | None = None, extra_hide: Sequence[str] = ()) -> Scoring:
    """Score the zip ``data``; never raises for anything the submission does.

    ``extra_hide``: more directories the submission must not see (e.g. a submission service's
    data directory with everybody's zips); the course directory, the work directory and the
    ``autograder`` package are always hidden."""
    started = time.monotonic()
    test = test or load_test_set()
    sha256 = hashlib.sha256(data).hexdigest()
    report = base_report(sha256, test)
    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="katakana-score-")) if own_work else Path(work)
    predict_seconds, kernel_log = None, ""
    try:
        try:
            unpacked = unpack_submission(data, work / "unpacked")
            report["files"] = unpacked.files
            try:
                submitted = nbformat.reads((unpacked.folder / NOTEBOOK_NAME).read_text(encoding="utf-8"), as_version=4)
            except Exception as exc:
                raise SubmissionRejected("bad_notebook", f"{NOTEBOOK_NAME} をノートブックとして読めません（{type(exc).__name__}）。"
                                         "Jupyter で開いて保存し直してください。") from None
        except SubmissionRejected as exc:
            report.update(status="rejected", error={"kind": exc.kind, "message": exc.message})
            return Scoring(report, render_text(report), time.monotonic() - started)

        order = shuffled_order(sha256, len(test.x))
        plan = plan_run(submitted, len(order), nonce=hashlib.sha256(f"{sha256}:nonce".encode()).hexdigest()[:32])

        def populate(scratch: Path) -> None:
            shutil.copytree(unpacked.folder, scratch / "submission", symlinks=True)
            (scratch / IMAGES_FILE).parent.mkdir()
            np.save(scratch / IMAGES_FILE, np.ascontiguousarray(test.x[order]), allow_pickle=False)

        import autograder

        hide = [str(repo_root()), str(work), str(Path(autograder.__file__).resolve().parent), *map(str, extra_hide)]
        limits = limits or SCORING_LIMITS
        execution = run_notebook(plan.nb, work=work / "kernel", slot=acquire_slot() if slot is None else slot,
                                 limits=limits, hide=hide, populate=populate, stop_on_error=True)
        kernel_log = execution.stderr
        if execution.status == "startup":
            report.update(status="scorer_error", error={"kind": "scorer_error", "message": MESSAGES["scorer_error"]})
            return Scoring(report, render_text(report), time.monotonic() - started, kernel_log=kernel_log)
        try:
            shuffled, predict_seconds = collect_predictions(plan, execution, len(order), limits)
        except ScoringFailure as exc:
            error = {"kind": exc.kind, "message": exc.message}
            if exc.traceback:
                error["traceback"] = exc.traceback
            report.update(status="failed", error=error)
            return Scoring(report, render_text(report), time.monotonic() - started, None, kernel_log)
        probabilities = np.empty_like(shuffled)
        probabilities[order] = shuffled
        public, private, misclassified = _metrics(probabilities, test)
        report.update(status="scored", public=public, private=private, public_misclassified=misclassified)
        return Scoring(report, render_text(report), time.monotonic() - started, predict_seconds, kernel_log)
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# archive and command line

def student_report(report: dict) -> dict:
    """The report as a student may see it during the course: the private part left out."""
    shown = dict(report)
    shown["private"] = None
    return shown


def report_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def archive(data: bytes, scoring: Scoring, directory: Path) -> Path:
    """Keep the zip and its report under ``directory/<sha256>/``; nothing is ever overwritten.

    The zip is stored once; each scorer version writes ``report-v<version>.json`` / ``.txt``
    (a second, different report of the same version — a submission whose predictions are not
    deterministic — is kept beside it with a number)."""
    sha256 = scoring.report["submission_sha256"]
    folder = Path(directory) / sha256
    folder.mkdir(parents=True, exist_ok=True)
    zip_path = folder / "submission.zip"
    if not zip_path.exists():
        tmp = folder / f".submission.zip.{time.time_ns()}"
        tmp.write_bytes(data)
        tmp.rename(zip_path)
    text_json = report_json(scoring.report)
    stem = f"report-v{SCORER_VERSION}"
    n = 1
    while True:
        candidate = folder / (f"{stem}.json" if n == 1 else f"{stem}.{n}.json")
        if not candidate.exists():
            candidate.write_text(text_json, encoding="utf-8")
            candidate.with_suffix(".txt").write_text(scoring.text, encoding="utf-8")
            return candidate
        if candidate.read_text(encoding="utf-8") == text_json:
            return candidate
        n += 1


EXIT_CODES = {"scored": 0, "failed": 1, "rejected": 2, "scorer_error": 3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="カタカナ認識の提出 zip を非公開テストデータで採点します。")
    parser.add_argument("zip", type=Path, help="submission zip")
    parser.add_argument("--archive", type=Path, default=None,
                        help="archive directory (default: grading/capstone in the course directory)")
    parser.add_argument("--no-archive", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of the text")
    parser.add_argument("--student", action="store_true",
                        help="print what a student may see: no private numbers (the archive keeps the full report)")
    args = parser.parse_args(argv)
    try:
        data = args.zip.read_bytes()
    except OSError as exc:
        print(f"提出ファイルを読めません: {exc}", file=sys.stderr)
        return 2
    scoring = score_submission(data)
    if not args.no_archive:
        where = archive(data, scoring, args.archive or repo_root() / "grading" / "capstone")
        print(f"archived: {where}", file=sys.stderr)
    if args.student:
        shown = student_report(scoring.report)
        print(report_json(shown) if args.json else render_text(shown, include_private=False), end="")
    else:
        print(report_json(scoring.report) if args.json else scoring.text, end="")
    timing = f"scoring took {scoring.seconds:.1f} s"
    if scoring.predict_seconds is not None:
        timing += f" (predict_proba {scoring.predict_seconds:.1f} s)"
    print(timing, file=sys.stderr)
    return EXIT_CODES.get(scoring.report["status"], 3)


if __name__ == "__main__":
    sys.exit(main())
