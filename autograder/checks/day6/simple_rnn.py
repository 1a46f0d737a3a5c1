"""Hidden checks of 6_2_simple_rnn: the ``RNN`` cell and ``TimeRNN`` (truncated BPTT, ``stateful``).

Conventions stated in the notebook and tested here (the reference is ``course.time_rnn``):
- ``RNN(Wx, Wh, b)``: ``params = [Wx, Wh, b]`` (D, H), (H, H), (H,); ``grads`` the same shapes.
  ``forward(x, h_prev)``: x (N, D), h_prev (N, H) -> ``h_next = tanh(h_prev @ Wh + x @ Wx + b)``.
  ``backward(dh_next)`` -> ``(dx, dh_prev)``; ``grads`` holds dWx, dWh, db afterwards.
- ``TimeRNN(Wx, Wh, b, stateful=False)``: ``forward(xs)`` xs (N, T, D) -> hs (N, T, H) float64.
  The first hidden state is zeros unless ``stateful`` and ``self.h`` is not None (kept from the
  previous forward, or given by ``set_state``); ``self.h`` is the last hidden state afterwards;
  ``reset_state()`` sets it to None.
- ``TimeRNN.backward(dhs)`` -> dxs (N, T, D): steps in reverse order, each step receives
  ``dhs[:, t] + dh``; ``grads`` = sums over the steps; ``self.dh`` = gradient w.r.t. the block's
  first hidden state. No argument is modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.time_rnn import RNN as ReferenceRNN
from course.time_rnn import TimeRNN as ReferenceTimeRNN

NOTEBOOK = "6_2_simple_rnn"

RTOL, ATOL = 1e-9, 1e-12  # tight enough that float32 (the book's dtype='f') fails


# --------------------------------------------------------------------------- wrong RNN cells
class _SigmoidActivation(ReferenceRNN):
    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = 1 / (1 + np.exp(-(h_prev @ Wh + x @ Wx + b)))
        self.cache = (x, h_prev, h_next)
        return h_next


class _NoActivation(ReferenceRNN):
    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = h_prev @ Wh + x @ Wx + b
        self.cache = (x, h_prev, h_next)
        return h_next


class _WeightsSwapped(ReferenceRNN):
    """x @ Wh and h_prev @ Wx: only possible when D == H."""

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(h_prev @ Wx + x @ Wh + b)
        self.cache = (x, h_prev, h_next)
        return h_next


def _cell_backward(self, dt):
    Wx, Wh, _ = self.params
    x, h_prev, _ = self.cache
    self.grads[0][...] = x.T @ dt
    self.grads[1][...] = h_prev.T @ dt
    self.grads[2][...] = dt.sum(axis=0)
    return dt @ Wx.T, dt @ Wh.T


class _SigmoidDerivative(ReferenceRNN):
    def backward(self, dh_next):
        h_next = self.cache[2]
        return _cell_backward(self, dh_next * h_next * (1 - h_next))


class _DerivativeOfPrevious(ReferenceRNN):
    def backward(self, dh_next):
        h_prev = self.cache[1]
        return _cell_backward(self, dh_next * (1 - h_prev ** 2))


class _NoDerivative(ReferenceRNN):
    def backward(self, dh_next):
        return _cell_backward(self, dh_next)


class _DWhWithNext(ReferenceRNN):
    def backward(self, dh_next):
        out = super().backward(dh_next)
        h_next = self.cache[2]
        self.grads[1][...] = h_next.T @ (dh_next * (1 - h_next ** 2))
        return out


class _GradsNotStored(ReferenceRNN):
    def backward(self, dh_next):
        saved = [g.copy() for g in self.grads]
        out = super().backward(dh_next)
        for g, s in zip(self.grads, saved):
            g[...] = s
        return out


class _DbMean(ReferenceRNN):
    def backward(self, dh_next):
        out = super().backward(dh_next)
        self.grads[2][...] = self.grads[2] / len(dh_next)
        return out


CELL_FORWARD_MISTAKES = [
    Mistake("活性化関数が tanh ではなくシグモイドになっています。h_next = np.tanh(h_prev @ Wh + x @ Wx + b) です。",
            _SigmoidActivation),
    Mistake("活性化関数 tanh を通していません。h_next = np.tanh(h_prev @ Wh + x @ Wx + b) です。", _NoActivation),
    Mistake("Wx と Wh が入れ替わっています。入力 x に掛けるのが Wx (D, H)、前の隠れ状態 h_prev に掛けるのが Wh (H, H) です。",
            _WeightsSwapped),
]
CELL_BACKWARD_MISTAKES = [
    Mistake("tanh の微分が違います。シグモイドの微分 h * (1 - h) ではなく、tanh の微分 1 - h_next ** 2 を使います"
            "（dt = dh_next * (1 - h_next ** 2)）。", _SigmoidDerivative),
    Mistake("tanh の微分に h_prev を使っています。微分は出力 h_next で書けて 1 - h_next ** 2 です。",
            _DerivativeOfPrevious),
    Mistake("tanh の微分を掛けていません。dt = dh_next * (1 - h_next ** 2) から dx, dh_prev, dWx, dWh, db を求めます。",
            _NoDerivative),
    Mistake("dWh に h_next を使っています。h_next = tanh(h_prev @ Wh + ...) なので dWh = h_prev.T @ dt です。",
            _DWhWithNext),
    Mistake("勾配を self.grads に保存していません。self.grads[0][...] = dWx, self.grads[1][...] = dWh, "
            "self.grads[2][...] = db のように書き込みます。", _GradsNotStored),
    Mistake("db をバッチで平均しています。db = np.sum(dt, axis=0) です（合計です）。", _DbMean),
]


# --------------------------------------------------------------------------- wrong TimeRNN
class _NotCarried(ReferenceTimeRNN):
    def forward(self, xs):
        self.h = None
        return super().forward(xs)


class _AlwaysCarried(ReferenceTimeRNN):
    def forward(self, xs):
        stateful = self.stateful
        self.stateful = True
        try:
            return super().forward(xs)
        finally:
            self.stateful = stateful


class _Float32(ReferenceTimeRNN):
    def forward(self, xs):
        return super().forward(xs).astype(np.float32)


class _GradsOverwritten(ReferenceTimeRNN):
    def backward(self, dhs):
        dxs = super().backward(dhs)
        for i, grad in enumerate(self.layers[0].grads):
            self.grads[i][...] = grad
        return dxs


class _DhNotAdded(ReferenceTimeRNN):
    def backward(self, dhs):
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, self.params[0].shape[0]))
        grads = [np.zeros_like(p) for p in self.params]
        dh = None
        for t in reversed(range(T)):
            dx, dh = self.layers[t].backward(dhs[:, t, :])
            dxs[:, t, :] = dx
            for i, grad in enumerate(self.layers[t].grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        self.dh = dh
        return dxs


class _ForwardOrder(ReferenceTimeRNN):
    def backward(self, dhs):
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, self.params[0].shape[0]))
        grads = [np.zeros_like(p) for p in self.params]
        dh = 0
        for t in range(T):
            dx, dh = self.layers[t].backward(dhs[:, t, :] + dh)
            dxs[:, t, :] = dx
            for i, grad in enumerate(self.layers[t].grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        self.dh = dh
        return dxs


TIME_FORWARD_MISTAKES = [
    Mistake("stateful=True なのに、forward のたびに隠れ状態を 0 から始めています。stateful=True で self.h が None でなければ、"
            "前の forward の最後の隠れ状態（または set_state で与えた h）から続けます。", _NotCarried),
    Mistake("stateful=False なのに、前の forward の隠れ状態を引き継いでいます。stateful=False のときは forward のたびに "
            "h を 0（np.zeros((N, H))）から始めます。", _AlwaysCarried),
    Mistake("hs が float32 です。書籍の dtype='f' は使わず、float64 の配列（np.empty((N, T, H)) など）に保存します。",
            _Float32),
]
TIME_BACKWARD_MISTAKES = [
    Mistake("重みの勾配を時刻ごとに上書きしています。Wx, Wh, b はすべての時刻で共有されているので、各時刻の "
            "layer.grads を足し合わせた合計が self.grads です。", _GradsOverwritten),
    Mistake("次の時刻から戻ってくる dh を足していません。時刻 t の RNN には dhs[:, t, :] + dh（dh は時刻 t+1 の "
            "backward が返した dh_prev）を渡します。", _DhNotAdded),
    Mistake("時刻を前から順に逆伝播しています。dh は未来から過去へ流れるので、for t in reversed(range(T)) の順に "
            "backward を呼びます。", _ForwardOrder),
]

ERROR_HINTS = [
    ("shapes", "行列の積の形が合っていません。x (N, D) @ Wx (D, H)、h_prev (N, H) @ Wh (H, H) です。逆伝播では "
               "dx = dt @ Wx.T, dh_prev = dt @ Wh.T, dWx = x.T @ dt, dWh = h_prev.T @ dt です。"),
    ("could not be broadcast", "配列の形状が合っていません。xs[:, t, :] は (N, D)、hs[:, t, :] と h は (N, H) です。"),
    ("NoneType", "None を計算に使っています。forward で cache や self.layers、self.h を保存しているか確かめてください。"),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(6200)


def _weights(D, H, scale=0.6, seed=None):
    r = rng if seed is None else np.random.default_rng(seed)
    return r.normal(size=(D, H)) * scale, r.normal(size=(H, H)) * scale, r.normal(size=H) * 0.2


# visible: small, D = 3, H = 2
v_Wx = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
v_Wh = np.array([[0.4, -0.7], [0.9, 0.3]])
v_b = np.array([0.1, -0.2])
v_x = np.array([[1.0, 0.5, -1.0], [0.0, -0.5, 2.0]])
v_h = np.array([[0.3, -0.8], [0.5, 0.2]])
v_dh = np.array([[1.0, -0.5], [0.3, 2.0]])
v_xs = np.sin(np.arange(24, dtype=float)).reshape(2, 4, 3)
v_xs2 = np.cos(np.arange(24, dtype=float) * 0.7).reshape(2, 4, 3)
v_dhs = np.cos(np.arange(16, dtype=float) * 1.3).reshape(2, 4, 2)
v_dhs_last = np.zeros((2, 4, 2))
v_dhs_last[:, -1, :] = [[1.0, -1.0], [0.5, 2.0]]
v_h0 = np.array([[0.6, -0.4], [-0.2, 0.9]])
# square weights (D == H) so that swapping Wx and Wh is observable
v_Wsq = (np.array([[0.5, -0.3], [0.2, 0.8]]), np.array([[0.4, -0.7], [0.9, 0.3]]), np.array([0.1, -0.2]))
v_xsq = np.array([[1.0, -2.0], [0.5, 0.3]])

# hidden
Wx_a, Wh_a, b_a = _weights(4, 3)
Wx_b, Wh_b, b_b = _weights(2, 5, scale=0.4)
Wsq = _weights(3, 3)
x_a, h_a, dh_a = rng.normal(size=(5, 4)), rng.normal(size=(5, 3)) * 0.5, rng.normal(size=(5, 3))
x_one, h_one, dh_one = rng.normal(size=(1, 2)), rng.normal(size=(1, 5)) * 0.5, rng.normal(size=(1, 5))
x_sq, h_sq = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 0.5
xs_a, xs_a2 = rng.normal(size=(3, 6, 4)), rng.normal(size=(3, 6, 4))
dhs_a = rng.normal(size=(3, 6, 3))
dhs_a_last = np.zeros((3, 6, 3))
dhs_a_last[:, -1] = rng.normal(size=(3, 3))
xs_b, xs_b2 = rng.normal(size=(1, 5, 2)), rng.normal(size=(1, 3, 2))
dhs_b = rng.normal(size=(1, 3, 5))
xs_t1, dhs_t1 = rng.normal(size=(4, 1, 4)), rng.normal(size=(4, 1, 3))
h0_a = rng.normal(size=(3, 3)) * 0.5


def _forward_cell(x, h):
    return call("forward", x, h, label="forward(x, h_prev) の戻り値 h_next")


def _backward_cell(x, h, dh):
    return [call("forward", x, h, record=False),
            call("backward", dh, label="backward(dh_next) の戻り値 (dx, dh_prev)"),
            get("grads", label="backward のあとの grads（[dWx, dWh, db]）")]


def _hs(xs, label="forward(xs) の戻り値 hs"):
    return call("forward", xs, label=label)


def _last_h(label="forward のあとの self.h（最後の隠れ状態）"):
    return get("h", label=label)


def _time_backward(dhs):
    return [call("backward", dhs, label="backward(dhs) の戻り値 dxs"),
            get("grads", label="backward のあとの grads（時刻について合計した [dWx, dWh, db]）"),
            get("dh", label="backward のあとの self.dh（ブロックの最初の隠れ状態に対する勾配）")]


def _cell_check(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="RNN", reference=ReferenceRNN, scenarios=scenarios, visible=visible,
                      mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float", **kw)


def _time_check(scenarios, visible, mistakes):
    return ClassCheck(function="TimeRNN", reference=ReferenceTimeRNN, scenarios=scenarios, visible=visible,
                      mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


FORWARD_VISIBLE = [
    Scenario("D = H = 2 の forward（Wx と Wh の区別）", [new(*v_Wsq), _forward_cell(v_xsq, v_h)]),
    Scenario("N = 2, D = 3, H = 2 の forward", [new(v_Wx, v_Wh, v_b), _forward_cell(v_x, v_h)]),
    Scenario("h_prev が 0（x の項だけ）", [new(v_Wx, v_Wh, v_b), _forward_cell(v_x, np.zeros((2, 2)))]),
    Scenario("x が 0（h_prev の項だけ）", [new(v_Wx, v_Wh, v_b), _forward_cell(np.zeros((2, 3)), v_h)]),
]
FORWARD_HIDDEN = [
    Scenario("D = H = 3 の forward", [new(*Wsq), _forward_cell(x_sq, h_sq)]),
    Scenario("N = 5, D = 4, H = 3 の forward", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a, h_a)]),
    Scenario("N = 1, D = 2, H = 5 の forward", [new(Wx_b, Wh_b, b_b), _forward_cell(x_one, h_one)]),
    Scenario("h_prev が 0", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a, np.zeros((5, 3)))]),
    Scenario("x が 0", [new(Wx_a, Wh_a, b_a), _forward_cell(np.zeros((5, 4)), h_a)]),
    Scenario("大きな入力（tanh が飽和する）", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a * 30, h_a)]),
]
BACKWARD_VISIBLE = [
    Scenario("N = 2, D = 3, H = 2 の backward", [new(v_Wx, v_Wh, v_b), *_backward_cell(v_x, v_h, v_dh)]),
    Scenario("dh_next が 1 要素だけ 1", [new(v_Wx, v_Wh, v_b),
                                     *_backward_cell(v_x, v_h, np.array([[0.0, 1.0], [0.0, 0.0]]))]),
]
BACKWARD_HIDDEN = [
    Scenario("N = 5, D = 4, H = 3 の backward", [new(Wx_a, Wh_a, b_a), *_backward_cell(x_a, h_a, dh_a)]),
    Scenario("N = 1, D = 2, H = 5 の backward", [new(Wx_b, Wh_b, b_b), *_backward_cell(x_one, h_one, dh_one)]),
    Scenario("h_prev が 0 の backward", [new(Wx_a, Wh_a, b_a), *_backward_cell(x_a, np.zeros((5, 3)), dh_a)]),
    Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
        new(Wx_a, Wh_a, b_a), call("forward", x_a * 2, h_a, record=False), *_backward_cell(x_a, h_a, dh_a)]),
]

TIME_FORWARD_VISIBLE = [
    Scenario("stateful=False で (2, 4, 3) の xs を forward", [new(v_Wx, v_Wh, v_b), _hs(v_xs), _last_h()]),
    Scenario("stateful=True で 2 つのブロックを続けて forward（2 つ目は 1 つ目の最後の h から続く）", [
        new(v_Wx, v_Wh, v_b, stateful=True), _hs(v_xs, "1 つ目のブロックの hs"), _hs(v_xs2, "2 つ目のブロックの hs"),
        _last_h()]),
    Scenario("stateful=False で 2 回 forward（2 回目も h = 0 から始まる）", [
        new(v_Wx, v_Wh, v_b, stateful=False), call("forward", v_xs, record=False),
        _hs(v_xs2, "2 回目の forward の hs")]),
    Scenario("stateful=True で set_state(h) のあと forward、reset_state() のあと forward", [
        new(v_Wx, v_Wh, v_b, stateful=True), call("set_state", v_h0, record=False),
        _hs(v_xs, "set_state(h) のあとの hs"), call("reset_state", record=False),
        _hs(v_xs2, "reset_state() のあとの hs")]),
]
TIME_FORWARD_HIDDEN = [
    Scenario("stateful=False で (3, 6, 4) の xs を forward", [new(Wx_a, Wh_a, b_a), _hs(xs_a), _last_h()]),
    Scenario("T = 1 の forward", [new(Wx_a, Wh_a, b_a), _hs(xs_t1), _last_h()]),
    Scenario("stateful=True で 3 つのブロックを続けて forward", [
        new(Wx_a, Wh_a, b_a, stateful=True), _hs(xs_a, "1 つ目のブロックの hs"), _hs(xs_a2, "2 つ目のブロックの hs"),
        _hs(xs_a[:, :2], "3 つ目のブロック（T = 2）の hs"), _last_h()]),
    Scenario("N = 1, stateful=True で長さの違う 2 つのブロック", [
        new(Wx_b, Wh_b, b_b, stateful=True), _hs(xs_b, "1 つ目のブロックの hs"), _hs(xs_b2, "2 つ目のブロックの hs")]),
    Scenario("stateful=False で 2 回 forward", [
        new(Wx_a, Wh_a, b_a), call("forward", xs_a, record=False), _hs(xs_a2, "2 回目の forward の hs"), _last_h()]),
    Scenario("stateful=True で set_state(h)、reset_state()", [
        new(Wx_a, Wh_a, b_a, stateful=True), call("set_state", h0_a, record=False), _hs(xs_a, "set_state(h) のあとの hs"),
        _last_h(), call("reset_state", record=False), _hs(xs_a2, "reset_state() のあとの hs")]),
]
TIME_BACKWARD_VISIBLE = [
    Scenario("(2, 4, 3) の xs で forward と backward", [
        new(v_Wx, v_Wh, v_b), call("forward", v_xs, record=False), *_time_backward(v_dhs)]),
    Scenario("最後の時刻にだけ勾配が来る dhs（過去へは dh だけが伝わる）", [
        new(v_Wx, v_Wh, v_b), call("forward", v_xs, record=False), *_time_backward(v_dhs_last)]),
    Scenario("stateful=True の 2 つ目のブロックの backward（切り詰めた BPTT）", [
        new(v_Wx, v_Wh, v_b, stateful=True), call("forward", v_xs, record=False), call("forward", v_xs2, record=False),
        *_time_backward(v_dhs)]),
]
TIME_BACKWARD_HIDDEN = [
    Scenario("(3, 6, 4) の xs で forward と backward", [
        new(Wx_a, Wh_a, b_a), call("forward", xs_a, record=False), *_time_backward(dhs_a)]),
    Scenario("最後の時刻にだけ勾配が来る dhs", [
        new(Wx_a, Wh_a, b_a), call("forward", xs_a, record=False), *_time_backward(dhs_a_last)]),
    Scenario("T = 1", [new(Wx_a, Wh_a, b_a), call("forward", xs_t1, record=False), *_time_backward(dhs_t1)]),
    Scenario("set_state(h) から始めたブロックの backward（self.dh は h に対する勾配）", [
        new(Wx_a, Wh_a, b_a, stateful=True), call("set_state", h0_a, record=False),
        call("forward", xs_a, record=False), *_time_backward(dhs_a)]),
    Scenario("N = 1, stateful=True の 2 つ目のブロックの backward", [
        new(Wx_b, Wh_b, b_b, stateful=True), call("forward", xs_b, record=False), call("forward", xs_b2, record=False),
        *_time_backward(dhs_b)]),
]

CHECKS = {
    "rnn_forward": [_cell_check(FORWARD_HIDDEN, FORWARD_VISIBLE, CELL_FORWARD_MISTAKES)],
    "rnn_backward": [_cell_check(BACKWARD_HIDDEN, BACKWARD_VISIBLE, CELL_FORWARD_MISTAKES + CELL_BACKWARD_MISTAKES)],
    "time_rnn_forward": [
        _cell_check(FORWARD_HIDDEN, FORWARD_VISIBLE, CELL_FORWARD_MISTAKES, prerequisite_of="TimeRNN"),
        _time_check(TIME_FORWARD_HIDDEN, TIME_FORWARD_VISIBLE, TIME_FORWARD_MISTAKES)],
    "time_rnn_backward": [
        _cell_check(BACKWARD_HIDDEN, BACKWARD_VISIBLE, CELL_FORWARD_MISTAKES + CELL_BACKWARD_MISTAKES,
                    prerequisite_of="TimeRNN"),
        _time_check(TIME_BACKWARD_HIDDEN, TIME_BACKWARD_VISIBLE, TIME_FORWARD_MISTAKES + TIME_BACKWARD_MISTAKES)],
}
