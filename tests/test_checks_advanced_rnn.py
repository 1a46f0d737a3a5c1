"""The checks of 6_5_advanced_rnn (content-based addressing of an external memory): right answers pass,
typical mistakes fail with a hint (in the grader and in the notebook's self-check: the judge_code fixture
proves both); the read's backward (reference, answer, a second implementation) is proven against numerical
gradients, also at very small norms where the place of eps matters."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "6_5_advanced_rnn"

COS = """
def cosine_similarity(M, k, eps=1e-8):
    dots = np.sum(M * k[:, None, :], axis=2)
    norm_M = np.sqrt(np.sum(M ** 2, axis=2))
    norm_k = np.sqrt(np.sum(k ** 2, axis=1))
    return dots / (norm_M * norm_k[:, None] + eps)
"""
COS_EINSUM = """
def cosine_similarity(M, k, eps=1e-8):
    out = np.einsum("bnw,bw->bn", M, k)
    out /= np.linalg.norm(M, axis=-1) * np.linalg.norm(k, axis=-1, keepdims=True) + eps
    return out
"""
COS_LOOP = """
def cosine_similarity(M, k, eps=1e-8):
    B, N, W = M.shape
    out = np.zeros((B, N))
    for b in range(B):
        for n in range(N):
            out[b, n] = M[b, n] @ k[b] / (np.linalg.norm(M[b, n]) * np.linalg.norm(k[b]) + eps)
    return out
"""
ADDR = """
def content_addressing(M, k, beta, eps=1e-8):
    scores = beta * cosine_similarity(M, k, eps)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    e = np.exp(scores)
    return e / np.sum(e, axis=1, keepdims=True)
"""
ADDR_LOOP = """
def content_addressing(M, k, beta, eps=1e-8):
    K = cosine_similarity(M, k, eps)
    w = np.empty_like(K)
    for b in range(K.shape[0]):
        s = beta * K[b]
        e = np.exp(s - s.max())
        w[b] = e / e.sum()
    return w
"""
READ = """
def content_read(M, k, beta, eps=1e-8):
    w = content_addressing(M, k, beta, eps)
    return np.sum(w[:, :, None] * M, axis=1)
"""
READ_MATMUL = """
def content_read(M, k, beta, eps=1e-8):
    w = content_addressing(M, k, beta, eps)
    return (w[:, None, :] @ M)[:, 0, :]
