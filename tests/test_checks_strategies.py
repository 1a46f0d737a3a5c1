"""The hidden checks of 3_5_strategies: the exponential moving average of the parameters."""

import pytest

NB = "3_5_strategies"
GID = "ema"

BOOK = """
class ExponentialMovingAverage:
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
"""

CORRECT = [BOOK, """
class ExponentialMovingAverage:
    def __init__(self, decay=0.99):
        self.decay = decay
        self.shadow = None
    def update(self, params):
        if self.shadow is None:
            self.shadow = {}
            for key in params:
                self.shadow[key] = np.array(params[key], copy=True)
        else:
            for key in params:
                self.shadow[key] += (1.0 - self.decay) * (params[key] - self.shadow[key])
    def apply_to(self, params):
        for key in params:
            np.copyto(params[key], self.shadow[key])
"""]

WRONG = {
    "decay applied the wrong way round": (BOOK.replace(
        "self.decay * self.shadow[key] + (1 - self.decay) * value",
        "(1 - self.decay) * self.shadow[key] + self.decay * value"), "逆"),
    "shadow starts at zero": (BOOK.replace("""            self.shadow = {key: value.copy() for key, value in params.items()}
            return""", """            self.shadow = {key: np.zeros_like(value) for key, value in params.items()}"""), "0 から"),
    "shadow shares the arrays of params": ("""
class ExponentialMovingAverage:
    def __init__(self, decay=0.99):
        self.decay = decay
        self.shadow = None
    def update(self, params):
        if self.shadow is None:
            self.shadow = dict(params)
            return
        for key, value in params.items():
            self.shadow[key] *= self.decay
            self.shadow[key] += (1 - self.decay) * value
    def apply_to(self, params):
        for key, value in self.shadow.items():
            params[key][...] = value
""", "共有"),
    "shadow keeps references and rebinds": (BOOK.replace("{key: value.copy() for key, value in params.items()}", "params"),
                                            "共有"),
    "apply_to rebinds": (BOOK.replace("params[key][...] = value", "params[key] = value.copy()"), "新しい配列を代入"),
    "update writes into params": (BOOK.replace(
        "            self.shadow[key] = self.decay * self.shadow[key] + (1 - self.decay) * value",
        "            self.shadow[key] = self.decay * self.shadow[key] + (1 - self.decay) * value\n"
        "            params[key][...] = self.shadow[key]"), "params を書き換えて"),
}


@pytest.mark.parametrize("index", range(len(CORRECT)))
def test_correct_variants_pass(judge_code, index):
    passed, message = judge_code(NB, GID, CORRECT[index])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, expected_words = WRONG[name]
    passed, message = judge_code(NB, GID, code)
    assert not passed
    assert expected_words in message, message


def test_untouched_stub_fails(judge_code):
    stub = ("class ExponentialMovingAverage:\n    def __init__(self, decay=0.99):\n        self.decay = decay\n"
            "        self.shadow = None\n    def update(self, params):\n        raise NotImplementedError()\n"
            "    def apply_to(self, params):\n        raise NotImplementedError()\n")
    passed, message = judge_code(NB, GID, stub)
    assert not passed and "NotImplementedError" in message, message
