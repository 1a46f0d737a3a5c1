"""Hidden checks of 3_5_strategies: the exponential moving average of the parameters.

Conventions stated in the notebook and tested here:
- ``ExponentialMovingAverage(decay=0.99)``; ``shadow`` (the averaged parameters, a dict) is None
  until the first ``update``.
- ``update(params)``: on the first call ``shadow[key]`` = a copy of ``params[key]``; afterwards
  ``shadow[key] = decay * shadow[key] + (1 - decay) * params[key]``. ``params`` is not changed, and the
  shadow never shares arrays with ``params``.
- ``apply_to(params)`` writes the shadow into the arrays of ``params`` in place.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put
from course.probe import Attribute

NOTEBOOK = "3_5_strategies"

RTOL, ATOL = 1e-9, 1e-12


class ReferenceExponentialMovingAverage:
    def __init__(self, decay=0.99):
        self.decay = decay
        self.shadow = None

    def update(self, params):
        if self.shadow is None:
            self.shadow = {key: value.copy() for key, value in params.items()}
            return
        for key, value in params.items():
            self.shadow[key] = self.decay * self.shadow[key] + (1 - self.decay) * value

    def apply_to(self, params):
        for key, value in self.shadow.items():
            params[key][...] = value


class _WrongWayRound(ReferenceExponentialMovingAverage):
    def update(self, params):
        if self.shadow is None:
            self.shadow = {key: value.copy() for key, value in params.items()}
            return
        for key, value in params.items():
            self.shadow[key] = (1 - self.decay) * self.shadow[key] + self.decay * value


class _StartsAtZero(ReferenceExponentialMovingAverage):
    def update(self, params):
        if self.shadow is None:
            self.shadow = {key: np.zeros_like(value) for key, value in params.items()}
        for key, value in params.items():
            self.shadow[key] = self.decay * self.shadow[key] + (1 - self.decay) * value


class _SharesArrays(ReferenceExponentialMovingAverage):
    def update(self, params):
        if self.shadow is None:
            self.shadow = dict(params)
            return
        for key, value in params.items():
            self.shadow[key] *= self.decay
            self.shadow[key] += (1 - self.decay) * value


class _SameDict(ReferenceExponentialMovingAverage):
    """shadow is the params dict itself."""

    def update(self, params):
        if self.shadow is None:
            self.shadow = params
            return
        for key, value in params.items():
            self.shadow[key] = self.decay * self.shadow[key] + (1 - self.decay) * value


class _ApplyRebinds(ReferenceExponentialMovingAverage):
    def apply_to(self, params):
        for key, value in self.shadow.items():
            params[key] = value.copy()


class _ChangesParams(ReferenceExponentialMovingAverage):
    def update(self, params):
        super().update(params)
        for key, value in self.shadow.items():
            params[key][...] = value


SHARED_HINT = ("shadow が params と同じ配列を共有しています。最初の update で value.copy() としてコピーを作ってください"
            "（共有すると、学習で params が書き換わったときに shadow も変わってしまいます）。")

MISTAKES = [
    Mistake("decay を掛ける向きが逆です。shadow ← decay · shadow + (1 − decay) · params で、これまでの平均に decay（0.99 など"
            "1 に近い値）を掛け、新しいパラメータには 1 − decay を掛けます。", _WrongWayRound),
    Mistake("shadow を 0 から始めています。最初の update では shadow を params のコピーにします（0 から始めると、"
            "はじめのうち平均が 0 の側に偏ります）。", _StartsAtZero),
    Mistake("apply_to で新しい配列を代入しています。params[key][...] = shadow[key] のように、params の配列そのものに書き込みます。",
            _ApplyRebinds),
    Mistake(SHARED_HINT, _SharesArrays),
    Mistake(SHARED_HINT, _SameDict),
    Mistake("update で params を書き換えています。update は shadow だけを更新し、params はそのままにします"
            "（params に書き込むのは apply_to です）。", _ChangesParams),
]

rng = np.random.default_rng(3500)


def ema_scenario(label, decay, sequence):
    """Training changes the arrays of params in place between update calls (put fills them in place)."""
    first = sequence[0]
    steps = [new(decay=decay), put("params", first)]
    steps += [put(f"original_{key}", Attribute(f"params.{key}")) for key in first]
    for i, values in enumerate(sequence, start=1):
        if i > 1:
            steps += [put(f"params.{key}", value) for key, value in values.items()]
        steps.append(call("update", Attribute("params"), record=False))
        steps += [get(f"shadow.{key}", label=f"{i} 回目の update のあとの shadow['{key}']") for key in first]
        steps += [get(f"original_{key}", label=f"{i} 回目の update のあとの params['{key}']（update は変更しない）")
                  for key in first]
    steps += [put(f"params.{key}", value * 0.0) for key, value in first.items()]
    steps.append(call("apply_to", Attribute("params"), record=False))
    steps += [get(f"original_{key}", label=f"apply_to(params) のあとの params['{key}']（同じ配列に shadow が入る）")
              for key in first]
    return Scenario(label, steps)


def _sequence(count, **shapes):
    base = {key: rng.normal(size=shape) for key, shape in shapes.items()}
    return [{key: value + 0.3 * i + rng.normal(size=value.shape) * 0.1 for key, value in base.items()}
            for i in range(count)]


VISIBLE = [
    ema_scenario("decay=0.9、W (2×2) と b (2,) を 3 回", 0.9, [
        {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.0, 1.0])},
        {"W": np.array([[2.0, 2.0], [2.0, 2.0]]), "b": np.array([1.0, 1.0])},
        {"W": np.array([[0.0, 4.0], [1.0, 0.0]]), "b": np.array([-1.0, 3.0])},
    ]),
]
HIDDEN = VISIBLE + [
    ema_scenario("decay=0.99、3 つの配列を 5 回", 0.99, _sequence(5, W1=(3, 2), b1=(2,), W2=(2, 4))),
    ema_scenario("decay=0.5、1 回だけ", 0.5, _sequence(1, W=(2, 3))),
    ema_scenario("decay=0（平均しない: 最新の値）", 0.0, _sequence(3, W=(2, 2))),
]

CHECKS = {
    "ema": [ClassCheck(function="ExponentialMovingAverage", reference=ReferenceExponentialMovingAverage,
                       scenarios=HIDDEN, visible=VISIBLE, mistakes=MISTAKES, rtol=RTOL, atol=ATOL, dtype="float")],
}
