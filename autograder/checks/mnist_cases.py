"""MNIST inputs and small networks shared by the hidden checks of 1_7_predict and 1_8_batch.

This is a helper module, not a check module: the registry only loads the modules inside the
``dayN`` packages, so it has no ``NOTEBOOK``.

- ``LazyCases``: the MNIST cases are built on first use (the registry imports every check module,
  and loading MNIST takes about a second).
- ``mnist_test``, ``sample_network``: the MNIST test set (through ``COURSE_MNIST_DIR``) and the
  pretrained weights of ``course.pretrained``.
- ``clear_indices``, ``correct_indices``, ``misclassified_indices``: deterministic selections that
  avoid images whose two largest probabilities are nearly tied, so float32 vs float64 arithmetic can
  never flip a prediction.
- ``forward`` and the typical wrong forward passes (``no_b1``, ``relu_hidden``, ...), written so they
  work on one input ``(n,)`` and on a batch ``(N, n)`` alike.
- ``make_network``, ``random_network``, ``small_predict_cases``: small term-isolating networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from course.checking import Case

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


# ---------------------------------------------------------------- lazy MNIST cases

class LazyCases(Sequence):
    """A list of cases built on first use (len, indexing and iteration all trigger the build)."""

    def __init__(self, build):
        self._build = build
        self._cases = None

    def _get(self):
        if self._cases is None:
            self._cases = list(self._build())
        return self._cases

    def __len__(self):
        return len(self._get())

    def __getitem__(self, index):
        return self._get()[index]


@lru_cache(maxsize=None)
def mnist_test():
    """(x_test float32 (10000, 784) in 0..1, t_test int64 labels); read-only arrays."""
    from course.datasets import load_mnist

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    x_test.setflags(write=False)
    t_test.setflags(write=False)
    return x_test, t_test


def sample_network() -> dict:
    from course.pretrained import load_sample_weight

    return load_sample_weight()


def mnist_rows(indices):
    """Copies of the test images and labels at ``indices``."""
    x, t = mnist_test()
    indices = np.asarray(indices)
    return x[indices].copy(), t[indices].copy()


# ---------------------------------------------------------------- the forward pass and its mistakes

def sigmoid(a):
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


def softmax(a):
    """Softmax over the last axis (one input (n,) or row by row for a batch (N, n))."""
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def identity(a):
    return a


def relu(a):
    return np.maximum(0, a)


def forward(network, x, act=sigmoid, out=softmax, use_b=(True, True, True), skip_second=False):
    """The three-layer network of the book; the keyword arguments build typical wrong variants."""
    b = [network[f"b{i}"] if use_b[i - 1] else 0.0 for i in (1, 2, 3)]
    z = act(np.dot(x, network["W1"]) + b[0])
    if not skip_second:
        z = act(np.dot(z, network["W2"]) + b[1])
    return out(np.dot(z, network["W3"]) + b[2])


def no_b1(network, x):
    return forward(network, x, use_b=(False, True, True))


def no_b2(network, x):
    return forward(network, x, use_b=(True, False, True))


def no_b3(network, x):
    return forward(network, x, use_b=(True, True, False))


def relu_hidden(network, x):
    return forward(network, x, act=relu)


def no_hidden_activation(network, x):
    return forward(network, x, act=identity)


def no_softmax(network, x):
    return forward(network, x, out=identity)


def sigmoid_output(network, x):
    return forward(network, x, out=sigmoid)


def sigmoid_before_softmax(network, x):
    return forward(network, x, out=lambda a: softmax(sigmoid(a)))


def skips_second_layer(network, x):
    return forward(network, x, skip_second=True)


# ---------------------------------------------------------------- selections of test images

@lru_cache(maxsize=None)
def mnist_predictions():
    """(probabilities (10000, 10), predicted labels, margin between the two largest probabilities)."""
    x, _ = mnist_test()
    y = forward(sample_network(), x)
    top2 = np.sort(y, axis=1)[:, -2:]
    return y, np.argmax(y, axis=1), top2[:, 1] - top2[:, 0]


def clear_indices(min_margin: float = 1e-3):
    """Indices of test images whose prediction is not a near tie."""
    return np.flatnonzero(mnist_predictions()[2] > min_margin)


def _clear_mask():
    mask = np.zeros(len(mnist_test()[1]), dtype=bool)
    mask[clear_indices()] = True
    return mask


def misclassified_indices():
    _, t = mnist_test()
    _, pred, _ = mnist_predictions()
    return np.flatnonzero((pred != t) & _clear_mask())


def correct_indices():
    _, t = mnist_test()
    _, pred, _ = mnist_predictions()
    return np.flatnonzero((pred == t) & _clear_mask())


# ---------------------------------------------------------------- small term-isolating networks

def make_network(W1, b1, W2, b2, W3, b3, dtype=np.float64) -> dict:
    return {k: np.array(v, dtype=dtype) for k, v in zip(KEYS, (W1, b1, W2, b2, W3, b3))}


def random_network(rng, sizes=(4, 3, 5, 3), scale=1.0) -> dict:
    arrays = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        arrays += [rng.normal(size=(n_in, n_out)) * scale, rng.normal(size=n_out) * scale]
    return make_network(*arrays)


def small_predict_cases(rng, batch: int | None = None):
    """Term-isolating cases on small networks; ``batch`` = None → one input (n,), else (batch, n).

    The identity network comes first: every layer has the same width there, so a skipped layer
    or a wrong activation gives a wrong value (with its hint) instead of a shape error.
    """
    def inputs(n):
        return rng.normal(size=n if batch is None else (batch, n))

    zero_w1 = random_network(rng)
    zero_w1["W1"][:] = 0.0
    zero_w1["b1"] = np.array([1.5, -2.0, 0.5])
    zero_w2 = random_network(rng)
    zero_w2["W2"][:] = 0.0
    zero_w2["b2"] = np.array([2.0, -1.0, 0.0, 1.0, -3.0])
    zero_w3 = random_network(rng)
    zero_w3["W3"][:] = 0.0
    zero_w3["b3"] = np.log([0.2, 0.3, 0.5])
    identity_net = make_network(np.eye(3), np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), np.zeros(3))
    x_identity = np.array([2.0, -1.0, 0.5])
    if batch is not None:
        x_identity = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, -1.0]])[:batch]
    large = random_network(rng, scale=1.0)
    large["W1"] *= 500.0
    large["W3"] *= 1000.0
    return [
        Case("重みが単位行列でバイアスが 0（3→3→3→3）: 出力は softmax(σ(σ(x)))",
             (identity_net, x_identity)),
        Case("W1 = 0 の小さなネットワーク（4→3→5→3）: 1 層目の出力はバイアス b1 だけで決まる",
             (zero_w1, inputs(4))),
        Case("W2 = 0 の小さなネットワーク（4→3→5→3）: 2 層目の出力はバイアス b2 だけで決まる",
             (zero_w2, inputs(4))),
        Case("W3 = 0, b3 = log([0.2, 0.3, 0.5]): 正しければ出力は [0.2, 0.3, 0.5]",
             (zero_w3, inputs(4))),
        Case("すべての重みとバイアスが効く小さなネットワーク（4→3→5→3）",
             (random_network(rng), inputs(4))),
        Case("重みが大きく活性化が ±1000 程度になる（オーバーフローの警告が出ないこと）",
             (large, inputs(4)), forbid_warnings=True),
    ]
