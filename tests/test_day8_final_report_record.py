"""The sample models and runs of 8_8_final_report (scripts/record_day8_final_report.py): they load in
the submission format and score on the validation split what the record says, with margin."""

import json
from pathlib import Path

import numpy as np
import pytest

from course.katakana import expected_input_shape, holdout_split, load_katakana, load_model, score_predictions
from course.networks import network_from_architecture

DATA = Path(__file__).resolve().parent.parent / "course" / "data"


@pytest.fixture(scope="module")
def record():
    return json.loads((DATA / "day8_final_report_runs.json").read_text(encoding="utf-8"))


def test_the_record_names_its_script_and_every_run_has_curves(record):
    assert record["generated_by"] == "scripts/record_day8_final_report.py"
    assert [r["name"] for r in record["runs"]] == ["fc_no_augment", "fc_augment", "cnn_augment"]
    for run in record["runs"]:
        h = run["history"]
        assert len(h["val_acc_list"]) == len(h["train_acc_list"]) == run["hyperparameters"]["epochs"]
        assert h["train_loss_list"][-1] < h["train_loss_list"][0]


@pytest.mark.parametrize("name, run", [("fc", "fc_augment"), ("cnn", "cnn_augment")])
def test_the_sample_models_score_what_the_record_says(record, name, run):
    path = DATA / f"day8_final_report_{name}.npz"
    saved = load_model(path)
    network = network_from_architecture(str(saved["__architecture__"]), dtype=np.float32)
    network.load_params(load_model(path, expected_shapes=network.param_shapes()))
    x, t = load_katakana()
    _, _, x_val, t_val = holdout_split(x, t)
    inputs = np.asarray(x_val, dtype=np.float32) / 255.0
    inputs = inputs.reshape(len(inputs), *expected_input_shape(network)[1:])
    scores = score_predictions(network.predict_proba(inputs), t_val)
    recorded = next(r for r in record["runs"] if r["name"] == run)["history"]["val_acc_list"][-1]
    assert scores["accuracy"] > 0.85
    assert abs(scores["accuracy"] - recorded) < 0.02
    assert path.stat().st_size < 1_000_000
