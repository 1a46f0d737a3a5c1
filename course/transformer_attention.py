"""Reference attention layers of the transformer (graded in 7.5; used by its recorded run).

Conventions (stated in ``source/day7/7_5_transformer.ipynb`` and tested by
``autograder/checks/day7/transformer.py``):

- ``scaled_dot_product_attention(Q, K, V, mask=None)`` -> ``(out, weights)``: Q (..., T_q, d_k),
  K (..., T_k, d_k), V (..., T_k, d_v) with the same leading axes ((N,) or (N, h)); scores
  ``Q @ K^T / sqrt(d_k)``; ``mask`` is a bool array broadcastable to (..., T_q, T_k), **True = may attend**
  (keep), False = blocked: the blocked scores are replaced by ``-1e9`` before the softmax; the softmax runs
  over the last axis (the keys) after subtracting the row maximum; ``out = weights @ V``.
- ``ScaledDotProductAttention``: ``forward(Q, K, V, mask=None)`` -> out (weights kept in ``self.weights``),
  ``backward(dout)`` -> ``(dQ, dK, dV)``.
- ``split_heads(x, num_heads)``: (N, T, d_model) -> reshape (N, T, h, d_k) -> transpose (N, h, T, d_k);
  ``merge_heads(x)`` is its inverse.
- ``MultiHeadAttention(W_Q, W_K, W_V, W_O, num_heads)``: no biases, every weight (d_model, d_model);
  ``forward(x_q, x_kv, mask=None)``; the mask is broadcast over the heads (broadcastable to
  (N, h, T_q, T_k)); ``backward(dout)`` -> ``(dx_q, dx_kv)``, ``grads = [dW_Q, dW_K, dW_V, dW_O]`` written in
  place; ``self.weights`` (N, h, T_q, T_k).
- ``positional_encoding(T, d_model)``: (T, d_model) float64, ``PE[pos, 2i] = sin(pos / 10000^(2i/d_model))``,
  ``PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model))``, pos = 0, ..., T-1.

The grader hides this module from the kernel of 7.5; ``course.transformer`` (the blocks the notebook does
not grade) must not import it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scaled_dot_product_attention", "ScaledDotProductAttention", "split_heads", "merge_heads",
           "MultiHeadAttention", "positional_encoding"]

MASK_VALUE = -1e9


def scaled_dot_product_attention(Q, K, V, mask=None):
    d_k = Q.shape[-1]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, MASK_VALUE)
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ V, weights


class ScaledDotProductAttention:
    def __init__(self):
        self.cache = None
        self.weights = None

    def forward(self, Q, K, V, mask=None):
        out, weights = scaled_dot_product_attention(Q, K, V, mask)
        self.weights = weights
        self.cache = (Q, K, V)
        return out

    def backward(self, dout):
        Q, K, V = self.cache
        A = self.weights
        d_k = Q.shape[-1]
        dV = np.swapaxes(A, -1, -2) @ dout
        dA = dout @ np.swapaxes(V, -1, -2)
        dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))
        dS = dS / np.sqrt(d_k)
        dQ = dS @ K
        dK = np.swapaxes(dS, -1, -2) @ Q
        return dQ, dK, dV


def split_heads(x, num_heads):
    N, T, d_model = x.shape
    return x.reshape(N, T, num_heads, d_model // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    N, h, T, d_k = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d_k)


class MultiHeadAttention:
    def __init__(self, W_Q, W_K, W_V, W_O, num_heads):
        self.params = [W_Q, W_K, W_V, W_O]
        self.grads = [np.zeros_like(W) for W in self.params]
        self.num_heads = num_heads
        self.attention = ScaledDotProductAttention()
        self.cache = None
        self.weights = None

    def forward(self, x_q, x_kv, mask=None):
        W_Q, W_K, W_V, W_O = self.params
        h = self.num_heads
        Q = split_heads(x_q @ W_Q, h)
        K = split_heads(x_kv @ W_K, h)
        V = split_heads(x_kv @ W_V, h)
        heads = self.attention.forward(Q, K, V, mask)
        self.weights = self.attention.weights
        merged = merge_heads(heads)
        self.cache = (x_q, x_kv, merged)
        return merged @ W_O

    def backward(self, dout):
        W_Q, W_K, W_V, W_O = self.params
        x_q, x_kv, merged = self.cache
        d_model = W_O.shape[0]
        dW_O = merged.reshape(-1, d_model).T @ dout.reshape(-1, d_model)
        dmerged = dout @ W_O.T
        dQ, dK, dV = self.attention.backward(split_heads(dmerged, self.num_heads))
        dQ, dK, dV = merge_heads(dQ), merge_heads(dK), merge_heads(dV)
        dW_Q = x_q.reshape(-1, d_model).T @ dQ.reshape(-1, d_model)
        dW_K = x_kv.reshape(-1, d_model).T @ dK.reshape(-1, d_model)
        dW_V = x_kv.reshape(-1, d_model).T @ dV.reshape(-1, d_model)
        for grad, value in zip(self.grads, (dW_Q, dW_K, dW_V, dW_O)):
            grad[...] = value
        dx_q = dQ @ W_Q.T
        dx_kv = dK @ W_K.T + dV @ W_V.T
        return dx_q, dx_kv


def positional_encoding(T, d_model):
    pos = np.arange(T)[:, np.newaxis]
    i2 = np.arange(0, d_model, 2)
    angle = pos / 10000 ** (i2 / d_model)
    pe = np.zeros((T, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    return pe
