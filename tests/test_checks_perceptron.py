"""The hidden checks of 1_1_perceptron: right answers pass, typical mistakes fail with a hint."""

import pytest

from autograder.checks.day1.perceptron import HINTS, TYPE_HINT

NB = "1_1_perceptron"
THRESHOLD = ["and_gate", "nand_gate", "or_gate"]
BIAS = ["and_bias", "nand_bias", "or_bias"]
ALL = THRESHOLD + BIAS + ["xor_gate"]


BOOK_BIAS_GATES = """
def AND_bias(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.7
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1

def NAND_bias(x1, x2):
    x = np.array([x1, x2])
    w = np.array([-0.5, -0.5])
    b = 0.7
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1

def OR_bias(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.2
    tmp = np.sum(w * x) + b
    if tmp <= 0:
        return 0
    else:
        return 1
"""

BOOK_XOR = """
def XOR(x1, x2):
    s1 = NAND_bias(x1, x2)
    s2 = OR_bias(x1, x2)
    return AND_bias(s1, s2)
"""

CORRECT_THRESHOLD = {
    "book style": """
def AND(x1, x2):
    w1, w2, theta = 0.5, 0.5, 0.7
    tmp = x1 * w1 + x2 * w2
    if tmp <= theta:
        return 0
    elif tmp > theta:
        return 1

def NAND(x1, x2):
    w1, w2, theta = -0.5, -0.5, -0.7
    tmp = x1 * w1 + x2 * w2
    if tmp <= theta:
        return 0
    elif tmp > theta:
        return 1

def OR(x1, x2):
    w1, w2, theta = 0.5, 0.5, 0.2
    tmp = x1 * w1 + x2 * w2
    if tmp <= theta:
        return 0
    elif tmp > theta:
        return 1
""",
    "other weights with int()": """
def AND(x1, x2):
    return int(1.0 * x1 + 1.0 * x2 > 1.5)

def NAND(x1, x2):
    return int(-2 * x1 - 2 * x2 > -3)

def OR(x1, x2):
    return int(x1 + x2 > 0.5)
""",
    "numpy integer results": """
def _gate(x1, x2, w1, w2, theta):
    return np.int64(w1 * x1 + w2 * x2 > theta)

def AND(x1, x2):
    return _gate(x1, x2, 0.3, 0.3, 0.5)

def NAND(x1, x2):
    return np.array(-x1 - x2 > -1.5, dtype=int)  # 0-d integer array

def OR(x1, x2):
    return _gate(x1, x2, 0.7, 0.7, 0.0)
""",
}

CORRECT_BIAS = {
    "book style": BOOK_BIAS_GATES,
    "np.dot and other weights": """
def _perceptron(x1, x2, w, b):
    return int(np.dot(w, np.array([x1, x2])) + b > 0)

def AND_bias(x1, x2):
    return _perceptron(x1, x2, np.array([1.0, 1.0]), -1.5)

def NAND_bias(x1, x2):
    return _perceptron(x1, x2, np.array([-1.0, -1.0]), 1.5)

def OR_bias(x1, x2):
    return _perceptron(x1, x2, np.array([1.0, 1.0]), -0.5)
""",
    "np.where on a 0-d value": """
def AND_bias(x1, x2):
    x = np.array([x1, x2]); w = np.array([0.5, 0.5]); b = -0.6
    return np.where(np.sum(w * x) + b > 0, 1, 0)

def NAND_bias(x1, x2):
    x = np.array([x1, x2]); w = np.array([-0.4, -0.4]); b = 0.5
    return np.where(np.sum(w * x) + b > 0, 1, 0)

def OR_bias(x1, x2):
    x = np.array([x1, x2]); w = np.array([0.5, 0.5]); b = -0.1
    return np.where(np.sum(w * x) + b > 0, 1, 0)
""",
}

CORRECT_XOR = {
    "book composition": BOOK_BIAS_GATES + BOOK_XOR,
    "OR(AND(x1, NAND), AND(x2, NAND))": BOOK_BIAS_GATES + """
def XOR(x1, x2):
    n = NAND_bias(x1, x2)
    return OR_bias(AND_bias(x1, n), AND_bias(x2, n))
""",
    "four NANDs": BOOK_BIAS_GATES + """
def XOR(x1, x2):
    n = NAND_bias(x1, x2)
    return NAND_bias(NAND_bias(x1, n), NAND_bias(x2, n))
""",
}


