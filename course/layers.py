"""Reference layers (『ゼロから作るDeep Learning』 5–7 章の規約) that the course uses from later days on.

Every layer has ``forward`` and ``backward`` like the book's ``common/layers.py``; layers with
parameters keep them as attributes (``W``, ``b``) and store their gradients in ``dW``, ``db``
after ``backward``. Differences from the book, all in the direction of safety:

* Layers never modify their inputs (the book's ``Relu.backward`` writes into ``dout`` in place;
  here a new array is returned).
* ``SoftmaxWithLoss`` accepts ``t`` as class indices or one-hot rows.

``Dropout`` (graded in 4.3) lives in ``course.dropout`` and ``BatchNormalization`` (graded in 4.1) in
``course.batch_normalization``: the grader hides from a notebook's kernel every course module that
defines a class the notebook grades, so 4.1 and 4.3 can still import the layers here.

These are reference implementations for using, not for submitting: a graded exercise that asks
you to write a layer must still be implemented in the notebook, and the grader rejects an
answer that just reuses these classes.
"""

from __future__ import annotations

import numpy as np

from course.functions import cross_entropy_error, softmax
from course.im2col import col2im, conv_output_size, im2col

__all__ = ["Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Convolution", "Pooling", "LayerNormalization"]


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        x = np.asarray(x)
        self.mask = x <= 0
        return np.where(self.mask, np.zeros((), dtype=x.dtype), x)

    def backward(self, dout):
        dout = np.asarray(dout)
        return np.where(self.mask, np.zeros((), dtype=dout.dtype), dout)


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        x = np.asarray(x)
        # 1 / (1 + exp(-x)) written with tanh: no overflow, keeps float32 as float32
        out = 0.5 * (np.tanh(0.5 * x) + 1.0)
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:
    """y = x W + b. ``x`` may have any number of dimensions (N, ...): it is flattened to (N, -1)
    for the product, and ``backward`` returns ``dx`` in the original shape of ``x``."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        x = np.asarray(x)
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy error, averaged over the batch.

    ``t`` holds class indices (N,) or one-hot rows (N, classes). ``backward(dout=1)`` returns
    ``dout * (y - t) / N`` (the division by the batch size belongs here, as in the book), in the
    dtype of the scores ``x``. The loss uses ``course.functions`` (delta = 1e-7 inside the log).
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None
        self.x_dtype = None

    def forward(self, x, t):
        x = np.asarray(x)
        self.x_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        self.t = np.asarray(t)
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.y.shape[0]
        dx = self.y.copy()
        if self.t.size == self.y.size:  # one-hot
            dx -= self.t.reshape(dx.shape)
        else:
            dx[np.arange(batch_size), self.t.reshape(-1)] -= 1
        dx *= dout / batch_size
        return dx.astype(self.x_dtype, copy=False)


class Convolution:
    """Convolution of (N, C, H, W) images with filters ``W`` (FN, C, FH, FW) and biases ``b`` (FN,),
    computed with ``im2col``; output (N, FN, out_h, out_w)."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        x = np.asarray(x)
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


class Pooling:
    """Max pooling over pool_h x pool_w windows (per channel); gradient goes to the maximum
    (the first one when several elements tie)."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.arg_max = None

    def forward(self, x):
        x = np.asarray(x)
        N, C, H, W = x.shape
        out_h = conv_output_size(H, self.pool_h, self.stride, self.pad)
        out_w = conv_output_size(W, self.pool_w, self.stride, self.pad)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = col[np.arange(col.shape[0]), arg_max]
        self.x_shape, self.arg_max = x.shape, arg_max
        # rows of col are ordered (n, out_y, out_x, c)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = np.asarray(dout).transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.reshape(-1)
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


class LayerNormalization:
    """Layer normalisation (Ba et al. 2016), the conventions of notebook 4.2: every sample (row of a (N, D)
    input) is normalised over its D features with its own mean and biased variance,
    ``xn = (x - mu) / sqrt(var + 1e-6)``, then ``out = gamma * xn + beta`` (gamma, beta: (D,)). The same in
    training and at test time (no running statistics). ``backward(dout)`` returns dx and stores ``dgamma``,
    ``dbeta``; ``dout`` is not modified."""

    eps = 1e-6

    def __init__(self, gamma, beta):
        self.gamma = gamma
        self.beta = beta
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        mu = x.mean(axis=1, keepdims=True)
        xc = x - mu
        self.std = np.sqrt(np.mean(xc ** 2, axis=1, keepdims=True) + self.eps)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        dout = np.asarray(dout)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (dxn - dxn.mean(axis=1, keepdims=True)
                - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)) / self.std
