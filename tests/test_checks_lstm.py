"""The checks of 6_3_lstm: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the answer's backward passes are
proven against numerical gradients, including the state passed between two truncated blocks, the
embedding's repeated ids and the loss's ignored positions."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "6_3_lstm"
CELLS = ["lstm_forward", "lstm_backward", "time_lstm_forward", "time_lstm_backward"]  # and LM_CELLS below
REPO = Path(__file__).resolve().parent.parent

BOOK_LSTM = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class LSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        N, H = h_prev.shape
        A = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
        f = sigmoid(A[:, :H])
        g = np.tanh(A[:, H:2 * H])
        i = sigmoid(A[:, 2 * H:3 * H])
        o = sigmoid(A[:, 3 * H:])
        c_next = f * c_prev + g * i
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, b = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        tanh_c_next = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)
        dc_prev = ds * f
        di = ds * g
        df = ds * c_prev
        do = dh_next * tanh_c_next
        dg = ds * i
        di *= i * (1 - i)
        df *= f * (1 - f)
        do *= o * (1 - o)
        dg *= (1 - g ** 2)
        dA = np.hstack((df, dg, di, do))
        self.grads[0][...] = np.dot(x.T, dA)
        self.grads[1][...] = np.dot(h_prev.T, dA)
        self.grads[2][...] = dA.sum(axis=0)
        dx = np.dot(dA, Wx.T)
        dh_prev = np.dot(dA, Wh.T)
        return dx, dh_prev, dc_prev
"""

BOOK_TIME = """
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
        Wx, Wh, b = self.params
        N, T, D = xs.shape
        H = Wh.shape[0]
        self.layers = []
        hs = np.empty((N, T, H), dtype='d')
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
        Wx, Wh, b = self.params
        N, T, H = dhs.shape
        D = Wx.shape[0]
        dxs = np.empty((N, T, D), dtype='d')
        dh, dc = 0, 0
        grads = [0, 0, 0]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)
            dxs[:, t, :] = dx
            for i, grad in enumerate(layer.grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        self.dh = dh
        return dxs
"""

# one sigmoid over the whole A then tanh overwritten on the g block; lists and zip; states kept in a tuple
OTHER_LSTM = """
class LSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)]

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = len(Wh)
        A = x @ Wx + h_prev @ Wh + b
        G = 0.5 * (np.tanh(0.5 * A) + 1)
        G[:, H:2 * H] = np.tanh(A[:, H:2 * H])
        f, g, i, o = np.split(G, 4, axis=1)
        c = f * c_prev + g * i
        tc = np.tanh(c)
        self.saved = x, h_prev, c_prev, G, tc
        return o * tc, c

    def backward(self, dh_next, dc_next):
        Wx, Wh, b = self.params
        x, h_prev, c_prev, G, tc = self.saved
        f, g, i, o = np.split(G, 4, axis=1)
        dc = dc_next + dh_next * o * (1 - tc * tc)
        dG = np.concatenate([dc * c_prev, dc * i, dc * g, dh_next * tc], axis=1)
        deriv = G * (1 - G)
        H = len(Wh)
        deriv[:, H:2 * H] = 1 - g * g
        dA = dG * deriv
        for target, value in zip(self.grads, [x.T @ dA, h_prev.T @ dA, dA.sum(0)]):
            target[...] = value
        return dA @ Wx.T, dA @ Wh.T, dc * f
"""

OTHER_TIME = """
class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.stateful = stateful
        self.layers, self.dh = [], None
        self.reset_state()

    def set_state(self, h, c=None):
        self.h = h
        self.c = c

    def reset_state(self):
        self.set_state(None, None)

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        h = self.h if self.stateful and self.h is not None else np.zeros((N, H))
        c = self.c if self.stateful and self.c is not None else np.zeros((N, H))
        self.layers, outs = [], []
        for t in range(T):
            cell = LSTM(*self.params)
            h, c = cell.forward(xs[:, t], h, c)
            self.layers.append(cell)
            outs.append(h)
        self.h, self.c = h, c
        return np.stack(outs, axis=1)

    def backward(self, dhs):
        dh = np.zeros_like(dhs[:, 0])
        dc = np.zeros_like(dh)
        total = [np.zeros_like(p) for p in self.params]
        dxs = [None] * len(self.layers)
        for t in range(len(self.layers) - 1, -1, -1):
            dxs[t], dh, dc = self.layers[t].backward(dhs[:, t] + dh, dc)
            total = [a + g for a, g in zip(total, self.layers[t].grads)]
        for target, value in zip(self.grads, total):
            target[...] = value
        self.dh = dh
        return np.stack(dxs, axis=1)
"""

