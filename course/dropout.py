"""Reference dropout layer (graded in 4.3; used by later days).

``Dropout`` takes an optional ``seed`` (or a Generator) so that training runs can be repeated exactly.

It lives in its own module because the grader hides from a notebook's kernel every ``course``
module that defines a class the notebook grades; 4.1 and 4.3 still import ``course.layers``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Dropout"]


class Dropout:
    """Dropout with the book's convention (『ゼロから作るDeep Learning』 6.4.3) by default:

    * training (``train_flg=True``): each element is kept with probability 1 - dropout_ratio and
      set to 0 otherwise; kept elements are **not** rescaled;
    * test time (``train_flg=False``): the output is ``x * (1 - dropout_ratio)``.

    ``inverted=True`` gives "inverted dropout", the convention of notebook 4.3: kept elements are
    divided by 1 - dropout_ratio during training and the test-time output is ``x`` itself.
    The masks come from ``np.random.default_rng(seed)`` (``seed`` may also be a Generator), one
    ``rng.random(x.shape)`` per training forward pass, ``mask = random > dropout_ratio``; the same
    seed gives the same masks. ``backward`` uses the mask of the last training forward pass.
    """

    def __init__(self, dropout_ratio=0.5, seed=None, inverted=False):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng(seed)
        self.inverted = bool(inverted)
        self.mask = None

    def _scale(self, dtype):
        return np.asarray(1.0 - self.dropout_ratio, dtype=dtype if dtype.kind == "f" else None)

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask / self._scale(x.dtype) if self.inverted else x * self.mask
        return x.copy() if self.inverted else x * self._scale(x.dtype)

    def backward(self, dout):
        dout = np.asarray(dout)
        return dout * self.mask / self._scale(dout.dtype) if self.inverted else dout * self.mask
