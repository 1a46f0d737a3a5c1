"""Content-based addressing of an external memory (Neural Turing Machine, Graves et al. 2014), graded in 6.5.

Shapes: the memory ``M`` is (B, N, W) (B sequences, N rows or slots, W numbers per row), the key ``k`` is (B, W),
the sharpness ``beta`` a non-negative float. The notebook 6_5_advanced_rnn must not import this module (the
grader hides it while grading 6.5, because it defines the graded names).
"""

import numpy as np

EPS = 1e-8


def cosine_similarity(M, k, eps=EPS):
    """(B, N): cos(M[b, n], k[b]) = M[b, n] · k[b] / (‖M[b, n]‖ ‖k[b]‖ + eps)."""
    dots = np.einsum("bnw,bw->bn", M, k)
    norms = np.linalg.norm(M, axis=2) * np.linalg.norm(k, axis=1)[:, None]
    return dots / (norms + eps)


def content_addressing(M, k, beta, eps=EPS):
    """(B, N): softmax over the N rows of beta * cosine_similarity (the maximum subtracted first)."""
    scores = beta * cosine_similarity(M, k, eps)
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def content_read(M, k, beta, eps=EPS):
    """(B, W): r[b] = Σ_n w[b, n] M[b, n] with w = content_addressing(M, k, beta, eps)."""
    w = content_addressing(M, k, beta, eps)
    return np.einsum("bn,bnw->bw", w, M)