BOOK = BOOK_LSTM + BOOK_TIME
OTHER = OTHER_LSTM + OTHER_TIME
CORRECT = {cell: {"book (6.3, float64)": BOOK, "written differently (one sigmoid, split, stack)": OTHER,
                  "book LSTM with the other TimeLSTM": BOOK_LSTM + OTHER_TIME} for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


GATE_ORDER_IFGO = _replace("""        f = sigmoid(A[:, :H])
        g = np.tanh(A[:, H:2 * H])
        i = sigmoid(A[:, 2 * H:3 * H])""", """        i = sigmoid(A[:, :H])
        f = sigmoid(A[:, H:2 * H])
        g = np.tanh(A[:, 2 * H:3 * H])""").replace("dA = np.hstack((df, dg, di, do))", "dA = np.hstack((di, df, dg, do))")
GATE_ORDER_FIGO = _replace("""        g = np.tanh(A[:, H:2 * H])
        i = sigmoid(A[:, 2 * H:3 * H])""", """        i = sigmoid(A[:, H:2 * H])
        g = np.tanh(A[:, 2 * H:3 * H])""").replace("dA = np.hstack((df, dg, di, do))", "dA = np.hstack((df, di, dg, do))")
G_SIGMOID = _replace("g = np.tanh(A[:, H:2 * H])", "g = sigmoid(A[:, H:2 * H])").replace(
    "dg *= (1 - g ** 2)", "dg *= g * (1 - g)")
G_I_SWAPPED = _replace("""        g = np.tanh(A[:, H:2 * H])
        i = sigmoid(A[:, 2 * H:3 * H])""", """        g = sigmoid(A[:, H:2 * H])
        i = np.tanh(A[:, 2 * H:3 * H])""").replace("dg *= (1 - g ** 2)", "dg *= g * (1 - g)").replace(
    "di *= i * (1 - i)", "di *= (1 - i ** 2)")
NO_TANH_ON_C = _replace("h_next = o * np.tanh(c_next)", "h_next = o * c_next").replace(
    "tanh_c_next = np.tanh(c_next)\n        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)",
    "tanh_c_next = c_next\n        ds = dc_next + dh_next * o")
DC_NOT_ADDED = _replace("ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)", "ds = (dh_next * o) * (1 - tanh_c_next ** 2)")
DC_PREV_WITHOUT_F = _replace("dc_prev = ds * f", "dc_prev = ds")
TANH_DERIVATIVE_OF_C = _replace("ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)",
                                "ds = dc_next + (dh_next * o) * (1 - c_next ** 2)")
MUTATES_DH_NEXT = _replace("do = dh_next * tanh_c_next", "dh_next *= tanh_c_next\n        do = dh_next")

NOT_CARRIED = _replace("if not self.stateful or self.h is None:", "if True:").replace(
    "if not self.stateful or self.c is None:", "if True:")
CELL_NOT_CARRIED = _replace("if not self.stateful or self.c is None:", "if True:")
ALWAYS_CARRIED = _replace("if not self.stateful or self.h is None:", "if self.h is None:").replace(
    "if not self.stateful or self.c is None:", "if self.c is None:")
FLOAT32 = _replace("hs = np.empty((N, T, H), dtype='d')", "hs = np.empty((N, T, H), dtype='f')")
GRADS_OVERWRITTEN = _replace("grads[i] += grad", "grads[i] = grad.copy()")
DH_NOT_ADDED = _replace("dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)", "dx, dh, dc = layer.backward(dhs[:, t, :], dc)")
DC_NOT_PASSED = _replace("dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)", "dx, dh, dc = layer.backward(dhs[:, t, :] + dh, 0)")
MUTATES_DHS = _replace("dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)",
                       "dhs[:, t, :] += dh\n            dx, dh, dc = layer.backward(dhs[:, t, :], dc)")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "gates stacked i, f, g, o (PyTorch)": (GATE_ORDER_IFGO, "lstm_forward", "ゲートの並び順が違います"),
    "gates stacked f, i, g, o": (GATE_ORDER_FIGO, "lstm_forward", "2 つ目と 3 つ目のブロックが入れ替わって"),
    "sigmoid on g": (G_SIGMOID, "lstm_forward", "g にシグモイド"),
    "tanh and sigmoid swapped between g and i": (G_I_SWAPPED, "lstm_forward", "2 つ目と 3 つ目のブロックが入れ替わって"),
    "no tanh on c_next": (NO_TANH_ON_C, "lstm_forward", "c_next に tanh を通していません"),
    "dc_next not added": (DC_NOT_ADDED, "lstm_backward", "記憶セルの勾配 dc_next を足していません"),
    "dc_prev without f": (DC_PREV_WITHOUT_F, "lstm_backward", "dc_prev に f を掛けていません"),
    "tanh derivative of c_next written with c": (TANH_DERIVATIVE_OF_C, "lstm_backward", "tanh(c_next) の微分"),
    "cell backward writes into dh_next": (MUTATES_DH_NEXT, "lstm_backward", "書き換えられています"),
    "gate order wrong, seen from TimeLSTM": (GATE_ORDER_IFGO, "time_lstm_forward", "先に LSTM を直して"),
    "state not carried when stateful": (NOT_CARRIED, "time_lstm_forward", "h と c を 0 から始めています"),
    "cell state not carried when stateful": (CELL_NOT_CARRIED, "time_lstm_forward", "記憶セル c を 0 に戻して"),
    "state carried when not stateful": (ALWAYS_CARRIED, "time_lstm_forward", "stateful=False なのに"),
    "hs in float32": (FLOAT32, "time_lstm_forward", "float32"),
    "shared-weight gradients overwritten": (GRADS_OVERWRITTEN, "time_lstm_backward", "上書きしています"),
    "dh from the next step not added": (DH_NOT_ADDED, "time_lstm_backward", "dh を足していません"),
    "dc from the next step not passed": (DC_NOT_PASSED, "time_lstm_backward", "dc を次の時刻から受け渡していません"),
    "TimeLSTM backward writes into dhs": (MUTATES_DHS, "time_lstm_backward", "書き換えられています"),
}

