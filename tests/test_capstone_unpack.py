"""Safe extraction of capstone submission zips: every unsafe archive is refused before anything
is written outside the destination, with a kind and a Japanese message."""

from __future__ import annotations

import io
import zipfile

import pytest

from autograder.capstone.unpack import SubmissionRejected, unpack_submission
from course.katakana import MAX_FILES, MAX_ZIP_BYTES

from .capstone_support import make_zip

NB = "{}"


def _rejected(data: bytes, tmp_path) -> SubmissionRejected:
    dest = tmp_path / "out"
    with pytest.raises(SubmissionRejected) as info:
        unpack_submission(data, dest)
    # nothing escaped the destination
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])
    assert info.value.message and any("\u3040" <= ch <= "\u30ff" for ch in info.value.message)
    return info.value


def test_plain_and_nested_layouts(tmp_path):
    flat = unpack_submission(make_zip({"submit_katakana.ipynb": NB, "model.npz": b"x", "lib/net.py": "a = 1\n"}),
                             tmp_path / "a")
    assert flat.files == ["lib/net.py", "model.npz", "submit_katakana.ipynb"]
    assert (tmp_path / "a" / "lib" / "net.py").read_text() == "a = 1\n"
    nested = unpack_submission(make_zip({"my_sub/submit_katakana.ipynb": NB, "my_sub/model.npz": b"x",
                                         "__MACOSX/my_sub/._model.npz": b"junk", "my_sub/.ipynb_checkpoints/x": b""}),
                               tmp_path / "b")
    assert nested.files == ["model.npz", "submit_katakana.ipynb"]
    assert (tmp_path / "b" / "submit_katakana.ipynb").is_file()


@pytest.mark.parametrize("data, kind, words", [
    (b"not a zip at all", "bad_zip", "zip"),
    (b"PK\x03\x04" + b"\x00" * 40, "bad_zip", "zip"),
    (make_zip({"model.npz": b"x"}), "missing_notebook", "submit_katakana.ipynb"),
    (make_zip({"submit_katakana_trainee.ipynb": NB, "model.npz": b"x"}), "missing_notebook", "submit_katakana_trainee.ipynb"),
    (make_zip({"a/submit_katakana.ipynb": NB, "b/submit_katakana.ipynb": NB}), "missing_notebook", "複数"),
    (make_zip({"submit_katakana.ipynb": NB, "../evil.py": "x"}), "unsafe_zip", ".."),
    (make_zip({"submit_katakana.ipynb": NB, "/etc/evil": "x"}), "unsafe_zip", "絶対パス"),
    (make_zip({"submit_katakana.ipynb": NB, "C:/evil": "x"}), "unsafe_zip", "絶対パス"),
    (make_zip({"submit_katakana.ipynb": NB}, symlinks={"model.npz": "/etc/passwd"}), "unsafe_zip", "シンボリックリンク"),
    (make_zip({"submit_katakana.ipynb": NB, "Model.npz": b"1", "model.npz": b"2"}), "unsafe_zip", "同じ名前"),
    (make_zip({"submit_katakana.ipynb": NB, **{f"f{i}.py": "" for i in range(MAX_FILES + 1)}}), "unsafe_zip", "多すぎ"),
])
def test_refused_archives(tmp_path, data, kind, words):
    error = _rejected(data, tmp_path)
    assert error.kind == kind
    assert words in error.message


def test_backslash_names_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("submit_katakana.ipynb", NB)
        zf.writestr("..\\..\\evil.py", "x")
    assert _rejected(buffer.getvalue(), tmp_path).kind == "unsafe_zip"


def test_zip_bomb_is_refused_without_writing_it(tmp_path):
    bomb = make_zip({"submit_katakana.ipynb": NB, "model.npz": b"\0" * (150 * 1024 ** 2)})
    assert len(bomb) < MAX_ZIP_BYTES
    error = _rejected(bomb, tmp_path)
    assert error.kind in ("unsafe_zip", "too_large")


def test_lying_sizes_are_caught_while_decompressing(tmp_path):
    data = bytearray(make_zip({"submit_katakana.ipynb": NB, "model.npz": b"\0" * 200_000}))
    # shrink the declared uncompressed size of model.npz in the central directory
    central = data.rfind(b"PK\x01\x02")
    assert data[central + 46:central + 46 + 9] == b"model.npz"
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")
    error = _rejected(bytes(data), tmp_path)
    assert error.kind in ("unsafe_zip", "bad_zip")


def test_too_large_zip(tmp_path):
    error = _rejected(b"PK" + b"\0" * (MAX_ZIP_BYTES + 1), tmp_path)
    assert error.kind == "too_large"


def test_encrypted_entries_are_refused(tmp_path):
    data = bytearray(make_zip({"submit_katakana.ipynb": NB}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    assert _rejected(bytes(data), tmp_path).kind == "unsafe_zip"
