"""The checks of 8_6_compression: right answers pass, typical mistakes fail with a hint (in the grader and in the
notebook's self-check: the judge_code fixture proves both); the distillation gradient (reference and answer) is
proven against numerical gradients; the recorded distillation runs say what the notebook says."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

NB = "8_6_compression"
REPO = Path(__file__).resolve().parent.parent

PRUNE = """
def prune_by_magnitude(W, ratio):
    pruned = W.copy()
    k = int(ratio * W.size)
    order = np.argsort(np.abs(W), axis=None, kind="stable")
    pruned.reshape(-1)[order[:k]] = 0
    return pruned
"""
PRUNE_MASK = """
def prune_by_magnitude(W, ratio):
    flat = np.abs(W).ravel()
    k = int(ratio * W.size)
    mask = np.ones(W.size, dtype=bool)
    mask[np.argsort(flat, kind="mergesort")[:k]] = False
    return W * mask.reshape(W.shape).astype(W.dtype)
"""
QUANTIZE = """
def quantize(x, scale=None, zero_point=None):
    if scale is None:
        x_min = min(float(x.min()), 0.0)
        x_max = max(float(x.max()), 0.0)
        scale = (x_max - x_min) / 255
        if scale == 0.0:
            scale = 1.0
        zero_point = int(np.clip(np.round(-x_min / scale), 0, 255))
    q = np.clip(np.round(x / scale) + zero_point, 0, 255).astype(np.uint8)
    return q, float(scale), int(zero_point)
"""
QUANTIZE_NP = """
def quantize(x, scale=None, zero_point=None):
    if scale is None:
        lo, hi = np.minimum(x.min(), 0), np.maximum(x.max(), 0)
        scale = float(hi - lo) / 255 or 1.0
        zero_point = int(np.round(-lo / scale))
        zero_point = max(0, min(255, zero_point))
    q = np.round(x / scale) + zero_point
    q = np.minimum(np.maximum(q, 0), 255)
    return q.astype("uint8"), scale, zero_point
"""
DEQUANTIZE = "def dequantize(q, scale, zero_point):\n    return (q.astype(np.float64) - zero_point) * scale\n"
LOG_SOFTMAX = """
def log_softmax_t(logits, T):
    z = logits / T
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
"""
DISTILL = LOG_SOFTMAX + """
def distillation_loss(student_logits, teacher_logits, T):
    lt, ls = log_softmax_t(teacher_logits, T), log_softmax_t(student_logits, T)
    return float(T ** 2 * np.mean(np.sum(np.exp(lt) * (lt - ls), axis=1)))
"""
DISTILL_BACK = LOG_SOFTMAX + """
def distillation_loss_backward(student_logits, teacher_logits, T):
    ps, pt = np.exp(log_softmax_t(student_logits, T)), np.exp(log_softmax_t(teacher_logits, T))
    return T * (ps - pt) / student_logits.shape[0]
"""

CORRECT = {
    "prune_by_magnitude_values": {"answer": PRUNE, "mask": PRUNE_MASK},
    "prune_by_magnitude_ties": {"answer": PRUNE, "mask": PRUNE_MASK},
    "quantize_values": {"answer": QUANTIZE, "numpy scalars": QUANTIZE_NP},
    "quantize_clipping": {"answer": QUANTIZE, "numpy scalars": QUANTIZE_NP},
    "dequantize_values": {"answer": DEQUANTIZE,
                          "int64": "def dequantize(q, scale, zero_point):\n"
                                   "    return scale * (q.astype(np.int64) - zero_point).astype(float)\n"},
    "distillation_loss_values": {
        "answer": DISTILL,
        "cross-entropy minus entropy": LOG_SOFTMAX + """
def distillation_loss(student_logits, teacher_logits, T):
    lt, ls = log_softmax_t(teacher_logits, T), log_softmax_t(student_logits, T)
    pt = np.exp(lt)
    ce = -np.sum(pt * ls) / len(pt)
    entropy = -np.sum(pt * lt) / len(pt)
    return T * T * (ce - entropy)
