"""Hidden checks of 2_6_two_layer_net_backprop: TwoLayerNet built from layers (Affine, Relu, Affine,
SoftmaxWithLoss) with gradients by backpropagation (book ch. 5.7).

The layer classes are given in the notebook (not graded here); the reference below uses the same
layers (``autograder/checks/references.py``, shared with the checks of 2_5_backprop_layers). Every scenario creates a small net, fills known weights in place with ``put`` and compares
predict / loss / accuracy / gradient with the reference.
"""

from collections import OrderedDict

import numpy as np

from autograder.checks.references import Affine, Relu, SoftmaxWithLoss
from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put
from course.functions import softmax

NOTEBOOK = "2_6_two_layer_net_backprop"


class ReferenceTwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()
    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x
    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)
    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / x.shape[0])
    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.lastLayer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads


# ---- typical mistakes -------------------------------------------------------------------------

class SoftmaxInPredict(ReferenceTwoLayerNet):
    def predict(self, x):
        return softmax(ReferenceTwoLayerNet.predict(self, x))


class NoReversal(ReferenceTwoLayerNet):
    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in self.layers.values():
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


class NoForward(ReferenceTwoLayerNet):
    def gradient(self, x, t):
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


class LayersMixedUp(ReferenceTwoLayerNet):
    def gradient(self, x, t):
        grads = ReferenceTwoLayerNet.gradient(self, x, t)
        return {"W1": grads["W2"], "b1": grads["b2"], "W2": grads["W1"], "b2": grads["b1"]}


class BiasFromDW(ReferenceTwoLayerNet):
    keys = ("b1", "b2")

    def gradient(self, x, t):
        grads = dict(ReferenceTwoLayerNet.gradient(self, x, t))
        for key in self.keys:
            grads[key] = np.sum(grads["W" + key[1:]], axis=0)
        return grads


class BiasFromDW1(BiasFromDW):
    keys = ("b1",)


class BiasFromDW2(BiasFromDW):
    keys = ("b2",)


class DoutIsLoss(ReferenceTwoLayerNet):
    def gradient(self, x, t):
        loss = self.loss(x, t)
        dout = self.lastLayer.backward(loss)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


class AccuracyCount(ReferenceTwoLayerNet):
    def accuracy(self, x, t):
        return ReferenceTwoLayerNet.accuracy(self, x, t) * x.shape[0]


class AccuracyDividedBySize(ReferenceTwoLayerNet):
    def accuracy(self, x, t):
        size = t.size  # N × classes for one-hot labels
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / size)


