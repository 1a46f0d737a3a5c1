"""Hidden checks of 4_4_weight_decay: the L2 weight-decay term and its gradient.

Conventions stated in the notebook and tested here:
- ``weight_decay_loss(params, weight_decay_lambda)``: ``params`` is a dict of arrays with keys ``W1, b1, W2, b2, ...``;
  the value is ``0.5 * weight_decay_lambda * Σ_i np.sum(W_i ** 2)`` over the weights (keys starting with "W")
  only, never the biases; a Python/numpy float. ``params`` is not modified.
- ``weight_decay_gradient(W, dW, weight_decay_lambda)``: the gradient of (data loss + the term above) with respect to
  one weight matrix, ``dW + weight_decay_lambda * W``, a new array; ``W`` and ``dW`` are not modified.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

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
