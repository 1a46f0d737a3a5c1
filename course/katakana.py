"""The katakana capstone, student side: data, model files, scoring rules and the submission zip.

Everything a student needs besides their own network:

* ``load_katakana()`` — the 3000 training images (200 per class) shipped with the course;
  ``holdout_split`` / ``kfold_indices`` make stratified validation splits.
* ``save_model`` / ``load_model`` — the model file format (below).
* ``check_probabilities`` / ``score_predictions`` — the rules the scorer applies; the server's
  scorer (``autograder.capstone``) calls exactly these functions, so ``self_check`` on held-out
  training images measures the same thing the server measures on the hidden test set.
* ``make_submission_zip`` — packs a submission folder within the scorer's limits.

Model file format ("genba-dl-model/1"): one ``.npz`` file written by ``numpy.savez`` without
pickle. Every parameter is one numeric array stored under its own name (``W1``, ``b1``, ...:
letters, digits and ``_``, at most 64 characters); the reserved entry ``__format__`` holds the
text ``genba-dl-model/1`` and ``__architecture__`` a free text describing the network (for
example ``"fc 784-100-15 relu"``). Files are read with ``allow_pickle=False``, at most
``MAX_MODEL_BYTES`` bytes, and ``load_model`` checks the names and shapes a notebook declares.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

__all__ = [
    "LABELS", "N_CLASSES", "MODEL_FORMAT", "NOTEBOOK_NAME", "KatakanaDataError", "ModelFileError",
    "ModelFileNotFoundError",
    "PredictionError", "SubmissionPackError", "load_katakana", "holdout_split", "kfold_indices",
    "save_model", "load_model", "check_probabilities", "predict_in_batches", "score_predictions",
    "format_scores", "self_check", "make_submission_zip", "scoring_in_progress",
]

LABELS = tuple("アイウエオカキクケコサシスセソ")
N_CLASSES = len(LABELS)
IMAGE_SHAPE = (28, 28)
TRAIN_FILE = "katakana_train.npz"
NOTEBOOK_NAME = "submit_katakana.ipynb"

MODEL_FORMAT = "genba-dl-model/1"
MAX_MODEL_BYTES = 100 * 1024 ** 2
_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

# Scoring rules (the server uses the same values).
SUM_TOLERANCE = 1e-3  # every row of probabilities must sum to 1 within this
LOSS_EPSILON = 1e-15  # probabilities are clipped to [LOSS_EPSILON, 1] before the logarithm
BATCH_SIZE = 500  # images per call of predict_proba

# Submission zip limits (the server refuses larger or stranger archives before scoring).
MAX_ZIP_BYTES = 30 * 1024 ** 2
MAX_UNPACKED_BYTES = 120 * 1024 ** 2
MAX_FILES = 100
SCORING_ENV = "COURSE_KATAKANA_SCORING"


class KatakanaDataError(RuntimeError):
    """The training data file is missing or damaged."""


class ModelFileError(Exception):
    """A model file that cannot be used; ``kind`` is "missing" or "invalid"."""

    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """The model file is not in the submission folder."""

    def __init__(self, message: str):
        super().__init__(message, "missing")


class PredictionError(ValueError):
    """Probabilities that break the scoring rules; ``kind`` names the rule."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


class SubmissionPackError(RuntimeError):
    """The submission folder cannot be packed within the scorer's limits."""


# ---------------------------------------------------------------------------------------------
# data

def load_katakana(*, normalize: bool = False, flatten: bool = False):
    """カタカナの学習データ（3000 枚、各クラス 200 枚）を読み込む。

    Returns ``(x, t)``: ``x`` (3000, 28, 28) uint8 with 0 = background and 255 = ink
    (``normalize=True`` gives float32 in [0, 1]; ``flatten=True`` gives (3000, 784)),
    ``t`` (3000,) int64 labels 0-14 in the order of ``LABELS``. Fresh arrays on every call.
    """
    path = os.environ.get("COURSE_KATAKANA_TRAIN")
    ref = Path(path) if path else resources.files("course").joinpath("data", TRAIN_FILE)
    try:
        with ref.open("rb") as fh:
            data = np.load(io.BytesIO(fh.read()), allow_pickle=False)
            x, t = np.array(data["x"]), np.array(data["t"])
    except (OSError, KeyError, ValueError) as exc:
        raise KatakanaDataError(
            f"カタカナの学習データ {ref} を読み込めません（{type(exc).__name__}: {exc}）。"
            "course パッケージを入れ直してください。") from exc
    if x.dtype != np.uint8 or x.shape[1:] != IMAGE_SHAPE or t.shape != (len(x),):
        raise KatakanaDataError(f"カタカナの学習データ {ref} の形式が想定と違います: x {x.shape} {x.dtype}, t {t.shape}")
    if normalize:
        x = x.astype(np.float32) / 255.0
    if flatten:
        x = x.reshape(len(x), -1)
    return x, t.astype(np.int64)


