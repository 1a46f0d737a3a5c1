"""The capstone scorer end to end: real zips, the real sandboxed kernel, the hidden test set.

Every kind of result a student can get is produced here once: scored (answer + a model),
the untouched trainee, each failure during scoring with its own kind and an actionable
Japanese message (the student's traceback, not ours), and attacks that try to reach the
labels or exploit the order of the test images. All submissions are scored in one batch on
two worker processes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from autograder.capstone import score as scorer
from autograder.execute import Limits

from .capstone_support import REPO, model_bytes, notebook, submission, train_softmax_regression, with_cell

FAST_LIMITS = Limits(cell_timeout=8.0, notebook_timeout=40.0, memory_bytes=2 * 1024 ** 3, cpu_seconds=120,
                     output_bytes=32 * 1024 ** 2)

PREDICT = "def predict_proba(images):"
LOAD = 'MODEL_FILE = "model.npz"'


def _cases() -> dict[str, tuple[bytes, bool]]:
    """name -> (zip bytes, use the short limits)."""
    params = train_softmax_regression()
    model = model_bytes(params)
    mismatched = model_bytes(params, "MultiLayerNet(input_size=784, hidden_size_list=[100], output_size=15)")
    answer, trainee = notebook("answer"), notebook("trainee")
    test = scorer.load_test_set()
    labels_in_file_order = json.dumps(test.t.tolist())
    cases = {
        "answer": (submission(answer, model), False),
        "answer_in_folder": (submission(answer, model, prefix="my_submission/"), False),
        "trainee": (submission(trainee, model), False),
        "no_model": (submission(answer, None), False),
        "pickled_model": (submission(answer, b"\x80\x04K\x01."), False),
        "model_without_format": (submission(answer, _plain_npz()), False),
        "model_wrong_shape": (submission(answer, mismatched), False),
        "logits": (submission(with_cell(answer, PREDICT + "\n    return network.predict(preprocess(images))\n",
                                        replace=PREDICT), model), False),
        "nan": (submission(with_cell(answer, PREDICT + "\n    return np.full((len(images), 15), np.nan)\n",
                                     replace=PREDICT), model), False),
        "ten_classes": (submission(with_cell(answer, PREDICT + "\n    return np.full((len(images), 10), 0.1)\n",
                                             replace=PREDICT), model), False),
        "list": (submission(with_cell(answer, PREDICT + "\n    return [[1 / 15] * 15 for _ in images]\n",
                                      replace=PREDICT), model), False),
        "crash_in_helper": (submission(with_cell(answer, "def helper_layer(x):\n    raise ValueError('shapes do not match')\n\n"
                                                 + PREDICT + "\n    return helper_layer(images)\n", replace=PREDICT),
                                       model), False),
        "no_predict": (submission(with_cell(answer, "def predict(images):\n    return 0\n", replace=PREDICT), model), False),
        "infinite_loop": (submission(with_cell(answer, "while True:\n    pass\n"), model), True),
        "exit_in_predict": (submission(with_cell(answer, PREDICT + "\n    import os\n    os._exit(0)\n",
                                                 replace=PREDICT), model), True),
        "read_labels": (submission(with_cell(answer, _READ_LABELS.replace("TEST_SET", repr(str(scorer.TEST_SET))),
                                             replace=PREDICT), model), False),
        "label_order": (submission(with_cell(answer, _LABEL_ORDER.replace("LABELS", labels_in_file_order),
                                             replace=PREDICT), model), False),
        "flat_to_cnn": (submission(with_cell(answer, "def preprocess(images):\n    x = np.asarray(images, dtype=np.float32) / 255.0\n"
                                             "    return x.reshape(len(x), 784)\n", replace="def preprocess"),
                                   (REPO / "capstone" / "baselines" / "cnn" / "model.npz").read_bytes()), False),
        "own_module": (submission(with_cell(answer, "from my_net import forward\n\n" + PREDICT
                                            + "\n    return forward(preprocess(images), network.params)\n", replace=PREDICT),
                                  model, extra={"my_net.py": _MY_NET}), False),
    }
    return cases


def _plain_npz() -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, W1=np.zeros((784, 15), np.float32), b1=np.zeros(15, np.float32))
    return buffer.getvalue()


_MY_NET = '''
import numpy as np


def forward(x, params):
    z = x.reshape(len(x), -1) @ params["W1"] + params["b1"]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
'''

# Tries every way to the labels; if any worked, it would answer perfectly.
_READ_LABELS = '''
def _steal():
    import importlib.resources, os, pathlib, tempfile
    import course
    paths = [TEST_SET, os.path.join(tempfile.gettempdir(), "katakana_test.npz"), os.path.expanduser("~/katakana_test.npz")]
    paths += [str(parent / "autograder" / "capstone" / "katakana_test.npz")
              for parent in pathlib.Path(course.__file__).resolve().parents]
    try:
        paths.append(str(importlib.resources.files("autograder.capstone") / "katakana_test.npz"))
    except Exception:
        pass
    for path in paths:
        try:
            data = np.load(path)
            return {img.tobytes(): int(t) for img, t in zip(data["x"], data["t"])}
        except Exception:
            continue
    return {}


_stolen = _steal()


def predict_proba(images):
    p = np.full((len(images), 15), 1 / 15)
    for i, img in enumerate(images):
        label = _stolen.get(img.tobytes())
        if label is not None:
            p[i] = 0
            p[i, label] = 1
    return p
'''

# Knows every label in the file's order and answers by position: defeated by the shuffled order.
_LABEL_ORDER = '''
_known = LABELS
_seen = 0


def predict_proba(images):
    global _seen
    p = np.zeros((len(images), 15))
    for i in range(len(images)):
        p[i, _known[(_seen + i) % len(_known)]] = 1
    _seen += len(images)
    return p
'''


def _score(item):
    name, (data, fast) = item
    result = scorer.score_submission(data, limits=FAST_LIMITS if fast else None)
    return name, result.report, result.text


@pytest.fixture(scope="module")
def scored():
    cases = _cases()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = dict((name, (report, text)) for name, report, text in pool.map(_score, cases.items()))
    return cases, results


def _error(scored, name):
    report, text = scored[1][name]
    assert report["status"] == "failed", (name, report)
    assert report["public"] is None and report["private"] is None
    assert report["error"]["message"] in text
    return report["error"]


def test_answer_with_a_model_is_scored(scored):
    report, text = scored[1]["answer"]
    assert report["status"] == "scored", report["error"]
    assert report["submission_sha256"] == hashlib.sha256(scored[0]["answer"][0]).hexdigest()
    public, private = report["public"], report["private"]
    assert (public["n"], private["n"]) == (4350, 10150)
    for part in (public, private):
        assert 0.85 < part["accuracy"] < 1 and 0 < part["loss"] < 1
        confusion = np.array(part["confusion"])
        assert confusion.shape == (15, 15) and confusion.sum() == part["n"]
        assert np.trace(confusion) == part["correct"] == round(part["accuracy"] * part["n"])
        assert len(part["per_class_accuracy"]) == 15
    wrong = report["public_misclassified"]
    assert 0 < len(wrong) <= scorer.MAX_MISCLASSIFIED
    test = scorer.load_test_set()
    assert all(test.public[w["index"]] and test.t[w["index"]] == w["true"] != w["predicted"] for w in wrong)
    assert "公開テストデータ" in text and "正解率" in text and "ア" in text


def test_folder_inside_the_zip_scores_the_same(scored):
    in_folder, flat = dict(scored[1]["answer_in_folder"][0]["public"]), dict(scored[1]["answer"][0]["public"])
    # the same predictions: counts identical; the mean loss (float32 model) may differ in the last bits (OpenBLAS kernels
    # can round differently with the alignment of the arrays on some CPUs)
    assert in_folder.keys() == flat.keys()
    for key, value in flat.items():
        if isinstance(value, float):
            assert in_folder[key] == pytest.approx(value, rel=1e-6), key  # a float32 model
        else:
            assert in_folder[key] == value, key


def test_untouched_trainee_scores_nothing(scored):
    error = _error(scored, "trainee")
    assert error["kind"] == "crash"
    assert "まだ書かれていません" in error["message"] and "NotImplementedError" in error["traceback"]


@pytest.mark.parametrize("name, kind, words", [
    ("no_model", "model_missing", "model.npz"),
    ("pickled_model", "model_invalid", ".npz"),
    ("model_without_format", "model_invalid", "genba-dl-model/1"),
    ("model_wrong_shape", "model_invalid", "W1 の形状が (784, 100) ではなく (784, 15)"),
    ("logits", "not_probability", "確率"),
    ("nan", "not_finite", "NaN"),
    ("ten_classes", "wrong_output", "(500, 15)"),
    ("list", "wrong_output", "numpy の配列"),
    ("no_predict", "missing_function", "predict_proba"),
    ("infinite_loop", "timeout", "制限時間"),
    ("exit_in_predict", "killed", "カーネルが停止"),
])
def test_each_failure_has_its_own_kind_and_message(scored, name, kind, words):
    error = _error(scored, name)
    assert error["kind"] == kind, error
    assert words in error["message"], error["message"]


def test_crash_shows_the_students_traceback_not_ours(scored):
    error = _error(scored, "crash_in_helper")
    assert error["kind"] == "crash"
    assert "ValueError: shapes do not match" in error["message"]
    assert "helper_layer" in error["traceback"] and "predict_proba" in error["traceback"]
    assert "_katakana_scoring_batch" not in error["traceback"] and "\x1b[" not in error["traceback"]
    assert "テスト画像 0〜499 枚目" in error["message"]
    assert "提出ノートブックの 4 番目のコードセル" in error["traceback"] and "Cell In[" not in error["traceback"]


def _machine_paths(text: str) -> list[str]:
    return re.findall(r"(?:^|[\s'\"(])(/[\w.-]+/[\w./-]+)", text)


def test_a_flat_input_to_the_cnn_gets_the_expected_shape_and_only_the_students_frames(scored):
    error = _error(scored, "flat_to_cnn")
    assert error["kind"] == "crash"
    assert "not enough values to unpack (expected 4, got 2)" in error["message"]
    assert "ヒント: CNN（ConvNet）の入力は 4 次元の (N, 1, 28, 28) です" in error["message"]
    traceback = error["traceback"]
    assert "return network.predict_proba(preprocess(images))" in traceback
    assert "（course/layers.py の Convolution.forward の中）" in traceback
    assert "col = im2col" not in traceback and "def forward" not in traceback  # library code is not shown


def test_no_report_shows_a_path_of_the_grading_machine(scored):
    for name, (report, text) in scored[1].items():
        assert _machine_paths(text) == [], (name, _machine_paths(text))
        assert _machine_paths(json.dumps(report.get("error") or {}, ensure_ascii=False)) == [], name


def test_labels_never_reach_the_submission(scored):
    for name in ("read_labels", "label_order"):
        report = scored[1][name][0]
        assert report["status"] == "scored", report["error"]
        assert report["public"]["accuracy"] < 0.2 and report["private"]["accuracy"] < 0.2, name


def test_own_modules_in_the_zip_are_importable(scored):
    report = scored[1]["own_module"][0]
    assert report["status"] == "scored", report["error"]
    assert report["public"]["accuracy"] == scored[1]["answer"][0]["public"]["accuracy"]


def test_same_zip_same_report_and_archive_keeps_it(scored, tmp_path):
    data = scored[0]["answer"][0]
    again = scorer.score_submission(data)
    assert scorer.report_json(again.report) == scorer.report_json(scored[1]["answer"][0])
    first = scorer.archive(data, again, tmp_path)
    second = scorer.archive(data, again, tmp_path)
    assert first == second == tmp_path / again.report["submission_sha256"] / "report-v1.json"
    assert (first.parent / "submission.zip").read_bytes() == data
    assert json.loads(first.read_text(encoding="utf-8")) == again.report
    assert "正解率" in first.with_suffix(".txt").read_text(encoding="utf-8")
    changed = scorer.Scoring(dict(again.report, status="failed"), "別の結果\n")
    third = scorer.archive(data, changed, tmp_path)
    assert third.name == "report-v1.2.json" and first.read_text(encoding="utf-8") == scorer.report_json(again.report)


def test_rejections_are_reported_without_running_anything():
    result = scorer.score_submission(b"hello")
    assert result.report["status"] == "rejected" and result.report["error"]["kind"] == "bad_zip"
    result = scorer.score_submission(_zip_with_broken_notebook())
    assert result.report["status"] == "rejected" and result.report["error"]["kind"] == "bad_notebook"
    assert "受け付けられませんでした" in result.text


def _zip_with_broken_notebook() -> bytes:
    from .capstone_support import make_zip

    return make_zip({"submit_katakana.ipynb": "{ this is not json", "model.npz": b""})


def test_command_line(tmp_path, scored, capsys):
    path = tmp_path / "submission.zip"
    path.write_bytes(scored[0]["no_model"][0])
    code = scorer.main([str(path), "--archive", str(tmp_path / "archive"), "--json"])
    out = capsys.readouterr().out
    assert code == scorer.EXIT_CODES["failed"] == 1
    assert json.loads(out)["error"]["kind"] == "model_missing"
    assert list((tmp_path / "archive").glob("*/report-v1.json"))


def test_student_mode_never_prints_private_numbers(tmp_path, scored, capsys, monkeypatch):
    report, text = scored[1]["answer"]
    monkeypatch.setattr(scorer, "score_submission", lambda data: scorer.Scoring(report, text))
    path = tmp_path / "submission.zip"
    path.write_bytes(scored[0]["answer"][0])
    private = report["private"]
    for extra in ([], ["--json"]):
        assert scorer.main([str(path), "--no-archive", "--student", *extra]) == 0
        out = capsys.readouterr().out
        assert "非公開" not in out and f"{private['accuracy'] * 100:.2f} %" not in out
        assert f"{report['public']['accuracy'] * 100:.2f}" in out or str(report["public"]["accuracy"]) in out
    assert json.loads(out)["private"] is None
    assert scorer.main([str(path), "--archive", str(tmp_path / "a"), "--student"]) == 0
    capsys.readouterr()
    archived = json.loads(next((tmp_path / "a").glob("*/report-v1.json")).read_text(encoding="utf-8"))
    assert archived["private"] == private  # the archive keeps the full report


_READ_SECRET = '''
def _secret():
    try:
        with open(SECRET) as fh:
            return int(fh.read())
    except Exception:
        return 0


_label = _secret()


def predict_proba(images):
    p = np.zeros((len(images), 15))
    p[:, _label] = 1
    return p
'''


def test_extra_hidden_directories_stay_unreadable(tmp_path):
    """A service's data directory (other students' zips) can be hidden from the submission."""
    try:
        secret_dir = Path(tempfile.mkdtemp(dir=REPO.parent))  # outside /tmp, which the sandbox masks anyway
    except OSError:
        pytest.skip("no writable directory beside the repository")
    try:
        secret = secret_dir / "secret.txt"
        secret.write_text("14")
        os.chmod(secret_dir, 0o755)
        os.chmod(secret, 0o644)
        model = model_bytes(train_softmax_regression(steps=5))
        data = submission(with_cell(notebook("answer"), _READ_SECRET.replace("SECRET", repr(str(secret))),
                                    replace=PREDICT), model)
        hidden = scorer.score_submission(data, extra_hide=[str(secret_dir)]).report
        assert hidden["status"] == "scored", hidden["error"]
        assert hidden["public"]["per_class_accuracy"][0] == 1.0  # answered class 0: the secret was not read
        visible = scorer.score_submission(data).report
        if visible["public"]["per_class_accuracy"][14] != 1.0:
            pytest.skip("the directory beside the repository is not visible in the sandbox anyway")
    finally:
        shutil.rmtree(secret_dir, ignore_errors=True)


def test_paths_are_shown_relative_to_the_submission_or_the_package():
    text = ("genba-dl-model/1; '/tmp/katakana-score-x/kernel/submission/data/m.npz', /opt/checkout/course/networks.py, "
            "/usr/lib/python3.11/site-packages/numpy/core/a.py, /srv/grader/secret.py")
    assert scorer.hide_paths(text) == "genba-dl-model/1; 'data/m.npz', course/networks.py, numpy/core/a.py, secret.py"
