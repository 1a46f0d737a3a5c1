"""Hidden checks of 6_1_sequence_data: windows of a time series, a character vocabulary, ids and one-hot.

Conventions stated in the notebook and tested here:
- ``make_windows(series, window, horizon=1, stride=1)``: ``series`` is ``(T,)`` or ``(T, D)``; window ``i``
  starts at ``s = i * stride``; inputs ``series[s : s + window]``, targets ``series[s + window : s + window +
  horizon]`` (right after the inputs, no overlap); ``N = (T - window - horizon) // stride + 1`` windows (the
  notebook only passes ``T >= window + horizon``); returns ``(x, t)`` with ``x (N, window[, D])`` and
  ``t (N, horizon[, D])`` — ``t`` keeps its horizon axis when ``horizon == 1``; ``series`` is not modified.
- ``build_vocab(text)``: ``(char_to_id, id_to_char)``, a dict and a list; id 0 is ``"<unk>"``; the distinct
  characters of ``text`` get 1, 2, ... in the order of their first appearance.
- ``encode(text, char_to_id)``: a 1-D int array (``np.int64``) of ``len(text)`` ids; a character that is not a
  key of ``char_to_id`` becomes 0 (``"<unk>"``).
- ``decode(ids, id_to_char)``: the string ``"".join(id_to_char[i] for i in ids)`` (id 0 gives ``"<unk>"``).
- ``one_hot(ids, vocab_size)``: a float array (``np.zeros`` default float64) of shape ``ids.shape + (vocab_size,)``
  with a single 1 at ``[..., ids]``; ``ids`` is 1-D ``(T,)`` or 2-D ``(N, T)``.
"""

from collections import Counter

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.corpus import load_corpus, make_time_series

NOTEBOOK = "6_1_sequence_data"
UNK = "<unk>"


# ---------------------------------------------------------------------------------------------
# make_windows

def _windows(series, window, horizon, stride, *, n_windows=None, target_start=None, squeeze=False):
    series = np.asarray(series)
    T = len(series)
    n = (T - window - horizon) // stride + 1 if n_windows is None else n_windows(T, window, horizon, stride)
    starts = [i * stride for i in range(max(n, 0))]
    begin = (lambda s: s + window) if target_start is None else target_start(window)
    x = np.array([series[s:s + window] for s in starts]).reshape((len(starts), window) + series.shape[1:])
    t = np.array([series[begin(s):begin(s) + horizon] for s in starts]).reshape((len(starts), horizon) + series.shape[1:])
    if squeeze and horizon == 1:
        t = t[:, 0]
    return x, t


def reference_make_windows(series, window, horizon=1, stride=1):
    return _windows(series, window, horizon, stride)


