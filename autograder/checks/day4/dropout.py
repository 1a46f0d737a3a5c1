"""Hidden checks of 4_3_dropout: the Dropout layer (inverted dropout).

Conventions stated in the notebook and tested here (reference: ``course.dropout.Dropout(..., inverted=True)``):
- ``Dropout(dropout_ratio=0.5, seed=None)`` with ``self.rng = np.random.default_rng(seed)``.
- ``forward(x, train_flg=True)``: training draws ONE array ``self.rng.random(x.shape)`` per call,
  ``self.mask = random > dropout_ratio`` (True = kept) and returns ``x * mask / (1 - dropout_ratio)``;
  test (``train_flg=False``) returns x unchanged (a new array equal to x) and draws nothing.
- ``backward(dout) = dout * mask / (1 - dropout_ratio)`` with the mask of the last training forward pass;
  nothing is drawn, ``dout`` is not modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, new
from course.dropout import Dropout as _CourseDropout

NOTEBOOK = "4_3_dropout"

RTOL, ATOL = 1e-12, 1e-12


class ReferenceDropout(_CourseDropout):
    def __init__(self, dropout_ratio=0.5, seed=None):
        super().__init__(dropout_ratio, seed, inverted=True)


# --------------------------------------------------------------------------- typical mistakes
class _NotScaled(ReferenceDropout):
    def forward(self, x, train_flg=True):
        out = super().forward(x, train_flg)
        return out * (1 - self.dropout_ratio) if train_flg else out

    def backward(self, dout):
        return dout * self.mask


class _TestScaled(ReferenceDropout):
    def forward(self, x, train_flg=True):
        out = super().forward(x, train_flg)
        return out if train_flg else out * (1 - self.dropout_ratio)


class _ActiveAtTest(ReferenceDropout):
    def forward(self, x, train_flg=True):
        return super().forward(x, True)


class _TestDraws(ReferenceDropout):
    def forward(self, x, train_flg=True):
        if not train_flg:
            self.rng.random(np.shape(x))
        return super().forward(x, train_flg)


class _KeepsRatio(ReferenceDropout):
    def forward(self, x, train_flg=True):
        if not train_flg:
            return np.array(x, copy=True)
        self.mask = self.rng.random(np.shape(x)) < self.dropout_ratio
        return x * self.mask / (1 - self.dropout_ratio)


class _RedrawInBackward(ReferenceDropout):
    def backward(self, dout):
        self.mask = self.rng.random(np.shape(dout)) > self.dropout_ratio
        return super().backward(dout)


class _BackwardWithoutMask(ReferenceDropout):
    def backward(self, dout):
        return dout / (1 - self.dropout_ratio)


class _BackwardNotScaled(ReferenceDropout):
    def backward(self, dout):
        return dout * self.mask


MISTAKES = [
    Mistake("backward で 1 / (1 - dropout_ratio) 倍していません。順伝播と同じく dx = dout * mask / (1 - dropout_ratio) "
            "です。", _BackwardNotScaled),
    Mistake("学習時に 1 / (1 - dropout_ratio) 倍していません。このノートブックは inverted dropout なので、"
            "学習時に x * mask / (1 - dropout_ratio) とし、テスト時は x をそのまま返します。", _NotScaled),
    Mistake("テスト時にも (1 - dropout_ratio) を掛けています（二重のスケーリング）。inverted dropout では学習時に "
            "1 / (1 - dropout_ratio) 倍しているので、テスト時は x をそのまま返します。", _TestScaled),
    Mistake("テスト時（train_flg=False）にも乱数を引いています。乱数は学習時の forward で 1 回 "
            "self.rng.random(x.shape) を呼ぶだけです（テスト時に引くと、その後の学習のマスクがずれます）。", _TestDraws),
    Mistake("テスト時（train_flg=False）にもニューロンを消しています。テスト時は mask を作らず、x をそのまま返します。",
            _ActiveAtTest),
    Mistake("残す要素と消す要素が逆です。mask = self.rng.random(x.shape) > dropout_ratio（True が残す要素）で、"
            "残る割合は 1 - dropout_ratio です。", _KeepsRatio),
    Mistake("backward でマスクを作り直しています。逆伝播では forward で保存した self.mask をそのまま使い、"
            "乱数は引きません。", _RedrawInBackward),
    Mistake("backward でマスクを掛けていません。forward で消した要素には勾配が流れないので、"
            "dx = dout * mask / (1 - dropout_ratio) です。", _BackwardWithoutMask),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(4300)
x_a, x_b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
dout_a, dout_b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
x_3d, dout_3d = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
x_big = rng.normal(size=(50, 20))

v_x = np.array([[1.0, -2.0, 3.0, 0.5], [-1.0, 4.0, 2.0, -3.0], [0.5, 0.25, -0.75, 1.5]])
v_x2 = np.array([[2.0, 1.0, -1.0, 0.0], [3.0, -2.0, 0.5, 1.0], [-0.5, 1.5, 2.5, -1.0]])
v_x3 = np.linspace(-1.0, 1.3, 24).reshape(2, 3, 4)
v_dout3 = np.cos(np.arange(24.0)).reshape(2, 3, 4)
v_dout = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, -2.0, -3.0, -4.0], [0.5, 0.5, 0.5, 0.5]])


def _fwd(x, train_flg, label=None):
    mode = "True" if train_flg else "False"
    return call("forward", x, train_flg=train_flg, label=label or f"forward(x, train_flg={mode}) の出力")


def _check(scenarios, visible):
    return ClassCheck(function="Dropout", reference=ReferenceDropout, scenarios=scenarios, visible=visible,
                      mistakes=MISTAKES, rtol=RTOL, atol=ATOL, dtype="float")


CHECKS = {
    "dropout_forward_train": [_check([
        Scenario("dropout_ratio = 0.5, seed = 0 で学習時の forward を 2 回", [
            new(0.5, 0), _fwd(x_a, True, "1 回目の forward(x, train_flg=True)"),
            _fwd(x_b, True, "2 回目の forward(x, train_flg=True)")]),
        Scenario("dropout_ratio = 0.2, seed = 7、3 次元の x", [new(0.2, 7), _fwd(x_3d, True)]),
        Scenario("dropout_ratio = 0.8, seed = 1、50×20 の x", [new(0.8, 1), _fwd(x_big, True)]),
        Scenario("dropout_ratio = 0（何も消さない）", [new(0.0, 3), _fwd(x_a, True)]),
    ], [
        Scenario("dropout_ratio = 0.5, seed = 0 で学習時の forward を 2 回", [
            new(0.5, 0), _fwd(v_x, True, "1 回目の forward(x, train_flg=True)"),
            _fwd(v_x2, True, "2 回目の forward(x, train_flg=True)")]),
        Scenario("dropout_ratio = 0.25, seed = 2", [new(0.25, 2), _fwd(v_x, True)]),
        Scenario("dropout_ratio = 0.2, seed = 7、3 次元の x", [new(0.2, 7), _fwd(v_x3, True)]),
    ])],
    "dropout_test_mode": [_check([
        Scenario("dropout_ratio = 0.5 のテスト時の forward", [new(0.5, 0), _fwd(x_a, False)]),
        Scenario("学習時の forward のあとにテスト時の forward、そしてまた学習時の forward", [
            new(0.3, 5), _fwd(x_a, True), _fwd(x_b, False), _fwd(x_a, True, "もう一度 forward(x, train_flg=True)")]),
        Scenario("テスト時の forward を 2 回してから学習時の forward（テスト時は乱数を引かない）", [
            new(0.5, 11), _fwd(x_3d, False), _fwd(x_3d, False), _fwd(x_3d, True)]),
    ], [
        Scenario("dropout_ratio = 0.5 のテスト時の forward", [new(0.5, 0), _fwd(v_x, False)]),
        Scenario("テスト時の forward のあとに学習時の forward（テスト時は乱数を引かない）", [
            new(0.4, 3), _fwd(v_x, False), _fwd(v_x2, True)]),
        Scenario("3 次元の x のテスト時の forward", [new(0.5, 1), _fwd(v_x3, False)]),
    ])],
    "dropout_backward": [_check([
        Scenario("dropout_ratio = 0.5: forward のあと backward", [
            new(0.5, 0), call("forward", x_a, train_flg=True, record=False),
            call("backward", dout_a, label="backward(dout) の戻り値 dx")]),
        Scenario("backward を 2 回（同じマスクを使う）", [
            new(0.3, 4), call("forward", x_a, train_flg=True, record=False),
            call("backward", dout_a, label="1 回目の backward(dout)"),
            call("backward", dout_b, label="2 回目の backward(dout)")]),
        Scenario("3 次元の x、dropout_ratio = 0.2", [
            new(0.2, 9), call("forward", x_3d, train_flg=True, record=False),
            call("backward", dout_3d, label="backward(dout) の戻り値 dx")]),
        Scenario("backward のあとの学習時の forward（backward は乱数を引かない）", [
            new(0.5, 6), call("forward", x_a, train_flg=True, record=False),
            call("backward", dout_a, label="backward(dout) の戻り値 dx"), _fwd(x_b, True)]),
    ], [
        Scenario("dropout_ratio = 0.5: forward のあと backward を 2 回（同じマスクを使う）", [
            new(0.5, 0), call("forward", v_x, train_flg=True, record=False),
            call("backward", v_dout, label="1 回目の backward(dout)"),
            call("backward", v_dout * 2, label="2 回目の backward(2 * dout)")]),
        Scenario("dropout_ratio = 0.25: backward のあとの学習時の forward（backward は乱数を引かない）", [
            new(0.25, 1), call("forward", v_x, train_flg=True, record=False),
            call("backward", v_dout, label="backward(dout) の戻り値 dx"), _fwd(v_x2, True)]),
        Scenario("3 次元の x、dropout_ratio = 0.2", [
            new(0.2, 9), call("forward", v_x3, train_flg=True, record=False),
            call("backward", v_dout3, label="backward(dout) の戻り値 dx")]),
    ])],
}
