"""The checks of 6_1_sequence_data: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "6_1_sequence_data"

WINDOWS = """
def make_windows(series, window, horizon=1, stride=1):
    n = (len(series) - window - horizon) // stride + 1
    x = np.array([series[i * stride:i * stride + window] for i in range(n)])
    t = np.array([series[i * stride + window:i * stride + window + horizon] for i in range(n)])
    return x, t
"""
WINDOWS_STARTS = """
def make_windows(series, window, horizon=1, stride=1):
    xs, ts = [], []
    for s in range(0, len(series) - window - horizon + 1, stride):
        xs.append(series[s:s + window])
        ts.append(series[s + window:s + window + horizon])
    return np.stack(xs), np.stack(ts)
"""
VOCAB = """
def build_vocab(text):
    char_to_id = {"<unk>": 0}
    id_to_char = ["<unk>"]
    for ch in text:
        if ch not in char_to_id:
            char_to_id[ch] = len(id_to_char)
            id_to_char.append(ch)
    return char_to_id, id_to_char
"""
VOCAB_DICT_FROMKEYS = """
def build_vocab(text):
    id_to_char = ["<unk>"] + list(dict.fromkeys(text))
    char_to_id = {ch: i for i, ch in enumerate(id_to_char)}
    return char_to_id, id_to_char
"""
ENCODE = """
def encode(text, char_to_id):
    return np.array([char_to_id.get(ch, 0) for ch in text], dtype=np.int64)
"""
ENCODE_LOOP = """
def encode(text, char_to_id):
    ids = np.zeros(len(text), dtype=np.int64)
    for i, ch in enumerate(text):
        if ch in char_to_id:
            ids[i] = char_to_id[ch]
    return ids
"""
DECODE = """
def decode(ids, id_to_char):
    return "".join(id_to_char[i] for i in ids)
"""
DECODE_LOOP = """
def decode(ids, id_to_char):
    out = ""
    for i in ids.tolist():
        out += id_to_char[i]
    return out
"""
ONE_HOT = """
def one_hot(ids, vocab_size):
    out = np.zeros(ids.shape + (vocab_size,))
    for index in np.ndindex(ids.shape):
        out[index + (ids[index],)] = 1.0
    return out
"""
ONE_HOT_EYE = """
def one_hot(ids, vocab_size):
    return np.eye(vocab_size)[ids]
