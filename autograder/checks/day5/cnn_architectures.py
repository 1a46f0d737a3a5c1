"""Hidden checks of 5_6_cnn_architectures: parameter and FLOP counting, the residual block.

Conventions stated in the notebook and tested here:
- A network is ``input_shape = (C, H, W)`` and ``layers``, a list of one-key dicts:
  ``{"conv": (FN, FH, FW, stride, pad)}`` (FN filters of C×FH×FW with a bias each, zero padding ``pad`` on
  every side), ``{"pool": (PH, PW, stride)}`` (max pooling, no padding), ``{"relu": ()}`` and
  ``{"affine": (out,)}`` (fully connected with bias; its input, whatever its shape, is flattened).
  Output size of conv/pool: ``(H + 2*pad - FH) // stride + 1`` (pool: pad = 0). After an affine the shape is
  ``(out,)``; only relu and affine follow an affine.
- ``count_params(input_shape, layers)``: a list of ints, one per layer: conv ``FN*C*FH*FW + FN``,
  affine ``n_in*out + out``, pool and relu 0.
- ``count_flops(input_shape, layers)``: a list of ints, one per layer, FLOPs = multiply-adds (one
  multiplication and the addition that follows count once; bias additions, ReLU and pooling count 0):
  conv ``FN*OH*OW * C*FH*FW``, affine ``n_in*out``.
- ``ResidualBlock(W1, b1, W2, b2)``: x (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,);
  ``forward(x) = relu(x + relu(x @ W1 + b1) @ W2 + b2)``; ``backward(dout)`` returns dx (the skip path
  plus the path through F) and stores ``dW1, db1, dW2, db2``; ReLU's derivative at exactly 0 is 0.
  ``self.W1`` etc. are the arrays given (not copied); nothing given is modified.
"""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new

NOTEBOOK = "5_6_cnn_architectures"


