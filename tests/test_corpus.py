"""course.corpus: the committed corpus matches its data card; the time series is deterministic;
the reference preprocessing of course.sequence follows the conventions of 6_1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from course import corpus, sequence

CARD = Path(corpus.__file__).parent / "data" / "README-corpus.md"


@pytest.mark.parametrize("name", sorted(corpus.CORPORA))
def test_corpus_matches_the_data_card(name):
    text = corpus.load_corpus(name)
    info = corpus.corpus_info(name)
    assert len(text) == info["characters"]
    data = text.encode("utf-8")
    assert hashlib.sha256(data).hexdigest() == info["sha256"]
    card = CARD.read_text(encoding="utf-8")
    assert info["sha256"] in card and f"{info['characters']:,}" in card and f"{len(data):,}" in card
    for notation in ("《", "》", "［＃", "｜", "底本", "-----"):
        assert notation not in text, notation
    assert "\r" not in text and text.endswith("\n") and "\n\n\n" not in text


def test_corpus_is_small_enough_to_ship():
    total = sum((Path(corpus.__file__).parent / "data" / f"{name}.txt").stat().st_size for name in corpus.CORPORA)
    assert total < 1_000_000


def test_unknown_corpus_and_a_changed_file(tmp_path, monkeypatch):
    with pytest.raises(corpus.CorpusError, match="ありません"):
        corpus.load_corpus("wagahai")
    monkeypatch.setitem(corpus.CORPORA, "rashomon", dict(corpus.CORPORA["rashomon"], sha256="0" * 64))
    with pytest.raises(corpus.CorpusError, match="SHA-256"):
        corpus.load_corpus("rashomon")


def test_time_series_is_deterministic_and_seasonal():
    y = corpus.make_time_series(500, period=25, noise=0.0)
    assert y.shape == (500,) and y.dtype == np.float64
    np.testing.assert_allclose(y[25:], y[:-25], atol=1e-12)  # one period later, the same value
    a, b = corpus.make_time_series(seed=3), corpus.make_time_series(seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, corpus.make_time_series(seed=4))
    noise = a - corpus.make_time_series(noise=0.0)
    assert 0.08 < noise.std() < 0.12
    assert corpus.make_time_series(10, noise=0.0, trend=1.0)[-1] == pytest.approx(
        9.0 + np.sin(2 * np.pi * 9 / 25) + 0.5 * np.sin(4 * np.pi * 9 / 25 + 1))


def test_text_split_keeps_the_order():
    train, val = corpus.train_val_split_text("abcdefghij", 0.8)
    assert (train, val) == ("abcdefgh", "ij")


def test_reference_preprocessing_round_trip_on_the_corpus():
    text = corpus.load_corpus()
    char_to_id, id_to_char = sequence.build_vocab(text)
    assert id_to_char[0] == sequence.UNK and char_to_id[sequence.UNK] == 0
    assert len(id_to_char) == len(set(text)) + 1 == len(char_to_id)
    assert id_to_char[1] == text[0]
    ids = sequence.encode(text, char_to_id)
    assert ids.dtype == np.int64 and ids.shape == (len(text),) and ids.min() >= 1
    assert sequence.decode(ids, id_to_char) == text
    assert sequence.encode("猫X", char_to_id).tolist()[1] == 0
    onehot = sequence.one_hot(ids[:50].reshape(5, 10), len(id_to_char))
    assert onehot.shape == (5, 10, len(id_to_char)) and onehot.dtype == np.float64
    np.testing.assert_array_equal(onehot.argmax(axis=-1), ids[:50].reshape(5, 10))
    x, t = sequence.make_windows(np.arange(10.0), 3, horizon=2, stride=2)
    np.testing.assert_array_equal(x, [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    np.testing.assert_array_equal(t, [[3, 4], [5, 6], [7, 8]])
