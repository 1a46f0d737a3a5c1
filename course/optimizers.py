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

* ``Nesterov``: v <- momentum * v - lr * dW;  W <- W + momentum * v - lr * dW  (v after its update;
  the same as PyTorch's ``nesterov=True``)
* ``RMSprop``:  h <- decay_rate * h + (1 - decay_rate) * dW * dW;  W <- W - lr * dW / (sqrt(h) + 1e-7)
* ``AdaDelta``: Eg <- rho * Eg + (1 - rho) * dW**2;  d = -sqrt(Ed + eps) / sqrt(Eg + eps) * dW;
  Ed <- rho * Ed + (1 - rho) * d**2;  W <- W + lr * d  (Zeiler 2012 with lr = 1; eps inside the roots)
* ``Adamax``:   t <- t + 1;  m <- beta1 * m + (1 - beta1) * dW;  u <- max(beta2 * u, |dW|);
  W <- W - lr / (1 - beta1**t) * m / (u + eps)
* ``Nadam``:    t <- t + 1;  m, v as Adam;  m_hat = beta1 * m / (1 - beta1**(t+1)) + (1 - beta1) * dW / (1 - beta1**t);
  v_hat = v / (1 - beta2**t);  W <- W - lr * m_hat / (sqrt(v_hat) + eps)

These are the conventions of the DAY3 notebook 3_1_optimizers (whose own Adam corrects m and v
separately and adds eps = 1e-8 to sqrt(v_hat); the ``Adam`` here keeps the book's form, which the
capstone baselines were trained with). The step counter t grows once per ``update`` call.

``lr`` is a plain attribute, so a learning-rate schedule may change it between updates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "AdaDelta", "Adam", "Adamax", "Nadam"]


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


def _zeros_like_each(params):
    return {key: np.zeros_like(val) for key, val in params.items()}


class Nesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = _zeros_like_each(params)
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.v[key] - self.lr * grads[key]


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = _zeros_like_each(params)
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class AdaDelta:
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr = lr
        self.rho = rho
        self.eps = eps
        self.eg = None
        self.ed = None

    def update(self, params, grads):
        if self.eg is None:
            self.eg = _zeros_like_each(params)
            self.ed = _zeros_like_each(params)
        for key in params.keys():
            g = grads[key]
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta


class Adamax:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.iter = 0
        self.m = None
        self.u = None

    def update(self, params, grads):
        if self.m is None:
            self.m = _zeros_like_each(params)
            self.u = _zeros_like_each(params)
        self.iter += 1
        step = self.lr / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = np.maximum(self.beta2 * self.u[key], np.abs(g))
            params[key] -= step * self.m[key] / (self.u[key] + self.eps)


class Nadam:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m = _zeros_like_each(params)
            self.v = _zeros_like_each(params)
        self.iter += 1
        t, b1, b2 = self.iter, self.beta1, self.beta2
        for key in params.keys():
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            v_hat = self.v[key] / (1 - b2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
