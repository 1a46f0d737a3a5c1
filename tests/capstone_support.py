"""Building katakana capstone submissions (zips in memory) for the tests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import nbformat
import numpy as np

from course.functions import softmax
from course.katakana import holdout_split, load_katakana, save_model

from .grading_support import REPO

RELEASE = REPO / "release" / "capstone"


def train_softmax_regression(steps: int = 200) -> dict[str, np.ndarray]:
    """A quick 784 → 15 model (about 90 % on the hidden test set): the parameters of
    ``MultiLayerNet`` without hidden layers (architecture ``SOFTMAX_REGRESSION``)."""
    x, t = load_katakana(normalize=True, flatten=True)
    x_train, t_train, _, _ = holdout_split(x, t)
    rng = np.random.default_rng(0)
    w, b = rng.normal(0, 0.01, (784, 15)), np.zeros(15)
    for _ in range(steps):
        grad = softmax(x_train @ w + b)
        grad[np.arange(len(t_train)), t_train] -= 1
        grad /= len(t_train)
        w -= 0.5 * x_train.T @ grad
        b -= 0.5 * grad.sum(axis=0)
    return {"W1": w.astype(np.float32), "b1": b.astype(np.float32)}


SOFTMAX_REGRESSION = "MultiLayerNet(input_size=784, hidden_size_list=[], output_size=15)"


def model_bytes(params: dict, architecture: str = SOFTMAX_REGRESSION) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = save_model(Path(tmp) / "model.npz", params, architecture=architecture)
        return path.read_bytes()


def notebook(kind: str = "answer"):
    name = "submit_katakana.ipynb" if kind == "answer" else "submit_katakana_trainee.ipynb"
    return nbformat.read(str(RELEASE / name), as_version=4)


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
