"""The checks of 6_2_simple_rnn: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "6_2_simple_rnn"
CELLS = ["rnn_forward", "rnn_backward", "time_rnn_forward", "time_rnn_backward"]

BOOK_RNN = """
class RNN:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        t = np.dot(h_prev, Wh) + np.dot(x, Wx) + b
        h_next = np.tanh(t)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        db = np.sum(dt, axis=0)
        dWh = np.dot(h_prev.T, dt)
        dh_prev = np.dot(dt, Wh.T)
        dWx = np.dot(x.T, dt)
        dx = np.dot(dt, Wx.T)
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev
"""

BOOK_TIME = """
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
        Wx, Wh, b = self.params
        N, T, D = xs.shape
        D, H = Wx.shape
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
        Wx, Wh, b = self.params
        N, T, H = dhs.shape
        D, H = Wx.shape
        dxs = np.empty((N, T, D))
        dh = 0
        grads = [0, 0, 0]
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
"""

OTHER_RNN = """
class RNN:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)]

    def forward(self, x, h_prev):
        self.x, self.h_prev = x, h_prev
        self.out = np.tanh(x @ self.params[0] + h_prev @ self.params[1] + self.params[2])
        return self.out

    def backward(self, dh_next):
        da = (1.0 - self.out * self.out) * dh_next
        self.grads = [self.x.T @ da, self.h_prev.T @ da, da.sum(0)]
        return da @ self.params[0].T, da @ self.params[1].T
"""

OTHER_TIME = """
class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.stateful = stateful
        self.h = None
        self.dh = None

    def set_state(self, h):
        self.h = h

    def reset_state(self):
        self.h = None

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        h = self.h if (self.stateful and self.h is not None) else np.zeros((N, H))
        self.layers, outputs = [], []
        for t in range(T):
            cell = RNN(*self.params)
            h = cell.forward(xs[:, t], h)
            self.layers.append(cell)
            outputs.append(h)
        self.h = h
        return np.stack(outputs, axis=1)

    def backward(self, dhs):
        dh = np.zeros_like(dhs[:, 0])
        total = [np.zeros_like(p) for p in self.params]
        dxs = [None] * len(self.layers)
        for t in range(len(self.layers) - 1, -1, -1):
            dxs[t], dh = self.layers[t].backward(dhs[:, t] + dh)
            total = [a + g for a, g in zip(total, self.layers[t].grads)]
        for g, s in zip(self.grads, total):
            g[...] = s
        self.dh = dh
        return np.stack(dxs, axis=1)
