"""Reference word2vec layers (the exercises of 7_2) for the later DAY7 notebooks and the recorded run.

Conventions (stated in 7_2, where students write these classes themselves; names from
『ゼロから作るDeep Learning ❷』 4 章; the differences from the book are marked *):

* ``Embedding(W)``: ``params = [W]``, ``grads = [zeros_like(W)]``; ``forward(idx)`` -> ``W[idx]``;
  ``backward(dout)`` sets ``grads[0]`` in place to zero and adds ``dout[k]`` into row ``idx[k]`` for every k
  (``np.add.at``: repeated ids accumulate); returns None.
* ``EmbeddingDot(W)``: ``forward(h, idx)`` -> ``np.sum(W[idx] * h, axis=1)`` (N,); ``backward(dout)`` (N,) ->
  ``dh = dout[:, None] * W[idx]``; ``grads[0]`` = the Embedding gradient of ``dout[:, None] * h``.
* ``UnigramSampler(corpus, power, sample_size)``: ``vocab_size = max(corpus) + 1``, ``counts = bincount``,
  ``word_p = counts ** power / sum``. ``get_negative_sample(target, rng)`` (*: the generator is an argument)
  draws, for ``i = 0, 1, ..., N - 1`` in this order, ``rng.choice(vocab_size, size=sample_size, replace=False,
  p=p)`` where ``p`` is ``word_p`` with ``p[target[i]] = 0``, renormalised; returns an int64 array (N, sample_size).
* ``NegativeSamplingLoss(W, corpus, power=0.75, sample_size=5)``: ``forward(h, target, rng)`` (*) draws the
  negatives with one ``get_negative_sample(target, rng)`` call, then the loss is the sum over the positive
  (label 1) and the ``sample_size`` negatives (label 0) of the batch mean of the binary cross entropy of
  ``sigmoid(EmbeddingDot score)``. ``backward(dout=1)`` -> dh; ``params = [W]`` and ``grads = [dW]`` with dW the
  sum over the 1 + sample_size layers (*: the book keeps one grads entry per layer and sums them later).

The notebook 7_2 must not import this module (its graded names are defined here).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Embedding", "EmbeddingDot", "UnigramSampler", "NegativeSamplingLoss", "SigmoidWithLoss", "CBOW"]


class Embedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        W, = self.params
        self.idx = idx
        return W[idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
        return None


class EmbeddingDot:
    def __init__(self, W):
        self.embed = Embedding(W)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        target_W = self.embed.forward(idx)
        out = np.sum(target_W * h, axis=1)
        self.cache = (h, target_W)
        return out

    def backward(self, dout):
        h, target_W = self.cache
        dout = dout.reshape(dout.shape[0], 1)
        self.embed.backward(dout * h)
        return dout * target_W


class UnigramSampler:
    def __init__(self, corpus, power, sample_size):
        self.sample_size = sample_size
        counts = np.bincount(np.asarray(corpus))
        self.vocab_size = len(counts)
        self.word_p = counts ** power / np.sum(counts ** power)

    def get_negative_sample(self, target, rng):
        batch_size = len(target)
        negative_sample = np.zeros((batch_size, self.sample_size), dtype=np.int64)
        for i in range(batch_size):
            p = self.word_p.copy()
            p[target[i]] = 0
            p /= p.sum()
            negative_sample[i, :] = rng.choice(self.vocab_size, size=self.sample_size, replace=False, p=p)
        return negative_sample


class SigmoidWithLoss:
    """Sigmoid + binary cross entropy, the mean over the batch (labels 0/1)."""

    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = 1 / (1 + np.exp(-x))
        # -log(sigmoid(x)) = logaddexp(0, -x); -log(1 - sigmoid(x)) = logaddexp(0, x)
        return float(np.mean(np.where(t == 1, np.logaddexp(0, -x), np.logaddexp(0, x))))

    def backward(self, dout=1):
        return (self.y - self.t) * dout / self.t.shape[0]


class NegativeSamplingLoss:
    def __init__(self, W, corpus, power=0.75, sample_size=5):
        self.sample_size = sample_size
        self.sampler = UnigramSampler(corpus, power, sample_size)
        self.loss_layers = [SigmoidWithLoss() for _ in range(sample_size + 1)]
        self.embed_dot_layers = [EmbeddingDot(W) for _ in range(sample_size + 1)]
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, h, target, rng):
        batch_size = target.shape[0]
        negative_sample = self.sampler.get_negative_sample(target, rng)
        score = self.embed_dot_layers[0].forward(h, target)
        loss = self.loss_layers[0].forward(score, np.ones(batch_size, dtype=np.int64))
        negative_label = np.zeros(batch_size, dtype=np.int64)
        for i in range(self.sample_size):
            score = self.embed_dot_layers[1 + i].forward(h, negative_sample[:, i])
            loss += self.loss_layers[1 + i].forward(score, negative_label)
        return loss

    def backward(self, dout=1):
        dh = 0
        dW = np.zeros_like(self.grads[0])
        for loss_layer, embed_dot in zip(self.loss_layers, self.embed_dot_layers):
            dscore = loss_layer.backward(dout)
            dh = dh + embed_dot.backward(dscore)
            dW += embed_dot.grads[0]
        self.grads[0][...] = dW
        return dh


class CBOW:
    """CBOW with negative sampling: the mean of the context embeddings predicts the target word."""

    def __init__(self, vocab_size, hidden_size, window_size, corpus, rng):
        self.W_in = 0.01 * rng.standard_normal((vocab_size, hidden_size))
        self.W_out = 0.01 * rng.standard_normal((vocab_size, hidden_size))
        self.in_layers = [Embedding(self.W_in) for _ in range(2 * window_size)]
        self.ns_loss = NegativeSamplingLoss(self.W_out, corpus, power=0.75, sample_size=5)
        self.params = {"W_in": self.W_in, "W_out": self.W_out}
        self.grads = {"W_in": np.zeros_like(self.W_in), "W_out": np.zeros_like(self.W_out)}
        self.word_vecs = self.W_in

    def forward(self, contexts, target, rng):
        h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers)) / len(self.in_layers)
        return self.ns_loss.forward(h, target, rng)

    def backward(self, dout=1):
        dh = self.ns_loss.backward(dout) / len(self.in_layers)
        self.grads["W_in"][...] = 0
        for layer in self.in_layers:
            layer.backward(dh)
            self.grads["W_in"] += layer.grads[0]
        self.grads["W_out"][...] = self.ns_loss.grads[0]