"""
CORRECT = {
    "cosine_similarity_values": {"sum and sqrt": COS, "einsum and norm": COS_EINSUM, "loops": COS_LOOP},
    "content_addressing_values": {"vectorised": COS + ADDR, "loop over the batch": COS_EINSUM + ADDR_LOOP},
    "content_read_values": {"sum over rows": COS + ADDR + READ, "batched matmul": COS_LOOP + ADDR_LOOP + READ_MATMUL},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "no eps": (_replace(COS, "(norm_M * norm_k[:, None] + eps)", "(norm_M * norm_k[:, None])"),
               "cosine_similarity_values", "eps を使っていない"),
    "eps on each norm": (_replace(COS, "(norm_M * norm_k[:, None] + eps)", "((norm_M + eps) * (norm_k[:, None] + eps))"),
                         "cosine_similarity_values", "(‖M‖ + eps) * (‖k‖ + eps)"),
    "eps inside the square root": (
        _replace(_replace(COS, "np.sqrt(np.sum(M ** 2, axis=2))", "np.sqrt(np.sum(M ** 2, axis=2) + eps)"),
                 "np.sqrt(np.sum(k ** 2, axis=1))\n    return dots / (norm_M * norm_k[:, None] + eps)",
                 "np.sqrt(np.sum(k ** 2, axis=1) + eps)\n    return dots / (norm_M * norm_k[:, None])"),
        "cosine_similarity_values", "平方根の中ではなく"),
    "memory norm over the rows": (
        "def cosine_similarity(M, k, eps=1e-8):\n"
        "    Mn = M / (np.linalg.norm(M, axis=1, keepdims=True) + eps)\n"
        "    return np.einsum('bnw,bw->bn', Mn, k) / (np.linalg.norm(k, axis=1)[:, None] + eps)\n",
        "cosine_similarity_values", "axis=2"),
    "β after the softmax": (COS + _replace(ADDR, "scores = beta * cosine_similarity(M, k, eps)", "scores = cosine_similarity(M, k, eps)")
                           .replace("return e / np.sum(e, axis=1, keepdims=True)", "return beta * e / np.sum(e, axis=1, keepdims=True)"),
                           "content_addressing_values", "β を softmax の後に掛けています"),
    "softmax over the batch axis": (COS + ADDR.replace("axis=1", "axis=0"), "content_addressing_values",
                                    "softmax をとる軸が違います"),
    "softmax over the whole array": (COS + ADDR.replace(", axis=1, keepdims=True", ""), "content_addressing_values",
                                     "softmax を配列全体でとっています"),
    "no max subtracted": (COS + _replace(ADDR, "    scores = scores - np.max(scores, axis=1, keepdims=True)\n", ""),
                          "content_addressing_values", "最大値を引いていない"),
    "wrong cosine under the addressing": (_replace(COS, "(norm_M * norm_k[:, None] + eps)", "(norm_M * norm_k[:, None])") + ADDR,
                                          "content_addressing_values", "content_addressing が使う cosine_similarity が正しくありません"),
    "memory transposed in the read": (COS + ADDR + _replace(READ, "np.sum(w[:, :, None] * M, axis=1)",
                                                            "np.einsum('bn,bwn->bw', w, M)"),
                                      "content_read_values", "積の向きが違います"),
    "sum within the rows": (COS + ADDR + _replace(READ, "axis=1)", "axis=2)"), "content_read_values", "和をとる軸が違います"),
    "similarities as weights": (COS + ADDR + _replace(READ, "w = content_addressing(M, k, beta, eps)",
                                                      "w = cosine_similarity(M, k, eps)"),
                                "content_read_values", "コサイン類似度そのもの"),
}

STUBS = {
    "cosine_similarity_values": "def cosine_similarity(M, k, eps=1e-8):\n    raise NotImplementedError()\n",
    "content_addressing_values": COS + "def content_addressing(M, k, beta, eps=1e-8):\n    raise NotImplementedError()\n",
    "content_read_values": COS + ADDR + "def content_read(M, k, beta, eps=1e-8):\n    raise NotImplementedError()\n",
}


# --------------------------------------------------------------------------- content_read_backward
BACKWARD = """
def content_read_backward(M, k, beta, dr, eps=1e-8):
    norm_M = np.sqrt(np.sum(M ** 2, axis=2))
    norm_k = np.sqrt(np.sum(k ** 2, axis=1))[:, None]
    q = norm_M * norm_k + eps
    K = cosine_similarity(M, k, eps)
    w = content_addressing(M, k, beta, eps)
    dM = w[:, :, None] * dr[:, None, :]
    dw = np.sum(M * dr[:, None, :], axis=2)
    dK = beta * w * (dw - np.sum(w * dw, axis=1, keepdims=True))
    g = (dK / q)[:, :, None]
    dM = dM + g * (k[:, None, :] - (K * norm_k / norm_M)[:, :, None] * M)
    dk = np.sum(g * (M - (K * norm_M / norm_k)[:, :, None] * k[:, None, :]), axis=1)
    return dM, dk
"""
# the quotient rule written out with the dot product and the denominator, per sequence in a loop
BACKWARD_LOOP = """
def content_read_backward(M, k, beta, dr, eps=1e-8):
    B, N, W = M.shape
    dM, dk = np.zeros_like(M), np.zeros_like(k)
    for b in range(B):
        a = np.linalg.norm(M[b], axis=1)
        c = np.linalg.norm(k[b])
        d = M[b] @ k[b]
        q = a * c + eps
        s = beta * d / q
        e = np.exp(s - s.max())
        w = e / e.sum()
        dM[b] += np.outer(w, dr[b])
        dw = M[b] @ dr[b]
        dK = beta * (w * dw - w * (w @ dw))
        dd = dK / q
        dq = -dK * d / q ** 2
        dM[b] += np.outer(dd, k[b]) + (dq * c / a)[:, None] * M[b]
        dk[b] += dd @ M[b] + np.sum(dq * a) / c * k[b]
    return dM, dk
