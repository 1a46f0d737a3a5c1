"""Make the course's small Japanese text corpus from Aozora Bunko source files.

    python scripts/make_corpus.py AOZORA_TEXT_DIR

``AOZORA_TEXT_DIR`` is a checkout of the plain-text mirror of Aozora Bunko (the repository
``aozorahack/aozorabunko_text``; the files used are listed in ``WORKS`` with the SHA-256 of the
original Shift_JIS bytes, so a changed source is refused). For every work the script

1. decodes Shift_JIS (JIS X 0213) and normalises line ends to ``\\n``,
2. drops the header (title, author, the explanation of the notation between the two dashed
   lines) and the colophon (from ``底本：`` on),
3. removes the Aozora notation: ruby ``《…》`` and its start marker ``｜``, annotations
   ``［＃…］`` (headings, indentation, emphasis marks), and characters outside JIS given as
   ``※［＃…］`` (dropped with their annotation),
4. strips the full-width indentation at the start of lines and keeps at most one empty line,

and writes UTF-8 text to ``course/data/<name>.txt``. It prints the size and SHA-256 of each
result for the data card ``course/data/README-corpus.md``; ``tests/test_corpus.py`` checks the
committed files against those hashes.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "course" / "data"

# name -> (path in the mirror, SHA-256 of the original Shift_JIS file)
WORKS = {
    "ginga_tetsudo_no_yoru": ("cards/000081/files/456_ruby_145/456_ruby_145.txt",
                              "e233543790f0aa5ba32ca39c7328f3668bb704c1be69259f4c17636ed23debbe"),
    "rashomon": ("cards/000879/files/127_ruby_150/127_ruby_150.txt",
                 "18fd203e4e805fa8cf05d8ee18db05a29f541e83f4043b67091191ce1db4a319"),
}

DASHES = re.compile(r"^-{20,}$", re.M)
GAIJI = re.compile(r"※［＃[^］]*］")
ANNOTATION = re.compile(r"［＃[^］]*］")
RUBY = re.compile(r"《[^》]*》")


def clean(raw: bytes) -> str:
    text = raw.decode("shift_jisx0213").replace("\r\n", "\n").replace("\r", "\n")
    parts = DASHES.split(text)
    if len(parts) >= 3:  # title + author, the notation explanation, the body
        text = "".join(parts[2:])
    text = text.split("\n底本：")[0]
    text = GAIJI.sub("", text)
    text = ANNOTATION.sub("", text)
    text = RUBY.sub("", text).replace("｜", "")
    lines = [line.lstrip("\u3000 ").rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    return text


def main(source_dir: str) -> None:
    for name, (path, digest) in WORKS.items():
        raw = (Path(source_dir) / path).read_bytes()
        if hashlib.sha256(raw).hexdigest() != digest:
            raise SystemExit(f"{path}: SHA-256 differs from the one recorded; the source has changed")
        text = clean(raw)
        data = text.encode("utf-8")
        out = OUT_DIR / f"{name}.txt"
        out.write_bytes(data)
        print(f"{out.relative_to(ROOT)}: {len(text)} characters, {len(set(text))} distinct, {len(data)} bytes, "
              f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
