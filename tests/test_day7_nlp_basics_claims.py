"""The numbers and neighbours the prose of 7.1 states about 『銀河鉄道の夜』, checked by running the notebook's own
demo cells (from source/) with the course's reference functions in place of the student's."""

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ginga():
    from course import nlp_basics

    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day7" / "7_1_nlp_basics.ipynb").read_text(encoding="utf-8"))["cells"]}
    namespace = {name: getattr(nlp_basics, name) for name in nlp_basics.__all__}
    for cell_id in ["7-1-nlp-basics-imports", "7-1-nlp-basics-ginga-corpus", "7-1-nlp-basics-ginga-svd"]:
        exec(compile(cells[cell_id], f"7_1:{cell_id}", "exec"), namespace)
    return namespace


def test_corpus_sizes_as_the_prose_says(ginga):
    assert 14500 < len(ginga["ginga_words"]) < 15500  # "約 1 万 5 千語"
    assert 4100 < len(ginga["word_counts"]) < 4500  # "約 4300 種類"
    assert 600 < ginga["ginga_vocab_size"] < 700  # "約 650 単語"
    singletons = sum(1 for c in ginga["word_counts"].values() if c == 1)
    assert singletons > len(ginga["word_counts"]) / 2  # "半分以上は 1 回しか出てこない"


def test_neighbours_the_prose_names(ginga):
    def top(query, k):
        return [w for w, _ in ginga["most_similar"](query, ginga["ginga_word_to_id"], ginga["ginga_id_to_word"],
                                                     ginga["word_vecs"], top=k)]

    assert top("母", 1) == ["父"]
    assert top("僕", 1) == ["ぼく"]
    assert "黒" in top("白", 5)
    assert "博士" in top("先生", 5)
