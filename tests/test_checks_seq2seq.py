"""The checks of 7_3_seq2seq: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the answer's backward passes
(encoder and decoder joined) are proven against numerical gradients."""

import json
from pathlib import Path

import numpy as np
import pytest

NB = "7_3_seq2seq"
CELLS = ["encoder_forward", "encoder_backward", "decoder_forward", "decoder_backward", "decoder_generate"]
REPO = Path(__file__).resolve().parent.parent

IMPORTS = """
import numpy as np
from course.time_embedding import TimeEmbedding
from course.time_layers import TimeAffine
from course.time_lstm import TimeLSTM
"""

BOOK_ENCODER = """
class Encoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b):
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=False)
        self.params = self.embed.params + self.lstm.params
        self.grads = self.embed.grads + self.lstm.grads
        self.hs = None

    def forward(self, xs):
        xs = self.embed.forward(xs)
        hs = self.lstm.forward(xs)
        self.hs = hs
        return hs[:, -1, :]

    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, -1, :] = dh
        dout = self.lstm.backward(dhs)
        dout = self.embed.backward(dout)
        return dout
"""

BOOK_DECODER = """
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
        score = self.affine.forward(out)
        return score

    def backward(self, dscore):
        dout = self.affine.backward(dscore)
        dout = self.lstm.backward(dout)
        dout = self.embed.backward(dout)
        dh = self.lstm.dh
        return dh

    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        self.lstm.set_state(h)
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            out = self.embed.forward(x)
            out = self.lstm.forward(out)
            score = self.affine.forward(out)
            sampled[:, t] = np.argmax(score[:, -1, :], axis=-1)
            x = sampled[:, t:t + 1]
        return sampled
"""

# written differently: layers in a list, explicit loops, generate with python lists and a Python int id
OTHER_ENCODER = """
class Encoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b):
        self.layers = [TimeEmbedding(embed_W), TimeLSTM(lstm_Wx, lstm_Wh, lstm_b)]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def forward(self, xs):
        out = xs
        for layer in self.layers:
            out = layer.forward(out)
        self.shape = out.shape
        return out[:, -1]

    def backward(self, dh):
        dhs = np.zeros(self.shape)
        dhs[:, -1] = dh
        for layer in reversed(self.layers):
            dhs = layer.backward(dhs)
"""

OTHER_DECODER = """
class Decoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b):
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.affine = TimeAffine(affine_W, affine_b)
        layers = [self.embed, self.lstm, self.affine]
        self.params = sum((layer.params for layer in layers), [])
        self.grads = sum((layer.grads for layer in layers), [])

    def _run(self, xs):
        return self.affine.forward(self.lstm.forward(self.embed.forward(xs)))

    def forward(self, xs, h):
        self.lstm.set_state(h)
        return self._run(xs)

    def backward(self, dscore):
        self.embed.backward(self.lstm.backward(self.affine.backward(dscore)))
        return self.lstm.dh

    def generate(self, h, start_id, sample_size):
        self.lstm.set_state(h)
        ids = [np.full(len(h), start_id)]
        for _ in range(sample_size):
            score = self._run(ids[-1].reshape(-1, 1))
            ids.append(score[:, 0].argmax(axis=1))
        return np.stack(ids[1:], axis=1)
"""

CORRECT_CODE = {"book (7.3, weights given)": IMPORTS + BOOK_ENCODER + BOOK_DECODER,
                "written differently": IMPORTS + OTHER_ENCODER + OTHER_DECODER}