"""

BOOK = BOOK_RNN + BOOK_TIME
OTHER = OTHER_RNN + OTHER_TIME
CORRECT = {cell: {"book (5.3, float64)": BOOK, "written differently (lists, stack, rebinding grads)": OTHER,
                  "book RNN with the other TimeRNN": BOOK_RNN + OTHER_TIME}
           for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


SIGMOID = _replace("h_next = np.tanh(t)", "h_next = 1 / (1 + np.exp(-t))")
SWAPPED = _replace("t = np.dot(h_prev, Wh) + np.dot(x, Wx) + b", "t = np.dot(h_prev, Wx) + np.dot(x, Wh) + b")
SIGMOID_DERIVATIVE = _replace("dt = dh_next * (1 - h_next ** 2)", "dt = dh_next * h_next * (1 - h_next)")
PREV_DERIVATIVE = _replace("dt = dh_next * (1 - h_next ** 2)", "dt = dh_next * (1 - h_prev ** 2)")
NO_DERIVATIVE = _replace("dt = dh_next * (1 - h_next ** 2)", "dt = dh_next")
DWH_NEXT = _replace("dWh = np.dot(h_prev.T, dt)", "dWh = np.dot(h_next.T, dt)")
GRADS_NOT_STORED = _replace("        self.grads[0][...] = dWx\n        self.grads[1][...] = dWh\n"
                            "        self.grads[2][...] = db\n", "")
DB_MEAN = _replace("db = np.sum(dt, axis=0)", "db = np.mean(dt, axis=0)")
MUTATES_DH_NEXT = _replace("dt = dh_next * (1 - h_next ** 2)", "dh_next *= (1 - h_next ** 2)\n        dt = dh_next")
NOT_CARRIED = _replace("if not self.stateful or self.h is None:", "if True:")
ALWAYS_CARRIED = _replace("if not self.stateful or self.h is None:", "if self.h is None:")
FLOAT32 = _replace("hs = np.empty((N, T, H))", "hs = np.empty((N, T, H), dtype='f')")
STATE_NOT_KEPT = _replace("""        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        for t in range(T):
            layer = RNN(*self.params)
            self.h = layer.forward(xs[:, t, :], self.h)
            hs[:, t, :] = self.h""", """        h = self.h
        if not self.stateful or self.h is None:
            h = np.zeros((N, H))
        for t in range(T):
            layer = RNN(*self.params)
            h = layer.forward(xs[:, t, :], h)
            hs[:, t, :] = h""")
OVERWRITTEN = _replace("grads[i] += grad", "grads[i] = grad")
DH_NOT_ADDED = _replace("dx, dh = layer.backward(dhs[:, t, :] + dh)", "dx, dh = layer.backward(dhs[:, t, :])")
FORWARD_ORDER = _replace("for t in reversed(range(T)):", "for t in range(T):")
DH_NOT_KEPT = _replace("        self.dh = dh\n", "")
MUTATES_DHS = _replace("dx, dh = layer.backward(dhs[:, t, :] + dh)",
                       "dhs[:, t, :] += dh\n            dx, dh = layer.backward(dhs[:, t, :])")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "sigmoid instead of tanh": (SIGMOID, "rnn_forward", "シグモイド"),
    "Wx and Wh swapped": (SWAPPED, "rnn_forward", "入れ替わって"),
    "wrong tanh derivative (sigmoid's)": (SIGMOID_DERIVATIVE, "rnn_backward", "tanh の微分が違います"),
    "tanh derivative of h_prev": (PREV_DERIVATIVE, "rnn_backward", "h_prev を使っています"),
    "no tanh derivative": (NO_DERIVATIVE, "rnn_backward", "tanh の微分を掛けていません"),
    "dWh with h_next": (DWH_NEXT, "rnn_backward", "dWh に h_next"),
    "grads not stored": (GRADS_NOT_STORED, "rnn_backward", "self.grads に保存していません"),
    "db averaged": (DB_MEAN, "rnn_backward", "db をバッチで平均"),
    "cell backward writes into dh_next": (MUTATES_DH_NEXT, "rnn_backward", "書き換えられています"),
    "wrong cell named first in the TimeRNN cell": (SIGMOID_DERIVATIVE, "time_rnn_backward", "先に RNN を直して"),
    "stateful state not carried": (NOT_CARRIED, "time_rnn_forward", "stateful=True なのに"),
    "state carried when not stateful": (ALWAYS_CARRIED, "time_rnn_forward", "stateful=False なのに"),
    "hs in float32 (the book's dtype='f')": (FLOAT32, "time_rnn_forward", "float32"),
    "last state not kept in self.h": (STATE_NOT_KEPT, "time_rnn_forward", "self.h（最後の隠れ状態）"),
    "shared weight gradients overwritten": (OVERWRITTEN, "time_rnn_backward", "上書き"),
    "dh of the next step not added": (DH_NOT_ADDED, "time_rnn_backward", "dh を足していません"),
    "steps in forward order": (FORWARD_ORDER, "time_rnn_backward", "前から順に"),
    "dh not kept": (DH_NOT_KEPT, "time_rnn_backward", "self.dh（ブロックの最初の隠れ状態に対する勾配）"),
    "time backward writes into dhs": (MUTATES_DHS, "time_rnn_backward", "書き換えられています"),
}

STUB = """
class RNN:
    def __init__(self, Wx, Wh, b):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x, h_prev):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dh_next):
        # ここに解答を書いてください
        raise NotImplementedError()


class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        # ここに解答を書いてください
        raise NotImplementedError()

    def set_state(self, h):
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
STUBS = {cell: STUB for cell in CELLS}


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


def test_a_right_time_rnn_over_a_wrong_cell_names_the_cell(judge_code):
    passed, message = judge_code(NB, "time_rnn_forward", SIGMOID)
    assert not passed and "先に RNN を直して" in message and "シグモイド" in message, message


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
