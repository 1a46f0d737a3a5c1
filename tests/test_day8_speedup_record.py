"""The recorded measurements of 8_7_speedup (scripts/record_day8_speedup.py) say what the notebook
claims, with margin: timings of a shared machine vary, so only orders of magnitude are asserted."""

import json
from pathlib import Path

import numpy as np
import pytest

RECORD = Path(__file__).resolve().parent.parent / "course" / "data" / "day8_speedup.json"


@pytest.fixture(scope="module")
def record():
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_the_record_names_its_script_and_the_machine(record):
    assert record["generated_by"] == "scripts/record_day8_speedup.py"
    machine = record["machine"]
    assert machine["cpu_count"] >= 1 and machine["numpy"] and machine["processor"]
    assert machine["blas"] and machine["blas"][0]["internal_api"]


def test_loops_are_orders_of_magnitude_slower_than_the_vectorised_forms(record):
    s = {k: np.array(v) for k, v in record["distances"]["seconds"].items()}
    assert np.all(s["double_loop"] > 100 * s["matmul"])  # the notebook: about three orders of magnitude
    assert np.all(s["double_loop"] > 10 * s["broadcast"])
    assert s["double_loop"][-1] / s["double_loop"][0] > 10  # grows like N × M


def test_im2col_beats_the_loops(record):
    c = record["convolution"]["seconds"]
    for loops, im2col in zip(c["element_loops"], c["im2col"]):
        if loops is not None:
            assert loops > 300 * im2col  # the notebook: three to four orders of magnitude
    assert all(p > im2col for p, im2col in zip(c["position_loops"], c["im2col"]))


def test_float32_matrix_products_are_faster(record):
    p = record["precision"]["seconds"]
    ratio = np.array(p["float64"]) / np.array(p["float32"])
    assert np.median(ratio) > 1.3  # the notebook: about twice as fast
    assert record["precision"]["float32_relative_error_512"] < 1e-5


def test_throughput_grows_with_the_batch_and_levels_off(record):
    for key in ("float64", "float32"):
        ips = np.array(record["batch_size"]["images_per_second"][key])
        assert ips.max() > 10 * ips[0]  # the notebook: tens of times
        assert ips[-1] < 3 * ips[len(ips) // 2 + 2]  # no large gain beyond a few hundred images


def test_threads_and_processes_are_recorded(record):
    for part, key in (("threads", "threads"), ("processes", "processes")):
        assert record[part][key][0] == 1 and len(record[part][key]) == len(record[part]["seconds"]) >= 1
        assert all(s > 0 for s in record[part]["seconds"])