class NoRelu(ReferenceTwoLayerNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers["Relu1"]


class LayersOnCopies(ReferenceTwoLayerNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.layers["Affine1"] = Affine(self.params["W1"].copy(), self.params["b1"].copy())
        self.layers["Affine2"] = Affine(self.params["W2"].copy(), self.params["b2"].copy())


PREDICT_MISTAKES = [
    Mistake("predict でソフトマックス関数を適用しています。このノートブックの predict は、ソフトマックス関数を通す前の"
            "スコア（Affine2 の出力）を返します。ソフトマックス関数は最後の SoftmaxWithLoss レイヤが受け持ちます。",
            SoftmaxInPredict),
]
LAYER_MISTAKES = [
    Mistake("Affine レイヤに params の配列のコピーを渡しています。Affine(self.params['W1'], self.params['b1']) のように"
            "配列そのものを渡すと、params を書き換えたとき（学習での更新）にレイヤの計算にも反映されます。", LayersOnCopies),
    Mistake("Affine1 と Affine2 の間に Relu レイヤがありません。self.layers には 'Affine1', 'Relu1', 'Affine2' の順に入れます。",
            NoRelu),
]
GRADIENT_MISTAKES = [
    Mistake("逆伝播を順伝播と同じ順番で行っています。layers を逆順（list(...) のあと reverse()）にたどってください。",
            NoReversal),
    Mistake("gradient の最初で self.loss(x, t) を呼んで順伝播していないため、前回の入力での勾配になっています。",
            NoForward),
    Mistake("勾配を取り出すレイヤを取り違えています。W1, b1 は Affine1 の dW, db、W2, b2 は Affine2 の dW, db です。",
            LayersMixedUp),
] + [Mistake("b の勾配を dW から作っています。b1, b2 の勾配は各 Affine レイヤの db をそのまま使ってください。", cls)
      for cls in (BiasFromDW, BiasFromDW1, BiasFromDW2)] + [
    Mistake("逆伝播の最初の dout に損失の値を渡しています。最初の dout は 1 です。", DoutIsLoss),
] + PREDICT_MISTAKES
ACCURACY_MISTAKES = [
    Mistake("正解した個数を返しています。個数をデータ数 x.shape[0] で割って、0 以上 1 以下の割合を返してください。", AccuracyCount),
    Mistake("t が one-hot のとき t.size（N × クラス数）で割っています。データ数 x.shape[0] で割ってください。",
            AccuracyDividedBySize),
]
COMMON_ERROR_HINTS = [
    ("unexpected keyword argument 'weight_init_std'",
     "コンストラクタは TwoLayerNet(input_size, hidden_size, output_size, weight_init_std=0.01) の形にしてください。"),
    ("KeyError", "self.params のキーは 'W1', 'b1', 'W2', 'b2'、self.layers のキーは 'Affine1', 'Relu1', 'Affine2' です。"),
]
GRADIENT_ERROR_HINTS = [
    ("not aligned", "逆伝播の順番を確かめてください。順伝播と逆の順番（Affine2 → Relu1 → Affine1）でたどります。"),
    ("NoneType", "逆伝播の前に self.loss(x, t) を呼んで順伝播してください（各レイヤは順伝播で入力を覚えます）。"),
    ("has no attribute 'lastLayer'", "最後のレイヤ SoftmaxWithLoss は self.lastLayer に保持してください。"),
]
ACCURACY_ERROR_HINTS = [
    ("axis 1 is out of bounds", "t はクラス番号の 1 次元配列のこともあります。t.ndim != 1 のときだけ np.argmax(t, axis=1) で変換してください。"),
    ("could not be broadcast", "予測と t をどちらも np.argmax(..., axis=1) でクラス番号にしてから比べてください。"),
]

# ---- deterministic inputs ---------------------------------------------------------------------
# The visible self-check's nets (weights written out): 2 → 3 → 2 for predict, loss and accuracy
# (3 samples: not as many as classes), and a square 2 → 2 → 2 net for gradient, on which
# backward in the wrong order runs without a shape error and so is named.
V_W1, V_b1 = np.array([[1.0, -1.0, 0.5], [0.0, 1.0, -2.0]]), np.array([0.0, 0.5, -0.5])
V_W2, V_b2 = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]]), np.array([0.5, 0.0])
V_X = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, 0.5]])
V_T_INDEX = np.array([1, 0, 1])
V_W1_SQ, V_b1_SQ = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.1, -0.2])
V_W2_SQ, V_b2_SQ = np.array([[1.0, 0.5], [-1.0, 2.0]]), np.array([0.2, -0.1])
V_X_SQ = np.array([[1.0, 0.5], [-0.5, 1.5], [2.0, -1.0]])
V_X_SQ_OTHER = np.array([[0.5, -1.0], [1.0, 1.0], [-2.0, 0.5]])
V_T_SQ = np.eye(2)[[0, 1, 1]]

rng = np.random.default_rng(2600)
I, H, O = 4, 5, 3
W1 = rng.normal(size=(I, H))
b1 = rng.normal(size=H) * 0.5
W2 = rng.normal(size=(H, O))
b2 = rng.normal(size=O) * 0.5
X = rng.normal(size=(6, I))
T_INDEX = np.array([0, 2, 1, 1, 0, 2])
T_ONE_HOT = np.eye(O)[T_INDEX]
X_OTHER = rng.normal(size=(6, I))
T_OTHER = np.eye(O)[[2, 2, 0, 1, 1, 0]]
# a square net (3 -> 3 -> 3): backward in the wrong order runs without a shape error
W1_SQ, b1_SQ, W2_SQ, b2_SQ = rng.normal(size=(3, 3)), rng.normal(size=3) * 0.5, rng.normal(size=(3, 3)), rng.normal(size=3)
X_SQ = rng.normal(size=(5, 3))
T_SQ = np.eye(3)[[0, 1, 2, 2, 1]]
X_SQ_OTHER = rng.normal(size=(5, 3))  # drawn last: the inputs above stay what they were


def _with_weights(w1=W1, bb1=b1, w2=W2, bb2=b2, sizes=(I, H, O), **options):
    return [new(*sizes, **options), put("params.W1", w1), put("params.b1", bb1), put("params.W2", w2),
            put("params.b2", bb2)]


def _visible_weights(square=False, **options):
    if square:
        return _with_weights(V_W1_SQ, V_b1_SQ, V_W2_SQ, V_b2_SQ, sizes=(2, 2, 2), **options)
    return _with_weights(V_W1, V_b1, V_W2, V_b2, sizes=(2, 3, 2), **options)


def _labels_for_accuracy():
    """Labels such that 4 of 6 predictions are right."""
    net = ReferenceTwoLayerNet(I, H, O)
    for key, value in dict(W1=W1, b1=b1, W2=W2, b2=b2).items():
        net.params[key][...] = value
    pred = np.argmax(net.predict(X), axis=1)
    t = pred.copy()
    t[[1, 4]] = (pred[[1, 4]] + 1) % O
    return t


T_ACC = _labels_for_accuracy()


def _visible_labels_for_accuracy():
    """Labels such that 2 of the 3 visible predictions are right."""
    net = ReferenceTwoLayerNet(2, 3, 2)
    for key, value in dict(W1=V_W1, b1=V_b1, W2=V_W2, b2=V_b2).items():
        net.params[key][...] = value
    t = np.argmax(net.predict(V_X), axis=1)
    t[1] = 1 - t[1]
    return t


V_T_ACC = _visible_labels_for_accuracy()
GRADIENT_LABEL = "gradient(x, t) の戻り値（勾配の辞書）"

OPTIONS = dict(reference=ReferenceTwoLayerNet, function="TwoLayerNet", rtol=1e-6, atol=1e-9, dtype="float")

PREDICT_LOSS_SCENARIOS = [
    Scenario("TwoLayerNet(4, 5, 3, weight_init_std=0.0) の params（形状とバイアス 0）", [
        new(4, 5, 3, weight_init_std=0.0),
        get("params.W1"), get("params.b1"), get("params.W2"), get("params.b2"),
    ]),
    Scenario("6 サンプルのバッチ", _with_weights(weight_init_std=0.0) + [
        call("predict", X, label="predict(x)"),
        call("loss", X, T_ONE_HOT, label="loss(x, t)（one-hot のラベル）"),
        call("loss", X, T_INDEX, label="loss(x, t)（クラス番号のラベル）")]),
    Scenario("W1 = 0（隠れ層の出力は relu(b1) だけ）", _with_weights(w1=np.zeros((I, H)), weight_init_std=0.0) + [
        call("predict", X[:2], label="predict(x)"),
        call("loss", X[:2], T_ONE_HOT[:2], label="loss(x, t)")]),
    Scenario("params を書き換えたあと（レイヤが同じ配列を使っていること）", _with_weights(weight_init_std=0.0) + [
        call("predict", X, label="predict(x)"),
        put("params.W2", W2 * -1.0), call("predict", X, label="W2 を書き換えたあとの predict(x)")]),
]
VISIBLE_PREDICT_LOSS = [
    Scenario("2 サンプル（2 → 3 → 2 のネットワーク）", _visible_weights(weight_init_std=0.0) + [
        call("predict", V_X[:2], label="predict(x)"),
        call("loss", V_X[:2], np.eye(2)[V_T_INDEX[:2]], label="loss(x, t)（one-hot のラベル）"),
        call("loss", V_X[:2], V_T_INDEX[:2], label="loss(x, t)（クラス番号のラベル）"),
        put("params.W2", V_W2 * -1.0), call("predict", V_X[:2], label="W2 を書き換えたあとの predict(x)")]),
]


def _prerequisite(of):
    """The check of predict and loss that ``of`` calls, placed before the check of ``of``."""
    label = f"{of} が使う predict と loss の確認: "
    return ClassCheck(**OPTIONS, mistakes=PREDICT_MISTAKES + LAYER_MISTAKES, error_hints=COMMON_ERROR_HINTS,
                      prerequisite_of=of, part="predict と loss",
                      scenarios=[Scenario(label + sc.label, sc.steps) for sc in PREDICT_LOSS_SCENARIOS[1:]],
                      visible=[Scenario(label + sc.label, sc.steps) for sc in VISIBLE_PREDICT_LOSS])


