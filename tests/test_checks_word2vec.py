"""The checks of 7_2_word2vec: right answers pass, typical mistakes fail with a hint (grader and self-check), the
untouched stubs fail, and the reference layers pass the numerical gradient check."""

import numpy as np
import pytest

NB = "7_2_word2vec"

EMBEDDING = """
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
"""
EMBEDDING_LOOP = """
class Embedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, idx):
        self.idx = idx.copy()
        return self.params[0][idx]

    def backward(self, dout):
        dW = np.zeros_like(self.params[0])
        for k, word_id in enumerate(self.idx):
            dW[word_id] += dout[k]
        self.grads[0] = dW
"""
DOT = """
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
"""
SAMPLER = """
class UnigramSampler:
    def __init__(self, corpus, power, sample_size):
        self.sample_size = sample_size
        counts = np.bincount(corpus)
        self.vocab_size = len(counts)
        self.word_p = counts ** power / np.sum(counts ** power)

    def get_negative_sample(self, target, rng):
        out = np.zeros((len(target), self.sample_size), dtype=np.int64)
        for i in range(len(target)):
            p = self.word_p.copy()
            p[target[i]] = 0
            p /= p.sum()
            out[i, :] = rng.choice(self.vocab_size, size=self.sample_size, replace=False, p=p)
        return out
"""
SAMPLER_BOOK_COUNTS = """
class UnigramSampler:
    def __init__(self, corpus, power, sample_size):
        self.sample_size = sample_size
        counts = {}
        for word_id in corpus:
            counts[word_id] = counts.get(word_id, 0) + 1
        self.vocab_size = max(counts) + 1
        self.word_p = np.zeros(self.vocab_size)
        for i in range(self.vocab_size):
            self.word_p[i] = counts.get(i, 0)
        self.word_p = np.power(self.word_p, power)
        self.word_p /= np.sum(self.word_p)

    def get_negative_sample(self, target, rng):
        batch_size = target.shape[0]
        negative_sample = np.zeros((batch_size, self.sample_size), dtype=np.int32)
        for i in range(batch_size):
            p = self.word_p.copy()
            p[target[i]] = 0
            p /= p.sum()
            negative_sample[i, :] = rng.choice(self.vocab_size, size=self.sample_size, replace=False, p=p)
        return negative_sample
"""
SIGMOID = """
class SigmoidWithLoss:
    def __init__(self):
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = 1 / (1 + np.exp(-x))
        return float(np.mean(np.where(t == 1, np.logaddexp(0, -x), np.logaddexp(0, x))))

    def backward(self, dout=1):
        return (self.y - self.t) * dout / self.t.shape[0]
"""
NSL = """
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
"""
NSL_DIRECT = """
class NegativeSamplingLoss:
    def __init__(self, W, corpus, power=0.75, sample_size=5):
        self.sampler = UnigramSampler(corpus, power, sample_size)
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, h, target, rng):
        neg = self.sampler.get_negative_sample(target, rng)
        ids = np.concatenate([target[:, None], neg], axis=1)          # (N, 1 + K)
        labels = np.zeros(ids.shape)
        labels[:, 0] = 1
        W = self.params[0]
        s = np.einsum("nkd,nd->nk", W[ids], h)
        y = 1 / (1 + np.exp(-s))
        self.cache = (h, ids, labels, y)
        eps = 1e-7
        return float(np.sum(-np.mean(labels * np.log(y + eps) + (1 - labels) * np.log(1 - y + eps), axis=0)))

    def backward(self, dout=1):
        h, ids, labels, y = self.cache
        ds = (y - labels) * dout / h.shape[0]
        W = self.params[0]
        dh = np.einsum("nk,nkd->nd", ds, W[ids])
        dW = np.zeros_like(W)
        np.add.at(dW, ids, ds[:, :, None] * h[:, None, :])
        self.grads[0][...] = dW
        return dh
"""
FULL = EMBEDDING + DOT + SAMPLER + SIGMOID + NSL
CORRECT = {
    "Embedding_backward": {"np.add.at in place": EMBEDDING, "loop, new array": EMBEDDING_LOOP},
    "EmbeddingDot_backward": {"book": EMBEDDING + DOT, "with a loop Embedding": EMBEDDING_LOOP + DOT},
    "UnigramSampler_draws": {"bincount": SAMPLER, "book counts, int32": SAMPLER_BOOK_COUNTS},
    "NegativeSamplingLoss_forward": {"book layers": FULL,
                                     "einsum with eps": EMBEDDING + DOT + SAMPLER + SIGMOID + NSL_DIRECT},
    "NegativeSamplingLoss_backward": {"book layers": FULL,
                                      "einsum with eps": EMBEDDING + DOT + SAMPLER + SIGMOID + NSL_DIRECT},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "embedding overwrites repeated ids": (_replace(EMBEDDING, "np.add.at(dW, self.idx, dout)", "dW[self.idx] = dout"),
                                          "Embedding_backward", "上書き"),
    "embedding gradient not reset": (_replace(EMBEDDING, "        dW[...] = 0\n", ""), "Embedding_backward",
                                     "前の勾配が残って"),
    "embedding without idx saved": (_replace(EMBEDDING, "        self.idx = idx\n", ""), "Embedding_backward",
                                    "self.idx に保存"),
    "dot gradients exchanged": (EMBEDDING + _replace(_replace(DOT, "self.embed.backward(dout * h)",
                                                              "self.embed.backward(dout * target_W)"),
                                                     "return dout * target_W", "return dout * h"),
                                "EmbeddingDot_backward", "入れ替わって"),
    "dot without dout": (EMBEDDING + _replace(_replace(DOT, "self.embed.backward(dout * h)", "self.embed.backward(h)"),
                                              "return dout * target_W", "return target_W"),
                         "EmbeddingDot_backward", "dout を掛けていません"),
    "dot without reshape": (EMBEDDING + _replace(DOT, "        dout = dout.reshape(dout.shape[0], 1)\n", ""),
                            "EmbeddingDot_backward", "reshape(-1, 1)"),
    "dot with a wrong Embedding": (_replace(EMBEDDING, "np.add.at(dW, self.idx, dout)", "dW[self.idx] = dout") + DOT,
                                   "EmbeddingDot_backward", "先に Embedding を直して"),
    "sampler without the 0.75 power": (_replace(SAMPLER, "counts ** power / np.sum(counts ** power)",
                                                "counts / np.sum(counts)"), "UnigramSampler_draws", "0.75 乗"),
    "sampler can draw the positive word": (_replace(SAMPLER, "            p[target[i]] = 0\n", ""),
                                           "UnigramSampler_draws", "正解の単語"),
    "sampler with replacement": (_replace(SAMPLER, "replace=False", "replace=True"), "UnigramSampler_draws",
                                 "replace=False"),
    "sampler from np.random": (_replace(SAMPLER, "rng.choice(", "np.random.choice("), "UnigramSampler_draws",
                               "np.random から"),
    "sampler vocabulary from np.unique": (_replace(SAMPLER, "counts = np.bincount(corpus)",
                                                   "_, counts = np.unique(corpus, return_counts=True)"),
                                          "UnigramSampler_draws", "語彙の大きさ"),
    "sampler not renormalised": (_replace(SAMPLER, "            p /= p.sum()\n", ""), "UnigramSampler_draws",
                                 "p /= p.sum()"),
    "labels swapped": (_replace(_replace(FULL, "np.ones(batch_size, dtype=np.int64)", "np.zeros(batch_size, dtype=np.int64)"),
                                "negative_label = np.zeros(", "negative_label = np.ones("),
                       "NegativeSamplingLoss_forward", "入れ替わって"),
    "labels swapped (backward cell)": (_replace(_replace(FULL, "np.ones(batch_size, dtype=np.int64)",
                                                         "np.zeros(batch_size, dtype=np.int64)"),
                                                "negative_label = np.zeros(", "negative_label = np.ones("),
                                       "NegativeSamplingLoss_backward", "入れ替わって"),
    "loss summed over the batch": (_replace(SIGMOID, "float(np.mean(", "float(np.sum(").replace(
        "* dout / self.t.shape[0]", "* dout") + EMBEDDING + DOT + SAMPLER + NSL, "NegativeSamplingLoss_forward", "合計"),
    "dW overwritten": (_replace(FULL, "dW += embed_dot.grads[0]", "dW = embed_dot.grads[0].copy()"),
                       "NegativeSamplingLoss_backward", "上書き"),
    "dh from the positive only": (_replace(FULL, "dh = dh + embed_dot.backward(dscore)",
                                           "d = embed_dot.backward(dscore)\n            dh = d if isinstance(dh, int) else dh"),
                                  "NegativeSamplingLoss_backward", "正例の分しか"),
    "dout ignored": (_replace(FULL, "dscore = loss_layer.backward(dout)", "dscore = loss_layer.backward()"),
                     "NegativeSamplingLoss_backward", "dout を使っていません"),
    "rng not passed on": (_replace(FULL, "get_negative_sample(target, rng)", "get_negative_sample(target)"),
                          "NegativeSamplingLoss_forward", "rng を"),
    "loss with a sampler that keeps the positive": (_replace(FULL, "            p[target[i]] = 0\n", ""),
                                                    "NegativeSamplingLoss_forward", "先に UnigramSampler を直して"),
}

