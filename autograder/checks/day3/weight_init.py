"""Hidden checks of 3_2_weight_init: xavier_init and he_init.

Conventions stated in the notebook and tested here:
- ``xavier_init(fan_in, fan_out, rng)`` / ``he_init(fan_in, fan_out, rng)`` return a float64 array of
  shape (fan_in, fan_out) (the weight W of an Affine layer: x @ W).
- ``rng`` is a ``numpy.random.Generator``; an integer seed is turned into one with
  ``np.random.default_rng(rng)`` (which returns a Generator unchanged). Exactly one draw:
  ``rng.standard_normal((fan_in, fan_out))``, multiplied by the scale.
- Xavier (the book's form): std = sqrt(1 / fan_in). He: std = sqrt(2 / fan_in). Both use fan_in, the
  number of nodes of the previous layer.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "3_2_weight_init"

RTOL, ATOL = 1e-10, 1e-12


def _normal(fan_in, fan_out, rng):
    return np.random.default_rng(rng).standard_normal((fan_in, fan_out))


def reference_xavier_init(fan_in, fan_out, rng):
    return _normal(fan_in, fan_out, rng) * np.sqrt(1.0 / fan_in)


def reference_he_init(fan_in, fan_out, rng):
    return _normal(fan_in, fan_out, rng) * np.sqrt(2.0 / fan_in)


# --------------------------------------------------------------------------- typical mistakes
def _glorot(fan_in, fan_out, rng):
    return _normal(fan_in, fan_out, rng) * np.sqrt(2.0 / (fan_in + fan_out))


def _fan_in_plus_out(fan_in, fan_out, rng):
    return _normal(fan_in, fan_out, rng) * np.sqrt(1.0 / (fan_in + fan_out))


def _scaled(factor):
    def wrong(fan_in, fan_out, rng):
        return _normal(fan_in, fan_out, rng) * factor(fan_in, fan_out)
    return wrong


def _transposed_draw(scale):
    def wrong(fan_in, fan_out, rng):
        return np.random.default_rng(rng).standard_normal((fan_out, fan_in)).T * scale(fan_in, fan_out)
    return wrong


def _shape_swapped(scale):
    def wrong(fan_in, fan_out, rng):
        return np.random.default_rng(rng).standard_normal((fan_out, fan_in)) * scale(fan_in, fan_out)
    return wrong


def _uniform(scale):
    def wrong(fan_in, fan_out, rng):
        return np.random.default_rng(rng).uniform(-1.0, 1.0, (fan_in, fan_out)) * scale(fan_in, fan_out)
    return wrong


def _xavier_scale(fan_in, fan_out):
    return np.sqrt(1.0 / fan_in)


def _he_scale(fan_in, fan_out):
    return np.sqrt(2.0 / fan_in)


DRAW_HINTS = [
    ("形状が (fan_out, fan_in) になっています。Affine レイヤの W は x @ W で使うので、形状は (fan_in, fan_out) です。",
     _shape_swapped),
    ("乱数を (fan_out, fan_in) の形で引いてから転置しています。乱数の並び順が変わるので、"
     "rng.standard_normal((fan_in, fan_out)) と最初から (fan_in, fan_out) の形で 1 回だけ引いてください。", _transposed_draw),
    ("一様分布の乱数を使っています。rng.standard_normal（標準正規分布）で引いてから標準偏差を掛けます。", _uniform),
]

XAVIER_MISTAKES = [
    Mistake("Glorot と Bengio の論文の形 √(2 / (fan_in + fan_out)) になっています。このノートブックでは本と同じく、"
            "前の層のノード数 fan_in だけを使って標準偏差を √(1 / fan_in) とします。", _glorot),
    Mistake("標準偏差に fan_in + fan_out を使っています。このノートブックの Xavier の初期値は √(1 / fan_in)"
            "（前の層のノード数 fan_in だけ）です。", _fan_in_plus_out),
    Mistake("標準偏差に fan_out（次の層のノード数）を使っています。Xavier の初期値は √(1 / fan_in) です。",
            _scaled(lambda fi, fo: np.sqrt(1.0 / fo))),
    Mistake("He の初期値の √(2 / fan_in) になっています。Xavier の初期値は √(1 / fan_in) です。", reference_he_init),
    Mistake("平方根をとっていません。標準偏差は 1 / fan_in ではなく √(1 / fan_in) です。",
            _scaled(lambda fi, fo: 1.0 / fi)),
] + [Mistake(hint, make(_xavier_scale)) for hint, make in DRAW_HINTS]

HE_MISTAKES = [
    Mistake("標準偏差に fan_out（次の層のノード数）を使っています。He の初期値は前の層のノード数 fan_in を使い √(2 / fan_in) です。",
            _scaled(lambda fi, fo: np.sqrt(2.0 / fo))),
    Mistake("Xavier の初期値の √(1 / fan_in) になっています。He の初期値は ReLU のために 2 倍の分散をとり √(2 / fan_in) です。",
            reference_xavier_init),
    Mistake("平方根をとっていません。標準偏差は 2 / fan_in ではなく √(2 / fan_in) です。",
            _scaled(lambda fi, fo: 2.0 / fi)),
    Mistake("標準偏差に fan_in + fan_out を使っています。He の初期値は √(2 / fan_in) です。",
            _scaled(lambda fi, fo: np.sqrt(2.0 / (fi + fo)))),
] + [Mistake(hint, make(_he_scale)) for hint, make in DRAW_HINTS]

ERROR_HINTS = [
    ("has no attribute 'standard_normal'", "rng が整数のときは、まず rng = np.random.default_rng(rng) で Generator にしてください。"),
    ("has no attribute 'normal'", "rng が整数のときは、まず rng = np.random.default_rng(rng) で Generator にしてください。"),
]

VISIBLE = [
    Case("fan_in=3, fan_out=2, rng=0", (3, 2, 0)),
    Case("fan_in=100, fan_out=50, rng=1（前後の層のノード数が違う）", (100, 50, 1)),
]
HIDDEN = VISIBLE + [
    Case("fan_in=784, fan_out=100, rng=42（MNIST の 1 層目）", (784, 100, 42)),
    Case("fan_in=1, fan_out=5, rng=7（入力 1 つ）", (1, 5, 7)),
    Case("fan_in=5, fan_out=1, rng=8（出力 1 つ）", (5, 1, 8)),
    Case("fan_in=20, fan_out=20, rng=123（正方行列）", (20, 20, 123)),
]


def _check(function, reference, mistakes):
    return FunctionCheck(function=function, reference=reference, cases=HIDDEN, visible=VISIBLE, mistakes=mistakes,
                         error_hints=ERROR_HINTS, dtype="float", returns="array", rtol=RTOL, atol=ATOL)


CHECKS = {
    "xavier": [_check("xavier_init", reference_xavier_init, XAVIER_MISTAKES)],
    "he": [_check("he_init", reference_he_init, HE_MISTAKES)],
}