"""
CORRECT = {"make_windows_values": {"list comprehension": WINDOWS, "range with a step": WINDOWS_STARTS},
           "build_vocab_values": {"loop": VOCAB, "dict.fromkeys": VOCAB_DICT_FROMKEYS},
           "encode_values": {"get with default": ENCODE, "zeros then fill": ENCODE_LOOP},
           "decode_values": {"join": DECODE, "string concatenation": DECODE_LOOP},
           "one_hot_values": {"ndindex loop": ONE_HOT, "rows of the identity": ONE_HOT_EYE}}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "one window missing": (_replace(WINDOWS, "// stride + 1", "// stride"), "make_windows_values", "1 つ足りません"),
    "targets overlap the inputs": (_replace(WINDOWS, "series[i * stride + window:i * stride + window + horizon]",
                                            "series[i * stride + window - 1:i * stride + window - 1 + horizon]"),
                                   "make_windows_values", "重なっています"),
    "horizon ignored": (_replace(WINDOWS, "i * stride + window + horizon]", "i * stride + window + 1]"),
                        "make_windows_values", "horizon を使っていません"),
    "stride ignored": (_replace(_replace(WINDOWS, "// stride + 1", "+ 1"), "i * stride", "i"),
                       "make_windows_values", "stride を使っていません"),
    "target squeezed": (_replace(WINDOWS, "series[i * stride + window:i * stride + window + horizon]",
                                 "series[i * stride + window] if horizon == 1 else "
                                 "series[i * stride + window:i * stride + window + horizon]"),
                        "make_windows_values", "(N, 1)"),
    "sorted vocabulary": (_replace(VOCAB_DICT_FROMKEYS, "list(dict.fromkeys(text))", "sorted(set(text))"),
                          "build_vocab_values", "並べ替えて"),
    "no <unk>": (_replace(VOCAB_DICT_FROMKEYS, '["<unk>"] + list', "list"), "build_vocab_values", "ID 0 の"),
    "<unk> last": (_replace(VOCAB_DICT_FROMKEYS, '["<unk>"] + list(dict.fromkeys(text))',
                            'list(dict.fromkeys(text)) + ["<unk>"]'), "build_vocab_values", "最後に追加"),
    "a new id per occurrence": (_replace(VOCAB_DICT_FROMKEYS, "list(dict.fromkeys(text))", "list(text)"),
                                "build_vocab_values", "出てくるたびに"),
    "frequency order": ("from collections import Counter\n" + _replace(
        VOCAB_DICT_FROMKEYS, "list(dict.fromkeys(text))", "[c for c, _ in Counter(text).most_common()]"),
        "build_vocab_values", "回数の多い順"),
    "unknown skipped": (_replace(ENCODE, "char_to_id.get(ch, 0) for ch in text",
                                 "char_to_id[ch] for ch in text if ch in char_to_id"), "encode_values", "飛ばしています"),
    "unknown -1": (_replace(ENCODE, "get(ch, 0)", "get(ch, -1)"), "encode_values", "-1 にしています"),
    "unknown new id": (_replace(ENCODE, "get(ch, 0)", "get(ch, len(char_to_id))"), "encode_values", "新しい ID"),
    "KeyError on unknown": (_replace(ENCODE, "char_to_id.get(ch, 0)", "char_to_id[ch]"), "encode_values", "KeyError"),
    "list returned": ("def encode(text, char_to_id):\n    return [char_to_id.get(ch, 0) for ch in text]\n",
                      "encode_values", "リストのまま"),
    "float ids": (_replace(ENCODE, ", dtype=np.int64)", ")"), "encode_values", "浮動小数点数"),
    "list of characters": (_replace(DECODE, 'return "".join(id_to_char[i] for i in ids)',
                                    "return [id_to_char[i] for i in ids]"), "decode_values", "文字のリスト"),
    "joined with spaces": (_replace(DECODE, 'return "".join', 'return " ".join'), "decode_values", "区切り"),
    "<unk> dropped": (_replace(DECODE, "for i in ids)", "for i in ids if i != 0)"), "decode_values", "飛ばしています"),
    "ids shifted": (_replace(DECODE, "id_to_char[i]", "id_to_char[i - 1]"), "decode_values", "1 つずれています"),
    "integer one-hot": (_replace(ONE_HOT_EYE, "np.eye(vocab_size)", "np.eye(vocab_size, dtype=int)"),
                        "one_hot_values", "整数"),
    "width from the data": (_replace(ONE_HOT_EYE, "np.eye(vocab_size)", "np.eye(ids.max() + 1)"),
                            "one_hot_values", "ids.max() + 1"),
    "batch flattened": (_replace(ONE_HOT_EYE, "[ids]", "[ids.ravel()]"), "one_hot_values", "平らに"),
    "transposed": (_replace(ONE_HOT_EYE, "[ids]", "[ids].T"), "one_hot_values", "形状が逆"),
    "input modified": (_replace(ONE_HOT, "    out = np.zeros", "    ids.sort()\n    out = np.zeros"),
                       "one_hot_values", "書き換えられています"),
}

STUBS = {
    "make_windows_values": "def make_windows(series, window, horizon=1, stride=1):\n    raise NotImplementedError()\n",
    "build_vocab_values": "def build_vocab(text):\n    raise NotImplementedError()\n",
    "encode_values": "def encode(text, char_to_id):\n    raise NotImplementedError()\n",
    "decode_values": "def decode(ids, id_to_char):\n    raise NotImplementedError()\n",
    "one_hot_values": "def one_hot(ids, vocab_size):\n    raise NotImplementedError()\n",
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


def test_reference_module_agrees_with_the_check_references():
    """course.sequence (used by the later DAY6 notebooks) follows the conventions the checks test."""
    import numpy as np

    from autograder.checks.day6 import sequence_data as checks
    from course import sequence

    for grade_id, fn in [("make_windows_values", sequence.make_windows), ("build_vocab_values", sequence.build_vocab),
                         ("encode_values", sequence.encode), ("decode_values", sequence.decode),
                         ("one_hot_values", sequence.one_hot)]:
        check = checks.CHECKS[grade_id][0]
        for case in list(check.visible) + list(check.cases):
            expected = check.reference(*case.args, **case.kwargs)
            got = fn(*case.args, **case.kwargs)
            if isinstance(expected, tuple) and isinstance(expected[0], np.ndarray):
                for e, g in zip(expected, got):
                    np.testing.assert_array_equal(e, g)
            elif isinstance(expected, np.ndarray):
                np.testing.assert_array_equal(expected, got)
                assert expected.dtype == got.dtype
            else:
                assert expected == got


def test_strings_travel_to_the_kernel_and_are_compared_with_a_position():
    """Texts are inputs and return values of this notebook: the probe carries str, the judge compares it."""
    from course import probe
    from course.checking import compare, summarize

    for text in ["", "すもも\n", "<unk>" * 3]:
        assert probe.decode_value(probe.encode_value(text)) == text
    assert probe.encode_value(type("S", (str,), {})("x"))["kind"] == "other"  # only exact str travels
    assert compare("ねこ", "ねこ", rtol=0, atol=0, dtype=None, returns="auto") is None
    reason = compare("ねこです", "ねずです", rtol=0, atol=0, dtype=None, returns="auto")
    assert "文字列が違います" in reason and "1 文字目" in reason
    assert "文字列 (str) を返す必要があります" in compare("ねこ", ["ね", "こ"], rtol=0, atol=0, dtype=None, returns="auto")
    assert compare(["a", "b"], ["a", "c"], rtol=0, atol=0, dtype=None, returns="auto").startswith("2 番目の値")
    assert "…" in summarize("あ" * 100) and "100 文字" in summarize("あ" * 100)
