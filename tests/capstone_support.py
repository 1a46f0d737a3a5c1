"""Building katakana capstone submissions (zips in memory) for the tests."""

from __future__ import annotations

import io
import zipfile

import nbformat

from autograder.capstone.samples import SOFTMAX_REGRESSION, answer_notebook, model_bytes
from autograder.capstone.samples import softmax_regression as train_softmax_regression

from .grading_support import REPO

__all__ = ["SOFTMAX_REGRESSION", "model_bytes", "train_softmax_regression", "notebook", "with_cell", "make_zip",
           "submission", "RELEASE", "REPO"]

RELEASE = REPO / "release" / "capstone"


def notebook(kind: str = "answer"):
    """The submission notebook filled in (``"answer"``) or as students receive it (``"fill_in"``)."""
    if kind == "answer":
        return answer_notebook()
    return nbformat.read(str(RELEASE / "submit_katakana.ipynb"), as_version=4)


def with_cell(nb, source: str, *, replace: str | None = None):
    """A copy of ``nb`` with the code cell that defines ``replace`` swapped for ``source``
    (appended at the end when ``replace`` is None)."""
    nb = nbformat.from_dict(nb)
    if replace is None:
        nb.cells.append(nbformat.v4.new_code_cell(source))
        nb.cells[-1].id = f"added-{len(nb.cells)}"
        return nb
    for cell in nb.cells:
        if cell.cell_type == "code" and replace in cell.source:
            cell.source = source
            return nb
    raise KeyError(replace)


def make_zip(files: dict[str, bytes | str], *, symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return buffer.getvalue()


def submission(nb, model: bytes | None, extra: dict[str, bytes | str] | None = None, prefix: str = "") -> bytes:
    files = {f"{prefix}submit_katakana.ipynb": nbformat.writes(nb)}
    if model is not None:
        files[f"{prefix}model.npz"] = model
    files.update({f"{prefix}{k}": v for k, v in (extra or {}).items()})
    return make_zip(files)
