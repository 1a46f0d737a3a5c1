"""Hidden checks of 7_4_attention: ``WeightSum``, ``AttentionWeight`` and ``Attention`` (forward, backward).

Conventions stated in the notebook and tested here (the reference is ``course.attention``, the book
『ゼロから作るDeep Learning ❷』 8 章):
- Layers without parameters: ``params = []``, ``grads = []``; constructors take no argument.
- ``WeightSum.forward(hs, a)``: hs (N, T, H) encoder states, a (N, T) weights -> c (N, H) =
  sum over t of a[:, t, None] * hs[:, t]. ``backward(dc)`` -> ``(dhs, da)``: dhs (N, T, H) =
  a[:, :, None] * dc[:, None, :], da (N, T) = sum over H of hs * dc[:, None, :].
- ``AttentionWeight.forward(hs, h)``: h (N, H); s (N, T) = sum over H of hs * h[:, None, :]; a = softmax of
  s over the encoder time axis (axis 1), computed with the row maximum subtracted (no overflow).
  ``backward(da)`` -> ``(dhs, dh)``: ds = a * (da - sum over T of da * a), dhs = ds[:, :, None] * h[:, None, :],
  dh = sum over T of ds[:, :, None] * hs.
- ``Attention.forward(hs, h)`` -> c (N, H), the notebook's ``AttentionWeight`` then ``WeightSum``; the
  weights a in ``self.attention_weight``. ``backward(dc)`` -> ``(dhs, dh)``, dhs = the sum of both paths.
- No argument is modified; everything float64.
"""

import numpy as np

from course.attention import Attention as ReferenceAttention
from course.attention import AttentionWeight as ReferenceAttentionWeight
from course.attention import WeightSum as ReferenceWeightSum
from course.checking import ClassCheck, Mistake, Scenario, call, get, new

NOTEBOOK = "7_4_attention"

RTOL, ATOL = 1e-9, 1e-12


def _softmax(s, axis):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- wrong WeightSum
class _WSMean(ReferenceWeightSum):
    def forward(self, hs, a):
        self.cache = (hs, a)
        return np.mean(hs * a[:, :, None], axis=1)


class _WSOverH(ReferenceWeightSum):
    def forward(self, hs, a):
        self.cache = (hs, a)
        return np.sum(hs * a[:, :, None], axis=2)


class _WSDaNotSummed(ReferenceWeightSum):
    def backward(self, dc):
        hs, a = self.cache
        return dc[:, None, :] * a[:, :, None], dc[:, None, :] * hs


class _WSDhsWithoutA(ReferenceWeightSum):
    def backward(self, dc):
        hs, a = self.cache
        _, da = super().backward(dc)
        return np.repeat(dc[:, None, :], hs.shape[1], axis=1), da


WS_FORWARD_MISTAKES = [
    Mistake("時刻について平均しています。c は重み a を掛けた hs の時刻についての和 np.sum(hs * a[:, :, np.newaxis], axis=1) です"
            "（a の和が 1 なので、和そのものが重み付き平均です）。", _WSMean),
    Mistake("隠れ状態の軸（axis=2）で和をとっています。和をとるのはエンコーダの時刻の軸（axis=1）で、c は (N, H) です。", _WSOverH),
]
WS_BACKWARD_MISTAKES = [
    Mistake("da を H について合計していません。順伝播で a[:, :, np.newaxis] は H 個に複製（リピート）されたので、逆伝播では "
            "dc[:, np.newaxis, :] * hs を axis=2（H）について合計して (N, T) にします。", _WSDaNotSummed),
    Mistake("dhs に重み a を掛けていません。c = Σ a_t hs_t なので dhs[:, t] = a[:, t, np.newaxis] * dc です。", _WSDhsWithoutA),
]


# --------------------------------------------------------------------------- wrong AttentionWeight
class _AWAxis0(ReferenceAttentionWeight):
    def forward(self, hs, h):
        s = np.sum(hs * h[:, None, :], axis=2)
        a = _softmax(s, axis=0)
        self.cache = (hs, h, a)
        return a


class _AWNoSoftmax(ReferenceAttentionWeight):
    def forward(self, hs, h):
        s = np.sum(hs * h[:, None, :], axis=2)
        self.cache = (hs, h, s)
        return s


