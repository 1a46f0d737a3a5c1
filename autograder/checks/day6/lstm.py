"""Hidden checks of 6_3_lstm: the ``LSTM`` cell and ``TimeLSTM`` (truncated BPTT, ``stateful``), and the language
model's ``TimeEmbedding`` and ``TimeSoftmaxWithLoss`` (their conventions are listed before their checks below; the
references are ``course.time_embedding`` and ``course.time_loss``).

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


# =========================================================================== the language model's parts
# ``TimeEmbedding(W)``: ``params = [W]``, ``grads = [zeros like W]``; ``forward(xs)`` with ids (N, T) returns
# ``W[xs]`` (N, T, D) in W's dtype (float64); ``backward(dout)`` (N, T, D) writes dW into ``grads[0]`` in place,
# adding the rows of every occurrence of an id (np.add.at), new on every call (not added to the previous call's).
# ``TimeSoftmaxWithLoss(ignore_label=-1)``: ``forward(xs, ts)`` with scores (N, T, V) and ids (N, T) returns the
# mean of -log softmax(xs)[ts] over the positions whose label is not ignore_label (a Python/numpy float; the
# maximum of each row is subtracted before np.exp; no delta inside the log); ``backward(dout=1)`` returns
# dxs (N, T, V) = dout * (softmax - one-hot) / count at those positions and 0 at the ignored ones.
from course.time_embedding import TimeEmbedding as ReferenceTimeEmbedding  # noqa: E402
from course.time_loss import TimeSoftmaxWithLoss as ReferenceTimeSoftmaxWithLoss  # noqa: E402


class _EmbeddingOverwrite(ReferenceTimeEmbedding):
    def backward(self, dout):
        dW = np.zeros_like(self.params[0])
        dW[self.idx] = dout
        self.grads[0][...] = dW


class _EmbeddingLastStepOnly(ReferenceTimeEmbedding):
    def backward(self, dout):
        T = self.idx.shape[1]
        for t in range(T):
            dW = np.zeros_like(self.params[0])
            np.add.at(dW, self.idx[:, t], dout[:, t])
            self.grads[0][...] = dW


class _EmbeddingNotReset(ReferenceTimeEmbedding):
    def backward(self, dout):
        np.add.at(self.grads[0], self.idx, dout)


class _EmbeddingFloat32(ReferenceTimeEmbedding):
    def forward(self, xs):
        return super().forward(xs).astype(np.float32)


EMBEDDING_FORWARD_MISTAKES = [
    Mistake("出力が float32 です。書籍の dtype='f' は使わず、W と同じ float64 のまま W[xs] を返します。", _EmbeddingFloat32),
]
EMBEDDING_BACKWARD_MISTAKES = [
    Mistake("同じ ID が 2 回以上出てくると、勾配が上書きされて 1 回分しか残りません（dW[xs] = dout の形の代入）。"
            "同じ行に何度も足すには np.add.at(dW, xs, dout) を使います。", _EmbeddingOverwrite),
    Mistake("時刻ごとの勾配を上書きしていて、最後の時刻の分しか残っていません。W はすべての時刻で共有されているので、"
            "すべての時刻の勾配を足し合わせます（np.add.at(dW, xs, dout) なら 1 回で済みます）。", _EmbeddingLastStepOnly),
    Mistake("前の backward の勾配に足し続けています。backward のたびに 0 の配列 dW から足し始め、"
            "self.grads[0][...] = dW で書き込みます。", _EmbeddingNotReset),
]


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class _LossVariant(ReferenceTimeSoftmaxWithLoss):
    """Switches for the typical mistakes of TimeSoftmaxWithLoss."""

    divide_by = "count"  # "count", "N", "T", "NT" or "none" (the loss)
    grad_divide_by = None  # None: as the loss
    mask_loss = True
    mask_grad = True
    shift = True
    delta = 0.0
    use_dout = True

    def forward(self, xs, ts):
        N, T, V = xs.shape
        mask = ts != self.ignore_label
        if self.shift and not self.delta:
            log_ys = _log_softmax(xs)
            ys = np.exp(log_ys)
        else:
            e = np.exp(xs - xs.max(axis=2, keepdims=True) if self.shift else xs)
            ys = e / e.sum(axis=2, keepdims=True)
            log_ys = np.log(ys + self.delta)
        picked = np.take_along_axis(log_ys, ts[:, :, None], axis=2)[:, :, 0]  # -1 picks the last class
        if self.mask_loss:
            picked = picked * mask
        count = {"count": mask.sum() if self.mask_loss else N * T, "N": N, "T": T, "NT": N * T, "none": 1}
        self.cache = (ts, mask, ys, count)
        return float(-picked.sum() / count[self.divide_by])

    def backward(self, dout=1):
        ts, mask, ys, count = self.cache
        N, T, V = ys.shape
        dx = ys.copy()
        np.put_along_axis(dx, ts[:, :, None], np.take_along_axis(dx, ts[:, :, None], axis=2) - 1, axis=2)
        dx = dx * (dout if self.use_dout else 1) / count[self.grad_divide_by or self.divide_by]
        if self.mask_grad and self.mask_loss:
            dx = dx * mask[:, :, None]
        return dx


def _loss_variant(name, **switches):
    return type(name, (_LossVariant,), switches)


LOSS_FORWARD_MISTAKES = [
    Mistake("損失を N（バッチの大きさ）だけで割っています。平均は N * T 個の位置（ignore_label の位置を除いた数）についてとります。",
            _loss_variant("_MeanOverN", divide_by="N")),
    Mistake("損失を T（時刻の数）だけで割っています。平均は N * T 個の位置（ignore_label の位置を除いた数）についてとります。",
            _loss_variant("_MeanOverT", divide_by="T")),
    Mistake("損失を合計したまま返しています。N * T 個の位置（ignore_label の位置を除いた数）で割って平均にします。",
            _loss_variant("_Summed", divide_by="none")),
    Mistake("正解ラベルが ignore_label（-1）の位置を損失から除いていません。ts[n, t] == -1 だと ys[..., -1]（最後の単語の確率）を"
            "使ってしまいます。mask = (ts != self.ignore_label) を掛けて mask.sum() で割り、backward でもその位置の勾配を 0 にします。",
            _loss_variant("_NotMasked", mask_loss=False)),
    Mistake("ignore_label の位置の損失は 0 にしていますが、割る数に含めています。割るのは ignore_label でない位置の数"
            "（mask.sum()）です。", _loss_variant("_DividedByNT", divide_by="NT")),
    Mistake("softmax の前に最大値を引いていないため、スコアが大きいと np.exp がオーバーフローします。"
            "各位置の V 個のスコアから、その最大値（axis=2, keepdims=True）を引いてから np.exp をとります。",
            _loss_variant("_NoShift", shift=False)),
    Mistake("np.log の中に小さな値（1e-7 など）を足しています。このノートブックでは最大値を引いた softmax の対数をそのままとり、"
            "delta は足しません（値がわずかにずれます）。", _loss_variant("_Delta", delta=1e-7)),
]
LOSS_BACKWARD_MISTAKES = [
    Mistake("勾配を平均に使った数で割っていません。損失が ignore_label でない位置の数 count での平均なので、"
            "dxs = dout * (ys - one-hot) / count です。", _loss_variant("_GradNotDivided", grad_divide_by="none")),
    Mistake("勾配を N * T で割っています。損失は ignore_label でない位置の数 count（mask.sum()）で割った平均なので、"
            "勾配も count で割ります。", _loss_variant("_GradDividedByNT", grad_divide_by="NT")),
    Mistake("ignore_label（-1）の位置の勾配を 0 にしていません。損失に入らない位置なので、mask[:, :, None] を掛けて勾配を 0 にします。",
            _loss_variant("_GradNotMasked", mask_grad=False)),
    Mistake("backward の引数 dout を掛けていません。損失が dout 倍の重みで使われるときの勾配は dout * (ys - one-hot) / count です。",
            _loss_variant("_DoutIgnored", use_dout=False)),
]

LM_ERROR_HINTS = [
    ("IndexError", "添字の形が合っていません。xs は (N, T, V) のスコア、ts は (N, T) の正解の ID です。"
                   "ys[np.arange(N * T), ts.reshape(-1)] のように、形をそろえてから取り出します。"),
    ("could not be broadcast", "配列の形状が合っていません。スコアと勾配は (N, T, V)、ts と mask は (N, T) です。"
                               "mask[:, :, None] や keepdims=True で軸をそろえてください。"),
    ("NoneType", "None を計算に使っています。forward で逆伝播に使う値（self.cache や self.idx）を保存しているか確かめてください。"),
]

# visible: V = 5, D = 3; N = 2, T = 3 (ids repeat)
v_W_embed = np.round(np.sin(np.arange(15, dtype=float) * 1.3).reshape(5, 3), 2)
v_ids = np.array([[0, 2, 2], [4, 2, 0]])
v_dout_embed = np.round(np.cos(np.arange(18, dtype=float) * 0.9).reshape(2, 3, 3), 2)
v_ids2 = np.array([[1, 1, 3], [3, 1, 1]])
v_dout_embed2 = np.round(np.sin(np.arange(18, dtype=float) * 0.4).reshape(2, 3, 3), 2)
v_scores = np.round(np.sin(np.arange(30, dtype=float) * 0.7).reshape(2, 3, 5) * 2, 2)
v_labels = np.array([[1, 4, 0], [2, 2, 3]])
v_labels_ignored = np.array([[1, -1, 0], [2, -1, -1]])
v_big_scores = 1000.0 + np.round(np.cos(np.arange(30, dtype=float) * 1.1).reshape(2, 3, 5) * 3, 2)

# hidden
h_W_embed = rng.normal(size=(7, 4))
h_ids = rng.integers(0, 7, size=(3, 5))
h_ids[0, :3] = 6  # an id repeated in one sequence
h_dout_embed = rng.normal(size=(3, 5, 4))
h_ids_one = np.array([[2, 2, 2, 2]])
h_dout_one = rng.normal(size=(1, 4, 4))
h_scores = rng.normal(size=(3, 4, 6)) * 2
h_labels = rng.integers(0, 6, size=(3, 4))
h_labels_ignored = h_labels.copy()
h_labels_ignored[0, 1:] = -1
h_labels_ignored[2, 0] = -1
h_scores_one = rng.normal(size=(1, 5, 3))
h_labels_one = np.array([[0, 2, -1, 1, 2]])
h_big_scores = rng.normal(size=(2, 3, 6)) * 5 + np.array([800.0, -800.0, 1500.0])[None, :, None]
h_big_labels = rng.integers(0, 6, size=(2, 3))


def _embed_forward(xs, label="forward(xs) の戻り値"):
    return call("forward", xs, label=label)


def _embed_backward(dout, label="backward(dout) のあとの grads（[dW]）"):
    return [call("backward", dout, record=False), get("grads", label=label)]


def _embedding_check(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="TimeEmbedding", reference=ReferenceTimeEmbedding, scenarios=scenarios,
                      visible=visible, mistakes=mistakes, error_hints=LM_ERROR_HINTS, rtol=RTOL, atol=ATOL,
                      dtype="float", **kw)


def _loss(xs, ts, label="forward(xs, ts) の戻り値（損失）", forbid_warnings=False):
    return call("forward", xs, ts, label=label, forbid_warnings=forbid_warnings)


def _loss_backward(*dout, label="backward() の戻り値 dxs", forbid_warnings=False):
    return call("backward", *dout, label=label, forbid_warnings=forbid_warnings)


def _loss_check(scenarios, visible, mistakes, **kw):
    return ClassCheck(function="TimeSoftmaxWithLoss", reference=ReferenceTimeSoftmaxWithLoss, scenarios=scenarios,
                      visible=visible, mistakes=mistakes, error_hints=LM_ERROR_HINTS, rtol=RTOL, atol=ATOL,
                      dtype="float", **kw)


EMBED_FORWARD_VISIBLE = [
    Scenario("V = 5, D = 3 の W で (2, 3) の ID を forward", [new(v_W_embed), _embed_forward(v_ids)]),
]
EMBED_FORWARD_HIDDEN = [
    Scenario("V = 7, D = 4 の W で (3, 5) の ID を forward", [new(h_W_embed), _embed_forward(h_ids)]),
    Scenario("N = 1 で同じ ID だけの系列", [new(h_W_embed), _embed_forward(h_ids_one)]),
    Scenario("2 回 forward（2 回目の値）", [
        new(h_W_embed), call("forward", h_ids, record=False), _embed_forward(h_ids_one, "2 回目の forward の戻り値")]),
]
EMBED_BACKWARD_VISIBLE = [
    Scenario("同じ ID が何度も出てくる (2, 3) の ID で backward（ID 2 は 3 回、ID 0 は 2 回）", [
        new(v_W_embed), call("forward", v_ids, record=False), *_embed_backward(v_dout_embed)]),
    Scenario("forward と backward を 2 回（2 回目の grads は 2 回目の分だけ）", [
        new(v_W_embed), call("forward", v_ids, record=False), call("backward", v_dout_embed, record=False),
        call("forward", v_ids2, record=False), *_embed_backward(v_dout_embed2, "2 回目の backward のあとの grads")]),
]
EMBED_BACKWARD_HIDDEN = [
    Scenario("V = 7, D = 4 の W で (3, 5) の ID を backward", [
        new(h_W_embed), call("forward", h_ids, record=False), *_embed_backward(h_dout_embed)]),
    Scenario("N = 1 で同じ ID だけの系列の backward", [
        new(h_W_embed), call("forward", h_ids_one, record=False), *_embed_backward(h_dout_one)]),
    Scenario("forward と backward を 2 回", [
        new(h_W_embed), call("forward", h_ids, record=False), call("backward", h_dout_embed, record=False),
        call("forward", h_ids_one, record=False), *_embed_backward(h_dout_one, "2 回目の backward のあとの grads")]),
]

LOSS_FORWARD_VISIBLE = [
    Scenario("N = 2, T = 3, V = 5 のスコアと正解の ID", [new(), _loss(v_scores, v_labels)]),
    Scenario("正解に ignore_label（-1）を含む", [new(), _loss(v_scores, v_labels_ignored)]),
    Scenario("1000 前後の大きなスコア（警告が出ないこと）", [new(), _loss(v_big_scores, v_labels, forbid_warnings=True)]),
]
LOSS_FORWARD_HIDDEN = [
    Scenario("N = 3, T = 4, V = 6 の乱数のスコア", [new(), _loss(h_scores, h_labels)]),
    Scenario("N = 3, T = 4 で ignore_label を 4 か所に含む", [new(), _loss(h_scores, h_labels_ignored)]),
    Scenario("N = 1, T = 5, V = 3 で ignore_label を含む", [new(), _loss(h_scores_one, h_labels_one)]),
    Scenario("±800 や 1500 の大きなスコア（警告が出ないこと）", [
        new(), _loss(h_big_scores, h_big_labels, forbid_warnings=True)]),
]
LOSS_BACKWARD_VISIBLE = [
    Scenario("N = 2, T = 3, V = 5 の backward()", [new(), call("forward", v_scores, v_labels, record=False),
                                                   _loss_backward()]),
    Scenario("ignore_label（-1）を含む正解で backward()", [
        new(), call("forward", v_scores, v_labels_ignored, record=False), _loss_backward()]),
    Scenario("backward(dout=3.0)", [new(), call("forward", v_scores, v_labels_ignored, record=False),
                                    _loss_backward(3.0, label="backward(3.0) の戻り値 dxs")]),
    Scenario("1000 前後の大きなスコアで backward()（警告が出ないこと）", [
        new(), call("forward", v_big_scores, v_labels_ignored, record=False), _loss_backward(forbid_warnings=True)]),
]
LOSS_BACKWARD_HIDDEN = [
    Scenario("N = 3, T = 4, V = 6 の backward()", [new(), call("forward", h_scores, h_labels, record=False),
                                                   _loss_backward()]),
    Scenario("ignore_label を 4 か所に含む backward()", [
        new(), call("forward", h_scores, h_labels_ignored, record=False), _loss_backward()]),
    Scenario("N = 1, T = 5 で backward(0.5)", [
        new(), call("forward", h_scores_one, h_labels_one, record=False),
        _loss_backward(0.5, label="backward(0.5) の戻り値 dxs")]),
    Scenario("forward を 2 回してから backward()（最後の forward の値を使う）", [
        new(), call("forward", h_scores, h_labels, record=False), call("forward", h_scores * 0.5, h_labels_ignored,
                                                                        record=False), _loss_backward()]),
    Scenario("大きなスコアで backward()（警告が出ないこと）", [
        new(), call("forward", h_big_scores, h_big_labels, record=False), _loss_backward(forbid_warnings=True)]),
]

# the backward's own mistakes first: a forward that divides by the wrong number gives the same gradient
LOSS_ALL = LOSS_BACKWARD_MISTAKES + LOSS_FORWARD_MISTAKES
CHECKS.update({
    "time_embedding_forward": [_embedding_check(EMBED_FORWARD_HIDDEN, EMBED_FORWARD_VISIBLE, EMBEDDING_FORWARD_MISTAKES)],
    "time_embedding_backward": [_embedding_check(EMBED_BACKWARD_HIDDEN, EMBED_BACKWARD_VISIBLE,
                                                 EMBEDDING_BACKWARD_MISTAKES)],
    "time_softmax_with_loss_forward": [_loss_check(LOSS_FORWARD_HIDDEN, LOSS_FORWARD_VISIBLE, LOSS_FORWARD_MISTAKES)],
    "time_softmax_with_loss_backward": [_loss_check(LOSS_BACKWARD_HIDDEN, LOSS_BACKWARD_VISIBLE, LOSS_ALL)],
})
