"""Hidden checks of 4_1_batch_normalization: the BatchNormalization layer.

Conventions stated in the notebook and tested here (the reference is ``course.batch_normalization.BatchNormalization``):
- ``BatchNormalization(gamma, beta, momentum=0.9, running_mean=None, running_var=None)``;
  ``forward(x, train_flg=True)``, ``backward(dout) -> dx``, gradients in ``dgamma``, ``dbeta``.
- Training: mean and biased variance (divided by N) over axis 0; ``eps = 1e-6`` inside the square root;
  ``running = momentum * running + (1 - momentum) * batch statistic``; running statistics start as zeros.
- Test (``train_flg=False``): the running statistics, which are left unchanged.
- Input (N, D) or (N, C, H, W), the latter treated as (N, C*H*W) and reshaped back (also dx).
- ``dout`` is never modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.batch_normalization import BatchNormalization as ReferenceBatchNormalization

NOTEBOOK = "4_1_batch_normalization"

RTOL, ATOL = 1e-6, 1e-9
EPS = ReferenceBatchNormalization.eps


# --------------------------------------------------------------------------- typical mistakes
class _Flat(ReferenceBatchNormalization):
    """Helpers for the wrong variants: normalise a (N, D) array with given statistics."""

    def _start(self, x):
        x = np.asarray(x)
        self.input_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if self.running_mean is None:
            self.running_mean = np.zeros(x2.shape[1])
            self.running_var = np.zeros(x2.shape[1])
        return x2

    def _out(self, xn):
        return (self.gamma.reshape(-1) * xn + self.beta.reshape(-1)).reshape(self.input_shape)


class _TrainUsesRunning(_Flat):
    def forward(self, x, train_flg=True):
        x2 = self._start(x)
        if train_flg:
            super().forward(x, True)  # updates the running statistics and keeps xc, std for backward
        return self._out((x2 - self.running_mean) / np.sqrt(self.running_var + EPS))


class _TestUsesBatch(_Flat):
    def forward(self, x, train_flg=True):
        if train_flg:
            return super().forward(x, True)
        x2 = self._start(x)
        mu, var = x2.mean(axis=0), x2.var(axis=0)
        return self._out((x2 - mu) / np.sqrt(var + EPS))


class _MomentumSwapped(_Flat):
    def forward(self, x, train_flg=True):
        if not train_flg:
            return super().forward(x, False)
        x2 = self._start(x)
        old_mean, old_var = self.running_mean, self.running_var
        out = super().forward(x, True)
        m = self.momentum
        self.running_mean = (1 - m) * old_mean + m * x2.mean(axis=0)
        self.running_var = (1 - m) * old_var + m * x2.var(axis=0)
        return out


class _NoRunningUpdate(_Flat):
    def forward(self, x, train_flg=True):
        self._start(x)
        mean, var = self.running_mean, self.running_var
        out = super().forward(x, train_flg)
        self.running_mean, self.running_var = mean, var
        return out


class _TestUpdatesRunning(_Flat):
    def forward(self, x, train_flg=True):
        if not train_flg:
            x2 = self._start(x)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * x2.mean(axis=0)
            self.running_var = m * self.running_var + (1 - m) * x2.var(axis=0)
        return super().forward(x, train_flg)


class _WrongAxis(_Flat):
    """Statistics per sample (axis=1), as layer normalisation would."""

    def forward(self, x, train_flg=True):
        x2 = np.asarray(x).reshape(len(x), -1)
        self.input_shape = np.shape(x)
        mu = x2.mean(axis=1, keepdims=True)
        var = x2.var(axis=1, keepdims=True)
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(len(x2)), np.zeros(len(x2))
        if train_flg:
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mu.reshape(-1)
            self.running_var = m * self.running_var + (1 - m) * var.reshape(-1)
            self.xc, self.std, self.batch_size = x2 - mu, np.sqrt(var + EPS), x2.shape[0]
            self.xn = self.xc / self.std
            return self._out(self.xn)
        return self._out((x2 - self.running_mean) / np.sqrt(self.running_var + EPS))


class _EpsOutside(_Flat):
    def forward(self, x, train_flg=True):
        x2 = self._start(x)
        if not train_flg:
            return self._out((x2 - self.running_mean) / (np.sqrt(self.running_var) + EPS))
        out = super().forward(x, True)
        self.std = np.sqrt(x2.var(axis=0)) + EPS
        self.xn = self.xc / self.std
        return self._out(self.xn)


class _UnbiasedVariance(_Flat):
    def forward(self, x, train_flg=True):
        x2 = self._start(x)
        if not train_flg:
            return super().forward(x, False)
        mean_before, var_before = self.running_mean, self.running_var
        super().forward(x, True)
        var = x2.var(axis=0, ddof=1)
        self.std = np.sqrt(var + EPS)
        self.xn = self.xc / self.std
        m = self.momentum
        self.running_mean = m * mean_before + (1 - m) * x2.mean(axis=0)
        self.running_var = m * var_before + (1 - m) * var
        return self._out(self.xn)


class _ShortcutWithoutMeanTerm(ReferenceBatchNormalization):
    def backward(self, dout):
        super().backward(dout)
        d = np.asarray(dout).reshape(self.batch_size, -1)
        g = self.gamma.reshape(-1)
        dx = g / self.std * (d - self.xn * np.mean(d * self.xn, axis=0))
        return dx.reshape(self.input_shape)


class _ShortcutWithoutVarianceTerm(ReferenceBatchNormalization):
    def backward(self, dout):
        super().backward(dout)
        d = np.asarray(dout).reshape(self.batch_size, -1)
        g = self.gamma.reshape(-1)
        dx = g / self.std * (d - np.mean(d, axis=0))
        return dx.reshape(self.input_shape)


class _BackwardWithoutGamma(ReferenceBatchNormalization):
    def backward(self, dout):
        gamma = self.gamma
        self.gamma = np.ones_like(gamma)
        dx = super().backward(dout)
        self.gamma = gamma
        return dx


class _DbetaMean(ReferenceBatchNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dbeta = self.dbeta / self.batch_size
        return dx


class _DgammaUsesXc(ReferenceBatchNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        d = np.asarray(dout).reshape(self.batch_size, -1)
        self.dgamma = np.sum(self.xc * d, axis=0).reshape(np.shape(self.gamma))
        return dx


class _NotReshapedBack(ReferenceBatchNormalization):
    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        return super().forward(x, train_flg).reshape(x.shape[0], -1)

    def backward(self, dout):
        return super().backward(dout).reshape(self.batch_size, -1)


class _BackwardNotReshapedBack(ReferenceBatchNormalization):
    def backward(self, dout):
        return super().backward(dout).reshape(self.batch_size, -1)


MISTAKES = [
    Mistake("学習時（train_flg=True）に移動平均 running_mean / running_var で正規化しています。学習時はそのミニバッチの"
            "平均と分散を使い、移動平均は更新するだけです。", _TrainUsesRunning),
    Mistake("テスト時（train_flg=False）にミニバッチの平均と分散を使っています。テスト時は学習中に記録した "
            "running_mean / running_var で正規化し、移動平均は更新しません。", _TestUsesBatch),
    Mistake("テスト時（train_flg=False）にも移動平均を更新しています。running_mean / running_var を更新するのは"
            "学習時だけで、テスト時は読むだけです。", _TestUpdatesRunning),
    Mistake("移動平均の重みが入れ替わっています。running_mean = momentum * running_mean + (1 - momentum) * mu "
            "です（running_var も同じ形）。", _MomentumSwapped),
    Mistake("学習時に running_mean / running_var を更新していません。forward(x, train_flg=True) のたびに "
            "momentum * running + (1 - momentum) * (バッチの統計量) で更新します。", _NoRunningUpdate),
    Mistake("平均と分散をとる軸が違います。バッチ正規化ではサンプルの方向（axis=0）に平均し、特徴量ごとに "
            "D 個の平均と分散を求めます（axis=1 はレイヤ正規化です）。", _WrongAxis),
    Mistake("epsilon を平方根の外で足しています。このノートブックでは std = np.sqrt(var + 1e-6) のように、"
            "epsilon は平方根の中で分散に足します。", _EpsOutside),
    Mistake("不偏分散（N - 1 で割る、ddof=1）を使っています。このノートブックでは N で割る分散 "
            "np.var(x, axis=0) を使います（移動平均にも同じ分散を使います）。", _UnbiasedVariance),
    Mistake("逆伝播の式から平均の項が抜けています。短い形の式は dx = gamma / std * (dout - mean(dout) - "
            "xn * mean(dout * xn)) で、平均はどちらも axis=0 でとります。", _ShortcutWithoutMeanTerm),
    Mistake("逆伝播の式から分散を通る項が抜けています。dx = gamma / std * (dout - mean(dout) - "
            "xn * mean(dout * xn)) の最後の項（xn を掛ける項）も必要です。", _ShortcutWithoutVarianceTerm),
    Mistake("逆伝播で gamma を掛けていません。dxn = gamma * dout から始めます。", _BackwardWithoutGamma),
    Mistake("dbeta をバッチで平均しています。dbeta = np.sum(dout, axis=0) です（合計です）。", _DbetaMean),
    Mistake("dgamma に正規化前の xc を使っています。dgamma = np.sum(xn * dout, axis=0) で、xn は正規化後の値です。",
            _DgammaUsesXc),
    Mistake("backward の戻り値 dx が (N, C*H*W) のままです。dx は入力 x と同じ形 (N, C, H, W) に戻します。",
            _BackwardNotReshapedBack),
    Mistake("4 次元の入力 (N, C, H, W) を (N, C*H*W) にしたまま返しています。出力も dx も入力 x と同じ形に "
            "reshape して戻します。", _NotReshapedBack),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(4100)


def _features(n, scales, offsets):
    """(n, D) inputs whose columns have very different scales (a small one makes eps visible)."""
    return rng.normal(size=(n, len(scales))) * np.asarray(scales) + np.asarray(offsets)


x_a = _features(6, [1.0, 0.01, 3.0, 0.5], [0.0, 2.0, -5.0, 1.0])
x_b = _features(6, [2.0, 0.02, 1.0, 0.5], [1.0, -1.0, 0.0, 3.0])
x_c = _features(3, [1.0, 0.05, 2.0, 0.3], [0.5, 0.0, 1.0, -2.0])
gamma_a, beta_a = np.array([1.5, 0.5, -1.0, 2.0]), np.array([0.1, -0.2, 0.3, 0.0])
dout_a, dout_b = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
dout_one = np.zeros((6, 4))
dout_one[2, 1] = 1.0
x_wide = rng.normal(size=(10, 7)) * 2 + 1
gamma_wide, beta_wide, dout_wide = rng.normal(size=7), rng.normal(size=7), rng.normal(size=(10, 7))
x4 = rng.normal(size=(5, 2, 3, 3)) * np.array([1.0, 0.02]).reshape(1, 2, 1, 1)
gamma4, beta4, dout4 = rng.normal(size=18), rng.normal(size=18), rng.normal(size=(5, 2, 3, 3))
given_mean, given_var = np.array([0.5, 2.0, -4.0, 1.0]), np.array([1.0, 1e-4, 9.0, 0.25])

# the visible self-check's inputs: small and written out
v_x = np.array([[1.0, 2.00, -5.0],
                [3.0, 2.02, -2.0],
                [-1.0, 1.99, -4.0],
                [0.0, 2.01, -1.0]])
v_x2 = np.array([[0.5, 2.03, -3.0],
                 [2.0, 1.98, -6.0],
                 [1.0, 2.00, -2.0],
                 [-2.0, 2.01, 0.0]])
v_gamma, v_beta = np.array([1.5, 0.5, -1.0]), np.array([0.1, -0.2, 0.3])
v_dout = np.array([[1.0, -0.5, 0.2],
                   [0.0, 2.0, -1.0],
                   [-1.5, 0.5, 0.3],
                   [0.4, -1.0, 1.0]])
v_mean, v_var = np.array([0.5, 2.0, -3.0]), np.array([4.0, 1e-4, 1.0])
v_x4 = np.arange(24, dtype=float).reshape(3, 2, 2, 2) ** 1.5 / 10
v_x4[:, 1] *= 0.01
v_gamma4, v_beta4 = np.linspace(0.5, 2.0, 8), np.linspace(-0.4, 0.3, 8)
v_dout4 = np.cos(np.arange(24, dtype=float)).reshape(3, 2, 2, 2)


def _train(x, **kw):
    return call("forward", x, label="forward(x, train_flg=True) の出力", train_flg=True, **kw)


def _running():
    return [get("running_mean"), get("running_var")]


def _backward_steps(x, dout):
    return [call("forward", x, train_flg=True, record=False),
            call("backward", dout, label="backward(dout) の戻り値 dx"), get("dgamma"), get("dbeta")]


ERROR_HINTS = [
    ("could not be broadcast", "配列の形状が合っていません。平均と分散はサンプルの方向（axis=0）にとり、形状 (D,) に"
                               "なります。running_mean, running_var, gamma, beta もすべて (D,) です。4 次元の入力は "
                               "(N, C*H*W) に reshape してから計算します。"),
    ("cannot reshape", "reshape の形が合っていません。forward では x.reshape(x.shape[0], -1)、出力と dx は "
                       "forward で保存した入力の形に戻します。"),
]


def _check(scenarios, visible):
    return ClassCheck(function="BatchNormalization", reference=ReferenceBatchNormalization, scenarios=scenarios,
                      visible=visible, mistakes=MISTAKES, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL,
                      dtype="float")


CHECKS = {
    "bn_forward_train": [_check([
        Scenario("6×4 の x（列ごとに大きさがまったく違う、小さな列あり）", [new(gamma_a, beta_a), _train(x_a)]),
        Scenario("gamma = 1, beta = 0 の 3×4 の x", [new(np.ones(4), np.zeros(4)), _train(x_c)]),
        Scenario("10×7 の x", [new(gamma_wide, beta_wide), _train(x_wide)]),
    ], [
        Scenario("4×3 の x（2 列目はばらつきがとても小さい）", [new(v_gamma, v_beta), _train(v_x)]),
    ])],
    "bn_running_statistics": [_check([
        Scenario("学習時の forward を 2 回（momentum = 0.9）: 移動平均", [
            new(gamma_a, beta_a), call("forward", x_a, train_flg=True, record=False), *_running(),
            call("forward", x_b, train_flg=True, record=False), *_running()]),
        Scenario("momentum = 0.7 で学習時の forward を 2 回: 移動平均", [
            new(gamma_a, beta_a, 0.7), call("forward", x_a, train_flg=True, record=False),
            call("forward", x_b, train_flg=True, record=False), *_running()]),
        Scenario("学習のあとのテスト時の forward（移動平均は変わらない）", [
            new(gamma_a, beta_a), call("forward", x_a, train_flg=True, record=False),
            call("forward", x_b, train_flg=True, record=False),
            call("forward", x_c, train_flg=False, label="forward(x, train_flg=False) の出力"), *_running(),
            call("forward", x_c, train_flg=False, label="もう一度 forward(x, train_flg=False) の出力"), *_running()]),
        Scenario("running_mean と running_var を与えてテスト時の forward", [
            new(gamma_a, beta_a, 0.9, given_mean, given_var),
            call("forward", x_c, train_flg=False, label="forward(x, train_flg=False) の出力"), *_running()]),
        Scenario("テスト時の forward のあとに学習時の forward", [
            new(gamma_a, beta_a, 0.9, given_mean, given_var),
            call("forward", x_c, train_flg=False, label="forward(x, train_flg=False) の出力"),
            _train(x_a), *_running()]),
    ], [
        Scenario("学習時の forward を 2 回（momentum = 0.9）: 移動平均", [
            new(v_gamma, v_beta), call("forward", v_x, train_flg=True, record=False), *_running(),
            call("forward", v_x2, train_flg=True, record=False), *_running()]),
        Scenario("学習のあとのテスト時の forward（移動平均は変わらない）", [
            new(v_gamma, v_beta, 0.8), call("forward", v_x, train_flg=True, record=False),
            call("forward", v_x2, train_flg=False, label="forward(x, train_flg=False) の出力"), *_running()]),
        Scenario("running_mean と running_var を与えてテスト時の forward、そのあと学習時の forward", [
            new(v_gamma, v_beta, 0.9, v_mean, v_var),
            call("forward", v_x, train_flg=False, label="forward(x, train_flg=False) の出力"), *_running(),
            _train(v_x2), *_running()]),
    ])],
    "bn_backward": [_check([
        Scenario("6×4 の x、ランダムな dout", [new(gamma_a, beta_a), *_backward_steps(x_a, dout_a)]),
        Scenario("dout が 1 要素だけ 1", [new(gamma_a, beta_a), *_backward_steps(x_a, dout_one)]),
        Scenario("dout がすべて 1（dx は 0 になる）", [new(gamma_a, beta_a), *_backward_steps(x_b, np.ones((6, 4)))]),
        Scenario("10×7 の x", [new(gamma_wide, beta_wide), *_backward_steps(x_wide, dout_wide)]),
        Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
            new(gamma_a, beta_a), call("forward", x_b, train_flg=True, record=False),
            *_backward_steps(x_a, dout_b)]),
    ], [
        Scenario("4×3 の x と dout", [new(v_gamma, v_beta), *_backward_steps(v_x, v_dout)]),
        Scenario("dout がすべて 1（dx は 0 になる）", [new(v_gamma, v_beta), *_backward_steps(v_x2, np.ones((4, 3)))]),
    ])],
    "bn_4d": [_check([
        Scenario("(5, 2, 3, 3) の画像の学習時の forward と backward", [
            new(gamma4, beta4), _train(x4), call("backward", dout4, label="backward(dout) の戻り値 dx"),
            get("dgamma"), get("dbeta"), *_running()]),
        Scenario("(5, 2, 3, 3) の画像のテスト時の forward", [
            new(gamma4, beta4), call("forward", x4, train_flg=True, record=False),
            call("forward", x4[:2], train_flg=False, label="forward(x, train_flg=False) の出力")]),
    ], [
        Scenario("(3, 2, 2, 2) の画像の学習時の forward と backward、テスト時の forward", [
            new(v_gamma4, v_beta4), _train(v_x4), call("backward", v_dout4, label="backward(dout) の戻り値 dx"),
            get("dgamma"), get("dbeta"), *_running(),
            call("forward", v_x4[:2], train_flg=False, label="forward(x, train_flg=False) の出力")]),
    ])],
}
