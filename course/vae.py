"""Reference of 8.2: the reparameterisation trick, the KL term of a diagonal Gaussian against N(0, I) and its
gradients, and a small fully connected VAE built from them and the course's layers.

Conventions (stated in the notebook ``8_2_vae`` and tested by its checks):

* ``reparameterize(mu, log_var, rng)``: ``mu`` and ``log_var`` (= log σ², element-wise) of shape (N, Z);
  ``eps = rng.standard_normal(mu.shape)`` (one draw of the whole shape), returns
  ``z = mu + np.exp(0.5 * log_var) * eps``.
* ``kl_divergence(mu, log_var)``: KL(N(mu, diag σ²) ‖ N(0, I)) summed over the Z latent dimensions and
  averaged over the N rows: ``-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / N`` (a float).
* ``kl_divergence_backward(mu, log_var)`` → ``(dmu, dlog_var)`` = ``(mu / N, 0.5 * (np.exp(log_var) - 1) / N)``.
* ``VAE``: encoder Affine1 (W1, b1) → Relu, then two heads Affine (W_mu, b_mu) → mu and
  Affine (W_logvar, b_logvar) → log_var; decoder Affine3 (W3, b3) → Relu → Affine4 (W4, b4) → logits,
  image = sigmoid(logits). He initialisation from one ``np.random.default_rng(seed)`` in the order W1, W_mu,
  W_logvar, W3, W4. The loss of a batch is the binary cross-entropy summed over the pixels and averaged
  over the batch (computed from the logits, stable) plus ``kl_divergence``; ``gradient(x, rng)`` draws eps
  with ``reparameterize`` and returns the gradients of that loss by backpropagation.

These are reference implementations for the recording script and the tests: the grader hides this module
while it grades 8.2.
"""

from __future__ import annotations

import numpy as np

from course.layers import Affine, Relu

__all__ = ["reparameterize", "kl_divergence", "kl_divergence_backward", "VAE"]


def reparameterize(mu, log_var, rng):
    eps = rng.standard_normal(mu.shape)
    return mu + np.exp(0.5 * log_var) * eps


def kl_divergence(mu, log_var):
    return float(-0.5 * np.sum(1.0 + log_var - mu ** 2 - np.exp(log_var)) / mu.shape[0])


def kl_divergence_backward(mu, log_var):
    n = mu.shape[0]
    return mu / n, 0.5 * (np.exp(log_var) - 1.0) / n


def _sigmoid(a):
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


def _softplus(a):
    return np.logaddexp(0.0, a)


class VAE:
    KEYS = ("W1", "b1", "W_mu", "b_mu", "W_logvar", "b_logvar", "W3", "b3", "W4", "b4")

    def __init__(self, input_size=784, hidden_size=128, latent_size=8, seed=0):
        rng = np.random.default_rng(seed)
        shapes = {"W1": (input_size, hidden_size), "W_mu": (hidden_size, latent_size),
                  "W_logvar": (hidden_size, latent_size), "W3": (latent_size, hidden_size),
                  "W4": (hidden_size, input_size)}
        self.params = {}
        for name, (fan_in, fan_out) in shapes.items():
            self.params[name] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params["b" + name[1:]] = np.zeros(fan_out)
        self.params = {k: self.params[k] for k in self.KEYS}
        p = self.params
        self.affine1, self.relu1 = Affine(p["W1"], p["b1"]), Relu()
        self.affine_mu, self.affine_logvar = Affine(p["W_mu"], p["b_mu"]), Affine(p["W_logvar"], p["b_logvar"])
        self.affine3, self.relu3, self.affine4 = Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"])
        self.cache = None

    def encode(self, x):
        h = self.relu1.forward(self.affine1.forward(x))
        return self.affine_mu.forward(h), self.affine_logvar.forward(h)

    def decode_logits(self, z):
        return self.affine4.forward(self.relu3.forward(self.affine3.forward(z)))

    def decode(self, z):
        return _sigmoid(self.decode_logits(z))

    def losses(self, x, rng):
        """(reconstruction, kl) of one batch with eps drawn from ``rng``; keeps what backward needs."""
        mu, log_var = self.encode(x)
        eps = rng.standard_normal(mu.shape)
        z = mu + np.exp(0.5 * log_var) * eps
        logits = self.decode_logits(z)
        n = x.shape[0]
        reconstruction = float(np.sum(_softplus(logits) - x * logits) / n)
        self.cache = (x, mu, log_var, eps, logits)
        return reconstruction, kl_divergence(mu, log_var)

    def loss(self, x, rng):
        reconstruction, kl = self.losses(x, rng)
        return reconstruction + kl

    def gradient(self, x, rng):
        self.losses(x, rng)
        x, mu, log_var, eps, logits = self.cache
        n = x.shape[0]
        dz = self.affine3.backward(self.relu3.backward(self.affine4.backward((_sigmoid(logits) - x) / n)))
        dmu_kl, dlog_var_kl = kl_divergence_backward(mu, log_var)
        dmu = dz + dmu_kl
        dlog_var = dz * 0.5 * np.exp(0.5 * log_var) * eps + dlog_var_kl
        dh = self.affine_mu.backward(dmu) + self.affine_logvar.backward(dlog_var)
        self.affine1.backward(self.relu1.backward(dh))
        layers = {"1": self.affine1, "_mu": self.affine_mu, "_logvar": self.affine_logvar, "3": self.affine3,
                  "4": self.affine4}
        grads = {}
        for suffix, layer in layers.items():
            grads["W" + suffix], grads["b" + suffix] = layer.dW, layer.db
        return {k: grads[k] for k in self.KEYS}
