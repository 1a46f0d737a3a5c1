"""The checks of 8_7_speedup: correct vectorised answers pass, typical mistakes fail with their hint,
and the speed check (course.checking.Timing) fails code that loops over all pairs, in the visible
self-check and the hidden check alike (one judge), and through the real grading pipeline."""

import json

import numpy as np
import pytest

from autograder import grade
from autograder.checks import checks_for
from course import probe
from course.checking import Case, FunctionCheck, Timing, judge

from .grading_support import answer, make_course_root, submit, with_answer

NB = "8_7_speedup"
VALUES, FAST = "pairwise_squared_distances_values", "pairwise_squared_distances_vectorized"
ALL = [VALUES, FAST]
LOOP_HINT = "ループで計算しているようです"

CORRECT = {
    "matrix product": """
def pairwise_squared_distances(X, Y):
    d = (X ** 2).sum(axis=1)[:, None] + (Y ** 2).sum(axis=1)[None, :] - 2 * X @ Y.T
    return np.maximum(d, 0.0)
""",
    "broadcasting": """
def pairwise_squared_distances(X, Y):
    diff = X[:, np.newaxis, :] - Y[np.newaxis, :, :]
    return np.sum(diff * diff, axis=-1)
""",
    "einsum without clipping": """
def pairwise_squared_distances(X, Y):
    return np.einsum('ij,ij->i', X, X)[:, None] + np.einsum('ij,ij->i', Y, Y) - 2.0 * np.dot(X, Y.T)
""",
}

LOOP_OVER_PAIRS = """
def pairwise_squared_distances(X, Y):
    dist = np.zeros((X.shape[0], Y.shape[0]))
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            dist[i, j] = np.sum((X[i] - Y[j]) ** 2)
    return dist
"""

