"""The recorded CBOW run of 7_2 (scripts/record_day7_word2vec.py): the record is what the notebook says it is."""

import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent.parent / "course" / "data"


@pytest.fixture(scope="module")
def record():
    rec = json.loads((DATA / "day7_word2vec.json").read_text(encoding="utf-8"))
    with np.load(DATA / "day7_word2vec.npz", allow_pickle=False) as data:
        rec["word_vecs"] = data["word_vecs"]
        rec["id_to_word"] = [str(w) for w in data["id_to_word"]]
    return rec


def test_record_is_small_and_plain(record):
    assert record["generated_by"] == "scripts/record_day7_word2vec.py"
    assert (DATA / "day7_word2vec.npz").stat().st_size < 1_000_000
    assert record["word_vecs"].dtype == np.float32
    assert record["word_vecs"].shape == (record["vocab_size"], record["settings"]["hidden_size"]) == (len(record["id_to_word"]), 100)
    s = record["settings"]
    assert (s["window_size"], s["hidden_size"], s["epochs"], s["sample_size"], s["power"]) == (5, 100, 20, 5, 0.75)


def test_vocabulary_is_the_notebooks(record):
    from collections import Counter

    from course.corpus import load_corpus
    from course.nlp_basics import preprocess
    from course.text_tokens import split_by_char_type

    words = split_by_char_type(load_corpus("ginga_tetsudo_no_yoru"))
    counts = Counter(words)
    _, _, id_to_word = preprocess(" ".join(w if counts[w] >= 3 else "<unk>" for w in words))
    assert id_to_word == record["id_to_word"]


def test_loss_went_down(record):
    loss = record["loss"]
    assert len(loss) == 20
    assert loss[0] > 3.0 and loss[-1] < 2.35 and loss[-1] < loss[4] - 0.15


def test_neighbours_and_analogies_the_notebook_names(record):
    from course.nlp_basics import most_similar

    id_to_word = record["id_to_word"]
    word_to_id = {w: i for i, w in enumerate(id_to_word)}
    vecs = record["word_vecs"].astype(np.float64)
    for query, stored in record["nearest"].items():
        got = most_similar(query, word_to_id, id_to_word, vecs, top=5)
        assert [w for w, _ in got] == [w for w, _ in stored]
    top = {q: [w for w, _ in ranked] for q, ranked in record["nearest"].items()}
    assert top["ジョバンニ"][0] == "カムパネルラ"
    assert top["白"][0] == "黒"
    assert "水" in top["川"][:2]
    first = {(a["a"], a["b"], a["c"]): a["answers"][0][0] for a in record["analogies"]}
    assert first[("父", "母", "男")] == "女"
    assert first[("白", "黒", "赤")] != "青"  # the prose says the other two analogies miss