# --------------------------------------------------------------------------- counting
def _walk(input_shape, layers, *, bias=True, channels=True, out_size="right", flatten="all", pool_shrinks=True,
          mac=1, bias_flops=False):
    """Per-layer (params, flops) under a counting rule; the keyword arguments make the typical mistakes."""
    shape = tuple(int(s) for s in input_shape)
    params, flops = [], []
    for layer in layers:
        (kind, spec), = layer.items()
        if kind == "conv":
            fn, fh, fw, stride, pad = (int(v) for v in spec)
            c, h, w = shape
            if out_size == "right":
                oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
            elif out_size == "no_plus_one":
                oh, ow = (h + 2 * pad - fh) // stride, (w + 2 * pad - fw) // stride
            elif out_size == "no_pad":
                oh, ow = (h - fh) // stride + 1, (w - fw) // stride + 1
            else:  # "input": the input size instead of the output size
                oh, ow = h, w
            cc = c if channels else 1
            params.append(fn * cc * fh * fw + (fn if bias in (True, "conv_only") else 0))
            flops.append(mac * fn * oh * ow * cc * fh * fw + (fn * oh * ow if bias_flops else 0))
            shape = (fn, oh, ow) if out_size != "input" else (fn, (h + 2 * pad - fh) // stride + 1,
                                                               (w + 2 * pad - fw) // stride + 1)
        elif kind == "pool":
            ph, pw, stride = (int(v) for v in spec)
            c, h, w = shape
            params.append(0)
            flops.append(0)
            shape = (c, (h - ph) // stride + 1, (w - pw) // stride + 1) if pool_shrinks else shape
        elif kind == "relu":
            params.append(0)
            flops.append(0)
        elif kind == "affine":
            out = int(spec[0])
            n_in = int(np.prod(shape)) if flatten == "all" or len(shape) == 1 else int(np.prod(shape[1:]))
            params.append(n_in * out + (out if bias in (True, "affine_only") else 0))
            flops.append(mac * n_in * out + (out if bias_flops else 0))
            shape = (out,)
        else:
            raise ValueError(f"unknown layer {kind!r}")
    return params, flops


def reference_count_params(input_shape, layers):
    return _walk(input_shape, layers)[0]


def reference_count_flops(input_shape, layers):
    return _walk(input_shape, layers)[1]


def _params_mistake(**rule):
    return lambda input_shape, layers: _walk(input_shape, layers, **rule)[0]


def _flops_mistake(**rule):
    return lambda input_shape, layers: _walk(input_shape, layers, **rule)[1]


BIAS_HINT = ("バイアスを数えていません。畳み込み層はフィルターごとに 1 つ（FN 個）、全結合層は出力ごとに 1 つ（out 個）の"
             "バイアスを持ちます。")
PARAM_MISTAKES = [
    Mistake(BIAS_HINT, _params_mistake(bias=False)),
    Mistake(BIAS_HINT, _params_mistake(bias="affine_only")),
    Mistake(BIAS_HINT, _params_mistake(bias="conv_only")),
    Mistake("畳み込み層のフィルターの入力チャンネル数 C を掛けていません。1 つのフィルターは C×FH×FW 個の重みを持ち、"
            "重みは全部で FN×C×FH×FW 個です。", _params_mistake(channels=False)),
    Mistake("全結合層の入力の大きさを、チャンネル数を含めずに数えています。入力 (C, H, W) は C×H×W 個の値に平らにして"
            "全結合層に入ります。", _params_mistake(flatten="spatial")),
    Mistake("プーリング層のあとの大きさを更新していません。プーリングは縦横を (H - PH) // stride + 1 に縮め、"
            "その後の層の入力の大きさが変わります。", _params_mistake(pool_shrinks=False)),
]
FLOP_MISTAKES = [
    Mistake("出力の大きさではなく入力の大きさ H×W を掛けています。畳み込みの積和の回数は、出力の画素ごとに "
            "C×FH×FW 回なので FN×OH×OW×C×FH×FW です。", _flops_mistake(out_size="input")),
    Mistake("出力の大きさの式に + 1 がありません。OH = (H + 2*pad - FH) // stride + 1 です。",
            _flops_mistake(out_size="no_plus_one")),
    Mistake("出力の大きさにパディングを入れていません。OH = (H + 2*pad - FH) // stride + 1 です。",
            _flops_mistake(out_size="no_pad")),
    Mistake("入力チャンネル数 C を掛けていません。出力の 1 画素を作るのに C×FH×FW 回の積和が要ります。",
            _flops_mistake(channels=False)),
    Mistake("掛け算と足し算を別々に数えています（2 倍になっています）。このノートブックの FLOPs は積和"
            "（multiply-add）の回数で、1 回の掛け算とそれに続く足し算をまとめて 1 と数えます。", _flops_mistake(mac=2)),
    Mistake("バイアスの足し算も数えています。このノートブックでは積和の回数だけを数え、バイアスの加算は数えません。",
            _flops_mistake(bias_flops=True)),
    Mistake("プーリング層のあとの大きさを更新していません。プーリングは縦横を (H - PH) // stride + 1 に縮めます。",
            _flops_mistake(pool_shrinks=False)),
    Mistake("全結合層の入力の大きさを、チャンネル数を含めずに数えています。入力 (C, H, W) は C×H×W 個の値に平らにして"
            "全結合層に入ります。", _flops_mistake(flatten="spatial")),
]


def conv(fn, fh, fw=None, stride=1, pad=0):
    return {"conv": (fn, fh, fh if fw is None else fw, stride, pad)}


def pool(ph, pw=None, stride=None):
    return {"pool": (ph, ph if pw is None else pw, ph if stride is None else stride)}


RELU, affine = {"relu": ()}, (lambda out: {"affine": (out,)})

LENET = [conv(6, 5), RELU, pool(2), conv(16, 5), RELU, pool(2), affine(120), RELU, affine(84), RELU, affine(10)]
V_SMALL = [conv(4, 3, pad=1), RELU, pool(2), affine(10)]
V_STRIDE = [conv(8, 3, stride=2, pad=1), RELU, conv(8, 3), RELU, affine(5)]
H_VGGISH = [conv(16, 3, pad=1), RELU, conv(16, 3, pad=1), RELU, pool(2), conv(32, 3, pad=1), RELU,
            conv(32, 3, pad=1), RELU, pool(2), affine(128), RELU, affine(15)]
H_RECT = [conv(5, 3, 5, stride=2, pad=2), RELU, pool(3, 2, 2), conv(7, 1), affine(9), RELU, affine(3)]
H_ALEXISH = [conv(12, 11, stride=4, pad=2), RELU, pool(3, stride=2), conv(20, 5, pad=2), RELU, pool(3, stride=2),
             affine(64), affine(10)]
H_MLP = [affine(100), RELU, affine(100), RELU, affine(15)]


def _counting_check(function, reference, mistakes):
    return FunctionCheck(
        function=function, reference=reference, dtype="int", rtol=0.0, atol=0.0,
        visible=[Case("3×3 の畳み込み（パディング 1）→ ReLU → 2×2 プーリング → 全結合（入力 (1, 8, 8)）",
                      ((1, 8, 8), V_SMALL)),
                 Case("ストライド 2 の畳み込みとパディングなしの畳み込み（入力 (3, 9, 7)）", ((3, 9, 7), V_STRIDE)),
                 Case("LeNet 風（入力 (1, 32, 32)）", ((1, 32, 32), LENET))],
        cases=[Case("VGG 風（3×3 の畳み込み 4 層、入力 (1, 28, 28)）", ((1, 28, 28), H_VGGISH)),
               Case("長方形のフィルターと 1×1 の畳み込み（入力 (2, 11, 13)）", ((2, 11, 13), H_RECT)),
               Case("AlexNet 風（11×11 ストライド 4、入力 (3, 67, 67)）", ((3, 67, 67), H_ALEXISH)),
               Case("全結合だけのネットワーク（入力 (1, 28, 28)）", ((1, 28, 28), H_MLP)),
               Case("LeNet 風（入力 (1, 32, 32)）", ((1, 32, 32), LENET))],
        mistakes=mistakes)


# --------------------------------------------------------------------------- the residual block
class ReferenceResidualBlock:
    # switches for the typical mistakes (subclasses below); the reference has them all right
    skip_forward, final_relu, relu_before_add = True, True, False
    skip_backward, through_F, outer_mask, inner_mask, bias_sum = True, True, True, True, True

    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2

    def forward(self, x):
        self.x = x
        self.h = x @ self.W1 + self.b1
        self.a = np.maximum(self.h, 0.0)
        f = self.a @ self.W2 + self.b2
        self.z = (x if self.skip_forward else 0.0) + f
        if self.relu_before_add:
            return x + np.maximum(f, 0.0)
        return np.maximum(self.z, 0.0) if self.final_relu else self.z

    def backward(self, dout):
        dz = dout * (self.z > 0) if self.outer_mask else dout
        dh = dz @ self.W2.T
        if self.inner_mask:
            dh = dh * (self.h > 0)
        total = np.sum if self.bias_sum else np.mean
        self.dW2, self.db2 = self.a.T @ dz, total(dz, axis=0)
        self.dW1, self.db1 = self.x.T @ dh, total(dh, axis=0)
        dx = dh @ self.W1.T if self.through_F else np.zeros_like(dz)
        return dx + dz if self.skip_backward else dx


def _wrong(**switches):
    return type("WrongResidualBlock", (ReferenceResidualBlock,), switches)


RESIDUAL_MISTAKES = [
    Mistake("順伝播でスキップ接続（x を足すこと）を忘れています。出力は relu(x + F(x)) です。",
            _wrong(skip_forward=False)),
    Mistake("ReLU を足し算の前に F(x) にかけています。ReLU は x + F(x) を足したあとにかけます: relu(x + F(x))。",
            _wrong(relu_before_add=True)),
    Mistake("backward で最後の ReLU のマスクを掛けていません。まず dz = dout * (x + F(x) > 0) を求め、"
            "それを 2 つの経路に流します。", _wrong(outer_mask=False)),
    Mistake("最後の ReLU がありません。出力は relu(x + F(x)) で、x + F(x) をそのまま返すのではありません。",
            _wrong(final_relu=False, outer_mask=False)),
    Mistake("backward でスキップ接続の経路を忘れています。y = relu(x + F(x)) なので、dx は F を通る勾配に"
            "スキップ接続を通る勾配 dz（= dout × ReLU のマスク）をそのまま足したものです。", _wrong(skip_backward=False)),
    Mistake("backward で F(x) を通る経路を忘れ、スキップ接続の勾配だけを返しています。dx = dz + (F を通った勾配) です。",
            _wrong(through_F=False)),
    Mistake("backward で F の中の ReLU のマスクを掛けていません。x @ W1 + b1 が 0 以下だった要素には勾配が流れません。",
            _wrong(inner_mask=False)),
    Mistake("バイアスの勾配をバッチ方向に平均しています。db1 = dh.sum(axis=0)、db2 = dz.sum(axis=0) です"
            "（平均ではなく合計）。", _wrong(bias_sum=False)),
]

rng = np.random.default_rng(5600)


def _block(d, h, scale=0.6):
    return (rng.normal(scale=scale, size=(d, h)), rng.normal(scale=0.3, size=h),
            rng.normal(scale=scale, size=(h, d)), rng.normal(scale=0.3, size=d))


P_A, P_B, P_C = _block(4, 3), _block(5, 6), _block(3, 3)
x_a, x_b, x_c = rng.normal(size=(6, 4)), rng.normal(size=(3, 5)), rng.normal(size=(1, 3))
d_a, d_b, d_c = rng.normal(size=(6, 4)), rng.normal(size=(3, 5)), rng.normal(size=(1, 3))
zero_F = (np.zeros((3, 2)), np.zeros(2), np.zeros((2, 3)), np.zeros(3))  # F(x) = 0: y = relu(x)

V_P = (np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]]), np.array([0.1, -0.2]),
       np.array([[0.7, -0.3, 0.2], [-0.5, 0.4, 0.6]]), np.array([0.05, -0.1, 0.2]))
