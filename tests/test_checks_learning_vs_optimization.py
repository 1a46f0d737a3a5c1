"""The hidden checks of 3_3_learning_vs_optimization: schedules and EarlyStopping."""

import pytest

NB = "3_3_learning_vs_optimization"

COSINE = """
import math
def cosine_decay(step, base_lr, total_steps, min_lr=0.0):
    s = min(step, total_steps)
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * s / total_steps)) / 2.0
"""

CORRECT = {
    "step_decay_values": ["""
def step_decay(step, base_lr, drop, every):
    return base_lr * drop ** (step // every)
""", """
def step_decay(step, base_lr, drop, every):
    lr = base_lr
    for _ in range(int(step / every)):
        lr *= drop
    return float(lr)
"""],
    "cosine_decay_values": [COSINE, """
def cosine_decay(step, base_lr, total_steps, min_lr=0.0):
    progress = np.clip(step / total_steps, 0.0, 1.0)
    return float(min_lr + 0.5 * (base_lr - min_lr) * (1 + np.cos(np.pi * progress)))
"""],
    "warmup_cosine_values": [COSINE + """
def warmup_cosine(step, base_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps)
""", COSINE + """
def warmup_cosine(step, base_lr, warmup_steps, total_steps):
    if step >= warmup_steps:
        t = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
        return 0.5 * base_lr * (1 + math.cos(math.pi * t))
    return (step + 1) * base_lr / warmup_steps
"""],
    "early_stopping": ["""
class EarlyStopping:
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
""", """
import copy
class EarlyStopping:
    def __init__(self, patience=5):
        self.patience = patience
        self.best_loss = float("inf")
        self.best_params = {}
        self.counter = 0
    def step(self, val_loss, params):
        improved = val_loss < self.best_loss
        if improved:
            self.best_loss, self.counter = val_loss, 0
            self.best_params = copy.deepcopy(params)
            return False
        self.counter += 1
        return bool(self.counter == self.patience or self.counter > self.patience)
    def restore(self, params):
        for key in params:
            np.copyto(params[key], self.best_params[key])
"""],
}

EARLY = CORRECT["early_stopping"][0]
WARMUP = CORRECT["warmup_cosine_values"][0]

WRONG = {
    "step decay with true division": ("""
def step_decay(step, base_lr, drop, every):
    return base_lr * drop ** (step / every)
""", "step_decay_values", "step // every"),
    "step decay one step early": ("""
def step_decay(step, base_lr, drop, every):
    return base_lr * drop ** ((step + 1) // every)
""", "step_decay_values", "1 回早く"),
    "cosine not clipped": (COSINE.replace("s = min(step, total_steps)", "s = step"), "cosine_decay_values", "超えた"),
    "cosine without the half": (COSINE.replace("(1.0 + math.cos(math.pi * s / total_steps)) / 2.0",
                                               "math.cos(math.pi * s / total_steps)"), "cosine_decay_values", "負"),
    "cosine ignores min_lr": (COSINE.replace("min_lr + (base_lr - min_lr) *", "base_lr *"), "cosine_decay_values",
                              "min_lr を使っていません"),
    "cosine adds min_lr": (COSINE.replace("(base_lr - min_lr) *", "base_lr *"), "cosine_decay_values", "そのまま足して"),
    "warm-up from zero": (WARMUP.replace("base_lr * (step + 1) / warmup_steps", "base_lr * step / warmup_steps"),
                          "warmup_cosine_values", "0 から始まって"),
    "cosine not shifted after warm-up": (WARMUP.replace(
        "cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps)", "cosine_decay(step, base_lr, total_steps)"),
        "warmup_cosine_values", "step − warmup_steps"),
    "no decay after warm-up": (WARMUP.replace(
        "return cosine_decay(step - warmup_steps, base_lr, total_steps - warmup_steps)", "return base_lr"),
        "warmup_cosine_values", "下げていません"),
    "warm-up on a wrong cosine_decay": (COSINE.replace("s = min(step, total_steps)", "s = step") + WARMUP.split(COSINE)[1],
                                        "warmup_cosine_values", "先に cosine_decay を直して"),
    "early stopping one step late": (EARLY.replace("self.counter >= self.patience", "self.counter > self.patience"),
                                     "early_stopping", "1 回遅れて"),
    "early stopping never restores": (EARLY.replace("            params[key][...] = value", "            pass"),
                                      "early_stopping", "戻していません"),
    "early stopping restores by rebinding": (EARLY.replace("params[key][...] = value", "params[key] = value.copy()"),
                                             "early_stopping", "戻していません"),
    "early stopping keeps references": (EARLY.replace("{key: value.copy() for key, value in params.items()}", "params"),
                                        "early_stopping", "参照"),
    "early stopping counts equal losses as better": (EARLY.replace("val_loss < self.best_loss", "val_loss <= self.best_loss"),
                                                     "early_stopping", "同じ損失"),
    "early stopping counter not reset": (EARLY.replace("            self.counter = 0\n", ""), "early_stopping", "0 に戻して"),
    "early stopping returns nothing": (EARLY.replace("return self.counter >= self.patience", "self.stop = self.counter >= self.patience"),
                                       "early_stopping", "None"),
}


@pytest.mark.parametrize("grade_id,index", [(g, i) for g in CORRECT for i in range(len(CORRECT[g]))])
def test_correct_variants_pass(judge_code, grade_id, index):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][index])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_untouched_stubs_fail_everywhere(judge_code):
    stubs = {
        "step_decay_values": "def step_decay(step, base_lr, drop, every):\n    raise NotImplementedError()\n",
        "cosine_decay_values": "def cosine_decay(step, base_lr, total_steps, min_lr=0.0):\n    raise NotImplementedError()\n",
        "warmup_cosine_values": ("def cosine_decay(step, base_lr, total_steps, min_lr=0.0):\n    raise NotImplementedError()\n"
                                 "def warmup_cosine(step, base_lr, warmup_steps, total_steps):\n    raise NotImplementedError()\n"),
        "early_stopping": ("class EarlyStopping:\n    def __init__(self, patience=5):\n        self.patience = patience\n"
                           "        self.best_loss = None\n        self.best_params = None\n        self.counter = 0\n"
                           "    def step(self, val_loss, params):\n        raise NotImplementedError()\n"
                           "    def restore(self, params):\n        raise NotImplementedError()\n"),
    }
    for grade_id, stub in stubs.items():
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message
