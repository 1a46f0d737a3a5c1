"""The hidden checks of 2_3_gradient_descent: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_3_gradient_descent"
ALL = ["gradient_descent_basic", "gradient_descent_edge", "gradient_descent_other"]

# the notebook gives numerical_gradient in a locked cell
GIVEN = """
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
"""

CORRECT = {
    "copy, then in-place update like the book": GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
""",
    "new array each step, while loop": GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)
    count = 0
    while count < step_num:
        x = x - lr * numerical_gradient(f, x)
        count += 1
    return x
""",
}

WRONG = {
    "book version modifies init_x": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "書き換え"),
    "returns the first point": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        y = x - lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "最初の点"),
    "adds the gradient": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        x += lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "勾配を足して"),
    "one step too many": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num + 1):
        x = x - lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "1 回多く"),
    "one step too few": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(1, step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "1 回少なく"),
    "ignores lr": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        x = x - 0.01 * numerical_gradient(f, x)
    return x
""", "gradient_descent_basic", "lr を使わず"),
    "step_num=0 returns the original object": (GIVEN + """
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    if step_num == 0:
        return None
    x = init_x.copy()
    for i in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_edge", "step_num = 0"),
    "numerical_gradient cell not run": ("""
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
""", "gradient_descent_other", "先に実行"),
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
    stub = GIVEN + "def gradient_descent(f, init_x, lr=0.01, step_num=100):\n    raise NotImplementedError()\n"
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message
