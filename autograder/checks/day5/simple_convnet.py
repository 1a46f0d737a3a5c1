"""Hidden checks of 5_4_simple_convnet: the network ``SimpleConvNet``.

Conventions stated in the notebook and tested here (the reference is ``course.convnet.SimpleConvNet``):
- ``SimpleConvNet(input_dim=(1, 28, 28), conv_param={...}, hidden_size=100, output_size=10,
  weight_init_std=0.01, seed=0)``; every scenario passes all arguments (conv_param with all four keys).
- Layout Conv1 → Relu1 → Pool1 (2×2 max, stride 2) → Affine1 → Relu2 → Affine2 → SoftmaxWithLoss;
  conv output OH = (H + 2 pad - FH) // stride + 1 (likewise OW, computed separately for non-square
  inputs); pooled size OH // 2 × OW // 2; W2 has FN * (OH // 2) * (OW // 2) rows.
- Initialisation: ``rng = np.random.default_rng(seed)``; W1, W2, W3 drawn in this order as
  ``weight_init_std * rng.standard_normal(shape)``; biases zero.
- ``params`` holds the arrays the layers use (filling ``params["W1"]`` in place changes the network).
- ``predict(x)`` → scores before softmax (N, output_size); ``loss(x, t)`` → mean cross-entropy
  (t as labels); ``gradient(x, t)`` → dict with the six keys of ``params``, by backpropagation.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put
from course.convnet import SimpleConvNet as ReferenceSimpleConvNet
from course.functions import softmax
from course.im2col import conv_output_size

NOTEBOOK = "5_4_simple_convnet"

RTOL, ATOL = 1e-6, 1e-9
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


# --------------------------------------------------------------------------- typical mistakes
def _with_params(net, params):
    """Rebuild ``net`` around ``params`` (same layer objects, new arrays)."""
    net.params = params
    net.layers["Conv1"].W, net.layers["Conv1"].b = params["W1"], params["b1"]
    net.layers["Affine1"].W, net.layers["Affine1"].b = params["W2"], params["b2"]
    net.layers["Affine2"].W, net.layers["Affine2"].b = params["W3"], params["b3"]


def _shapes(input_dim, conv_param, hidden_size, output_size, pooled):
    C = input_dim[0]
    fn, fs = conv_param["filter_num"], conv_param["filter_size"]
    return {"W1": (fn, C, fs, fs), "W2": (pooled, hidden_size), "W3": (hidden_size, output_size)}


class _Redrawn(ReferenceSimpleConvNet):
    """The reference layout with the weights drawn differently (``draw(rng, shapes) -> dict``)."""

    pooled_size = None

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10, weight_init_std=0.01,
                 seed=0):
        super().__init__(input_dim, conv_param, hidden_size, output_size, weight_init_std, seed)
        C, H, W = input_dim
        cp = conv_param
        oh = conv_output_size(H, cp["filter_size"], cp["stride"], cp["pad"])
        ow = conv_output_size(W, cp["filter_size"], cp["stride"], cp["pad"])
        pooled = self.pooled_size(cp["filter_num"], oh, ow)
        shapes = _shapes(input_dim, cp, hidden_size, output_size, pooled)
        params = {k: np.asarray(v, dtype=float) for k, v in self.draw(seed, shapes, weight_init_std).items()}
        params.update({"b1": np.zeros(cp["filter_num"]), "b2": np.zeros(hidden_size), "b3": np.zeros(output_size)})
        _with_params(self, params)

    @staticmethod
    def pooled_size(fn, oh, ow):
        return fn * (oh // 2) * (ow // 2)

    @staticmethod
    def draw(seed, shapes, std):
        rng = np.random.default_rng(seed)
        return {k: std * rng.standard_normal(shapes[k]) for k in ("W1", "W2", "W3")}


class _GlobalRandom(_Redrawn):
    @staticmethod
    def draw(seed, shapes, std):
        state = np.random.RandomState(seed)
        return {k: std * state.randn(*shapes[k]) for k in ("W1", "W2", "W3")}


class _DrawOrder(_Redrawn):
    @staticmethod
    def draw(seed, shapes, std):
        rng = np.random.default_rng(seed)
        return {k: std * rng.standard_normal(shapes[k]) for k in ("W1", "W3", "W2")}


class _NewGeneratorEach(_Redrawn):
    @staticmethod
    def draw(seed, shapes, std):
        return {k: std * np.random.default_rng(seed).standard_normal(shapes[k]) for k in ("W1", "W2", "W3")}


class _NoScale(_Redrawn):
    @staticmethod
    def draw(seed, shapes, std):
        rng = np.random.default_rng(seed)
        return {k: rng.standard_normal(shapes[k]) for k in ("W1", "W2", "W3")}


class _BookPoolSize(_Redrawn):
    """The book's ``int(filter_num * (conv_output_size / 2) * (conv_output_size / 2))``."""

    @staticmethod
    def pooled_size(fn, oh, ow):
        return int(fn * (oh / 2) * (ow / 2))