class _AWOverH(ReferenceAttentionWeight):
    """Softmax over H before summing (a (N, T) from the wrong axis)."""

    def forward(self, hs, h):
        a = np.sum(_softmax(hs * h[:, None, :], axis=2), axis=2) / hs.shape[1]
        self.cache = (hs, h, a)
        return a


class _AWNoShift(ReferenceAttentionWeight):
    def forward(self, hs, h):
        s = np.sum(hs * h[:, None, :], axis=2)
        with np.errstate(over="warn", invalid="warn"):
            e = np.exp(s)
            a = e / e.sum(axis=1, keepdims=True)
        self.cache = (hs, h, a)
        return a


class _AWSoftmaxDerivative(ReferenceAttentionWeight):
    def backward(self, da):
        hs, h, a = self.cache
        ds = a * da
        return ds[:, :, None] * h[:, None, :], np.sum(ds[:, :, None] * hs, axis=1)


class _AWSigmoidDerivative(ReferenceAttentionWeight):
    def backward(self, da):
        hs, h, a = self.cache
        ds = da * a * (1 - a)
        return ds[:, :, None] * h[:, None, :], np.sum(ds[:, :, None] * hs, axis=1)


class _AWDhSwapped(ReferenceAttentionWeight):
    def backward(self, da):
        hs, h, a = self.cache
        ds = a * (da - np.sum(da * a, axis=1, keepdims=True))
        return ds[:, :, None] * hs, np.sum(ds[:, :, None] * h[:, None, :], axis=1)


AW_FORWARD_MISTAKES = [
    Mistake("ソフトマックスの軸が違います（バッチの軸 axis=0 で正規化しています）。重み a はエンコーダの時刻の軸（axis=1）で"
            "ソフトマックスをとり、各行（各データ）で a[n].sum() == 1 になります。", _AWAxis0),
    Mistake("スコア s にソフトマックスをかけていません。a = softmax(s) を時刻の軸（axis=1）でとり、0 以上で和が 1 の重みにします。",
            _AWNoSoftmax),
    Mistake("ソフトマックスを H の軸でとっています。先に hs * h を H について合計してスコア s (N, T) を作り、そのあと時刻の軸"
            "（axis=1）でソフトマックスをとります。", _AWOverH),
    Mistake("大きなスコアで exp があふれています。ソフトマックスは各行の最大値を引いてから exp を計算します"
            "（s - s.max(axis=1, keepdims=True)）。", _AWNoShift),
]
AW_BACKWARD_MISTAKES = [
    Mistake("ソフトマックスの逆伝播が違います（da * a だけになっています）。ds = a * (da - np.sum(da * a, axis=1, keepdims=True)) "
            "のように、各行の Σ da·a を引く項が必要です。", _AWSoftmaxDerivative),
    Mistake("ソフトマックスの逆伝播にシグモイドの微分 a * (1 - a) を使っています。ソフトマックスではほかの時刻の重みも影響するので、"
            "ds = a * (da - np.sum(da * a, axis=1, keepdims=True)) です。", _AWSigmoidDerivative),
    Mistake("dhs と dh の式が入れ替わっています。s = Σ_H hs * h なので、dhs = ds[:, :, np.newaxis] * h[:, np.newaxis, :]、"
            "dh = np.sum(ds[:, :, np.newaxis] * hs, axis=1) です。", _AWDhSwapped),
]


# --------------------------------------------------------------------------- wrong Attention
class _AttOnePath(ReferenceAttention):
    def backward(self, dc):
        dhs0, da = self.weight_sum_layer.backward(dc)
        _, dh = self.attention_weight_layer.backward(da)
        return dhs0, dh


class _AttOtherPath(ReferenceAttention):
    def backward(self, dc):
        dhs0, da = self.weight_sum_layer.backward(dc)
        dhs1, dh = self.attention_weight_layer.backward(da)
        return dhs1, dh


class _AttReturnsPair(ReferenceAttention):
    def forward(self, hs, h):
        c = super().forward(hs, h)
        return c, self.attention_weight


