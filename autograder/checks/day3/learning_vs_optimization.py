"""Hidden checks of 3_3_learning_vs_optimization: learning-rate schedules and EarlyStopping.

Conventions stated in the notebook and tested here (``step`` = number of updates done so far, from 0):
- ``step_decay(step, base_lr, drop, every)`` = base_lr * drop ** (step // every).
- ``cosine_decay(step, base_lr, total_steps, min_lr=0.0)`` =
  min_lr + (base_lr - min_lr) * (1 + cos(pi * s / total_steps)) / 2 with s = min(step, total_steps).
- ``warmup_cosine(step, base_lr, warmup_steps, total_steps)``: for step < warmup_steps
  base_lr * (step + 1) / warmup_steps; afterwards the cosine decay from base_lr to 0 over the remaining
  total_steps - warmup_steps steps: cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps).
- ``EarlyStopping(patience)``: ``step(val_loss, params) -> bool``; the best weights are kept in
  ``best_params`` (a dict of copies). An improvement is val_loss strictly below
  the best so far (the first call always improves); then the counter goes back to 0 and copies of the
  arrays of params are kept as the best weights. Otherwise the counter grows by 1; step returns True
  (stop) as soon as the counter reaches patience. ``restore(params)`` writes the best weights into the
  arrays of params in place. ``best_loss`` holds the best validation loss.
"""

import math

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new, put
from course.probe import Attribute

NOTEBOOK = "3_3_learning_vs_optimization"

RTOL, ATOL = 1e-9, 1e-12


# --------------------------------------------------------------------------- schedules
def reference_step_decay(step, base_lr, drop, every):
    return base_lr * drop ** (step // every)


def reference_cosine_decay(step, base_lr, total_steps, min_lr=0.0):
    s = min(step, total_steps)
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * s / total_steps)) / 2.0


def reference_warmup_cosine(step, base_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return reference_cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps)


def _step_decay_true_division(step, base_lr, drop, every):
    return base_lr * drop ** (step / every)


def _step_decay_one_early(step, base_lr, drop, every):
    return base_lr * drop ** ((step + 1) // every)


def _step_decay_linear(step, base_lr, drop, every):
    return base_lr * drop * (step // every) if step >= every else base_lr


def _cosine_unclipped(step, base_lr, total_steps, min_lr=0.0):
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * step / total_steps)) / 2.0


def _cosine_no_half(step, base_lr, total_steps, min_lr=0.0):
    s = min(step, total_steps)
    return min_lr + (base_lr - min_lr) * math.cos(math.pi * s / total_steps)


def _cosine_min_ignored(step, base_lr, total_steps, min_lr=0.0):
    s = min(step, total_steps)
    return base_lr * (1.0 + math.cos(math.pi * s / total_steps)) / 2.0


def _cosine_min_added(step, base_lr, total_steps, min_lr=0.0):
    s = min(step, total_steps)
    return min_lr + base_lr * (1.0 + math.cos(math.pi * s / total_steps)) / 2.0


def _warmup_from_zero(step, base_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    return reference_cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps)