class _SquareOnly(ReferenceSimpleConvNet):
    """Uses the height H for the width too (the book assumes square images)."""

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10, weight_init_std=0.01,
                 seed=0):
        C, H, W = input_dim
        super().__init__((C, H, H), conv_param, hidden_size, output_size, weight_init_std, seed)


class _NoPoolSizeHalving(_Redrawn):
    @staticmethod
    def pooled_size(fn, oh, ow):
        return fn * oh * ow


class _LayersCopyParams(ReferenceSimpleConvNet):
    """The layers hold copies: filling ``params`` afterwards does not change the network."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_params(self, {k: v.copy() for k, v in self.params.items()})
        self.params = {k: v.copy() for k, v in self.params.items()}


class _NoReluAfterConv(ReferenceSimpleConvNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers["Relu1"]


class _NoReluAfterAffine(ReferenceSimpleConvNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers["Relu2"]


class _PredictSoftmax(ReferenceSimpleConvNet):
    def predict(self, x):
        return softmax(super().predict(x))


class _GradientKeysShifted(ReferenceSimpleConvNet):
    def gradient(self, x, t):
        g = super().gradient(x, t)
        return {"W1": g["W1"], "b1": g["b1"], "W2": g["W3"], "b2": g["b3"], "W3": g["W2"], "b3": g["b2"]}


class _GradientReturnsParams(ReferenceSimpleConvNet):
    def gradient(self, x, t):
        super().gradient(x, t)
        return {k: self.params[k].copy() for k in KEYS}


class _GradientWithoutBiases(ReferenceSimpleConvNet):
    def gradient(self, x, t):
        g = super().gradient(x, t)
        return {k: g[k] for k in ("W1", "W2", "W3")}


MISTAKES = [
    Mistake("重みの初期値が違います。rng = np.random.default_rng(seed) を 1 つ作り、weight_init_std * "
            "rng.standard_normal(形状) で W1, W2, W3 の順に引きます（np.random.randn や np.random.seed は使いません）。",
            _GlobalRandom),
    Mistake("重みを引く順番が違います。同じ rng から W1 → W2 → W3 の順に引きます。", _DrawOrder),
    Mistake("重みごとに np.random.default_rng(seed) を作り直しています。Generator は最初に 1 つだけ作り、"
            "そこから W1, W2, W3 を続けて引きます。", _NewGeneratorEach),
    Mistake("重みに weight_init_std を掛けていません。W = weight_init_std * rng.standard_normal(形状) です。", _NoScale),
    Mistake("プーリング後の要素数の計算が違います。畳み込みの出力 OH × OW を 2×2、stride 2 でプーリングすると "
            "(OH // 2) × (OW // 2) になります（奇数のときは切り捨て）。書籍の int(FN * (OH / 2) * (OW / 2)) は "
            "OH が奇数のとき合いません。", _BookPoolSize),
    Mistake("入力の幅 W の代わりに高さ H を使っています。入力は正方形とは限らないので、畳み込みの出力の高さ OH と"
            "幅 OW を別々に計算します。", _SquareOnly),
    Mistake("W2 の行数にプーリングの効果が入っていません。Affine1 への入力はプーリング後の "
            "FN × (OH // 2) × (OW // 2) 要素です。", _NoPoolSizeHalving),
    Mistake("params の配列とレイヤが使う配列が別々になっています。レイヤには params['W1'] などの配列そのものを"
            "渡し（コピーしない）、params を書き換えるとネットワークも変わるようにします。", _LayersCopyParams),
    Mistake("畳み込み層のあとの ReLU がありません。Conv1 → Relu1 → Pool1 の順です。", _NoReluAfterConv),
    Mistake("1 つめの Affine 層のあとの ReLU がありません。Affine1 → Relu2 → Affine2 の順です。", _NoReluAfterAffine),
    Mistake("predict がソフトマックスをかけた確率を返しています。predict は最後の Affine 層の出力（ソフトマックスの前の"
            "スコア）を返し、ソフトマックスは SoftmaxWithLoss の中だけで計算します。", _PredictSoftmax),
    Mistake("gradient の W2, b2 と W3, b3 が入れ替わっています。W2, b2 は Affine1 の dW, db、W3, b3 は Affine2 の"
            " dW, db です。", _GradientKeysShifted),
    Mistake("gradient がパラメータそのもの（params の値）を返しています。逆伝播のあと、各レイヤの dW, db を集めて"
            "返します。", _GradientReturnsParams),
    Mistake("gradient の戻り値にバイアスの勾配 b1, b2, b3 がありません。params と同じ 6 つのキーをそろえます。",
            _GradientWithoutBiases),
]

ERROR_HINTS = [
    ("mismatch", "行列の形が合っていません。W2 の行数はプーリング後の要素数 FN × (OH // 2) × (OW // 2) です。"
                 "OH = (H + 2*pad - filter_size) // stride + 1 です（OW も同じ式で W から）。"),
    ("shapes", "行列の形が合っていません。W2 の行数はプーリング後の要素数 FN × (OH // 2) × (OW // 2) です。"
               "OH = (H + 2*pad - filter_size) // stride + 1 です（OW も同じ式で W から）。"),
    ("KeyError", "conv_param は 'filter_num', 'filter_size', 'pad', 'stride' の 4 つのキーをもつ辞書です。"
                 "gradient の戻り値は params と同じキー 'W1', 'b1', 'W2', 'b2', 'W3', 'b3' の辞書です。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(5400)


def _conv(fn, fs, pad=0, stride=1):
    return {"filter_num": fn, "filter_size": fs, "pad": pad, "stride": stride}


# (input_dim, conv_param, hidden_size, output_size, weight_init_std, seed)
NET_SMALL = ((1, 8, 8), _conv(3, 3), 5, 4, 0.01, 0)        # conv 6×6 → pool 3×3
NET_ODD = ((1, 9, 9), _conv(2, 3), 4, 3, 0.1, 7)           # conv 7×7 (odd) → pool 3×3
NET_RECT = ((2, 7, 10), _conv(3, 3, pad=1), 6, 3, 0.05, 3)  # non-square, padding: conv 7×10 → pool 3×5
NET_STRIDE = ((1, 9, 9), _conv(2, 3, stride=2), 5, 4, 0.2, 11)  # stride 2: conv 4×4 → pool 2×2
V_NET = ((1, 6, 6), _conv(2, 3), 4, 3, 0.1, 1)             # conv 4×4 → pool 2×2
V_NET_ODD = ((1, 7, 9), _conv(2, 3), 3, 3, 0.5, 2)         # conv 5×7 (odd, non-square) → pool 2×3
V_NET_PAD = ((2, 5, 5), _conv(2, 3, pad=1, stride=2), 3, 2, 0.3, 4)  # pad 1, stride 2: conv 3×3 → pool 1×1


def _params(net, scale):
    """Random parameters for ``net`` (scale ~ 1 so that ReLU and pooling both cut)."""
    reference = ReferenceSimpleConvNet(*net)
    return {k: rng.normal(size=v.shape) * (0.1 if k.startswith("b") else scale) for k, v in reference.params.items()}


def _data(net, n):
    C, H, W = net[0]
    return rng.normal(size=(n, C, H, W)), rng.integers(0, net[3], size=n)


def _init_steps():
    return [get("params." + k) for k in KEYS]


def _set(params):
    return [put("params." + k, v) for k, v in params.items()]


def _grad_steps(x, t):
    return [call("gradient", x, t, label="gradient(x, t) の戻り値")]


def _check(scenarios, visible):
    return ClassCheck(function="SimpleConvNet", reference=ReferenceSimpleConvNet, scenarios=scenarios, visible=visible,
                      mistakes=MISTAKES, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


def _scenarios(kind):
    """Hidden scenarios of one cell; ``kind`` is "init", "predict" or "gradient"."""
    out = []
    for label, net, scale, n in [("1×8×8 の入力、3×3 のフィルター 3 枚", NET_SMALL, 0.5, 4),
                                 ("1×9×9 の入力（畳み込みの出力が 7×7 で奇数）", NET_ODD, 0.4, 3),
                                 ("2×7×10 の入力（正方形でない、pad 1）", NET_RECT, 0.3, 3),
                                 ("1×9×9 の入力、stride 2", NET_STRIDE, 0.5, 5)]:
        if kind == "init":
            out.append(Scenario(f"{label}: 初期化したパラメータ", [new(*net), *_init_steps()]))
            continue
        x, t = _data(net, n)
        steps = [new(*net), *_set(_params(net, scale))]
        if kind == "predict":
            steps += [call("predict", x, label="predict(x) の戻り値"), call("loss", x, t, label="loss(x, t) の戻り値")]
        else:
            steps += _grad_steps(x, t)
            x2, t2 = _data(net, n)
            steps += [call("loss", x2, t2, record=False), *_grad_steps(x2[:2], t2[:2])]
        out.append(Scenario(label, steps))
    return out


def _visible(kind):
    out = []
    for label, net, scale in [("1×6×6 の入力、3×3 のフィルター 2 枚", V_NET, 0.6),
                              ("1×7×9 の入力（畳み込みの出力が 5×7 で奇数、正方形でない）", V_NET_ODD, 0.5),
                              ("2×5×5 の入力、pad 1、stride 2", V_NET_PAD, 0.5)]:
        if kind == "init":
            out.append(Scenario(f"{label}: 初期化したパラメータ", [new(*net), *_init_steps()]))
            continue
        C, H, W = net[0]
        x = np.sin(np.arange(3 * C * H * W) * 0.37).reshape(3, C, H, W)
        t = np.arange(3) % net[3]
        params = {k: np.cos(np.arange(v.size) * (1.3 if k.startswith("W") else 0.7)).reshape(v.shape)
                  * (scale if k.startswith("W") else 0.1)
                  for k, v in ReferenceSimpleConvNet(*net).params.items()}
        steps = [new(*net), *_set(params)]
        if kind == "predict":
            steps += [call("predict", x, label="predict(x) の戻り値"), call("loss", x, t, label="loss(x, t) の戻り値")]
        else:
            steps += _grad_steps(x, t)
        out.append(Scenario(label, steps))
    return out


CHECKS = {
    "simple_convnet_init": [_check(_scenarios("init"), _visible("init"))],
    "simple_convnet_predict": [_check(_scenarios("predict"), _visible("predict"))],
    "simple_convnet_gradient": [_check(_scenarios("gradient"), _visible("gradient"))],
}
