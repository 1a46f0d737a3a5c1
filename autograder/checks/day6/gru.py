"""Hidden checks of 6_4_gru: the ``GRU`` cell.

Conventions stated in the notebook and tested here (the reference is ``course.time_gru.GRU``, the
variant 『ゼロから作るDeep Learning ❷』 writes: reset before the product as in Cho et al. 2014, update as
in Chung et al. 2014):
- ``GRU(Wx, Wh, b)``: ``params = [Wx, Wh, b]`` with ``Wx`` (D, 3H), ``Wh`` (H, 3H), ``b`` (3H,), the
  gates stacked in the order z (update), r (reset), candidate h: ``Wx[:, :H]`` is ``Wxz`` and so on.
- ``forward(x, h_prev)``: z = sigmoid(x Wxz + h_prev Whz + bz), r = sigmoid(x Wxr + h_prev Whr + br),
  h_hat = tanh(x Wxh + (r * h_prev) Whh + bh) (the reset gate multiplies h_prev before the product),
  h_next = (1 - z) * h_prev + z * h_hat.
- ``backward(dh_next)`` -> ``(dx, dh_prev)``; ``grads`` = [dWx, dWh, db] stacked in the same order.
  ``dh_next`` is not modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.time_gru import GRU as ReferenceGRU

NOTEBOOK = "6_4_gru"

RTOL, ATOL = 1e-9, 1e-12


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class _Variant(ReferenceGRU):
    """A GRU with switches for the typical mistakes; backward by the same formulas adapted to them."""

    mirror = reset_after = gates_swapped = False
    tanh_derivative = "right"  # or "sigmoid"
    direct_path = reset_path = True
    dz_flipped = False

    def _slices(self):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        z, r, h = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
        if self.gates_swapped:
            z, r = r, z
        return Wx, Wh, b, z, r, h

    def forward(self, x, h_prev):
        Wx, Wh, b, sz, sr, sh = self._slices()
        z = _sigmoid(x @ Wx[:, sz] + h_prev @ Wh[:, sz] + b[sz])
        r = _sigmoid(x @ Wx[:, sr] + h_prev @ Wh[:, sr] + b[sr])
        if self.reset_after:
            h_hat = np.tanh(x @ Wx[:, sh] + r * (h_prev @ Wh[:, sh]) + b[sh])
        else:
            h_hat = np.tanh(x @ Wx[:, sh] + (r * h_prev) @ Wh[:, sh] + b[sh])
        h_next = z * h_prev + (1 - z) * h_hat if self.mirror else (1 - z) * h_prev + z * h_hat
        self.cache = (x, h_prev, z, r, h_hat)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, b, sz, sr, sh = self._slices()
        x, h_prev, z, r, h_hat = self.cache
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        a_hat, a_prev = (1 - z, z) if self.mirror else (z, 1 - z)
        dh_hat = dh_next * a_hat
        dh_prev = dh_next * a_prev if self.direct_path else np.zeros_like(h_prev)
        deriv = h_hat * (1 - h_hat) if self.tanh_derivative == "sigmoid" else 1 - h_hat ** 2
        dt = dh_hat * deriv
        db[sh] = dt.sum(axis=0)
        dx = dt @ Wx[:, sh].T
        dWx[:, sh] = x.T @ dt
        if self.reset_after:
            u = h_prev @ Wh[:, sh]
            dWh[:, sh] = h_prev.T @ (dt * r)
            if self.reset_path:
                dh_prev = dh_prev + (dt * r) @ Wh[:, sh].T
            dr = dt * u
        else:
            dWh[:, sh] = (r * h_prev).T @ dt
            dhr = dt @ Wh[:, sh].T
            if self.reset_path:
                dh_prev = dh_prev + r * dhr
            dr = dhr * h_prev
        dz = dh_next * (h_hat - h_prev)
        if self.mirror or self.dz_flipped:
            dz = -dz
        for gate, d, s in ((z, dz, sz), (r, dr, sr)):
            dt = d * gate * (1 - gate)
            db[s] = dt.sum(axis=0)
            dWh[:, s] = h_prev.T @ dt
            dWx[:, s] = x.T @ dt
            dh_prev = dh_prev + dt @ Wh[:, s].T
            dx = dx + dt @ Wx[:, s].T
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev


def _variant(name, **switches):
    return type(name, (_Variant,), switches)


FORWARD_MISTAKES = [
    Mistake("更新ゲート z の掛け方が逆です。このノートブック（書籍と同じ）では h_next = (1 - z) * h_prev + z * h_hat で、"
            "z が 1 に近いほど新しい候補 h_hat を取り入れます（PyTorch は逆の書き方 (1 - z) * h_hat + z * h_prev です）。",
            _variant("_Mirror", mirror=True)),
    Mistake("リセットゲート r を掛ける場所が違います。ここでは h_prev に先に掛けてから Whh との積をとります: "
            "h_hat = tanh(x @ Wxh + (r * h_prev) @ Whh + bh)。r * (h_prev @ Whh) は cuDNN/PyTorch の別の変種です。",
            _variant("_ResetAfter", reset_after=True)),
    Mistake("ゲートの並び順が違います。Wx, Wh, b は z（更新ゲート）, r（リセットゲート）, h（候補）の順に H 列ずつ並んでいます: "
            "Wxz = Wx[:, :H], Wxr = Wx[:, H:2*H], Wxh = Wx[:, 2*H:]。", _variant("_GatesSwapped", gates_swapped=True)),
]
BACKWARD_MISTAKES = [
    Mistake("tanh の微分が違います。h_hat = tanh(...) の微分は 1 - h_hat ** 2 です（h_hat * (1 - h_hat) はシグモイドの微分）。",
            _variant("_SigmoidDerivative", tanh_derivative="sigmoid")),
    Mistake("h_prev から h_next へ直接つながる経路の勾配 dh_next * (1 - z) が dh_prev に入っていません。dh_prev は "
            "この直接の経路、(r * h_prev) を通る経路、z と r のゲートを通る経路の合計です。",
            _variant("_NoDirectPath", direct_path=False)),
    Mistake("h_hat の中の (r * h_prev) を通る経路の勾配 r * (dt @ Whh.T) が dh_prev に入っていません。",
            _variant("_NoResetPath", reset_path=False)),
    Mistake("z の勾配の符号が逆です。h_next = (1 - z) * h_prev + z * h_hat なので dz = dh_next * (h_hat - h_prev) です。",
            _variant("_DzFlipped", dz_flipped=True)),
]

ERROR_HINTS = [
    ("shapes", "行列の積の形が合っていません。Wx は (D, 3H)、Wh は (H, 3H) で、ゲートごとに H 列ずつ取り出します"
               "（Wx[:, :H], Wx[:, H:2*H], Wx[:, 2*H:]）。"),
    ("could not be broadcast", "配列の形状が合っていません。z, r, h_hat, h_prev, h_next はどれも (N, H) です。"
                               "grads は Wx, Wh, b と同じ形 (D, 3H), (H, 3H), (3H,) に np.hstack で並べます。"),
    ("NoneType", "None を計算に使っています。forward で逆伝播に使う値（x, h_prev, z, r, h_hat）を保存しているか確かめてください。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(6400)


def _weights(D, H, scale=0.6):
    return rng.normal(size=(D, 3 * H)) * scale, rng.normal(size=(H, 3 * H)) * scale, rng.normal(size=3 * H) * 0.3


# visible: D = 3, H = 2 (written as arange-based patterns so the message shows readable numbers)
v_Wx = np.round(np.sin(np.arange(18, dtype=float) * 1.7).reshape(3, 6) * 0.8, 2)
v_Wh = np.round(np.cos(np.arange(12, dtype=float) * 2.3).reshape(2, 6) * 0.8, 2)
v_b = np.array([0.1, -0.2, 0.3, 0.0, -0.1, 0.2])
v_x = np.array([[1.0, 0.5, -1.0], [0.0, -0.5, 2.0]])
v_h = np.array([[0.3, -0.8], [0.5, 0.2]])
v_dh = np.array([[1.0, -0.5], [0.3, 2.0]])
v_dh_one = np.array([[0.0, 1.0], [0.0, 0.0]])

Wx_a, Wh_a, b_a = _weights(4, 3)
Wx_b, Wh_b, b_b = _weights(2, 5, scale=0.4)
x_a, h_a, dh_a = rng.normal(size=(5, 4)), rng.normal(size=(5, 3)) * 0.7, rng.normal(size=(5, 3))
x_one, h_one, dh_one = rng.normal(size=(1, 2)), rng.normal(size=(1, 5)) * 0.7, rng.normal(size=(1, 5))


def _forward(x, h):
    return call("forward", x, h, label="forward(x, h_prev) の戻り値 h_next")


def _backward(x, h, dh):
    return [call("forward", x, h, record=False),
            call("backward", dh, label="backward(dh_next) の戻り値 (dx, dh_prev)"),
            get("grads", label="backward のあとの grads（[dWx, dWh, db]、z, r, h の順）")]


def _check(scenarios, visible, mistakes):
    return ClassCheck(function="GRU", reference=ReferenceGRU, scenarios=scenarios, visible=visible, mistakes=mistakes,
                      error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


CHECKS = {
    "gru_forward": [_check([
        Scenario("N = 5, D = 4, H = 3 の forward", [new(Wx_a, Wh_a, b_a), _forward(x_a, h_a)]),
        Scenario("N = 1, D = 2, H = 5 の forward", [new(Wx_b, Wh_b, b_b), _forward(x_one, h_one)]),
        Scenario("h_prev が 0", [new(Wx_a, Wh_a, b_a), _forward(x_a, np.zeros((5, 3)))]),
        Scenario("x が 0", [new(Wx_a, Wh_a, b_a), _forward(np.zeros((5, 4)), h_a)]),
        Scenario("大きな入力（ゲートが 0 か 1 に飽和する）", [new(Wx_a, Wh_a, b_a), _forward(x_a * 30, h_a)]),
    ], [
        Scenario("N = 2, D = 3, H = 2 の forward", [new(v_Wx, v_Wh, v_b), _forward(v_x, v_h)]),
        Scenario("x が 0（h_prev だけ）", [new(v_Wx, v_Wh, v_b), _forward(np.zeros((2, 3)), v_h)]),
    ], FORWARD_MISTAKES)],
    "gru_backward": [_check([
        Scenario("N = 5, D = 4, H = 3 の backward", [new(Wx_a, Wh_a, b_a), *_backward(x_a, h_a, dh_a)]),
        Scenario("N = 1, D = 2, H = 5 の backward", [new(Wx_b, Wh_b, b_b), *_backward(x_one, h_one, dh_one)]),
        Scenario("h_prev が 0 の backward", [new(Wx_a, Wh_a, b_a), *_backward(x_a, np.zeros((5, 3)), dh_a)]),
        Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
            new(Wx_a, Wh_a, b_a), call("forward", x_a * 2, h_a, record=False), *_backward(x_a, h_a, dh_a)]),
    ], [
        Scenario("N = 2, D = 3, H = 2 の backward", [new(v_Wx, v_Wh, v_b), *_backward(v_x, v_h, v_dh)]),
        Scenario("dh_next が 1 要素だけ 1", [new(v_Wx, v_Wh, v_b), *_backward(v_x, v_h, v_dh_one)]),
    ], FORWARD_MISTAKES + BACKWARD_MISTAKES)],
}
