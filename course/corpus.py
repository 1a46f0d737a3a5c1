"""Sequence data of DAY6: a small Japanese text corpus and a synthetic time series.

* ``load_corpus(name)`` — the text of one public-domain Aozora Bunko work shipped with the course
  (``course/data/<name>.txt``, UTF-8, the notation stripped by ``scripts/make_corpus.py``; data
  card: ``course/data/README-corpus.md``). The file is checked against its SHA-256 on every load.
  The corpus is small on purpose (the two works are 134 KB), so nothing is downloaded: every
  notebook, test and CI run reads the committed files.
* ``make_time_series(...)`` — a deterministic noisy seasonal series (two sine waves, an optional
  linear trend and Gaussian noise from ``numpy.random.default_rng(seed)``).
* ``train_val_split_text`` — the first part of a text for training, the rest for validation.

The exercises of 6_1 (windowing, vocabulary, ids, one-hot) have reference implementations in
``course.sequence`` for the later notebooks; this module does not import it.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np

__all__ = ["CORPORA", "CorpusError", "load_corpus", "corpus_info", "make_time_series", "train_val_split_text"]


class CorpusError(RuntimeError):
    """A corpus file is missing or is not the file the data card describes."""


# name -> title, author (years), Aozora Bunko card, SHA-256 of course/data/<name>.txt
CORPORA = {
    "ginga_tetsudo_no_yoru": {
        "title": "銀河鉄道の夜", "author": "宮沢賢治", "author_years": "1896–1933",
        "aozora_card": "000081/card456", "characters": 38763,
        "sha256": "7580fc16cef7dfb540a67e3eb94d9b20bc4d8a790646eeebb5673da513687a94",
    },
    "rashomon": {
        "title": "羅生門", "author": "芥川龍之介", "author_years": "1892–1927",
        "aozora_card": "000879/card127", "characters": 5718,
        "sha256": "174b113b358389cfe81c83cdffdb588d04cfca99efcb03925fae5081bb4c1ea4",
    },
}
DEFAULT_CORPUS = "ginga_tetsudo_no_yoru"


def corpus_info(name: str = DEFAULT_CORPUS) -> dict:
    """Title, author, Aozora Bunko card and SHA-256 of a shipped corpus (a copy of ``CORPORA[name]``)."""
    if name not in CORPORA:
        raise CorpusError(f"コーパス {name!r} はありません（あるもの: {', '.join(CORPORA)}）。")
    return dict(CORPORA[name], name=name)


def load_corpus(name: str = DEFAULT_CORPUS) -> str:
    """講座に付いている日本語の文章（青空文庫の作品、ルビや注記を取り除いたもの）を文字列で返す。

    ``name``: ``"ginga_tetsudo_no_yoru"`` (宮沢賢治『銀河鉄道の夜』, default) or ``"rashomon"``
    (芥川龍之介『羅生門』). Lines end with ``"\\n"``; paragraphs are separated by one empty line.
    """
    info = corpus_info(name)
    ref = resources.files("course").joinpath("data", f"{name}.txt")
    try:
        data = ref.read_bytes()
    except OSError as exc:
        raise CorpusError(f"コーパスのファイル {name}.txt を読み込めません（{exc}）。course パッケージを入れ直してください。") from exc
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise CorpusError(f"コーパスのファイル {name}.txt の中身がデータカードの SHA-256 と一致しません。"
                          "ファイルが書き換えられていないか確認してください。")
    return data.decode("utf-8")


def make_time_series(n_steps: int = 500, *, period: float = 25.0, noise: float = 0.1, trend: float = 0.0,
                     seed: int = 0) -> np.ndarray:
    """季節性のある合成時系列（float64、形状 ``(n_steps,)``）。同じ引数なら毎回同じ値になる。

    ``y[k] = sin(2πk / period) + 0.5 sin(4πk / period + 1) + trend * k + noise * ε_k`` with
    ``ε = numpy.random.default_rng(seed).standard_normal(n_steps)`` (one draw of all the noise).
    """
    if n_steps < 0:
        raise ValueError("n_steps は 0 以上にしてください。")
    if period <= 0:
        raise ValueError("period は正の数にしてください。")
    k = np.arange(n_steps, dtype=np.float64)
    eps = np.random.default_rng(seed).standard_normal(n_steps)
    return (np.sin(2 * np.pi * k / period) + 0.5 * np.sin(4 * np.pi * k / period + 1.0)
            + trend * k + noise * eps)


def train_val_split_text(text: str, fraction: float = 0.9) -> tuple[str, str]:
    """The first ``fraction`` of the characters for training, the rest for validation (no shuffling:
    neighbouring characters depend on each other, so a random split would leak)."""
    if not 0 < fraction < 1:
        raise ValueError("fraction は 0 より大きく 1 より小さい値にしてください。")
    cut = int(len(text) * fraction)
    return text[:cut], text[cut:]
