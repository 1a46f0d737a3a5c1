"""Reference count-based word vectors (the exercises of 7_1) for the later DAY7 notebooks and scripts.

Conventions (stated in 7_1, where students write these functions themselves; names from
『ゼロから作るDeep Learning ❷』 2 章):

* ``preprocess(text)`` -> ``(corpus, word_to_id, id_to_word)``: the words are ``text.split()`` (the text is
  already split into words by spaces; nothing is lower-cased); ids 0, 1, 2, ... in the order of the first
  appearance; ``corpus`` is a 1-D ``np.int64`` array, ``word_to_id`` a dict, ``id_to_word`` a list
  (the book uses a dict; indexing ``id_to_word[i]`` works the same).
* ``create_co_matrix(corpus, vocab_size, window_size=1)``: an ``np.int64`` matrix (V, V); for every position
  ``idx`` and every ``i = 1 .. window_size`` the words at ``idx - i`` and ``idx + i`` are counted when they lie
  inside the corpus (the word itself is not counted; nothing wraps round the ends).
* ``ppmi(C, eps=1e-8)``: ``N = C.sum()``, ``S = C.sum(axis=0)``,
  ``M[i, j] = max(0, log2(C[i, j] * N / (S[j] * S[i]) + eps))`` as float64 (``S > 0`` for every word).
* ``cos_similarity(x, y, eps=1e-8)``: ``nx = x / (sqrt(sum(x ** 2)) + eps)``, likewise ``ny``; ``dot(nx, ny)``.
* ``most_similar(query, word_to_id, id_to_word, word_matrix, top=5)``: a list of ``(word, similarity)`` for the
  ``top`` words most similar to ``query`` (the query itself left out), highest first, ties by smaller id;
  ``[]`` when the query is not in ``word_to_id``.

The notebook 7_1 must not import this module (its graded names are defined here).
"""

from __future__ import annotations

import numpy as np

__all__ = ["preprocess", "create_co_matrix", "ppmi", "cos_similarity", "most_similar", "create_contexts_target"]


def preprocess(text):
    word_to_id, id_to_word = {}, []
    for word in text.split():
        if word not in word_to_id:
            word_to_id[word] = len(id_to_word)
            id_to_word.append(word)
    corpus = np.array([word_to_id[w] for w in text.split()], dtype=np.int64)
    return corpus, word_to_id, id_to_word


def create_co_matrix(corpus, vocab_size, window_size=1):
    corpus = np.asarray(corpus)
    size = len(corpus)
    C = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    for idx in range(size):
        word = corpus[idx]
        for i in range(1, window_size + 1):
            if idx - i >= 0:
                C[word, corpus[idx - i]] += 1
            if idx + i < size:
                C[word, corpus[idx + i]] += 1
    return C


def ppmi(C, eps=1e-8):
    C = np.asarray(C, dtype=np.float64)
    N = C.sum()
    S = C.sum(axis=0)
    pmi = np.log2(C * N / (S[None, :] * S[:, None]) + eps)
    return np.maximum(0.0, pmi)


def cos_similarity(x, y, eps=1e-8):
    nx = x / (np.sqrt(np.sum(x ** 2)) + eps)
    ny = y / (np.sqrt(np.sum(y ** 2)) + eps)
    return np.dot(nx, ny)


def most_similar(query, word_to_id, id_to_word, word_matrix, top=5):
    if query not in word_to_id:
        return []
    q = word_matrix[word_to_id[query]]
    sims = np.array([cos_similarity(word_matrix[i], q) for i in range(len(id_to_word))])
    result = []
    for i in np.argsort(-sims, kind="stable"):
        if id_to_word[i] == query:
            continue
        result.append((id_to_word[i], float(sims[i])))
        if len(result) >= top:
            break
    return result


def create_contexts_target(corpus, window_size=1):
    """``contexts`` (N, 2 * window_size) and ``target`` (N,) for every position with a full window
    (the book's order: the left words from the farthest, then the right words)."""
    corpus = np.asarray(corpus)
    target = corpus[window_size:-window_size]
    contexts = np.array([[corpus[idx + t] for t in range(-window_size, window_size + 1) if t != 0]
                         for idx in range(window_size, len(corpus) - window_size)], dtype=np.int64)
    return contexts, target