def _stratified_order(t: np.ndarray, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.permutation(np.flatnonzero(t == c)) for c in range(N_CLASSES)]


def holdout_split(x, t, *, fraction: float = 0.2, seed: int = 0):
    """Stratified hold-out split: returns ``(x_train, t_train, x_val, t_val)``.

    ``fraction`` of every class goes to validation; the same ``seed`` always gives the same
    split, and ``self_check`` uses this split (defaults) to score on images you did not train on.
    """
    t = np.asarray(t)
    if not 0 < fraction < 1:
        raise ValueError("fraction は 0 より大きく 1 より小さい値にしてください。")
    val = np.sort(np.concatenate([idx[:int(round(len(idx) * fraction))] for idx in _stratified_order(t, seed)]))
    mask = np.zeros(len(t), dtype=bool)
    mask[val] = True
    return x[~mask], t[~mask], x[mask], t[mask]


def kfold_indices(t, k: int = 5, *, seed: int = 0):
    """Stratified k-fold: a list of ``k`` pairs ``(train_index, val_index)``."""
    t = np.asarray(t)
    if k < 2:
        raise ValueError("k は 2 以上にしてください。")
    folds = [[] for _ in range(k)]
    for idx in _stratified_order(t, seed):
        for fold, part in enumerate(np.array_split(idx, k)):
            folds[fold].append(part)
    all_idx = np.arange(len(t))
    pairs = []
    for fold in folds:
        val = np.sort(np.concatenate(fold))
        pairs.append((np.setdiff1d(all_idx, val), val))
    return pairs


# ---------------------------------------------------------------------------------------------
# model files

def save_model(path, params: Mapping[str, np.ndarray], *, architecture: str = "") -> Path:
    """学習したパラメータを提出用のモデルファイル（.npz、pickle なし）に保存する。"""
    path = Path(path)
    if path.suffix != ".npz":
        raise ModelFileError(f"モデルファイルの拡張子は .npz にしてください（{path.name}）。")
    arrays = {}
    for name, value in params.items():
        if not _PARAM_NAME.match(str(name)):
            raise ModelFileError(f"パラメータ名 {name!r} は使えません（英字で始まる英数字と _、64 文字まで）。")
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise ModelFileError(f"パラメータ {name} の型 {array.dtype} は保存できません（数値の配列にしてください）。")
        arrays[name] = array
    arrays["__format__"] = np.array(MODEL_FORMAT)
    arrays["__architecture__"] = np.array(str(architecture))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"モデルファイルが大きすぎます（{size / 2**20:.1f} MiB、上限 {MAX_MODEL_BYTES / 2**20:.0f} MiB）。")
    return path


