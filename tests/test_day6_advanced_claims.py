"""The numbers the prose of 6.5 states about its demos, checked by running the notebook's own demo cells
(from source/) with the course's reference memory functions in place of the student's; the bidirectional
LSTM's backward against numerical gradients."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent
NB = "6_5_advanced_rnn"
P = "6-5-advanced-rnn-"


def _run_cells(cell_ids, namespace):
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day6" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id], f"{NB}:{cell_id}", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def demo():
    return _run_cells([P + c for c in ("imports", "bilstm", "cls-data", "cls-train", "forecast-train", "forecast-run")],
                      {})


def test_bidirectional_lstm_backward_matches_numerical_gradients_and_sees_the_future():
    ns = _run_cells([P + c for c in ("imports", "bilstm", "bilstm-check", "bilstm-future")], {})
    assert ns["verdict"].passed, ns["verdict"].message
    assert np.all(ns["diff_f"][:-1] == 0) and ns["diff_f"][-1] > 0  # forward half: only the last step changes
    assert np.all(ns["diff_b"] > 0)  # backward half: every step changes
    assert ns["hs"].shape == (2, 5, 8)


def test_bidirectional_concatenation_order_is_forward_then_backward():
    ns = _run_cells([P + c for c in ("imports", "bilstm")], {})
    rng = np.random.default_rng(1)
    w_f, w_b = ns["lstm_weights"](3, 4, rng), ns["lstm_weights"](3, 4, rng)
    xs = rng.normal(size=(2, 6, 3))
    hs = ns["TimeBiLSTM"](*w_f, *w_b).forward(xs)
    from course.time_lstm import TimeLSTM

    np.testing.assert_allclose(hs[:, :, :4], TimeLSTM(*w_f).forward(xs))
    np.testing.assert_allclose(hs[:, :, 4:], TimeLSTM(*w_b).forward(xs[:, ::-1])[:, ::-1])


def test_weight_tying_counts():
    ns = _run_cells([P + c for c in ("imports", "tying")], {})
    assert ns["untied"] == 19_775_200 and ns["tied"] == 13_275_200  # "33% 減"
    assert round(1 - ns["tied"] / ns["untied"], 2) == 0.33


def test_classification_accuracy_as_the_prose_says(demo):
    assert demo["accs_cls"][-1] >= 0.95  # prose: 0.99 (chance 1/3)


def test_forecast_error_as_the_prose_says(demo):
    assert demo["rmse"] < 0.35  # prose: about 0.25
    assert abs(demo["rmse_zero"] - 0.707) < 0.01  # "0 を予測し続けると 0.71"
    assert demo["losses_fc"][-1] < demo["losses_fc"][0] / 10


def test_memory_demo_runs_with_the_reference():
    from course.memory import content_addressing, content_read, cosine_similarity

    ns = _run_cells([P + c for c in ("imports", "memory-demo")], {
        "content_addressing": content_addressing, "content_read": content_read, "cosine_similarity": cosine_similarity})
    w = content_addressing(ns["memory"], ns["key"], 50.0)[0]
    assert w.argmax() == 3 and w[3] > 0.9
    np.testing.assert_allclose(content_addressing(ns["memory"], ns["key"], 0.0), 1 / 8)


def test_reference_read_is_the_weighted_sum_and_its_backward_through_the_read_is_consistent():
    """content_read is linear in M for fixed weights: the numerical gradient of sum(r * dr) w.r.t. M, holding w,
    is w ⊗ dr; this pins the orientation of the product the notebook states (r[b] = w[b] @ M[b])."""
    from course.gradient_check import check_gradients
    from course.memory import content_addressing

    rng = np.random.default_rng(0)
    M, k, dr = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    w = content_addressing(M, k, 3.0)
    verdict = check_gradients(lambda: float(np.sum(np.einsum("bn,bnw->bw", w, M) * dr)), {"M": M},
                              {"M": w[:, :, None] * dr[:, None, :]})
    assert verdict.passed, verdict.message
