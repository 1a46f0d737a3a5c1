"""Hidden checks of 8_1_autoencoder: the fully connected ``Autoencoder`` and ``add_noise``.

Conventions stated in the notebook and tested here (the reference is ``course.autoencoder``):
- ``Autoencoder(input_size, hidden_size, latent_size, seed=0)``; encoder Affine1 (W1, b1) → Relu →
  Affine2 (W2, b2) = the code z (no activation); decoder Affine3 (W3, b3) → Relu → Affine4 (W4, b4) →
  Sigmoid. He initialisation from one ``rng = np.random.default_rng(seed)``:
  ``Wk = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)`` in the order W1..W4; biases 0.
  ``params`` holds the arrays the layers use (filling ``params["W1"]`` in place changes the network).
- ``encode(x)`` (N, D) → z (N, Z); ``decode(z)`` → (N, D); ``forward(x) = decode(encode(x))``.
- ``loss(x, t)`` = ``0.5 * np.sum((forward(x) - t) ** 2) / N`` (mean over the batch of the book's
  sum_squared_error of each image; t is the image to reconstruct).
- ``gradient(x, t)`` → dict W1, b1, …, W4, b4 of that loss by backpropagation.
- ``add_noise(x, rng, noise_std=0.3)`` = ``np.clip(x + rng.normal(0.0, noise_std, size=x.shape), 0, 1)``:
  one draw of the whole shape, a new float array, x unchanged.
"""

import numpy as np

from course.autoencoder import Autoencoder as ReferenceAutoencoder
from course.autoencoder import add_noise as reference_add_noise
from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put
from course.layers import Affine, Relu, Sigmoid
from course.probe import GLOBAL_SEED, Seeded

NOTEBOOK = "8_1_autoencoder"

RTOL, ATOL = 1e-7, 1e-10
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")


# --------------------------------------------------------------------------- wrong networks
class _Init(ReferenceAutoencoder):
    """The reference wiring with the weights drawn by ``draw(rng_seed, sizes) -> list of arrays``."""

    def __init__(self, input_size=784, hidden_size=128, latent_size=2, seed=0):
        super().__init__(input_size, hidden_size, latent_size, seed)
        sizes = [(input_size, hidden_size), (hidden_size, latent_size), (latent_size, hidden_size),
                 (hidden_size, input_size)]
        for k, W in enumerate(self.draw(seed, sizes), start=1):
            self.params[f"W{k}"][...] = W

    @staticmethod
    def draw(seed, sizes):
        raise NotImplementedError


class _Xavier(_Init):
    @staticmethod
    def draw(seed, sizes):
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s) * np.sqrt(1.0 / s[0]) for s in sizes]


class _FanOut(_Init):
    @staticmethod
    def draw(seed, sizes):
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s) * np.sqrt(2.0 / s[1]) for s in sizes]


class _NoScale(_Init):
    @staticmethod
    def draw(seed, sizes):
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s) for s in sizes]


class _GlobalRandom(_Init):
    @staticmethod
    def draw(seed, sizes):
        state = np.random.RandomState(seed)
        return [state.randn(*s) * np.sqrt(2.0 / s[0]) for s in sizes]


class _NewGeneratorEach(_Init):
    @staticmethod
    def draw(seed, sizes):
        return [np.random.default_rng(seed).standard_normal(s) * np.sqrt(2.0 / s[0]) for s in sizes]


class _Wired(ReferenceAutoencoder):
    """The reference network with other layer lists (same parameter arrays)."""

    def __init__(self, input_size=784, hidden_size=128, latent_size=2, seed=0):
        super().__init__(input_size, hidden_size, latent_size, seed)
        p = self.params
        self.encoder, self.decoder = self.layers(p)

    @staticmethod
    def layers(p):
        raise NotImplementedError


