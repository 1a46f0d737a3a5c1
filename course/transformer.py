"""The parts of a small transformer that 7.5 does not grade: layer normalisation, the position-wise
feed-forward network, a pre-LN transformer block, a decoder-only model, the digit-reversal task and its
training loop (used by the notebook's short demo and by ``scripts/record_day7_transformer.py``).

The attention layer and the positional encoding are graded in 7.5, so this module neither defines nor
imports them (the grader hides every ``course`` module that does): the model receives the attention class
and the positional-encoding table as arguments (the notebook passes the student's, the recording script
the reference in ``course.transformer_attention``).
"""

from __future__ import annotations

import time

import numpy as np

from course.time_layers import TimeAffine
from course.time_loss import TimeSoftmaxWithLoss

__all__ = ["LayerNorm", "PositionwiseFeedForward", "TransformerBlock", "ReverseTransformer", "causal_mask",
           "reverse_task", "SEP", "VOCAB_SIZE", "train_reverse", "exact_match_accuracy", "format_digits"]

SEP = 10  # the token "=" between the digits and their reversal
VOCAB_SIZE = 11  # digits 0-9 and SEP


class LayerNorm:
    """Normalise every vector over its last axis: (x - mean) / sqrt(var + eps) * gamma + beta."""

    def __init__(self, gamma, beta, eps=1e-5):
        self.params = [gamma, beta]
        self.grads = [np.zeros_like(gamma), np.zeros_like(beta)]
        self.eps = eps
        self.cache = None

    def forward(self, x):
        gamma, beta = self.params
        mu = x.mean(axis=-1, keepdims=True)
        xc = x - mu
        std = np.sqrt((xc ** 2).mean(axis=-1, keepdims=True) + self.eps)
        xn = xc / std
        self.cache = (xn, std)
        return xn * gamma + beta

    def backward(self, dout):
        gamma, _ = self.params
        xn, std = self.cache
        D = xn.shape[-1]
        self.grads[0][...] = (dout * xn).reshape(-1, D).sum(axis=0)
        self.grads[1][...] = dout.reshape(-1, D).sum(axis=0)
        dxn = dout * gamma
        return (dxn - dxn.mean(axis=-1, keepdims=True) - xn * (dxn * xn).mean(axis=-1, keepdims=True)) / std


class PositionwiseFeedForward:
    """The same two-layer network at every position: relu(x @ W1 + b1) @ W2 + b2."""

    def __init__(self, W1, b1, W2, b2):
        self.params = [W1, b1, W2, b2]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.cache = None

    def forward(self, x):
        W1, b1, W2, b2 = self.params
        a = x @ W1 + b1
        hidden = np.maximum(a, 0)
        self.cache = (x, a, hidden)
        return hidden @ W2 + b2

    def backward(self, dout):
        W1, _, W2, _ = self.params
        x, a, hidden = self.cache
        D, H = W1.shape
        dhidden = dout @ W2.T
        da = dhidden * (a > 0)
        self.grads[0][...] = x.reshape(-1, D).T @ da.reshape(-1, H)
        self.grads[1][...] = da.reshape(-1, H).sum(axis=0)
        self.grads[2][...] = hidden.reshape(-1, H).T @ dout.reshape(-1, D)
        self.grads[3][...] = dout.reshape(-1, D).sum(axis=0)
        return da @ W1.T


class TransformerBlock:
    """Pre-LN block (as in GPT-2): x + MHA(LN(x)), then + FFN(LN(·)); ``attention`` is a MultiHeadAttention
    object (self-attention: queries, keys and values all come from the same normalised x)."""

    def __init__(self, attention, d_model, d_ff, rng):
        self.ln1 = LayerNorm(np.ones(d_model), np.zeros(d_model))
        self.attention = attention
        self.ln2 = LayerNorm(np.ones(d_model), np.zeros(d_model))
        self.ffn = PositionwiseFeedForward(rng.normal(size=(d_model, d_ff)) * np.sqrt(2.0 / d_model), np.zeros(d_ff),
                                           rng.normal(size=(d_ff, d_model)) * np.sqrt(1.0 / d_ff), np.zeros(d_model))
        self.layers = [self.ln1, self.attention, self.ln2, self.ffn]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        self.mask = None

    def forward(self, x, mask=None):
        self.mask = mask
        a = self.ln1.forward(x)
        x = x + self.attention.forward(a, a, mask)
        return x + self.ffn.forward(self.ln2.forward(x))

    def backward(self, dout):
        dx = dout + self.ln2.backward(self.ffn.backward(dout))
        dq, dkv = self.attention.backward(dx)
        return dx + self.ln1.backward(dq + dkv)


def causal_mask(T):
    """(T, T) bool, True where a query position may look at a key position (itself and the past)."""
    return np.tril(np.ones((T, T), dtype=bool))


def reverse_task(n, length, rng):
    """``n`` sequences "d_0 ... d_{L-1} = d_{L-1} ... d_0" (ids, (n, 2L+1)); digits drawn by one
    ``rng.integers(0, 10, size=(n, length))``."""
    digits = rng.integers(0, 10, size=(n, length))
    return np.concatenate([digits, np.full((n, 1), SEP), digits[:, ::-1]], axis=1)


def format_digits(ids):
    return "".join("=" if int(t) == SEP else str(int(t)) for t in ids)