v_x = np.array([[1.0, -0.5, 0.3], [-1.2, 0.4, 0.9], [0.2, 0.8, -0.7], [0.6, -0.3, -1.1]])
v_dout = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [-0.3, 0.2, 0.1], [0.7, -0.5, 0.2]])
V_Q = _block(4, 5)
v_x2, v_dout2 = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))


def _forward(params, x):
    return [new(*params), call("forward", x, label="forward(x) の出力 y")]


def _backward(params, x, dout):
    return [new(*params), call("forward", x, record=False), call("backward", dout, label="backward(dout) の戻り値 dx"),
            get("dW1"), get("db1"), get("dW2"), get("db2")]


def _residual_check(scenarios, visible, part):
    return ClassCheck(function="ResidualBlock", reference=ReferenceResidualBlock, scenarios=scenarios,
                      visible=visible, mistakes=RESIDUAL_MISTAKES, rtol=1e-9, atol=1e-12, dtype="float", part=part)


CHECKS = {
    "count_params_values": [_counting_check("count_params", reference_count_params, PARAM_MISTAKES)],
    "count_flops_values": [_counting_check("count_flops", reference_count_flops, FLOP_MISTAKES)],
    "residual_block_forward": [_residual_check(
        [Scenario("D = 4, 隠れ層 3、バッチ 6", _forward(P_A, x_a)),
         Scenario("D = 5, 隠れ層 6、バッチ 3", _forward(P_B, x_b)),
         Scenario("F(x) = 0（重みとバイアスがすべて 0: 出力は relu(x)）", _forward(zero_F, x_c)),
         Scenario("1 行だけの x", _forward(P_C, x_c))],
        [Scenario("D = 3, 隠れ層 2、バッチ 4", _forward(V_P, v_x)),
         Scenario("D = 4, 隠れ層 5、バッチ 5", _forward(V_Q, v_x2)),
         Scenario("F(x) = 0（重みとバイアスがすべて 0: 出力は relu(x)）", _forward(zero_F, v_x))], "forward")],
    "residual_block_backward": [_residual_check(
        [Scenario("D = 4, 隠れ層 3、バッチ 6", _backward(P_A, x_a, d_a)),
         Scenario("D = 5, 隠れ層 6、バッチ 3", _backward(P_B, x_b, d_b)),
         Scenario("F(x) = 0（勾配はスキップ接続だけを通る）", _backward(zero_F, x_c, d_c)),
         Scenario("1 行だけの x", _backward(P_C, x_c, d_c))],
        [Scenario("D = 3, 隠れ層 2、バッチ 4", _backward(V_P, v_x, v_dout)),
         Scenario("D = 4, 隠れ層 5、バッチ 5", _backward(V_Q, v_x2, v_dout2)),
         Scenario("F(x) = 0（勾配はスキップ接続だけを通る）", _backward(zero_F, v_x, v_dout))], "backward")],
}
