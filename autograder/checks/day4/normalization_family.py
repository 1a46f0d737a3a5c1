"""Hidden checks of 4_2_normalization_family: the LayerNormalization layer.

Conventions stated in the notebook and tested here (reference: ``course.layers.LayerNormalization``):
- ``LayerNormalization(gamma, beta)``, ``forward(x, train_flg=True)`` on (N, D): per sample (axis=1) mean and
  biased variance, ``eps = 1e-6`` inside the square root, ``out = gamma * xn + beta``; the same at test time.
- ``backward(dout)`` returns dx and stores ``dgamma = sum(xn * dout, axis=0)``, ``dbeta = sum(dout, axis=0)``;
  ``dout`` is not modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.layers import LayerNormalization as ReferenceLayerNormalization

NOTEBOOK = "4_2_normalization_family"
EPS = ReferenceLayerNormalization.eps


class _BatchAxis(ReferenceLayerNormalization):
    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0, keepdims=True)
        self.std = np.sqrt(x.var(axis=0, keepdims=True) + EPS)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta


class _EpsOutside(ReferenceLayerNormalization):
    def forward(self, x, train_flg=True):
        mu = x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(x.var(axis=1, keepdims=True)) + EPS
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta


class _Unbiased(ReferenceLayerNormalization):
    def forward(self, x, train_flg=True):
        mu = x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + EPS)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta


class _NoMeanTerm(ReferenceLayerNormalization):
    def backward(self, dout):
        super().backward(dout)
        dxn = self.gamma * dout
        return (dxn - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)) / self.std


class _NoVarianceTerm(ReferenceLayerNormalization):
    def backward(self, dout):
        super().backward(dout)
        dxn = self.gamma * dout
        return (dxn - dxn.mean(axis=1, keepdims=True)) / self.std


class _GradsOverFeatures(ReferenceLayerNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dgamma = np.sum(self.xn * dout, axis=1)
        self.dbeta = np.sum(dout, axis=1)
        return dx


MISTAKES = [
    Mistake("平均と分散をとる軸が違います。レイヤ正規化ではサンプルごとに特徴量の方向（axis=1）で平均と分散を求めます"
            "（axis=0 はバッチ正規化です）。keepdims=True にすると形をそろえやすくなります。", _BatchAxis),
    Mistake("epsilon を平方根の外で足しています。std = np.sqrt(var + 1e-6) のように平方根の中で足します。", _EpsOutside),
    Mistake("不偏分散（ddof=1）を使っています。このノートブックでは D で割る分散を使います。", _Unbiased),
    Mistake("逆伝播の式から平均の項が抜けています。dxn = gamma * dout として "
            "dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / std（平均は axis=1）です。", _NoMeanTerm),
    Mistake("逆伝播の式から分散を通る項（xn * mean(dxn * xn)）が抜けています。", _NoVarianceTerm),
    Mistake("dgamma と dbeta はサンプルの方向（axis=0）に合計します。gamma と beta は全サンプルで共有される (D,) の配列です。",
            _GradsOverFeatures),
]
ERROR_HINTS = [("could not be broadcast", "配列の形状が合っていません。平均と分散は mean(axis=1, keepdims=True) のように "
                                          "形 (N, 1) で求めると、(N, D) の x から引けます。")]

rng = np.random.default_rng(4200)
x_a, dout_a = rng.normal(size=(5, 6)) * np.array([[1.0], [0.01], [3.0], [0.5], [2.0]]) + 1.0, rng.normal(size=(5, 6))
gamma_a, beta_a = rng.normal(size=6), rng.normal(size=6)
x_b, dout_b, gamma_b, beta_b = rng.normal(size=(3, 8)) * 2, rng.normal(size=(3, 8)), rng.normal(size=8), rng.normal(size=8)
v_x = np.array([[1.0, 2.0, 3.0, -2.0], [0.01, 0.02, -0.01, 0.0], [5.0, -1.0, 2.0, 2.0]])
v_dout = np.array([[1.0, -1.0, 0.5, 2.0], [0.3, 0.2, -0.1, 1.0], [-2.0, 0.5, 1.0, 0.0]])
v_gamma, v_beta = np.array([1.5, 0.5, -1.0, 2.0]), np.array([0.1, -0.2, 0.3, 0.0])


def _check(scenarios, visible):
    return ClassCheck(function="LayerNormalization", reference=ReferenceLayerNormalization, scenarios=scenarios,
                      visible=visible, mistakes=MISTAKES, error_hints=ERROR_HINTS, rtol=1e-6, atol=1e-9, dtype="float")


def _fwd(x, train_flg=True):
    return call("forward", x, train_flg=train_flg,
                label=f"forward(x, train_flg={train_flg}) の出力")


def _bwd(x, dout):
    return [call("forward", x, train_flg=True, record=False),
            call("backward", dout, label="backward(dout) の戻り値 dx"), get("dgamma"), get("dbeta")]


CHECKS = {
    "ln_forward": [_check([
        Scenario("5×6 の x（行ごとに大きさが違う、小さな行あり）", [new(gamma_a, beta_a), _fwd(x_a)]),
        Scenario("テスト時も同じ計算", [new(gamma_a, beta_a), _fwd(x_a, False)]),
        Scenario("3×8 の x", [new(gamma_b, beta_b), _fwd(x_b)]),
    ], [
        Scenario("3×4 の x（2 行目はばらつきがとても小さい）", [new(v_gamma, v_beta), _fwd(v_x), _fwd(v_x, False)]),
    ])],
    "ln_backward": [_check([
        Scenario("5×6 の x と dout", [new(gamma_a, beta_a), *_bwd(x_a, dout_a)]),
        Scenario("dout がすべて 1", [new(gamma_a, beta_a), *_bwd(x_a, np.ones((5, 6)))]),
        Scenario("3×8 の x と dout", [new(gamma_b, beta_b), *_bwd(x_b, dout_b)]),
    ], [
        Scenario("3×4 の x と dout", [new(v_gamma, v_beta), *_bwd(v_x, v_dout)]),
        Scenario("dout がすべて 1", [new(v_gamma, v_beta), *_bwd(v_x, np.ones((3, 4)))]),
    ])],
}
