"""Hidden checks of 3_1_optimizers: SGD, Momentum, Nesterov, AdaGrad, RMSprop, AdaDelta, Adam, Adamax, Nadam.

Conventions stated in the notebook and tested here (g = grads[key], every operation element-wise):
- ``update(params, grads)`` changes the arrays of ``params`` in place (the same array objects stay
  in the dict), returns nothing and leaves ``grads`` unchanged; state is kept per key, created on
  the first call with the shape of that parameter (zeros), and kept between calls.
- SGD:      W <- W - lr g
- Momentum: v <- momentum v - lr g;  W <- W + v
- Nesterov: v <- momentum v - lr g;  W <- W + momentum v - lr g   (v after its update)
- AdaGrad:  h <- h + g g;  W <- W - lr g / (sqrt(h) + 1e-7)
- RMSprop:  h <- decay_rate h + (1 - decay_rate) g g;  W <- W - lr g / (sqrt(h) + 1e-7)
- AdaDelta: Eg <- rho Eg + (1 - rho) g g;  d = -sqrt(Ed + eps) / sqrt(Eg + eps) g;
            Ed <- rho Ed + (1 - rho) d d;  W <- W + lr d   (eps inside both square roots)
- Adam:     t <- t + 1 once per update call;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g g;
            m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);  W <- W - lr m_hat / (sqrt(v_hat) + eps)
- Adamax:   t <- t + 1;  m <- b1 m + (1 - b1) g;  u <- max(b2 u, |g|);  W <- W - lr / (1 - b1^t) m / (u + eps)
- Nadam:    t <- t + 1;  m, v as Adam;  m_hat = b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t);
            v_hat = v / (1 - b2^t);  W <- W - lr m_hat / (sqrt(v_hat) + eps)

Every scenario runs several ``update`` calls on one object with one params dict and compares the
original array objects after every call (so rebinding ``params[key]``, state that is reset, shared
between keys or created with the wrong shape, and step counters that count keys are all caught).
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, get, new, put, call
from course.probe import Attribute

NOTEBOOK = "3_1_optimizers"

RTOL, ATOL = 1e-6, 1e-10


# --------------------------------------------------------------------------- references
class ReferenceSGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class ReferenceMomentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class ReferenceNesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.v[key] - self.lr * grads[key]


class ReferenceAdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class ReferenceRMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = self.decay_rate * self.h[key] + (1 - self.decay_rate) * grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class ReferenceAdaDelta:
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.eg, self.ed = {}, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.eg:
                self.eg[key] = np.zeros_like(params[key])
                self.ed[key] = np.zeros_like(params[key])
            g = grads[key]
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta


class ReferenceAdam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1 ** self.iter)
            v_hat = self.v[key] / (1 - self.beta2 ** self.iter)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class ReferenceAdamax:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.u = 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.u[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = np.maximum(self.beta2 * self.u[key], np.abs(g))
            params[key] -= self.lr / (1 - self.beta1 ** self.iter) * self.m[key] / (self.u[key] + self.eps)


class ReferenceNadam:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        t, b1, b2 = self.iter, self.beta1, self.beta2
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            v_hat = self.v[key] / (1 - b2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# --------------------------------------------------------------------------- typical mistakes
REBIND_HINT = ("params[key] = ... で新しい配列を代入しています。update は params の配列そのものを書き換えます"
               "（params[key] -= ... や params[key] += ... のような in-place の演算）。新しい配列を代入すると、"
               "レイヤが持っている元の配列は変わらず、ネットワークは学習しません。")


def _rebinding(reference):
    class Rebinding(reference):
        def update(self, params, grads):
            copies = {key: value.copy() for key, value in params.items()}
            super().update(copies, grads)
            for key in params:
                params[key] = copies[key]
    return Rebinding


class _SGDPlus(ReferenceSGD):
    def update(self, params, grads):
        for key in params:
            params[key] += self.lr * grads[key]


class _SGDNoLr(ReferenceSGD):
    def update(self, params, grads):
        for key in params:
            params[key] -= grads[key]


class _MomentumSignFlipped(ReferenceMomentum):
    def update(self, params, grads):
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] -= self.v[key]


class _MomentumNotKept(ReferenceMomentum):
    def update(self, params, grads):
        self.v = {}
        super().update(params, grads)


class _MomentumShared(ReferenceMomentum):
    """One velocity for every key (created from the first parameter)."""

    def update(self, params, grads):
        for key in params:
            if not isinstance(self.v, np.ndarray):
                self.v = np.zeros_like(params[key])
            self.v = self.momentum * self.v - self.lr * grads[key]
            params[key] += self.v


class _NesterovPlain(ReferenceMomentum):
    pass


class _NesterovBookCode(ReferenceNesterov):
    def update(self, params, grads):
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.momentum * self.v[key] - (1 + self.momentum) * self.lr * grads[key]


class _NesterovNotKept(ReferenceNesterov):
    def update(self, params, grads):
        self.v = {}
        super().update(params, grads)


class _AdaGradEpsInside(ReferenceAdaGrad):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key] + 1e-7)


class _AdaGradNoEps(ReferenceAdaGrad):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key])


class _AdaGradNotAccumulated(ReferenceAdaGrad):
    def update(self, params, grads):
        for key in params:
            self.h[key] = grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class _AdaGradNoSqrt(ReferenceAdaGrad):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (self.h[key] + 1e-7)


class _RMSpropSwapped(ReferenceRMSprop):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = (1 - self.decay_rate) * self.h[key] + self.decay_rate * grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class _RMSpropNoDecay(ReferenceRMSprop):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = self.decay_rate * self.h[key] + grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class _RMSpropEpsInside(ReferenceRMSprop):
    def update(self, params, grads):
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = self.decay_rate * self.h[key] + (1 - self.decay_rate) * grads[key] ** 2
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key] + 1e-7)


class _AdaDeltaEpsOutside(ReferenceAdaDelta):
    def update(self, params, grads):
        for key in params:
            if key not in self.eg:
                self.eg[key] = np.zeros_like(params[key])
                self.ed[key] = np.zeros_like(params[key])
            g = grads[key]
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            delta = -(np.sqrt(self.ed[key]) + self.eps) / (np.sqrt(self.eg[key]) + self.eps) * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta


class _AdaDeltaOldEg(ReferenceAdaDelta):
    def update(self, params, grads):
        for key in params:
            if key not in self.eg:
                self.eg[key] = np.zeros_like(params[key])
                self.ed[key] = np.zeros_like(params[key])
            g = grads[key]
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta


class _AdaDeltaEdFirst(ReferenceAdaDelta):
    def update(self, params, grads):
        for key in params:
            if key not in self.eg:
                self.eg[key] = np.zeros_like(params[key])
                self.ed[key] = np.zeros_like(params[key])
            g = grads[key]
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * g * g
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            params[key] += self.lr * delta


class _AdamNoCorrection(ReferenceAdam):
    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            params[key] -= self.lr * self.m[key] / (np.sqrt(self.v[key]) + self.eps)


class _AdamCountsKeys(ReferenceAdam):
    def update(self, params, grads):
        for key in params:
            self.iter += 1
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1 ** self.iter)
            v_hat = self.v[key] / (1 - self.beta2 ** self.iter)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class _AdamRebuildsMoments(ReferenceAdam):
    def update(self, params, grads):
        self.m, self.v = {}, {}
        super().update(params, grads)


class _AdamEpsInside(ReferenceAdam):
    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1 ** self.iter)
            v_hat = self.v[key] / (1 - self.beta2 ** self.iter)
            params[key] -= self.lr * m_hat / np.sqrt(v_hat + self.eps)


class _AdamBookForm(ReferenceAdam):
    """The book's common/optimizer.py: the correction folded into lr_t, eps on the uncorrected sqrt(v)."""

    def update(self, params, grads):
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] += (1 - self.beta1) * (g - self.m[key])
            self.v[key] += (1 - self.beta2) * (g * g - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.eps)


