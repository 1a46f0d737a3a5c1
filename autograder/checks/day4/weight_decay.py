"""Hidden checks of 4_4_weight_decay: the L2 weight-decay term and its gradient.

Conventions stated in the notebook and tested here:
- ``weight_decay_loss(params, weight_decay_lambda)``: ``params`` is a dict of arrays with keys ``W1, b1, W2, b2, ...``;
  the value is ``0.5 * weight_decay_lambda * Σ_i np.sum(W_i ** 2)`` over the weights (keys starting with "W")
  only, never the biases; a Python/numpy float. ``params`` is not modified.
- ``weight_decay_gradient(W, dW, weight_decay_lambda)``: the gradient of (data loss + the term above) with respect to
  one weight matrix, ``dW + weight_decay_lambda * W``, a new array; ``W`` and ``dW`` are not modified.
- ``MultiLayerNet(input_size, hidden_size_list, output_size, weight_decay_lambda=0.0, seed=0)``: the notebook gives
  ``__init__`` (He initialisation from ``np.random.default_rng(seed)``, W1 first; layers Affine1, Relu1, ...,
  Affine{L}; ``last_layer`` SoftmaxWithLoss) and ``predict``; the student writes ``loss(x, t)`` = cross-entropy +
  0.5 * λ * Σ‖W‖² (weights only) and ``gradient(x, t)`` -> a new dict ``W{i}``: dW + λ * W, ``b{i}``: db (no decay),
  leaving every Affine layer's ``dW`` as backpropagation left it (the decay term goes into a new array).
"""

from collections import OrderedDict

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put
from course.layers import Affine, Relu, SoftmaxWithLoss

NOTEBOOK = "4_4_weight_decay"


def reference_weight_decay_loss(params, weight_decay_lambda):
    return 0.5 * weight_decay_lambda * sum(float(np.sum(v ** 2)) for k, v in params.items() if k.startswith("W"))


def reference_weight_decay_gradient(W, dW, weight_decay_lambda):
    return dW + weight_decay_lambda * W


LOSS_MISTAKES = [
    Mistake("バイアス b にも荷重減衰をかけています。荷重減衰の対象は重み W（キーが 'W' で始まるもの）だけです。",
            lambda params, lam: 0.5 * lam * sum(float(np.sum(v ** 2)) for v in params.values())),
    Mistake("係数 0.5 が抜けています。荷重減衰の項は 0.5 * λ * Σ‖W‖² です（微分すると λ * W になるように 0.5 を付けます）。",
            lambda params, lam: lam * sum(float(np.sum(v ** 2)) for k, v in params.items() if k.startswith("W"))),
    Mistake("λ（weight_decay_lambda）を掛けていません。荷重減衰の項は 0.5 * λ * Σ‖W‖² です。",
            lambda params, lam: 0.5 * sum(float(np.sum(v ** 2)) for k, v in params.items() if k.startswith("W"))),
    Mistake("2 乗ではなく絶対値の和（L1 ノルム）になっています。L2 の荷重減衰は重みの 2 乗和 np.sum(W ** 2) を使います。",
            lambda params, lam: 0.5 * lam * sum(float(np.sum(np.abs(v))) for k, v in params.items() if k.startswith("W"))),
    Mistake("ノルムを 2 乗していません。np.sqrt をとらず、2 乗和 np.sum(W ** 2) をそのまま使います。",
            lambda params, lam: 0.5 * lam * sum(float(np.sqrt(np.sum(v ** 2))) for k, v in params.items()
                                                if k.startswith("W"))),
]
GRADIENT_MISTAKES = [
    Mistake("λ（weight_decay_lambda）を掛けていません。勾配に足すのは λ * W です。", lambda W, dW, lam: dW + W),
    Mistake("0.5 * λ * W を足しています。0.5 * λ * ‖W‖² を微分すると 0.5 が 2 と打ち消し合って λ * W になります。",
            lambda W, dW, lam: dW + 0.5 * lam * W),
    Mistake("もとの勾配 dW を足していません。荷重減衰の勾配 λ * W は、損失関数の勾配 dW に「足す」ものです。",
            lambda W, dW, lam: lam * W),
    Mistake("符号が逆です。損失に 0.5 * λ * ‖W‖² を足したので、勾配には + λ * W を足します。",
            lambda W, dW, lam: dW - lam * W),
]