def _warmup_cosine_not_shifted(step, base_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return reference_cosine_decay(step, base_lr, total_steps)


def _warmup_without_cosine(step, base_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr


STEP_MISTAKES = [
    Mistake("step / every を整数にしていません。学習率は every 回ごとに「階段状」に下がるので、"
            "指数は整数の割り算 step // every です。", _step_decay_true_division),
    Mistake("1 回早く学習率が下がっています。step は「これまでに行った更新の回数」で 0 から数えます。"
            "step = every になったときに初めて drop 倍になります（base_lr * drop ** (step // every)）。", _step_decay_one_early),
    Mistake("drop を「掛け算」で使っています。every 回ごとに drop 倍ずつ下がるので、drop の (step // every) 乗です。",
            _step_decay_linear),
]
COSINE_MISTAKES = [
    Mistake("step が total_steps を超えたときの扱いが違います。total_steps 以降は min_lr のままにします"
            "（s = min(step, total_steps)）。", _cosine_unclipped),
    Mistake("(1 + cos(π s / total_steps)) / 2 になっていません。cos だけだと学習率が負になります。", _cosine_no_half),
    Mistake("min_lr を使っていません: min_lr + (base_lr − min_lr) · (1 + cos(π s / T)) / 2 です。", _cosine_min_ignored),
    Mistake("min_lr をそのまま足しています。最後に min_lr、最初に base_lr になるように、"
            "min_lr + (base_lr − min_lr) · (1 + cos(π s / T)) / 2 とします。", _cosine_min_added),
]
WARMUP_MISTAKES = [
    Mistake("ウォームアップが 0 から始まっています。step = 0 の学習率は base_lr / warmup_steps、"
            "step = warmup_steps − 1 で base_lr になるように base_lr * (step + 1) / warmup_steps とします。", _warmup_from_zero),
    Mistake("ウォームアップのあとのコサインを step = 0 から数えています。コサインは step − warmup_steps から、"
            "長さ total_steps − warmup_steps で base_lr から 0 へ下げます。", _warmup_cosine_not_shifted),
    Mistake("ウォームアップのあとに学習率を下げていません。ウォームアップのあとはコサインで 0 まで下げます。",
            _warmup_without_cosine),
]

STEP_VISIBLE = [
    Case("step=0（最初）", (0, 0.1, 0.5, 10)),
    Case("step=9（1 回目に下がる直前）", (9, 0.1, 0.5, 10)),
    Case("step=10（ちょうど 1 回下がる）", (10, 0.1, 0.5, 10)),
    Case("step=25, drop=0.1, every=10", (25, 0.01, 0.1, 10)),
]
STEP_HIDDEN = STEP_VISIBLE + [
    Case("step=99, every=30", (99, 0.5, 0.3, 30)),
    Case("step=1000, every=100", (1000, 1.0, 0.9, 100)),
    Case("every=1（毎回下がる）", (3, 0.2, 0.5, 1)),
]
COSINE_VISIBLE = [
    Case("step=0（最初は base_lr）", (0, 0.1, 100)),
    Case("step=50（半分）", (50, 0.1, 100)),
    Case("step=25, min_lr=0.01", (25, 0.1, 100, 0.01)),
    Case("step=150 > total_steps=100（最後の値のまま）", (150, 0.1, 100, 0.01)),
]
COSINE_HIDDEN = COSINE_VISIBLE + [
    Case("step=100（最後は min_lr）", (100, 0.1, 100, 0.001)),
    Case("step=1, total_steps=3", (1, 1.0, 3)),
    Case("step=7, total_steps=10, min_lr=0.2", (7, 0.8, 10, 0.2)),
    Case("step=10**6, total_steps=10", (10 ** 6, 0.5, 10)),
]
WARMUP_VISIBLE = [
    Case("step=0（ウォームアップの最初）", (0, 0.1, 10, 110)),
    Case("step=9（ウォームアップの最後）", (9, 0.1, 10, 110)),
    Case("step=10（コサインの最初）", (10, 0.1, 10, 110)),
    Case("step=60（コサインの半分）", (60, 0.1, 10, 110)),
]
WARMUP_HIDDEN = WARMUP_VISIBLE + [
    Case("step=4, warmup_steps=5", (4, 1.0, 5, 20)),
    Case("step=110（最後）", (110, 0.1, 10, 110)),
    Case("warmup_steps=1", (0, 0.3, 1, 11)),
    Case("step=35, warmup_steps=5, total_steps=50", (35, 0.2, 5, 50)),
]


def _schedule(function, reference, visible, hidden, mistakes):
    return FunctionCheck(function=function, reference=reference, cases=hidden, visible=visible, mistakes=mistakes,
                         dtype="float", rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- EarlyStopping
class ReferenceEarlyStopping:
    def __init__(self, patience=5):
        self.patience = patience
        self.best_loss = None
        self.best_params = None
        self.counter = 0

    def step(self, val_loss, params):
        if self.best_loss is None or val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_params = {key: value.copy() for key, value in params.items()}
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience

    def restore(self, params):
        for key, value in self.best_params.items():
            params[key][...] = value


class _StopsLate(ReferenceEarlyStopping):
    def step(self, val_loss, params):
        super().step(val_loss, params)
        return self.counter > self.patience


class _NeverRestores(ReferenceEarlyStopping):
    def restore(self, params):
        pass


class _KeepsReferences(ReferenceEarlyStopping):
    def step(self, val_loss, params):
        if self.best_loss is None or val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_params = params
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience

    def restore(self, params):
        for key, value in self.best_params.items():
            params[key][...] = value


class _EqualIsBetter(ReferenceEarlyStopping):
    def step(self, val_loss, params):
        if self.best_loss is None or val_loss <= self.best_loss:
            self.best_loss = val_loss
            self.best_params = {key: value.copy() for key, value in params.items()}
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience


class _CounterNotReset(ReferenceEarlyStopping):
    def step(self, val_loss, params):
        if self.best_loss is None or val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_params = {key: value.copy() for key, value in params.items()}
        else:
            self.counter += 1
        return self.counter >= self.patience



EARLY_MISTAKES = [
    Mistake("1 回遅れて止まっています。改善しない回数（counter）が patience に「達した」とき（counter >= patience）に True を返します。",
            _StopsLate),
    Mistake("restore で重みを戻していません。restore(params) は、いちばんよかったときの重みを params の配列に "
            "in-place で書き戻します（params[key][...] = best[key]）。", _NeverRestores),
    Mistake("最良の重みとして params の配列そのもの（参照）を保存しています。学習を続けると同じ配列が書き換わるので、"
            "改善したときに value.copy() でコピーを保存してください。", _KeepsReferences),
    Mistake("同じ損失を「改善」と数えています。改善は、これまでの最良の損失より「小さい」（<）ときだけです。", _EqualIsBetter),
    Mistake("改善したときに counter を 0 に戻していません。patience は「続けて」改善しなかった回数です。", _CounterNotReset),
]


def _weights(value):
    return {"W": np.full((2, 2), float(value)), "b": np.full(2, -float(value))}


def early_stopping_scenario(label, patience, losses):
    """Epoch i: the weights are filled with i (in place), then step(losses[i], params) is recorded; at the end
    restore(params) and the arrays of params are compared (they must hold the weights of the best epoch)."""
    steps = [new(patience=patience), put("params", _weights(0)), put("original_W", Attribute("params.W"))]
    for epoch, loss in enumerate(losses):
        steps += [put("params.W", _weights(epoch)["W"]), put("params.b", _weights(epoch)["b"]),
                  call("step", loss, Attribute("params"), label=f"{epoch + 1} 回目の step({loss}, params) の戻り値")]
    steps += [get("best_loss", label="best_loss（いちばん小さい検証データの損失）"),
              get("best_params.W", label="best_params['W']（いちばんよかったときの重みのコピー）"),
              call("restore", Attribute("params"), record=False),
              get("original_W", label="restore(params) のあとの params['W']（いちばんよかったときの重み）"),
              get("params.b", label="restore(params) のあとの params['b']")]
    return Scenario(label, steps)


EARLY_VISIBLE = [
    early_stopping_scenario("patience=5: 2 回目は 1 回目と同じ損失（改善ではない）", 5, [0.5, 0.5, 0.7]),
    early_stopping_scenario("patience=2: 3 回目がいちばんよく、そのあと 2 回改善しない", 2, [1.0, 0.8, 0.6, 0.7, 0.65]),
    early_stopping_scenario("patience=3: 同じ損失が続く（改善ではない）、途中で改善して数え直し", 3,
                            [0.9, 0.9, 0.5, 0.5, 0.7, 0.4, 0.4, 0.6, 0.8]),
]
EARLY_HIDDEN = EARLY_VISIBLE + [
    early_stopping_scenario("patience=1: 改善しなかったらすぐ止まる", 1, [2.0, 1.5, 1.6]),
    early_stopping_scenario("patience=2: 最初がいちばんよい", 2, [0.3, 0.5, 0.4]),
    early_stopping_scenario("patience=4: ずっと改善する", 4, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]),
]


CHECKS = {
    "step_decay_values": [_schedule("step_decay", reference_step_decay, STEP_VISIBLE, STEP_HIDDEN, STEP_MISTAKES)],
    "cosine_decay_values": [_schedule("cosine_decay", reference_cosine_decay, COSINE_VISIBLE, COSINE_HIDDEN, COSINE_MISTAKES)],
    "warmup_cosine_values": [FunctionCheck(function="cosine_decay", reference=reference_cosine_decay, cases=COSINE_HIDDEN[:4],
                                    visible=COSINE_VISIBLE, dtype="float", rtol=RTOL, atol=ATOL,
                                    prerequisite_of="warmup_cosine"),
                      _schedule("warmup_cosine", reference_warmup_cosine, WARMUP_VISIBLE, WARMUP_HIDDEN,
                                WARMUP_MISTAKES)],
    "early_stopping": [ClassCheck(function="EarlyStopping", reference=ReferenceEarlyStopping, scenarios=EARLY_HIDDEN,
                                  visible=EARLY_VISIBLE, mistakes=EARLY_MISTAKES, rtol=RTOL, atol=ATOL)],
}
