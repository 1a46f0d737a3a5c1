"""Reference of 8.1: a fully connected autoencoder built from the course's layers, and the noise of a
denoising autoencoder.

Conventions (stated in the notebook ``8_1_autoencoder`` and tested by its checks):

* ``Autoencoder(input_size=784, hidden_size=128, latent_size=2, seed=0)``: the encoder is
  Affine1 (W1, b1) → Relu → Affine2 (W2, b2) and gives the code ``z`` (no activation on ``z``); the
  decoder is Affine3 (W3, b3) → Relu → Affine4 (W4, b4) → Sigmoid and gives the reconstruction in
  (0, 1). Weights are He-initialised from one ``rng = np.random.default_rng(seed)``:
  ``Wk = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)`` in the order W1, W2, W3, W4;
  biases are zeros. ``params`` holds the arrays the layers use.
* ``loss(x, t)``: the mean over the batch of the book's ``sum_squared_error`` of one image,
  ``0.5 * np.sum((y - t) ** 2) / N`` with ``y = forward(x)``; ``t`` is the image to reconstruct
  (``t = x`` for a plain autoencoder, the clean image for a denoising one).
* ``gradient(x, t)`` → dict ``W1, b1, …, W4, b4`` by backpropagation (``dy = (y - t) / N``).
* ``add_noise(x, rng, noise_std=0.3)``: ``np.clip(x + rng.normal(0.0, noise_std, size=x.shape), 0.0, 1.0)``,
  one draw, a new array.

These are reference implementations for using in later notebooks and scripts, not for submitting:
the grader hides this module while it grades 8.1.
"""

from __future__ import annotations

import numpy as np

from course.layers import Affine, Relu, Sigmoid

__all__ = ["Autoencoder", "add_noise"]


class Autoencoder:
    def __init__(self, input_size=784, hidden_size=128, latent_size=2, seed=0):
        rng = np.random.default_rng(seed)
        sizes = [(input_size, hidden_size), (hidden_size, latent_size), (latent_size, hidden_size),
                 (hidden_size, input_size)]
        self.params = {}
        for k, (fan_in, fan_out) in enumerate(sizes, start=1):
            self.params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params[f"b{k}"] = np.zeros(fan_out)
        p = self.params
        self.encoder = [Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"])]
        self.decoder = [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"]), Sigmoid()]

    def encode(self, x):
        for layer in self.encoder:
            x = layer.forward(x)
        return x

    def decode(self, z):
        for layer in self.decoder:
            z = layer.forward(z)
        return z

    def forward(self, x):
        return self.decode(self.encode(x))

    def loss(self, x, t):
        y = self.forward(x)
        return 0.5 * float(np.sum((y - t) ** 2)) / x.shape[0]

    def gradient(self, x, t):
        y = self.forward(x)
        dout = (y - t) / x.shape[0]
        for layer in reversed(self.encoder + self.decoder):
            dout = layer.backward(dout)
        affines = [self.encoder[0], self.encoder[2], self.decoder[0], self.decoder[2]]
        grads = {}
        for k, layer in enumerate(affines, start=1):
            grads[f"W{k}"], grads[f"b{k}"] = layer.dW, layer.db
        return grads


def add_noise(x, rng, noise_std=0.3):
    noise = rng.normal(0.0, noise_std, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0)