def load_model(path, *, expected_shapes: Mapping[str, tuple] | None = None) -> dict[str, np.ndarray]:
    """提出用のモデルファイルを読み込み、パラメータの辞書を返す。

    ``expected_shapes`` (e.g. ``{"W1": (784, 100), "b1": (100,)}``) lists the parameters the
    network needs: a missing name or a different shape raises ``ModelFileError`` with a message
    that names it. The architecture text is in the result under ``"__architecture__"``.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileNotFoundError(f"モデルファイル {path} が見つかりません。提出フォルダに入れたか確認してください。")
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"モデルファイル {path.name} が大きすぎます（{size / 2**20:.1f} MiB、上限 {MAX_MODEL_BYTES / 2**20:.0f} MiB）。")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.array(data[name]) for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"モデルファイル {path.name} を .npz として読めません（{type(exc).__name__}: {exc}）。"
                             "save_model で保存したファイルか確認してください。") from exc
    fmt = arrays.pop("__format__", None)
    if fmt is None or fmt.shape != () or str(fmt) != MODEL_FORMAT:
        raise ModelFileError(f"モデルファイル {path.name} は {MODEL_FORMAT} 形式ではありません（save_model で保存してください）。")
    architecture = arrays.pop("__architecture__", np.array(""))
    for name, array in arrays.items():
        if array.dtype.kind not in "fiub":
            raise ModelFileError(f"モデルファイルのパラメータ {name} の型 {array.dtype} は数値ではありません。")
    for name, shape in (expected_shapes or {}).items():
        if name not in arrays:
            raise ModelFileError(f"モデルファイル {path.name} にパラメータ {name} がありません"
                                 f"（あるもの: {', '.join(sorted(arrays)) or 'なし'}）。")
        if tuple(arrays[name].shape) != tuple(shape):
            raise ModelFileError(f"モデルファイル {path.name} のパラメータ {name} の形状が {tuple(shape)} ではなく "
                                 f"{tuple(arrays[name].shape)} です。ネットワークの構成と保存したモデルが合っているか確認してください。")
    arrays["__architecture__"] = str(architecture)
    return arrays


# ---------------------------------------------------------------------------------------------
# scoring rules

def check_probabilities(probabilities, n: int) -> np.ndarray:
    """Check the output of ``predict_proba`` for ``n`` images; returns it as float64.

    Rules: a numpy float array of shape (n, 15), every value finite and in [0, 1], every row
    summing to 1 within ``SUM_TOLERANCE``. Raises ``PredictionError`` (kind ``type``, ``shape``,
    ``dtype``, ``not_finite`` or ``not_probability``) with a Japanese message.
    """
    p = probabilities
    if not isinstance(p, np.ndarray):
        raise PredictionError(f"predict_proba の戻り値は numpy の配列にしてください（{type(p).__name__} が返されました）。", "type")
    if p.shape != (n, N_CLASSES):
        raise PredictionError(f"predict_proba の戻り値の形状は ({n}, {N_CLASSES}) にしてください"
                              f"（画像 {n} 枚に対して {p.shape} が返されました）。", "shape")
    if p.dtype.kind != "f":
        raise PredictionError(f"predict_proba の戻り値は確率（浮動小数点数）にしてください（dtype {p.dtype}）。", "dtype")
    p = p.astype(np.float64)
    bad = ~np.isfinite(p)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise PredictionError(f"predict_proba の戻り値に NaN または無限大が {int(bad.sum())} 個あります"
                              f"（最初は {row} 行目）。ソフトマックスのオーバーフローや学習の発散を確認してください。", "not_finite")
    if (p < 0).any() or (p > 1 + SUM_TOLERANCE).any():
        raise PredictionError("predict_proba の戻り値に 0 未満または 1 を超える値があります。"
                              "スコア（ソフトマックス関数を通す前の値）ではなく確率を返してください。", "not_probability")
    sums = p.sum(axis=1)
    off = np.abs(sums - 1) > SUM_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise PredictionError(f"predict_proba の各行の和が 1 になっていません（{row} 行目の和は {sums[row]:.6g}）。"
                              "最後にソフトマックス関数を通して確率を返してください。", "not_probability")
    return p


def predict_in_batches(predict_proba: Callable, x: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Call ``predict_proba`` on copies of ``x`` in batches and check every answer."""
    parts = []
    for start in range(0, len(x), batch_size):
        batch = np.array(x[start:start + batch_size])
        parts.append(check_probabilities(predict_proba(batch), len(batch)))
    return np.concatenate(parts) if parts else np.zeros((0, N_CLASSES))


