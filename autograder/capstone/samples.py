"""Sample capstone submissions for demos and tests: a model that trains in about a second, the
submission notebook filled in (the answer) or as released, and zips laid out like
``make_submission_zip`` makes them.

Students receive only the fill-in, ``release/capstone/submit_katakana.ipynb``; the answer is the
instructors' source ``source/capstone/submit_katakana.ipynb`` (``answer_notebook`` removes its
solution markers)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import nbformat

from course.functions import softmax
from course.katakana import NOTEBOOK_NAME, holdout_split, load_katakana, save_model

from ..nbgrader_setup import repo_root
from ..notebook_cells import read_notebook, strip_hidden_tests, strip_solution_markers

# ``MultiLayerNet`` without hidden layers: the released answer notebook rebuilds it from this text.
SOFTMAX_REGRESSION = "MultiLayerNet(input_size=784, hidden_size_list=[], output_size=15)"


def softmax_regression(steps: int = 200) -> dict[str, np.ndarray]:
    """A 784 → 15 model trained by plain gradient descent on the training part of
    ``holdout_split`` (200 steps: about 90 % on the hidden test set)."""
    x, t = load_katakana(normalize=True, flatten=True)
    x_train, t_train, _, _ = holdout_split(x, t)
    w, b = np.random.default_rng(0).normal(0, 0.01, (784, 15)), np.zeros(15)
    for _ in range(steps):
        grad = softmax(x_train @ w + b)
        grad[np.arange(len(t_train)), t_train] -= 1
        grad /= len(t_train)
        w -= 0.5 * x_train.T @ grad
        b -= 0.5 * grad.sum(axis=0)
    return {"W1": w.astype(np.float32), "b1": b.astype(np.float32)}


def model_bytes(params: dict, architecture: str = SOFTMAX_REGRESSION) -> bytes:
    """The bytes of a model file (``save_model``) with ``params``."""
    with tempfile.TemporaryDirectory() as tmp:
        return save_model(Path(tmp) / "model.npz", params, architecture=architecture).read_bytes()


def zip_files(files: dict[str, bytes | str]) -> bytes:
    """A zip with ``files`` (name → content) in the given order; fixed time stamps, so the same
    files always give the same bytes (and the same SHA-256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def answer_notebook():
    """The submission notebook filled in: the source with its solution markers removed."""
    nb = read_notebook(repo_root() / "source" / "capstone" / NOTEBOOK_NAME)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solution_markers(strip_hidden_tests(cell.source))
    return nb


def answer_notebook_bytes() -> bytes:
    return nbformat.writes(answer_notebook()).encode("utf-8")


def fill_in_notebook_bytes() -> bytes:
    """The submission notebook as students receive it (untouched)."""
    return (repo_root() / "release" / "capstone" / NOTEBOOK_NAME).read_bytes()
