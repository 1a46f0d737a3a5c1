"""Hidden checks of 7_3_seq2seq: ``Encoder`` and ``Decoder`` (forward, backward, greedy ``generate``).

Conventions stated in the notebook and tested here (the reference is ``course.seq2seq``, the book
『ゼロから作るDeep Learning ❷』 7 章, with the weights given to the constructors):
- ``Encoder(embed_W, lstm_Wx, lstm_Wh, lstm_b)``: ``TimeEmbedding`` then ``TimeLSTM(stateful=False)``;
  ``params``/``grads`` = embedding's + LSTM's lists (4 arrays). ``forward(xs)`` with ids (N, T) returns the
  last hidden state h (N, H); every call starts from h = c = 0. ``backward(dh)`` puts dh at the last
  time step (zeros elsewhere), runs the LSTM and embedding backward and returns None.
- ``Decoder(embed_W, lstm_Wx, lstm_Wh, lstm_b, affine_W, affine_b)``: ``TimeEmbedding``,
  ``TimeLSTM(stateful=True)``, ``TimeAffine``; ``params``/``grads`` 6 arrays in that order.
  ``forward(xs, h)``: ``set_state(h)`` (c = 0) then scores (N, T, V) (no softmax).
  ``backward(dscore)`` returns dh = ``self.lstm.dh`` (N, H).
- ``generate(h, start_id, sample_size)``: greedy decoding of a batch from ``set_state(h)``: the first
  input is ``start_id`` for every row, then ``sample_size`` steps, each feeding the previous step's
  argmax id (``np.argmax``: the smallest id among ties) with the LSTM state carried; returns an int
  ndarray (N, sample_size) without the start id.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, get, new
from course.seq2seq import Decoder as ReferenceDecoder
from course.seq2seq import Encoder as ReferenceEncoder

NOTEBOOK = "7_3_seq2seq"

RTOL, ATOL = 1e-9, 1e-12


# --------------------------------------------------------------------------- wrong encoders
class _EncoderAllStates(ReferenceEncoder):
    def forward(self, xs):
        super().forward(xs)
        return self.hs


class _EncoderFirstState(ReferenceEncoder):
    def forward(self, xs):
        super().forward(xs)
        return self.hs[:, 0, :]


class _EncoderStateful(ReferenceEncoder):
    def __init__(self, *weights):
        super().__init__(*weights)
        self.lstm.stateful = True


class _EncoderDhAtFirst(ReferenceEncoder):
    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, 0, :] = dh
        self.embed.backward(self.lstm.backward(dhs))


class _EncoderDhEverywhere(ReferenceEncoder):
    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, :, :] = dh[:, np.newaxis, :]
        self.embed.backward(self.lstm.backward(dhs))


class _EncoderNoEmbedBackward(ReferenceEncoder):
    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, -1, :] = dh
        self.lstm.backward(dhs)


ENCODER_FORWARD_MISTAKES = [
    Mistake("forward がすべての時刻の隠れ状態 hs（(N, T, H)）を返しています。Encoder がデコーダに渡すのは最後の時刻の隠れ状態 "
            "hs[:, -1, :]（(N, H)）だけです。", _EncoderAllStates),
    Mistake("最初の時刻の隠れ状態 hs[:, 0, :] を返しています。入力の文字をすべて読み終えた最後の時刻の hs[:, -1, :] を返します。",
            _EncoderFirstState),
    Mistake("前の forward の最後の状態から続けています。Encoder の TimeLSTM は stateful=False で、どの入力も h = c = 0 から"
            "読み始めます（問題どうしは関係がないので、状態を引き継ぎません）。", _EncoderStateful),
]
ENCODER_BACKWARD_MISTAKES = [
    Mistake("dh を最初の時刻に置いています。forward で返したのは最後の時刻の h なので、dhs = np.zeros_like(hs) の最後の時刻 "
            "dhs[:, -1, :] に dh を入れ、ほかの時刻は 0 のまま TimeLSTM の backward に渡します。", _EncoderDhAtFirst),
    Mistake("dh をすべての時刻に入れています。損失に使われたのは最後の時刻の h だけなので、dh を入れるのは dhs[:, -1, :] だけで、"
            "ほかの時刻の勾配は 0 です（過去の時刻へは TimeLSTM の backward が伝えます）。", _EncoderDhEverywhere),
    Mistake("埋め込みレイヤの重みの勾配が 0 のままです。TimeLSTM の backward が返した dxs を self.embed.backward(dxs) に渡して、"
            "埋め込みの勾配も計算します。", _EncoderNoEmbedBackward),
]


# --------------------------------------------------------------------------- wrong decoders
class _DecoderNoState(ReferenceDecoder):
    def forward(self, xs, h):
        self.lstm.reset_state()
        return self.affine.forward(self.lstm.forward(self.embed.forward(xs)))

    def generate(self, h, start_id, sample_size):
        return super().generate(np.zeros_like(h), start_id, sample_size)


class _DecoderSoftmax(ReferenceDecoder):
    def forward(self, xs, h):
        score = super().forward(xs, h)
        e = np.exp(score - score.max(axis=2, keepdims=True))
        return e / e.sum(axis=2, keepdims=True)


class _DecoderNoEmbedBackward(ReferenceDecoder):
    def backward(self, dscore):
        self.lstm.backward(self.affine.backward(dscore))
        return self.lstm.dh


class _DecoderReturnsDxs(ReferenceDecoder):
    def backward(self, dscore):
        dout = self.lstm.backward(self.affine.backward(dscore))
        self.embed.backward(dout)
        return dout


class _GenerateSameInput(ReferenceDecoder):
    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        self.lstm.set_state(h)
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            score = self.affine.forward(self.lstm.forward(self.embed.forward(x)))
            sampled[:, t] = np.argmax(score[:, -1, :], axis=1)
        return sampled


class _GenerateWithStart(ReferenceDecoder):
    def generate(self, h, start_id, sample_size):
        sampled = super().generate(h, start_id, sample_size - 1)
        return np.concatenate([np.full((h.shape[0], 1), start_id, dtype=np.int64), sampled], axis=1)


class _GenerateResetEachStep(ReferenceDecoder):
    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            score = self.forward(x, h)  # set_state(h) again at every step
            sampled[:, t] = np.argmax(score[:, -1, :], axis=1)
            x = sampled[:, t:t + 1]
        return sampled


class _GenerateLastTie(ReferenceDecoder):
    def generate(self, h, start_id, sample_size):
        N = h.shape[0]
        self.lstm.set_state(h)
        sampled = np.empty((N, sample_size), dtype=np.int64)
        x = np.full((N, 1), start_id, dtype=np.int64)
        for t in range(sample_size):
            score = self.affine.forward(self.lstm.forward(self.embed.forward(x)))[:, -1, :]
            sampled[:, t] = score.shape[1] - 1 - np.argmax(score[:, ::-1], axis=1)
            x = sampled[:, t:t + 1]
        return sampled


DECODER_FORWARD_MISTAKES = [
    Mistake("エンコーダから受け取った h を使っていません（LSTM が h = 0 から始まっています）。forward の最初に "
            "self.lstm.set_state(h) を呼び、Decoder の TimeLSTM は stateful=True で作ります（stateful=False だと set_state した h が"
            "使われません）。", _DecoderNoState),
    Mistake("スコアにソフトマックスをかけています。Decoder.forward は TimeAffine の出力（スコア、(N, T, V)）をそのまま返し、"
            "ソフトマックスと損失は Seq2seq の TimeSoftmaxWithLoss が計算します。", _DecoderSoftmax),
]
DECODER_BACKWARD_MISTAKES = [
    Mistake("埋め込みレイヤの重みの勾配が 0 のままです。TimeLSTM の backward が返した勾配を self.embed.backward(...) に渡します。",
            _DecoderNoEmbedBackward),
    Mistake("TimeLSTM の backward が返した入力の勾配 dxs（(N, T, D)）を返しています。Decoder.backward が返すのは、エンコーダから"
            "受け取った h に対する勾配 dh = self.lstm.dh（(N, H)）です。", _DecoderReturnsDxs),
]
GENERATE_MISTAKES = [
    Mistake("毎回 start_id を入力しています。2 文字目からは、1 つ前の時刻に選んだ文字（argmax の ID）を次の入力にします。",
            _GenerateSameInput),
    Mistake("戻り値の最初に start_id が入っています。戻り値は start_id を含まない、生成した sample_size 個の ID (N, sample_size) です。",
            _GenerateWithStart),
    Mistake("1 文字ごとに LSTM の状態を h に戻しています（ループの中で self.forward(x, h) を呼ぶなど）。set_state(h) は最初に 1 回だけ"
            "呼び、そのあとは stateful=True の TimeLSTM に 1 文字ずつ forward して状態をつなぎます。", _GenerateResetEachStep),
    Mistake("最大のスコアが複数あるときに、大きいほうの ID を選んでいます。np.argmax と同じく、いちばん小さい ID を選びます。",
            _GenerateLastTie),
    Mistake("エンコーダから受け取った h を使っていません（LSTM が h = 0 から始まっています）。最初に self.lstm.set_state(h) を呼びます。",
            _DecoderNoState),
]

ERROR_HINTS = [
    ("shapes", "行列の積の形が合っていません。xs は ID の (N, T) の整数配列で、TimeEmbedding で (N, T, D)、TimeLSTM で (N, T, H)、"
               "TimeAffine で (N, T, V) になります。"),
    ("could not be broadcast", "配列の形状が合っていません。Encoder.backward の dhs は hs と同じ (N, T, H) で、dh (N, H) を "
                               "dhs[:, -1, :] に入れます。"),
    ("NoneType", "None を計算に使っています。forward で self.hs を保存しているか、レイヤを self.embed などに保存しているか確かめてください。"),
    ("only integers", "ID の配列が整数ではありません。generate の入力 x は np.full((N, 1), start_id, dtype=np.int64) のような整数の配列にします。"),
    ("index", "埋め込みの行を ID で取り出せませんでした。xs と generate の入力は整数の ID の配列です。"),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(7300)


def _encoder_weights(V, D, H, scale=0.8):
    return [rng.normal(size=(V, D)), rng.normal(size=(D, 4 * H)) * scale, rng.normal(size=(H, 4 * H)) * scale,
            rng.normal(size=4 * H) * 0.3]


def _decoder_weights(V, D, H, scale=0.8):
    return _encoder_weights(V, D, H, scale) + [rng.normal(size=(H, V)) * 1.5, rng.normal(size=V) * 0.3]


# visible: V = 6, D = 3, H = 4
v_enc = _encoder_weights(6, 3, 4)
v_dec = _decoder_weights(6, 3, 4)
v_xs = np.array([[1, 3, 0, 5], [2, 2, 4, 1]])
v_xs2 = np.array([[5, 4, 3, 2], [0, 1, 0, 1]])
v_dh = np.round(rng.normal(size=(2, 4)), 2)
v_h = np.round(rng.normal(size=(2, 4)) * 0.8, 2)
v_dec_xs = np.array([[0, 2, 5], [0, 4, 4]])
v_dscore = np.round(rng.normal(size=(2, 3, 6)), 2)
v_h3 = np.round(rng.normal(size=(3, 4)) * 0.8, 2)
_g = np.random.default_rng(12)  # generation weights whose greedy outputs vary from step to step
v_gen = [_g.normal(size=(6, 3)) * 2, _g.normal(size=(3, 16)), _g.normal(size=(4, 16)), _g.normal(size=16) * 0.3,
         _g.normal(size=(4, 6)) * 2, _g.normal(size=6) * 0.3]
v_gen_h = np.round(_g.normal(size=(3, 4)), 2)
v_tie = list(v_dec[:4]) + [np.zeros((4, 6)), np.array([0.0, 1.0, 3.0, 3.0, 1.0, 0.0])]  # scores 0,1,3,3,1,0: id 2

# hidden: V = 9, D = 4, H = 5 and V = 5, D = 2, H = 3
h_enc = _encoder_weights(9, 4, 5)
h_dec = _decoder_weights(9, 4, 5)
s_enc = _encoder_weights(5, 2, 3, 0.5)
s_dec = _decoder_weights(5, 2, 3, 0.5)
h_xs = rng.integers(0, 9, size=(4, 7))
h_xs2 = rng.integers(0, 9, size=(4, 7))
h_xs_rep = np.array([[3, 3, 3, 3, 3, 3, 3], [1, 8, 1, 8, 1, 8, 1], [0, 0, 0, 0, 0, 0, 8], [2, 4, 6, 8, 7, 5, 3]])
s_xs = rng.integers(0, 5, size=(1, 3))
h_dh = rng.normal(size=(4, 5))
s_dh = rng.normal(size=(1, 3))
h_h = rng.normal(size=(4, 5)) * 0.8
s_h = rng.normal(size=(1, 3)) * 0.8
h_dec_xs = rng.integers(0, 9, size=(4, 5))
s_dec_xs = rng.integers(0, 5, size=(1, 1))
h_dscore = rng.normal(size=(4, 5, 9))
s_dscore = rng.normal(size=(1, 1, 5))
h_h8 = rng.normal(size=(8, 5)) * 1.2
h_gen = [rng.normal(size=(9, 4)) * 2, rng.normal(size=(4, 20)), rng.normal(size=(5, 20)), rng.normal(size=20) * 0.3,
         rng.normal(size=(5, 9)) * 2, rng.normal(size=9) * 0.3]
h_tie = list(h_gen[:4]) + [np.zeros((5, 9)), np.array([0.5, 2.0, -1.0, 2.0, 2.0, 0.0, 1.0, 2.0, 0.0])]


def _enc_forward(xs, label="forward(xs) の戻り値 h"):
    return call("forward", xs, label=label)


def _enc_backward(xs, dh):
    return [call("forward", xs, record=False), call("backward", dh, record=False),
            get("grads", label="backward(dh) のあとの grads（[埋め込みの W, LSTM の Wx, Wh, b] の勾配）")]


def _dec_forward(xs, h):
    return call("forward", xs, h, label="forward(xs, h) の戻り値（スコア (N, T, V)）")


def _dec_backward(xs, h, dscore):
    return [call("forward", xs, h, record=False),
            call("backward", dscore, label="backward(dscore) の戻り値 dh"),
            get("grads", label="backward のあとの grads（埋め込み、LSTM の Wx, Wh, b、Affine の W, b の勾配）")]


def _generate(h, start_id, size):
    return call("generate", h, start_id, size, label=f"generate(h, {start_id}, {size}) の戻り値")


ENCODER_FORWARD_VISIBLE = [
    Scenario("N = 2, T = 4, V = 6, D = 3, H = 4 の forward", [new(*v_enc), _enc_forward(v_xs)]),
    Scenario("2 回続けて forward（2 回目も h = c = 0 から読む）", [
        new(*v_enc), call("forward", v_xs, record=False), _enc_forward(v_xs2, "2 回目の forward(xs) の戻り値 h")]),
]
ENCODER_FORWARD_HIDDEN = [
    Scenario("N = 4, T = 7, V = 9, D = 4, H = 5 の forward", [new(*h_enc), _enc_forward(h_xs)]),
    Scenario("同じ ID のくり返しを含む入力", [new(*h_enc), _enc_forward(h_xs_rep)]),
    Scenario("N = 1, T = 3 の forward", [new(*s_enc), _enc_forward(s_xs)]),
    Scenario("3 回続けて forward", [new(*h_enc), call("forward", h_xs, record=False), call("forward", h_xs2, record=False),
                                   _enc_forward(h_xs_rep, "3 回目の forward(xs) の戻り値 h")]),
]
ENCODER_BACKWARD_VISIBLE = [
    Scenario("N = 2, T = 4 の forward と backward", [new(*v_enc), *_enc_backward(v_xs, v_dh)]),
    Scenario("forward を 2 回してから backward（2 回目も h = c = 0 から読む）", [
        new(*v_enc), call("forward", v_xs2, record=False), *_enc_backward(v_xs, v_dh)]),
]
ENCODER_BACKWARD_HIDDEN = [
    Scenario("N = 4, T = 7 の forward と backward", [new(*h_enc), *_enc_backward(h_xs, h_dh)]),
    Scenario("同じ ID のくり返しを含む入力の backward", [new(*h_enc), *_enc_backward(h_xs_rep, h_dh)]),
    Scenario("N = 1, T = 3 の backward", [new(*s_enc), *_enc_backward(s_xs, s_dh)]),
    Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
        new(*h_enc), call("forward", h_xs2, record=False), *_enc_backward(h_xs, h_dh)]),
]
DECODER_FORWARD_VISIBLE = [
    Scenario("N = 2, T = 3, V = 6, D = 3, H = 4 の forward（教師強制）", [new(*v_dec), _dec_forward(v_dec_xs, v_h)]),
]
DECODER_FORWARD_HIDDEN = [
    Scenario("N = 4, T = 5, V = 9, D = 4, H = 5 の forward", [new(*h_dec), _dec_forward(h_dec_xs, h_h)]),
    Scenario("N = 1, T = 1 の forward", [new(*s_dec), _dec_forward(s_dec_xs, s_h)]),
    Scenario("2 回続けて forward（2 回目も与えた h から始まる）", [
        new(*h_dec), call("forward", h_dec_xs, h_h * 0.5, record=False), _dec_forward(h_dec_xs, h_h)]),
]
DECODER_BACKWARD_VISIBLE = [
    Scenario("N = 2, T = 3 の forward と backward", [new(*v_dec), *_dec_backward(v_dec_xs, v_h, v_dscore)]),
]
DECODER_BACKWARD_HIDDEN = [
    Scenario("N = 4, T = 5 の forward と backward", [new(*h_dec), *_dec_backward(h_dec_xs, h_h, h_dscore)]),
    Scenario("N = 1, T = 1 の forward と backward", [new(*s_dec), *_dec_backward(s_dec_xs, s_h, s_dscore)]),
]
GENERATE_VISIBLE = [
    Scenario("N = 3, start_id = 0, sample_size = 5 の生成", [new(*v_gen), _generate(v_gen_h, 0, 5)]),
    Scenario("スコアが同点（Affine の W = 0、b = [0, 1, 3, 3, 1, 0]）: いちばん小さい ID 2 を選ぶ",
             [new(*v_tie), _generate(v_h3, 1, 3)]),
]
GENERATE_HIDDEN = [
    Scenario("N = 8, start_id = 3, sample_size = 6 の生成", [new(*h_gen), _generate(h_h8, 3, 6)]),
    Scenario("N = 8, sample_size = 7 の生成（小さな重み）", [new(*h_dec), _generate(h_h8, 3, 7)]),
    Scenario("スコアが同点（Affine の W = 0、最大値 2.0 が ID 1, 3, 4, 7）: ID 1 を選ぶ", [new(*h_tie), _generate(h_h8, 0, 3)]),
    Scenario("N = 1, sample_size = 4 の生成", [new(*s_dec), _generate(s_h, 2, 4)]),
    Scenario("sample_size = 1", [new(*h_dec), _generate(h_h8, 0, 1)]),
    Scenario("forward のあとに generate（generate も与えた h から始まる）", [
        new(*h_gen), call("forward", h_dec_xs, h_h, record=False), _generate(h_h8[:4], 5, 6)]),
]


def _check(cls, reference, scenarios, visible, mistakes, dtype="float", **kw):
    return ClassCheck(function=cls, reference=reference, scenarios=scenarios, visible=visible, mistakes=mistakes,
                      error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype=dtype, **kw)


CHECKS = {
    "encoder_forward": [_check("Encoder", ReferenceEncoder, ENCODER_FORWARD_HIDDEN, ENCODER_FORWARD_VISIBLE,
                               ENCODER_FORWARD_MISTAKES)],
    "encoder_backward": [_check("Encoder", ReferenceEncoder, ENCODER_BACKWARD_HIDDEN, ENCODER_BACKWARD_VISIBLE,
                                ENCODER_FORWARD_MISTAKES + ENCODER_BACKWARD_MISTAKES)],
    "decoder_forward": [_check("Decoder", ReferenceDecoder, DECODER_FORWARD_HIDDEN, DECODER_FORWARD_VISIBLE,
                               DECODER_FORWARD_MISTAKES)],
    "decoder_backward": [_check("Decoder", ReferenceDecoder, DECODER_BACKWARD_HIDDEN, DECODER_BACKWARD_VISIBLE,
                                DECODER_FORWARD_MISTAKES + DECODER_BACKWARD_MISTAKES)],
    "decoder_generate": [_check("Decoder", ReferenceDecoder, GENERATE_HIDDEN, GENERATE_VISIBLE, GENERATE_MISTAKES,
                                dtype="int", returns="array")],
}