"""},
    "distillation_loss_backward_values": {
        "answer": DISTILL_BACK,
        "softmax": """
def distillation_loss_backward(student_logits, teacher_logits, T):
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    n = len(student_logits)
    return T ** 2 * (softmax(student_logits / T) - softmax(teacher_logits / T)) / (T * n)
"""},
}

WRONG = {
    # pruning
    "signed": (PRUNE.replace("np.argsort(np.abs(W)", "np.argsort((W)"), "prune_by_magnitude_values", "符号つき"),
    "inverse ratio": (PRUNE.replace("k = int(ratio * W.size)", "k = int((1 - ratio) * W.size)"),
                      "prune_by_magnitude_values", "ratio の意味が逆"),
    "largest": (PRUNE.replace("np.argsort(np.abs(W)", "np.argsort(-np.abs(W)"), "prune_by_magnitude_values",
                "絶対値の大きい"),
    "rounded k": (PRUNE.replace("int(ratio * W.size)", "int(round(ratio * W.size))"), "prune_by_magnitude_values",
                  "四捨五入"),
    "per row": ("""
def prune_by_magnitude(W, ratio):
    out = W.copy()
    k = int(ratio * W.shape[-1])
    idx = np.argsort(np.abs(W), axis=-1, kind="stable")[..., :k]
    np.put_along_axis(out, idx, 0, axis=-1)
    return out
""", "prune_by_magnitude_values", "行ごと"),
    "in place": (PRUNE.replace("pruned = W.copy()", "pruned = W"), "prune_by_magnitude_values", "書き換えられています"),
    "threshold ties": ("""
def prune_by_magnitude(W, ratio):
    k = int(ratio * W.size)
    if k == 0:
        return W.copy()
    threshold = np.sort(np.abs(W), axis=None)[k - 1]
    return np.where(np.abs(W) <= threshold, 0, W).astype(W.dtype)
""", "prune_by_magnitude_ties", "k 個より多く"),
    # quantize
    "zero point floored": (QUANTIZE.replace("np.round(-x_min / scale)", "np.floor(-x_min / scale)"),
                           "quantize_values", "ゼロ点を四捨五入していません"),
    "zero point float": (QUANTIZE.replace("zero_point = int(np.clip(np.round(-x_min / scale), 0, 255))",
                                          "zero_point = float(np.clip(-x_min / scale, 0, 255))")
                         .replace("int(zero_point)", "zero_point"), "quantize_values", "整数"),
    "no zero in range": (QUANTIZE.replace("min(float(x.min()), 0.0)", "float(x.min())")
                         .replace("max(float(x.max()), 0.0)", "float(x.max())"), "quantize_values", "0 を含めていません"),
    "256 levels": (QUANTIZE.replace("/ 255", "/ 256"), "quantize_values", "256 で割って"),
    "floor": (QUANTIZE.replace("np.round(x / scale)", "np.floor(x / scale)"), "quantize_values", "切り捨て"),
    "float q": (QUANTIZE.replace(".astype(np.uint8)", ""), "quantize_values", "符号なし整数"),
    "int64 q": (QUANTIZE.replace(".astype(np.uint8)", ".astype(np.int64)"), "quantize_values", "符号なし整数"),
    "int8": (QUANTIZE.replace("q = np.clip(np.round(x / scale) + zero_point, 0, 255).astype(np.uint8)",
                              "q = (np.clip(np.round(x / scale) + zero_point, 0, 255) - 128).astype(np.int8)")
             .replace("int(zero_point)", "int(zero_point) - 128"), "quantize_values", "int8"),
    "no clip": (QUANTIZE.replace("np.clip(np.round(x / scale) + zero_point, 0, 255).astype(np.uint8)",
                                 "(np.round(x / scale) + zero_point).astype(np.int64).astype(np.uint8)"),
                "quantize_clipping", "clip していません"),
    # dequantize
    "uint8 wrap": ("def dequantize(q, scale, zero_point):\n    return (q - np.uint8(zero_point)) * scale\n",
                   "dequantize_values", "回り込んで"),
    "no zero point": ("def dequantize(q, scale, zero_point):\n    return q.astype(np.float64) * scale\n",
                      "dequantize_values", "ゼロ点を引いていません"),
    "divides": ("def dequantize(q, scale, zero_point):\n    return (q.astype(np.float64) - zero_point) / scale\n",
                "dequantize_values", "scale で割って"),
    # distillation loss
    "no T squared": (DISTILL.replace("T ** 2 * ", ""), "distillation_loss_values", "T² を掛けていません"),
    "T only on student": (DISTILL.replace("log_softmax_t(teacher_logits, T)", "log_softmax_t(teacher_logits, 1.0)"),
                          "distillation_loss_values", "生徒のロジットにしか"),
    "T only on teacher": (DISTILL.replace("log_softmax_t(student_logits, T)", "log_softmax_t(student_logits, 1.0)"),
                          "distillation_loss_values", "教師のロジットにしか"),
    "reversed KL": (DISTILL.replace("np.exp(lt) * (lt - ls)", "np.exp(ls) * (ls - lt)"), "distillation_loss_values",
                    "向きが逆"),
    "sum over batch": (DISTILL.replace("np.mean(np.sum(", "np.sum(np.sum("), "distillation_loss_values", "合計"),
    "cross-entropy": (DISTILL.replace("np.exp(lt) * (lt - ls)", "-np.exp(lt) * ls"), "distillation_loss_values",
                      "交差エントロピー"),
    "unstable softmax": ("""