ATT_FORWARD_MISTAKES = [
    Mistake("forward が (c, a) のタプルを返しています。forward の戻り値はコンテキスト c（(N, H)）だけで、重み a は "
            "self.attention_weight に保存します。", _AttReturnsPair),
]
ATT_BACKWARD_MISTAKES = [
    Mistake("dhs に WeightSum からの勾配しか入っていません。hs は WeightSum と AttentionWeight の両方で使われるので、"
            "2 つの backward が返す dhs を足します（dhs = dhs0 + dhs1）。", _AttOnePath),
    Mistake("dhs に AttentionWeight からの勾配しか入っていません。hs は WeightSum と AttentionWeight の両方で使われるので、"
            "2 つの backward が返す dhs を足します（dhs = dhs0 + dhs1）。", _AttOtherPath),
]

ERROR_HINTS = [
    ("could not be broadcast", "配列の形状が合っていません。hs は (N, T, H)、a は (N, T)、h と c は (N, H) です。a や h に "
                               "np.newaxis で軸を足して (N, T, 1) や (N, 1, H) にしてから掛けます。"),
    ("cannot unpack", "戻り値の数が違います。backward は 2 つの配列のタプル（WeightSum は (dhs, da)、AttentionWeight と Attention は "
                      "(dhs, dh)）を返します。"),
    ("NoneType", "None を計算に使っています。forward で逆伝播に使う値（hs, a, h など）を self.cache などに保存しているか確かめてください。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(7400)
# visible: N = 2, T = 3, H = 4
v_hs = np.round(np.sin(np.arange(24, dtype=float) * 1.3).reshape(2, 3, 4), 2)
v_a = np.array([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]])
v_h = np.array([[1.0, -0.5, 0.3, 0.8], [-0.2, 0.9, 0.4, -1.0]])
v_dc = np.array([[0.5, -1.0, 0.2, 0.7], [1.2, 0.3, -0.4, 0.1]])
v_da = np.array([[0.3, -0.6, 1.1], [-0.8, 0.2, 0.5]])
v_big = v_h * 500
# hidden
hs_a = rng.normal(size=(3, 5, 2))
a_a = _softmax(rng.normal(size=(3, 5)), axis=1)
h_a = rng.normal(size=(3, 2))
dc_a = rng.normal(size=(3, 2))
da_a = rng.normal(size=(3, 5))
hs_b = rng.normal(size=(4, 6, 3))
h_b = rng.normal(size=(4, 3))
dc_b = rng.normal(size=(4, 3))
da_b = rng.normal(size=(4, 6))
a_b = _softmax(rng.normal(size=(4, 6)), axis=1)
hs_1 = rng.normal(size=(1, 1, 3))
h_1, dc_1, da_1, a_1 = rng.normal(size=(1, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1, 1)), np.ones((1, 1))


def _ws_forward(hs, a):
    return call("forward", hs, a, label="forward(hs, a) の戻り値 c")


def _ws_backward(hs, a, dc):
    return [call("forward", hs, a, record=False), call("backward", dc, label="backward(dc) の戻り値 (dhs, da)")]


def _aw_forward(hs, h, **kw):
    return call("forward", hs, h, label="forward(hs, h) の戻り値 a", **kw)


def _aw_backward(hs, h, da):
    return [call("forward", hs, h, record=False), call("backward", da, label="backward(da) の戻り値 (dhs, dh)")]


def _att_forward(hs, h):
    return [call("forward", hs, h, label="forward(hs, h) の戻り値 c"),
            get("attention_weight", label="forward のあとの self.attention_weight")]


def _att_backward(hs, h, dc):
    return [call("forward", hs, h, record=False), call("backward", dc, label="backward(dc) の戻り値 (dhs, dh)")]


WS_FORWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), _ws_forward(v_hs, v_a)])]
WS_FORWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), _ws_forward(hs_a, a_a)]),
                     Scenario("N = 4, T = 6, H = 3", [new(), _ws_forward(hs_b, a_b)]),
                     Scenario("T = 1（重みは 1）", [new(), _ws_forward(hs_1, a_1)])]
WS_BACKWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), *_ws_backward(v_hs, v_a, v_dc)])]
WS_BACKWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), *_ws_backward(hs_a, a_a, dc_a)]),
                      Scenario("N = 4, T = 6, H = 3", [new(), *_ws_backward(hs_b, a_b, dc_b)]),
                      Scenario("T = 1", [new(), *_ws_backward(hs_1, a_1, dc_1)])]
AW_FORWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), _aw_forward(v_hs, v_h)]),
                      Scenario("大きなスコア（h を 500 倍）: あふれない", [new(), _aw_forward(v_hs, v_big, forbid_warnings=True)])]
