"""Hidden checks of 2_4_two_layer_net_numerical: the book's TwoLayerNet (ch. 4.5) with
sigmoid hidden layer, softmax output and gradients by numerical differentiation.

Every scenario creates a small net (input 4, hidden 3, output 3), fills known weights in
place with ``put`` (the constructor draws random weights) and compares predict / loss /
accuracy / numerical_gradient with the reference below.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put
from course.functions import cross_entropy_error, sigmoid, softmax

NOTEBOOK = "2_4_two_layer_net_numerical"


def numerical_gradient(f, x):
    """The notebook's given function (central differences, h = 1e-4)."""
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


class ReferenceTwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def scores(self, x):
        z1 = sigmoid(x @ self.params["W1"] + self.params["b1"])
        return z1 @ self.params["W2"] + self.params["b2"]

    def predict(self, x):
        return softmax(self.scores(x))

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / x.shape[0])

    def numerical_gradient(self, x, t):
        def loss_w(_):
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2")}


# ---- typical mistakes -------------------------------------------------------------------------

class NoSoftmax(ReferenceTwoLayerNet):
    def predict(self, x):
        return self.scores(x)

    def loss(self, x, t):
        return ReferenceTwoLayerNet.loss(self, x, t)


class SigmoidOutput(ReferenceTwoLayerNet):
    def predict(self, x):
        return sigmoid(self.scores(x))


class NoHiddenActivation(ReferenceTwoLayerNet):
    def predict(self, x):
        a1 = x @ self.params["W1"] + self.params["b1"]
        return softmax(a1 @ self.params["W2"] + self.params["b2"])


class SigmoidThenSoftmaxTwice(ReferenceTwoLayerNet):
    def predict(self, x):
        return softmax(softmax(self.scores(x)))


class LossOnScores(ReferenceTwoLayerNet):
    def loss(self, x, t):
        return cross_entropy_error(self.scores(x), t)


class LossSquaredError(ReferenceTwoLayerNet):
    def loss(self, x, t):
        y = self.predict(x)
        if t.ndim == 1:
            t = np.eye(y.shape[1])[t]
        return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


class AccuracyCount(ReferenceTwoLayerNet):
    def accuracy(self, x, t):
        return ReferenceTwoLayerNet.accuracy(self, x, t) * x.shape[0]


class AccuracyOneHotDirect(ReferenceTwoLayerNet):
    def accuracy(self, x, t):
        y = self.predict(x)
        return float(np.sum(y == t) / x.shape[0])


class AccuracyDividedBySize(ReferenceTwoLayerNet):
    def accuracy(self, x, t):
        size = t.size  # N × classes for one-hot labels
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / size)


