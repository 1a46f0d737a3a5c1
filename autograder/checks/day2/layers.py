"""Hidden checks of 2_5_backprop_layers: MulLayer, AddLayer, Relu, Sigmoid, Affine, SoftmaxWithLoss.

Conventions stated in the notebook and tested here:
- MulLayer / AddLayer: ``forward(x, y)``, ``backward(dout) -> (dx, dy)`` (a tuple), scalars or arrays.
- Relu: ``mask = (x <= 0)``; the gradient at x == 0 is 0; neither ``x`` nor ``dout`` is modified.
- Sigmoid: ``backward`` uses the stored output: ``dout * (1 - out) * out``; ``forward`` gives no
  overflow warning at x = ±1000 (the stable sigmoid of ``course.functions`` may be used).
- Affine(W, b): 2-D input (N, D) only; ``dx = dout @ W.T``, ``dW = x.T @ dout``, ``db = dout.sum(0)``.
- SoftmaxWithLoss: 2-D scores (N, C), one-hot ``t`` (N, C); the loss of ``course.functions``
  (``cross_entropy_error``, batch mean, delta 1e-7); ``backward(dout=1) = (y - t) / N``.
"""

import numpy as np

from autograder.checks.references import Affine as ReferenceAffine
from autograder.checks.references import Relu as ReferenceRelu
from autograder.checks.references import SoftmaxWithLoss as ReferenceSoftmaxWithLoss
from autograder.checks.references import sigmoid as _stable_sigmoid
from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.functions import cross_entropy_error, softmax

NOTEBOOK = "2_5_backprop_layers"

RTOL, ATOL = 1e-6, 1e-9


# --------------------------------------------------------------------------- references
class ReferenceMulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class ReferenceAddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class ReferenceSigmoid:
    def forward(self, x):
        self.out = _stable_sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


# --------------------------------------------------------------------------- typical mistakes
class _MulSwapped(ReferenceMulLayer):
    def backward(self, dout):
        return dout * self.x, dout * self.y


class _MulNoDout(ReferenceMulLayer):
    def backward(self, dout):
        return self.y, self.x


class _MulAdds(ReferenceMulLayer):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x + y


class _AddOnes(ReferenceAddLayer):
    def backward(self, dout):
        return 1, 1


class _AddOnlyDx(ReferenceAddLayer):
    def backward(self, dout):
        return dout, 0


class _AddSingle(ReferenceAddLayer):
    def backward(self, dout):
        return dout


class _ReluWrongMask(ReferenceRelu):
    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0  # zeros where x > 0
        return dx


class _ReluStrictMask(ReferenceRelu):
    def forward(self, x):
        self.mask = x < 0
        out = x.copy()
        out[self.mask] = 0
        return out


class _ReluZerosPositive(ReferenceRelu):
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[~self.mask] = 0
        return out


