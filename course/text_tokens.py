"""Word-like tokens of Japanese text without a dictionary (DAY7): split where the character type changes.

Japanese is written without spaces. A morphological analyser (MeCab, Janome, Sudachi) finds the words
with a dictionary; the course ships none, so DAY7 uses a crude rule that needs no dependency: a new
token starts wherever the *character type* changes (kanji, hiragana, katakana, Latin letters and
digits, anything else), and every punctuation mark or symbol is a token of its own. Whitespace
separates tokens and is dropped. The prolonged sound mark ``ー`` belongs to katakana (``ジョバンニ``,
``ケンタウル``), ``々`` to kanji.

    >>> split_by_char_type("ジョバンニは銀河ステーションを見た。")
    ['ジョバンニ', 'は', '銀河', 'ステーション', 'を', '見', 'た', '。']

Kanji compounds and katakana names come out whole; verbs lose their endings (``見`` / ``た``) and long
hiragana runs stay together (``ところが``), which a dictionary-based analyser would split.
"""

from __future__ import annotations

__all__ = ["char_type", "split_by_char_type", "tokenize_corpus"]


def char_type(ch: str) -> str:
    """``"kanji"``, ``"hiragana"``, ``"katakana"``, ``"latin"`` (ASCII / full-width letters and digits),
    ``"space"`` or ``"symbol"`` (punctuation and everything else)."""
    code = ord(ch)
    if ch.isspace():
        return "space"
    if 0x3041 <= code <= 0x309F:
        return "hiragana"
    if 0x30A1 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:  # includes ー (U+30FC)
        return "katakana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or ch in "々〆ヶ":
        return "kanji"
    if ch.isalnum():
        return "latin"
    return "symbol"


def split_by_char_type(text: str) -> list[str]:
    """Tokens of ``text``: maximal runs of one character type; each symbol alone; spaces dropped."""
    tokens: list[str] = []
    current, current_type = "", None
    for ch in text:
        kind = char_type(ch)
        if kind == current_type and kind not in ("symbol", "space"):
            current += ch
            continue
        if current and current_type != "space":
            tokens.append(current)
        current, current_type = ch, kind
    if current and current_type != "space":
        tokens.append(current)
    return tokens


def tokenize_corpus(name: str | None = None) -> str:
    """The text of a course corpus (``course.corpus.load_corpus``) as space-separated tokens
    (one line per line of the text), ready for ``text.split()``."""
    from .corpus import DEFAULT_CORPUS, load_corpus

    text = load_corpus(name or DEFAULT_CORPUS)
    return "\n".join(" ".join(split_by_char_type(line)) for line in text.split("\n"))
