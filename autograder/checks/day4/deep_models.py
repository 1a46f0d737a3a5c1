"""Hidden checks of 4_5_deep_models: the configurable fully connected network ``MultiLayerNetExtend``.

Conventions stated in the notebook and tested here (reference: ``course.networks.MultiLayerNetExtend``):
- ``MultiLayerNetExtend(input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
  weight_decay_lambda=0.0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False, seed=0)``.
- ``params``: ``W1 .. W{L}`` drawn in that order from ``np.random.default_rng(seed)`` as
  ``std * rng.standard_normal((n_in, n_out))`` with std sqrt(2 / n_in) ("relu", "he"), sqrt(1 / n_in)
  ("sigmoid", "xavier") or the given number; ``b{i}`` zeros; with BN ``gamma{i}`` ones, ``beta{i}`` zeros for the
  hidden layers.
- Hidden layer i: Affine → BatchNormalization(gamma{i}, beta{i}) (momentum 0.9, with BN) → Relu/Sigmoid →
  Dropout(dropout_ratio, seed=[seed, i], inverted=True) (with dropout); then Affine{L} and SoftmaxWithLoss.
- ``predict(x, train_flg=False)``; ``loss(x, t, train_flg=False)`` = cross-entropy + 0.5 λ Σ‖W‖² (weights only);
  ``gradient(x, t)``: one forward pass in training mode, then backpropagation; W: dW + λW, b: db, gamma/beta:
  dgamma/dbeta.
"""

from collections import OrderedDict

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put
from course.batch_normalization import BatchNormalization
from course.dropout import Dropout
from course.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from course.networks import MultiLayerNetExtend as _CourseNet

NOTEBOOK = "4_5_deep_models"


class ReferenceMultiLayerNetExtend(_CourseNet):
    """The notebook's signature (no dtype argument): float64 throughout."""

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0.0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False, seed=0):
        super().__init__(input_size, hidden_size_list, output_size, activation=activation,
                         weight_init_std=weight_init_std, weight_decay_lambda=weight_decay_lambda,
                         use_dropout=use_dropout, dropout_ratio=dropout_ratio, use_batchnorm=use_batchnorm, seed=seed)


# --------------------------------------------------------------------------- typical mistakes
class _Rebuilt(ReferenceMultiLayerNetExtend):
    """Rebuilds the layers with one thing changed (set by the subclasses)."""

    swap_init = False  # He for sigmoid, Xavier for relu
    act_before_bn = False  # Affine → activation → BN
    book_dropout = False  # the book's scaling instead of inverted dropout
    shared_seed = False  # every Dropout layer with seed=seed

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0.0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False, seed=0):
        if self.swap_init and isinstance(weight_init_std, str):
            weight_init_std = {"relu": "sigmoid", "he": "xavier", "sigmoid": "relu", "xavier": "he"}[weight_init_std]
        super().__init__(input_size, hidden_size_list, output_size, activation, weight_init_std, weight_decay_lambda,
                         use_dropout, dropout_ratio, use_batchnorm, seed)
        layers = OrderedDict()
        for name, layer in self.layers.items():
            if name.startswith("Dropout"):
                i = int(name[len("Dropout"):])
                layer = Dropout(self.dropout_ratio, seed=seed if self.shared_seed else [seed, i],
                                inverted=not self.book_dropout)
            if self.act_before_bn and name.startswith("Activation_function"):
                i = name[len("Activation_function"):]
                if f"BatchNorm{i}" in layers:
                    bn = layers.pop(f"BatchNorm{i}")
                    layers[name] = layer
                    layers[f"BatchNorm{i}"] = bn
                    continue
            layers[name] = layer
        self.layers = layers


class _SwappedInit(_Rebuilt):
    swap_init = True


class _ActivationBeforeBN(_Rebuilt):
    act_before_bn = True


class _BookDropout(_Rebuilt):
    book_dropout = True


class _SharedDropoutSeed(_Rebuilt):
    shared_seed = True


class _AlwaysTraining(ReferenceMultiLayerNetExtend):
    def predict(self, x, train_flg=False):
        return super().predict(x, True)


class _NeverTraining(ReferenceMultiLayerNetExtend):
    def predict(self, x, train_flg=False):
        return super().predict(x, False)


