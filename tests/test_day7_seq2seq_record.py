"""The recorded run of 7_3_seq2seq (course/data/day7_seq2seq.json) says what the notebook claims,
and the script that writes it still runs (a short run into a temporary directory)."""

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _record():
    return json.loads(files("course").joinpath("data", "day7_seq2seq.json").read_text(encoding="utf-8"))


def test_record_claims():
    record = _record()
    assert record["generated_by"] == "scripts/record_day7_seq2seq.py"
    s = record["settings"]
    assert (s["train_size"], s["test_size"], s["epochs"], s["hidden_size"], s["wordvec_size"]) == (20000, 1000, 12, 64, 16)
    models = record["models"]
    assert set(models) == {"baseline", "reverse", "peeky", "peeky_reverse"}
    for m in models.values():
        assert len(m["loss"]) == len(m["test_accuracy"]) == 12 and len(m["examples"]) == 10
    final = {name: m["test_accuracy"][-1] for name, m in models.items()}
    # notebook: baseline ~3 %, reverse ~6 %, peeky ~5 %, both ~80 %; loss of the three ~0.95
    assert final["peeky_reverse"] >= 0.75, final
    assert all(final[n] <= 0.10 for n in ("baseline", "reverse", "peeky")), final
    assert all(0.85 <= models[n]["loss"][-1] <= 1.05 for n in ("baseline", "reverse", "peeky"))
    both = models["peeky_reverse"]
    assert both["test_accuracy"][2] < 0.1 and both["test_accuracy"][4] > 0.4  # the jump around epoch 4
    assert sum(e["predicted"] == e["answer"] for e in both["examples"]) >= 5


def test_record_script_runs_briefly(tmp_path):
    out = subprocess.run([sys.executable, "scripts/record_day7_seq2seq.py", "--epochs", "1", "--train-size", "256",
                          "--out-dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "day7_seq2seq.json").read_text(encoding="utf-8"))
    assert set(record["models"]) == {"baseline", "reverse", "peeky", "peeky_reverse"}
    assert all(len(m["test_accuracy"]) == 1 for m in record["models"].values())


def test_wrong_answers_of_the_best_model_differ_in_one_digit():
    for e in _record()["models"]["peeky_reverse"]["examples"]:
        assert sum(p != a for p, a in zip(e["predicted"], e["answer"])) <= 1, e