CORRECT = {cell: CORRECT_CODE for cell in CELLS}
BOOK = IMPORTS + BOOK_ENCODER + BOOK_DECODER


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "encoder returns every state": (_replace("return hs[:, -1, :]", "return hs"), "encoder_forward",
                                    "すべての時刻の隠れ状態 hs"),
    "encoder returns the first state": (_replace("return hs[:, -1, :]", "return hs[:, 0, :]"), "encoder_forward",
                                        "最初の時刻の隠れ状態"),
    "encoder stateful": (_replace("self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=False)",
                                  "self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)"), "encoder_forward",
                         "前の forward の最後の状態から続けて"),
    "encoder dh at the first step": (_replace("dhs[:, -1, :] = dh", "dhs[:, 0, :] = dh"), "encoder_backward",
                                     "dh を最初の時刻に置いて"),
    "encoder dh at every step": (_replace("dhs[:, -1, :] = dh", "dhs[:, :, :] = dh[:, None, :]"), "encoder_backward",
                                 "dh をすべての時刻に入れて"),
    "encoder embedding backward skipped": (_replace("dout = self.lstm.backward(dhs)\n        dout = self.embed.backward(dout)",
                                                    "dout = self.lstm.backward(dhs)"), "encoder_backward",
                                           "埋め込みレイヤの重みの勾配が 0 のまま"),
    "decoder ignores h": (_replace("        self.lstm.set_state(h)\n        out = self.embed.forward(xs)",
                                   "        out = self.embed.forward(xs)"), "decoder_forward", "h を使っていません"),
    "decoder lstm not stateful": (_replace("self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)",
                                           "self.lstm = TimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=False)"),
                                  "decoder_forward", "h を使っていません"),
    "decoder returns probabilities": (_replace("        score = self.affine.forward(out)\n        return score",
                                               "        score = self.affine.forward(out)\n"
                                               "        e = np.exp(score - score.max(axis=2, keepdims=True))\n"
                                               "        return e / e.sum(axis=2, keepdims=True)"), "decoder_forward",
                                      "ソフトマックス"),
    "decoder embedding backward skipped": (_replace("        dout = self.embed.backward(dout)\n        dh = self.lstm.dh",
                                                    "        dh = self.lstm.dh"), "decoder_backward",
                                           "埋め込みレイヤの重みの勾配が 0 のまま"),
    "decoder returns dxs": (_replace("        dout = self.embed.backward(dout)\n        dh = self.lstm.dh\n        return dh",
                                     "        self.embed.backward(dout)\n        return dout"), "decoder_backward",
                            "dh = self.lstm.dh"),
    "decoder returns nothing": (_replace("        dh = self.lstm.dh\n        return dh", "        dh = self.lstm.dh"),
                                "decoder_backward", "None"),
    "generate feeds start_id every step": (_replace("            x = sampled[:, t:t + 1]\n", ""), "decoder_generate",
                                           "毎回 start_id を入力"),
    "generate returns the start id too": (_replace(
        "        sampled = np.empty((N, sample_size), dtype=np.int64)\n        x = np.full((N, 1), start_id, dtype=np.int64)\n"
        "        for t in range(sample_size):",
        "        sampled = np.empty((N, sample_size), dtype=np.int64)\n        sampled[:, 0] = start_id\n"
        "        x = np.full((N, 1), start_id, dtype=np.int64)\n        for t in range(1, sample_size):").replace(
        "            sampled[:, t] = np.argmax(score[:, -1, :], axis=-1)\n            x = sampled[:, t:t + 1]",
        "            sampled[:, t] = np.argmax(score[:, -1, :], axis=-1)\n            x = sampled[:, t:t + 1]"),
        "decoder_generate", "start_id が入っています"),
    "generate resets the state every step": (_replace(
        "            out = self.embed.forward(x)\n            out = self.lstm.forward(out)\n            score = self.affine.forward(out)\n"
        "            sampled",
        "            score = self.forward(x, h)\n            sampled"), "decoder_generate", "1 文字ごとに LSTM の状態を h に戻して"),
    "generate ignores h": (_replace("        self.lstm.set_state(h)\n        sampled", "        self.lstm.reset_state()\n        sampled"),
                           "decoder_generate", "h を使っていません"),
    "generate picks the largest id among ties": (_replace(
        "sampled[:, t] = np.argmax(score[:, -1, :], axis=-1)",
        "sampled[:, t] = score.shape[2] - 1 - np.argmax(score[:, -1, ::-1], axis=-1)"), "decoder_generate",
        "いちばん小さい ID"),
    "generate returns floats": (_replace("sampled = np.empty((N, sample_size), dtype=np.int64)",
                                         "sampled = np.empty((N, sample_size))"), "decoder_generate", "dtype"),
}