"""
_PREFIX = COS + ADDR + READ
CORRECT["content_read_backward_values"] = {"vectorised": _PREFIX + BACKWARD,
                                           "loop with the quotient rule": COS_LOOP + ADDR_LOOP + READ_MATMUL + BACKWARD_LOOP}

WRONG.update({
    "normalisation path forgotten": (
        _PREFIX + _replace(_replace(BACKWARD, "(k[:, None, :] - (K * norm_k / norm_M)[:, :, None] * M)", "k[:, None, :]"),
                           "(M - (K * norm_M / norm_k)[:, :, None] * k[:, None, :])", "M"),
        "content_read_backward_values", "分母（ノルム）を通る経路を忘れています"),
    "direct path to M forgotten": (_PREFIX + _replace(BACKWARD, "dM = w[:, :, None] * dr[:, None, :]", "dM = 0"),
                                   "content_read_backward_values", "直接の経路を忘れています"),
    "softmax backward without the sum term": (
        _PREFIX + _replace(BACKWARD, "dK = beta * w * (dw - np.sum(w * dw, axis=1, keepdims=True))", "dK = beta * w * dw"),
        "content_read_backward_values", "softmax の逆伝播が違います"),
    "softmax backward without beta": (
        _PREFIX + _replace(BACKWARD, "dK = beta * w * (dw", "dK = w * (dw"),
        "content_read_backward_values", "dK には β を掛けます"),
    "eps dropped in the backward": (_PREFIX + _replace(BACKWARD, "q = norm_M * norm_k + eps", "q = norm_M * norm_k"),
                                    "content_read_backward_values", "逆伝播で eps を落としています"),
    "eps on each norm in the backward": (
        _PREFIX + _replace(BACKWARD, "q = norm_M * norm_k + eps", "q = (norm_M + eps) * (norm_k + eps)"),
        "content_read_backward_values", "逆伝播で eps を足す場所が違います"),
    "wrong addressing under the backward": (
        COS + ADDR.replace("axis=1", "axis=0") + READ + BACKWARD,
        "content_read_backward_values", "content_read_backward が使う content_addressing が正しくありません"),
    "backward multiplies M by dr in place": (
        _PREFIX + _replace(BACKWARD, "dw = np.sum(M * dr[:, None, :], axis=2)", "M *= dr[:, None, :]\n    dw = np.sum(M, axis=2)"),
        "content_read_backward_values", "書き換えられています"),
})
STUBS["content_read_backward_values"] = _PREFIX + (
    "def content_read_backward(M, k, beta, dr, eps=1e-8):\n    raise NotImplementedError()\n")


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


def test_the_notebook_does_not_import_its_reference_module():
    from autograder.course_view import hidden_modules

    assert hidden_modules(NB) == ["memory.py"]


def _implementation(name):
    if name == "reference":
        from course.memory import content_read, content_read_backward

        return content_read, content_read_backward
    ns = {"np": np}
    if name == "answer":
        cells = json.loads((Path(__file__).resolve().parent.parent / "source" / "day6" / f"{NB}.ipynb")
                           .read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["id"] in ("cosine_similarity", "content_addressing", "content_read", "content_read_backward"):
                exec("".join(cell["source"]), ns)
    else:
        exec(CORRECT["content_read_backward_values"]["loop with the quotient rule"], ns)
    return ns["content_read"], ns["content_read_backward"]


@pytest.mark.parametrize("name", ["reference", "answer", "loop"])
@pytest.mark.parametrize("scale,beta", [(1.0, 3.0), (1.0, 0.0), (1e-4, 2.0)])
def test_read_backward_matches_numerical_gradients(name, scale, beta):
    """dM and dk of L = Σ r · dr; at scale 1e-4 the norms' product is about eps, so eps must sit where the forward has it."""
    from course.gradient_check import check_gradients

    content_read, content_read_backward = _implementation(name)
    rng = np.random.default_rng(65)
    M, k, dr = rng.normal(size=(2, 4, 3)) * scale, rng.normal(size=(2, 3)) * scale, rng.normal(size=(2, 3))
    dM, dk = content_read_backward(M, k, beta, dr)
    verdict = check_gradients(lambda: float(np.sum(content_read(M, k, beta) * dr)), {"M": M, "k": k},
                              {"M": dM, "k": dk}, h=1e-5 * scale)
    assert verdict.passed, verdict.message
