"""Time layers shared by the sequence notebooks of DAY6 and DAY7 (『ゼロから作るDeep Learning ❷』 の規約).

Shapes follow the book: a mini-batch of sequences is ``xs`` of shape (N, T, D), hidden states
``hs`` are (N, T, H), word ids ``xs``/``ts`` are (N, T) integers. Every layer keeps its
parameters in the list ``params`` and, after ``backward``, their gradients in the list ``grads``
(same order, same shapes, written into the same arrays with ``[...] =``). Layers never modify the
arrays they are given. Everything is float64.

The recurrent layers themselves live in one module per notebook that grades them
(``course.time_rnn``: RNN, TimeRNN; ``course.time_gru``: GRU, TimeGRU; ``course.time_lstm``:
LSTM, TimeLSTM; ``course.time_embedding``: TimeEmbedding;
``course.time_loss``: TimeSoftmaxWithLoss), because the grader hides from a notebook's kernel every ``course`` module that
defines a class the notebook grades: a notebook that grades ``GRU`` can still import the RNN and
LSTM references for a comparison, and every recurrent notebook can import the helpers here. Keep
it that way: this module must not define or import a class that a notebook grades.

Also here: ``clip_grad_norm`` (gradient clipping by the global norm, DAY3's ``clip_grads`` for the
book's list of gradients), ``count_params`` and the synthetic sequence tasks the notebooks train
on (``sine_sequence``, ``adding_problem``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TimeAffine", "TimeSquaredLoss", "clip_grad_norm", "count_params", "sine_sequence", "adding_problem"]


class TimeAffine:
    """(N, T, H) -> (N, T, O) with one ``W`` (H, O) and ``b`` (O,) shared by every time step."""

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        N, T, _ = x.shape
        W, b = self.params
        self.x = x
        return (x.reshape(N * T, -1) @ W + b).reshape(N, T, -1)

    def backward(self, dout):
        N, T, _ = self.x.shape
        W, _ = self.params
        dout2 = dout.reshape(N * T, -1)
        self.grads[0][...] = self.x.reshape(N * T, -1).T @ dout2
        self.grads[1][...] = dout2.sum(axis=0)
        return (dout2 @ W.T).reshape(N, T, -1)


class TimeSquaredLoss:
    """Squared error for sequence regression: ``0.5 * mean((ys - ts) ** 2)`` over every element.

    ``ts`` has the shape of ``ys``; ``mask`` (optional, broadcastable to ``ys``) selects the
    elements that count (e.g. only the last time step) and the mean is over those."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, ys, ts, mask=None):
        weight = np.ones(ys.shape) if mask is None else np.broadcast_to(np.asarray(mask, dtype=float), ys.shape)
        count = max(float(weight.sum()), 1.0)
        diff = (ys - ts) * weight
        self.cache = (diff, count)
        return float(0.5 * np.sum(diff ** 2) / count)

    def backward(self, dout=1):
        diff, count = self.cache
        return diff * (dout / count)


def clip_grad_norm(grads, max_norm):
    """Gradient clipping by the global norm (DAY3's ``clip_grads``) for a list of arrays:
    when sqrt(sum of every squared element) > max_norm, every array is scaled in place by
    ``max_norm / (norm + 1e-6)``. Returns the norm before clipping."""
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
    return total


def count_params(*layers) -> int:
    """Number of scalar parameters of the given layers (each with a ``params`` list)."""
    return int(sum(p.size for layer in layers for p in layer.params))


def sine_sequence(length, *, period=25.0, noise=0.0, seed=None):
    """A sine wave ``sin(2 pi t / period)`` for t = 0..length-1 (float64), with optional Gaussian noise."""
    t = np.arange(length, dtype=np.float64)
    wave = np.sin(2 * np.pi * t / period)
    if noise:
        wave = wave + np.random.default_rng(seed).normal(scale=noise, size=length)
    return wave


def adding_problem(n, T, rng):
    """The adding problem (Hochreiter & Schmidhuber 1997): ``xs`` (n, T, 2), ``ts`` (n,).

    Channel 0 holds random values in [0, 1); channel 1 marks two positions with 1, one in the first
    half and one in the second half; the target is the sum of the two marked values. Draws from
    ``rng`` in this order: the values (n, T), the first marks (n,), the second marks (n,)."""
    values = rng.random((n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    marks = np.zeros((n, T))
    marks[np.arange(n), first] = 1.0
    marks[np.arange(n), second] = 1.0
    xs = np.stack([values, marks], axis=2)
    ts = values[np.arange(n), first] + values[np.arange(n), second]
    return xs, ts
