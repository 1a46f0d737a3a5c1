"""The recorded DAY3 training runs (course/data/day3_*.npz, scripts/record_day3_runs.py): what the
notebooks show holds in the record, and the record is what the script produces."""

import subprocess
import sys

import numpy as np
import pytest

from course.records import load_record
from tests.conftest import REPO


def _final_loss(record, name):
    return float(record[f"loss_{name}"][-100:].mean())


def test_optimizer_comparison_has_the_books_ordering():
    """At the same step count Adam, AdaGrad and Momentum are well ahead of SGD (book, figure 6-9)."""
    record = load_record("day3_optimizers_mnist")
    assert len(record["loss_SGD"]) == 2000
    sgd_loss, sgd_acc = _final_loss(record, "SGD"), float(record["test_acc_SGD"][-1])
    for name in ("Adam", "AdaGrad", "Momentum"):
        assert _final_loss(record, name) < 0.6 * sgd_loss, name
        assert float(record[f"test_acc_{name}"][-1]) > sgd_acc + 0.015, name
    for name in [str(n) for n in record["names"]]:
        assert np.all(np.isfinite(record[f"loss_{name}"])), name
        assert _final_loss(record, name) < 0.5 * float(record[f"loss_{name}"][:50].mean()), name


def test_optimizer_record_is_reproduced_by_its_script(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day3_runs.py"), "optimizers",
                    "--iterations", "20", "--only", "SGD,Adam", "--out-dir", str(tmp_path)],
                   check=True, cwd=REPO, capture_output=True)
    with np.load(tmp_path / "day3_optimizers_mnist.npz", allow_pickle=False) as short:
        record = load_record("day3_optimizers_mnist")
        for name in ("SGD", "Adam"):
            np.testing.assert_allclose(short[f"loss_{name}"], record[f"loss_{name}"][:20], rtol=1e-5)


def test_weight_init_comparison_has_the_books_result():
    """std 0.01 does not learn at all; Xavier and He do, He best with ReLU (book, figure 6-15)."""
    record = load_record("day3_weight_init_mnist")
    assert _final_loss(record, "std=0.01") > 2.2
    assert float(record["test_acc_std=0.01"][-1]) < 0.2
    assert _final_loss(record, "He") < _final_loss(record, "Xavier") < 0.5
    assert float(record["test_acc_He"][-1]) > 0.9


def test_weight_init_record_is_reproduced_by_its_script(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day3_runs.py"), "weight_init",
                    "--iterations", "20", "--only", "He", "--out-dir", str(tmp_path)],
                   check=True, cwd=REPO, capture_output=True)
    with np.load(tmp_path / "day3_weight_init_mnist.npz", allow_pickle=False) as short:
        np.testing.assert_allclose(short["loss_He"], load_record("day3_weight_init_mnist")["loss_He"][:20], rtol=1e-5)


def test_missing_record_says_where_it_comes_from():
    with pytest.raises(FileNotFoundError) as info:
        load_record("no_such_record")
    assert "scripts/" in str(info.value)