class _NoBNParams(ReferenceMultiLayerNetExtend):
    """gamma/beta created for the layers but not kept in params (and so never in the gradients)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = {k: v for k, v in self.params.items() if not k.startswith(("gamma", "beta"))}

    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: v for k, v in grads.items() if not k.startswith(("gamma", "beta"))}


class _NoBNGradients(ReferenceMultiLayerNetExtend):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: v for k, v in grads.items() if not k.startswith(("gamma", "beta"))}


class _DecayOnAll(ReferenceMultiLayerNetExtend):
    def _weight_decay(self):
        return 0.5 * self.weight_decay_lambda * sum(float(np.sum(v ** 2)) for v in self.params.values())

    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g if k.startswith("W") else g + self.weight_decay_lambda * self.params[k] for k, g in grads.items()}


class _DecayWithoutHalf(ReferenceMultiLayerNetExtend):
    def _weight_decay(self):
        return 2.0 * super()._weight_decay()


class _GradientWithoutDecay(ReferenceMultiLayerNetExtend):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g - self.weight_decay_lambda * self.params[k] if k.startswith("W") else g for k, g in grads.items()}


MISTAKES = [
    Mistake("重みの初期値の標準偏差が入れ替わっています。'relu'（'he'）は sqrt(2 / n_in)、'sigmoid'（'xavier'）は "
            "sqrt(1 / n_in) です（n_in は前の層のノード数）。", _SwappedInit),
    Mistake("gradient の戻り値に gamma{i}, beta{i} の勾配がありません。BatchNorm{i} レイヤの dgamma, dbeta を "
            "grads['gamma{i}'], grads['beta{i}'] に入れます。", _NoBNGradients),
    Mistake("Batch Normalization のパラメータ gamma{i}, beta{i} が params に入っていません。use_batchnorm=True の"
            "ときは、隠れ層ごとに gamma{i}（1 で初期化）と beta{i}（0 で初期化）を params に加え、同じ配列を "
            "BatchNormalization に渡します。", _NoBNParams),
    Mistake("レイヤの順番が違います。隠れ層は Affine → BatchNorm → 活性化関数 → Dropout の順です"
            "（活性化関数の前で正規化します）。", _ActivationBeforeBN),
    Mistake("テスト時（train_flg=False）にも学習時の動作をしています。train_flg を BatchNormalization と "
            "Dropout の forward に渡してください（テスト時は移動平均で正規化し、ドロップアウトはしません）。",
            _AlwaysTraining),
    Mistake("学習時（train_flg=True）なのに、BatchNormalization や Dropout がテスト時の動作をしています。"
            "predict が受け取った train_flg を、そのまま各レイヤの forward に渡します。", _NeverTraining),
    Mistake("ドロップアウトの倍率の規約が違います。このノートブックでは 4.3 と同じ inverted dropout "
            "（Dropout(dropout_ratio, seed=[seed, i], inverted=True)）を使います。", _BookDropout),
    Mistake("すべての Dropout レイヤが同じ seed で乱数を作っています。i 番目の隠れ層の Dropout は "
            "seed=[seed, i] で作ります（層ごとに別の乱数の列になります）。", _SharedDropoutSeed),
    Mistake("荷重減衰を重み以外（b, gamma, beta）にもかけています。損失に足すのは 0.5 * λ * Σ‖W‖² だけで、"
            "λ * W を足すのも W の勾配だけです。", _DecayOnAll),
    Mistake("荷重減衰の項に 0.5 がありません。損失は 交差エントロピー誤差 + 0.5 * λ * Σ‖W‖² です。", _DecayWithoutHalf),
    Mistake("重みの勾配に λ * W を足していません。損失に 0.5 * λ * Σ‖W‖² を足したので、勾配は dW + λ * W です。",
            _GradientWithoutDecay),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(4500)
x_a, t_a = rng.normal(size=(6, 5)), np.array([0, 2, 1, 2, 0, 1])
x_b = rng.normal(size=(4, 5)) * 2 + 0.5
t_a_onehot = np.eye(3)[t_a]
x_c, t_c = rng.normal(size=(5, 8)), np.array([3, 0, 1, 2, 3])

v_x = np.array([[1.0, -0.5, 0.2, 0.0],
                [0.3, 0.8, -1.0, 0.5],
                [-0.7, 0.1, 0.4, 1.2],
                [0.5, -1.5, 0.9, -0.2]])
v_t = np.array([2, 0, 1, 1])
v_x2 = np.array([[0.2, 0.4, -0.6, 1.0],
                 [-1.0, 0.5, 0.3, -0.4]])

ALL_ON = dict(activation="relu", weight_init_std="relu", weight_decay_lambda=0.1, use_dropout=True,
              dropout_ratio=0.3, use_batchnorm=True, seed=3)
SIGMOID_ALL_ON = dict(activation="sigmoid", weight_init_std="sigmoid", weight_decay_lambda=0.05, use_dropout=True,
                      dropout_ratio=0.4, use_batchnorm=True, seed=5)


b1_a, beta1_a, b2_a = rng.normal(size=6), rng.normal(size=6), rng.normal(size=4)
v_b1, v_beta1 = np.array([0.5, -1.0, 0.2, 0.0, 1.5]), np.array([-0.3, 0.4, 1.0, 0.0, -0.6])


def _shifted(b1, beta1, b2=None):
    """b1, beta1 (and b2) set to values that are not 0, so that decay on them shows."""
    steps = [put("params.b1", b1), put("params.beta1", beta1)]
    return steps + ([put("params.b2", b2)] if b2 is not None else [])


def _params():
    return get("params", label="属性 params（パラメータの辞書）")


def _predict(x, train_flg, label=""):
    mode = "True" if train_flg else "False"
    return call("predict", x, train_flg=train_flg, label=label or f"predict(x, train_flg={mode}) の出力")


ERROR_HINTS = [
    ("'NoneType'", "gradient の順伝播がテスト時の動作（train_flg=False）になっていませんか。BatchNormalization と "
                   "Dropout の backward は学習時の forward で保存した値（マスク、正規化の途中の値）を使うので、"
                   "gradient では loss(x, t, train_flg=True) で順伝播します。"),
    ("KeyError", "辞書のキーを確かめてください。パラメータは 'W1', 'b1', 'gamma1', 'beta1', ...、レイヤは "
                 "'Affine1', 'BatchNorm1', 'Activation_function1', 'Dropout1', ... です。"),
]


def _check(scenarios, visible):
    return ClassCheck(function="MultiLayerNetExtend", reference=ReferenceMultiLayerNetExtend, scenarios=scenarios,
                      visible=visible, mistakes=MISTAKES, error_hints=ERROR_HINTS, rtol=1e-7, atol=1e-10,
                      dtype="float")


CHECKS = {
    "extend_init": [_check([
        Scenario("5-6-4-3、relu と He の初期値（オプションなし）", [new(5, [6, 4], 3, seed=1), _params()]),
        Scenario("5-6-4-3、sigmoid と Xavier の初期値、Batch Normalization あり", [
            new(5, [6, 4], 3, activation="sigmoid", weight_init_std="xavier", use_batchnorm=True, seed=2), _params()]),
        Scenario("8-3-4、初期値の標準偏差 0.01（数値で指定）", [new(8, [3], 4, weight_init_std=0.01, seed=4), _params()]),
        Scenario("8-3-4、weight_init_std='he'", [new(8, [3], 4, weight_init_std="he", seed=4), _params()]),
        Scenario("すべてのオプションあり", [new(5, [6, 4], 3, **ALL_ON), _params()]),
    ], [
        Scenario("4-5-3、relu と He の初期値", [new(4, [5], 3, seed=0), _params()]),
        Scenario("4-5-3-3、sigmoid と Xavier の初期値、Batch Normalization あり", [
            new(4, [5, 3], 3, activation="sigmoid", weight_init_std="sigmoid", use_batchnorm=True, seed=1), _params()]),
    ])],
    "extend_predict": [_check([
        Scenario("relu、オプションなし、テスト時", [new(5, [6, 4], 3, seed=1), _predict(x_a, False)]),
        Scenario("sigmoid と Xavier、テスト時", [
            new(5, [6, 4], 3, activation="sigmoid", weight_init_std="xavier", seed=2), _predict(x_a, False)]),
        Scenario("Batch Normalization: 学習時 2 回、そのあとテスト時", [
            new(5, [6, 4], 3, use_batchnorm=True, seed=3), _predict(x_a, True), _predict(x_b, True),
            _predict(x_b, False)]),
        Scenario("ドロップアウト（ratio 0.3）: 学習時 2 回（層ごと・呼び出しごとに違うマスク）、そのあとテスト時", [
            new(5, [6, 6, 4], 3, use_dropout=True, dropout_ratio=0.3, seed=4), _predict(x_a, True),
            _predict(x_a, True, "2 回目の predict(x, train_flg=True) の出力"), _predict(x_a, False)]),
        Scenario("すべてのオプションあり（sigmoid）: 学習時とテスト時", [
            new(5, [6, 4], 3, **SIGMOID_ALL_ON), _predict(x_a, True), _predict(x_b, False)]),
    ], [
        Scenario("4-5-3、relu、テスト時", [new(4, [5], 3, seed=0), _predict(v_x, False)]),
        Scenario("Batch Normalization とドロップアウト: 学習時 2 回、そのあとテスト時", [
            new(4, [5, 5], 3, use_batchnorm=True, use_dropout=True, dropout_ratio=0.4, seed=2), _predict(v_x, True),
            _predict(v_x, True, "2 回目の predict(x, train_flg=True) の出力"), _predict(v_x2, False)]),
        Scenario("sigmoid と Xavier、Batch Normalization あり: 学習時とテスト時", [
            new(4, [5], 3, activation="sigmoid", weight_init_std="xavier", use_batchnorm=True, seed=1),
            _predict(v_x, True), _predict(v_x2, False)]),
    ])],
    "extend_loss": [_check([
        Scenario("λ = 0.1、Batch Normalization、学習時の loss（b1, beta1, b2 も 0 でない）", [
            new(5, [6, 4], 3, weight_decay_lambda=0.1, use_batchnorm=True, seed=1), *_shifted(b1_a, beta1_a, b2_a),
            call("loss", x_a, t_a, train_flg=True, label="loss(x, t, train_flg=True) の値")]),
        Scenario("λ = 0.5、テスト時の loss（t は one-hot）", [
            new(5, [6, 4], 3, weight_decay_lambda=0.5, seed=2),
            call("loss", x_a, t_a_onehot, label="loss(x, t) の値")]),
        Scenario("λ = 0（荷重減衰なし）", [new(8, [3], 4, seed=4), call("loss", x_c, t_c, label="loss(x, t) の値")]),
    ], [
        Scenario("λ = 0.1、Batch Normalization、テスト時と学習時の loss（b1, beta1 も 0 でない）", [
            new(4, [5], 3, weight_decay_lambda=0.1, use_batchnorm=True, seed=0), *_shifted(v_b1, v_beta1),
            call("loss", v_x, v_t, label="loss(x, t) の値"),
            call("loss", v_x, v_t, train_flg=True, label="loss(x, t, train_flg=True) の値")]),
        Scenario("λ = 0.2、t が one-hot", [
            new(4, [5], 3, weight_decay_lambda=0.2, seed=1),
            call("loss", v_x, np.eye(3)[v_t], label="loss(x, t) の値（t は one-hot）")]),
    ])],
    "extend_gradient": [_check([
        Scenario("すべてのオプションあり（relu、λ = 0.1、ドロップアウト 0.3、Batch Normalization）", [
            new(5, [6, 4], 3, **ALL_ON), *_shifted(b1_a, beta1_a, b2_a),
            call("gradient", x_a, t_a, label="gradient(x, t) の戻り値（勾配の辞書）")]),
        Scenario("すべてのオプションあり（sigmoid）、gradient を 2 回", [
            new(5, [6, 4], 3, **SIGMOID_ALL_ON), call("gradient", x_a, t_a, record=False),
            call("gradient", x_b, t_a[:4], label="2 回目の gradient(x, t) の戻り値")]),
        Scenario("オプションなし、λ = 0.2", [
            new(8, [3, 3], 4, weight_decay_lambda=0.2, seed=4), call("gradient", x_c, t_c, label="gradient(x, t) の戻り値")]),
    ], [
        Scenario("すべてのオプションあり（relu、λ = 0.1、ドロップアウト 0.3、Batch Normalization）", [
            new(4, [5, 5], 3, **ALL_ON), *_shifted(v_b1, v_beta1),
            call("gradient", v_x, v_t, label="gradient(x, t) の戻り値（勾配の辞書）")]),
        Scenario("sigmoid、λ = 0.2（ドロップアウトと Batch Normalization なし）", [
            new(4, [5], 3, activation="sigmoid", weight_init_std="sigmoid", weight_decay_lambda=0.2, seed=1),
            call("gradient", v_x, v_t, label="gradient(x, t) の戻り値（勾配の辞書）")]),
    ])],
}
