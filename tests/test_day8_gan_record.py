"""The recorded GAN runs of 8_3_gan (``course/data/day8_gan.npz``): what the notebook's prose says about them,
and that ``scripts/record_day8_gan.py`` reproduces the record's beginning."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course.records import load_record

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def record():
    return load_record("day8_gan")


def test_the_balanced_toy_run_covers_all_eight_modes(record):
    steps = record["toy_snapshot_steps"]
    assert steps.tolist() == list(range(0, 3001, 300))
    assert record["toy_snapshots"].shape == (11, 1000, 2)
    modes = record["toy_modes"]
    assert modes[0] <= 2  # at the start G(z) is a blob near the origin
    assert np.all(modes[-4:] == 8)  # "やがて 8 つの山すべてに分かれます"
    assert record["toy_close"][-1] > 0.6 > record["toy_close"][1]
    assert len(record["toy_d_loss"]) == len(record["toy_g_loss"]) == 3000


def test_the_slow_discriminator_run_collapses(record):
    modes = record["collapse_modes"]
    assert float(record["collapse_lr_d"]) * 10 == pytest.approx(1e-3)
    assert float(record["collapse_lr_g"]) == pytest.approx(2e-3)
    assert modes.max() <= 4  # "覆っている山は 0〜4 個のあいだを行ったり来たり"
    assert np.all(record["toy_modes"][-4:] - modes[-4:] >= 4)
    assert record["collapse_close"].max() < 0.2


def test_the_mnist_run(record):
    snaps = record["mnist_snapshots"]
    steps = record["mnist_snapshot_steps"]
    assert snaps.dtype == np.uint8 and snaps.shape[1:] == (64, 28, 28)
    assert steps[0] == 0 and steps[-1] == len(record["mnist_d_loss"]) and len(steps) == len(snaps)
    for key in ("mnist_d_loss", "mnist_g_loss", "mnist_d_real", "mnist_d_fake"):
        assert np.all(np.isfinite(record[key]))
    last = slice(-500, None)
    # the discriminator neither wins outright nor is fooled: D(x) above D(G(z)), both away from 0 and 1
    assert 0.5 < record["mnist_d_real"][last].mean() < 0.95
    assert 0.05 < record["mnist_d_fake"][last].mean() < record["mnist_d_real"][last].mean()
    final = snaps[-1].astype(float) / 255
    assert 0.05 < final.mean() < 0.3  # mostly background like MNIST (mean ink about 0.13), not grey noise
    assert abs(snaps[0].astype(float).mean() / 255 - 0.5) < 0.1  # before training: grey noise around 0.5
    assert final.std(axis=0).mean() > 0.1  # the 64 samples differ from each other (no total collapse)


def test_recorded_run_is_reproduced_by_its_script(tmp_path, record):
    """A short run of the script gives the record's first snapshots (the initial generators) and the same keys."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day8_gan.py"), "--toy-steps", "300",
                    "--mnist-steps", "20", "--out-dir", str(tmp_path)], check=True, cwd=REPO, capture_output=True)
    with np.load(tmp_path / "day8_gan.npz", allow_pickle=False) as short:
        assert set(short.files) == set(record)
        for name in ("toy", "collapse"):
            np.testing.assert_allclose(short[f"{name}_snapshots"], record[f"{name}_snapshots"][:2], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(short[f"{name}_d_loss"], record[f"{name}_d_loss"][:300], rtol=1e-4, atol=1e-6)
        assert np.array_equal(short["mnist_snapshots"][0], record["mnist_snapshots"][0])
