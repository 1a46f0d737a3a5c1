"""Reference encoder-decoder (seq2seq) models of 7_3 (『ゼロから作るDeep Learning ❷』 7 章), used by 7_4.

The notebook 7_3 grades ``Encoder`` and ``Decoder`` (so the grader hides this module from its
kernel); 7_4 builds its attention model on these. Conventions (stated in 7_3):

* Weights are given to the constructors (like ``course.time_lstm.LSTM``), not drawn inside:
  ``Encoder(embed_W, lstm_Wx, lstm_Wh, lstm_b)``,
  ``Decoder(embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b)``; ``init_seq2seq_weights``
  draws them from a seed in a stated order. ``params``/``grads`` are the lists of the inner layers'
  arrays in the order embedding, LSTM (Wx, Wh, b), affine (W, b).
* ``Encoder.forward(xs)``: ids (N, T) -> the last hidden state h (N, H) (a ``TimeLSTM`` with
  ``stateful=False``: every call starts from h = c = 0). ``backward(dh)`` puts ``dh`` at the last
  time step (zeros elsewhere), runs the LSTM and the embedding backward and returns None.
* ``Decoder.forward(xs, h)``: ids (N, T) and the encoder's h -> scores (N, T, V) (teacher forcing:
  ``xs`` are the correct previous characters); the LSTM (``stateful=True``) starts from
  ``set_state(h)`` (c = 0). ``backward(dscore)`` returns dh, the gradient w.r.t. h (``lstm.dh``).
* ``Decoder.generate(h, start_id, sample_size)``: greedy decoding of a batch: the first input is
  ``start_id`` for every row, then ``sample_size`` steps, each feeding back the argmax id of the
  previous step (``np.argmax``: the smallest id among ties). Returns an int64 array
  (N, sample_size) without the start id.
* ``PeekyDecoder`` (same constructor, ``lstm_Wx`` is (D + H, 4H), ``affine_W`` is (2H, V)) feeds h
  to the LSTM and to the affine layer at every step ([h, x] and [h, hs] concatenated, h first).
* ``Seq2seq(vocab_size, wordvec_size, hidden_size, seed=0)`` / ``PeekySeq2seq``: ``forward(xs, ts)``
  with decoder input ``ts[:, :-1]`` and target ``ts[:, 1:]`` -> mean loss; ``backward()``;
  ``generate(xs, start_id, sample_size)``.
"""

from __future__ import annotations

import numpy as np

from course.time_embedding import TimeEmbedding
from course.time_layers import TimeAffine
from course.time_loss import TimeSoftmaxWithLoss
from course.time_lstm import TimeLSTM

__all__ = ["Encoder", "Decoder", "PeekyDecoder", "Seq2seq", "PeekySeq2seq", "init_seq2seq_weights"]


def init_seq2seq_weights(vocab_size, wordvec_size, hidden_size, seed=0, peeky=False):
    """(encoder weights, decoder weights) drawn from ``np.random.default_rng(seed)`` in this order:
    encoder embedding (V, D) * 0.01, encoder Wx (D, 4H) / sqrt(D), encoder Wh (H, 4H) / sqrt(H),
    decoder embedding, decoder Wx, decoder Wh, affine W (H, V) / sqrt(H) (all ``rng.normal``); biases 0.
    With ``peeky`` the decoder's Wx is (D + H, 4H) / sqrt(D + H) and affine W (2H, V) / sqrt(2H)."""
    V, D, H = vocab_size, wordvec_size, hidden_size
    rng = np.random.default_rng(seed)
    enc = [rng.normal(size=(V, D)) * 0.01, rng.normal(size=(D, 4 * H)) / np.sqrt(D),
           rng.normal(size=(H, 4 * H)) / np.sqrt(H), np.zeros(4 * H)]
    Din = D + H if peeky else D
    Hout = 2 * H if peeky else H
    dec = [rng.normal(size=(V, D)) * 0.01, rng.normal(size=(Din, 4 * H)) / np.sqrt(Din),
           rng.normal(size=(H, 4 * H)) / np.sqrt(H), np.zeros(4 * H)]
    dec += [rng.normal(size=(Hout, V)) / np.sqrt(Hout), np.zeros(V)]
    return enc, dec


class Encoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b):
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=False)
        self.params = self.embed.params + self.lstm.params
        self.grads = self.embed.grads + self.lstm.grads
        self.hs = None

    def forward(self, xs):
        hs = self.lstm.forward(self.embed.forward(xs))
        self.hs = hs
        return hs[:, -1, :]

    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, -1, :] = dh
        dout = self.lstm.backward(dhs)
        self.embed.backward(dout)
        return None


class Decoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b):
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.affine = TimeAffine(affine_W, affine_b)
        self.params, self.grads = [], []
        for layer in (self.embed, self.lstm, self.affine):
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, h):
        self.lstm.set_state(h)
        out = self.embed.forward(xs)
        out = self.lstm.forward(out)
        return self.affine.forward(out)

    def backward(self, dscore):
        dout = self.affine.backward(dscore)
        dout = self.lstm.backward(dout)
        self.embed.backward(dout)
        return self.lstm.dh

    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        self.lstm.set_state(h)
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            out = self.embed.forward(x)
            out = self.lstm.forward(out)
            score = self.affine.forward(out)
            sampled[:, t] = np.argmax(score[:, -1, :], axis=1)
            x = sampled[:, t:t + 1]
        return sampled


class PeekyDecoder(Decoder):
    def forward(self, xs, h):
        N, T = xs.shape
        H = h.shape[1]
        self.lstm.set_state(h)
        hs = np.repeat(h[:, np.newaxis, :], T, axis=1)
        out = np.concatenate((hs, self.embed.forward(xs)), axis=2)
        out = self.lstm.forward(out)
        out = np.concatenate((hs, out), axis=2)
        self.cache = H
        return self.affine.forward(out)

    def backward(self, dscore):
        H = self.cache
        dout = self.affine.backward(dscore)
        dhs0, dout = dout[:, :, :H], dout[:, :, H:]
        dout = self.lstm.backward(dout)
        dhs1, dembed = dout[:, :, :H], dout[:, :, H:]
        self.embed.backward(dembed)
        return self.lstm.dh + (dhs0 + dhs1).sum(axis=1)

    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        self.lstm.set_state(h)
        peek = h[:, np.newaxis, :]
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            out = np.concatenate((peek, self.embed.forward(x)), axis=2)
            out = self.lstm.forward(out)
            score = self.affine.forward(np.concatenate((peek, out), axis=2))
            sampled[:, t] = np.argmax(score[:, -1, :], axis=1)
            x = sampled[:, t:t + 1]
        return sampled


class Seq2seq:
    decoder_class = Decoder
    peeky = False

    def __init__(self, vocab_size, wordvec_size, hidden_size, seed=0):
        enc, dec = init_seq2seq_weights(vocab_size, wordvec_size, hidden_size, seed=seed, peeky=self.peeky)
        self.encoder = Encoder(*enc)
        self.decoder = self.decoder_class(*dec)
        self.softmax = TimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads

    def forward(self, xs, ts):
        decoder_xs, decoder_ts = ts[:, :-1], ts[:, 1:]
        h = self.encoder.forward(xs)
        score = self.decoder.forward(decoder_xs, h)
        return self.softmax.forward(score, decoder_ts)

    def backward(self, dout=1):
        dout = self.softmax.backward(dout)
        dh = self.decoder.backward(dout)
        self.encoder.backward(dh)

    def generate(self, xs, start_id, sample_size):
        h = self.encoder.forward(xs)
        return self.decoder.generate(h, start_id, sample_size)


class PeekySeq2seq(Seq2seq):
    decoder_class = PeekyDecoder
    peeky = True