class InitW1Transposed(ReferenceTwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["W1"] = weight_init_std * np.random.randn(hidden_size, input_size)


class InitW2Transposed(ReferenceTwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["W2"] = weight_init_std * np.random.randn(output_size, hidden_size)


class InitBiasOnes(ReferenceTwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["b1"] = np.ones(hidden_size)
        self.params["b2"] = np.ones(output_size)


class InitBiasRow(ReferenceTwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["b1"] = np.zeros((1, hidden_size))
        self.params["b2"] = np.zeros((1, output_size))


class InitBiasSwapped(ReferenceTwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["b1"] = np.zeros(output_size)
        self.params["b2"] = np.zeros(hidden_size)


class GradientOnlyWeights(ReferenceTwoLayerNet):
    def numerical_gradient(self, x, t):
        grads = ReferenceTwoLayerNet.numerical_gradient(self, x, t)
        return {"W1": grads["W1"], "W2": grads["W2"]}


class GradientOfCopy(ReferenceTwoLayerNet):
    def numerical_gradient(self, x, t):
        def loss_w(_):
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key].copy()) for key in ("W1", "b1", "W2", "b2")}


INIT_MISTAKES = [
    Mistake("W1 の形状が逆です。W1 は (input_size, hidden_size)、つまり np.random.randn(input_size, hidden_size) です。",
            InitW1Transposed),
    Mistake("W2 の形状が逆です。W2 は (hidden_size, output_size)、つまり np.random.randn(hidden_size, output_size) です。",
            InitW2Transposed),
    Mistake("バイアスを 1 で初期化しています。b1, b2 は np.zeros(...) で 0 に初期化します。", InitBiasOnes),
    Mistake("バイアスが 2 次元（形状 (1, n)）になっています。b1 は np.zeros(hidden_size)、b2 は np.zeros(output_size) の"
            " 1 次元配列です。", InitBiasRow),
    Mistake("b1 と b2 の大きさが入れ替わっています。b1 は隠れ層の大きさ hidden_size、b2 は出力層の大きさ output_size です。",
            InitBiasSwapped),
]
PREDICT_MISTAKES = [
    Mistake("出力層にソフトマックス関数を使っていません。predict は各クラスの確率（行ごとの合計が 1）を返します。", NoSoftmax),
    Mistake("出力層にシグモイド関数を使っています。隠れ層はシグモイド関数、出力層はソフトマックス関数です。", SigmoidOutput),
    Mistake("隠れ層の活性化関数（シグモイド関数）を通していません。a1 = x・W1 + b1 のあと z1 = sigmoid(a1) としてから W2 を掛けます。",
            NoHiddenActivation),
    Mistake("ソフトマックス関数を 2 回適用しています。", SigmoidThenSoftmaxTwice),
]
LOSS_MISTAKES = [
    Mistake("ソフトマックス関数を通す前のスコアで交差エントロピー誤差を計算しています。loss は predict(x)（確率）を使います。",
            LossOnScores),
    Mistake("2 乗和誤差を使っています。このノートブックの損失関数は交差エントロピー誤差 (cross_entropy_error) です。",
            LossSquaredError),
] + PREDICT_MISTAKES
ACCURACY_MISTAKES = [
    Mistake("正解した個数を返しています。個数をデータ数 x.shape[0] で割って、0 以上 1 以下の割合を返してください。", AccuracyCount),
    Mistake("確率や one-hot のラベルをそのまま == で比べています。np.argmax(..., axis=1) でクラス番号にしてから比べます。",
            AccuracyOneHotDirect),
    Mistake("t が one-hot のとき t.size（N × クラス数）で割っています。データ数 x.shape[0] で割ってください。",
            AccuracyDividedBySize),
]
GRADIENT_MISTAKES = [
    Mistake("勾配の辞書に b1, b2 がありません。W1, b1, W2, b2 の 4 つすべての勾配を返してください。", GradientOnlyWeights),
    Mistake("パラメータのコピーを numerical_gradient に渡しています。コピーをずらしても損失は変わらないので勾配が 0 になります。"
            "self.params['W1'] そのものを渡してください。", GradientOfCopy),
] + LOSS_MISTAKES
ACCURACY_ERROR_HINTS = [
    ("axis 1 is out of bounds", "t はクラス番号の 1 次元配列のこともあります。t.ndim != 1 のときだけ np.argmax(t, axis=1) で変換してください。"),
    ("could not be broadcast", "predict の戻り値と t の形を揃えてから比べてください（どちらも np.argmax(..., axis=1) でクラス番号にします）。"),
]
COMMON_ERROR_HINTS = [
    ("unexpected keyword argument 'weight_init_std'",
     "コンストラクタは TwoLayerNet(input_size, hidden_size, output_size, weight_init_std=0.01) の形にしてください。"),
    ("KeyError", "self.params のキーは 'W1', 'b1', 'W2', 'b2' です。"),
]

# ---- deterministic inputs ---------------------------------------------------------------------

rng = np.random.default_rng(2400)
I, H, O = 4, 3, 3
W1 = rng.normal(size=(I, H))
b1 = rng.normal(size=H) * 0.5
W2 = rng.normal(size=(H, O)) * 2.0
b2 = rng.normal(size=O) * 0.5
X = rng.normal(size=(6, I))
T_INDEX = np.array([0, 2, 1, 1, 0, 2])
T_ONE_HOT = np.eye(O)[T_INDEX]


def _with_weights(w1=W1, bb1=b1, w2=W2, bb2=b2):
    return [new(I, H, O), put("params.W1", w1), put("params.b1", bb1), put("params.W2", w2), put("params.b2", bb2)]


def _labels_for_accuracy():
    """Labels such that 4 of 6 predictions are right (neither 0 nor 1, not 1/2)."""
    net = ReferenceTwoLayerNet(I, H, O)
    net.params.update(W1=W1, b1=b1, W2=W2, b2=b2)
    pred = np.argmax(net.predict(X), axis=1)
    t = pred.copy()
    t[[1, 4]] = (pred[[1, 4]] + 1) % O
    return t


T_ACC = _labels_for_accuracy()

# the visible self-check's net: the same sizes, weights written out, 4 samples (not as many as classes)
V_W1 = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0], [-1.5, 0.0, 1.0], [0.0, 1.0, 2.0]])
V_b1 = np.array([0.1, -0.2, 0.3])
V_W2 = np.array([[2.0, -1.0, 0.0], [0.5, 1.0, -2.0], [-1.0, 0.0, 1.5]])
V_b2 = np.array([0.2, 0.0, -0.2])
V_X = np.array([[1.0, 0.5, -1.0, 0.0], [0.0, -1.0, 2.0, 1.0], [-0.5, 1.5, 0.5, -2.0], [2.0, 0.0, 1.0, -1.0]])
V_T_INDEX = np.array([0, 2, 1, 1])
V_T_ONE_HOT = np.eye(O)[V_T_INDEX]


def _visible_weights(w1=V_W1, bb1=V_b1, w2=V_W2, bb2=V_b2):
    return _with_weights(w1, bb1, w2, bb2)


def _visible_labels_for_accuracy():
    """Labels such that 3 of the 4 visible predictions are right."""
    net = ReferenceTwoLayerNet(I, H, O)
    net.params.update(W1=V_W1, b1=V_b1, W2=V_W2, b2=V_b2)
    t = np.argmax(net.predict(V_X), axis=1)
    t[1] = (t[1] + 1) % O
    return t


V_T_ACC = _visible_labels_for_accuracy()

VISIBLE_PREDICT = [
    Scenario("4 サンプルのバッチ", _visible_weights() + [call("predict", V_X, label="predict(x)")]),
    Scenario("1 サンプル（形状 (1, 4)）", _visible_weights() + [call("predict", V_X[:1], label="predict(x)")]),
    Scenario("出力のスコアが大きい（W2 × 300、警告を出さない）", _visible_weights(w2=V_W2 * 300.0) + [
        call("predict", V_X, label="predict(x)", forbid_warnings=True)]),
]
VISIBLE_LOSS = [
    Scenario("4 サンプル、one-hot のラベル", _visible_weights() + [call("loss", V_X, V_T_ONE_HOT, label="loss(x, t)")]),
    Scenario("4 サンプル、クラス番号のラベル", _visible_weights() + [call("loss", V_X, V_T_INDEX, label="loss(x, t)")]),
]


def _prerequisite(of, part, scenarios, visible, mistakes):
    """The check of an earlier method (``part``) that ``of`` calls, placed before the check of ``of``."""
    label = f"{of} が使う {part} の確認: "
    return ClassCheck(**OPTIONS, dtype="float", mistakes=mistakes, prerequisite_of=of, part=part,
                      scenarios=[Scenario(label + sc.label, sc.steps) for sc in scenarios],
                      visible=[Scenario(label + sc.label, sc.steps) for sc in visible])


OPTIONS = dict(reference=ReferenceTwoLayerNet, function="TwoLayerNet", rtol=1e-6, atol=1e-9,
               error_hints=COMMON_ERROR_HINTS)

PREDICT_SCENARIOS = [
    Scenario("W1 = 0（隠れ層の出力は sigmoid(b1) だけ）", _with_weights(w1=np.zeros((I, H))) + [
        call("predict", X, label="predict(x)")]),
    Scenario("6 サンプルのバッチ", _with_weights() + [call("predict", X, label="predict(x)")]),
    Scenario("1 サンプル（形状 (1, 4)）", _with_weights() + [call("predict", X[:1], label="predict(x)")]),
    Scenario("出力のスコアが大きい（W2 × 300）", _with_weights(w2=W2 * 300.0) + [
        call("predict", X, label="predict(x)", forbid_warnings=True)]),
]
LOSS_SCENARIOS = [
    Scenario("6 サンプル、one-hot のラベル", _with_weights() + [call("loss", X, T_ONE_HOT, label="loss(x, t)")]),
    Scenario("6 サンプル、クラス番号のラベル", _with_weights() + [call("loss", X, T_INDEX, label="loss(x, t)")]),
    Scenario("1 サンプル、W1 = 0", _with_weights(w1=np.zeros((I, H))) + [
        call("loss", X[:1], T_ONE_HOT[:1], label="loss(x, t)")]),
]

