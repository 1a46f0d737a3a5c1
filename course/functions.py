"""Reference implementations of DAY1 functions that later days may use.

From DAY2 on, notebooks import these instead of copying DAY1 code (``from course.functions
import softmax, cross_entropy_error``). DAY1's exercises themselves must still be implemented
in the notebook: the grader rejects a DAY1 answer that calls into this module.
"""

from __future__ import annotations

import numpy as np


def step_function(x):
    return np.array(np.asarray(x) > 0, dtype=int)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    # exp of a non-positive number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x):
    return np.maximum(0, x)


def identity_function(x):
    return x


def softmax(x):
    """Row-wise for 2-D input; overflow-safe."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """Batch-averaged cross-entropy; ``t`` one-hot or class indices; delta = 1e-7 like the book."""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
