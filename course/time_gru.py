"""Reference GRU layers (『ゼロから作るDeep Learning ❷』 付録 C の GRU): ``GRU`` (one step) and ``TimeGRU``.

The variant is the book's: the reset gate multiplies the previous hidden state *before* the
product with ``Whh`` ("reset before matmul", as in Cho et al. 2014), and the update gate weighs the
candidate: ``h_next = (1 - z) * h_prev + z * h_hat`` (as in Chung et al. 2014; Cho et al. and
PyTorch write the mirror ``h_next = z * h_prev + (1 - z) * h_hat``). cuDNN and PyTorch also use the
"reset after" variant ``r * (h_prev @ Whh + b_hh)``.

* ``GRU(Wx, Wh, b)``: ``Wx`` (D, 3H), ``Wh`` (H, 3H), ``b`` (3H,), the gates stacked in the order
  z (update), r (reset), h (candidate): ``Wx = [Wxz | Wxr | Wxh]`` and likewise ``Wh``, ``b``.
* ``forward(x, h_prev)``::

      z = sigmoid(x @ Wxz + h_prev @ Whz + bz)
      r = sigmoid(x @ Wxr + h_prev @ Whr + br)
      h_hat = tanh(x @ Wxh + (r * h_prev) @ Whh + bh)
      h_next = (1 - z) * h_prev + z * h_hat

* ``backward(dh_next)`` returns ``(dx, dh_prev)`` and writes ``dWx, dWh, db`` into ``grads``.
* ``TimeGRU(Wx, Wh, b, stateful=False)``: like ``course.time_rnn.TimeRNN``.

This module only defines the classes 6.4 grades: a notebook that grades ``GRU`` must not import it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GRU", "TimeGRU"]


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        z = _sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
        r = _sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
        h_hat = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
        h_next = (1 - z) * h_prev + z * h_hat
        self.cache = (x, h_prev, z, r, h_hat)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, h_hat = self.cache
        Whz, Whr, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]

        dh_hat = dh_next * z
        dh_prev = dh_next * (1 - z)

        # candidate h_hat = tanh(x Wxh + (r h_prev) Whh + bh)
        dt = dh_hat * (1 - h_hat ** 2)
        dbh = dt.sum(axis=0)
        dWhh = (r * h_prev).T @ dt
        dhr = dt @ Whh.T
        dWxh = x.T @ dt
        dx = dt @ Wx[:, 2 * H:].T
        dh_prev = dh_prev + r * dhr

        # update gate z
        dz = dh_next * (h_hat - h_prev)
        dt = dz * z * (1 - z)
        dbz = dt.sum(axis=0)
        dWhz = h_prev.T @ dt
        dh_prev = dh_prev + dt @ Whz.T
        dWxz = x.T @ dt
        dx = dx + dt @ Wx[:, :H].T

        # reset gate r
        dr = dhr * h_prev
        dt = dr * r * (1 - r)
        dbr = dt.sum(axis=0)
        dWhr = h_prev.T @ dt
        dh_prev = dh_prev + dt @ Whr.T
        dWxr = x.T @ dt
        dx = dx + dt @ Wx[:, H:2 * H].T

        self.grads[0][...] = np.hstack((dWxz, dWxr, dWxh))
        self.grads[1][...] = np.hstack((dWhz, dWhr, dWhh))
        self.grads[2][...] = np.hstack((dbz, dbr, dbh))
        return dx, dh_prev


class TimeGRU:
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
        _, Wh, _ = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        self.layers = []
        hs = np.empty((N, T, H))
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        for t in range(T):
            layer = GRU(*self.params)
            self.h = layer.forward(xs[:, t, :], self.h)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        Wx, _, _ = self.params
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, Wx.shape[0]))
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
