"""Hidden checks of 3_4_optimization_problems: gradient clipping by the global norm.

Conventions stated in the notebook and tested here:
- ``clip_grads(grads, max_norm)``: ``grads`` is a dict of arrays; the global norm is
  sqrt(sum over every key of sum(g ** 2)); rate = max_norm / (norm + 1e-6); when rate < 1 every array
  of grads is multiplied by rate in place (the same array objects); otherwise nothing changes.
  Returns the global norm before clipping (a float).
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, put
from course.probe import Attribute

NOTEBOOK = "3_4_optimization_problems"

RTOL, ATOL = 1e-9, 1e-12


def reference_clip_grads(grads, max_norm):
    total = 0.0
    for g in grads.values():
        total += np.sum(g ** 2)
    total = float(np.sqrt(total))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads.values():
            g *= rate
    return total


def _per_array(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        norm = np.sqrt(np.sum(g ** 2))
        rate = max_norm / (norm + 1e-6)
        if rate < 1:
            g *= rate
    return total


def _rebinding(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for key in grads:
            grads[key] = grads[key] * rate
    return total


def _always_scaled(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    rate = max_norm / (total + 1e-6)
    for g in grads.values():
        g *= rate
    return total


def _norm_after(grads, max_norm):
    reference_clip_grads(grads, max_norm)
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))


def _no_square_root(grads, max_norm):
    total = float(sum(np.sum(g ** 2) for g in grads.values()))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads.values():
            g *= rate
    return total


def _element_clip(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        np.clip(g, -max_norm, max_norm, out=g)
    return total


def _sum_of_norms(grads, max_norm):
    total = float(sum(np.sqrt(np.sum(g ** 2)) for g in grads.values()))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads.values():
            g *= rate
    return total


MISTAKES = [
    Mistake("配列ごとにノルムをとってクリップしています。すべての勾配をまとめた 1 本のベクトルのノルム（全体のノルム）"
            "√(Σ_key Σ g²) を 1 回だけ計算し、すべての配列に同じ倍率 rate を掛けます。", _per_array),
    Mistake("grads[key] = ... で新しい配列を代入しています。勾配の配列そのものを g *= rate（in-place）で書き換えてください。",
            _rebinding),
    Mistake("ノルムが max_norm 以下のときにも倍率を掛けています。rate = max_norm / (norm + 1e-6) が 1 より小さいときだけ掛けます。",
            _always_scaled),
    Mistake("クリップした後のノルムを返しています。戻り値はクリップする「前」の全体のノルムです。", _norm_after),
    Mistake("平方根をとっていません。全体のノルムは √(Σ_key Σ g²) です。", _no_square_root),
    Mistake("要素ごとに [-max_norm, max_norm] へ切り詰めています（値によるクリップ）。ここで実装するのはノルムによるクリップで、"
            "向きを変えずに長さだけを max_norm に縮めます。", _element_clip),
    Mistake("配列ごとのノルムを足しています。全体のノルムは、2 乗和をすべての配列で合計してから平方根をとります: √(Σ_key Σ g²)。",
            _sum_of_norms),
]

rng = np.random.default_rng(3400)


def clip_scenario(label, grads, max_norm):
    steps = [put("grads", grads)]
    steps += [put(f"original_{key}", Attribute(f"grads.{key}")) for key in grads]
    steps.append(call("", Attribute("grads"), max_norm, label=f"clip_grads(grads, {max_norm}) の戻り値（クリップ前の全体のノルム）"))
    steps += [get(f"original_{key}", label=f"clip_grads のあとの grads['{key}']（同じ配列が書き換わっている）") for key in grads]
    return Scenario(label, steps)


BIG = {"W1": np.array([[3.0, 0.0], [0.0, 4.0]]), "b1": np.array([12.0, 0.0])}  # norm 13
SMALL = {"W1": np.array([[0.3, -0.4]]), "b1": np.array([0.0])}  # norm 0.5
UNEVEN = {"W1": rng.normal(size=(3, 4)) * 10, "b1": rng.normal(size=4) * 0.01, "W2": rng.normal(size=(4, 2))}
LARGE = {"W1": rng.normal(size=(20, 10)) * 50, "b1": rng.normal(size=10), "W2": rng.normal(size=(10, 3)) * 5,
         "b2": rng.normal(size=3)}

VISIBLE = [
    clip_scenario("全体のノルム 13 を 2.5 に縮める", BIG, 2.5),
    clip_scenario("全体のノルム 0.5 が max_norm = 1 より小さい（変えない）", SMALL, 1.0),
    clip_scenario("大きさの違う 3 つの配列（全体のノルムで 1 回だけ縮める）", UNEVEN, 2.0),
]
HIDDEN = VISIBLE + [
    clip_scenario("4 つの配列、とても大きな勾配", LARGE, 1.0),
    clip_scenario("勾配がすべて 0", {"W1": np.zeros((2, 2)), "b1": np.zeros(2)}, 1.0),
    clip_scenario("配列が 1 つだけ", {"W": np.array([6.0, 8.0])}, 5.0),
]

CHECKS = {
    "clip_grads_global_norm": [ClassCheck(function="clip_grads", reference=reference_clip_grads, scenarios=HIDDEN, visible=VISIBLE,
                              mistakes=MISTAKES, rtol=RTOL, atol=ATOL, dtype="float")],
}