WRONG = {
    "square root": ("""
def pairwise_squared_distances(X, Y):
    return np.sqrt(np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2))
""", VALUES, "平方根"),
    "transposed": ("""
def pairwise_squared_distances(X, Y):
    return np.sum((Y[:, None, :] - X[None, :, :]) ** 2, axis=2)
""", VALUES, "入れ替わって"),
    "no factor two": ("""
def pairwise_squared_distances(X, Y):
    return np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] - X @ Y.T
""", VALUES, "係数 2"),
    "plus cross term": ("""
def pairwise_squared_distances(X, Y):
    return np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] + 2 * X @ Y.T
""", VALUES, "符号が逆"),
    "norms on the wrong axes": ("""
def pairwise_squared_distances(X, Y):
    return np.sum(X ** 2, axis=1)[None, :] + np.sum(Y ** 2, axis=1)[:, None] - 2 * X @ Y.T
""", VALUES, "足す向きが逆"),
    "row i with row i only": ("""
def pairwise_squared_distances(X, Y):
    return np.sum((X - Y) ** 2, axis=1)
""", VALUES, "i 行目の組だけ"),
    "sum over everything": ("""
def pairwise_squared_distances(X, Y):
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2)
""", VALUES, "1 つの数に"),
    "sum before squaring": ("""
def pairwise_squared_distances(X, Y):
    return np.sum(X[:, None, :] - Y[None, :, :], axis=2) ** 2
""", VALUES, "足してから 2 乗"),
    "modifies X": ("""
def pairwise_squared_distances(X, Y):
    X **= 1.0
    X -= 0.0 * X + 1e-3
    return np.sum((X[:, None, :] + 1e-3 - Y[None, :, :]) ** 2, axis=2)
""", VALUES, "書き換えられています"),
    "returns a list": ("""
def pairwise_squared_distances(X, Y):
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2).tolist()
""", VALUES, "np.ndarray"),
    "float32": ("""
def pairwise_squared_distances(X, Y):
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2)
""", VALUES, "float"),
    "loop over all pairs": (LOOP_OVER_PAIRS, FAST, LOOP_HINT),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variants_pass_every_check(judge_code, name):
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, CORRECT[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_a_loop_gets_the_values_points_but_not_the_speed_points(judge_code):
    passed, message = judge_code(NB, VALUES, LOOP_OVER_PAIRS)
    assert passed, message
    passed, message = judge_code(NB, FAST, LOOP_OVER_PAIRS)
    assert not passed and LOOP_HINT in message and "倍の時間がかかりました" in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    stub = "def pairwise_squared_distances(X, Y):\n    raise NotImplementedError()\n"
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message


def test_scipy_cdist_wrapper_is_not_own_work(judge_code):
    code = ("from scipy.spatial.distance import cdist\n"
            "def pairwise_squared_distances(X, Y):\n    return cdist(X, Y, 'sqeuclidean')\n")
    # cdist is a library routine of another name: allowed by the judge's own-work rule, like np.sum
    passed, message = judge_code(NB, VALUES, code)
    assert passed, message


# ----------------------------------------------------------------------------- the Timing judge itself
def _timed_check(max_ratio=30.0):
    timing = Timing(label="大きな入力", shapes=[(4, 2), (3, 2)], baseline="difference_sums",
                    max_ratio=max_ratio, hint="ループで計算しているようです。")
    return FunctionCheck(function="f", cases=[Case("例", (np.zeros((1, 2)),), expected=np.zeros(1))],
                         returns="array", timing=timing)


def _report(timing):
    ok = {"ok": True, "value": probe.encode_value(np.zeros(1)), "warnings": [],
          "args_after": [probe.encode_value(np.zeros((1, 2)))]}
    report = {"function": "f", "callable": {"exists": True, "callable": True, "module": "__main__", "borrowed": []},
              "results": [ok]}
    if timing is not None:
        report["timing"] = timing
    return report


@pytest.mark.parametrize("timing, passes, words", [
    ({"ok": True, "seconds": 0.029, "baseline_seconds": 0.001}, True, ""),
    ({"ok": True, "seconds": 0.031, "baseline_seconds": 0.001}, False, "31 倍の時間"),
    (None, False, "実行時間を測れませんでした"),
    ({"ok": False, "error": "ValueError: boom"}, False, "ValueError: boom"),
    ({"ok": True, "seconds": 0.0, "baseline_seconds": 0.001}, False, "正しく測れませんでした"),
    ({"ok": True, "seconds": 0.001, "baseline_seconds": 0.0}, False, "正しく測れませんでした"),
    ({"ok": True, "seconds": -1.0, "baseline_seconds": 0.001}, False, "正しく測れませんでした"),
    ({"ok": True, "seconds": "0.001", "baseline_seconds": 0.001}, False, "正しく測れませんでした"),
    ({"ok": True, "seconds": True, "baseline_seconds": 0.001}, False, "正しく測れませんでした"),
])
def test_the_judge_decides_speed_from_the_reported_ratio(timing, passes, words):
    verdict = judge(_timed_check(), _report(timing))
    assert verdict.passed is passes, verdict.message
    assert words in verdict.message


def test_a_check_without_timing_ignores_a_timing_report():
    check = _timed_check()
    check.timing = None
    assert judge(check, _report({"ok": True, "seconds": 100.0, "baseline_seconds": 0.001})).passed


def test_the_probe_times_the_function_against_the_yardstick_in_one_process():
    check = checks_for(NB, FAST)[0]
    spec = check.request()["timing"]
    fast = probe.time_calls(lambda X, Y: np.maximum((X * X).sum(1)[:, None] + (Y * Y).sum(1) - 2 * X @ Y.T, 0), spec)
    assert fast["ok"] and fast["seconds"] < check.timing.max_ratio * fast["baseline_seconds"], fast
    failing = probe.time_calls(lambda X, Y: 1 / 0, spec)
    assert not failing["ok"] and "ZeroDivisionError" in failing["error"]
    json.dumps(fast)  # plain data


def test_the_self_check_data_carries_the_same_timing():
    from course.selfcheck import visible_checks

    hidden, visible = checks_for(NB, FAST)[0], visible_checks(NB, FAST)[0]
    assert visible.timing == hidden.timing
    assert visible_checks(NB, VALUES)[0].timing is None


# ----------------------------------------------------------------------------- the real grading pipeline
def test_the_grader_fails_a_loop_in_the_students_kernel(tmp_path):
    # the answer notebook's full marks through the same pipeline: tests/test_grading_pipeline.py
    day = "day8"
    root = make_course_root(tmp_path)
    subs = tmp_path / "submissions"
    submit(subs, "loops", f"{NB}.ipynb", with_answer(answer(day, NB), "pairwise_squared_distances", LOOP_OVER_PAIRS))
    assert grade.main([day, "--submissions", str(subs), "--root", str(root), "--jobs", "1"]) == 0
    result = json.loads((root / "grading/results/loops" / f"{NB}.json").read_text())
    verdicts = {v["grade_id"]: v for v in result["verdicts"]}
    assert verdicts[VALUES]["passed"], result["verdicts"]
    assert not verdicts[FAST]["passed"] and LOOP_HINT in verdicts[FAST]["message"], result["verdicts"]