CHECKS = {
    "two_layer_net_init": [ClassCheck(
        **OPTIONS, dtype="float", mistakes=INIT_MISTAKES,
        visible=[
            Scenario("TwoLayerNet(3, 4, 2, weight_init_std=0.0) の params（形状とバイアス 0）", [
                new(3, 4, 2, weight_init_std=0.0),
                get("params.W1"), get("params.b1"), get("params.W2"), get("params.b2"),
            ]),
        ],
        scenarios=[
            Scenario("TwoLayerNet(4, 3, 2, weight_init_std=0.0) の params（形状とバイアス 0）", [
                new(4, 3, 2, weight_init_std=0.0),
                get("params.W1"), get("params.b1"), get("params.W2"), get("params.b2"),
            ]),
            Scenario("TwoLayerNet(2, 5, 3, weight_init_std=0.0) の params", [
                new(2, 5, 3, weight_init_std=0.0),
                get("params.W1"), get("params.b1"), get("params.W2"), get("params.b2"),
            ]),
        ])],
    "two_layer_net_predict": [ClassCheck(
        **OPTIONS, dtype="float", returns="array", mistakes=PREDICT_MISTAKES,
        scenarios=PREDICT_SCENARIOS, visible=VISIBLE_PREDICT)],
    "two_layer_net_loss": [_prerequisite("loss", "predict", PREDICT_SCENARIOS[1:3], VISIBLE_PREDICT[:1], PREDICT_MISTAKES),
                           ClassCheck(
        **OPTIONS, dtype="float", mistakes=LOSS_MISTAKES, visible=VISIBLE_LOSS,
        scenarios=LOSS_SCENARIOS)],
    "two_layer_net_accuracy": [_prerequisite("accuracy", "predict", PREDICT_SCENARIOS[1:3], VISIBLE_PREDICT[:1],
                                             PREDICT_MISTAKES),
                               ClassCheck(
        **{**OPTIONS, "error_hints": COMMON_ERROR_HINTS + ACCURACY_ERROR_HINTS},
        dtype="float", returns="auto", mistakes=ACCURACY_MISTAKES,
        scenarios=[
            Scenario("6 サンプル中 4 つ正解、one-hot のラベル", _with_weights() + [
                call("accuracy", X, np.eye(O)[T_ACC], label="accuracy(x, t)")]),
            Scenario("6 サンプル中 4 つ正解、クラス番号のラベル", _with_weights() + [
                call("accuracy", X, T_ACC, label="accuracy(x, t)")]),
            Scenario("1 サンプル、正解", _with_weights() + [
                call("accuracy", X[:1], np.eye(O)[T_ACC[:1]], label="accuracy(x, t)")]),
        ],
        visible=[
            Scenario("4 サンプル中 3 つ正解、one-hot のラベル", _visible_weights() + [
                call("accuracy", V_X, np.eye(O)[V_T_ACC], label="accuracy(x, t)")]),
            Scenario("4 サンプル中 3 つ正解、クラス番号のラベル", _visible_weights() + [
                call("accuracy", V_X, V_T_ACC, label="accuracy(x, t)")]),
        ])],
    "two_layer_net_numerical_gradient": [_prerequisite("numerical_gradient", "loss", LOSS_SCENARIOS[:2], VISIBLE_LOSS,
                                                       LOSS_MISTAKES),
                                         ClassCheck(
        **{**OPTIONS, "rtol": 1e-5, "atol": 1e-7}, dtype="float", mistakes=GRADIENT_MISTAKES,
        scenarios=[
            Scenario("6 サンプル、one-hot のラベル", _with_weights() + [
                call("numerical_gradient", X, T_ONE_HOT, label="numerical_gradient(x, t) の戻り値（勾配の辞書）"),
                get("params.W1", label="計算後の params['W1']（元の値に戻っていること）")]),
            Scenario("1 サンプル、クラス番号のラベル", _with_weights() + [
                call("numerical_gradient", X[:1], T_INDEX[:1], label="numerical_gradient(x, t) の戻り値（勾配の辞書）")]),
        ],
        visible=[
            Scenario("4 サンプル、one-hot のラベル", _visible_weights() + [
                call("numerical_gradient", V_X, V_T_ONE_HOT, label="numerical_gradient(x, t) の戻り値（勾配の辞書）"),
                get("params.W1", label="計算後の params['W1']（元の値に戻っていること）")]),
            Scenario("1 サンプル、クラス番号のラベル", _visible_weights() + [
                call("numerical_gradient", V_X[:1], V_T_INDEX[:1], label="numerical_gradient(x, t) の戻り値（勾配の辞書）")]),
        ])],
}
