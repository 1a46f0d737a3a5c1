"""Reference batch normalization layer (graded in 4.1; used by later days).

``BatchNormalization`` keeps the book's conventions (4.1 of the course states them) and never
changes its running statistics in test mode.

It lives in its own module because the grader hides from a notebook's kernel every ``course``
module that defines a class the notebook grades; 4.1 and 4.3 still import ``course.layers``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BatchNormalization"]


class BatchNormalization:
    """Batch normalisation (『ゼロから作るDeep Learning』 6.3), the conventions of notebook 4.1:

    * training (``train_flg=True``): mean and **biased** variance (``np.var``, divided by N) over the
      batch axis 0; ``xn = (x - mu) / sqrt(var + eps)`` with ``eps = 1e-6`` inside the square root;
      ``out = gamma * xn + beta``; then
      ``running_mean = momentum * running_mean + (1 - momentum) * mu`` (the same for ``running_var``
      with ``var``); both start as zeros of shape (D,) at the first forward pass unless given;
    * test (``train_flg=False``): the running statistics instead of the batch ones; nothing changes;
    * input (N, D), or (N, C, H, W), which is treated as (N, C*H*W) (gamma and beta then have
      C*H*W elements, as in the book) and reshaped back;
    * ``backward(dout)`` returns dx (shape of x) and stores ``dgamma``, ``dbeta``; ``dout`` is not
      modified.
    """

    eps = 1e-6

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.input_shape = None
        self.batch_size = None
        self.xc = None
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        self.input_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if self.running_mean is None:
            self.running_mean = np.zeros(x2.shape[1], dtype=x2.dtype if x2.dtype.kind == "f" else np.float64)
            self.running_var = np.zeros_like(self.running_mean)
        if train_flg:
            mu = x2.mean(axis=0)
            xc = x2 - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + self.eps)
            self.batch_size, self.xc, self.std = x2.shape[0], xc, std
            self.xn = xc / std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
            xn = self.xn
        else:
            xn = (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps)
        out = self.gamma.reshape(-1) * xn + self.beta.reshape(-1)
        return out.reshape(self.input_shape)

    def backward(self, dout):
        dout = np.asarray(dout).reshape(self.batch_size, -1)
        self.dbeta = dout.sum(axis=0).reshape(np.shape(self.beta))
        self.dgamma = np.sum(self.xn * dout, axis=0).reshape(np.shape(self.gamma))
        dxn = self.gamma.reshape(-1) * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = dxc + (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size
        return dx.reshape(self.input_shape)