AW_FORWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), _aw_forward(hs_a, h_a)]),
                     Scenario("N = 4, T = 6, H = 3", [new(), _aw_forward(hs_b, h_b)]),
                     Scenario("大きなスコア（h を 1000 倍）", [new(), _aw_forward(hs_b, h_b * 1000, forbid_warnings=True)]),
                     Scenario("T = 1（重みは 1）", [new(), _aw_forward(hs_1, h_1)])]
AW_BACKWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), *_aw_backward(v_hs, v_h, v_da)])]
AW_BACKWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), *_aw_backward(hs_a, h_a, da_a)]),
                      Scenario("N = 4, T = 6, H = 3", [new(), *_aw_backward(hs_b, h_b, da_b)]),
                      Scenario("T = 1", [new(), *_aw_backward(hs_1, h_1, da_1)])]
ATT_FORWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), *_att_forward(v_hs, v_h)])]
ATT_FORWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), *_att_forward(hs_a, h_a)]),
                      Scenario("N = 4, T = 6, H = 3", [new(), *_att_forward(hs_b, h_b)])]
ATT_BACKWARD_VISIBLE = [Scenario("N = 2, T = 3, H = 4", [new(), *_att_backward(v_hs, v_h, v_dc)])]
ATT_BACKWARD_HIDDEN = [Scenario("N = 3, T = 5, H = 2", [new(), *_att_backward(hs_a, h_a, dc_a)]),
                       Scenario("N = 4, T = 6, H = 3", [new(), *_att_backward(hs_b, h_b, dc_b)]),
                       Scenario("T = 1", [new(), *_att_backward(hs_1, h_1, dc_1)])]


def _check(name, reference, scenarios, visible, mistakes, **kw):
    return ClassCheck(function=name, reference=reference, scenarios=scenarios, visible=visible, mistakes=mistakes,
                      error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float", **kw)


WS_ALL = WS_FORWARD_MISTAKES + WS_BACKWARD_MISTAKES
AW_ALL = AW_FORWARD_MISTAKES + AW_BACKWARD_MISTAKES
CHECKS = {
    "weight_sum_forward": [_check("WeightSum", ReferenceWeightSum, WS_FORWARD_HIDDEN, WS_FORWARD_VISIBLE,
                                  WS_FORWARD_MISTAKES)],
    "weight_sum_backward": [_check("WeightSum", ReferenceWeightSum, WS_BACKWARD_HIDDEN, WS_BACKWARD_VISIBLE, WS_ALL)],
    "attention_weight_forward": [_check("AttentionWeight", ReferenceAttentionWeight, AW_FORWARD_HIDDEN,
                                        AW_FORWARD_VISIBLE, AW_FORWARD_MISTAKES)],
    "attention_weight_backward": [_check("AttentionWeight", ReferenceAttentionWeight, AW_BACKWARD_HIDDEN,
                                         AW_BACKWARD_VISIBLE, AW_ALL)],
    "attention_forward": [
        _check("WeightSum", ReferenceWeightSum, WS_FORWARD_HIDDEN, WS_FORWARD_VISIBLE, WS_FORWARD_MISTAKES,
               prerequisite_of="Attention"),
        _check("AttentionWeight", ReferenceAttentionWeight, AW_FORWARD_HIDDEN, AW_FORWARD_VISIBLE, AW_FORWARD_MISTAKES,
               prerequisite_of="Attention"),
        _check("Attention", ReferenceAttention, ATT_FORWARD_HIDDEN, ATT_FORWARD_VISIBLE, ATT_FORWARD_MISTAKES)],
    "attention_backward": [
        _check("WeightSum", ReferenceWeightSum, WS_BACKWARD_HIDDEN, WS_BACKWARD_VISIBLE, WS_ALL,
               prerequisite_of="Attention"),
        _check("AttentionWeight", ReferenceAttentionWeight, AW_BACKWARD_HIDDEN, AW_BACKWARD_VISIBLE, AW_ALL,
               prerequisite_of="Attention"),
        _check("Attention", ReferenceAttention, ATT_BACKWARD_HIDDEN, ATT_BACKWARD_VISIBLE,
               ATT_FORWARD_MISTAKES + ATT_BACKWARD_MISTAKES)],
}
