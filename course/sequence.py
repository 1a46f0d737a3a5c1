"""Reference preprocessing of sequences (the exercises of 6_1) for the later DAY6 notebooks.

Conventions (stated in 6_1, where students write these functions themselves):

* ``make_windows(series, window, horizon=1, stride=1)``: window ``i`` starts at ``s = i * stride``;
  inputs ``series[s : s + window]``, targets ``series[s + window : s + window + horizon]`` (the
  steps right after the inputs, never overlapping them); ``N = (T - window - horizon) // stride + 1``
  windows (0 when ``T < window + horizon``). ``series`` is ``(T,)`` or ``(T, D)``; returns
  ``x (N, window[, D])`` and ``t (N, horizon[, D])`` with the dtype of ``series``.
* ``build_vocab(text)``: id 0 is the unknown symbol ``UNK = "<unk>"``; the distinct characters of
  ``text`` get ids 1, 2, ... in the order of their first appearance. Returns ``(char_to_id, id_to_char)``
  (a dict and a list).
* ``encode(text, char_to_id)``: int64 array of ids, unknown characters → 0; ``decode(ids, id_to_char)``:
  the string joined from ``id_to_char``.
* ``one_hot(ids, vocab_size)``: float64 array of shape ``ids.shape + (vocab_size,)``.

The notebook 6_1 must not import this module (its graded names are defined here).
"""

from __future__ import annotations

import numpy as np

__all__ = ["UNK", "make_windows", "build_vocab", "encode", "decode", "one_hot"]

UNK = "<unk>"


def make_windows(series, window, horizon=1, stride=1):
    series = np.asarray(series)
    n = max(0, (len(series) - window - horizon) // stride + 1)
    starts = np.arange(n) * stride
    x = np.stack([series[s:s + window] for s in starts]) if n else np.zeros((0, window) + series.shape[1:], series.dtype)
    t = (np.stack([series[s + window:s + window + horizon] for s in starts]) if n
         else np.zeros((0, horizon) + series.shape[1:], series.dtype))
    return x, t


def build_vocab(text):
    char_to_id, id_to_char = {UNK: 0}, [UNK]
    for ch in text:
        if ch not in char_to_id:
            char_to_id[ch] = len(id_to_char)
            id_to_char.append(ch)
    return char_to_id, id_to_char


def encode(text, char_to_id):
    return np.array([char_to_id.get(ch, 0) for ch in text], dtype=np.int64)


def decode(ids, id_to_char):
    return "".join(id_to_char[int(i)] for i in np.asarray(ids).ravel())


def one_hot(ids, vocab_size):
    ids = np.asarray(ids)
    out = np.zeros(ids.shape + (vocab_size,))
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out