CHECKS = {
    "two_layer_net_predict_loss": [ClassCheck(
        **OPTIONS, mistakes=PREDICT_MISTAKES + LAYER_MISTAKES, error_hints=COMMON_ERROR_HINTS,
        scenarios=PREDICT_LOSS_SCENARIOS,
        visible=[
            Scenario("TwoLayerNet(2, 3, 4, weight_init_std=0.0) の params（形状とバイアス 0）", [
                new(2, 3, 4, weight_init_std=0.0),
                get("params.W1"), get("params.b1"), get("params.W2"), get("params.b2"),
            ]),
        ] + VISIBLE_PREDICT_LOSS)],
    "two_layer_net_accuracy": [_prerequisite("accuracy"), ClassCheck(
        **OPTIONS, mistakes=ACCURACY_MISTAKES, error_hints=COMMON_ERROR_HINTS + ACCURACY_ERROR_HINTS,
        scenarios=[
            Scenario("6 サンプル中 4 つ正解、one-hot のラベル", _with_weights() + [
                call("accuracy", X, np.eye(O)[T_ACC], label="accuracy(x, t)")]),
            Scenario("6 サンプル中 4 つ正解、クラス番号のラベル", _with_weights() + [
                call("accuracy", X, T_ACC, label="accuracy(x, t)")]),
        ],
        visible=[
            Scenario("3 サンプル中 2 つ正解、one-hot のラベル", _visible_weights() + [
                call("accuracy", V_X, np.eye(2)[V_T_ACC], label="accuracy(x, t)")]),
            Scenario("3 サンプル中 2 つ正解、クラス番号のラベル", _visible_weights() + [
                call("accuracy", V_X, V_T_ACC, label="accuracy(x, t)")]),
        ])],
    "two_layer_net_gradient": [_prerequisite("gradient"), ClassCheck(
        **OPTIONS, mistakes=GRADIENT_MISTAKES, error_hints=COMMON_ERROR_HINTS + GRADIENT_ERROR_HINTS,
        visible=[
            Scenario("別の入力で loss を計算したあとに gradient（2 → 2 → 2 のネットワーク、one-hot のラベル）",
                     _visible_weights(square=True) + [
                         call("loss", V_X_SQ_OTHER, V_T_SQ, record=False),
                         call("gradient", V_X_SQ, V_T_SQ, label=GRADIENT_LABEL)]),
            Scenario("1 サンプル、クラス番号のラベル（2 → 3 → 2 のネットワーク）", _visible_weights() + [
                call("gradient", V_X[:1], V_T_INDEX[:1], label=GRADIENT_LABEL)]),
        ],
        scenarios=[
            Scenario("別の入力で loss を計算したあとに gradient（3 → 3 → 3 のネットワーク）",
                     _with_weights(W1_SQ, b1_SQ, W2_SQ, b2_SQ, sizes=(3, 3, 3)) + [
                         call("loss", X_SQ_OTHER, T_SQ, record=False),
                         call("gradient", X_SQ, T_SQ, label=GRADIENT_LABEL)]),
            Scenario("6 サンプル、one-hot のラベル", _with_weights() + [
                call("gradient", X, T_ONE_HOT, label=GRADIENT_LABEL)]),
            Scenario("1 サンプル、クラス番号のラベル", _with_weights() + [
                call("gradient", X[:1], T_INDEX[:1], label=GRADIENT_LABEL)]),
            Scenario("入力・隠れ層・出力がすべて 3 ニューロン", _with_weights(W1_SQ, b1_SQ, W2_SQ, b2_SQ, sizes=(3, 3, 3)) + [
                call("gradient", X_SQ, T_SQ, label=GRADIENT_LABEL)]),
            Scenario("別の入力で loss を計算したあとに gradient", _with_weights() + [
                call("loss", X_OTHER, T_OTHER, record=False),
                call("gradient", X, T_ONE_HOT, label=GRADIENT_LABEL)]),
            Scenario("gradient を 2 回続けて呼ぶ（2 回目は別の入力）", _with_weights() + [
                call("gradient", X, T_ONE_HOT, record=False),
                call("gradient", X[:3], T_INDEX[:3], label=GRADIENT_LABEL)]),
        ])],
}