class _SigmoidUsesX(ReferenceSigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * (1.0 - self.x) * self.x


class _SigmoidNoDout(ReferenceSigmoid):
    def backward(self, dout):
        return (1.0 - self.out) * self.out


class _SigmoidMissingFactor(ReferenceSigmoid):
    def backward(self, dout):
        return dout * self.out


class _AffineNoBias(ReferenceAffine):
    def forward(self, x):
        self.x = x
        return x @ self.W


class _AffineDWTransposed(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx


class _AffineDxNoTranspose(ReferenceAffine):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W


class _AffineDbNotSummed(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.copy()
        return dx


class _AffineDbWrongAxis(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.sum(dout, axis=1)
        return dx


class _AffineDbTotal(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.sum(dout)
        return dx


class _AffineDbMean(ReferenceAffine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.mean(dout, axis=0)
        return dx


class _SoftmaxLossNotAveraged(ReferenceSoftmaxWithLoss):
    def backward(self, dout=1):
        return self.y - self.t


class _SoftmaxLossUsesScores(ReferenceSoftmaxWithLoss):
    def forward(self, x, t):
        self.x = x
        return super().forward(x, t)

    def backward(self, dout=1):
        return (self.x - self.t) / self.t.shape[0]


class _SoftmaxLossSignFlipped(ReferenceSoftmaxWithLoss):
    def backward(self, dout=1):
        return (self.t - self.y) / self.t.shape[0]


class _SoftmaxLossByClasses(ReferenceSoftmaxWithLoss):
    def backward(self, dout=1):
        return (self.y - self.t) / self.t.shape[1]


class _SoftmaxLossSummed(ReferenceSoftmaxWithLoss):
    def forward(self, x, t):
        super().forward(x, t)
        self.loss = cross_entropy_error(self.y, t) * t.shape[0]
        return self.loss


class _SoftmaxLossNoSoftmax(ReferenceSoftmaxWithLoss):
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        with np.errstate(all="ignore"):
            self.loss = -np.sum(t * np.log(x + 1e-7)) / t.shape[0]
        return self.loss


MUL_MISTAKES = [
    Mistake("dx と dy が入れ替わっています。乗算ノードの逆伝播では入力を「ひっくり返して」掛けます: "
            "dx = dout * y、dy = dout * x です。", _MulSwapped),
    Mistake("上流から伝わってきた微分 dout を掛けていません。dx = dout * y、dy = dout * x です。", _MulNoDout),
    Mistake("forward が和 x + y になっています。乗算レイヤの順伝播は積 x * y です。", _MulAdds),
]
ADD_MISTAKES = [
    Mistake("加算ノードは上流の微分 dout を「そのまま」下流へ流します。1 ではなく dout を返してください"
            "（dx = dout * 1、dy = dout * 1）。", _AddOnes),
    Mistake("backward は dx と dy の 2 つの値の組（タプル）(dx, dy) を返します。", _AddSingle),
    Mistake("dy も dout です。加算ノードでは両方の入力に dout がそのまま流れます。", _AddOnlyDx),
]
RELU_MISTAKES = [
    Mistake("0 にする場所が逆です。順伝播で x <= 0 だった要素（self.mask が True の要素）の勾配を 0 にし、"
            "x > 0 だった要素は dout をそのまま流します。", _ReluWrongMask),
    Mistake("x == 0 の要素の扱いが違います。このノートブックでは mask = (x <= 0) とし、x == 0 の勾配は 0 とします。",
            _ReluStrictMask),
    Mistake("0 にする場所が逆です。x <= 0 の要素を 0 にし、x > 0 の要素はそのまま出力します。", _ReluZerosPositive),
]
SIGMOID_MISTAKES = [
    Mistake("逆伝播に入力 x を使っています。シグモイド関数の微分は出力 y を使って y(1 - y) と書けるので、"
            "forward で保存した self.out を使い dout * (1 - out) * out とします。", _SigmoidUsesX),
    Mistake("上流から伝わってきた微分 dout を掛けていません: dx = dout * (1 - out) * out です。", _SigmoidNoDout),
    Mistake("(1 - out) の因子が抜けています: dx = dout * (1 - out) * out です。", _SigmoidMissingFactor),
]
AFFINE_MISTAKES = [
    Mistake("バイアス b を足していません。順伝播は x · W + b です。", _AffineNoBias),
    Mistake("dW の転置の位置が違います。dW = xᵀ · dout（np.dot(self.x.T, dout)）で、形状は W と同じ (D, M) です。",
            _AffineDWTransposed),
    Mistake("dx を dout · W で計算しています。dx = dout · Wᵀ（np.dot(dout, self.W.T)）で、形状は x と同じ (N, D) です。",
            _AffineDxNoTranspose),
    Mistake("db をバッチ方向に合計していません。b はすべてのサンプルで共有されているので、"
            "db = np.sum(dout, axis=0)（形状 (M,)）です。", _AffineDbNotSummed),
    Mistake("db の合計の向きが違います。サンプル方向（axis=0）に合計して、形状を b と同じ (M,) にします。", _AffineDbWrongAxis),
    Mistake("db を配列全体で合計しています。サンプル方向（axis=0）だけ合計して、形状を b と同じ (M,) にします。", _AffineDbTotal),
    Mistake("db を平均しています。逆伝播ではサンプル方向に「合計」します（平均は損失の側ですでにとっています）。", _AffineDbMean),
]
AFFINE_ERROR_HINTS = [
    ("not aligned", "行列の積の形状が合っていません。dx = dout · Wᵀ（形状 (N, D)）、dW = xᵀ · dout（形状 (D, M)）"
                    "になるように、転置をつける位置と掛ける順番を確かめましょう。"),
    ("mismatch in its core dimension", "行列の積の形状が合っていません。dx = dout · Wᵀ（形状 (N, D)）、"
                                       "dW = xᵀ · dout（形状 (D, M)）になるように、転置をつける位置と掛ける順番を確かめましょう。"),
    ("could not be broadcast", "配列の形状が合っていません。x は (N, D)、W は (D, M)、b は (M,)、dout は (N, M) です。"),
]
SOFTMAX_LOSS_MISTAKES = [
    Mistake("バッチサイズで割っていません。損失はバッチの平均なので、逆伝播は (y - t) / batch_size です。",
            _SoftmaxLossNotAveraged),
    Mistake("ソフトマックス関数を通す前のスコア x を使っています。逆伝播は forward で保存した出力 y を使い "
            "(y - t) / batch_size です。", _SoftmaxLossUsesScores),
    Mistake("符号が逆です。(y - t) / batch_size です（t - y ではありません）。", _SoftmaxLossSignFlipped),
    Mistake("クラス数で割っています。割るのはバッチサイズ（t.shape[0]、サンプル数）です。", _SoftmaxLossByClasses),
    Mistake("損失をバッチで合計しています。cross_entropy_error はバッチの平均を返します。", _SoftmaxLossSummed),
    Mistake("ソフトマックス関数を通していません。y = softmax(x) の交差エントロピー誤差を計算します。",
            _SoftmaxLossNoSoftmax),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(2500)


def _normal(*shape):
    return rng.normal(size=shape)


def _onehot(labels, classes):
    return np.eye(classes)[labels]


def _only(shape, index, value=1.0):
    a = np.zeros(shape)
    a[index] = value
    return a


# MulLayer / AddLayer
mul_x, mul_y, mul_dout = _normal(2, 3), _normal(2, 3), _normal(2, 3)
# Relu: mixed signs with exact zeros
relu_x = np.array([[1.0, -0.5, 0.0, 2.0], [-2.0, 3.0, -1.0, 0.0], [0.5, 0.0, -3.0, 4.0]])
relu_dout = np.arange(1.0, 13.0).reshape(3, 4)
relu_x_rand, relu_dout_rand = _normal(4, 5), _normal(4, 5)
# Sigmoid
sig_x, sig_dout = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]]), np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
sig_x_rand, sig_dout_rand = _normal(3, 4) * 2, _normal(3, 4)
sig_extreme = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
# Affine: rectangular (D=3, M=2) and square (D=M=3)
aff_W, aff_b, aff_x, aff_dout = _normal(3, 2), _normal(2), _normal(4, 3), _normal(4, 2)
aff_Wsq, aff_bsq, aff_xsq, aff_doutsq = _normal(3, 3), _normal(3), _normal(4, 3), _normal(4, 3)
aff_x_col = np.zeros((4, 3))
aff_x_col[:, 1] = _normal(4)
aff_x1, aff_dout1 = _normal(1, 3), _normal(1, 2)
# SoftmaxWithLoss
sm_x, sm_t = _normal(4, 3), _onehot([0, 2, 1, 2], 3)
sm_x1, sm_t1 = np.array([[0.3, 2.9, 4.0]]), _onehot([2], 3)
sm_x_big, sm_t_big = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0]]), _onehot([0, 0], 3)
sm_x_wide, sm_t_wide = _normal(5, 10) * 3, _onehot([3, 0, 9, 9, 4], 10)


# the visible self-check's inputs: small, written out, the book's examples where there are ones
v_x23, v_y23, v_dout23 = (np.array([[1.0, 2.0, -3.0], [0.5, -1.0, 4.0]]), np.array([[3.0, -1.0, 2.0], [2.0, 5.0, 0.5]]),
                          np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]]))
