"""Training loop and exact-match evaluation shared by the seq2seq notebooks of DAY7 (7_3, 7_4).

Works with any model that has ``params``/``grads`` lists, ``forward(xs, ts)`` -> loss,
``backward()`` and ``generate(xs, start_id, sample_size)`` (batched, returns (N, sample_size) ids).
It defines no graded name, so every DAY7 notebook can import it.

``fit_seq2seq`` draws one permutation of the training rows per epoch from
``np.random.default_rng(seed)``, updates with Adam after clipping the gradients to a global norm
of ``max_norm``, and after every epoch measures the exact-match accuracy on the test rows (greedy
decoding, start id = first id of the answers).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from course.optimizers import Adam
from course.time_layers import clip_grad_norm

__all__ = ["fit_seq2seq", "exact_match_accuracy"]


def exact_match_accuracy(model, x, t, batch_size=500):
    """Share of rows whose generated answer equals ``t[:, 1:]`` in every position."""
    start_id, size = int(t[0, 0]), t.shape[1] - 1
    correct = 0
    for k in range(0, len(x), batch_size):
        guess = model.generate(x[k:k + batch_size], start_id, size)
        correct += int(np.all(guess == t[k:k + batch_size, 1:], axis=1).sum())
    return correct / len(x)


def fit_seq2seq(model, x_train, t_train, x_test, t_test, *, epochs=10, batch_size=128, lr=0.001,
                max_norm=5.0, seed=0, desc="学習", progress=True, on_epoch=None):
    """Train ``model``; returns a dict of the mean loss of every epoch, the loss of every mini-batch,
    the test exact-match accuracy after every epoch and the seconds per epoch."""
    rng = np.random.default_rng(seed)
    params = dict(enumerate(model.params))
    grads = dict(enumerate(model.grads))
    optimizer = Adam(lr=lr)
    history = {"loss": [], "batch_loss": [], "test_accuracy": [], "seconds": []}
    n = len(x_train)
    for epoch in tqdm(range(epochs), desc=desc, disable=not progress):
        start = time.perf_counter()
        order = rng.permutation(n)
        losses = []
        for k in range(0, n - batch_size + 1, batch_size):
            idx = order[k:k + batch_size]
            loss = model.forward(x_train[idx], t_train[idx])
            model.backward()
            clip_grad_norm(list(grads.values()), max_norm)
            optimizer.update(params, grads)
            losses.append(float(loss))
        history["seconds"].append(time.perf_counter() - start)
        history["batch_loss"] += losses
        history["loss"].append(float(np.mean(losses)))
        history["test_accuracy"].append(exact_match_accuracy(model, x_test, t_test))
        if on_epoch is not None:
            on_epoch(epoch, history)
    return history
