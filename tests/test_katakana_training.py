"""What students asked for around training: Japanese progress bars, run records compared in a
table and a picture, a learning-rate range test, mistake strips sized to their content."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from course import katakana as kk
from course.networks import MultiLayerNet
from course.training import Trainer, compare_runs, load_runs, lr_range_test, save_run

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def small_data():
    x, t = kk.load_katakana(normalize=True, flatten=True)
    x_train, t_train, x_val, t_val = kk.holdout_split(x, t)
    return x_train[:600], t_train[:600], x_val[:150], t_val[:150]


def test_progress_bar_is_in_japanese(small_data, capsys):
    x, t, xv, tv = small_data
    trainer = Trainer(MultiLayerNet(784, [20], 15, seed=0), x, t, xv, tv, epochs=2, optimizer="adam",
                      optimizer_param={"lr": 0.001}, verbose=True)
    trainer.train()
    err = capsys.readouterr().err
    assert "学習" in err and "バッチ" in err and "エポック=2" in err and "検証正解率=" in err
    assert "training" not in err and "val_acc" not in err


def test_lr_range_test_grows_the_rate_and_stops_at_divergence(small_data):
    x, t, _, _ = small_data
    result = lr_range_test(lambda: MultiLayerNet(784, [50], 15, seed=0), x, t, optimizer="sgd",
                           min_lr=1e-4, max_lr=100.0, steps=60)
    lr, loss = np.array(result["lr"]), np.array(result["loss"])
    assert np.all(np.diff(lr) > 0) and lr[0] == pytest.approx(1e-4)
    assert len(lr) < 60  # SGD at a learning rate of 100 diverges: the test stops early
    assert loss.min() < loss[0]
    assert result["suggested_lr"] == pytest.approx(lr[np.argmin(loss)] / 10)


def test_runs_are_recorded_and_compared(tmp_path, small_data):
    x, t, xv, tv = small_data
    for lr in (0.01, 0.0001):
        net = MultiLayerNet(784, [20], 15, seed=0)
        history = Trainer(net, x, t, xv, tv, epochs=3, optimizer="adam", optimizer_param={"lr": lr},
                          verbose=False).train()
        path = save_run(tmp_path, f"adam-lr{lr}", {"lr": lr, "epochs": 3}, history, note="test")
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["final_val_acc"] == history["val_acc_list"][-1] and len(record["history"]["train_loss_list"]) == 18
    runs = load_runs(tmp_path)
    assert [r["name"] for r in runs] == ["adam-lr0.0001", "adam-lr0.01"]
    plt.close("all")
    table = compare_runs(tmp_path)
    lines = table.splitlines()
    assert lines[0].split() == ["名前", "epochs", "lr", "最後の検証正解率", "最高の検証正解率"]
    assert lines[2].startswith("adam-lr0.01 ") and f"{runs[1]['final_val_acc']:.4f}" in lines[2]
    fig = plt.gcf()
    assert [ax.get_ylabel() for ax in fig.axes] == ["損失（ミニバッチ）", "検証用データの正解率"]
    assert len(fig.axes[1].lines) == 2
    with pytest.raises(ValueError):
        save_run(tmp_path, "../escape", {}, {})
    assert "記録がありません" in compare_runs(tmp_path / "empty", plot=False)


@pytest.mark.parametrize("n_wrong, columns, rows", [(2, 2, 1), (10, 10, 1), (13, 10, 2), (45, 10, 3)])
def test_mistake_strip_is_sized_to_its_content(n_wrong, columns, rows, capsys):
    t = np.arange(60) % 15
    p = np.zeros((60, 15))
    predicted = t.copy()
    predicted[:n_wrong] = (t[:n_wrong] + 1) % 15
    p[np.arange(60), predicted] = 1
    images = np.zeros((60, 28, 28), dtype=np.uint8)
    plt.close("all")
    fig = kk.show_mistakes(images, t, p)
    shown = min(n_wrong, 30)
    assert len(fig.axes) == rows * columns
    assert fig.get_size_inches()[0] == pytest.approx(columns * 1.1)
    assert sum(1 for ax in fig.axes if ax.images) == shown
    assert fig.axes[0].get_title() == f"{kk.LABELS[t[0]]}→{kk.LABELS[predicted[0]]} 100%"
    gridspec = fig.axes[0].get_gridspec()
    assert gridspec.wspace > 0 and gridspec.hspace > 0  # gaps between the images
    assert f"間違えた画像: {n_wrong} 枚" in capsys.readouterr().out
    assert kk.show_mistakes(images, t, np.eye(15)[t]) is None