def score_predictions(probabilities: np.ndarray, t: np.ndarray) -> dict:
    """Accuracy, cross-entropy, per-class accuracy and the confusion matrix of checked probabilities.

    Ties in the arg max go to the smaller label (``numpy.argmax``). The loss is the mean of
    ``-log(max(p[true], LOSS_EPSILON))``. ``confusion[i][j]`` counts images of class ``i``
    predicted as ``j``.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(t, dtype=np.int64)
    predicted = p.argmax(axis=1)
    correct = predicted == t
    confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(confusion, (t, predicted), 1)
    per_class = [float(correct[t == c].mean()) if (t == c).any() else None for c in range(N_CLASSES)]
    true_p = np.clip(p[np.arange(len(t)), t], LOSS_EPSILON, 1.0)
    return {
        "n": int(len(t)),
        "correct": int(correct.sum()),
        "accuracy": float(correct.mean()) if len(t) else 0.0,
        "loss": float(-np.log(true_p).mean()) if len(t) else 0.0,
        "per_class_accuracy": per_class,
        "confusion": confusion.tolist(),
    }


def format_scores(scores: dict, title: str = "") -> str:
    """A Japanese text table of ``score_predictions`` output."""
    lines = [title] if title else []
    lines.append(f"正解率: {scores['accuracy'] * 100:.2f} %（{scores['correct']} / {scores['n']} 枚）")
    lines.append(f"損失（交差エントロピー誤差の平均）: {scores['loss']:.4f}")
    lines.append("文字ごとの正解率:")
    cells = [f"{LABELS[c]} {acc * 100:5.1f}%" if acc is not None else f"{LABELS[c]}   -  "
             for c, acc in enumerate(scores["per_class_accuracy"])]
    for start in range(0, N_CLASSES, 5):
        lines.append("  " + "   ".join(cells[start:start + 5]))
    confusion = np.asarray(scores["confusion"])
    mistakes = [(int(confusion[i, j]), i, j) for i in range(N_CLASSES) for j in range(N_CLASSES)
                if i != j and confusion[i, j]]
    if mistakes:
        top = ", ".join(f"{LABELS[i]}→{LABELS[j]} {n} 枚" for n, i, j in sorted(mistakes, key=lambda m: (-m[0], m[1], m[2]))[:5])
        lines.append(f"多い間違い（正解→予測）: {top}")
    return "\n".join(lines)


def scoring_in_progress() -> bool:
    """True inside the scorer's sandbox (self-checks and packing are skipped there)."""
    return os.environ.get(SCORING_ENV) == "1"


def self_check(predict_proba: Callable, *, fraction: float = 0.2, seed: int = 0) -> dict | None:
    """サーバーと同じ規則で、学習に使っていない検証用の画像に対して採点する。

    Uses the validation part of ``holdout_split(x, t, fraction=fraction, seed=seed)`` of the
    training data: train on the other part (same arguments) for the number to mean anything.
    """
    if scoring_in_progress():
        print("採点サーバー上では自己チェックを省略します。")
        return None
    x, t = load_katakana()
    _, _, x_val, t_val = holdout_split(x, t, fraction=fraction, seed=seed)
    try:
        p = predict_in_batches(predict_proba, x_val)
    except PredictionError as exc:
        print(f"✗ 採点できません: {exc}")
        raise
    scores = score_predictions(p, t_val)
    print(format_scores(scores, f"自己チェック（学習データのうち検証用 {len(t_val)} 枚、サーバーと同じ採点方法）"))
    return scores


# ---------------------------------------------------------------------------------------------
# packing a submission

_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".venv", "__MACOSX"}


def make_submission_zip(folder=".", output="submission.zip") -> Path | None:
    """提出フォルダ（submit_katakana.ipynb、モデルファイル、自作の .py）を zip にまとめる。

    The archive is deterministic (sorted names, fixed time stamps), so the same folder always
    gives the same bytes and the same SHA-256. Hidden files, notebook checkpoints and
    ``__pycache__`` are left out; the limits of the scorer are checked here first.
    """
    if scoring_in_progress():
        return None
    folder, output = Path(folder).resolve(), Path(output).resolve()
    if not (folder / NOTEBOOK_NAME).is_file():
        raise SubmissionPackError(f"{folder} に {NOTEBOOK_NAME} がありません。提出用ノートブックと同じフォルダで実行してください。")
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts) or path == output:
            continue
        if path.is_symlink():
            raise SubmissionPackError(f"シンボリックリンク {rel} は提出できません。実体のファイルを置いてください。")
        if path.is_file() and path.suffix != ".zip":
            files.append((rel, path))
    if len(files) > MAX_FILES:
        raise SubmissionPackError(f"ファイルが多すぎます（{len(files)} 個、上限 {MAX_FILES} 個）。学習データなど不要なファイルを除いてください。")
    total = sum(p.stat().st_size for _, p in files)
    if total > MAX_UNPACKED_BYTES:
        raise SubmissionPackError(f"ファイルの合計が大きすぎます（{total / 2**20:.1f} MiB、上限 {MAX_UNPACKED_BYTES / 2**20:.0f} MiB）。")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, path in files:
            info = zipfile.ZipInfo(rel.as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    if buffer.tell() > MAX_ZIP_BYTES:
        raise SubmissionPackError(f"zip が大きすぎます（{buffer.tell() / 2**20:.1f} MiB、上限 {MAX_ZIP_BYTES / 2**20:.0f} MiB）。")
    output.write_bytes(buffer.getvalue())
    print(f"{output.name} を作りました（{len(files)} ファイル: {', '.join(r.as_posix() for r, _ in files)}）。")
    return output
