"""The hidden checks of 2_1_mini_batch: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_1_mini_batch"
CE = ["cross_entropy_error_onehot", "cross_entropy_error_index"]

CORRECT_CE = {
    "book": """
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
""",
    "one-hot product and mean": """
def cross_entropy_error(y, t):
    y = np.atleast_2d(y)
    if np.size(t) != y.size:
        t = np.eye(y.shape[1])[np.ravel(t)]
    t = np.reshape(t, y.shape)
    return float(np.mean(-np.sum(t * np.log(y + 1e-7), axis=1)))
""",
}
CORRECT_SAMPLE = {
    "rng then choice": """
def sample_batch(x, t, batch_size, seed):
    rng = np.random.default_rng(seed)
    batch_mask = rng.choice(x.shape[0], batch_size, replace=False)
    return x[batch_mask], t[batch_mask]
""",
    "one line, take": """
def sample_batch(x, t, batch_size, seed):
    i = np.random.default_rng(seed).choice(len(x), size=batch_size, replace=False)
    return (np.take(x, i, axis=0), np.take(t, i, axis=0))
""",
}

WRONG = {
    "no averaging": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size); y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7))
""", "cross_entropy_error_onehot", "平均"),
    "one-hot only": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size); y = y.reshape(1, y.size)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]
""", "cross_entropy_error_index", "np.arange(N)"),
    "no delta": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size); y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t])) / y.shape[0]
""", "cross_entropy_error_onehot", "値が違います"),
    "taken from course.functions": ("""
from course.functions import cross_entropy_error
""", "cross_entropy_error_index", "自分で実装"),
    "replace=True": ("""
def sample_batch(x, t, batch_size, seed):
    i = np.random.default_rng(seed).choice(len(x), batch_size)
    return x[i], t[i]
""", "sample_batch_seed", "replace=False"),
    "legacy global RNG": ("""
def sample_batch(x, t, batch_size, seed):
    np.random.seed(seed)
    i = np.random.choice(len(x), batch_size, replace=False)
    return x[i], t[i]
""", "sample_batch_seed", "default_rng"),
    "two draws": ("""
def sample_batch(x, t, batch_size, seed):
    rng = np.random.default_rng(seed)
    return x[rng.choice(len(x), batch_size, replace=False)], t[rng.choice(len(x), batch_size, replace=False)]
""", "sample_batch_seed", "別々に"),
    "first rows": ("""
def sample_batch(x, t, batch_size, seed):
    return x[:batch_size], t[:batch_size]
""", "sample_batch_seed", "先頭"),
}


@pytest.mark.parametrize("name", sorted(CORRECT_CE))
def test_correct_cross_entropy_passes(judge_code, name):
    for grade_id in CE:
        passed, message = judge_code(NB, grade_id, CORRECT_CE[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(CORRECT_SAMPLE))
def test_correct_sample_batch_passes(judge_code, name):
    passed, message = judge_code(NB, "sample_batch_seed", CORRECT_SAMPLE[name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


def test_untouched_stubs_fail_everywhere(judge_code):
    stubs = {g: "def cross_entropy_error(y, t):\n    raise NotImplementedError()\n" for g in CE}
    stubs["sample_batch_seed"] = "def sample_batch(x, t, batch_size, seed):\n    raise NotImplementedError()\n"
    for grade_id, stub in stubs.items():
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message
