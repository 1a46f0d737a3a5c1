"""The hidden checks of 1_2_activation_function: right answers pass, typical mistakes fail with a hint."""

import numpy as np
import pytest

from autograder.checks.day1.activation import (ELU_MISTAKES, HARD_SIGMOID_MISTAKES, IDENTITY_MISTAKES, LEAKY_MISTAKES,
                                               RELU_MISTAKES, SELU_MISTAKES, SIGMOID_MISTAKES, SOFTPLUS_MISTAKES, SOFTSIGN_MISTAKES,
                                               STEP_MISTAKES, TANH_MISTAKES)
from course import probe

NB = "1_2_activation_function"
ALL = ["step_function", "sigmoid", "tanh", "relu", "leaky_relu", "identity_function", "elu", "selu", "softplus",
       "softsign", "hard_sigmoid"]


def test_probe_keeps_0d_values():
    # Every check of this notebook starts with 0-d (scalar) inputs, so the probe must round-trip
    # 0-d arrays and numpy scalars with shape () (it once turned them into shape (1,)).
    for value in [np.array(1.5), np.float64(1.5), np.int64(1), np.bool_(True)]:
        decoded = probe.decode_value(probe.encode_value(value))
        assert np.shape(decoded) == (), (value, decoded)
        assert decoded == value


SELU_CONSTANTS = """
SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
"""

CORRECT = {
    "step_function": {
        "book": "def step_function(x):\n    return np.array(x > 0, dtype=int)\n",
        "np.where": "def step_function(x):\n    return np.where(x > 0, 1, 0)\n",
        "astype int32": "def step_function(x):\n    return (x > 0).astype(np.int32)\n",
    },
    "sigmoid": {
        "np.where with exp(-|x|)": """
def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
""",
        "exp(min(x, 0)) / (1 + exp(-|x|))": """
def sigmoid(x):
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))
""",
        "via tanh": "def sigmoid(x):\n    return 0.5 * (1 + np.tanh(0.5 * x))\n",
        "via logaddexp": "def sigmoid(x):\n    return np.exp(-np.logaddexp(0, -x))\n",
    },
    "tanh": {
        "np.tanh": "def tanh(x):\n    return np.tanh(x)\n",
        "2 * sigmoid(2x) - 1 with a stable sigmoid": """
def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))

def tanh(x):
    return 2 * sigmoid(2 * x) - 1
""",
        "sign and exp(-2|x|)": """
def tanh(x):
    e = np.exp(-2 * np.abs(x))
    return np.sign(x) * (1 - e) / (1 + e)
""",
    },
    "relu": {
        "np.maximum": "def relu(x):\n    return np.maximum(0, x)\n",
        "mask product": "def relu(x):\n    return x * (x > 0)\n",
        "copy then assign": """
def relu(x):
    y = x.copy()
    y[y < 0] = 0
    return y
""",
        "np.where": "def relu(x):\n    return np.where(x > 0, x, 0.0)\n",
    },
    "leaky_relu": {
        "np.where": "def leaky_relu(x, alpha=0.01):\n    return np.where(x > 0, x, alpha * x)\n",
        "np.maximum": "def leaky_relu(x, alpha=0.01):\n    return np.maximum(x, alpha * x)\n",
        "copy and scale the negative part": """
def leaky_relu(x, alpha=0.01):
    y = np.array(x, dtype=float, copy=True)
    y[y <= 0] *= alpha
    return y
""",
    },
    "identity_function": {
        "book": "def identity_function(x):\n    return x\n",
        "copy": "def identity_function(x):\n    return x.copy()\n",
        "np.array": "def identity_function(x):\n    return np.array(x, dtype=float)\n",
    },
    "elu": {
        "expm1 of the clipped input": """
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
""",
        "plain np.where (warnings at +1000 are allowed)": """
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))
""",
        "sum of both parts": """
def elu(x, alpha=1.0):
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))
""",
    },
    "selu": {
        "answer": SELU_CONSTANTS + """
def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
""",
        "plain np.where": SELU_CONSTANTS + """
def selu(x):
    return np.where(x > 0, SELU_SCALE * x, SELU_SCALE * SELU_ALPHA * (np.exp(x) - 1))
""",
        "scale times own elu": SELU_CONSTANTS + """
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))

def selu(x):
    return SELU_SCALE * elu(x, alpha=SELU_ALPHA)
""",
    },
    "softplus": {
        "max + log1p": "def softplus(x):\n    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))\n",
        "logaddexp": "def softplus(x):\n    return np.logaddexp(0, x)\n",
        "np.where on two safe branches": """
def softplus(x):
    t = np.log1p(np.exp(-np.abs(x)))
    return np.where(x > 0, x + t, t)
""",
    },
    "softsign": {
        "abs": "def softsign(x):\n    return x / (1 + np.abs(x))\n",
        "sign times magnitude": """
def softsign(x):
    a = np.abs(x)
    return np.sign(x) * a / (1.0 + a)
""",
    },
    "hard_sigmoid": {
        "np.clip": "def hard_sigmoid(x):\n    return np.clip(0.2 * x + 0.5, 0, 1)\n",
        "maximum/minimum": "def hard_sigmoid(x):\n    return np.maximum(0.0, np.minimum(1.0, 0.2 * x + 0.5))\n",
        "nested np.where": """
def hard_sigmoid(x):
    return np.where(x < -2.5, 0.0, np.where(x > 2.5, 1.0, 0.2 * x + 0.5))
""",
    },
}


