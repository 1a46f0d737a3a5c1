"""What the prose of 7.5 says about its demos and its recorded run: the gradient checks of the notebook pass
with the reference layers, the short training demo learns to reverse 5-digit strings, and the record
(course/data/day7_transformer.npz, made by scripts/record_day7_transformer.py) holds the accuracy, the
curves and the attention maps the notebook plots."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


def _run_cells(cell_ids, namespace):
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day7" / "7_5_transformer.ipynb").read_text(encoding="utf-8"))["cells"]}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id], f"7_5_transformer:{cell_id}", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace


def _reference_namespace():
    import course.transformer_attention as ref

    return {name: getattr(ref, name) for name in ref.__all__}


def test_the_gradient_checks_of_the_notebook_pass_with_the_reference(capsys):
    ns = _run_cells(["7-5-transformer-imports", "7-5-transformer-sdpa-gradient-check"], _reference_namespace())
    assert ns["verdict"].passed
    printed = capsys.readouterr().out
    assert printed.count("勾配確認に合格しました") == 3 and "不一致" not in printed
    ns = _run_cells(["7-5-transformer-imports", "7-5-transformer-mha-gradient-check"], _reference_namespace())
    printed = capsys.readouterr().out
    assert printed.count("勾配確認に合格しました") == 2 and "不一致" not in printed
    ns = _run_cells(["7-5-transformer-imports", "7-5-transformer-block-gradient-check"], _reference_namespace())
    assert ns["verdict"].passed, ns["verdict"].message


def test_the_short_demo_learns_to_reverse_as_the_prose_says():
    ns = _run_cells(["7-5-transformer-imports", "7-5-transformer-train-demo"], _reference_namespace())
    history = ns["demo_history"]
    assert len(history["step"]) == 12 and history["step"][-1] == 300
    assert history["loss"][-1] < history["loss"][0] / 20
    assert history["test_exact_match"][-1] >= 0.95  # "ほぼ 100 %"
    assert history["test_exact_match"][0] < 0.9


@pytest.fixture(scope="module")
def record():
    from course.records import load_record

    return load_record("day7_transformer")


def test_the_record_says_where_it_comes_from(record):
    assert str(record["generated_by"]) == "scripts/record_day7_transformer.py"
    assert "12-digit" in str(record["description"])
    assert int(record["length"]) == 12 and int(record["num_layers"]) == 2 and int(record["num_heads"]) == 4
    assert int(record["d_model"]) == 32 and int(record["test_size"]) == 1000


def test_the_recorded_run_reverses_twelve_digits(record):
    assert float(record["final_test_exact_match"]) >= 0.98  # the notebook: "ほぼ 100 %"
    assert record["test_exact_match"][-1] >= 0.98
    assert record["test_exact_match"][0] < 0.5  # it starts far from there
    assert record["loss"][-1] < 0.02 < record["loss"][0]
    assert float(record["train_seconds"]) < 600  # "1 コアで数分"
    L = int(record["length"])
    generated, inputs = record["generated"], record["test_inputs"]
    assert np.array_equal(generated[:, L + 1:], inputs[:, L - 1::-1])


def test_the_attention_maps_show_the_mirror_line(record):
    maps = record["attention_maps"]
    L = int(record["length"])
    assert maps.shape == (2, 4, 2 * L, 2 * L)
    assert np.allclose(maps.sum(axis=-1), 1)
    assert np.all(np.triu(maps, k=1) == 0)  # causal
    assert float(record["max_mirror_weight"]) > 0.5  # one head looks at the mirrored question position
