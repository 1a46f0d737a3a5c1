"""The hidden checks of 2_2_numerical_diff: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_2_numerical_diff"
DIFF = ["numerical_diff_central"]
GRAD = ["numerical_gradient_1d", "numerical_gradient_nd", "numerical_gradient_restore"]

CORRECT_DIFF = {
    "book": """
def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)
""",
    "module constant, divided twice": """
H = 0.0001
def numerical_diff(f, x):
    upper = f(x + H)
    lower = f(x - H)
    return (upper - lower) / 2 / H
""",
}

CORRECT_GRAD = {
    "book nditer": """
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad
""",
    "copies with a flat view": """
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.empty(x.size)
    for i in range(x.size):
        plus = x.astype(float).ravel()
        minus = plus.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)
""",
    "book 1-D version applied row by row after reshape": """
def _gradient_no_batch(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad

def numerical_gradient(f, x):
    flat = x.reshape(-1)  # a view: f(x) sees the changes
    return _gradient_no_batch(lambda _: f(x), flat).reshape(x.shape)
""",
}

WRONG_DIFF = {
    "forward difference": ("""
def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x)) / h
""", "前方差分"),
    "h too small": ("""
def numerical_diff(f, x):
    h = 1e-50
    return (f(x + h) - f(x - h)) / (2 * h)
""", "丸め誤差"),
    "denominator h": ("""
def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / h
""", "2*h"),
    "taken from course.gradient_check": ("""
from course.gradient_check import check_gradients as numerical_diff
""", "自分で実装"),
}

WRONG_GRAD = {
    "forward difference": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp = x[idx]
        fx = f(x)
        x[idx] = tmp + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = tmp
    return grad
""", "numerical_gradient_1d", "前方差分"),
    "denominator h": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp = x[idx]
        x[idx] = tmp + h
        a = f(x)
        x[idx] = tmp - h
        b = f(x)
        x[idx] = tmp
        grad[idx] = (a - b) / h
    return grad
""", "numerical_gradient_1d", "2*h"),
    "book 1-D version on a 2-D x": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
""", "numerical_gradient_nd", "多次元の添字"),
    "loops over the first axis only": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(len(x)):
        tmp_val = x[idx].copy()
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
""", "numerical_gradient_nd", "要素ごとに 1 つずつ"),
    "never restores x": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp = x[idx]
        x[idx] = tmp + h
        a = f(x)
        x[idx] = tmp - h
        b = f(x)
        grad[idx] = (a - b) / (2 * h)
    return grad
""", "numerical_gradient_restore", "書き換え"),
    "restores with += / -= (rounding)": ("""
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        a = f(x)
        x[idx] -= 2 * h
        b = f(x)
        x[idx] += h
        grad[idx] = (a - b) / (2 * h)
    return grad
""", "numerical_gradient_restore", "書き換え"),
    "returns a list": ("""
def numerical_gradient(f, x):
    h = 1e-4
    out = []
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        out.append((f(x + e) - f(x - e)) / (2 * h))
    return out
""", "numerical_gradient_1d", "np.ndarray"),
}


@pytest.mark.parametrize("name", sorted(CORRECT_DIFF))
def test_correct_numerical_diff_passes(judge_code, name):
    for grade_id in DIFF:
        passed, message = judge_code(NB, grade_id, CORRECT_DIFF[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(CORRECT_GRAD))
def test_correct_numerical_gradient_passes(judge_code, name):
    for grade_id in GRAD:
        passed, message = judge_code(NB, grade_id, CORRECT_GRAD[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG_DIFF))
def test_numerical_diff_mistakes_fail_with_a_hint(judge_code, name):
    code, words = WRONG_DIFF[name]
    passed, message = judge_code(NB, "numerical_diff_central", code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("name", sorted(WRONG_GRAD))
def test_numerical_gradient_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG_GRAD[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


def test_one_dimensional_only_version_still_earns_the_1d_cell(judge_code):
    code = WRONG_GRAD["book 1-D version on a 2-D x"][0]
    passed, message = judge_code(NB, "numerical_gradient_1d", code)
    assert passed, message


def test_untouched_stubs_fail_everywhere(judge_code):
    stubs = {"numerical_diff_central": "def numerical_diff(f, x):\n    raise NotImplementedError()\n"}
    for grade_id in GRAD:
        stubs[grade_id] = "def numerical_gradient(f, x):\n    raise NotImplementedError()\n"
    for grade_id, stub in stubs.items():
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message