def _hint(mistakes, i):
    return "考えられる原因: " + mistakes[i].hint


# name -> (code, grade_id, words that must be in the message)
WRONG = {
    "step returns bool": ("def step_function(x):\n    return x > 0\n", "step_function", [_hint(STEP_MISTAKES, 0)]),
    "step returns float": ("def step_function(x):\n    return np.array(x > 0, dtype=float)\n", "step_function",
                           [_hint(STEP_MISTAKES, 0)]),
    "step via np.heaviside (float)": ("def step_function(x):\n    return np.heaviside(x, 0)\n", "step_function",
                                      [_hint(STEP_MISTAKES, 0)]),
    "step with >=": ("def step_function(x):\n    return np.array(x >= 0, dtype=int)\n", "step_function",
                     [_hint(STEP_MISTAKES, 1)]),
    "step with a python if": ("""
def step_function(x):
    if x > 0:
        return 1
    return 0
""", "step_function", ["ValueError", "ambiguous", "ヒント: if x > 0: のように", "np.array(x > 0, dtype=int) とすれば"]),
    "sigmoid with a python if": ("""
def sigmoid(x):
    if x >= 0:
        return 1 / (1 + np.exp(-x))
    return np.exp(x) / (1 + np.exp(x))
""", "sigmoid", ["「1 次元の配列", "ValueError", "ヒント: if や and / or", "np.where(条件, 真のときの値, 偽のときの値)"]),
    "sigmoid with the wrong sign": ("def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n", "sigmoid",
                                    [_hint(SIGMOID_MISTAKES, 0)]),
    "sigmoid without 1 +": ("def sigmoid(x):\n    return 1 / np.exp(-x)\n", "sigmoid", [_hint(SIGMOID_MISTAKES, 1)]),
    "naive sigmoid overflows": ("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n", "sigmoid",
                                ["警告", "overflow", "オーバーフロー"]),
    "np.where over two naive formulas": ("""
def sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
""", "sigmoid", ["警告", "オーバーフロー"]),
    "sigmoid with math.exp": ("""
import math
def sigmoid(x):
    return 1 / (1 + math.exp(-x))
""", "sigmoid", ["TypeError"]),
    "tanh from the exp formula": ("""
def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
""", "tanh", [_hint(TANH_MISTAKES, 0)]),
    "tanh from a naive sigmoid": ("""
def tanh(x):
    return 2 / (1 + np.exp(-2 * x)) - 1
""", "tanh", ["警告", "オーバーフロー"]),
    "tanh is sigmoid": ("""
def tanh(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
""", "tanh", [_hint(TANH_MISTAKES, 1)]),
    "relu with builtin max": ("def relu(x):\n    return max(0, x)\n", "relu", [_hint(RELU_MISTAKES, 0)]),
    "relu returns the mask": ("def relu(x):\n    return x > 0\n", "relu", [_hint(RELU_MISTAKES, 1)]),
    "relu modifies its input": ("""
def relu(x):
    x[x < 0] = 0
    return x
""", "relu", ["書き換え"]),
    "relu with np.maximum(..., out=x)": ("def relu(x):\n    return np.maximum(x, 0, out=x)\n", "relu", ["書き換え"]),
    "leaky slope on the wrong side": ("def leaky_relu(x, alpha=0.01):\n    return np.where(x > 0, alpha * x, x)\n",
                                      "leaky_relu", [_hint(LEAKY_MISTAKES, 0)]),
    "leaky ignores alpha": ("def leaky_relu(x, alpha=0.01):\n    return np.where(x > 0, x, 0.01 * x)\n", "leaky_relu",
                            [_hint(LEAKY_MISTAKES, 1), "alpha = 0.1"]),
    "leaky returns alpha itself": ("def leaky_relu(x, alpha=0.01):\n    return np.where(x > 0, x, alpha)\n",
                                   "leaky_relu", [_hint(LEAKY_MISTAKES, 2)]),
    "leaky without the alpha keyword": ("def leaky_relu(x):\n    return np.where(x > 0, x, 0.01 * x)\n", "leaky_relu",
                                        ["TypeError", "alpha"]),
    "leaky modifies its input": ("""
def leaky_relu(x, alpha=0.01):
    x[x <= 0] *= alpha
    return x
""", "leaky_relu", ["書き換え"]),
    "identity returns ints": ("def identity_function(x):\n    return x.astype(int)\n", "identity_function",
                              ["浮動小数点数", _hint(IDENTITY_MISTAKES, 0)]),
    "identity returns the derivative": ("def identity_function(x):\n    return np.ones_like(x)\n", "identity_function",
                                        [_hint(IDENTITY_MISTAKES, 1)]),
    "identity returns a list": ("def identity_function(x):\n    return x.tolist()\n", "identity_function",
                                ["np.ndarray"]),
    "elu: alpha * exp(x) - 1": ("def elu(x, alpha=1.0):\n    return np.where(x > 0, x, alpha * np.exp(x) - 1)\n", "elu",
                                [_hint(ELU_MISTAKES, 0), "alpha = 0.5"]),
    "elu: exp(alpha * x) - 1": ("def elu(x, alpha=1.0):\n    return np.where(x > 0, x, np.exp(alpha * x) - 1)\n", "elu",
                                [_hint(ELU_MISTAKES, 1)]),
    "elu: no - 1": ("def elu(x, alpha=1.0):\n    return np.where(x > 0, x, alpha * np.exp(x))\n", "elu",
                    [_hint(ELU_MISTAKES, 2)]),
    "elu: alpha on the positive side": ("def elu(x, alpha=1.0):\n    return np.where(x > 0, alpha * x, np.exp(x) - 1)\n",
                                        "elu", [_hint(ELU_MISTAKES, 3)]),
    "selu: constants swapped": (SELU_CONSTANTS + """
def selu(x):
    return SELU_ALPHA * np.where(x > 0, x, SELU_SCALE * (np.exp(x) - 1))
""", "selu", [_hint(SELU_MISTAKES, 0)]),
    "selu: scale only on the negative side": (SELU_CONSTANTS + """
def selu(x):
    return np.where(x > 0, x, SELU_SCALE * SELU_ALPHA * (np.exp(x) - 1))
""", "selu", [_hint(SELU_MISTAKES, 1)]),
    "selu: no scale": (SELU_CONSTANTS + """
def selu(x):
    return np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))
""", "selu", [_hint(SELU_MISTAKES, 2)]),
    "selu: no alpha": (SELU_CONSTANTS + """
def selu(x):
    return SELU_SCALE * np.where(x > 0, x, np.exp(x) - 1)
""", "selu", [_hint(SELU_MISTAKES, 3)]),
    "naive softplus overflows": ("def softplus(x):\n    return np.log(1 + np.exp(x))\n", "softplus",
                                 [_hint(SOFTPLUS_MISTAKES, 0), "1000"]),
    "naive log1p softplus overflows": ("def softplus(x):\n    return np.log1p(np.exp(x))\n", "softplus",
                                       [_hint(SOFTPLUS_MISTAKES, 0)]),
    "softplus with a threshold in np.where warns": ("""
def softplus(x):
    return np.where(x > 20, x, np.log1p(np.exp(x)))
""", "softplus", ["警告", "オーバーフロー"]),
    "softplus without max(x, 0)": ("def softplus(x):\n    return np.log1p(np.exp(-np.abs(x)))\n", "softplus",
                                   [_hint(SOFTPLUS_MISTAKES, 1)]),
    "softplus with the wrong sign": ("def softplus(x):\n    return np.log(1 + np.exp(-x))\n", "softplus",
                                     [_hint(SOFTPLUS_MISTAKES, 2)]),
    "softsign without abs": ("def softsign(x):\n    return x / (1 + x)\n", "softsign", [_hint(SOFTSIGN_MISTAKES, 0)]),
    "softsign loses the sign": ("def softsign(x):\n    return np.abs(x) / (1 + np.abs(x))\n", "softsign",
                                [_hint(SOFTSIGN_MISTAKES, 1)]),
    "hard_sigmoid with the PyTorch definition": ("def hard_sigmoid(x):\n    return np.clip(x / 6 + 0.5, 0, 1)\n",
                                                 "hard_sigmoid", [_hint(HARD_SIGMOID_MISTAKES, 0), "Keras"]),
    "hard_sigmoid without clipping": ("def hard_sigmoid(x):\n    return 0.2 * x + 0.5\n", "hard_sigmoid",
                                      [_hint(HARD_SIGMOID_MISTAKES, 1)]),
    "hard_sigmoid is the real sigmoid": ("""
def hard_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
""", "hard_sigmoid", [_hint(HARD_SIGMOID_MISTAKES, 2)]),
    "sigmoid taken from scipy": ("from scipy.special import expit as sigmoid\n", "sigmoid", ["自分で実装"]),
    "tanh taken from numpy": ("tanh = np.tanh\n", "tanh", ["自分で実装"]),
}

CORRECT_CASES = [(grade_id, name) for grade_id in ALL for name in sorted(CORRECT[grade_id])]


@pytest.mark.parametrize("grade_id,name", CORRECT_CASES)
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


def test_every_function_has_two_or_more_correct_variants():
    assert set(CORRECT) == set(ALL)
    assert all(len(v) >= 2 for v in CORRECT.values())


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    for word in words:
        assert word in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    stub = "".join(f"def {name}(x{', alpha=1.0' if name in ('leaky_relu', 'elu') else ''}):\n"
                   f"    raise NotImplementedError()\n\n" for name in ALL)
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, (grade_id, message)


def test_failure_message_names_the_input_and_the_position(judge_code):
    passed, message = judge_code(NB, "step_function", "def step_function(x):\n    return np.array(x >= 0, dtype=int)\n")
    assert not passed
    assert "「0 次元の配列（スカラー）0.0」" in message and "期待: 0" in message and "実際: 1" in message, message


def test_unrelated_errors_get_no_error_hint(judge_code):
    passed, message = judge_code(NB, "sigmoid", WRONG["sigmoid with math.exp"][0])
    assert not passed and "TypeError" in message
    assert "ヒント" not in message, message
