"""Reference GAN losses of 8.3 (graded there, so this module is hidden from the kernel that grades 8.3).

Conventions (stated in the notebook): the losses take the discriminator's **logits** a (any shape, one logit
per sample; D(x) = sigmoid(a)), average over all elements (the batch), and use the stable
log sigmoid(a) = min(a, 0) - log(1 + exp(-|a|)), so no logit overflows or takes log(0).

- ``discriminator_loss(real_logits, fake_logits)`` = -mean(log D(x)) - mean(log(1 - D(G(z)))): real label 1,
  fake label 0, the sum of the two means (no factor 1/2). A Python float.
- ``discriminator_loss_backward`` -> (d_real, d_fake) = ((sigmoid(a_r) - 1) / N_r, sigmoid(a_f) / N_f).
- ``generator_loss(fake_logits)`` = -mean(log D(G(z))) (the non-saturating loss), a Python float.
- ``generator_loss_backward`` -> (sigmoid(a_f) - 1) / N_f.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_sigmoid", "sigmoid", "discriminator_loss", "discriminator_loss_backward", "generator_loss",
           "generator_loss_backward"]


def log_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(log_sigmoid(real_logits)) - np.mean(log_sigmoid(-np.asarray(fake_logits))))


def discriminator_loss_backward(real_logits, fake_logits):
    real_logits, fake_logits = np.asarray(real_logits), np.asarray(fake_logits)
    return (sigmoid(real_logits) - 1.0) / real_logits.size, sigmoid(fake_logits) / fake_logits.size


def generator_loss(fake_logits):
    return float(-np.mean(log_sigmoid(fake_logits)))


def generator_loss_backward(fake_logits):
    fake_logits = np.asarray(fake_logits)
    return (sigmoid(fake_logits) - 1.0) / fake_logits.size
