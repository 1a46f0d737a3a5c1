"""Reference attention layers and the attention seq2seq of 7_4 (『ゼロから作るDeep Learning ❷』 8 章).

7_4 grades ``WeightSum``, ``AttentionWeight`` and ``Attention`` (the grader hides this module from
its kernel). Conventions (stated in 7_4):

* ``WeightSum.forward(hs, a)``: encoder states hs (N, T, H), weights a (N, T) -> context
  c (N, H) = sum over t of a[:, t, None] * hs[:, t]. ``backward(dc)`` -> ``(dhs, da)`` with
  dhs = a[:, :, None] * dc[:, None, :] and da = sum over H of dc[:, None, :] * hs.
* ``AttentionWeight.forward(hs, h)``: scores s (N, T) = sum over H of hs * h[:, None, :], then a
  softmax over the encoder time axis T (axis 1) -> a (N, T). ``backward(da)`` -> ``(dhs, dh)``.
* ``Attention.forward(hs, h)`` -> c (N, H): ``AttentionWeight`` then ``WeightSum``; the weights are
  kept in ``self.attention_weight``; ``backward(dc)`` -> ``(dhs, dh)`` (dhs is the sum of the two paths).
* ``TimeAttention``, ``AttentionEncoder`` (returns every hidden state), ``AttentionDecoder``
  (LSTM starts from the encoder's last state; affine on [c, h] concatenated, context first) and
  ``AttentionSeq2seq(vocab_size, wordvec_size, hidden_size, seed=0)`` for the recorded run.
"""

from __future__ import annotations

import numpy as np

from course.seq2seq import Encoder, Seq2seq
from course.time_embedding import TimeEmbedding
from course.time_layers import TimeAffine
from course.time_loss import TimeSoftmaxWithLoss
from course.time_lstm import TimeLSTM

__all__ = ["WeightSum", "AttentionWeight", "Attention", "TimeAttention", "AttentionEncoder", "AttentionDecoder",
           "AttentionSeq2seq", "init_attention_weights"]


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class WeightSum:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        self.cache = (hs, a)
        return np.sum(hs * a[:, :, np.newaxis], axis=1)

    def backward(self, dc):
        hs, a = self.cache
        dt = dc[:, np.newaxis, :]
        dhs = dt * a[:, :, np.newaxis]
        da = np.sum(dt * hs, axis=2)
        return dhs, da


class AttentionWeight:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, h):
        s = np.sum(hs * h[:, np.newaxis, :], axis=2)
        a = _softmax_rows(s)
        self.cache = (hs, h, a)
        return a

    def backward(self, da):
        hs, h, a = self.cache
        ds = a * (da - np.sum(da * a, axis=1, keepdims=True))
        dhs = ds[:, :, np.newaxis] * h[:, np.newaxis, :]
        dh = np.sum(ds[:, :, np.newaxis] * hs, axis=1)
        return dhs, dh


class Attention:
    def __init__(self):
        self.params, self.grads = [], []
        self.attention_weight_layer = AttentionWeight()
        self.weight_sum_layer = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        a = self.attention_weight_layer.forward(hs, h)
        self.attention_weight = a
        return self.weight_sum_layer.forward(hs, a)

    def backward(self, dc):
        dhs0, da = self.weight_sum_layer.backward(dc)
        dhs1, dh = self.attention_weight_layer.backward(da)
        return dhs0 + dhs1, dh


class TimeAttention:
    def __init__(self):
        self.params, self.grads = [], []
        self.layers = None
        self.attention_weights = None

    def forward(self, hs_enc, hs_dec):
        N, T, H = hs_dec.shape
        out = np.empty_like(hs_dec)
        self.layers, self.attention_weights = [], []
        for t in range(T):
            layer = Attention()
            out[:, t, :] = layer.forward(hs_enc, hs_dec[:, t, :])
            self.layers.append(layer)
            self.attention_weights.append(layer.attention_weight)
        return out

    def backward(self, dout):
        dhs_enc = 0
        dhs_dec = np.empty_like(dout)
        for t, layer in enumerate(self.layers):
            dhs, dh = layer.backward(dout[:, t, :])
            dhs_enc = dhs_enc + dhs
            dhs_dec[:, t, :] = dh
        return dhs_enc, dhs_dec


class AttentionEncoder(Encoder):
    def forward(self, xs):
        self.hs = self.lstm.forward(self.embed.forward(xs))
        return self.hs

    def backward(self, dhs):
        self.embed.backward(self.lstm.backward(dhs))
        return None


class AttentionDecoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b):
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.attention = TimeAttention()
        self.affine = TimeAffine(affine_W, affine_b)
        self.params, self.grads = [], []
        for layer in (self.embed, self.lstm, self.attention, self.affine):
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, enc_hs):
        self.lstm.set_state(enc_hs[:, -1])
        dec_hs = self.lstm.forward(self.embed.forward(xs))
        c = self.attention.forward(enc_hs, dec_hs)
        return self.affine.forward(np.concatenate((c, dec_hs), axis=2))

    def backward(self, dscore):
        dout = self.affine.backward(dscore)
        H = dout.shape[2] // 2
        dc, ddec_hs0 = dout[:, :, :H], dout[:, :, H:]
        denc_hs, ddec_hs1 = self.attention.backward(dc)
        dout = self.lstm.backward(ddec_hs0 + ddec_hs1)
        denc_hs = denc_hs.copy()
        denc_hs[:, -1] += self.lstm.dh
        self.embed.backward(dout)
        return denc_hs

    def generate(self, enc_hs, start_id, sample_size):
        N = enc_hs.shape[0]
        self.lstm.set_state(enc_hs[:, -1])
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        weights = []
        for t in range(sample_size):
            dec_hs = self.lstm.forward(self.embed.forward(x))
            c = self.attention.forward(enc_hs, dec_hs)
            score = self.affine.forward(np.concatenate((c, dec_hs), axis=2))
            weights.append(self.attention.attention_weights[0])
            sampled[:, t] = np.argmax(score[:, -1, :], axis=1)
            x = sampled[:, t:t + 1]
        self.generated_weights = np.stack(weights, axis=1)  # (N, sample_size, T_enc)
        return sampled


def init_attention_weights(vocab_size, wordvec_size, hidden_size, seed=0):
    """Like ``course.seq2seq.init_seq2seq_weights`` with the decoder's affine W of shape (2H, V)."""
    V, D, H = vocab_size, wordvec_size, hidden_size
    rng = np.random.default_rng(seed)
    enc = [rng.normal(size=(V, D)) * 0.01, rng.normal(size=(D, 4 * H)) / np.sqrt(D),
           rng.normal(size=(H, 4 * H)) / np.sqrt(H), np.zeros(4 * H)]
    dec = [rng.normal(size=(V, D)) * 0.01, rng.normal(size=(D, 4 * H)) / np.sqrt(D),
           rng.normal(size=(H, 4 * H)) / np.sqrt(H), np.zeros(4 * H),
           rng.normal(size=(2 * H, V)) / np.sqrt(2 * H), np.zeros(V)]
    return enc, dec


class AttentionSeq2seq(Seq2seq):
    def __init__(self, vocab_size, wordvec_size, hidden_size, seed=0):
        enc, dec = init_attention_weights(vocab_size, wordvec_size, hidden_size, seed=seed)
        self.encoder = AttentionEncoder(*enc)
        self.decoder = AttentionDecoder(*dec)
        self.softmax = TimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads
