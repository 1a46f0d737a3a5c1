"""Reference embedding layer over time for the sequence notebooks (graded in 6.3; used by DAY7).

It lives in its own module because the grader hides from a notebook's kernel every ``course``
module that defines a class the notebook grades (see ``course.time_layers``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TimeEmbedding"]


class TimeEmbedding:
    """Word ids (N, T) -> vectors (N, T, D): row ``W[id]`` for every id. ``backward`` adds the
    gradient of every occurrence of an id into its row (``np.add.at``: repeated ids accumulate)."""

    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, xs):
        self.idx = np.asarray(xs)
        W, = self.params
        return W[self.idx]

    def backward(self, dout):
        dW = np.zeros_like(self.params[0])
        np.add.at(dW, self.idx, dout)
        self.grads[0][...] = dW
        return None