v_relu_x = np.array([[1.0, -0.5, 0.0], [0.0, 3.0, -2.0]])
v_relu_dout = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
v_sig_x = np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]])
v_sig_dout = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
v_aff_W, v_aff_b = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([0.5, -0.5])
v_aff_x, v_aff_dout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])
v_aff_Wsq, v_aff_bsq = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])
v_aff_xsq, v_aff_doutsq = (np.array([[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]]),
                           np.array([[1.0, 0.0], [0.5, 2.0], [-1.0, 1.0]]))
v_sm_x = np.array([[0.3, 2.9, 4.0], [0.0, 0.0, 0.0]])
v_sm_t = _onehot([2, 0], 3)
v_sm_big, v_sm_t_big = np.array([[1000.0, 0.0, -1000.0], [0.0, -1000.0, 1000.0]]), _onehot([1, 2], 3)


def _layer(function, reference, scenarios, mistakes, error_hints=(), visible=()):
    return ClassCheck(function=function, reference=reference, scenarios=scenarios, mistakes=mistakes,
                      error_hints=list(error_hints), rtol=RTOL, atol=ATOL, visible=list(visible))


CHECKS = {
    "mul_forward": [_layer("MulLayer", ReferenceMulLayer, [
        Scenario("りんご 100 円 × 2 個", [new(), call("forward", 100.0, 2.0, label="forward(100, 2)")]),
        Scenario("2×3 の配列どうし（要素ごとの積）", [new(), call("forward", mul_x, mul_y, label="forward(x, y)")]),
    ], MUL_MISTAKES, visible=[
        Scenario("りんご 100 円 × 2 個", [new(), call("forward", 100.0, 2.0, label="forward(100, 2)")]),
        Scenario("2×3 の配列どうし（要素ごとの積）", [new(), call("forward", v_x23, v_y23, label="forward(x, y)")]),
    ])],
    "mul_backward": [_layer("MulLayer", ReferenceMulLayer, [
        Scenario("りんごの例: forward(100, 2) のあと backward(1.1)", [
            new(), call("forward", 100.0, 2.0, record=False), call("backward", 1.1, label="backward(1.1) の (dx, dy)")]),
        Scenario("x = 3, y = 5 で dout = 1", [
            new(), call("forward", 3.0, 5.0, record=False), call("backward", 1.0, label="backward(1) の (dx, dy)")]),
        Scenario("2×3 の配列、dout が 1 要素だけ 1", [
            new(), call("forward", mul_x, mul_y, record=False),
            call("backward", _only((2, 3), (1, 2)), label="backward(dout) の (dx, dy)")]),
        Scenario("2×3 の配列、ランダムな dout", [
            new(), call("forward", mul_x, mul_y, record=False),
            call("backward", mul_dout, label="backward(dout) の (dx, dy)")]),
    ], MUL_MISTAKES, visible=[
        Scenario("りんごの例: forward(100, 2) のあと backward(1.1)", [
            new(), call("forward", 100.0, 2.0, record=False), call("backward", 1.1, label="backward(1.1) の (dx, dy)")]),
        Scenario("2×3 の配列", [
            new(), call("forward", v_x23, v_y23, record=False),
            call("backward", v_dout23, label="backward(dout) の (dx, dy)")]),
    ])],
    "add_layer": [_layer("AddLayer", ReferenceAddLayer, [
        Scenario("りんご 200 円 + みかん 450 円", [
            new(), call("forward", 200.0, 450.0, label="forward(200, 450)"),
            call("backward", 1.1, label="backward(1.1) の (dx, dy)")]),
        Scenario("2×3 の配列どうし", [
            new(), call("forward", mul_x, mul_y, label="forward(x, y)"),
            call("backward", mul_dout, label="backward(dout) の (dx, dy)")]),
    ], ADD_MISTAKES, visible=[
        Scenario("りんご 200 円 + みかん 450 円", [
            new(), call("forward", 200.0, 450.0, label="forward(200, 450)"),
            call("backward", 1.1, label="backward(1.1) の (dx, dy)")]),
        Scenario("2×3 の配列どうし", [
            new(), call("forward", v_x23, v_y23, label="forward(x, y)"),
            call("backward", v_dout23, label="backward(dout) の (dx, dy)")]),
    ])],
    "relu_forward": [_layer("Relu", ReferenceRelu, [
        Scenario("正・負・0 が混ざった 3×4 の x（x は書き換えず、コピーしてから 0 を入れる）", [
            new(), call("forward", relu_x, label="forward(x)")]),
        Scenario("すべて負の 1 次元配列", [new(), call("forward", -np.arange(1.0, 5.0), label="forward(x)")]),
        Scenario("ランダムな 4×5 の x", [new(), call("forward", relu_x_rand, label="forward(x)")]),
    ], RELU_MISTAKES, visible=[
        Scenario("正・負・0 が混ざった 2×3 の x（x は書き換えない）", [new(), call("forward", v_relu_x, label="forward(x)")]),
        Scenario("1 次元の x", [new(), call("forward", np.array([-2.0, 0.0, 0.5, 3.0]), label="forward(x)")]),
    ])],
    "relu_backward": [_layer("Relu", ReferenceRelu, [
        Scenario("正・負・0 が混ざった x（dout も書き換えず、コピーしてから 0 を入れる）", [
            new(), call("forward", relu_x, record=False), call("backward", relu_dout, label="backward(dout) の戻り値 dx")]),
        Scenario("dout が 1 要素だけ 1（x > 0 の位置）", [
            new(), call("forward", relu_x, record=False),
            call("backward", _only((3, 4), (1, 1)), label="backward(dout) の戻り値 dx")]),
        Scenario("dout が 1 要素だけ 1（x < 0 の位置）", [
            new(), call("forward", relu_x, record=False),
            call("backward", _only((3, 4), (0, 1)), label="backward(dout) の戻り値 dx")]),
        Scenario("dout が 1 要素だけ 1（x == 0 の位置）", [
            new(), call("forward", relu_x, record=False),
            call("backward", _only((3, 4), (2, 1)), label="backward(dout) の戻り値 dx")]),
        Scenario("ランダムな 4×5 の x と dout、backward を 2 回", [
            new(), call("forward", relu_x_rand, record=False),
            call("backward", relu_dout_rand, label="1 回目の backward(dout)"),
            call("backward", relu_dout_rand * 2, label="2 回目の backward(2 * dout)")]),
    ], RELU_MISTAKES, visible=[
        Scenario("正・負・0 が混ざった 2×3 の x（dout は書き換えない）", [
            new(), call("forward", v_relu_x, record=False), call("backward", v_relu_dout, label="backward(dout) の戻り値 dx")]),
    ])],
    "sigmoid_forward": [_layer("Sigmoid", ReferenceSigmoid, [
        Scenario("2×3 の x（0 を含む）", [new(), call("forward", sig_x, label="forward(x)")]),
        Scenario("ランダムな 3×4 の x", [new(), call("forward", sig_x_rand, label="forward(x)")]),
    ], SIGMOID_MISTAKES, visible=[
        Scenario("2×3 の x（0 を含む）", [new(), call("forward", v_sig_x, label="forward(x)")]),
    ])],
    "sigmoid_backward": [_layer("Sigmoid", ReferenceSigmoid, [
        Scenario("2×3 の x と dout", [
            new(), call("forward", sig_x, record=False), call("backward", sig_dout, label="backward(dout) の戻り値 dx")]),
        Scenario("dout が 1 要素だけ 1", [
            new(), call("forward", sig_x, record=False),
            call("backward", _only((2, 3), (1, 2)), label="backward(dout) の戻り値 dx")]),
        Scenario("ランダムな 3×4 の x と dout", [
            new(), call("forward", sig_x_rand, record=False),
            call("backward", sig_dout_rand, label="backward(dout) の戻り値 dx")]),
    ], SIGMOID_MISTAKES, visible=[
        Scenario("2×3 の x と dout", [
            new(), call("forward", v_sig_x, record=False), call("backward", v_sig_dout, label="backward(dout) の戻り値 dx")]),
    ])],
    "sigmoid_stable": [_layer("Sigmoid", ReferenceSigmoid, [
        Scenario("極端な値 [-1000, -50, 0, 50, 1000]", [
            new(), call("forward", sig_extreme, label="forward(x)", forbid_warnings=True),
            call("backward", np.ones(5), label="backward(1) の戻り値 dx", forbid_warnings=True)]),
    ], SIGMOID_MISTAKES, visible=[
        Scenario("極端な値 [-1000, 0, 1000]（警告を出さない）", [
            new(), call("forward", np.array([-1000.0, 0.0, 1000.0]), label="forward(x)", forbid_warnings=True),
            call("backward", np.ones(3), label="backward(1) の戻り値 dx", forbid_warnings=True)]),
    ])],
    "affine_forward": [_layer("Affine", ReferenceAffine, [
        Scenario("N=4, D=3, M=2", [new(aff_W, aff_b), call("forward", aff_x, label="forward(x)")]),
        Scenario("x がすべて 0（出力は b になる）", [new(aff_W, aff_b), call("forward", np.zeros((2, 3)), label="forward(x)")]),
        Scenario("1 サンプル（N=1）", [new(aff_W, aff_b), call("forward", aff_x1, label="forward(x)")]),
    ], AFFINE_MISTAKES, AFFINE_ERROR_HINTS, visible=[
        Scenario("N=2, D=3, M=2", [new(v_aff_W, v_aff_b), call("forward", v_aff_x, label="forward(x)")]),
    ])],
    "affine_backward": [_layer("Affine", ReferenceAffine, [
        Scenario("W が正方行列（D=M=3）", [
            new(aff_Wsq, aff_bsq), call("forward", aff_xsq, record=False),
            call("backward", aff_doutsq, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
        Scenario("N=4, D=3, M=2 のバッチ", [
            new(aff_W, aff_b), call("forward", aff_x, record=False),
            call("backward", aff_dout, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
        Scenario("dout が 1 要素だけ 1（サンプル 2、出力 1）", [
            new(aff_W, aff_b), call("forward", aff_x, record=False),
            call("backward", _only((4, 2), (2, 1)), label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
        Scenario("x の 1 列（入力 1）だけが 0 でない", [
            new(aff_W, aff_b), call("forward", aff_x_col, record=False),
            call("backward", aff_dout, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
        Scenario("1 サンプル（N=1）", [
            new(aff_W, aff_b), call("forward", aff_x1, record=False),
            call("backward", aff_dout1, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
    ], AFFINE_MISTAKES, AFFINE_ERROR_HINTS, visible=[
        Scenario("W が正方行列（D=M=2）、N=3", [
            new(v_aff_Wsq, v_aff_bsq), call("forward", v_aff_xsq, record=False),
            call("backward", v_aff_doutsq, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
        Scenario("N=2, D=3, M=2", [
            new(v_aff_W, v_aff_b), call("forward", v_aff_x, record=False),
            call("backward", v_aff_dout, label="backward(dout) の戻り値 dx"), get("dW"), get("db")]),
    ])],
    "softmax_loss_forward": [_layer("SoftmaxWithLoss", ReferenceSoftmaxWithLoss, [
        Scenario("本の例 [0.3, 2.9, 4.0]、正解は 2（1 サンプル）", [
            new(), call("forward", sm_x1, sm_t1, label="forward(x, t) の損失")]),
        Scenario("4 サンプル・3 クラス", [new(), call("forward", sm_x, sm_t, label="forward(x, t) の損失")]),
        Scenario("極端なスコア ±1000", [
            new(), call("forward", sm_x_big, sm_t_big, label="forward(x, t) の損失", forbid_warnings=True)]),
        Scenario("5 サンプル・10 クラス", [new(), call("forward", sm_x_wide, sm_t_wide, label="forward(x, t) の損失")]),
    ], SOFTMAX_LOSS_MISTAKES, visible=[
        Scenario("本の例 [0.3, 2.9, 4.0]、正解は 2（1 サンプル）", [
            new(), call("forward", sm_x1, sm_t1, label="forward(x, t) の損失")]),
        Scenario("2 サンプル・3 クラス", [new(), call("forward", v_sm_x, v_sm_t, label="forward(x, t) の損失")]),
        Scenario("極端なスコア ±1000（警告を出さない）", [
            new(), call("forward", v_sm_big, v_sm_t_big, label="forward(x, t) の損失", forbid_warnings=True)]),
    ])],
    "softmax_loss_backward": [_layer("SoftmaxWithLoss", ReferenceSoftmaxWithLoss, [
        Scenario("本の例（1 サンプル）", [
            new(), call("forward", sm_x1, sm_t1, record=False), call("backward", label="backward() の戻り値 dx")]),
        Scenario("4 サンプル・3 クラス", [
            new(), call("forward", sm_x, sm_t, record=False), call("backward", label="backward() の戻り値 dx")]),
        Scenario("極端なスコア ±1000", [
            new(), call("forward", sm_x_big, sm_t_big, record=False),
            call("backward", label="backward() の戻り値 dx", forbid_warnings=True)]),
        Scenario("5 サンプル・10 クラス", [
            new(), call("forward", sm_x_wide, sm_t_wide, record=False), call("backward", label="backward() の戻り値 dx")]),
    ], SOFTMAX_LOSS_MISTAKES, visible=[
        Scenario("2 サンプル・3 クラス", [
            new(), call("forward", v_sm_x, v_sm_t, record=False), call("backward", label="backward() の戻り値 dx")]),
        Scenario("極端なスコア ±1000（警告を出さない）", [
            new(), call("forward", v_sm_big, v_sm_t_big, record=False),
            call("backward", label="backward() の戻り値 dx", forbid_warnings=True)]),
    ])],
}
