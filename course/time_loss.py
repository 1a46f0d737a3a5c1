"""Reference softmax-with-loss over time for the sequence notebooks (graded in 6.3; used by DAY7).

It lives in its own module because the grader hides from a notebook's kernel every ``course``
module that defines a class the notebook grades (see ``course.time_layers``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TimeSoftmaxWithLoss"]


class TimeSoftmaxWithLoss:
    """Softmax and cross-entropy at every time step: scores (N, T, V), ids ``ts`` (N, T) (or one-hot
    (N, T, V)). The loss is the mean over all N*T positions whose label is not ``ignore_label``."""

    def __init__(self, ignore_label=-1):
        self.params, self.grads = [], []
        self.cache = None
        self.ignore_label = ignore_label

    def forward(self, xs, ts):
        N, T, V = xs.shape
        if ts.ndim == 3:
            ts = ts.argmax(axis=2)
        mask = ts != self.ignore_label
        xs2 = xs.reshape(N * T, V)
        ts2, mask2 = ts.reshape(N * T), mask.reshape(N * T)
        shifted = xs2 - xs2.max(axis=1, keepdims=True)
        log_ys = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        picked = log_ys[np.arange(N * T), np.where(mask2, ts2, 0)]
        count = max(int(mask2.sum()), 1)
        self.cache = (ts2, mask2, np.exp(log_ys), (N, T, V), count)
        return float(-(picked * mask2).sum() / count)

    def backward(self, dout=1):
        ts2, mask2, ys, (N, T, V), count = self.cache
        dx = ys.copy()
        dx[np.arange(N * T), np.where(mask2, ts2, 0)] -= 1
        dx *= dout / count
        dx *= mask2[:, None]
        return dx.reshape(N, T, V)
