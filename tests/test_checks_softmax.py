"""The hidden checks of 1_4_softmax: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "1_4_softmax"
ALL = ["softmax_1d", "softmax_overflow", "softmax_2d"]

CORRECT = {
    "book style with ndim branch": """
def softmax(x):
    if x.ndim == 2:
        x = x - x.max(axis=1, keepdims=True)
        return np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    c = np.max(x)
    exp_a = np.exp(x - c)
    return exp_a / np.sum(exp_a)
""",
    "transpose trick from the book": """
def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))
""",
    "log-sum-exp": """
def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
    return np.exp(x - lse)
""",
}

WRONG = {
    "no max shift": ("""
def softmax(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
""", "softmax_overflow", "オーバーフロー"),
    "sum over whole batch": ("""
def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)
""", "softmax_2d", "行ごと"),
    "column-wise": ("""
def softmax(x):
    e = np.exp(x - np.max(x, axis=0))
    return e / np.sum(e, axis=0)
""", "softmax_2d", "列ごと"),
    "modifies its input": ("""
def softmax(x):
    x -= np.max(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=-1, keepdims=True)
    return x
""", "softmax_1d", "書き換え"),
    "returns a list": ("""
def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return (e / np.sum(e, axis=-1, keepdims=True)).tolist()
""", "softmax_1d", "np.ndarray"),
    "taken from scipy": ("""
from scipy.special import softmax as _sp
softmax = _sp
""", "softmax_1d", "自分で実装"),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variants_pass_every_check(judge_code, name):
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, CORRECT[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    stub = "def softmax(x):\n    raise NotImplementedError()\n"
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message


@pytest.mark.parametrize("code", [
    "from course.functions import softmax as _s\ndef softmax(x):\n    return _s(x)\n",
    "import course.functions\ndef softmax(x):\n    return course.functions.softmax(x)\n",
    "import scipy.special\ndef softmax(x):\n    return scipy.special.softmax(x, axis=-1)\n",
])
def test_wrappers_around_existing_implementations_are_rejected(judge_code, code):
    passed, message = judge_code(NB, "softmax_1d", code)
    assert not passed and "自分で実装" in message, message