class _ReluOnCode(_Wired):
    @staticmethod
    def layers(p):
        return ([Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"]), Relu()],
                [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"]), Sigmoid()])


class _SigmoidOnCode(_Wired):
    @staticmethod
    def layers(p):
        return ([Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"]), Sigmoid()],
                [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"]), Sigmoid()])


class _NoOutputSigmoid(_Wired):
    @staticmethod
    def layers(p):
        return ([Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"])],
                [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"])])


class _NoDecoderRelu(_Wired):
    @staticmethod
    def layers(p):
        return ([Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"])],
                [Affine(p["W3"], p["b3"]), Affine(p["W4"], p["b4"]), Sigmoid()])


class _NoEncoderRelu(_Wired):
    @staticmethod
    def layers(p):
        return ([Affine(p["W1"], p["b1"]), Affine(p["W2"], p["b2"])],
                [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"]), Sigmoid()])


class _LayersCopyParams(ReferenceAutoencoder):
    """The layers hold copies: filling ``params`` afterwards does not change the network."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = {k: v.copy() for k, v in self.params.items()}


class _Loss(ReferenceAutoencoder):
    """``loss`` and ``gradient`` computed from ``y`` and ``t`` by ``value(y, t)`` and ``dy(y, t)``."""

    def loss(self, x, t):
        return float(self.value(self.forward(x), x, t))

    def gradient(self, x, t):
        dout = self.dy(self.forward(x), x, t)
        for layer in reversed(self.encoder + self.decoder):
            dout = layer.backward(dout)
        affines = [self.encoder[0], self.encoder[2], self.decoder[0], self.decoder[2]]
        grads = {}
        for k, layer in enumerate(affines, start=1):
            grads[f"W{k}"], grads[f"b{k}"] = layer.dW, layer.db
        return grads

    @staticmethod
    def value(y, x, t):
        return 0.5 * np.sum((y - t) ** 2) / len(y)

    @staticmethod
    def dy(y, x, t):
        return (y - t) / len(y)


def _loss_variant(name, value=None, dy=None):
    body = {}
    if value is not None:
        body["value"] = staticmethod(value)
    if dy is not None:
        body["dy"] = staticmethod(dy)
    return type(name, (_Loss,), body)


# the loss and its gradient wrong in the same way (what a consistent student writes)
_NoHalf = _loss_variant("_NoHalf", lambda y, x, t: np.sum((y - t) ** 2) / len(y), lambda y, x, t: 2 * (y - t) / len(y))
_MeanOverPixels = _loss_variant("_MeanOverPixels", lambda y, x, t: 0.5 * np.mean((y - t) ** 2),
                                lambda y, x, t: (y - t) / y.size)
_SumOverBatch = _loss_variant("_SumOverBatch", lambda y, x, t: 0.5 * np.sum((y - t) ** 2), lambda y, x, t: y - t)
_AgainstInput = _loss_variant("_AgainstInput", lambda y, x, t: 0.5 * np.sum((y - x) ** 2) / len(y),
                              lambda y, x, t: (y - x) / len(y))
# only the gradient wrong
_GradNoHalf = _loss_variant("_GradNoHalf", dy=lambda y, x, t: 2 * (y - t) / len(y))
_GradNotMean = _loss_variant("_GradNotMean", dy=lambda y, x, t: y - t)
_GradSign = _loss_variant("_GradSign", dy=lambda y, x, t: (t - y) / len(y))
_GradAgainstInput = _loss_variant("_GradAgainstInput", dy=lambda y, x, t: (y - x) / len(y))


class _GradSkipsSigmoid(ReferenceAutoencoder):
    def gradient(self, x, t):
        y = self.forward(x)
        dout = (y - t) / len(y)
        for layer in reversed(self.encoder + self.decoder[:-1]):
            dout = layer.backward(dout)
        affines = [self.encoder[0], self.encoder[2], self.decoder[0], self.decoder[2]]
        grads = {}
        for k, layer in enumerate(affines, start=1):
            grads[f"W{k}"], grads[f"b{k}"] = layer.dW, layer.db
        return grads


class _GradKeysReversed(ReferenceAutoencoder):
    """Numbered from the output side: the decoder's last Affine called W1."""

    def gradient(self, x, t):
        g = super().gradient(x, t)
        return {f"{p}{k}": g[f"{p}{5 - k}"] for k in range(1, 5) for p in ("W", "b")}


class _GradReturnsParams(ReferenceAutoencoder):
    def gradient(self, x, t):
        super().gradient(x, t)
        return {k: self.params[k].copy() for k in KEYS}


class _GradWithoutBiases(ReferenceAutoencoder):
    def gradient(self, x, t):
        g = super().gradient(x, t)
        return {k: g[k] for k in ("W1", "W2", "W3", "W4")}


INIT_MISTAKES = [
    Mistake("重みの標準偏差が違います。このノートブックは ReLU に合わせた He の初期値で、入力側のノード数 fan_in を使って "
            "np.sqrt(2.0 / fan_in) を掛けます（Xavier の np.sqrt(1.0 / fan_in) ではありません）。", _Xavier),
    Mistake("重みの標準偏差に出力側のノード数を使っています。Wk の形状が (fan_in, fan_out) のとき、掛けるのは "
            "np.sqrt(2.0 / fan_in)（行の数、入力側）です。", _FanOut),
    Mistake("重みに np.sqrt(2.0 / fan_in) を掛けていません。Wk = rng.standard_normal((fan_in, fan_out)) * "
            "np.sqrt(2.0 / fan_in) です。", _NoScale),
    Mistake("重みの乱数が違います。rng = np.random.default_rng(seed) を 1 つ作り、rng.standard_normal で W1, W2, W3, W4 の"
            "順に引きます（np.random.randn や np.random.seed は使いません）。", _GlobalRandom),
    Mistake("重みごとに np.random.default_rng(seed) を作り直しています。Generator は最初に 1 つだけ作り、そこから W1, W2, "
            "W3, W4 を続けて引きます。", _NewGeneratorEach),
]
FORWARD_MISTAKES = [
    Mistake("符号 z に ReLU をかけています。エンコーダは Affine1 → ReLU → Affine2 で、最後の Affine2 の出力がそのまま "
            "z です（z は負の値もとります。2 次元の潜在空間の図でも z は負の値に広がります）。", _ReluOnCode),
    Mistake("符号 z にシグモイドをかけています。エンコーダの最後（Affine2）には活性化関数を付けません。", _SigmoidOnCode),
    Mistake("デコーダの最後にシグモイドがありません。画素の値は 0〜1 なので、復元画像は Affine4 の出力にシグモイドを"
            "通したものです。", _NoOutputSigmoid),
    Mistake("デコーダの Affine3 のあとの ReLU がありません。デコーダは Affine3 → ReLU → Affine4 → Sigmoid です。",
            _NoDecoderRelu),
    Mistake("エンコーダの Affine1 のあとの ReLU がありません。エンコーダは Affine1 → ReLU → Affine2 です。", _NoEncoderRelu),
    Mistake("params の配列とレイヤが使う配列が別々になっています。Affine には params['W1'] などの配列そのものを渡し"
            "（コピーしない）、params を書き換えるとネットワークも変わるようにします。", _LayersCopyParams),
]
LOSS_MISTAKES = [
    Mistake("損失に 0.5 が掛かっていません。このノートブックの損失は書籍の 2 乗和誤差と同じく "
            "0.5 * np.sum((y - t) ** 2) / N です。", _NoHalf),
    Mistake("画素の数でも割っています（全要素の平均）。画素については和をとり、バッチの大きさ N でだけ割ります: "
            "0.5 * np.sum((y - t) ** 2) / N。", _MeanOverPixels),
    Mistake("バッチの大きさ N で割っていません。損失はバッチについての平均です: 0.5 * np.sum((y - t) ** 2) / N。",
            _SumOverBatch),
    Mistake("復元画像を入力 x と比べています。比べる相手は引数の t（復元したい画像）です。ふつうの自己符号化器では "
            "t = x ですが、ノイズ除去自己符号化器では x がノイズ入りの画像、t がきれいな画像です。", _AgainstInput),
]
GRADIENT_MISTAKES = [
    Mistake("損失の勾配の大きさが 2 倍です。L = 0.5 * Σ(y - t)^2 / N なので、y に対する勾配は (y - t) / N です"
            "（0.5 と 2 が打ち消し合います）。", _GradNoHalf),
    Mistake("損失の勾配をバッチの大きさ N で割っていません。損失は N で割った平均なので、dy = (y - t) / N です。",
            _GradNotMean),
    Mistake("損失の勾配の符号が逆です。dy = (y - t) / N（復元画像 y から正解 t を引く）です。", _GradSign),
    Mistake("勾配を入力 x との差から計算しています。dy = (y - t) / N で、t は引数の正解の画像です。", _GradAgainstInput),
    Mistake("出力のシグモイドの逆伝播が抜けています。dy を Sigmoid の backward に通してから Affine4 の backward に渡します"
            "（シグモイドの微分 y(1 - y) が掛かります）。", _GradSkipsSigmoid),
    Mistake("勾配のキーの番号が逆です。W1, b1 はエンコーダの最初の Affine（入力側）、W4, b4 はデコーダの最後の Affine"
            "（出力側）です。", _GradKeysReversed),
    Mistake("gradient がパラメータそのもの（params の値）を返しています。逆伝播のあと、各 Affine の dW, db を集めて"
            "返します。", _GradReturnsParams),
    Mistake("gradient の戻り値にバイアスの勾配 b1〜b4 がありません。params と同じ 8 つのキーをそろえます。",
            _GradWithoutBiases),
]

ERROR_HINTS = [
    ("shapes", "行列の形が合っていません。W1 は (input_size, hidden_size)、W2 は (hidden_size, latent_size)、"
               "W3 は (latent_size, hidden_size)、W4 は (hidden_size, input_size) です。"),
    ("KeyError", "params と gradient の戻り値は 'W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4' の 8 つのキーをもつ辞書です。"),
    ("NoneType", "None を計算に使っています。各レイヤの forward を先に呼んでいるか、dW, db が backward のあとで読まれているか"
                 "確かめてください。"),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(8100)

# (input_size, hidden_size, latent_size, seed)
NET_A = (6, 5, 2, 0)
NET_B = (9, 4, 3, 7)
NET_C = (4, 7, 1, 3)
V_NET = (5, 4, 2, 1)
V_NET_2 = (3, 6, 2, 5)


def _random_params(net, scale):
    reference = ReferenceAutoencoder(*net)
    return {k: rng.normal(size=v.shape) * (0.3 if k.startswith("b") else scale) for k, v in reference.params.items()}


def _readable_params(net, scale):
    reference = ReferenceAutoencoder(*net)
    return {k: np.cos(np.arange(v.size) * (1.3 if k.startswith("W") else 0.7) + int(k[1])).reshape(v.shape)
            * (scale if k.startswith("W") else 0.2) for k, v in reference.params.items()}


def _images(n, d, source=rng):
    return source.uniform(0.0, 1.0, size=(n, d))


def _set(params):
    return [put("params." + k, v) for k, v in params.items()]


def _init(net):
    return [new(*net), *[get("params." + k) for k in KEYS]]


def _forward(x, z):
    return [call("encode", x, label="encode(x) の戻り値 z"), call("decode", z, label="decode(z) の戻り値"),
            call("forward", x, label="forward(x) の戻り値（復元画像）")]


def _loss(x, t):
    return [call("loss", x, t, label="loss(x, t) の戻り値")]


def _gradient(x, t):
    return [call("loss", x, t, label="loss(x, t) の戻り値"), call("gradient", x, t, label="gradient(x, t) の戻り値")]


def _scenario(kind, label, net, params, x, t, z):
    if kind == "init":
        return Scenario(f"{label}: 初期化したパラメータ", _init(net))
    steps = [new(*net), *_set(params)]
    steps += {"forward": lambda: _forward(x, z), "loss": lambda: _loss(x, t), "gradient": lambda: _gradient(x, t)}[kind]()
    return Scenario(label, steps)


def _hidden(kind):
    out = []
    for label, net, scale, n in [("D = 6, H = 5, Z = 2、N = 4", NET_A, 0.8, 4),
                                 ("D = 9, H = 4, Z = 3、N = 3", NET_B, 0.7, 3),
                                 ("D = 4, H = 7, Z = 1、N = 1（1 枚だけ）", NET_C, 0.9, 1)]:
        x, t = _images(n, net[0]), _images(n, net[0])
        z = rng.normal(size=(n, net[2])) * 1.5
        out.append(_scenario(kind, label, net, _random_params(net, scale), x, t, z))
    if kind == "gradient":  # the gradient of the last call only, and t = x (a plain autoencoder)
        x, t = _images(5, 6), _images(5, 6)
        out.append(Scenario("gradient を 2 回呼ぶ（2 回目の x, t の勾配だけを返す）", [
            new(*NET_A), *_set(_random_params(NET_A, 0.8)), call("gradient", t, x, record=False), *_gradient(x, t)]))
        x = _images(3, 9)
        out.append(Scenario("t = x（ふつうの自己符号化器）", [new(*NET_B), *_set(_random_params(NET_B, 0.7)), *_gradient(x, x)]))
    if kind == "loss":
        x = _images(4, 6)
        out.append(Scenario("t = x（ふつうの自己符号化器）", [new(*NET_A), *_set(_random_params(NET_A, 0.8)), *_loss(x, x)]))
    return out


def _visible(kind):
    out = []
    for label, net, scale, n in [("D = 5, H = 4, Z = 2、N = 3", V_NET, 0.9, 3),
                                 ("D = 3, H = 6, Z = 2、N = 2", V_NET_2, 1.1, 2)]:
        d = net[0]
        x = (np.sin(np.arange(n * d) * 0.9) + 1) / 2
        t = (np.cos(np.arange(n * d) * 1.7) + 1) / 2
        z = np.sin(np.arange(n * net[2]) * 2.1 + 0.5).reshape(n, net[2]) * 1.5
        out.append(_scenario(kind, label, net, _readable_params(net, scale), x.reshape(n, d), t.reshape(n, d), z))
    return out


def _check(kind, mistakes, **kw):
    return ClassCheck(function="Autoencoder", reference=ReferenceAutoencoder, scenarios=_hidden(kind),
                      visible=_visible(kind), mistakes=mistakes, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL,
                      dtype="float", **kw)


# --------------------------------------------------------------------------- add_noise
def _global(fn):
    """Runs ``fn`` with numpy's global random state seeded like the probe does."""
    def wrapped(*args, **kwargs):
        saved = np.random.get_state()
        np.random.seed(GLOBAL_SEED)
        try:
            return fn(*args, **kwargs)
        finally:
            np.random.set_state(saved)
    return wrapped


NOISE_MISTAKES = [
    Mistake("0〜1 の範囲に収めていません。ノイズを足すと 0 未満や 1 より大きい画素ができるので、"
            "np.clip(x + noise, 0.0, 1.0) で切り詰めます。",
            lambda x, rng, noise_std=0.3: x + rng.normal(0.0, noise_std, size=x.shape)),
    Mistake("noise_std を分散として使っています（noise_std ** 2 を掛けています）。noise_std は標準偏差なので "
            "rng.normal(0.0, noise_std, size=x.shape) です。",
            lambda x, rng, noise_std=0.3: np.clip(x + rng.normal(0.0, noise_std ** 2, size=x.shape), 0.0, 1.0)),
    Mistake("noise_std の平方根を標準偏差にしています。noise_std はそのまま標準偏差として rng.normal の scale に渡します。",
            lambda x, rng, noise_std=0.3: np.clip(x + rng.normal(0.0, np.sqrt(noise_std), size=x.shape), 0.0, 1.0)),
    Mistake("一様乱数を使っています。ノイズは平均 0、標準偏差 noise_std の正規分布 rng.normal(0.0, noise_std, size=x.shape) "
            "です。",
            lambda x, rng, noise_std=0.3: np.clip(x + rng.uniform(-noise_std, noise_std, size=x.shape), 0.0, 1.0)),
    Mistake("0 未満だけを切り詰めて、1 より大きい値を残しています。np.clip(..., 0.0, 1.0) で両側を切り詰めます。",
            lambda x, rng, noise_std=0.3: np.maximum(x + rng.normal(0.0, noise_std, size=x.shape), 0.0)),
    Mistake("rng ではなく numpy 全体の乱数（np.random.normal や np.random.randn）から引いています。乱数は引数の rng から "
            "rng.normal(0.0, noise_std, size=x.shape) で 1 回だけ引きます。",
            _global(lambda x, rng, noise_std=0.3: np.clip(x + np.random.normal(0.0, noise_std, size=x.shape), 0.0, 1.0))),
    Mistake("乱数を 1 行（1 枚）ずつ引いているか、形状の違う配列として引いています。ノイズは "
            "rng.normal(0.0, noise_std, size=x.shape) の 1 回で x と同じ形状の配列として引きます。",
            lambda x, rng, noise_std=0.3: np.clip(x + rng.normal(0.0, noise_std, size=x.shape[::-1]).T, 0.0, 1.0)),
]

_nrng = np.random.default_rng(8101)
v_x = np.round((np.sin(np.arange(12) * 0.8) + 1) / 2, 2).reshape(3, 4)
v_bright = np.full((2, 3), 0.95)
CHECKS = {
    "autoencoder_init": [_check("init", INIT_MISTAKES)],
    "autoencoder_forward": [_check("forward", FORWARD_MISTAKES)],
    "autoencoder_loss": [_check("forward", FORWARD_MISTAKES, prerequisite_of="loss", part="encode, decode, forward"),
                         _check("loss", LOSS_MISTAKES)],
    "autoencoder_gradient": [_check("forward", FORWARD_MISTAKES, prerequisite_of="gradient",
                                    part="encode, decode, forward"),
                             _check("gradient", GRADIENT_MISTAKES + LOSS_MISTAKES)],
    "add_noise_values": [FunctionCheck(
        function="add_noise", reference=reference_add_noise, dtype="float", returns="array", rtol=1e-12, atol=1e-12,
        visible=[Case("3×4 の画像、noise_std = 0.3", (v_x, Seeded(1))),
                 Case("ほぼ白（0.95）の 2×3 の画像、noise_std = 0.5（1 を超える値が出る）", (v_bright, Seeded(2), 0.5)),
                 Case("3×4 の画像、noise_std = 0.05", (v_x, Seeded(3), 0.05))],
        cases=[Case("5×7 の一様乱数の画像、noise_std = 0.3", (_nrng.uniform(size=(5, 7)), Seeded(11))),
               Case("ほぼ黒（0.02）の画像、noise_std = 0.4（負の値が出る）", (np.full((3, 5), 0.02), Seeded(12), 0.4)),
               Case("1 枚だけ（1×10）、noise_std = 0.6", (_nrng.uniform(size=(1, 10)), Seeded(13), 0.6)),
               Case("4×6 の画像、noise_std = 0.1", (_nrng.uniform(size=(4, 6)), Seeded(14), 0.1))],
        mistakes=NOISE_MISTAKES)],
}
