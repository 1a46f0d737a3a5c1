"""Reference RNN layers (『ゼロから作るDeep Learning ❷』 5 章): ``RNN`` (one time step) and ``TimeRNN``.

Conventions (the ones 6.2 of the course states and grades):

* ``RNN(Wx, Wh, b)``: ``Wx`` (D, H), ``Wh`` (H, H), ``b`` (H,) in ``params = [Wx, Wh, b]``;
  ``forward(x, h_prev)`` with ``x`` (N, D), ``h_prev`` (N, H) returns
  ``h_next = tanh(h_prev @ Wh + x @ Wx + b)``; ``backward(dh_next)`` returns ``(dx, dh_prev)`` and
  writes ``dWx, dWh, db`` into ``grads``.
* ``TimeRNN(Wx, Wh, b, stateful=False)``: ``forward(xs)`` with ``xs`` (N, T, D) returns ``hs``
  (N, T, H) (float64). The first hidden state is zeros unless ``stateful`` is true and a state is
  kept from the previous call (or set by ``set_state(h)``); the last hidden state is kept in
  ``self.h`` either way. ``reset_state()`` forgets it.
* ``TimeRNN.backward(dhs)`` (truncated BPTT): the gradient flows back through this block only;
  each step receives ``dhs[:, t] + dh`` (``dh`` from step t+1), the gradients of the shared
  weights are summed over the steps, and the gradient with respect to the block's first hidden
  state is kept in ``self.dh`` (the previous block does not receive it unless you pass it on).

This module only defines the classes 6.2 grades: a notebook that grades ``RNN`` or ``TimeRNN``
must not import it (the grader hides it from that notebook's kernel); later notebooks may.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RNN", "TimeRNN"]


class RNN:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(h_prev @ Wh + x @ Wx + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = dt.sum(axis=0)
        return dt @ Wx.T, dt @ Wh.T


class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers = None
        self.h, self.dh = None, None
        self.stateful = stateful

    def set_state(self, h):
        self.h = h

    def reset_state(self):
        self.h = None

    def forward(self, xs):
        Wx, _, _ = self.params
        N, T, _ = xs.shape
        H = Wx.shape[1]
        self.layers = []
        hs = np.empty((N, T, H))
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        for t in range(T):
            layer = RNN(*self.params)
            self.h = layer.forward(xs[:, t, :], self.h)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        Wx, _, _ = self.params
        N, T, _ = dhs.shape
        D = Wx.shape[0]
        dxs = np.empty((N, T, D))
        dh = 0
        grads = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh = layer.backward(dhs[:, t, :] + dh)
            dxs[:, t, :] = dx
            for i, grad in enumerate(layer.grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        self.dh = dh
        return dxs
