"""Reference implementations shared by several check modules (outside the ``dayN`` packages, so the
registry does not load this as a check module).

Only code that is the same in more than one notebook lives here; each notebook's typical mistakes
(``Mistake`` implementations) stay in its own check module.
"""

import numpy as np

from course.functions import cross_entropy_error as _course_cross_entropy_error
from course.functions import softmax

H = 1e-4  # central-difference step of the notebooks
DELTA = 1e-7  # added inside the log of the cross-entropy error (the book's value)


# ---------------------------------------------------------------- functions

def sigmoid(x):
    """Numerically stable sigmoid: no overflow warning at any finite input."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def cross_entropy_error(y, t):
    """The book's batch version: 1-D ``y`` is one sample; ``t`` one-hot or class indices; a float."""
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    t = t.reshape(-1).astype(np.int64)
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t] + DELTA)) / batch_size)


def numerical_gradient(f, x):
    """Central differences (h = 1e-4) element by element on a private float64 copy of ``x``."""
    x = np.array(x, dtype=np.float64)  # a private copy: the caller's x is never touched here
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + H
        plus = f(x)
        x[idx] = saved - H
        minus = f(x)
        x[idx] = saved
        grad[idx] = (plus - minus) / (2 * H)
    return grad


# ---------------------------------------------------------------- layers (book ch. 5)

class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Affine:
    """2-D input (N, D) only."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


class SoftmaxWithLoss:
    """2-D scores (N, C); ``t`` one-hot (N, C) or class indices (N,); loss of ``course.functions``."""

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = _course_cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx * dout
