"""Optimizers with the book's interface (『ゼロから作るDeep Learning』 6.1, ``common/optimizer.py``).

``optimizer.update(params, grads)`` changes the arrays in ``params`` in place (that is its job)
and never touches ``grads``. Internal state (velocity, squared-gradient sums, moments) is
created on the first call, one array per parameter name.

* ``SGD``:      W <- W - lr * dW
* ``Momentum``: v <- momentum * v - lr * dW;  W <- W + v
* ``AdaGrad``:  h <- h + dW * dW;  W <- W - lr * dW / (sqrt(h) + 1e-7)
* ``Adam``:     the book's form (common/optimizer.py): with t = number of updates so far,
      lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
      m <- m + (1 - beta1) * (dW - m);  v <- v + (1 - beta2) * (dW**2 - v)
      W <- W - lr_t * m / (sqrt(v) + 1e-7)
  i.e. the bias correction of both moments is folded into the step size, and epsilon = 1e-7 is
  added to sqrt(v) without correcting it (Kingma & Ba add epsilon to sqrt(v_hat) instead; the
  two differ only in how epsilon is scaled).

``lr`` is a plain attribute, so a learning-rate schedule may change it between updates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Momentum", "AdaGrad", "Adam"]


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            g = grads[key]
            self.m[key] += (1 - self.beta1) * (g - self.m[key])
            self.v[key] += (1 - self.beta2) * (g * g - self.v[key])
            params[key] -= (lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)).astype(params[key].dtype, copy=False)
