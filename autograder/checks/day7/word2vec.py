"""Hidden checks of 7_2_word2vec: Embedding, EmbeddingDot, UnigramSampler and NegativeSamplingLoss.

Conventions stated in the notebook and tested here (the reference is ``course.word2vec``; names from
『ゼロから作るDeep Learning ❷』 4 章):
- ``Embedding(W)``: ``params = [W]``, ``grads = [dW]``; ``forward(idx)`` (N,) ints -> ``W[idx]`` (N, D);
  ``backward(dout)`` makes ``grads[0]`` zero and adds row k of ``dout`` into row ``idx[k]`` (repeated ids
  accumulate; a new backward starts from zero); returns None.
- ``EmbeddingDot(W)``: ``forward(h, idx)`` -> ``np.sum(W[idx] * h, axis=1)`` (N,); ``backward(dout)`` (N,) ->
  ``dh = dout[:, None] * W[idx]``, ``grads[0]`` = Embedding gradient of ``dout[:, None] * h``.
- ``UnigramSampler(corpus, power, sample_size)``: ``vocab_size = max(corpus) + 1``;
  ``word_p = counts ** power / sum(counts ** power)``; ``get_negative_sample(target, rng)``: for
  i = 0 .. N-1 in order, ``p = word_p`` with ``p[target[i]] = 0`` renormalised, one call
  ``rng.choice(vocab_size, size=sample_size, replace=False, p=p)``; int array (N, sample_size).
- ``NegativeSamplingLoss(W, corpus, power=0.75, sample_size=5)``: ``forward(h, target, rng)``: one
  ``get_negative_sample(target, rng)`` call, loss = batch mean of -log sigmoid(s_pos) plus, for each of the
  sample_size negatives, the batch mean of -log(1 - sigmoid(s_neg)); ``backward(dout=1)`` -> dh;
  ``params = [W]``, ``grads = [dW]`` summed over the positive and the negatives.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.probe import GLOBAL_SEED, Seeded
from course.word2vec import Embedding as ReferenceEmbedding
from course.word2vec import EmbeddingDot as ReferenceEmbeddingDot
from course.word2vec import NegativeSamplingLoss as ReferenceNegativeSamplingLoss
from course.word2vec import SigmoidWithLoss
from course.word2vec import UnigramSampler as ReferenceUnigramSampler

NOTEBOOK = "7_2_word2vec"
RTOL, ATOL = 1e-7, 1e-10


# --------------------------------------------------------------------------- wrong Embedding
class _Overwrite(ReferenceEmbedding):
    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        dW[self.idx] = dout
        return None


class _NotReset(ReferenceEmbedding):
    def backward(self, dout):
        np.add.at(self.grads[0], self.idx, dout)
        return None


EMBEDDING_MISTAKES = [
    Mistake("同じ ID が 2 回以上出てくると、勾配が上書きされています（dW[idx] = dout）。同じ行に何度も足す必要があるので、"
            "np.add.at(dW, idx, dout) か、for 文で dW[idx[k]] += dout[k] のように足し合わせます。", _Overwrite),
    Mistake("backward を呼ぶたびに前の勾配が残っています。backward の最初に dW[...] = 0 で勾配を 0 にしてから足します。",
            _NotReset),
]
EMBEDDING_ERRORS = [("NoneType", "forward で idx を self.idx に保存しているか確かめてください（backward で使います）。"),
                    ("not broadcastable", "np.add.at(dW, self.idx, dout) の self.idx と dout の形が合っていません。forward で idx を "
                                          "self.idx に保存しているか確かめてください（backward で使います）。")]


# --------------------------------------------------------------------------- wrong EmbeddingDot
class _DotGradOfH(ReferenceEmbeddingDot):
    def backward(self, dout):
        h, target_W = self.cache
        dout = dout.reshape(-1, 1)
        self.embed.backward(dout * target_W)
        return dout * h


class _DotNoDout(ReferenceEmbeddingDot):
    def backward(self, dout):
        h, target_W = self.cache
        self.embed.backward(h)
        return target_W.copy()


DOT_MISTAKES = [
    Mistake("dh と W の勾配が入れ替わっています。out = sum(W[idx] * h) なので、dh = dout * W[idx]、W[idx] の勾配（Embedding の "
            "backward に渡すもの）は dout * h です。", _DotGradOfH),
    Mistake("dout を掛けていません。dout を (N, 1) に変形して dh = dout * target_W、Embedding には dout * h を渡します。",
            _DotNoDout),
]
DOT_ERRORS = [("could not be broadcast", "dout は形状 (N,) です。dout.reshape(-1, 1) で (N, 1) にしてから h や target_W と掛けます。"),
              ("operands", "dout は形状 (N,) です。dout.reshape(-1, 1) で (N, 1) にしてから h や target_W と掛けます。")]


# --------------------------------------------------------------------------- wrong UnigramSampler
class _NoPower(ReferenceUnigramSampler):
    def __init__(self, corpus, power, sample_size):
        super().__init__(corpus, 1.0, sample_size)


class _PositiveKept(ReferenceUnigramSampler):
    def get_negative_sample(self, target, rng):
        return np.array([rng.choice(self.vocab_size, size=self.sample_size, replace=False, p=self.word_p)
                         for _ in range(len(target))], dtype=np.int64).reshape(len(target), self.sample_size)


class _WithReplacement(ReferenceUnigramSampler):
    def get_negative_sample(self, target, rng):
        out = np.zeros((len(target), self.sample_size), dtype=np.int64)
        for i in range(len(target)):
            p = self.word_p.copy()
            p[target[i]] = 0
            out[i] = rng.choice(self.vocab_size, size=self.sample_size, replace=True, p=p / p.sum())
        return out


class _GlobalRandom(ReferenceUnigramSampler):
    def get_negative_sample(self, target, rng):
        saved = np.random.get_state()
        np.random.seed(GLOBAL_SEED)
        try:
            out = np.zeros((len(target), self.sample_size), dtype=np.int64)
            for i in range(len(target)):
                p = self.word_p.copy()
                p[target[i]] = 0
                out[i] = np.random.choice(self.vocab_size, size=self.sample_size, replace=False, p=p / p.sum())
            return out
        finally:
            np.random.set_state(saved)


class _VocabFromUnique(ReferenceUnigramSampler):
    def __init__(self, corpus, power, sample_size):
        super().__init__(corpus, power, sample_size)
        words, counts = np.unique(np.asarray(corpus), return_counts=True)
        self.vocab_size = len(words)
        self.word_p = counts ** power / np.sum(counts ** power)


SAMPLER_MISTAKES = [
    Mistake("出現回数を 0.75 乗していません。word_p = counts ** power / np.sum(counts ** power) です（power = 0.75 で、"
            "まれな単語も少し選ばれやすくします）。", _NoPower),
    Mistake("正解の単語（target[i]）が負例に選ばれることがあります。i 番目の行を引く前に p = word_p.copy()、p[target[i]] = 0、"
            "p /= p.sum() として、正解の単語の確率を 0 にします。", _PositiveKept),
    Mistake("同じ単語を 2 回以上引いています。1 行の中では重複なしなので、rng.choice(..., replace=False, p=p) です。",
            _WithReplacement),
    Mistake("引数の rng ではなく np.random から引いています。乱数はすべて、渡された rng の rng.choice から引きます。",
            _GlobalRandom),
    Mistake("語彙の大きさが違います。vocab_size = corpus の最大の ID + 1（np.bincount(corpus) の長さ）で、コーパスに出てこない ID も"
            "（確率 0 の単語として）数えます。", _VocabFromUnique),
]
SAMPLER_ERRORS = [("do not sum to 1", "p[target[i]] = 0 にしたあと、p /= p.sum() で合計を 1 に戻してください。"),
                  ("Fewer non-zero entries in p than size", "確率が 0 でない単語が sample_size より少なくなっています。"
                                                            "語彙の大きさと、正解の単語だけを 0 にしているか確かめてください。")]


# --------------------------------------------------------------------------- wrong NegativeSamplingLoss
class _NSLVariant(ReferenceNegativeSamplingLoss):
    positive_label = 1
    mean = True
    grads_mode = "sum"  # "last": only the last layer's dW; "first"
    dh_positive_only = False
    use_dout = True

    def forward(self, h, target, rng):
        batch_size = target.shape[0]
        negative_sample = self.sampler.get_negative_sample(target, rng)
        labels = [np.full(batch_size, self.positive_label)] + [np.full(batch_size, 1 - self.positive_label)] * self.sample_size
        ids = [target] + [negative_sample[:, i] for i in range(self.sample_size)]
        loss = 0.0
        for layer, loss_layer, idx, t in zip(self.embed_dot_layers, self.loss_layers, ids, labels):
            loss += loss_layer.forward(layer.forward(h, idx), t) * (1 if self.mean else batch_size)
        return loss

    def backward(self, dout=1):
        dout = dout if self.use_dout else 1
        dh = 0
        dW = np.zeros_like(self.grads[0])
        for k, (loss_layer, embed_dot) in enumerate(zip(self.loss_layers, self.embed_dot_layers)):
            dscore = loss_layer.backward(dout) * (1 if self.mean else loss_layer.t.shape[0])
            d = embed_dot.backward(dscore)
            if k == 0 or not self.dh_positive_only:
                dh = dh + d
            if self.grads_mode == "sum":
                dW += embed_dot.grads[0]
            else:
                dW = embed_dot.grads[0].copy()
        self.grads[0][...] = dW
        return dh


def _nsl(name, **switches):
    return type(name, (_NSLVariant,), switches)


NSL_FORWARD_MISTAKES = [
    Mistake("正例と負例のラベルが入れ替わっています。正解の単語（target）のラベルが 1、負例のラベルが 0 です。",
            _nsl("_Swapped", positive_label=0)),
    Mistake("損失をバッチについて合計しています。各レイヤの損失はバッチの平均（SigmoidWithLoss と同じ）で、"
            "それを正例 1 つと負例 sample_size 個について足します。", _nsl("_Summed", mean=False)),
]
NSL_BACKWARD_MISTAKES = NSL_FORWARD_MISTAKES + [
    Mistake("W の勾配を上書きしています（最後のレイヤの勾配だけが残っています）。正例と負例のすべての EmbeddingDot の "
            "grads[0] を足した合計を self.grads[0] にします。", _nsl("_LastOnly", grads_mode="last")),
    Mistake("dh に正例の分しか入っていません。h は正例と負例のすべての EmbeddingDot で使われているので、すべての backward の "
            "戻り値を足します。", _nsl("_DhPositiveOnly", dh_positive_only=True)),
    Mistake("dout を使っていません。各 SigmoidWithLoss の backward に dout を渡します（(y - t) * dout / N）。",
            _nsl("_NoDout", use_dout=False)),
]
NSL_ERRORS = [("positional argument", "forward(h, target, rng) の rng を、UnigramSampler の get_negative_sample(target, rng) に渡します。")]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(7200)
v_W = np.round(np.arange(12, dtype=float).reshape(4, 3) * 0.5 - 2.0, 2)
v_dout = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0], [-2.0, 1.0, 1.0]])
W_a = rng.normal(size=(7, 5))
idx_a = np.array([3, 0, 3, 6, 3, 1])
dout_a = rng.normal(size=(6, 5))
idx_b = np.array([2, 5])
dout_b = rng.normal(size=(2, 5))


def _embed_backward(idx, dout, label):
    return [call("forward", idx, record=False), call("backward", dout, record=False),
            get("grads", label=f"{label} のあとの grads（[dW]）")]


EMBEDDING_VISIBLE = [
    Scenario("W (4, 3)、idx = [0, 2, 3] の forward", [new(v_W), call("forward", np.array([0, 2, 3]),
                                                                       label="forward(idx) の戻り値")]),
    Scenario("同じ ID を含む idx = [1, 3, 1] の backward（ID 1 の行は 2 つの和）",
             [new(v_W), *_embed_backward(np.array([1, 3, 1]), v_dout, "backward(dout)")]),
    Scenario("backward を 2 回（2 回目は 1 回目の勾配を含まない）",
             [new(v_W), call("forward", np.array([1, 3, 1]), record=False), call("backward", v_dout, record=False),
              *_embed_backward(np.array([2, 2]), v_dout[:2], "2 回目の backward")]),
]
EMBEDDING_HIDDEN = [
    Scenario("W (7, 5)、同じ ID が 3 回ある idx の forward と backward",
             [new(W_a), call("forward", idx_a, label="forward(idx) の戻り値"),
              call("backward", dout_a, record=False), get("grads", label="backward のあとの grads")]),
    Scenario("すべて同じ ID idx = [4, 4, 4, 4]", [new(W_a), *_embed_backward(np.array([4, 4, 4, 4]), dout_a[:4],
                                                                             "backward(dout)")]),
    Scenario("forward を 2 回してから backward（最後の idx を使う）",
             [new(W_a), call("forward", idx_a, record=False), *_embed_backward(idx_b, dout_b, "backward(dout)")]),
    Scenario("backward を 2 回", [new(W_a), call("forward", idx_a, record=False), call("backward", dout_a, record=False),
                                 *_embed_backward(idx_b, dout_b, "2 回目の backward")]),
]

v_h = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0], [-1.0, 1.0, 0.0], [0.0, -2.0, 0.5]])
v_dscore = np.array([1.0, -0.5, 2.0, 1.5])
h_a = rng.normal(size=(6, 5))
dscore_a = rng.normal(size=6)


def _dot(W, h, idx, dout):
    return [new(W), call("forward", h, idx, label="forward(h, idx) の戻り値 (N,)"),
            call("backward", dout, label="backward(dout) の戻り値 dh"),
            get("grads", label="backward のあとの grads（[dW]）")]


DOT_VISIBLE = [Scenario("W (4, 3)、N = 4、idx = [2, 0, 2, 1]", _dot(v_W, v_h, np.array([2, 0, 2, 1]), v_dscore))]
DOT_HIDDEN = [Scenario("W (7, 5)、N = 6（同じ ID が 3 回）", _dot(W_a, h_a, idx_a, dscore_a)),
              Scenario("N = 1", _dot(W_a, h_a[:1], idx_a[:1], dscore_a[:1])),
              Scenario("dout が 0 の要素を含む", _dot(W_a, h_a, idx_a, np.where(dscore_a > 0, dscore_a, 0.0)))]

v_corpus = np.array([0, 1, 2, 3, 0, 1, 0, 6, 0, 1, 5, 0])  # counts 5, 3, 1, 1, 0, 1, 1 (id 4 never appears)
corpus_a = rng.integers(0, 9, size=80)
corpus_a[corpus_a == 4] = 5  # id 4 never appears (probability 0)
corpus_zipf = np.minimum(rng.zipf(1.6, size=300) - 1, 19)


def _sampler(corpus, power, sample_size, target, seed):
    return [new(corpus, power, sample_size), get("vocab_size", label="属性 vocab_size"),
            get("word_p", label="属性 word_p（0.75 乗した出現確率）"),
            call("get_negative_sample", target, Seeded(seed), label=f"get_negative_sample(target, rng)（rng の種 {seed}）")]


SAMPLER_VISIBLE = [
    Scenario("7 単語（ID 4 は出てこない）のコーパス、power = 0.75、sample_size = 2、target = [0, 1, 0]",
             _sampler(v_corpus, 0.75, 2, np.array([0, 1, 0]), 1)),
    Scenario("同じコーパス、sample_size = 4、target = [0]（よく出る単語 0 は選ばれない）",
             _sampler(v_corpus, 0.75, 4, np.array([0]), 2)),
]
SAMPLER_HIDDEN = [
    Scenario("9 単語（ID 4 は出てこない）、sample_size = 3、N = 5", _sampler(corpus_a, 0.75, 3, corpus_a[:5], 3)),
    Scenario("ジップ分布のコーパス（20 単語）、sample_size = 5、N = 8", _sampler(corpus_zipf, 0.75, 5, corpus_zipf[:8], 4)),
    Scenario("power = 0.5、sample_size = 2", _sampler(v_corpus, 0.5, 2, np.array([1, 2, 3, 4]), 5)),
    Scenario("get_negative_sample を 2 回（同じ種なら同じ負例）",
             [new(v_corpus, 0.75, 3), call("get_negative_sample", np.array([0, 5]), Seeded(6), label="1 回目"),
              call("get_negative_sample", np.array([0, 5]), Seeded(6), label="2 回目（同じ種）")]),
]

v_W_out = np.round(np.sin(np.arange(21, dtype=float) * 1.3).reshape(7, 3), 2)
W_out_a = rng.normal(size=(20, 4)) * 0.5
h_b = rng.normal(size=(8, 4))


def _nsl_forward(W, corpus, sample_size, h, target, seed):
    return [new(W, corpus, 0.75, sample_size),
            call("forward", h, target, Seeded(seed), label=f"forward(h, target, rng) の損失（rng の種 {seed}）")]


def _nsl_backward(W, corpus, sample_size, h, target, seed, dout=None):
    steps = [new(W, corpus, 0.75, sample_size), call("forward", h, target, Seeded(seed), record=False)]
    if dout is None:
        steps.append(call("backward", label="backward() の戻り値 dh"))
    else:
        steps.append(call("backward", dout, label=f"backward({dout}) の戻り値 dh"))
    steps.append(get("grads", label="backward のあとの grads（[dW]、正例と負例の合計）"))
    return steps


NSL_FORWARD_VISIBLE = [Scenario("W (7, 3)、7 単語のコーパス、sample_size = 2、N = 3",
                                _nsl_forward(v_W_out, v_corpus, 2, v_h[:3], np.array([0, 1, 0]), 1))]
NSL_FORWARD_HIDDEN = [
    Scenario("W (20, 4)、ジップ分布のコーパス、sample_size = 5、N = 8",
             _nsl_forward(W_out_a, corpus_zipf, 5, h_b, corpus_zipf[:8], 2)),
    Scenario("sample_size = 1、N = 1", _nsl_forward(W_out_a, corpus_zipf, 1, h_b[:1], corpus_zipf[:1], 3)),
    Scenario("h が 0（どのスコアも 0）", _nsl_forward(v_W_out, v_corpus, 3, np.zeros((2, 3)), np.array([0, 1]), 4)),
]
NSL_BACKWARD_VISIBLE = [
    Scenario("W (7, 3)、sample_size = 2、N = 3 の backward()",
             _nsl_backward(v_W_out, v_corpus, 2, v_h[:3], np.array([0, 1, 0]), 1)),
    Scenario("同じ入力で backward(dout = 2.0)", _nsl_backward(v_W_out, v_corpus, 2, v_h[:3], np.array([0, 1, 0]), 1, 2.0)),
]
NSL_BACKWARD_HIDDEN = [
    Scenario("W (20, 4)、sample_size = 5、N = 8", _nsl_backward(W_out_a, corpus_zipf, 5, h_b, corpus_zipf[:8], 2)),
    Scenario("sample_size = 1、N = 1", _nsl_backward(W_out_a, corpus_zipf, 1, h_b[:1], corpus_zipf[:1], 3)),
    Scenario("backward(dout = 0.5)、sample_size = 3", _nsl_backward(W_out_a, corpus_zipf, 3, h_b, corpus_zipf[:8], 5, 0.5)),
]


def _embedding(scenarios, visible, prerequisite_of=""):
    return ClassCheck(function="Embedding", reference=ReferenceEmbedding, scenarios=scenarios, visible=visible,
                      mistakes=EMBEDDING_MISTAKES, error_hints=EMBEDDING_ERRORS, rtol=RTOL, atol=ATOL, dtype="float",
                      prerequisite_of=prerequisite_of)


def _embedding_dot(scenarios, visible, prerequisite_of=""):
    return ClassCheck(function="EmbeddingDot", reference=ReferenceEmbeddingDot, scenarios=scenarios, visible=visible,
                      mistakes=DOT_MISTAKES, error_hints=DOT_ERRORS, rtol=RTOL, atol=ATOL, dtype="float",
                      prerequisite_of=prerequisite_of)


def _sampler_check(scenarios, visible, prerequisite_of=""):
    return ClassCheck(function="UnigramSampler", reference=ReferenceUnigramSampler, scenarios=scenarios,
                      visible=visible, mistakes=SAMPLER_MISTAKES, error_hints=SAMPLER_ERRORS, rtol=1e-12, atol=1e-15,
                      prerequisite_of=prerequisite_of)


def _prerequisites():
    return [_embedding(EMBEDDING_VISIBLE, EMBEDDING_VISIBLE, "NegativeSamplingLoss"),
            _embedding_dot(DOT_VISIBLE, DOT_VISIBLE, "NegativeSamplingLoss"),
            _sampler_check(SAMPLER_VISIBLE, SAMPLER_VISIBLE, "NegativeSamplingLoss")]


def _nsl_check(scenarios, visible, mistakes):
    return ClassCheck(function="NegativeSamplingLoss", reference=ReferenceNegativeSamplingLoss, scenarios=scenarios,
                      visible=visible, mistakes=mistakes, error_hints=NSL_ERRORS, rtol=1e-6, atol=1e-9)


CHECKS = {
    "Embedding_backward": [_embedding(EMBEDDING_HIDDEN, EMBEDDING_VISIBLE)],
    "EmbeddingDot_backward": [_embedding(EMBEDDING_VISIBLE, EMBEDDING_VISIBLE, "EmbeddingDot"),
                              _embedding_dot(DOT_HIDDEN, DOT_VISIBLE)],
    "UnigramSampler_draws": [_sampler_check(SAMPLER_HIDDEN, SAMPLER_VISIBLE)],
    "NegativeSamplingLoss_forward": [*_prerequisites(),
                                     _nsl_check(NSL_FORWARD_HIDDEN, NSL_FORWARD_VISIBLE, NSL_FORWARD_MISTAKES)],
    "NegativeSamplingLoss_backward": [*_prerequisites(),
                                      _nsl_check(NSL_BACKWARD_HIDDEN, NSL_BACKWARD_VISIBLE, NSL_BACKWARD_MISTAKES)],
}