STUB_LSTM = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class LSTM:
    def __init__(self, Wx, Wh, b):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x, h_prev, c_prev):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dh_next, dc_next):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUB_TIME = """
class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        # ここに解答を書いてください
        raise NotImplementedError()

    def set_state(self, h, c=None):
        # ここに解答を書いてください
        raise NotImplementedError()

    def reset_state(self):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, xs):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dhs):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS = {"lstm_forward": STUB_LSTM, "lstm_backward": STUB_LSTM,
         "time_lstm_forward": BOOK_LSTM + STUB_TIME, "time_lstm_backward": BOOK_LSTM + STUB_TIME}


# =========================================================================== TimeEmbedding, TimeSoftmaxWithLoss
LM_CELLS = ["time_embedding_forward", "time_embedding_backward", "time_softmax_with_loss_forward",
            "time_softmax_with_loss_backward"]

EMBED = """
class TimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, xs):
        W, = self.params
        self.idx = xs
        return W[xs]

    def backward(self, dout):
        W, = self.params
        dW = np.zeros_like(W)
        np.add.at(dW, self.idx, dout)
        self.grads[0][...] = dW
        return None
"""

# the book's shape: one Embedding per time step, their gradients summed (float64 instead of dtype='f')
EMBED_BOOK = """
class Embedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        W, = self.params
        self.idx = idx
        return W[idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
        return None


class TimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.layers = None
        self.W = W

    def forward(self, xs):
        N, T = xs.shape
        V, D = self.W.shape
        out = np.empty((N, T, D), dtype='d')
        self.layers = []
        for t in range(T):
            layer = Embedding(self.W)
            out[:, t, :] = layer.forward(xs[:, t])
            self.layers.append(layer)
        return out

    def backward(self, dout):
        N, T, D = dout.shape
        grad = 0
        for t in range(T):
            layer = self.layers[t]
            layer.backward(dout[:, t, :])
            grad += layer.grads[0]
        self.grads[0][...] = grad
        return None
"""

# one-hot matrix product and a loop over the positions
EMBED_OTHER = """
class TimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros(W.shape)]

    def forward(self, xs):
        V = self.params[0].shape[0]
        self.onehot = np.eye(V)[xs]
        return self.onehot @ self.params[0]

    def backward(self, dout):
        D = dout.shape[-1]
        self.grads[0][...] = self.onehot.reshape(-1, self.onehot.shape[-1]).T @ dout.reshape(-1, D)
