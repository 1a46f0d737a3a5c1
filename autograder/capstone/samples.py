"""Sample capstone submissions for demos and tests: a model that trains in about a second and
zips laid out like ``make_submission_zip`` makes them."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from course.functions import softmax
from course.katakana import holdout_split, load_katakana, save_model

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