class ReferenceMultiLayerNet:
    """The notebook's MultiLayerNet with weight decay (the given __init__/predict and the answer)."""

    def __init__(self, input_size, hidden_size_list, output_size, weight_decay_lambda=0.0, seed=0):
        self.weight_decay_lambda = weight_decay_lambda
        rng = np.random.default_rng(seed)
        sizes = [input_size, *hidden_size_list, output_size]
        self.n_layers = len(sizes) - 1
        self.params = {}
        self.layers = OrderedDict()
        for i in range(1, self.n_layers + 1):
            self.params[f"W{i}"] = np.sqrt(2.0 / sizes[i - 1]) * rng.standard_normal((sizes[i - 1], sizes[i]))
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i < self.n_layers:
                self.layers[f"Relu{i}"] = Relu()
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def _decay(self, keys=("W",), half=True):
        total = sum(float(np.sum(v ** 2)) for k, v in self.params.items() if k.startswith(keys))
        return (0.5 if half else 1.0) * self.weight_decay_lambda * total

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t) + self._decay()

    def _backward(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

    def gradient(self, x, t):
        self._backward(x, t)
        grads = {}
        for i in range(1, self.n_layers + 1):
            layer = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = layer.dW + self.weight_decay_lambda * layer.W
            grads[f"b{i}"] = layer.db
        return grads


class _NetBiasDecay(ReferenceMultiLayerNet):
    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t) + self._decay(keys=("W", "b"))

    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g + self.weight_decay_lambda * self.params[k] if k.startswith("b") else g for k, g in grads.items()}


class _NetWithoutHalf(ReferenceMultiLayerNet):
    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t) + self._decay(half=False)


class _NetLossWithoutLambda(ReferenceMultiLayerNet):
    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t) + 0.5 * sum(
            float(np.sum(v ** 2)) for k, v in self.params.items() if k.startswith("W"))


class _NetLossWithoutDecay(ReferenceMultiLayerNet):
    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)


class _NetGradientWithoutLambda(ReferenceMultiLayerNet):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g + (1 - self.weight_decay_lambda) * self.params[k] if k.startswith("W") else g
                for k, g in grads.items()}


class _NetGradientHalfLambda(ReferenceMultiLayerNet):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g - 0.5 * self.weight_decay_lambda * self.params[k] if k.startswith("W") else g
                for k, g in grads.items()}


class _NetGradientWithoutDecay(ReferenceMultiLayerNet):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        return {k: g - self.weight_decay_lambda * self.params[k] if k.startswith("W") else g
                for k, g in grads.items()}


class _NetGradientInPlace(ReferenceMultiLayerNet):
    def gradient(self, x, t):
        self._backward(x, t)
        grads = {}
        for i in range(1, self.n_layers + 1):
            layer = self.layers[f"Affine{i}"]
            layer.dW += self.weight_decay_lambda * layer.W
            grads[f"W{i}"], grads[f"b{i}"] = layer.dW, layer.db
        return grads