WINDOW_MISTAKES = [
    Mistake("窓の数が 1 つ足りません（最後の窓が抜けています）。窓の数は (T - window - horizon) // stride + 1 です。"
            "range(T - window - horizon) のように + 1 を忘れていないか確認してください。",
            lambda series, window, horizon=1, stride=1: _windows(
                series, window, horizon, stride, n_windows=lambda T, w, h, s: (T - w - h) // s)),
    Mistake("目標 t が入力 x と重なっています。目標は入力の直後、series[s + window : s + window + horizon] です"
            "（series[s + window - 1 : ...] から始めると、入力の最後の値が目標にも入ってしまいます）。",
            lambda series, window, horizon=1, stride=1: _windows(
                series, window, horizon, stride, target_start=lambda w: (lambda s: s + w - 1))),
    Mistake("horizon を使っていません。目標 t は入力の直後から horizon ステップ分、形状 (N, horizon) です。",
            lambda series, window, horizon=1, stride=1: _windows(
                series, window, 1, stride, n_windows=lambda T, w, h, s: (T - w - horizon) // s + 1)),
    Mistake("stride を使っていません。i 番目の窓は s = i * stride から始まり、窓の数は (T - window - horizon) // stride + 1 です。",
            lambda series, window, horizon=1, stride=1: _windows(series, window, horizon, 1)),
    Mistake("horizon = 1 のとき、目標 t を (N,) にしています。horizon の軸を残して (N, 1) にしてください"
            "（series[s + window : s + window + horizon] のようにスライスで取り出すと軸が残ります）。",
            lambda series, window, horizon=1, stride=1: _windows(series, window, horizon, stride, squeeze=True)),
]

wave = make_time_series(60, period=12, noise=0.05, seed=61)
wave_2d = np.stack([make_time_series(20, seed=1), make_time_series(20, period=7, seed=2),
                    np.linspace(0.0, 1.0, 20)], axis=1)
spike = np.zeros(9)
spike[4] = 1.0

# ---------------------------------------------------------------------------------------------
# vocabulary, ids, one-hot

def reference_build_vocab(text):
    char_to_id, id_to_char = {UNK: 0}, [UNK]
    for ch in text:
        if ch not in char_to_id:
            char_to_id[ch] = len(id_to_char)
            id_to_char.append(ch)
    return char_to_id, id_to_char


def _vocab_from(chars, *, unk_first=True, unk_last=False):
    id_to_char = ([UNK] if unk_first else []) + list(chars) + ([UNK] if unk_last else [])
    return {ch: i for i, ch in enumerate(id_to_char)}, id_to_char


def _first_appearance(text):
    return list(dict.fromkeys(text))


VOCAB_MISTAKES = [
    Mistake("文字を並べ替えています（sorted など）。ID は文字が文章に初めて出てきた順に 1, 2, ... と付けます。",
            lambda text: _vocab_from(sorted(set(text)))),
    Mistake("ID 0 の \"<unk>\"（未知の文字）がありません。id_to_char[0] を \"<unk>\" にし、文章の文字は ID 1 から付けます。",
            lambda text: _vocab_from(_first_appearance(text), unk_first=False)),
    Mistake("\"<unk>\" を最後に追加しています。\"<unk>\" は ID 0、文章の文字は 1 からです。",
            lambda text: _vocab_from(_first_appearance(text), unk_first=False, unk_last=True)),
    Mistake("文字が出てくるたびに新しい ID を付けています。すでに char_to_id にある文字には ID を付けず、"
            "初めて出てきた文字にだけ次の ID を付けます。",
            lambda text: ({UNK: 0, **{ch: i + 1 for i, ch in enumerate(text)}}, [UNK] + list(text))),
    Mistake("出てくる回数の多い順に ID を付けています。このノートブックでは、初めて出てきた順に ID を付けます。",
            lambda text: _vocab_from([ch for ch, _ in Counter(text).most_common()])),
]

TEXT_VISIBLE = "すもももももももものうち"
corpus_head = load_corpus("rashomon")[:120]


def reference_encode(text, char_to_id):
    return np.array([char_to_id.get(ch, 0) for ch in text], dtype=np.int64)


ENCODE_MISTAKES = [
    Mistake("ID が浮動小数点数になっています。ID は整数なので dtype=np.int64 を指定してください"
            "（空の文字列のとき np.array([]) は float64 になります）。",
            lambda text, char_to_id: np.array([char_to_id.get(ch, 0) for ch in text], dtype=np.float64)),
    Mistake("辞書にない文字（未知の文字）を飛ばしています。未知の文字も 1 文字として ID 0 (\"<unk>\") にし、"
            "戻り値の長さを len(text) にしてください。",
            lambda text, char_to_id: np.array([char_to_id[ch] for ch in text if ch in char_to_id], dtype=np.int64)),
    Mistake("未知の文字を -1 にしています。未知の文字は ID 0 (\"<unk>\") です。",
            lambda text, char_to_id: np.array([char_to_id.get(ch, -1) for ch in text], dtype=np.int64)),
    Mistake("未知の文字に新しい ID (len(char_to_id)) を付けています。語彙は build_vocab で決めたものから変えず、"
            "未知の文字は ID 0 (\"<unk>\") にします。",
            lambda text, char_to_id: np.array([char_to_id.get(ch, len(char_to_id)) for ch in text], dtype=np.int64)),
    Mistake("リストのまま返しています。np.array(..., dtype=np.int64) で numpy の配列にして返してください。",
            lambda text, char_to_id: [char_to_id.get(ch, 0) for ch in text]),
]
ENCODE_ERRORS = [("KeyError", "辞書にない文字（未知の文字）で KeyError になっています。char_to_id.get(ch, 0) のように、"
                              "未知の文字は ID 0 (\"<unk>\") にしてください。")]

vocab_visible = reference_build_vocab("すもも")[0]
vocab_corpus = reference_build_vocab(corpus_head)[0]


def reference_decode(ids, id_to_char):
    return "".join(id_to_char[int(i)] for i in ids)


DECODE_MISTAKES = [
    Mistake("文字のリストを返しています。\"\".join(...) で 1 つの文字列にしてください。",
            lambda ids, id_to_char: [id_to_char[int(i)] for i in ids]),
    Mistake("文字の間に区切り（空白など）を入れています。\"\".join(...) のように区切りなしでつなげます。",
            lambda ids, id_to_char: " ".join(id_to_char[int(i)] for i in ids)),
    Mistake("ID 0 (\"<unk>\") を飛ばしています。ID 0 も id_to_char[0]、つまり \"<unk>\" に戻します。",
            lambda ids, id_to_char: "".join(id_to_char[int(i)] for i in ids if int(i) != 0)),
    Mistake("ID が 1 つずれています。ID i の文字は id_to_char[i] です（i - 1 ではありません）。",
            lambda ids, id_to_char: "".join(id_to_char[int(i) - 1] for i in ids)),
]
id_to_char_visible = [UNK, "す", "も", "の", "う", "ち"]
id_to_char_corpus = reference_build_vocab(corpus_head)[1]


def reference_one_hot(ids, vocab_size):
    ids = np.asarray(ids)
    out = np.zeros(ids.shape + (vocab_size,))
    for index in np.ndindex(ids.shape):
        out[index + (int(ids[index]),)] = 1.0
    return out


ONE_HOT_MISTAKES = [
    Mistake("要素が整数になっています。one-hot は浮動小数点数の配列（np.zeros の既定の float64）にしてください"
            "（あとで重みとの行列積に使います）。",
            lambda ids, vocab_size: reference_one_hot(ids, vocab_size).astype(np.int64)),
    Mistake("列の数を ids.max() + 1 にしています。列の数は語彙の大きさ vocab_size です"
            "（このデータに出てこない ID の列も必要です）。",
            lambda ids, vocab_size: reference_one_hot(ids, int(np.max(ids)) + 1)),
    Mistake("2 次元の ids (N, T) を (N * T, vocab_size) に平らにしています。形状は ids.shape + (vocab_size,)、"
            "つまり (N, T, vocab_size) です。",
            lambda ids, vocab_size: reference_one_hot(np.ravel(ids), vocab_size)),
    Mistake("形状が逆です（(vocab_size, T) になっています）。1 行が 1 つの ID、形状は (T, vocab_size) です。",
            lambda ids, vocab_size: reference_one_hot(ids, vocab_size).T),
]

CHECKS = {
    "make_windows_values": [FunctionCheck(
        function="make_windows", reference=reference_make_windows, dtype=None, rtol=0, atol=0,
        visible=[Case("series = 0, 1, ..., 9（T = 10）、window = 3（horizon = 1, stride = 1）",
                      (np.arange(10.0), 3)),
                 Case("series = 0, 0.5, ..., 5.5（T = 12）、window = 4, horizon = 2, stride = 3",
                      (np.arange(12.0) * 0.5, 4), {"horizon": 2, "stride": 3}),
                 Case("2 次元の series (T = 8, D = 2)、window = 3, horizon = 2",
                      (np.arange(16.0).reshape(8, 2), 3), {"horizon": 2})],
        cases=[Case("周期 12 のノイズ入りの波（T = 60）、window = 12, horizon = 1", (wave, 12)),
               Case("同じ波、window = 10, horizon = 5, stride = 5", (wave, 10), {"horizon": 5, "stride": 5}),
               Case("T = window + horizon ちょうど（窓は 1 つ）", (wave[:7], 4), {"horizon": 3}),
               Case("stride が window より大きい（T = 60, window = 3, stride = 7）", (wave, 3), {"stride": 7}),
               Case("真ん中だけ 1 の series（どの窓のどこに 1 が入るか）", (spike, 3), {"horizon": 2}),
               Case("3 変数の series (20, 3)、window = 5, horizon = 2, stride = 2", (wave_2d, 5),
                    {"horizon": 2, "stride": 2})],
        mistakes=WINDOW_MISTAKES)],
    "build_vocab_values": [FunctionCheck(
        function="build_vocab", reference=reference_build_vocab, dtype="int", rtol=0, atol=0,
        visible=[Case(f"text = \"{TEXT_VISIBLE}\"", (TEXT_VISIBLE,)),
                 Case("text = \"ab\\nba\\n\"（改行も 1 文字）", ("ab\nba\n",)),
                 Case("空の文字列 text = \"\"", ("",))],
        cases=[Case("『羅生門』の冒頭 120 文字", (corpus_head,)),
               Case("同じ文字だけ text = \"ああああ\"", ("ああああ",)),
               Case("句読点と空白を含む text = \"ね、ねこ。 こねこ！\"", ("ね、ねこ。 こねこ！",)),
               Case("text = \"zyxzyx\"（並べ替えると順番が変わる）", ("zyxzyx",)),
               Case("空白 1 文字だけ text = \" \"", (" ",))],
        mistakes=VOCAB_MISTAKES)],
    "encode_values": [FunctionCheck(
        function="encode", reference=reference_encode, dtype="int", returns="array", rtol=0, atol=0,
        visible=[Case("text = \"ももすも\"、\"すもも\" の語彙", ("ももすも", vocab_visible)),
                 Case("語彙にない文字を含む text = \"すいか\"", ("すいか", vocab_visible)),
                 Case("空の文字列", ("", vocab_visible))],
        cases=[Case("『羅生門』の冒頭 120 文字を、その語彙で", (corpus_head, vocab_corpus)),
               Case("すべて語彙にない文字 \"xyz\"", ("xyz", vocab_visible)),
               Case("語彙にない文字が先頭と末尾にある \"!すも?\"", ("!すも?", vocab_visible)),
               Case("同じ文字のくり返し \"ももももも\"", ("ももももも", vocab_visible)),
               Case("空の文字列（語彙は『羅生門』の冒頭 120 文字から）", ("", vocab_corpus))],
        error_hints=ENCODE_ERRORS, mistakes=ENCODE_MISTAKES)],
    "decode_values": [FunctionCheck(
        function="decode", reference=reference_decode, dtype=None, rtol=0, atol=0,
        visible=[Case("ids = [1, 2, 2, 3, 4, 5]", (np.array([1, 2, 2, 3, 4, 5]), id_to_char_visible)),
                 Case("ID 0（\"<unk>\"）を含む ids = [2, 0, 1]", (np.array([2, 0, 1]), id_to_char_visible))],
        cases=[Case("『羅生門』の冒頭 120 文字の ID", (reference_encode(corpus_head, vocab_corpus), id_to_char_corpus)),
               Case("ids = [0, 0]", (np.array([0, 0]), id_to_char_visible)),
               Case("空の ids", (np.zeros(0, dtype=np.int64), id_to_char_visible)),
               Case("最後の ID だけ ids = [5]", (np.array([5]), id_to_char_visible))],
        mistakes=DECODE_MISTAKES)],
    "one_hot_values": [FunctionCheck(
        function="one_hot", reference=reference_one_hot, dtype="float", returns="array", rtol=0, atol=0,
        visible=[Case("1 次元の ids = [1, 0, 3, 1]、vocab_size = 5", (np.array([1, 0, 3, 1]), 5)),
                 Case("2 次元の ids (2, 3)、vocab_size = 4", (np.array([[0, 1, 2], [3, 3, 0]]), 4))],
        cases=[Case("ids = [2]、vocab_size = 3", (np.array([2]), 3)),
               Case("『羅生門』の冒頭 120 文字の ID、vocab_size = 語彙の大きさ + 3",
                    (reference_encode(corpus_head, vocab_corpus), len(id_to_char_corpus) + 3)),
               Case("2 次元の ids (3, 5)、vocab_size = 10",
                    (np.random.default_rng(610).integers(0, 8, size=(3, 5)), 10)),
               Case("すべて ID 0 の ids (4,)、vocab_size = 2", (np.zeros(4, dtype=np.int64), 2))],
        mistakes=ONE_HOT_MISTAKES)],
}