"""

LOSS = """
class TimeSoftmaxWithLoss:
    def __init__(self, ignore_label=-1):
        self.params, self.grads = [], []
        self.cache = None
        self.ignore_label = ignore_label

    def forward(self, xs, ts):
        N, T, V = xs.shape
        xs2 = xs.reshape(N * T, V)
        ts2 = ts.reshape(N * T)
        mask = ts2 != self.ignore_label
        shifted = xs2 - xs2.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        sum_e = e.sum(axis=1, keepdims=True)
        ys = e / sum_e
        log_p = (shifted - np.log(sum_e))[np.arange(N * T), ts2]
        count = mask.sum()
        self.cache = (ts2, mask, ys, count, (N, T, V))
        return float(-np.sum(log_p * mask) / count)

    def backward(self, dout=1):
        ts2, mask, ys, count, (N, T, V) = self.cache
        dx = ys.copy()
        dx[np.arange(N * T), ts2] -= 1
        dx = dx * dout / count
        dx = dx * mask[:, np.newaxis]
        return dx.reshape(N, T, V)
"""

# the book (common/time_layers.py): softmax, np.log of the picked probability, in-place updates of its own arrays
LOSS_BOOK = """
def softmax(x):
    if x.ndim == 2:
        x = x - x.max(axis=1, keepdims=True)
        x = np.exp(x)
        x /= x.sum(axis=1, keepdims=True)
    elif x.ndim == 1:
        x = x - np.max(x)
        x = np.exp(x) / np.sum(np.exp(x))
    return x


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None
        self.ignore_label = -1

    def forward(self, xs, ts):
        N, T, V = xs.shape
        mask = (ts != self.ignore_label)
        xs = xs.reshape(N * T, V)
        ts = ts.reshape(N * T)
        mask = mask.reshape(N * T)
        ys = softmax(xs)
        ls = np.log(ys[np.arange(N * T), ts])
        ls *= mask
        loss = -np.sum(ls)
        loss /= mask.sum()
        self.cache = (ts, ys, mask, (N, T, V))
        return loss

    def backward(self, dout=1):
        ts, ys, mask, (N, T, V) = self.cache
        dx = ys
        dx[np.arange(N * T), ts] -= 1
        dx *= dout
        dx /= mask.sum()
        dx *= mask[:, np.newaxis]
        dx = dx.reshape((N, T, V))
        return dx
"""

# three-dimensional throughout: take_along_axis, np.where for the ignored positions
LOSS_OTHER = """
class TimeSoftmaxWithLoss:
    def __init__(self, ignore_label=-1):
        self.params = []
        self.grads = []
        self.ignore_label = ignore_label

    def forward(self, xs, ts):
        keep = ts != self.ignore_label
        safe = np.where(keep, ts, 0)
        z = xs - np.max(xs, axis=2, keepdims=True)
        log_ys = z - np.log(np.sum(np.exp(z), axis=2, keepdims=True))
        picked = np.take_along_axis(log_ys, safe[..., None], axis=2)[..., 0]
        self.saved = np.exp(log_ys), safe, keep
        return -np.sum(np.where(keep, picked, 0.0)) / np.count_nonzero(keep)

    def backward(self, dout=1):
        ys, safe, keep = self.saved
        onehot = np.eye(ys.shape[2])[safe]
        return dout * (ys - onehot) * keep[..., None] / np.count_nonzero(keep)