STUB_ENCODER = """
class Encoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, xs):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dh):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUB_DECODER = """
class Decoder:
    def __init__(self, embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, xs, h):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dscore):
        # ここに解答を書いてください
        raise NotImplementedError()

    def generate(self, h, start_id, sample_size):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS = {cell: IMPORTS + STUB_ENCODER + STUB_DECODER for cell in CELLS}


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
    assert cells == set(CELLS)
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"


# --------------------------------------------------------------------------- gradients
def _answer_classes():
    cells = json.loads((REPO / "source" / "day7" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {}
    exec(IMPORTS, ns)
    for cell in cells:
        if cell["id"] in ("Encoder", "Decoder"):
            exec("".join(cell["source"]), ns)
    return ns["Encoder"], ns["Decoder"]


def _reference_classes(peeky=False):
    from course.seq2seq import Decoder, Encoder, PeekyDecoder

    return Encoder, PeekyDecoder if peeky else Decoder


@pytest.mark.parametrize("which", ["answer", "reference", "reference peeky", "other"])
def test_encoder_decoder_match_numerical_gradients(which):
    from course.gradient_check import check_gradients
    from course.time_loss import TimeSoftmaxWithLoss

    peeky = which == "reference peeky"
    if which == "answer":
        Encoder, Decoder = _answer_classes()
    elif which == "other":
        ns = {}
        exec(IMPORTS + OTHER_ENCODER + OTHER_DECODER, ns)
        Encoder, Decoder = ns["Encoder"], ns["Decoder"]
    else:
        Encoder, Decoder = _reference_classes(peeky)
    rng = np.random.default_rng(73)
    V, D, H, N = 7, 3, 4, 2
    enc = [rng.normal(size=(V, D)), rng.normal(size=(D, 4 * H)) * 0.5, rng.normal(size=(H, 4 * H)) * 0.5,
           rng.normal(size=4 * H) * 0.1]
    Din, Hout = (D + H, 2 * H) if peeky else (D, H)
    dec = [rng.normal(size=(V, D)), rng.normal(size=(Din, 4 * H)) * 0.5, rng.normal(size=(H, 4 * H)) * 0.5,
           rng.normal(size=4 * H) * 0.1, rng.normal(size=(Hout, V)), rng.normal(size=V) * 0.1]
    xs, ts = rng.integers(0, V, size=(N, 5)), rng.integers(0, V, size=(N, 4))

    def loss():
        return TimeSoftmaxWithLoss().forward(Decoder(*dec).forward(ts[:, :-1], Encoder(*enc).forward(xs)), ts[:, 1:])

    encoder, decoder, loss_layer = Encoder(*enc), Decoder(*dec), TimeSoftmaxWithLoss()
    loss_layer.forward(decoder.forward(ts[:, :-1], encoder.forward(xs)), ts[:, 1:])
    dh = decoder.backward(loss_layer.backward())
    assert dh.shape == (N, H)
    encoder.backward(dh)
    names = [f"p{k}" for k in range(10)]
    # the peeky decoder's Wx has entries whose gradient is ~1e-6; the central difference leaves ~1e-5 of it
    verdict = check_gradients(loss, dict(zip(names, enc + dec)), dict(zip(names, encoder.grads + decoder.grads)),
                              threshold=1e-4 if peeky else 1e-5)
    assert verdict.passed, verdict.message


def test_generate_of_the_reference_seq2seq_matches_step_by_step_decoding():
    """Seq2seq.generate (batched) gives, row by row, what one-row generation gives."""
    from course.seq2seq import PeekySeq2seq, Seq2seq

    rng = np.random.default_rng(5)
    for cls in (Seq2seq, PeekySeq2seq):
        model = cls(13, 5, 6, seed=3)
        for p in model.params:
            p[...] = rng.normal(size=p.shape)
        xs = rng.integers(0, 13, size=(4, 7))
        batch = model.generate(xs, 12, 4)
        rows = np.concatenate([model.generate(xs[k:k + 1], 12, 4) for k in range(4)])
        assert batch.dtype == np.int64 and batch.shape == (4, 4)
        assert np.array_equal(batch, rows)
