"""Small fully connected GANs for 8.3 (no graded names here: the losses are passed in as functions).

``MLP`` stacks the course's ``Affine`` with ``Relu`` / ``LeakyRelu`` / ``Sigmoid`` and keeps its weights in a
dict ``params`` (``W1``, ``b1``, ...) for the course's optimizers. ``train_gan`` alternates one update of the
discriminator and one of the generator; the losses and their gradients w.r.t. the discriminator's logits are
arguments, so the notebook trains with the student's functions and ``scripts/record_day8_gan.py`` with the
reference ones (``course.gan``).

Order of the random draws of one step of ``train_gan`` (all from one ``np.random.default_rng(seed)``, after
the initial weights of G then D were drawn from it): the real mini-batch (``sample_real(batch_size, rng)``),
the noise of the discriminator's step ``rng.normal(size=(batch_size, noise_dim))``, then the noise of the
generator's step (same shape).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from course.layers import Affine, Relu, Sigmoid
from course.optimizers import Adam

__all__ = ["LeakyRelu", "MLP", "ring_of_gaussians", "ring_centres", "train_gan", "mode_coverage"]


class LeakyRelu:
    """max(x, alpha x): a small slope for x < 0 keeps gradients flowing to the generator."""

    def __init__(self, alpha=0.2):
        self.alpha = alpha
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, self.alpha * x)

    def backward(self, dout):
        return np.where(self.mask, dout, self.alpha * dout)


_ACTIVATIONS = {"relu": Relu, "leaky_relu": LeakyRelu, "sigmoid": Sigmoid}


class MLP:
    """Affine → activation → ... → Affine (→ output activation). He initialisation from ``rng``."""

    def __init__(self, sizes, rng, activation="relu", output=None, dtype=np.float64):
        self.params = {}
        self.layers = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            W = (rng.normal(size=(fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)
            b = np.zeros(fan_out, dtype=dtype)
            self.params[f"W{k}"], self.params[f"b{k}"] = W, b
            self.layers.append(Affine(W, b))
            if k < len(sizes) - 1:
                self.layers.append(_ACTIVATIONS[activation]())
        if output is not None:
            self.layers.append(_ACTIVATIONS[output]())
        self.n_affine = len(sizes) - 1

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        """Back-propagates ``dout``; returns (dx, grads) with grads keyed like ``params``."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads, k = {}, 0
        for layer in self.layers:
            if isinstance(layer, Affine):
                k += 1
                grads[f"W{k}"], grads[f"b{k}"] = layer.dW, layer.db
        return dout, grads


def ring_centres(n_modes=8, radius=2.0):
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


def ring_of_gaussians(n, rng, n_modes=8, radius=2.0, std=0.05):
    """n points: a mode drawn uniformly (``rng.integers``), then Gaussian noise (``rng.normal``) around it."""
    modes = rng.integers(0, n_modes, size=n)
    return ring_centres(n_modes, radius)[modes] + rng.normal(scale=std, size=(n, 2))


def mode_coverage(samples, n_modes=8, radius=2.0, std=0.05, within=3.0):
    """(number of modes that received at least 1 % of the samples, fraction of samples within ``within`` std
    of some mode)."""
    centres = ring_centres(n_modes, radius)
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    nearest, close = dist.argmin(axis=1), dist.min(axis=1) < within * std
    counts = np.bincount(nearest[close], minlength=n_modes)
    return int(np.sum(counts >= 0.01 * len(samples))), float(close.mean())


def train_gan(sample_real, generator, discriminator, d_loss, d_loss_backward, g_loss, g_loss_backward, *,
              noise_dim, steps, batch_size, rng, lr_d=1e-3, lr_g=1e-3, beta1=0.5, snapshot_every=0,
              snapshot_noise=None, progress=True, desc="GAN"):
    """Alternating updates: D on (real, G(z)) with ``d_loss``, then G with ``g_loss`` through D.

    ``d_loss(real_logits, fake_logits)``, ``d_loss_backward(real_logits, fake_logits)`` -> (d_real, d_fake),
    ``g_loss(fake_logits)``, ``g_loss_backward(fake_logits)`` -> d_fake. Returns a dict of the per-step
    losses, the mean D outputs on real and fake, snapshots of G(snapshot_noise) and the wall-clock and CPU seconds taken.
    """
    opt_d, opt_g = Adam(lr=lr_d, beta1=beta1), Adam(lr=lr_g, beta1=beta1)
    history = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": [], "snapshot_steps": [], "snapshots": []}

    def snapshot(step):
        if snapshot_every and snapshot_noise is not None and step % snapshot_every == 0:
            history["snapshot_steps"].append(step)
            history["snapshots"].append(generator.forward(snapshot_noise).copy())

    start, cpu_start = time.perf_counter(), time.process_time()
    snapshot(0)
    for step in tqdm(range(1, steps + 1), desc=desc, disable=not progress, mininterval=1.0):
        real = sample_real(batch_size, rng)
        z = rng.normal(size=(batch_size, noise_dim)).astype(real.dtype, copy=False)
        fake = generator.forward(z)
        logits = discriminator.forward(np.concatenate([real, fake]))
        real_logits, fake_logits = logits[:batch_size], logits[batch_size:]
        history["d_loss"].append(float(d_loss(real_logits, fake_logits)))
        d_real, d_fake = d_loss_backward(real_logits, fake_logits)
        _, grads = discriminator.backward(np.concatenate([d_real, d_fake]))
        opt_d.update(discriminator.params, grads)

        z = rng.normal(size=(batch_size, noise_dim)).astype(real.dtype, copy=False)
        fake = generator.forward(z)
        fake_logits = discriminator.forward(fake)
        history["g_loss"].append(float(g_loss(fake_logits)))
        history["d_real"].append(float(np.mean(1 / (1 + np.exp(-np.clip(real_logits, -50, 50))))))
        history["d_fake"].append(float(np.mean(1 / (1 + np.exp(-np.clip(fake_logits, -50, 50))))))
        dx, _ = discriminator.backward(g_loss_backward(fake_logits))
        _, grads = generator.backward(dx)
        opt_g.update(generator.params, grads)
        snapshot(step)
    history["seconds"] = time.perf_counter() - start
    history["cpu_seconds"] = time.process_time() - cpu_start
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        history[key] = np.array(history[key])
    history["snapshot_steps"] = np.array(history["snapshot_steps"], dtype=np.int64)
    history["snapshots"] = np.array(history["snapshots"])
    return history