"""

CORRECT.update({
    "time_embedding_forward": {"np.add.at": EMBED, "book (Embedding per step)": EMBED_BOOK, "one-hot product": EMBED_OTHER},
    "time_embedding_backward": {"np.add.at": EMBED, "book (Embedding per step)": EMBED_BOOK, "one-hot product": EMBED_OTHER},
    "time_softmax_with_loss_forward": {"log softmax": LOSS, "book": LOSS_BOOK, "three-dimensional": LOSS_OTHER},
    "time_softmax_with_loss_backward": {"log softmax": LOSS, "book": LOSS_BOOK, "three-dimensional": LOSS_OTHER},
})

EMBED_OVERWRITES = _replace("np.add.at(dW, self.idx, dout)", "dW[self.idx] = dout", EMBED)
EMBED_STEP_OVERWRITES = _replace("grad += layer.grads[0]", "grad = layer.grads[0].copy()", EMBED_BOOK)
EMBED_NOT_RESET = _replace("""        dW = np.zeros_like(W)
        np.add.at(dW, self.idx, dout)
        self.grads[0][...] = dW""", """        np.add.at(self.grads[0], self.idx, dout)""", EMBED)
EMBED_FLOAT32 = _replace("out = np.empty((N, T, D), dtype='d')", "out = np.empty((N, T, D), dtype='f')", EMBED_BOOK)

LOSS_MEAN_OVER_N = _replace("loss /= mask.sum()", "loss /= N", LOSS_BOOK).replace("dx /= mask.sum()", "dx /= N")
LOSS_MEAN_OVER_T = _replace("loss /= mask.sum()", "loss /= T", LOSS_BOOK).replace("dx /= mask.sum()", "dx /= T")
LOSS_SUMMED = _replace("        loss /= mask.sum()\n", "", LOSS_BOOK).replace("        dx /= mask.sum()\n", "")
LOSS_NOT_MASKED = _replace("        ls *= mask\n", "", LOSS_BOOK).replace("loss /= mask.sum()", "loss /= N * T").replace(
    "        dx /= mask.sum()\n        dx *= mask[:, np.newaxis]\n", "        dx /= N * T\n")
LOSS_DIVIDED_BY_NT = _replace("loss /= mask.sum()", "loss /= N * T", LOSS_BOOK).replace("dx /= mask.sum()", "dx /= N * T")
LOSS_NO_SHIFT = _replace("        x = x - x.max(axis=1, keepdims=True)\n        x = np.exp(x)\n",
                         "        x = np.exp(x)\n", LOSS_BOOK)
LOSS_DELTA = _replace("ls = np.log(ys[np.arange(N * T), ts])", "ls = np.log(ys[np.arange(N * T), ts] + 1e-7)", LOSS_BOOK)
LOSS_SHIFTS_XS_IN_PLACE = _replace("        shifted = xs2 - xs2.max(axis=1, keepdims=True)\n",
                                   "        xs2 -= xs2.max(axis=1, keepdims=True)\n        shifted = xs2\n", LOSS)
GRAD_NOT_DIVIDED = _replace("        dx /= mask.sum()\n", "", LOSS_BOOK)
GRAD_DIVIDED_BY_NT = _replace("dx /= mask.sum()", "dx /= N * T", LOSS_BOOK)
GRAD_NOT_MASKED = _replace("        dx *= mask[:, np.newaxis]\n", "", LOSS_BOOK)
DOUT_IGNORED = _replace("        dx *= dout\n", "", LOSS_BOOK)

WRONG.update({
    "embedding output in float32": (EMBED_FLOAT32, "time_embedding_forward", "float32"),
    "embedding backward overwrites repeated ids (dW[idx] = dout)": (EMBED_OVERWRITES, "time_embedding_backward",
                                                                     "勾配が上書きされて 1 回分しか残りません"),
    "embedding gradients of the time steps overwritten": (EMBED_STEP_OVERWRITES, "time_embedding_backward",
                                                          "最後の時刻の分しか残っていません"),
    "embedding gradient added to the previous backward's": (EMBED_NOT_RESET, "time_embedding_backward",
                                                           "前の backward の勾配に足し続けています"),
    "loss averaged over N only": (LOSS_MEAN_OVER_N, "time_softmax_with_loss_forward", "N（バッチの大きさ）だけで割って"),
    "loss averaged over T only": (LOSS_MEAN_OVER_T, "time_softmax_with_loss_forward", "T（時刻の数）だけで割って"),
    "loss summed": (LOSS_SUMMED, "time_softmax_with_loss_forward", "合計したまま返しています"),
    "ignore_label not masked (loss and gradient)": (LOSS_NOT_MASKED, "time_softmax_with_loss_forward",
                                                    "ignore_label（-1）の位置を損失から除いていません"),
    "ignored positions counted": (LOSS_DIVIDED_BY_NT, "time_softmax_with_loss_forward", "割る数に含めています"),
    "no max subtracted before np.exp": (LOSS_NO_SHIFT, "time_softmax_with_loss_forward", "最大値を引いていない"),
    "delta inside the log": (LOSS_DELTA, "time_softmax_with_loss_forward", "np.log の中に小さな値"),
    "scores shifted in place": (LOSS_SHIFTS_XS_IN_PLACE, "time_softmax_with_loss_forward", "書き換えられています"),
    "gradient not divided by the count": (GRAD_NOT_DIVIDED, "time_softmax_with_loss_backward", "平均に使った数で割っていません"),
    "gradient divided by N * T": (GRAD_DIVIDED_BY_NT, "time_softmax_with_loss_backward", "勾配を N * T で割っています"),
    "gradient of the ignored positions not zeroed": (GRAD_NOT_MASKED, "time_softmax_with_loss_backward",
                                                     "位置の勾配を 0 にしていません"),
    "ignore_label not masked, seen in the gradient": (LOSS_NOT_MASKED, "time_softmax_with_loss_backward",
                                                      "backward でもその位置の勾配を 0 にします"),
    "dout ignored": (DOUT_IGNORED, "time_softmax_with_loss_backward", "dout を掛けていません"),
    "no max subtracted, seen in the gradient": (LOSS_NO_SHIFT, "time_softmax_with_loss_backward", "最大値を引いていない"),
})

STUB_EMBED = """
class TimeEmbedding:
    def __init__(self, W):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, xs):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUB_LOSS = """
class TimeSoftmaxWithLoss:
    def __init__(self, ignore_label=-1):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, xs, ts):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout=1):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS.update({"time_embedding_forward": STUB_EMBED, "time_embedding_backward": STUB_EMBED,
              "time_softmax_with_loss_forward": STUB_LOSS, "time_softmax_with_loss_backward": STUB_LOSS})


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


# --------------------------------------------------------------------------- gradients of the answer
def _answer_classes():
    cells = json.loads((REPO / "source" / "day6" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {"np": np}
    for cell in cells:
        if cell["id"] in ("LSTM", "TimeLSTM"):
            exec("".join(cell["source"]), ns)
    return ns["LSTM"], ns["TimeLSTM"]


@pytest.mark.parametrize("code", ["answer", "other"])
def test_backward_matches_numerical_gradients_across_two_truncated_blocks(code):
    """Cell and time layer: the two blocks' gradients, with the dh and dc handed back over the block boundary,
    equal the numerical gradients of the untruncated loss; the first block starts from set_state(h0, c0)."""
    from course.gradient_check import check_gradients

    if code == "answer":
        LSTM, TimeLSTM = _answer_classes()
    else:
        ns = {"np": np}
        exec(OTHER, ns)
        LSTM, TimeLSTM = ns["LSTM"], ns["TimeLSTM"]
    rng = np.random.default_rng(63)
    N, T, D, H = 2, 3, 3, 2
    Wx, Wh, b = rng.normal(size=(D, 4 * H)) * 0.6, rng.normal(size=(H, 4 * H)) * 0.6, rng.normal(size=4 * H) * 0.2
    xs, dhs = rng.normal(size=(N, 2 * T, D)), rng.normal(size=(N, 2 * T, H))
    h0, c0 = rng.normal(size=(N, H)) * 0.5, rng.normal(size=(N, H))

    first, second = TimeLSTM(Wx, Wh, b, stateful=True), TimeLSTM(Wx, Wh, b, stateful=True)
    first.set_state(h0, c0)
    first.forward(xs[:, :T])
    second.set_state(first.h, first.c)
    second.forward(xs[:, T:])
    dxs_second = second.backward(dhs[:, T:])
    grads = [g.copy() for g in second.grads]
    dh, dc = 0, 0  # walk the second block again with the cells to get dh and dc at the boundary
    for t in reversed(range(T)):
        _, dh, dc = second.layers[t].backward(dhs[:, T + t] + dh, dc)
    assert np.allclose(dh, second.dh)
    dxs_first = np.empty((N, T, D))
    for t in reversed(range(T)):
        dxs_first[:, t], dh, dc = first.layers[t].backward(dhs[:, t] + dh, dc)
        grads = [a + g for a, g in zip(grads, first.layers[t].grads)]

    def loss():
        layer = TimeLSTM(Wx, Wh, b, stateful=True)
        layer.set_state(h0, c0)
        return float(np.sum(layer.forward(xs) * dhs))

    verdict = check_gradients(loss, {"xs": xs, "h0": h0, "c0": c0, "Wx": Wx, "Wh": Wh, "b": b},
                              {"xs": np.concatenate([dxs_first, dxs_second], axis=1), "h0": dh, "c0": dc,
                               "Wx": grads[0], "Wh": grads[1], "b": grads[2]})
    assert verdict.passed, verdict.message


def _answer_namespace(*cell_ids):
    cells = json.loads((REPO / "source" / "day6" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {"np": np}
    for cell in cells:
        if cell["id"] in cell_ids:
            exec("".join(cell["source"]), ns)
    return ns


@pytest.mark.parametrize("code", ["answer", "book", "other"])
def test_embedding_backward_matches_numerical_gradients_with_repeated_ids(code):
    """dW accumulates every occurrence of an id (ids repeat within a sequence and across the batch)."""
    from course.gradient_check import check_gradients

    if code == "answer":
        ns = _answer_namespace("TimeEmbedding")
    else:
        ns = {"np": np}
        exec(EMBED_BOOK if code == "book" else EMBED_OTHER, ns)
    TimeEmbedding = ns["TimeEmbedding"]
    rng = np.random.default_rng(631)
    W = rng.normal(size=(5, 3))
    ids = np.array([[1, 4, 4, 0], [4, 1, 2, 4]])
    dout = rng.normal(size=(2, 4, 3))
    layer = TimeEmbedding(W)
    layer.forward(ids)
    layer.backward(dout)
    verdict = check_gradients(lambda: float(np.sum(TimeEmbedding(W).forward(ids) * dout)), {"W": W},
                              {"W": layer.grads[0]})
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("code", ["answer", "book", "other"])
def test_loss_backward_matches_numerical_gradients_with_ignored_labels_and_dout(code):
    """dxs = dout * (ys - onehot) / count with the ignored positions at 0; N != T so the mean's axis matters."""
    from course.gradient_check import check_gradients

    if code == "answer":
        ns = _answer_namespace("TimeSoftmaxWithLoss")
    else:
        ns = {"np": np}
        exec(LOSS_BOOK if code == "book" else LOSS_OTHER, ns)
    TimeSoftmaxWithLoss = ns["TimeSoftmaxWithLoss"]
    rng = np.random.default_rng(632)
    xs = rng.normal(size=(2, 3, 4)) * 2
    ts = np.array([[0, 3, -1], [-1, 2, 1]])
    layer = TimeSoftmaxWithLoss()
    layer.forward(xs, ts)
    dxs = layer.backward(0.7)
    verdict = check_gradients(lambda: 0.7 * float(TimeSoftmaxWithLoss().forward(xs, ts)), {"xs": xs}, {"xs": dxs})
    assert verdict.passed, verdict.message
    assert np.all(dxs[0, 2] == 0) and np.all(dxs[1, 0] == 0)