class ReverseTransformer:
    """A decoder-only (GPT-style) transformer: token embedding * sqrt(d_model) + positional encoding ->
    ``num_layers`` pre-LN blocks with a causal mask -> LayerNorm -> affine to the vocabulary.

    ``attention_class(W_Q, W_K, W_V, W_O, num_heads)`` builds each attention layer; ``pe`` is a
    (max_len, d_model) positional-encoding table. Parameters are drawn from ``np.random.default_rng(seed)``
    in the order: embedding, then per block W_Q, W_K, W_V, W_O, W1, W2, then the output affine.
    """

    def __init__(self, attention_class, pe, *, d_model=32, num_heads=2, d_ff=64, num_layers=2,
                 vocab_size=VOCAB_SIZE, seed=0):
        rng = np.random.default_rng(seed)
        self.d_model = d_model
        self.pe = pe
        self.W_embed = rng.normal(size=(vocab_size, d_model)) / np.sqrt(d_model)
        self.embed_grad = np.zeros_like(self.W_embed)
        self.blocks = []
        for _ in range(num_layers):
            Ws = [rng.normal(size=(d_model, d_model)) / np.sqrt(d_model) for _ in range(4)]
            self.blocks.append(TransformerBlock(attention_class(*Ws, num_heads), d_model, d_ff, rng))
        self.ln = LayerNorm(np.ones(d_model), np.zeros(d_model))
        self.affine = TimeAffine(rng.normal(size=(d_model, vocab_size)) / np.sqrt(d_model), np.zeros(vocab_size))
        self.loss_layer = TimeSoftmaxWithLoss(ignore_label=-1)
        self.params, self.grads = [self.W_embed], [self.embed_grad]
        for layer in [*self.blocks, self.ln, self.affine]:
            self.params += layer.params
            self.grads += layer.grads
        self.ids = None

    def predict(self, ids):
        """Scores (N, T, V) for ids (N, T); position t sees ids[:, :t+1] only."""
        T = ids.shape[1]
        self.ids = ids
        x = self.W_embed[ids] * np.sqrt(self.d_model) + self.pe[:T]
        mask = causal_mask(T)
        for block in self.blocks:
            x = block.forward(x, mask)
        return self.affine.forward(self.ln.forward(x))

    def forward(self, ids, targets):
        return self.loss_layer.forward(self.predict(ids), targets)

    def backward(self):
        dx = self.ln.backward(self.affine.backward(self.loss_layer.backward()))
        for block in reversed(self.blocks):
            dx = block.backward(dx)
        self.embed_grad[...] = 0
        np.add.at(self.embed_grad, self.ids, dx * np.sqrt(self.d_model))

    def attention_maps(self):
        """Attention weights of the last ``predict``: one (N, h, T, T) array per block."""
        return [block.attention.weights for block in self.blocks]

    def generate(self, prompts, length):
        """Greedy decoding: append the most likely next id ``length`` times (the whole prefix is run again each
        step; no cache)."""
        ids = np.array(prompts)
        for _ in range(length):
            scores = self.predict(ids)
            ids = np.concatenate([ids, scores[:, -1].argmax(axis=-1)[:, np.newaxis]], axis=1)
        return ids


def split_inputs(sequences, length):
    """Inputs (N, 2L) and targets (N, 2L) for next-token prediction; the targets of the first L positions
    (predicting digits of the question, which are random) are -1 (ignored by the loss)."""
    inputs, targets = sequences[:, :-1], sequences[:, 1:].copy()
    targets[:, :length] = -1
    return inputs, targets


def exact_match_accuracy(model, sequences, length, batch_size=500):
    """Share of sequences whose L reversed digits are all generated correctly (greedy, from "digits =")."""
    correct = 0
    for start in range(0, len(sequences), batch_size):
        part = sequences[start:start + batch_size]
        out = model.generate(part[:, :length + 1], length)
        correct += int(np.all(out[:, length + 1:] == part[:, length + 1:], axis=1).sum())
    return correct / len(sequences)


def train_reverse(model, *, length, steps, batch_size=64, lr=3e-3, seed=1, eval_every=50, test=None,
                  optimizer=None, progress=None, clip=1.0):
    """Train ``model`` on freshly drawn reversal problems (one ``reverse_task`` per step from
    ``np.random.default_rng(seed)``) with Adam; every ``eval_every`` steps record the mean training loss,
    the teacher-forced digit accuracy on the batch and, when ``test`` is given, the exact-match accuracy of
    greedy generation on it. ``progress`` wraps ``range(steps)`` (e.g. tqdm)."""
    from course.optimizers import Adam
    from course.time_layers import clip_grad_norm

    rng = np.random.default_rng(seed)
    optimizer = optimizer or Adam(lr=lr)
    params = dict(enumerate(model.params))
    history = {"step": [], "loss": [], "train_digit_accuracy": [], "test_exact_match": [], "seconds": []}
    losses, hits, count = [], 0, 0
    start = time.perf_counter()
    steps_iter = progress(range(steps)) if progress else range(steps)
    for step in steps_iter:
        inputs, targets = split_inputs(reverse_task(batch_size, length, rng), length)
        loss = model.forward(inputs, targets)
        model.backward()
        clip_grad_norm(model.grads, clip)
        optimizer.update(params, dict(enumerate(model.grads)))
        losses.append(loss)
        predicted = model.loss_layer.cache[2].reshape(batch_size, -1, VOCAB_SIZE).argmax(axis=-1)
        hits += int((predicted[:, length:] == targets[:, length:]).sum())
        count += targets[:, length:].size
        if (step + 1) % eval_every == 0:
            history["step"].append(step + 1)
            history["loss"].append(float(np.mean(losses)))
            history["train_digit_accuracy"].append(hits / count)
            history["test_exact_match"].append(exact_match_accuracy(model, test, length) if test is not None
                                               else float("nan"))
            history["seconds"].append(time.perf_counter() - start)
            losses, hits, count = [], 0, 0
            if progress and hasattr(steps_iter, "set_postfix"):
                steps_iter.set_postfix(loss=f"{history['loss'][-1]:.3f}",
                                       acc=f"{history['train_digit_accuracy'][-1]:.3f}")
    return history
