"""The recorded run of 7_4_attention (course/data/day7_attention.json) says what the notebook claims,
and the script that writes it still runs (a short run into a temporary directory)."""

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def _record():
    return json.loads(files("course").joinpath("data", "day7_attention.json").read_text(encoding="utf-8"))


def test_record_reaches_99_percent():
    record = _record()
    assert record["generated_by"] == "scripts/record_day7_attention.py"
    s = record["settings"]
    assert (s["train_size"], s["test_size"], s["epochs"], s["hidden_size"], s["reverse"]) == (20000, 1000, 6, 64, True)
    acc = record["test_accuracy"]
    assert len(acc) == 6 and len(record["loss"]) == 6
    assert acc[-1] >= 0.99 and acc[4] >= 0.99  # notebook: 100 % after epochs 5 and 6
    assert acc[0] <= 0.01 and acc[1] <= 0.01 and 0.85 <= acc[3] <= 0.97  # 0 %, 0 %, ..., 93 % after epoch 4
    assert record["loss"][-1] < 0.05


def test_attention_maps_are_distributions_and_look_at_the_year():
    examples = _record()["examples"]
    assert len(examples) == 6
    for e in examples:
        w = np.array(e["attention"])
        assert w.shape == (10, 29) and np.allclose(w.sum(axis=1), 1.0, atol=1e-4)
        assert e["predicted"] == e["answer"]
    # the notebook: the year's digits look at the year in the question (SUNDAY, AUGUST 21, 1994)
    first = examples[0]
    w = np.array(first["attention"])
    year = first["question"].index("1994")
    assert all(year <= int(w[k].argmax()) < year + 4 for k in (0, 2, 3))
    assert first["question"][int(w[8].argmax())] == "2" and first["question"][int(w[9].argmax())] == "1"


def test_record_script_runs_briefly(tmp_path):
    out = subprocess.run([sys.executable, "scripts/record_day7_attention.py", "--epochs", "1", "--train-size", "256",
                          "--out-dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "day7_attention.json").read_text(encoding="utf-8"))
    assert len(record["test_accuracy"]) == 1 and len(record["examples"]) == 6
