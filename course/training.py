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
learning rate is set to ``base_lr * factor`` (``cosine_schedule`` is provided).
"""

from __future__ import annotations

import math

import numpy as np
from tqdm.auto import tqdm

from course.optimizers import SGD, AdaGrad, Adam, Momentum

__all__ = ["Trainer", "cosine_schedule"]

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
            info = {"epoch": self.current_epoch, "loss": f"{np.mean(losses):.4f}", "train_acc": f"{train_acc:.4f}"}
            if val_acc is not None:
                info["val_acc"] = f"{val_acc:.4f}"
            progress.set_postfix(info, refresh=False)

    def train(self):
        with tqdm(total=self.max_iter, disable=not self.verbose, desc="training", unit="batch") as progress:
            while self.current_epoch < self.epochs:
                self.train_epoch(progress)
        return {"train_loss_list": self.train_loss_list, "train_acc_list": self.train_acc_list,
                "val_acc_list": self.val_acc_list}