STUBS = {
    "Embedding_backward": "class Embedding:\n    def __init__(self, W):\n        raise NotImplementedError()\n",
    "EmbeddingDot_backward": EMBEDDING + "class EmbeddingDot:\n    def __init__(self, W):\n        raise NotImplementedError()\n",
    "UnigramSampler_draws": "class UnigramSampler:\n    def __init__(self, corpus, power, sample_size):\n"
                            "        raise NotImplementedError()\n",
    "NegativeSamplingLoss_forward": EMBEDDING + DOT + SAMPLER + SIGMOID + "class NegativeSamplingLoss:\n"
                                    "    def __init__(self, W, corpus, power=0.75, sample_size=5):\n"
                                    "        raise NotImplementedError()\n",
    "NegativeSamplingLoss_backward": EMBEDDING + DOT + SAMPLER + SIGMOID + "class NegativeSamplingLoss:\n"
                                     "    def __init__(self, W, corpus, power=0.75, sample_size=5):\n"
                                     "        raise NotImplementedError()\n",
}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


def test_reference_layers_pass_the_gradient_check():
    from course.gradient_check import check_gradients
    from course.nlp_basics import create_contexts_target
    from course.word2vec import CBOW, Embedding, EmbeddingDot, NegativeSamplingLoss

    rng = np.random.default_rng(72)
    W = rng.normal(size=(6, 3))
    idx = np.array([2, 0, 2, 5, 2])
    G = rng.normal(size=(5, 3))
    emb = Embedding(W)
    emb.forward(idx)
    emb.backward(G)
    verdict = check_gradients(lambda: float(np.sum(emb.forward(idx) * G)), {"W": W}, {"W": emb.grads[0]})
    assert verdict.passed, verdict.message

    h = rng.normal(size=(5, 3))
    g = rng.normal(size=5)
    dot = EmbeddingDot(W)
    dot.forward(h, idx)
    dh = dot.backward(g)
    verdict = check_gradients(lambda: float(np.sum(dot.forward(h, idx) * g)), {"W": W, "h": h},
                              {"W": dot.grads[0], "h": dh})
    assert verdict.passed, verdict.message

    corpus = rng.integers(0, 6, size=40)
    loss = NegativeSamplingLoss(W, corpus, 0.75, 3)
    f = lambda: loss.forward(h, corpus[:5], np.random.default_rng(9))  # noqa: E731 - the same negatives every call
    f()
    dh = loss.backward(1.5)
    verdict = check_gradients(lambda: 1.5 * f(), {"W": W, "h": h}, {"W": loss.grads[0], "h": dh})
    assert verdict.passed, verdict.message

    model = CBOW(6, 3, 2, corpus, np.random.default_rng(1))
    model.W_in[...] = rng.normal(size=model.W_in.shape)  # larger weights than the 0.01 start: a sharper check
    model.W_out[...] = rng.normal(size=model.W_out.shape)
    contexts, target = create_contexts_target(corpus[:12], 2)
    f = lambda: model.forward(contexts, target, np.random.default_rng(3))  # noqa: E731
    f()
    model.backward()
    verdict = check_gradients(f, model.params, model.grads)
    assert verdict.passed, verdict.message


def test_sampler_never_draws_the_positive_and_follows_the_power():
    from course.word2vec import UnigramSampler

    corpus = np.array([0] * 90 + [1] * 9 + [2])
    sampler = UnigramSampler(corpus, 0.75, 1)
    np.testing.assert_allclose(sampler.word_p, np.array([90, 9, 1]) ** 0.75 / np.sum(np.array([90, 9, 1]) ** 0.75))
    draws = sampler.get_negative_sample(np.zeros(2000, dtype=np.int64), np.random.default_rng(0))
    assert not np.any(draws == 0)
    share_of_rare = np.mean(draws == 2)  # p(2 | not 0) = 1 / (1 + 9 ** 0.75) ≈ 0.161 (0.1 without the power)
    assert 0.14 < share_of_rare < 0.18