def test_the_answers_embedding_and_loss_chain_through_an_affine_layer():
    """TimeEmbedding -> TimeAffine -> TimeSoftmaxWithLoss of the answer: the gradient of the embedding weights."""
    from course.gradient_check import check_gradients
    from course.time_layers import TimeAffine

    ns = _answer_namespace("TimeEmbedding", "TimeSoftmaxWithLoss")
    rng = np.random.default_rng(633)
    W_embed, W, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 6)), rng.normal(size=6)
    xs = np.array([[0, 2, 2, 5], [2, 0, 1, 1]])
    ts = np.array([[2, 2, 5, -1], [0, 1, 1, 3]])

    def loss():
        return float(ns["TimeSoftmaxWithLoss"]().forward(TimeAffine(W, b).forward(ns["TimeEmbedding"](W_embed).forward(xs)), ts))

    embed, affine, loss_layer = ns["TimeEmbedding"](W_embed), TimeAffine(W, b), ns["TimeSoftmaxWithLoss"]()
    loss_layer.forward(affine.forward(embed.forward(xs)), ts)
    embed.backward(affine.backward(loss_layer.backward()))
    verdict = check_gradients(loss, {"W_embed": W_embed, "W": W, "b": b},
                              {"W_embed": embed.grads[0], "W": affine.grads[0], "b": affine.grads[1]})
    assert verdict.passed, verdict.message
