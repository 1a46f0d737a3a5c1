"""Generated sequence-to-sequence tasks with exact answers for DAY7 (no downloads).

Two tasks, as in 『ゼロから作るDeep Learning ❷』 7 章 and 8 章, generated here from a seed:

* addition (``make_addition``): questions ``"16+75"`` padded with spaces to ``2 * digits + 1``
  characters, answers ``"_91"`` (the start symbol ``"_"`` then the sum) padded with spaces to
  ``digits + 2`` characters. The operands are drawn uniformly from 0 .. 10**digits - 1.
* date-format conversion (``make_dates``): questions are one date written in one of several
  formats (``"september 27, 1994"``, ``"9/27/94"``, ``"TUESDAY, SEPTEMBER 27, 1994"``, ...), padded
  with spaces to ``DATE_QUESTION_LEN`` characters; answers are ``"_1994-09-27"`` (start symbol and
  ISO date, ``DATE_ANSWER_LEN`` = 11 characters). Dates are drawn uniformly from 1900-01-01 ..
  2099-12-31, the format uniformly from ``DATE_FORMATS``.

Padding convention: the space ``" "`` is an ordinary character of the vocabulary (the models learn
to read and to write it); every question of a task has the same length, every answer too, so a
mini-batch is one integer array. Exact-match accuracy compares the whole answer string after the
start symbol, padding included.

Vocabularies are fixed character lists (``ADDITION_CHARS``, ``DATE_CHARS``), so the ids do not
depend on the data drawn. Draw order (for reproducibility): ``rng = np.random.default_rng(seed)``;
addition draws ``rng.integers(0, 10**digits, size=(n, 2))``; dates draw
``rng.integers(0, n_days, size=n)`` then ``rng.integers(0, len(DATE_FORMATS), size=n)``.
"""

from __future__ import annotations

import datetime

import numpy as np

__all__ = ["ADDITION_CHARS", "DATE_CHARS", "DATE_FORMATS", "DATE_QUESTION_LEN", "DATE_ANSWER_LEN", "START",
           "Vocabulary", "make_addition", "make_dates", "format_date", "exact_match"]

START = "_"
ADDITION_CHARS = "0123456789+ _"
DATE_CHARS = " ,-./0123456789_" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DATE_QUESTION_LEN = 29
DATE_ANSWER_LEN = 11

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# name -> how the date is written (d: datetime.date)
DATE_FORMATS = (
    "month d, yyyy",       # september 27, 1994
    "Mon d, yyyy",         # Sep 27, 1994
    "d MONTH yyyy",        # 27 SEPTEMBER 1994
    "m/d/yy",              # 9/27/94
    "mm/dd/yyyy",          # 09/27/1994
    "yyyy.m.d",            # 1994.9.27
    "DAY, MONTH d, yyyy",  # TUESDAY, SEPTEMBER 27, 1994
    "Day, d Mon yyyy",     # Tuesday, 27 Sep 1994
)


class Vocabulary:
    """A fixed character vocabulary: ``encode(strings)`` -> (N, L) int64 ids, ``decode(ids)`` -> strings."""

    def __init__(self, chars: str):
        self.chars = list(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("duplicate characters in the vocabulary")
        self.char_to_id = {c: i for i, c in enumerate(self.chars)}
        self.id_to_char = dict(enumerate(self.chars))

    def __len__(self):
        return len(self.chars)

    def encode(self, strings) -> np.ndarray:
        lengths = {len(s) for s in strings}
        if len(lengths) != 1:
            raise ValueError("all strings of a batch must have the same (padded) length")
        return np.array([[self.char_to_id[c] for c in s] for s in strings], dtype=np.int64)

    def decode(self, ids) -> list[str]:
        return ["".join(self.id_to_char[int(i)] for i in row) for row in np.atleast_2d(ids)]


def make_addition(n: int, seed: int = 0, digits: int = 3) -> tuple[list[str], list[str]]:
    """``n`` addition problems: (questions, answers) as padded strings (see the module docstring)."""
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, 10 ** digits, size=(n, 2))
    q_len, a_len = 2 * digits + 1, digits + 2
    questions = [f"{a}+{b}".ljust(q_len) for a, b in pairs.tolist()]
    answers = [(START + str(a + b)).ljust(a_len) for a, b in pairs.tolist()]
    return questions, answers


def format_date(d: datetime.date, fmt: str) -> str:
    month, day = _MONTHS[d.month - 1], _DAYS[d.weekday()]
    return {
        "month d, yyyy": f"{month} {d.day}, {d.year}",
        "Mon d, yyyy": f"{month[:3].capitalize()} {d.day}, {d.year}",
        "d MONTH yyyy": f"{d.day} {month.upper()} {d.year}",
        "m/d/yy": f"{d.month}/{d.day}/{d.year % 100:02d}",
        "mm/dd/yyyy": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "yyyy.m.d": f"{d.year}.{d.month}.{d.day}",
        "DAY, MONTH d, yyyy": f"{day.upper()}, {month.upper()} {d.day}, {d.year}",
        "Day, d Mon yyyy": f"{day.capitalize()}, {d.day} {month[:3].capitalize()} {d.year}",
    }[fmt]


_FIRST = datetime.date(1900, 1, 1)
_N_DAYS = (datetime.date(2099, 12, 31) - _FIRST).days + 1


def make_dates(n: int, seed: int = 0, formats=DATE_FORMATS) -> tuple[list[str], list[str]]:
    """``n`` date conversions: (questions, answers) as padded strings (see the module docstring).

    Note: the two-digit year of ``"m/d/yy"`` is ambiguous over 1900-2099; only the other formats are
    used unless ``formats`` is given explicitly (the default keeps the years recoverable: ``m/d/yy`` is
    drawn only for 1950-2049 dates, written for the century the year belongs to)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, _N_DAYS, size=n)
    kinds = rng.integers(0, len(formats), size=n)
    questions, answers = [], []
    for offset, kind in zip(days.tolist(), kinds.tolist()):
        d = _FIRST + datetime.timedelta(days=offset)
        fmt = formats[kind]
        if fmt == "m/d/yy" and not 1950 <= d.year <= 2049:
            fmt = "mm/dd/yyyy"  # two-digit years are read as 1950-2049
        questions.append(format_date(d, fmt).ljust(DATE_QUESTION_LEN))
        answers.append((START + d.isoformat()).ljust(DATE_ANSWER_LEN))
    return questions, answers


def exact_match(predicted, answers) -> float:
    """Share of rows whose predicted ids equal the answer ids in every position (both (N, L) arrays)."""
    predicted, answers = np.asarray(predicted), np.asarray(answers)
    return float(np.mean(np.all(predicted == answers, axis=1)))