def distillation_loss(student_logits, teacher_logits, T):
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    pt, ps = softmax(teacher_logits / T), softmax(student_logits / T)
    return float(T ** 2 * np.mean(np.sum(pt * (np.log(pt) - np.log(ps)), axis=1)))
""", "distillation_loss_values", "distillation_loss"),
    # distillation backward
    "grad no T squared": (DISTILL_BACK.replace("return T * (ps - pt)", "return (ps - pt) / T"),
                          "distillation_loss_backward_values", "T² を掛けていない"),
    "grad T squared": (DISTILL_BACK.replace("return T * (ps - pt)", "return T ** 2 * (ps - pt)"),
                       "distillation_loss_backward_values", "1/T を掛け忘れ"),
    "grad T one side": (DISTILL_BACK.replace("log_softmax_t(teacher_logits, T)", "log_softmax_t(teacher_logits, 1)"),
                        "distillation_loss_backward_values", "片方にしか"),
    "grad sum": (DISTILL_BACK.replace(" / student_logits.shape[0]", ""), "distillation_loss_backward_values",
                 "N で割っていません"),
    "grad sign": (DISTILL_BACK.replace("T * (ps - pt)", "T * (pt - ps)"), "distillation_loss_backward_values",
                  "符号が逆"),
}

STUB = "raise NotImplementedError()"
STUBS = {
    "prune_by_magnitude_values": f"def prune_by_magnitude(W, ratio):\n    {STUB}\n",
    "prune_by_magnitude_ties": f"def prune_by_magnitude(W, ratio):\n    {STUB}\n",
    "quantize_values": f"def quantize(x, scale=None, zero_point=None):\n    {STUB}\n",
    "quantize_clipping": f"def quantize(x, scale=None, zero_point=None):\n    {STUB}\n",
    "dequantize_values": f"def dequantize(q, scale, zero_point):\n    {STUB}\n",
    "distillation_loss_values": LOG_SOFTMAX + f"\ndef distillation_loss(student_logits, teacher_logits, T):\n    {STUB}\n",
    "distillation_loss_backward_values": f"def distillation_loss_backward(student_logits, teacher_logits, T):\n    {STUB}\n",
}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


# --------------------------------------------------------------------------- gradients and claims
def _answer_functions():
    cells = json.loads((REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {"np": np}
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), ns)
    return ns


@pytest.mark.parametrize("source", ["answer", "reference"])
def test_distillation_gradient_matches_numerical_gradients(source):
    from course.gradient_check import check_gradients

    fns = _answer_functions() if source == "answer" else vars(__import__("course.compression", fromlist=["x"]))
    rng = np.random.default_rng(86)
    for T in (0.5, 1.0, 4.0, 10.0):
        s, t = rng.normal(size=(3, 6)) * 2, rng.normal(size=(3, 6)) * 2
        verdict = check_gradients(lambda: fns["distillation_loss"](s, t, T), {"s": s},
                                  {"s": fns["distillation_loss_backward"](s, t, T)}, threshold=1e-6)
        assert verdict.passed, verdict.message


def test_quantisation_round_trip_and_zero():
    fns = _answer_functions()
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=500), [0.0]])
    q, scale, zp = fns["quantize"](x)
    back = fns["dequantize"](q, scale, zp)
    assert q.dtype == np.uint8 and back[-1] == 0.0
    assert np.abs(back - x).max() <= scale / 2 + 1e-12


def test_recorded_distillation_runs():
    record = json.loads((REPO / "course" / "data" / "day8_compression_distillation.json").read_text(encoding="utf-8"))
    assert record["generated_by"] == "scripts/record_day8_compression.py"
    assert record["train_size"] == 1000 and record["hidden"] == 16 and record["epochs"] == 60
    final = {name: np.array([acc[-1] for acc in run["test_acc"]]) for name, run in record["runs"].items()}
    assert 0.85 < final["hard"].mean() < 0.875  # "約 86.8%"
    for name in ("T1", "T4", "T4_hard"):  # "約 88.0〜88.3%", "種のばらつきより十分大きな差"
        assert 0.875 < final[name].mean() < 0.89
        assert final[name].min() > final["hard"].max()
    assert abs(final["T1"].mean() - final["T4"].mean()) < 0.01
    assert 0.96 < record["teacher_test_acc"] < 0.97


def test_recorded_run_is_reproduced_by_its_script(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day8_compression.py"), "--epochs", "2",
                    "--out-dir", str(tmp_path)], check=True, cwd=REPO, capture_output=True)
    short = json.loads((tmp_path / "day8_compression_distillation.json").read_text(encoding="utf-8"))
    record = json.loads((REPO / "course" / "data" / "day8_compression_distillation.json").read_text(encoding="utf-8"))
    assert short["teacher_test_acc"] == record["teacher_test_acc"]
    for name, run in short["runs"].items():
        np.testing.assert_allclose(np.array(run["test_acc"]), np.array(record["runs"][name]["test_acc"])[:, :2])


def test_the_notebook_claims_about_the_pretrained_network():
    """Quantisation keeps the accuracy; pruning 30 % barely changes it, 50 % costs about 2 points, 90 % breaks it."""
    from course.compression import dequantize, prune_by_magnitude, quantize
    from course.datasets import load_mnist
    from course.pretrained import load_sample_weight

    (_, _), (x_test, t_test) = load_mnist(normalize=True)
    net = load_sample_weight()

    def acc(p):
        sig = lambda a: 1 / (1 + np.exp(-np.clip(a, -50, 50)))  # noqa: E731
        y = sig(sig(x_test @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
        return float(np.mean(y.argmax(axis=1) == t_test))

    def pruned(r):
        return {k: prune_by_magnitude(v, r) if k.startswith("W") else v for k, v in net.items()}

    base = acc(net)
    assert abs(base - 0.9659) < 0.002
    assert abs(acc({k: dequantize(*quantize(v)).astype(np.float32) for k, v in net.items()}) - base) < 0.003
    assert base - acc(pruned(0.3)) < 0.005
    assert 0.93 < acc(pruned(0.5)) < 0.955
    assert acc(pruned(0.9)) < 0.5
