"""The numbers the prose of 6.2 and 6.4 states about their demos, checked by running the notebooks' own demo
cells (from source/) with the course's reference layers in place of the student's classes."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


def _run_cells(notebook, cell_ids, namespace):
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day6" / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id], f"{notebook}:{cell_id}", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def simple_rnn_demo():
    from course.time_rnn import RNN, TimeRNN

    ns = {"RNN": RNN, "TimeRNN": TimeRNN}
    return _run_cells("6_2_simple_rnn", ["6-2-simple-rnn-imports", "6-2-simple-rnn-explode", "6-2-simple-rnn-sine-data",
                                         "6-2-simple-rnn-sine-train"], ns)


def test_exploding_and_vanishing_gradients_as_the_prose_says(simple_rnn_demo):
    norms = {scale: simple_rnn_demo["dh_norms_through_time"](scale, 0.0)[0] for scale in (0.5, 1.0, 2.0)}
    assert norms[2.0][-1] / norms[2.0][0] > 1e10  # "10^10 倍以上に爆発"
    assert 1e-14 < norms[0.5][-1] < 1e-10  # "10^-12 程度まで消えます"
    assert 0.05 < norms[1.0][-1] / norms[1.0][0] < 20  # "ほぼ同じ大きさで伝わります"
    saturated = simple_rnn_demo["dh_norms_through_time"](2.0, 1.0)[0]
    assert saturated[-1] / saturated[0] < 10  # "scale = 2.0 でも爆発しません"


def test_sine_training_diverges_without_clipping_and_learns_with_it(simple_rnn_demo):
    losses_free, losses = simple_rnn_demo["losses_free"], simple_rnn_demo["losses"]
    assert len(losses_free) < 30 and not losses_free[-1] < 1000
    assert len(losses) == 30 and losses[-1] < 0.006
    assert 0 < np.sum(np.array(simple_rnn_demo["norms"]) > 1.0) < 30  # clipping acts, but only early on


def test_gated_networks_solve_the_adding_problem_and_the_simple_rnn_does_not():
    from course.time_gru import GRU

    ns = _run_cells("6_4_gru", ["6-4-gru-imports", "6-4-gru-time-gru", "6-4-gru-compare-train"], {"GRU": GRU})
    test_loss = {kind: result[1] for kind, result in ns["results"].items()}
    n_params = {kind: result[2] for kind, result in ns["results"].items()}
    assert n_params == {"RNN": 321, "LSTM": 1233, "GRU": 929}
    # prose: RNN 0.019, LSTM 0.0030, GRU 0.0006 (against 0.083 for always answering 1.0)
    assert 0.01 < test_loss["RNN"] < 0.05
    assert test_loss["LSTM"] < 0.006
    assert test_loss["GRU"] < 0.002
    assert test_loss["GRU"] < test_loss["LSTM"] < test_loss["RNN"]
