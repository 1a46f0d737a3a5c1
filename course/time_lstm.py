"""Reference LSTM layers (『ゼロから作るDeep Learning ❷』 6 章): ``LSTM`` (one step) and ``TimeLSTM``.

* ``LSTM(Wx, Wh, b)``: ``Wx`` (D, 4H), ``Wh`` (H, 4H), ``b`` (4H,), the four blocks stacked in the
  book's order f (forget), g (candidate, tanh), i (input), o (output).
* ``forward(x, h_prev, c_prev)`` returns ``(h_next, c_next)``::

      A = x @ Wx + h_prev @ Wh + b
      f, g, i, o = sigmoid(A[:, :H]), tanh(A[:, H:2H]), sigmoid(A[:, 2H:3H]), sigmoid(A[:, 3H:])
      c_next = f * c_prev + g * i
      h_next = o * tanh(c_next)

* ``backward(dh_next, dc_next)`` returns ``(dx, dh_prev, dc_prev)``.
* ``TimeLSTM(Wx, Wh, b, stateful=False)``: like ``course.time_rnn.TimeRNN``, keeping both ``h``
  and ``c`` (``set_state(h, c=None)``, ``reset_state()``); ``self.dh`` after ``backward``.

A notebook that grades ``LSTM`` or ``TimeLSTM`` must not import this module (the grader hides it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LSTM", "TimeLSTM"]


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class LSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        A = x @ Wx + h_prev @ Wh + b
        f = _sigmoid(A[:, :H])
        g = np.tanh(A[:, H:2 * H])
        i = _sigmoid(A[:, 2 * H:3 * H])
        o = _sigmoid(A[:, 3 * H:])
        c_next = f * c_prev + g * i
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        tanh_c = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c ** 2)
        dc_prev = ds * f
        di = ds * g
        df = ds * c_prev
        do = dh_next * tanh_c
        dg = ds * i
        di = di * i * (1 - i)
        df = df * f * (1 - f)
        do = do * o * (1 - o)
        dg = dg * (1 - g ** 2)
        dA = np.hstack((df, dg, di, do))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers = None
        self.h, self.c = None, None
        self.dh = None
        self.stateful = stateful

    def set_state(self, h, c=None):
        self.h, self.c = h, c

    def reset_state(self):
        self.h, self.c = None, None

    def forward(self, xs):
        _, Wh, _ = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        self.layers = []
        hs = np.empty((N, T, H))
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        if not self.stateful or self.c is None:
            self.c = np.zeros((N, H))
        for t in range(T):
            layer = LSTM(*self.params)
            self.h, self.c = layer.forward(xs[:, t, :], self.h, self.c)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        Wx, _, _ = self.params
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, Wx.shape[0]))
        dh, dc = 0, 0
        grads = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)
            dxs[:, t, :] = dx
            for k, grad in enumerate(layer.grads):
                grads[k] += grad
        for k, grad in enumerate(grads):
            self.grads[k][...] = grad
        self.dh = dh
        return dxs
