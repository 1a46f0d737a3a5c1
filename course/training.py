"""``Trainer``: mini-batch training loop like the book's ``common/trainer.py``.

One epoch = one pass over a fresh random permutation of the training data in mini-batches of
``mini_batch_size`` (the last, smaller batch is used too). For every mini-batch: optional
augmentation ``augment(x_batch, rng)`` → ``network.gradient(x_batch, t_batch)`` →
``optimizer.update(network.params, grads)``. After every epoch the accuracy on the training data
(without augmentation; at most ``evaluate_sample_num_per_epoch`` images, all when None) and on
the validation data (when given) is recorded.

Recorded lists: ``train_loss_list`` (loss of every mini-batch), ``train_acc_list`` and
``val_acc_list`` (one value per epoch). ``train()`` returns them in a dict.

Determinism: the permutations and the augmentation draw from ``np.random.default_rng(seed)``;
with the same network initialisation, data and seed the run is repeated exactly (set
``OPENBLAS_NUM_THREADS=1`` so that BLAS sums in a fixed order).

``optimizer`` is an optimizer object (``course.optimizers``) or a name ("sgd", "momentum",
"adagrad", "adam") with ``optimizer_param`` (e.g. ``{"lr": 0.001}``), as in the book.
``lr_schedule`` (optional) is a function ``(epoch, epochs) -> factor``: before each epoch the
learning rate is set to ``base_lr * factor`` (``cosine_schedule`` is provided). The progress bar
is labelled in Japanese (学習, エポック, 損失, 正解率).

Also here: ``lr_range_test`` (the learning-rate range test: the loss while the learning rate
grows exponentially, batch by batch) and run records (``save_run`` / ``load_runs`` /
``compare_runs``: hyper-parameters, curves and validation accuracy of every run as JSON, compared
in a table and a picture).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from course.optimizers import SGD, AdaGrad, Adam, Momentum

__all__ = ["Trainer", "cosine_schedule", "lr_range_test", "save_run", "load_runs", "compare_runs"]

_OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": Adam}


def cosine_schedule(epoch, epochs, warmup=0):
    """Learning-rate factor: linear warm-up for ``warmup`` epochs, then cosine decay towards 0."""
    if epoch < warmup:
        return (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(1, epochs - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class Trainer:
    def __init__(self, network, x_train, t_train, x_val=None, t_val=None, epochs=20, mini_batch_size=100,
                 optimizer="sgd", optimizer_param=None, augment=None, lr_schedule=None,
                 evaluate_sample_num_per_epoch=None, seed=0, verbose=True):
        self.network = network
        self.x_train, self.t_train = x_train, np.asarray(t_train)
        self.x_val = x_val
        self.t_val = None if t_val is None else np.asarray(t_val)
        self.epochs = int(epochs)
        self.batch_size = int(mini_batch_size)
        if isinstance(optimizer, str):
            self.optimizer = _OPTIMIZERS[optimizer.lower()](**(optimizer_param or {}))
        else:
            self.optimizer = optimizer
        self.base_lr = getattr(self.optimizer, "lr", None)
        self.augment = augment
        self.lr_schedule = lr_schedule
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.verbose = verbose
        self.train_size = len(self.x_train)
        self.iter_per_epoch = max(1, math.ceil(self.train_size / self.batch_size))
        self.max_iter = self.epochs * self.iter_per_epoch
        self.current_epoch = 0
        self.train_loss_list, self.train_acc_list, self.val_acc_list = [], [], []

    def _evaluate(self):
        x, t = self.x_train, self.t_train
        n = self.evaluate_sample_num_per_epoch
        if n is not None and n < len(x):
            x, t = x[:n], t[:n]
        train_acc = self.network.accuracy(x, t)
        self.train_acc_list.append(train_acc)
        val_acc = None
        if self.x_val is not None and len(self.x_val):
            val_acc = self.network.accuracy(self.x_val, self.t_val)
            self.val_acc_list.append(val_acc)
        return train_acc, val_acc

    def train_epoch(self, progress=None):
        if self.lr_schedule is not None and self.base_lr is not None:
            self.optimizer.lr = self.base_lr * self.lr_schedule(self.current_epoch, self.epochs)
        order = self.rng.permutation(self.train_size)
        losses = []
        for start in range(0, self.train_size, self.batch_size):
            idx = order[start:start + self.batch_size]
            x_batch, t_batch = self.x_train[idx], self.t_train[idx]
            if self.augment is not None:
                x_batch = self.augment(x_batch, self.rng)
            grads = self.network.gradient(x_batch, t_batch)
            self.optimizer.update(self.network.params, grads)
            loss = getattr(self.network, "last_loss", None)
            if loss is None:
                loss = float(self.network.loss(x_batch, t_batch))
            self.train_loss_list.append(loss)
            losses.append(loss)
            if progress is not None:
                progress.update(1)
        self.current_epoch += 1
        train_acc, val_acc = self._evaluate()
        if progress is not None:
            info = {"エポック": self.current_epoch, "損失": f"{np.mean(losses):.4f}", "学習正解率": f"{train_acc:.4f}"}
            if val_acc is not None:
                info["検証正解率"] = f"{val_acc:.4f}"
            progress.set_postfix(info, refresh=False)

    def train(self):
        with tqdm(total=self.max_iter, disable=not self.verbose, desc="学習", unit="バッチ") as progress:
            while self.current_epoch < self.epochs:
                self.train_epoch(progress)
        return {"train_loss_list": self.train_loss_list, "train_acc_list": self.train_acc_list,
                "val_acc_list": self.val_acc_list}


def lr_range_test(make_network, x, t, *, optimizer="adam", min_lr=1e-5, max_lr=1.0, steps=100, mini_batch_size=100,
                  augment=None, seed=0, stop_factor=4.0):
    """学習率の範囲テスト: 学習率をミニバッチごとに ``min_lr`` から ``max_lr`` まで指数的に大きくしながら学習し、損失を記録する。

    ``make_network()`` returns a fresh network (it is trained once, for at most ``steps``
    mini-batches). The run stops early when the loss exceeds ``stop_factor`` × the best loss so
    far, or is not finite. Returns ``{"lr": [...], "loss": [...], "suggested_lr": float}``, where
    ``suggested_lr`` is a tenth of the learning rate with the lowest smoothed loss (a common rule
    of thumb). Draws: the mini-batches and the augmentation come from ``default_rng(seed)``.
    """
    network = make_network()
    opt = _OPTIMIZERS[optimizer.lower()](lr=min_lr) if isinstance(optimizer, str) else optimizer
    rng = np.random.default_rng(seed)
    t = np.asarray(t)
    lrs = min_lr * (max_lr / min_lr) ** (np.arange(steps) / max(1, steps - 1))
    record_lr, record_loss, smooth, best = [], [], None, np.inf
    for lr in lrs:
        idx = rng.choice(len(x), size=min(mini_batch_size, len(x)), replace=False)
        x_batch = x[idx] if augment is None else augment(x[idx], rng)
        opt.lr = float(lr)
        grads = network.gradient(x_batch, t[idx])
        opt.update(network.params, grads)
        loss = float(network.last_loss)
        if not np.isfinite(loss):
            break
        smooth = loss if smooth is None else 0.8 * smooth + 0.2 * loss
        record_lr.append(float(lr))
        record_loss.append(smooth)
        best = min(best, smooth)
        if smooth > stop_factor * best:
            break
    suggested = record_lr[int(np.argmin(record_loss))] / 10 if record_loss else min_lr
    return {"lr": record_lr, "loss": record_loss, "suggested_lr": float(suggested)}


_RUN_NAME = re.compile(r"^[\w\-.]{1,64}$")


def save_run(folder, name, hyperparameters: dict, history: dict, *, note: str = "") -> Path:
    """1 回の学習の記録（ハイパーパラメータ、学習曲線、検証用データの正解率）を ``folder/name.json`` に保存する。

    ``history`` is what ``Trainer.train()`` returns (or any dict of lists of numbers, e.g.
    ``{"train_loss_list": [...], "val_acc_list": [...]}``). Values must be JSON numbers, texts,
    booleans, lists or dicts; a record with the same name is overwritten.
    """
    if not _RUN_NAME.match(str(name)):
        raise ValueError("記録の名前は英数字・_・-・. で 64 文字までにしてください。")
    record = {"name": str(name), "note": str(note), "hyperparameters": dict(hyperparameters),
              "history": {k: [float(v) for v in values] for k, values in history.items()}}
    val = record["history"].get("val_acc_list") or []
    record["final_val_acc"] = val[-1] if val else None
    record["best_val_acc"] = max(val) if val else None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_runs(folder) -> list[dict]:
    """``save_run`` で保存した記録をすべて読み込む（名前の順）。"""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.json"))]


def compare_runs(folder, *, plot: bool = True) -> str:
    """保存した記録を表（文字列、print して使う）と図（検証用データの正解率と損失の推移）で比べる。"""
    runs = load_runs(folder)
    if not runs:
        return f"{folder} に記録がありません（save_run で保存してください）。"
    keys = sorted({k for run in runs for k in run["hyperparameters"]})
    header = ["名前", *keys, "最後の検証正解率", "最高の検証正解率"]
    rows = [[run["name"], *(str(run["hyperparameters"].get(k, "-")) for k in keys),
             "-" if run["final_val_acc"] is None else f"{run['final_val_acc']:.4f}",
             "-" if run["best_val_acc"] is None else f"{run['best_val_acc']:.4f}"] for run in runs]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(row, widths)) for row in [header, *rows]]
    if plot:
        import matplotlib.pyplot as plt

        import course.plotting  # noqa: F401  (Japanese labels)

        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
        for run in runs:
            loss, val = run["history"].get("train_loss_list") or [], run["history"].get("val_acc_list") or []
            if loss and val:
                ax_loss.plot(np.linspace(0, len(val), len(loss) + 1)[1:], loss, alpha=0.6, label=run["name"])
            if val:
                ax_acc.plot(np.arange(1, len(val) + 1), val, marker=".", label=run["name"])
        ax_loss.set_xlabel("エポック")
        ax_loss.set_ylabel("損失（ミニバッチ）")
        ax_loss.set_title("学習の損失")
        ax_acc.set_xlabel("エポック")
        ax_acc.set_ylabel("検証用データの正解率")
        ax_acc.set_title("検証用データの正解率")
        for ax in (ax_loss, ax_acc):
            ax.grid(True)
            ax.legend()
        fig.tight_layout()
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