class _AdamaxNoCorrection(ReferenceAdamax):
    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.u[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = np.maximum(self.beta2 * self.u[key], np.abs(g))
            params[key] -= self.lr * self.m[key] / (self.u[key] + self.eps)


class _AdamaxAveraged(ReferenceAdamax):
    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.u[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = self.beta2 * self.u[key] + (1 - self.beta2) * np.abs(g)
            params[key] -= self.lr / (1 - self.beta1 ** self.iter) * self.m[key] / (self.u[key] + self.eps)


class _AdamaxNoDecay(ReferenceAdamax):
    def update(self, params, grads):
        self.iter += 1
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.u[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = np.maximum(self.u[key], np.abs(g))
            params[key] -= self.lr / (1 - self.beta1 ** self.iter) * self.m[key] / (self.u[key] + self.eps)


class _NadamPlainAdam(ReferenceAdam):
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr, beta1, beta2, eps)


class _NadamNoLookahead(ReferenceNadam):
    """m_hat = (b1 m + (1 - b1) g) / (1 - b1^t): the look-ahead without its own bias corrections."""

    def update(self, params, grads):
        self.iter += 1
        t, b1, b2 = self.iter, self.beta1, self.beta2
        for key in params:
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = (b1 * self.m[key] + (1 - b1) * g) / (1 - b1 ** t)
            v_hat = self.v[key] / (1 - b2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class _NadamCountsKeys(ReferenceNadam):
    def update(self, params, grads):
        b1, b2 = self.beta1, self.beta2
        for key in params:
            self.iter += 1
            t = self.iter
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            v_hat = self.v[key] / (1 - b2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


NOT_KEPT_HINT = ("状態（速度 v など）が update の呼び出しをまたいで保たれていません。状態は最初の呼び出しで "
                 "np.zeros_like(params[key]) として作り、それ以降は作り直さずに self.v[key] に保存して使い続けます。")
SHARED_HINT = ("状態をパラメータ（キー）どうしで共有しています。状態はキーごとの辞書に、そのパラメータと同じ形状で持ちます"
               "（self.v[key] = np.zeros_like(params[key])）。")

ADADELTA_ORDER_HINT = ("計算の順番か、Eg・Ed に入れるものが違います。① Eg ← ρ·Eg + (1 − ρ)·g²（新しい勾配で先に更新）→ "
                      "② その Eg と「更新前の」Ed で Δ = −√(Ed + ε) / √(Eg + ε) · g → ③ Ed ← ρ·Ed + (1 − ρ)·Δ²"
                      "（Ed は g² ではなく更新量 Δ の 2 乗の移動平均）の順です。")

MISTAKES = {
    "SGD": [
        Mistake(REBIND_HINT, _rebinding(ReferenceSGD)),
        Mistake("符号が逆です。勾配は損失が増える向きなので、W ← W − lr·g と勾配の逆向きに進みます。", _SGDPlus),
        Mistake("学習率 lr を掛けていません: W ← W − lr·g です。", _SGDNoLr),
    ],
    "Momentum": [
        Mistake(REBIND_HINT, _rebinding(ReferenceMomentum)),
        Mistake("符号が違います。v ← momentum·v − lr·g とし、パラメータには W ← W + v と v を「足し」ます。",
                _MomentumSignFlipped),
        Mistake(NOT_KEPT_HINT, _MomentumNotKept),
        Mistake(SHARED_HINT, _MomentumShared),
    ],
    "Nesterov": [
        Mistake(REBIND_HINT, _rebinding(ReferenceNesterov)),
        Mistake("ふつうの Momentum（W ← W + v）になっています。Nesterov では更新した v を使って "
                "W ← W + momentum·v − lr·g と、もう一歩先を見た位置へ進みます。", _NesterovPlain),
        Mistake("本のサンプルコードの式（momentum² と (1 + momentum) を使う形）になっています。このノートブックの約束は "
                "v ← momentum·v − lr·g のあと W ← W + momentum·v − lr·g です。", _NesterovBookCode),
        Mistake(NOT_KEPT_HINT, _NesterovNotKept),
    ],
    "AdaGrad": [
        Mistake(REBIND_HINT, _rebinding(ReferenceAdaGrad)),
        Mistake("ε を平方根の中に入れています。このノートブックの約束は lr·g / (√h + 1e-7) で、ε = 1e-7 は平方根の「外」に足します。",
                _AdaGradEpsInside),
        Mistake("ε = 1e-7 を足していません。h が 0 の要素で 0 で割ることになります: lr·g / (√h + 1e-7) です。", _AdaGradNoEps),
        Mistake("h に g² を足し込んでいません（毎回 h = g² になっています）。AdaGrad は h ← h + g·g と過去の勾配の 2 乗を"
                "すべて足し合わせ、update をまたいで保存します。", _AdaGradNotAccumulated),
        Mistake("h の平方根をとっていません: lr·g / (√h + 1e-7) です。", _AdaGradNoSqrt),
    ],
    "RMSprop": [
        Mistake(REBIND_HINT, _rebinding(ReferenceRMSprop)),
        Mistake("decay_rate を掛ける項が逆です。h ← decay_rate·h + (1 − decay_rate)·g² で、過去の h に decay_rate（0.99）を掛け、"
                "新しい g² には 1 − decay_rate を掛けます。", _RMSpropSwapped),
        Mistake("新しい g² に (1 − decay_rate) を掛けていません: h ← decay_rate·h + (1 − decay_rate)·g² です。", _RMSpropNoDecay),
        Mistake("ε を平方根の中に入れています。ε = 1e-7 は平方根の「外」に足します: lr·g / (√h + 1e-7) です。", _RMSpropEpsInside),
    ],
    "AdaDelta": [
        Mistake(REBIND_HINT, _rebinding(ReferenceAdaDelta)),
        Mistake("ε を平方根の外に足しています。AdaDelta では ε は 2 つの平方根の「中」です: "
                "Δ = −√(Ed + ε) / √(Eg + ε) · g。", _AdaDeltaEpsOutside),
        Mistake(ADADELTA_ORDER_HINT, _AdaDeltaOldEg),
        Mistake(ADADELTA_ORDER_HINT, _AdaDeltaEdFirst),
    ],
    "Adam": [
        Mistake(REBIND_HINT, _rebinding(ReferenceAdam)),
        Mistake("バイアス補正をしていません。m̂ = m / (1 − β1^t)、v̂ = v / (1 − β2^t) を使って "
                "W ← W − lr·m̂ / (√v̂ + ε) とします。", _AdamNoCorrection),
        Mistake("ステップ数 t をキーごとに数えています。t は update の呼び出し 1 回につき 1 だけ増やします"
                "（for 文の外で self.iter += 1）。", _AdamCountsKeys),
        Mistake("m と v を update のたびに作り直しています。m と v は最初の呼び出しで 0 として作り、"
                "それ以降は保存しておいた値を使い続けます。", _AdamRebuildsMoments),
        Mistake("ε を平方根の中に入れています。ε は補正後の v̂ の平方根の「外」に足します: lr·m̂ / (√v̂ + ε)。", _AdamEpsInside),
        Mistake("本のサンプルコードの形（補正を lr_t にまとめ、補正前の √v に ε を足す）になっています。このノートブックでは "
                "m̂ = m / (1 − β1^t)、v̂ = v / (1 − β2^t) を作り、ε は √v̂ に足します。", _AdamBookForm),
    ],
    "Adamax": [
        Mistake(REBIND_HINT, _rebinding(ReferenceAdamax)),
        Mistake("m のバイアス補正をしていません: W ← W − lr / (1 − β1^t) · m / (u + ε) です。", _AdamaxNoCorrection),
        Mistake("u を Adam の v のような移動平均にしています。Adamax では u ← max(β2·u, |g|)（要素ごとの最大値、np.maximum）です。",
                _AdamaxAveraged),
        Mistake("u に β2 を掛けていません: u ← max(β2·u, |g|) です。", _AdamaxNoDecay),
    ],
    "Nadam": [
        Mistake(REBIND_HINT, _rebinding(ReferenceNadam)),
        Mistake("ふつうの Adam（m̂ = m / (1 − β1^t)）になっています。Nadam では "
                "m̂ = β1·m / (1 − β1^(t+1)) + (1 − β1)·g / (1 − β1^t) と、いまの勾配 g を先取りします。", _NadamPlainAdam),
        Mistake("m̂ のバイアス補正の分母が違います。β1·m の項は 1 − β1^(t+1)、(1 − β1)·g の項は 1 − β1^t で割ります。",
                _NadamNoLookahead),
        Mistake("ステップ数 t をキーごとに数えています。t は update の呼び出し 1 回につき 1 だけ増やします。", _NadamCountsKeys),
    ],
}

SHAPE_HINT = ("配列の形状が合っていません。状態はパラメータごと（キーごと）に、そのパラメータと同じ形状で作ります"
              "（self.v[key] = np.zeros_like(params[key])）。")
ERROR_HINTS = [
    ("could not be broadcast", SHAPE_HINT),
    ("non-broadcastable", SHAPE_HINT),
    ("unexpected keyword argument", "コンストラクタの引数名が違います。ノートブックに書いた名前（lr, momentum, decay_rate, rho, eps, "
                                   "beta1, beta2）とデフォルト値のとおりに定義してください。"),
    ("object has no attribute", "インスタンス変数が定義されていません。__init__ で self.lr などを設定しましたか？"),
    ("KeyError", "辞書のキーが見つかりません。状態はキーごとの辞書で持ち、最初の update で params のすべてのキーについて作ります。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(3100)


def _grad(shape, scale=1.0):
    """Gradients with every kind of element: ordinary, tiny (where epsilon matters), zero, negative."""
    g = rng.normal(size=shape) * scale
    flat = g.reshape(-1)
    flat[0] = 1e-6 * np.sign(flat[0] or 1.0)
    if flat.size > 2:
        flat[1] = 0.0
        flat[2] = 3e-4
    return g


def _params(**shapes):
    return {key: rng.normal(size=shape) for key, shape in shapes.items()}


def optimizer_scenario(label, ctor, params, grad_steps):
    """One optimizer object, one params dict, several update calls; after every call the original
    array objects of params (and grads, which must not change) are compared."""
    steps = [new(**ctor), put("params", params)]
    steps += [put(f"original_{key}", Attribute(f"params.{key}")) for key in params]
    for i, grads in enumerate(grad_steps, start=1):
        steps += [put("grads", grads), call("update", Attribute("params"), Attribute("grads"), record=False)]
        steps += [get(f"original_{key}", label=f"{i} 回目の update のあとの params['{key}']（update に渡した配列そのもの）")
                  for key in params]
    steps.append(get("grads", label=f"{len(grad_steps)} 回目の update のあとの grads（update は grads を変更しません）"))
    return Scenario(label, steps)


def _grad_steps(params, count, scale=1.0):
    return [{key: _grad(value.shape, scale) for key, value in params.items()} for _ in range(count)]


P_MIXED = _params(W1=(2, 3), b1=(3,))
G_MIXED = _grad_steps(P_MIXED, 3)
P_SAME = _params(W1=(2, 2), W2=(2, 2))
G_SAME = _grad_steps(P_SAME, 3)
P_NET = _params(W1=(4, 3), b1=(3,), W2=(3, 2), b2=(2,))
G_NET = _grad_steps(P_NET, 5, scale=0.5)
P_ZERO = _params(W1=(3, 2), b1=(2,))
G_ZERO = _grad_steps(P_ZERO, 2)
for _g in G_ZERO:
    _g["b1"] = np.zeros(2)

DEFAULTS = {
    "SGD": ({"lr": 0.01}, {"lr": 0.1}),
    "Momentum": ({"lr": 0.01, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.5}),
    "Nesterov": ({"lr": 0.01, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.5}),
    "AdaGrad": ({"lr": 0.01}, {"lr": 0.5}),
    "RMSprop": ({"lr": 0.01, "decay_rate": 0.99}, {"lr": 0.05, "decay_rate": 0.9}),
    "AdaDelta": ({"rho": 0.95, "eps": 1e-6}, {"lr": 0.5, "rho": 0.9, "eps": 1e-4}),
    "Adam": ({"lr": 0.001, "beta1": 0.9, "beta2": 0.999}, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
    "Adamax": ({"lr": 0.002, "beta1": 0.9, "beta2": 0.999}, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
    "Nadam": ({"lr": 0.002, "beta1": 0.9, "beta2": 0.999}, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
}

REFERENCES = {"SGD": ReferenceSGD, "Momentum": ReferenceMomentum, "Nesterov": ReferenceNesterov,
              "AdaGrad": ReferenceAdaGrad, "RMSprop": ReferenceRMSprop, "AdaDelta": ReferenceAdaDelta,
              "Adam": ReferenceAdam, "Adamax": ReferenceAdamax, "Nadam": ReferenceNadam}


def _visible(name):
    ctor, _ = DEFAULTS[name]
    return [
        optimizer_scenario("同じ形状の W1, W2 (2×2) で update を 3 回（状態はキーごと）", ctor, P_SAME, G_SAME),
        optimizer_scenario("W1 (2×3) と b1 (3,) で update を 3 回", ctor, P_MIXED, G_MIXED),
    ]


def _hidden(name):
    ctor, other = DEFAULTS[name]
    return _visible(name) + [
        optimizer_scenario("4 つのパラメータ（2 層のネットワーク）で update を 5 回、別のハイパーパラメータ", other, P_NET, G_NET),
        optimizer_scenario("b1 の勾配がずっと 0", ctor, P_ZERO, G_ZERO),
    ]


def _check(name):
    return ClassCheck(function=name, reference=REFERENCES[name], scenarios=_hidden(name), visible=_visible(name),
                      mistakes=MISTAKES[name], error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


CHECKS = {name.lower(): [_check(name)] for name in REFERENCES}
