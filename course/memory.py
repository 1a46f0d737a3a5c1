"""Content-based addressing of an external memory (Neural Turing Machine, Graves et al. 2014), graded in 6.5.

Shapes: the memory ``M`` is (B, N, W) (B sequences, N rows or slots, W numbers per row), the key ``k`` is (B, W),
the sharpness ``beta`` a non-negative float. ``content_read_backward`` gives the gradients of the read with
respect to the memory and the key (no row of ``M`` and no key may be the zero vector there: the norm has no
derivative at 0). The notebook 6_5_advanced_rnn must not import this module (the
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


def content_read_backward(M, k, beta, dr, eps=EPS):
    """(dM, dk) of (B, N, W) and (B, W): the gradients of L = Σ r · dr through all three steps of ``content_read``.

    With q = ‖M[b, n]‖ ‖k[b]‖ + eps and K = cos (so ∂K/∂q = -K/q):
    dM[b, n] = w dr + (dK/q) (k - K ‖k‖ M[b, n] / ‖M[b, n]‖), dk[b] = Σ_n (dK/q) (M[b, n] - K ‖M[b, n]‖ k / ‖k‖),
    where dw = M dr (per row) and dK = beta * w * (dw - Σ_j w_j dw_j) (the softmax backward).
    """
    norm_M = np.linalg.norm(M, axis=2)  # (B, N)
    norm_k = np.linalg.norm(k, axis=1)[:, None]  # (B, 1)
    q = norm_M * norm_k + eps
    K = np.einsum("bnw,bw->bn", M, k) / q
    s = beta * K
    e = np.exp(s - s.max(axis=1, keepdims=True))
    w = e / e.sum(axis=1, keepdims=True)
    dw = np.einsum("bw,bnw->bn", dr, M)
    dK = beta * w * (dw - np.sum(w * dw, axis=1, keepdims=True))
    g = dK / q  # (B, N)
    dM = w[:, :, None] * dr[:, None, :] + g[:, :, None] * (
        k[:, None, :] - (K * norm_k / norm_M)[:, :, None] * M)
    dk = np.einsum("bn,bnw->bw", g, M) - np.sum(g * K * norm_M, axis=1)[:, None] * k / norm_k
    return dM, dk