NET_MISTAKES = [
    Mistake("バイアス b にも荷重減衰をかけています。損失に足すのは重み W だけの 0.5 * λ * Σ‖W‖² で、"
            "勾配に λ * W を足すのも W だけです（b の勾配は db のまま）。", _NetBiasDecay),
    Mistake("損失の荷重減衰の項に係数 0.5 がありません。損失は 交差エントロピー誤差 + 0.5 * λ * Σ‖W‖² です。",
            _NetWithoutHalf),
    Mistake("損失の荷重減衰の項に λ（weight_decay_lambda）を掛けていません。損失は 交差エントロピー誤差 + "
            "0.5 * λ * Σ‖W‖² です。", _NetLossWithoutLambda),
    Mistake("loss に荷重減衰の項 0.5 * λ * Σ‖W‖² が入っていません。loss は交差エントロピー誤差にこの項を足した値を返します。",
            _NetLossWithoutDecay),
    Mistake("重みの勾配に λ を掛けずに W を足しています。勾配は dW + λ * W です。", _NetGradientWithoutLambda),
    Mistake("重みの勾配に 0.5 * λ * W を足しています。0.5 * λ * ‖W‖² を微分すると λ * W です。", _NetGradientHalfLambda),
    Mistake("荷重減衰を損失には足していますが、勾配には足していません。重みの勾配は dW + λ * W です"
            "（損失に項を足したら、その微分も勾配に足します）。", _NetGradientWithoutDecay),
    Mistake("Affine レイヤの dW（誤差逆伝播法の結果）を dW += λ * W で書き換えています。λ * W は新しい配列 "
            "dW + λ * W として grads に入れ、レイヤの dW はそのまま残します。", _NetGradientInPlace),
]

net_rng = np.random.default_rng(4401)
n_x2, n_t2 = net_rng.normal(size=(5, 6)), np.array([0, 2, 1, 2, 0])
n_t2_onehot = np.eye(3)[n_t2]
n_b2 = [net_rng.normal(size=5), net_rng.normal(size=4), net_rng.normal(size=3)]
n_x1, n_t1 = net_rng.normal(size=(4, 5)), np.array([1, 0, 3, 3])
n_b1 = [net_rng.normal(size=6), net_rng.normal(size=4)]

v_nx = np.array([[1.0, -0.5, 0.2, 0.0],
                 [0.3, 0.8, -1.0, 0.5],
                 [-0.7, 0.1, 0.4, 1.2]])
v_nt = np.array([2, 0, 1])
v_nb1, v_nb2 = np.array([0.5, -1.0, 0.2, 0.0, 1.5]), np.array([-0.3, 0.4, 1.0])


def _biases(values):
    return [put(f"params.b{i}", b) for i, b in enumerate(values, start=1)]


def _net_loss(x, t):
    return call("loss", x, t, label="loss(x, t) の値")


def _net_gradient(x, t, n_layers):
    steps = [call("gradient", x, t, label="gradient(x, t) の戻り値（勾配の辞書）")]
    return steps + [get(f"layers.Affine{i}.dW", label=f"gradient のあとの layers['Affine{i}'].dW")
                    for i in range(1, n_layers + 1)]


def _net_check(scenarios, visible):
    return ClassCheck(function="MultiLayerNet", reference=ReferenceMultiLayerNet, scenarios=scenarios,
                      visible=visible, mistakes=NET_MISTAKES, rtol=1e-7, atol=1e-10, dtype="float")


rng = np.random.default_rng(4400)


def _params(*sizes):
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.normal(size=(n_in, n_out)), rng.normal(size=n_out) * 3
    return params


p_two, p_three = _params(4, 3, 2), _params(5, 4, 4, 3)
p_bias_only = {"W1": np.zeros((3, 2)), "b1": np.array([1.0, -2.0])}
p_one_weight = {"W1": np.array([[0.0, 2.0], [0.0, 0.0]]), "b1": np.zeros(2)}
W_a, dW_a = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
W_b, dW_b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))

v_params = {"W1": np.array([[1.0, -2.0], [0.5, 0.0]]), "b1": np.array([3.0, -1.0]),
            "W2": np.array([[2.0], [-1.0]]), "b2": np.array([4.0])}
v_W, v_dW = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), np.array([[0.1, 0.2, -0.3], [0.5, -0.5, 0.0]])

