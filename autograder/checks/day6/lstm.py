"""Hidden checks of 6_3_lstm: the ``LSTM`` cell and ``TimeLSTM`` (truncated BPTT, ``stateful``).

Conventions stated in the notebook and tested here (the reference is ``course.time_lstm``, the book
『ゼロから作るDeep Learning ❷』 6 章):
- ``LSTM(Wx, Wh, b)``: ``params = [Wx, Wh, b]`` with ``Wx`` (D, 4H), ``Wh`` (H, 4H), ``b`` (4H,), the four
  blocks of H columns stacked in the order f (forget), g (candidate), i (input), o (output).
- ``forward(x, h_prev, c_prev)`` -> ``(h_next, c_next)``: A = x @ Wx + h_prev @ Wh + b,
  f, i, o = sigmoid of their blocks, g = tanh of its block, c_next = f * c_prev + g * i,
  h_next = o * tanh(c_next).
- ``backward(dh_next, dc_next)`` -> ``(dx, dh_prev, dc_prev)``; ``grads`` = [dWx, dWh, db] stacked in the
  same order. No argument is modified.
- ``TimeLSTM(Wx, Wh, b, stateful=False)``: ``forward(xs)`` (N, T, D) -> hs (N, T, H) float64. The first
  h (and c) is zeros unless ``stateful`` and ``self.h`` (``self.c``) is not None; afterwards ``self.h``,
  ``self.c`` are the last states; ``set_state(h, c=None)``, ``reset_state()`` sets both to None.
- ``TimeLSTM.backward(dhs)`` -> dxs: steps in reverse order, each step receives ``dhs[:, t] + dh`` and
  the ``dc`` of the next step (0 at the last step); ``grads`` = sums over the steps; ``self.dh`` =
  gradient w.r.t. the block's first h.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.time_lstm import LSTM as ReferenceLSTM
from course.time_lstm import TimeLSTM as ReferenceTimeLSTM

NOTEBOOK = "6_3_lstm"

RTOL, ATOL = 1e-9, 1e-12


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


# --------------------------------------------------------------------------- wrong LSTM cells
class _Variant(ReferenceLSTM):
    """An LSTM cell with switches for the typical mistakes; backward by the same formulas adapted to them."""

    order = "fgio"  # which gate each block of H columns holds
    activations = {"f": "sigmoid", "g": "tanh", "i": "sigmoid", "o": "sigmoid"}
    tanh_on_c = True
    dc_added = True  # dc_next added to the gradient of c_next
    dc_times_f = True
    tanh_derivative_of_c = "right"  # or "of c": 1 - c ** 2

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        A = x @ Wx + h_prev @ Wh + b
        gates = {}
        for k, name in enumerate(self.order):
            a = A[:, k * H:(k + 1) * H]
            gates[name] = np.tanh(a) if self.activations[name] == "tanh" else _sigmoid(a)
        f, g, i, o = gates["f"], gates["g"], gates["i"], gates["o"]
        c_next = f * c_prev + g * i
        h_next = o * (np.tanh(c_next) if self.tanh_on_c else c_next)
        self.cache = (x, h_prev, c_prev, gates, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, gates, c_next = self.cache
        f, g, i, o = gates["f"], gates["g"], gates["i"], gates["o"]
        if self.tanh_on_c:
            tc = np.tanh(c_next)
            deriv = 1 - c_next ** 2 if self.tanh_derivative_of_c == "of c" else 1 - tc ** 2
        else:
            tc, deriv = c_next, 1.0
        ds = dh_next * o * deriv
        if self.dc_added:
            ds = ds + dc_next
        dc_prev = ds * f if self.dc_times_f else ds.copy()
        raw = {"f": ds * c_prev, "g": ds * i, "i": ds * g, "o": dh_next * tc}
        d = {}
        for name, y in gates.items():
            d[name] = raw[name] * ((1 - y ** 2) if self.activations[name] == "tanh" else y * (1 - y))
        dA = np.hstack([d[name] for name in self.order])
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


def _variant(name, **switches):
    return type(name, (_Variant,), switches)


CELL_FORWARD_MISTAKES = [
    Mistake("ゲートの並び順が違います。このノートブック（書籍と同じ）では A = x @ Wx + h_prev @ Wh + b の列を H 列ずつ "
            "f（忘却）, g（新しい記憶の候補）, i（入力）, o（出力）の順に取り出します: f = A[:, :H], g = A[:, H:2*H], "
            "i = A[:, 2*H:3*H], o = A[:, 3*H:]（PyTorch は i, f, g, o の順で、ここでは使いません）。",
            _variant("_OrderIFGO", order="ifgo")),
    Mistake("2 つ目と 3 つ目のブロックが入れ替わっています（ゲートを f, i, g, o の順に取り出したか、tanh とシグモイドを掛ける"
            "場所が逆です）。A の列は f, g, i, o の順で、2 つ目のブロック g = np.tanh(A[:, H:2*H]) に tanh、3 つ目のブロック "
            "i = sigmoid(A[:, 2*H:3*H]) にシグモイドです。", _variant("_OrderFIGO", order="figo")),
    Mistake("g にシグモイドを使っています。g は新しい記憶の候補なので tanh（-1 から 1）で、f, i, o の 3 つのゲートが "
            "シグモイド（0 から 1）です。",
            _variant("_GSigmoid", activations={"f": "sigmoid", "g": "sigmoid", "i": "sigmoid", "o": "sigmoid"})),
    Mistake("h_next で c_next に tanh を通していません。h_next = o * np.tanh(c_next) です。",
            _variant("_NoTanhOnC", tanh_on_c=False)),
]
CELL_BACKWARD_MISTAKES = [
    Mistake("記憶セルの勾配 dc_next を足していません。c_next へは次の時刻から dc_next が、h_next = o * tanh(c_next) を通って "
            "dh_next * o * (1 - tanh(c_next) ** 2) が来るので、ds = dc_next + dh_next * o * (1 - tanh(c_next) ** 2) です。",
            _variant("_DcNotAdded", dc_added=False)),
    Mistake("dc_prev に f を掛けていません。c_next = f * c_prev + g * i なので dc_prev = ds * f です。",
            _variant("_DcPrevWithoutF", dc_times_f=False)),
    Mistake("tanh(c_next) の微分が違います。微分は 1 - tanh(c_next) ** 2 です（1 - c_next ** 2 ではありません）。",
            _variant("_TanhDerivativeOfC", tanh_derivative_of_c="of c")),
]


# --------------------------------------------------------------------------- wrong TimeLSTM
class _NotCarried(ReferenceTimeLSTM):
    def forward(self, xs):
        self.h, self.c = None, None
        return super().forward(xs)


class _CellNotCarried(ReferenceTimeLSTM):
    def forward(self, xs):
        self.c = None
        return super().forward(xs)


class _AlwaysCarried(ReferenceTimeLSTM):
    def forward(self, xs):
        stateful = self.stateful
        self.stateful = True
        try:
            return super().forward(xs)
        finally:
            self.stateful = stateful


class _Float32(ReferenceTimeLSTM):
    def forward(self, xs):
        return super().forward(xs).astype(np.float32)


def _time_backward_variant(self, dhs, *, add_dh=True, pass_dc=True, accumulate=True):
    N, T, _ = dhs.shape
    dxs = np.empty((N, T, self.params[0].shape[0]))
    grads = [np.zeros_like(p) for p in self.params]
    dh, dc = 0, 0
    for t in reversed(range(T)):
        layer = self.layers[t]
        dx, dh_prev, dc_prev = layer.backward(dhs[:, t, :] + (dh if add_dh else 0), dc if pass_dc else 0)
        dh, dc = dh_prev, dc_prev
        dxs[:, t, :] = dx
        for k, grad in enumerate(layer.grads):
            if accumulate:
                grads[k] += grad
            else:
                grads[k] = grad.copy()
    for k, grad in enumerate(grads):
        self.grads[k][...] = grad
    self.dh = dh
    return dxs


class _GradsOverwritten(ReferenceTimeLSTM):
    def backward(self, dhs):
        return _time_backward_variant(self, dhs, accumulate=False)


class _DhNotAdded(ReferenceTimeLSTM):
    def backward(self, dhs):
        return _time_backward_variant(self, dhs, add_dh=False)


class _DcNotPassed(ReferenceTimeLSTM):
    def backward(self, dhs):
        return _time_backward_variant(self, dhs, pass_dc=False)


TIME_FORWARD_MISTAKES = [
    Mistake("stateful=True なのに、forward のたびに h と c を 0 から始めています。stateful=True で self.h（self.c）が None "
            "でなければ、前の forward の最後の状態（または set_state で与えた値）から続けます。", _NotCarried),
    Mistake("stateful=True で h は引き継いでいますが、記憶セル c を 0 に戻しています。c も self.c に残して次の forward "
            "に引き継ぎます。", _CellNotCarried),
    Mistake("stateful=False なのに、前の forward の状態を引き継いでいます。stateful=False のときは forward のたびに h と c を "
            "0（np.zeros((N, H))）から始めます。", _AlwaysCarried),
    Mistake("hs が float32 です。書籍の dtype='f' は使わず、float64 の配列（np.empty((N, T, H)) など）に保存します。",
            _Float32),
]
TIME_BACKWARD_MISTAKES = [
    Mistake("重みの勾配を時刻ごとに上書きしています。Wx, Wh, b はすべての時刻で共有されているので、各時刻の "
            "layer.grads を足し合わせた合計が self.grads です。", _GradsOverwritten),
    Mistake("次の時刻から戻ってくる dh を足していません。時刻 t の LSTM には dhs[:, t, :] + dh（dh は時刻 t+1 の "
            "backward が返した dh_prev）を渡します。", _DhNotAdded),
    Mistake("記憶セルの勾配 dc を次の時刻から受け渡していません。時刻 t の LSTM の backward には、時刻 t+1 の backward が "
            "返した dc_prev を dc_next として渡します（最後の時刻だけ 0）。", _DcNotPassed),
]

ERROR_HINTS = [
    ("shapes", "行列の積の形が合っていません。Wx は (D, 4H)、Wh は (H, 4H) で、A = x @ Wx + h_prev @ Wh + b は (N, 4H) です。"
               "逆伝播では dx = dA @ Wx.T, dh_prev = dA @ Wh.T, dWx = x.T @ dA, dWh = h_prev.T @ dA です。"),
    ("could not be broadcast", "配列の形状が合っていません。f, g, i, o, c, h はどれも (N, H) で、dA は np.hstack((df, dg, di, do)) "
                               "で (N, 4H) にします。"),
    ("cannot unpack", "戻り値の数が違います。forward は (h_next, c_next)、backward は (dx, dh_prev, dc_prev) のタプルを返します。"),
    ("NoneType", "None を計算に使っています。forward で逆伝播に使う値や self.layers、self.h、self.c を保存しているか確かめてください。"),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(6300)


def _weights(D, H, scale=0.6):
    return rng.normal(size=(D, 4 * H)) * scale, rng.normal(size=(H, 4 * H)) * scale, rng.normal(size=4 * H) * 0.3


# visible: D = 3, H = 2 (readable numbers)
v_Wx = np.round(np.sin(np.arange(24, dtype=float) * 1.7).reshape(3, 8) * 0.8, 2)
v_Wh = np.round(np.cos(np.arange(16, dtype=float) * 2.3).reshape(2, 8) * 0.8, 2)
v_b = np.array([0.1, -0.2, 0.3, 0.0, -0.1, 0.2, 0.4, -0.3])
v_x = np.array([[1.0, 0.5, -1.0], [0.0, -0.5, 2.0]])
v_h = np.array([[0.3, -0.8], [0.5, 0.2]])
v_c = np.array([[1.5, -0.7], [-0.4, 2.0]])
v_dh = np.array([[1.0, -0.5], [0.3, 2.0]])
v_dc = np.array([[-0.6, 0.8], [1.2, -0.3]])
v_xs = np.sin(np.arange(24, dtype=float)).reshape(2, 4, 3)
v_xs2 = np.cos(np.arange(24, dtype=float) * 0.7).reshape(2, 4, 3)
v_dhs = np.cos(np.arange(16, dtype=float) * 1.3).reshape(2, 4, 2)
v_dhs_last = np.zeros((2, 4, 2))
v_dhs_last[:, -1, :] = [[1.0, -1.0], [0.5, 2.0]]
v_h0 = np.array([[0.6, -0.4], [-0.2, 0.9]])
v_c0 = np.array([[1.0, 0.5], [-1.5, 0.3]])

# hidden
Wx_a, Wh_a, b_a = _weights(4, 3)
Wx_b, Wh_b, b_b = _weights(2, 5, scale=0.4)
x_a, h_a, c_a, dh_a, dc_a = (rng.normal(size=(5, 4)), rng.normal(size=(5, 3)) * 0.7, rng.normal(size=(5, 3)),
                             rng.normal(size=(5, 3)), rng.normal(size=(5, 3)))
x_one, h_one, c_one = rng.normal(size=(1, 2)), rng.normal(size=(1, 5)) * 0.7, rng.normal(size=(1, 5))
dh_one, dc_one = rng.normal(size=(1, 5)), rng.normal(size=(1, 5))
xs_a, xs_a2 = rng.normal(size=(3, 6, 4)), rng.normal(size=(3, 6, 4))
dhs_a = rng.normal(size=(3, 6, 3))
dhs_a_last = np.zeros((3, 6, 3))
dhs_a_last[:, -1] = rng.normal(size=(3, 3))
xs_b, xs_b2 = rng.normal(size=(1, 5, 2)), rng.normal(size=(1, 3, 2))
dhs_b = rng.normal(size=(1, 3, 5))
xs_t1, dhs_t1 = rng.normal(size=(4, 1, 4)), rng.normal(size=(4, 1, 3))
h0_a, c0_a = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 3))


def _forward_cell(x, h, c):
    return call("forward", x, h, c, label="forward(x, h_prev, c_prev) の戻り値 (h_next, c_next)")


def _backward_cell(x, h, c, dh, dc):
    return [call("forward", x, h, c, record=False),
            call("backward", dh, dc, label="backward(dh_next, dc_next) の戻り値 (dx, dh_prev, dc_prev)"),
            get("grads", label="backward のあとの grads（[dWx, dWh, db]、f, g, i, o の順）")]


def _hs(xs, label="forward(xs) の戻り値 hs"):
    return call("forward", xs, label=label)


def _last_state():
    return [get("h", label="forward のあとの self.h（最後の隠れ状態）"),
            get("c", label="forward のあとの self.c（最後の記憶セル）")]


def _time_backward(dhs):
    return [call("backward", dhs, label="backward(dhs) の戻り値 dxs"),
            get("grads", label="backward のあとの grads（時刻について合計した [dWx, dWh, db]）"),
            get("dh", label="backward のあとの self.dh（ブロックの最初の隠れ状態に対する勾配）")]


def _cell_check(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="LSTM", reference=ReferenceLSTM, scenarios=scenarios, visible=visible,
                      mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float", **kw)


def _time_check(scenarios, visible, mistakes):
    return ClassCheck(function="TimeLSTM", reference=ReferenceTimeLSTM, scenarios=scenarios, visible=visible,
                      mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


FORWARD_VISIBLE = [
    Scenario("N = 2, D = 3, H = 2 の forward", [new(v_Wx, v_Wh, v_b), _forward_cell(v_x, v_h, v_c)]),
    Scenario("x も h_prev も 0（バイアスだけでゲートが決まる）", [
        new(v_Wx, v_Wh, v_b), _forward_cell(np.zeros((2, 3)), np.zeros((2, 2)), v_c)]),
]
FORWARD_HIDDEN = [
    Scenario("N = 5, D = 4, H = 3 の forward", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a, h_a, c_a)]),
    Scenario("N = 1, D = 2, H = 5 の forward", [new(Wx_b, Wh_b, b_b), _forward_cell(x_one, h_one, c_one)]),
    Scenario("h_prev と c_prev が 0", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a, np.zeros((5, 3)), np.zeros((5, 3)))]),
    Scenario("x が 0", [new(Wx_a, Wh_a, b_a), _forward_cell(np.zeros((5, 4)), h_a, c_a)]),
    Scenario("大きな入力（ゲートが 0 か 1 に飽和する）", [new(Wx_a, Wh_a, b_a), _forward_cell(x_a * 30, h_a, c_a)]),
]
BACKWARD_VISIBLE = [
    Scenario("N = 2, D = 3, H = 2 の backward", [new(v_Wx, v_Wh, v_b), *_backward_cell(v_x, v_h, v_c, v_dh, v_dc)]),
    Scenario("dc_next が 0（h_next からの勾配だけ）", [
        new(v_Wx, v_Wh, v_b), *_backward_cell(v_x, v_h, v_c, v_dh, np.zeros((2, 2)))]),
]
BACKWARD_HIDDEN = [
    Scenario("N = 5, D = 4, H = 3 の backward", [new(Wx_a, Wh_a, b_a), *_backward_cell(x_a, h_a, c_a, dh_a, dc_a)]),
    Scenario("N = 1, D = 2, H = 5 の backward", [
        new(Wx_b, Wh_b, b_b), *_backward_cell(x_one, h_one, c_one, dh_one, dc_one)]),
    Scenario("dh_next が 0（記憶セルからの勾配だけ）", [
        new(Wx_a, Wh_a, b_a), *_backward_cell(x_a, h_a, c_a, np.zeros((5, 3)), dc_a)]),
    Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
        new(Wx_a, Wh_a, b_a), call("forward", x_a * 2, h_a, c_a, record=False),
        *_backward_cell(x_a, h_a, c_a, dh_a, dc_a)]),
]

TIME_FORWARD_VISIBLE = [
    Scenario("stateful=False で (2, 4, 3) の xs を forward", [new(v_Wx, v_Wh, v_b), _hs(v_xs), *_last_state()]),
    Scenario("stateful=True で 2 つのブロックを続けて forward（2 つ目は 1 つ目の最後の h, c から続く）", [
        new(v_Wx, v_Wh, v_b, stateful=True), _hs(v_xs, "1 つ目のブロックの hs"), _hs(v_xs2, "2 つ目のブロックの hs"),
        *_last_state()]),
    Scenario("stateful=False で 2 回 forward（2 回目も h = c = 0 から始まる）", [
        new(v_Wx, v_Wh, v_b, stateful=False), call("forward", v_xs, record=False),
        _hs(v_xs2, "2 回目の forward の hs")]),
    Scenario("stateful=True で set_state(h, c) のあと forward、reset_state() のあと forward", [
        new(v_Wx, v_Wh, v_b, stateful=True), call("set_state", v_h0, v_c0, record=False),
        _hs(v_xs, "set_state(h, c) のあとの hs"), call("reset_state", record=False),
        _hs(v_xs2, "reset_state() のあとの hs")]),
]
TIME_FORWARD_HIDDEN = [
    Scenario("stateful=False で (3, 6, 4) の xs を forward", [new(Wx_a, Wh_a, b_a), _hs(xs_a), *_last_state()]),
    Scenario("T = 1 の forward", [new(Wx_a, Wh_a, b_a), _hs(xs_t1), *_last_state()]),
    Scenario("stateful=True で 3 つのブロックを続けて forward", [
        new(Wx_a, Wh_a, b_a, stateful=True), _hs(xs_a, "1 つ目のブロックの hs"), _hs(xs_a2, "2 つ目のブロックの hs"),
        _hs(xs_a[:, :2], "3 つ目のブロック（T = 2）の hs"), *_last_state()]),
    Scenario("N = 1, stateful=True で長さの違う 2 つのブロック", [
        new(Wx_b, Wh_b, b_b, stateful=True), _hs(xs_b, "1 つ目のブロックの hs"), _hs(xs_b2, "2 つ目のブロックの hs")]),
    Scenario("stateful=False で 2 回 forward", [
        new(Wx_a, Wh_a, b_a), call("forward", xs_a, record=False), _hs(xs_a2, "2 回目の forward の hs"),
        *_last_state()]),
    Scenario("stateful=True で set_state(h) だけ（c は 0 から）", [
        new(Wx_a, Wh_a, b_a, stateful=True), call("set_state", h0_a, record=False), _hs(xs_a, "set_state(h) のあとの hs"),
        *_last_state()]),
    Scenario("stateful=True で set_state(h, c)、reset_state()", [
        new(Wx_a, Wh_a, b_a, stateful=True), call("set_state", h0_a, c0_a, record=False),
        _hs(xs_a, "set_state(h, c) のあとの hs"), call("reset_state", record=False),
        _hs(xs_a2, "reset_state() のあとの hs")]),
]
TIME_BACKWARD_VISIBLE = [
    Scenario("(2, 4, 3) の xs で forward と backward", [
        new(v_Wx, v_Wh, v_b), call("forward", v_xs, record=False), *_time_backward(v_dhs)]),
    Scenario("最後の時刻にだけ勾配が来る dhs（過去へは dh と dc だけが伝わる）", [
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
    Scenario("set_state(h, c) から始めたブロックの backward（self.dh は h に対する勾配）", [
        new(Wx_a, Wh_a, b_a, stateful=True), call("set_state", h0_a, c0_a, record=False),
        call("forward", xs_a, record=False), *_time_backward(dhs_a)]),
    Scenario("N = 1, stateful=True の 2 つ目のブロックの backward", [
        new(Wx_b, Wh_b, b_b, stateful=True), call("forward", xs_b, record=False), call("forward", xs_b2, record=False),
        *_time_backward(dhs_b)]),
]

CELL_ALL = CELL_FORWARD_MISTAKES + CELL_BACKWARD_MISTAKES
CHECKS = {
    "lstm_forward": [_cell_check(FORWARD_HIDDEN, FORWARD_VISIBLE, CELL_FORWARD_MISTAKES)],
    "lstm_backward": [_cell_check(BACKWARD_HIDDEN, BACKWARD_VISIBLE, CELL_ALL)],
    "time_lstm_forward": [
        _cell_check(FORWARD_HIDDEN, FORWARD_VISIBLE, CELL_FORWARD_MISTAKES, prerequisite_of="TimeLSTM"),
        _time_check(TIME_FORWARD_HIDDEN, TIME_FORWARD_VISIBLE, TIME_FORWARD_MISTAKES)],
    "time_lstm_backward": [
        _cell_check(BACKWARD_HIDDEN, BACKWARD_VISIBLE, CELL_ALL, prerequisite_of="TimeLSTM"),
        _time_check(TIME_BACKWARD_HIDDEN, TIME_BACKWARD_VISIBLE, TIME_FORWARD_MISTAKES + TIME_BACKWARD_MISTAKES)],
}
