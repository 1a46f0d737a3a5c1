"""Reference model compression of 8.6 (graded there, so this module is hidden from the kernel that grades 8.6).

Conventions (stated in the notebook):
- ``prune_by_magnitude(W, ratio)``: a new array of W's shape and dtype in which the k = int(ratio * W.size)
  elements of smallest absolute value are set to 0 (ratio = fraction REMOVED, 0 ≤ ratio ≤ 1). Ties in |w| are
  broken by position: ``np.argsort(np.abs(W), axis=None, kind="stable")``, so the earlier element (row-major
  order) is pruned first and exactly k elements are removed. W is not modified.
- ``quantize(x, scale=None, zero_point=None)`` -> (q, scale, zero_point): 8-bit asymmetric (affine)
  quantisation. Without given parameters, the range [x_min, x_max] is widened to include 0
  (x_min = min(x.min(), 0), x_max = max(x.max(), 0)), scale = (x_max - x_min) / 255 (1.0 if that is 0),
  zero_point = int(np.clip(np.round(-x_min / scale), 0, 255)). q = clip(round(x / scale) + zero_point, 0, 255)
  as uint8 (``np.round``: halves to even). scale is a Python float, zero_point a Python int.
- ``dequantize(q, scale, zero_point)`` = (q - zero_point) * scale in float64 (computed in float64, so no
  uint8 wrap-around).
- ``distillation_loss(student_logits, teacher_logits, T)`` = T² · (1/N) Σ_n KL(p_teacher ‖ p_student) with
  p = softmax(logits / T) row-wise (N, C); ``distillation_loss_backward`` = T (p_student - p_teacher) / N.
"""

from __future__ import annotations

import numpy as np

__all__ = ["prune_by_magnitude", "quantize", "dequantize", "softmax_t", "distillation_loss",
           "distillation_loss_backward"]


def prune_by_magnitude(W, ratio):
    W = np.asarray(W)
    out = W.copy()
    k = int(ratio * W.size)
    order = np.argsort(np.abs(W), axis=None, kind="stable")
    out.reshape(-1)[order[:k]] = 0
    return out


def quantize(x, scale=None, zero_point=None):
    x = np.asarray(x, dtype=np.float64)
    if scale is None:
        x_min, x_max = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
        scale = (x_max - x_min) / 255.0
        if scale == 0.0:
            scale = 1.0
        zero_point = int(np.clip(np.round(-x_min / scale), 0, 255))
    q = np.clip(np.round(x / scale) + zero_point, 0, 255).astype(np.uint8)
    return q, float(scale), int(zero_point)


def dequantize(q, scale, zero_point):
    return (np.asarray(q).astype(np.float64) - zero_point) * scale


def softmax_t(logits, T=1.0):
    z = np.asarray(logits, dtype=np.float64) / T
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax_t(logits, T):
    z = np.asarray(logits, dtype=np.float64) / T
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, T):
    log_p_t, log_p_s = _log_softmax_t(teacher_logits, T), _log_softmax_t(student_logits, T)
    kl = np.sum(np.exp(log_p_t) * (log_p_t - log_p_s), axis=1)
    return float(T * T * np.mean(kl))


def distillation_loss_backward(student_logits, teacher_logits, T):
    student_logits = np.asarray(student_logits)
    return T * (softmax_t(student_logits, T) - softmax_t(teacher_logits, T)) / student_logits.shape[0]