CHECKS = {
    "weight_decay_loss_values": [FunctionCheck(
        function="weight_decay_loss", reference=reference_weight_decay_loss, dtype="float", rtol=1e-9, atol=1e-12,
        visible=[Case("2 層のパラメータ（W1, b1, W2, b2）、λ = 0.1", (v_params, 0.1)),
                 Case("同じパラメータ、λ = 0（荷重減衰なし）", (v_params, 0.0))],
        cases=[Case("2 層（4-3-2）のランダムなパラメータ、λ = 0.01", (p_two, 0.01)),
               Case("3 層（5-4-4-3）、λ = 0.5", (p_three, 0.5)),
               Case("W がすべて 0 で b だけ 0 でない（値は 0）", (p_bias_only, 0.3)),
               Case("W の 1 要素だけが 2（値は 0.5 * λ * 4）", (p_one_weight, 0.2)),
               Case("λ = 0", (p_three, 0.0))],
        mistakes=LOSS_MISTAKES)],
    "weight_decay_gradient_values": [FunctionCheck(
        function="weight_decay_gradient", reference=reference_weight_decay_gradient, dtype="float", returns="array",
        rtol=1e-9, atol=1e-12,
        visible=[Case("2×3 の W と dW、λ = 0.1", (v_W, v_dW, 0.1)),
                 Case("dW がすべて 0（λ * W だけが残る）、λ = 0.5", (v_W, np.zeros((2, 3)), 0.5))],
        cases=[Case("4×3 の W と dW、λ = 0.01", (W_a, dW_a, 0.01)),
               Case("6×5 の W と dW、λ = 1", (W_b, dW_b, 1.0)),
               Case("dW がすべて 0、λ = 0.2", (W_a, np.zeros((4, 3)), 0.2)),
               Case("λ = 0（dW のまま）", (W_b, dW_b, 0.0))],
        mistakes=GRADIENT_MISTAKES)],
}

CHECKS["multi_layer_net_loss"] = [_net_check([
    Scenario("6-5-4-3 のネットワーク（バイアスも 0 でない）、λ = 0.05", [
        new(6, [5, 4], 3, weight_decay_lambda=0.05, seed=7), *_biases(n_b2), _net_loss(n_x2, n_t2)]),
    Scenario("同じネットワーク、λ = 1、t が one-hot", [
        new(6, [5, 4], 3, weight_decay_lambda=1.0, seed=7), *_biases(n_b2), _net_loss(n_x2, n_t2_onehot)]),
    Scenario("5-6-4 のネットワーク、λ = 0（荷重減衰なし）", [
        new(5, [6], 4, weight_decay_lambda=0.0, seed=2), *_biases(n_b1), _net_loss(n_x1, n_t1)]),
], [
    Scenario("4-5-3 のネットワーク（バイアスも 0 でない）、λ = 0.1", [
        new(4, [5], 3, weight_decay_lambda=0.1, seed=1), *_biases([v_nb1, v_nb2]), _net_loss(v_nx, v_nt)]),
    Scenario("同じネットワーク、λ = 0（荷重減衰なし）、t が one-hot", [
        new(4, [5], 3, seed=1), *_biases([v_nb1, v_nb2]), _net_loss(v_nx, np.eye(3)[v_nt])]),
])]
CHECKS["multi_layer_net_gradient"] = [_net_check([
    Scenario("6-5-4-3 のネットワーク（バイアスも 0 でない）、λ = 0.05", [
        new(6, [5, 4], 3, weight_decay_lambda=0.05, seed=7), *_biases(n_b2), *_net_gradient(n_x2, n_t2, 3)]),
    Scenario("同じネットワーク、λ = 1、t が one-hot", [
        new(6, [5, 4], 3, weight_decay_lambda=1.0, seed=7), *_biases(n_b2), *_net_gradient(n_x2, n_t2_onehot, 3)]),
    Scenario("5-6-4 のネットワーク、λ = 0（荷重減衰なし）", [
        new(5, [6], 4, weight_decay_lambda=0.0, seed=2), *_biases(n_b1), *_net_gradient(n_x1, n_t1, 2)]),
], [
    Scenario("4-5-3 のネットワーク（バイアスも 0 でない）、λ = 0.1", [
        new(4, [5], 3, weight_decay_lambda=0.1, seed=1), *_biases([v_nb1, v_nb2]), *_net_gradient(v_nx, v_nt, 2)]),
    Scenario("同じネットワーク、λ = 0（荷重減衰なし）、t が one-hot", [
        new(4, [5], 3, seed=1), *_biases([v_nb1, v_nb2]), *_net_gradient(v_nx, np.eye(3)[v_nt], 2)]),
])]
