"""The numbers the prose of 6.3 states about its language model, checked by running the notebook's own demo
cells (from source/) with the course's reference layers (LSTM, TimeLSTM, TimeEmbedding, TimeSoftmaxWithLoss) in place
of the student's classes."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


def _run_cells(cell_ids, namespace):
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day6" / "6_3_lstm.ipynb").read_text(encoding="utf-8"))["cells"]}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id], f"6_3_lstm:{cell_id}", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace


def _references():
    from course.time_embedding import TimeEmbedding
    from course.time_loss import TimeSoftmaxWithLoss
    from course.time_lstm import LSTM, TimeLSTM

    return {"LSTM": LSTM, "TimeLSTM": TimeLSTM, "TimeEmbedding": TimeEmbedding,
            "TimeSoftmaxWithLoss": TimeSoftmaxWithLoss}


@pytest.fixture(scope="module")
def language_model():
    return _run_cells(["6-3-lstm-imports", "6-3-lstm-lm-data", "6-3-lstm-lm-train", "6-3-lstm-sample"], _references())


@pytest.mark.parametrize("cell", ["6-3-lstm-lstm-gradient-check", "6-3-lstm-time-gradient-check", "6-3-lstm-two-blocks"])
def test_the_gradient_checks_of_the_notebook_pass_with_the_reference(cell):
    ns = _run_cells(["6-3-lstm-imports", "6-3-lstm-lm-data", "6-3-lstm-lstm-gradient-check",
                     "6-3-lstm-time-gradient-check", cell], _references())
    assert ns["verdict"].passed, ns["verdict"].message


def test_the_embedding_and_loss_gradient_checks_of_the_notebook_pass_with_the_reference(capsys):
    ns = _run_cells(["6-3-lstm-imports", "6-3-lstm-add-at-demo", "6-3-lstm-lm-parts-gradient-check"], _references())
    out = capsys.readouterr().out
    assert out.count("勾配確認に合格しました") == 2, out
    assert ns["dW_added"][2].tolist() == [3.0, 3.0] and ns["dW_assigned"][2].tolist() == [1.0, 1.0]
    assert np.all(ns["dscores"][0, 2] == 0) and np.all(ns["dscores"][1, 1] == 0)
    assert abs(ns["shifted_loss"] - ns["loss"]) < 1e-9


def test_language_model_perplexity_as_the_prose_says(language_model):
    train_ppl, val_ppl = language_model["train_ppl"], language_model["val_ppl"]
    vocab_size = language_model["vocab_size"]
    assert len(train_ppl) == len(val_ppl) == 12
    assert 500 < vocab_size < 650  # "約 580"
    assert train_ppl[0] > 100 and train_ppl[-1] < 16
    assert val_ppl[-1] < 55 and val_ppl[-1] < vocab_size / 8
    assert all(b < a for a, b in zip(train_ppl, train_ppl[1:]))


def test_sampling_is_deterministic_under_a_seed(language_model):
    generate, layers = language_model["generate"], language_model["lm_layers"]
    first = generate(layers, "下人は", length=30, seed=3)
    assert first == generate(layers, "下人は", length=30, seed=3)
    assert first.startswith("下人は") and len(first) == 33
    assert first != generate(layers, "下人は", length=30, seed=4)
