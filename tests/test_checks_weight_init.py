"""The hidden checks of 3_2_weight_init: right initialisers pass, typical mistakes fail with a hint."""

import pytest

NB = "3_2_weight_init"

CORRECT = {
    "xavier": ["""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
""", """
def xavier_init(fan_in, fan_out, rng):
    generator = np.random.default_rng(rng)
    return generator.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
""", """
def xavier_init(fan_in, fan_out, rng):
    if isinstance(rng, (int, np.integer)):
        rng = np.random.default_rng(rng)
    W = rng.standard_normal(size=(fan_in, fan_out))
    W /= np.sqrt(fan_in)
    return W
"""],
    "he": ["""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
""", """
def he_init(fan_in, fan_out, rng):
    std = (2 / fan_in) ** 0.5
    return np.random.default_rng(rng).normal(scale=std, size=(fan_in, fan_out))
"""],
}

WRONG = {
    "Xavier with fan_in + fan_out (Glorot)": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))
""", "xavier", "fan_in だけ"),
    "Xavier with 1 / (fan_in + fan_out)": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in + fan_out)
""", "xavier", "fan_in + fan_out"),
    "Xavier with fan_out": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_out)
""", "xavier", "fan_out"),
    "Xavier scaled like He": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
""", "xavier", "He の初期値"),
    "Xavier without the square root": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) / fan_in
""", "xavier", "平方根"),
    "Xavier of shape (fan_out, fan_in)": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_out, fan_in)) * np.sqrt(1.0 / fan_in)
""", "xavier", "(fan_in, fan_out)"),
    "Xavier drawn transposed": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_out, fan_in)).T * np.sqrt(1.0 / fan_in)
""", "xavier", "転置"),
    "Xavier from a uniform distribution": ("""
def xavier_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.uniform(-1, 1, (fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
""", "xavier", "一様分布"),
    "Xavier with the integer used as a Generator": ("""
def xavier_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
""", "xavier", "default_rng"),
    "Xavier from the global random state": ("""
def xavier_init(fan_in, fan_out, rng):
    return np.random.randn(fan_in, fan_out) * np.sqrt(1.0 / fan_in)
""", "xavier", "値が違います"),
    "He with fan_out": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_out)
""", "he", "fan_out"),
    "He scaled like Xavier": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
""", "he", "Xavier の初期値"),
    "He without the square root": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * 2.0 / fan_in
""", "he", "平方根"),
    "He with fan_in + fan_out": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))
""", "he", "fan_in + fan_out"),
    "He of shape (fan_out, fan_in)": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
""", "he", "(fan_in, fan_out)"),
    "He with an extra draw first": ("""
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(rng)
    rng.standard_normal()
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
""", "he", "値が違います"),
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
    for grade_id, name in (("xavier", "xavier_init"), ("he", "he_init")):
        passed, message = judge_code(NB, grade_id, f"def {name}(fan_in, fan_out, rng):\n    raise NotImplementedError()\n")
        assert not passed and "NotImplementedError" in message, message