@pytest.mark.parametrize("name", sorted(CORRECT_THRESHOLD))
def test_correct_threshold_gates_pass(judge_code, name):
    for grade_id in THRESHOLD:
        passed, message = judge_code(NB, grade_id, CORRECT_THRESHOLD[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(CORRECT_BIAS))
def test_correct_bias_gates_pass(judge_code, name):
    for grade_id in BIAS:
        passed, message = judge_code(NB, grade_id, CORRECT_BIAS[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(CORRECT_XOR))
def test_correct_xor_passes(judge_code, name):
    passed, message = judge_code(NB, "xor_gate", CORRECT_XOR[name])
    assert passed, message


def _threshold(name, w1, w2, theta, op=">"):
    return f"""
def {name}(x1, x2):
    tmp = {w1} * x1 + {w2} * x2
    if tmp {op} {theta}:
        return 1
    return 0
"""


def _bias(name, w, b, op=">"):
    return f"""
def {name}(x1, x2):
    x = np.array([x1, x2])
    w = np.array({w})
    b = {b}
    if np.sum(w * x) + b {op} 0:
        return 1
    return 0
"""


# (code, grade_id, the exact hint that must be shown)
WRONG = {
    # AND, threshold form
    "AND: threshold too low (acts like OR)": (_threshold("AND", 0.5, 0.5, 0.4), "and_gate", HINTS[("AND", "threshold")][(1, 0)]),
    "AND: >= on the boundary": (_threshold("AND", 0.5, 0.5, 0.5, ">="), "and_gate", HINTS[("AND", "threshold")][(1, 0)]),
    "AND: threshold too high": (_threshold("AND", 0.5, 0.5, 1.0), "and_gate", HINTS[("AND", "threshold")][(1, 1)]),
    "AND: NAND parameters": (_threshold("AND", -0.5, -0.5, -0.7), "and_gate", HINTS[("AND", "threshold")][(0, 0)]),
    "AND: returns bool": ("""
def AND(x1, x2):
    return 0.5 * x1 + 0.5 * x2 > 0.7
""", "and_gate", TYPE_HINT),
    "AND: x1 * x2 gives float for float inputs": ("""
def AND(x1, x2):
    return x1 * x2
""", "and_gate", TYPE_HINT),
    # NAND, threshold form
    "NAND: OR parameters (NAND/OR swapped)": (_threshold("NAND", 0.5, 0.5, 0.2), "nand_gate", HINTS[("NAND", "threshold")][(0, 0)]),
    "NAND: AND parameters (signs not flipped)": (_threshold("NAND", 0.5, 0.5, 0.7), "nand_gate", HINTS[("NAND", "threshold")][(0, 0)]),
    "NAND: >= on the boundary": (_threshold("NAND", -0.5, -0.5, -1.0, ">="), "nand_gate", HINTS[("NAND", "threshold")][(1, 1)]),
    "NAND: threshold too high": (_threshold("NAND", -0.5, -0.5, -0.3), "nand_gate", HINTS[("NAND", "threshold")][(1, 0)]),
    "NAND: returns float": ("""
def NAND(x1, x2):
    return 1.0 if -0.5 * x1 - 0.5 * x2 > -0.7 else 0.0
""", "nand_gate", TYPE_HINT),
    # OR, threshold form
    "OR: NAND parameters (NAND/OR swapped)": (_threshold("OR", -0.5, -0.5, -0.7), "or_gate", HINTS[("OR", "threshold")][(0, 0)]),
    "OR: threshold too high (acts like AND)": (_threshold("OR", 0.5, 0.5, 0.7), "or_gate", HINTS[("OR", "threshold")][(1, 0)]),
    "OR: theta = 0 with >=": (_threshold("OR", 0.5, 0.5, 0, ">="), "or_gate", HINTS[("OR", "threshold")][(0, 0)]),
    # bias form
    "AND_bias: positive bias": (_bias("AND_bias", [0.5, 0.5], 0.7), "and_bias", HINTS[("AND", "bias")][(0, 0)]),
    "AND_bias: >= 0 on the boundary": (_bias("AND_bias", [0.5, 0.5], -0.5, ">="), "and_bias", HINTS[("AND", "bias")][(1, 0)]),
    "AND_bias: returns numpy.bool_": ("""
def AND_bias(x1, x2):
    x = np.array([x1, x2]); w = np.array([0.5, 0.5]); b = -0.7
    return np.sum(w * x) + b > 0
""", "and_bias", TYPE_HINT),
    "AND_bias: returns the float sum's sign": ("""
def AND_bias(x1, x2):
    x = np.array([x1, x2]); w = np.array([0.5, 0.5]); b = -0.7
    return float(np.sum(w * x) + b > 0)
""", "and_bias", TYPE_HINT),
    "NAND_bias: OR parameters": (_bias("NAND_bias", [0.5, 0.5], -0.2), "nand_bias", HINTS[("NAND", "bias")][(0, 0)]),
    "NAND_bias: bias too small": (_bias("NAND_bias", [-0.5, -0.5], 0.3), "nand_bias", HINTS[("NAND", "bias")][(1, 0)]),
    "OR_bias: NAND parameters": (_bias("OR_bias", [-0.5, -0.5], 0.7), "or_bias", HINTS[("OR", "bias")][(0, 0)]),
    "OR_bias: AND parameters": (_bias("OR_bias", [0.5, 0.5], -0.7), "or_bias", HINTS[("OR", "bias")][(1, 0)]),
    # XOR
    "XOR: AND(NAND, NAND)": (BOOK_BIAS_GATES + """
def XOR(x1, x2):
    return AND_bias(NAND_bias(x1, x2), NAND_bias(x1, x2))
""", "xor_gate", HINTS[("XOR", "compose")][(0, 0)]),
    "XOR: NAND as the output gate (XNOR)": (BOOK_BIAS_GATES + """
def XOR(x1, x2):
    return NAND_bias(NAND_bias(x1, x2), OR_bias(x1, x2))
""", "xor_gate", HINTS[("XOR", "compose")][(0, 0)]),
    "XOR: AND(OR, OR), no NAND": (BOOK_BIAS_GATES + """
def XOR(x1, x2):
    return AND_bias(OR_bias(x1, x2), OR_bias(x1, x2))
""", "xor_gate", HINTS[("XOR", "compose")][(1, 1)]),
    "XOR: AND instead of NAND in the first layer": (BOOK_BIAS_GATES + """
def XOR(x1, x2):
    return AND_bias(AND_bias(x1, x2), OR_bias(x1, x2))
""", "xor_gate", HINTS[("XOR", "compose")][(1, 0)]),
    "XOR: built on a broken NAND_bias": (BOOK_BIAS_GATES.replace("b = 0.7", "b = 0.2") + BOOK_XOR,
                                          "xor_gate", HINTS[("XOR", "compose")][(1, 0)]),
    "XOR: returns bool": (BOOK_BIAS_GATES + """
def XOR(x1, x2):
    return bool(AND_bias(NAND_bias(x1, x2), OR_bias(x1, x2)))
""", "xor_gate", TYPE_HINT),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_the_intended_hint(judge_code, name):
    code, grade_id, hint = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert "考えられる原因: " + hint in message, message


def test_a_gate_that_fails_on_float_inputs_is_rejected(judge_code):
    code = """
def AND(x1, x2):
    return int(x1 & x2)
"""
    passed, message = judge_code(NB, "and_gate", code)
    assert not passed
    assert "float の入力" in message and "TypeError" in message, message


def test_the_message_names_the_failing_input(judge_code):
    passed, message = judge_code(NB, "and_gate", _threshold("AND", 0.5, 0.5, 0.4))
    assert not passed
    assert "「入力 (1, 0)」" in message and "期待: 0" in message and "実際: 1" in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    stub = "".join(f"def {name}(x1, x2):\n    raise NotImplementedError()\n\n"
                   for name in ["AND", "NAND", "OR", "AND_bias", "NAND_bias", "OR_bias", "XOR"])
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, (grade_id, message)


def test_xor_stub_fails_even_with_correct_gates(judge_code):
    passed, message = judge_code(NB, "xor_gate", BOOK_BIAS_GATES + "def XOR(x1, x2):\n    raise NotImplementedError()\n")
    assert not passed and "NotImplementedError" in message


def test_xor_on_a_broken_gate_names_the_gate_as_the_cause(judge_code):
    from tests.conftest import visible_verdicts

    code = BOOK_BIAS_GATES.replace("b = 0.7", "b = 0.2") + BOOK_XOR
    passed, message = judge_code(NB, "xor_gate", code)
    assert not passed
    assert "XOR が使う NAND_bias が正しくありません" in message, message
    shown = "\n".join(v.message for v in visible_verdicts(NB, "xor_gate", code) if not v.passed)
    assert shown.startswith("XOR が使う NAND_bias が正しくありません"), shown
