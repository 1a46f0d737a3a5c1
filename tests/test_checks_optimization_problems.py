"""The hidden checks of 3_4_optimization_problems: gradient clipping by the global norm."""

import pytest

NB = "3_4_optimization_problems"
GID = "clip_grads_global_norm"

BOOK = """
def clip_grads(grads, max_norm):
    total_norm = 0.0
    for grad in grads.values():
        total_norm += np.sum(grad ** 2)
    total_norm = float(np.sqrt(total_norm))
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads.values():
            grad *= rate
    return total_norm
"""

CORRECT = [BOOK, """
def clip_grads(grads, max_norm):
    norm = np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    rate = max_norm / (norm + 1e-6)
    if rate < 1:
        for key in grads:
            np.multiply(grads[key], rate, out=grads[key])
    return norm
""", """
def clip_grads(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    norm = np.linalg.norm(flat)
    if max_norm / (norm + 1e-6) < 1:
        for key in grads.keys():
            grads[key][...] = grads[key] * (max_norm / (norm + 1e-6))
    return float(norm)
"""]

WRONG = {
    "clips each array by its own norm": ("""
def clip_grads(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        rate = max_norm / (np.sqrt(np.sum(g ** 2)) + 1e-6)
        if rate < 1:
            g *= rate
    return total
""", "全体のノルム"),
    "rebinds grads[key]": (BOOK.replace("""        for grad in grads.values():
            grad *= rate""", """        for key in grads:
            grads[key] = grads[key] * rate"""), "新しい配列を代入"),
    "scales small gradients too": (BOOK.replace("    if rate < 1:\n        for grad", "    if True:\n        for grad"),
                                   "max_norm 以下"),
    "returns the norm after clipping": (BOOK.replace("    return total_norm",
                                                     "    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))"),
                                        "後のノルム"),
    "forgets the square root": (BOOK.replace("total_norm = float(np.sqrt(total_norm))", "total_norm = float(total_norm)"),
                                "平方根"),
    "clips values element-wise": ("""
def clip_grads(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        np.clip(g, -max_norm, max_norm, out=g)
    return total
""", "要素ごと"),
    "adds the norms of the arrays": ("""
def clip_grads(grads, max_norm):
    total = sum(float(np.linalg.norm(g)) for g in grads.values())
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads.values():
            g *= rate
    return total
""", "足して"),
    "returns nothing": (BOOK.replace("    return total_norm", "    pass"), "None"),
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
    passed, message = judge_code(NB, GID, "def clip_grads(grads, max_norm):\n    raise NotImplementedError()\n")
    assert not passed and "NotImplementedError" in message, message
