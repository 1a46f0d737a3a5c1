"""The katakana capstone, student side: data, model files, scoring rules and the submission zip.

Everything a student needs besides their own network:

* ``load_katakana()`` — the 3000 training images (200 per class) shipped with the course;
  ``holdout_split`` / ``kfold_indices`` make stratified validation splits.
* ``save_model`` / ``load_model`` — the model file format (below).
* ``check_probabilities`` / ``score_predictions`` — the rules the scorer applies; the server's
  scorer (``autograder.capstone``) calls exactly these functions, so ``self_check`` on held-out
  training images measures the same thing the server measures on the hidden test set.
* ``self_check`` — scores held-out training images like the server and ends with one verdict
  line (提出できます ✔ / 直してください ✘), diagnosing the usual mistakes (input range, input
  shape, over-confident probabilities).
* ``make_submission_zip`` — refuses a folder the scorer would reject or fail (``check_submission_folder``),
  then packs it within the scorer's limits.

Model file format ("genba-dl-model/1"): one ``.npz`` file written by ``numpy.savez`` without
pickle. Every parameter is one numeric array stored under its own name (``W1``, ``b1``, ...:
letters, digits and ``_``, at most 64 characters); the reserved entry ``__format__`` holds the
text ``genba-dl-model/1`` and ``__architecture__`` a free text describing the network (for
example ``"MultiLayerNet(input_size=784, ...)"``); the optional ``__inputs__`` holds
``[min, max, mean, std]`` of the preprocessed training inputs (``save_model(..., inputs=...)``).
``load_model`` returns both reserved entries (the second only when present) with the parameters. Files are read with ``allow_pickle=False``, at most
``MAX_MODEL_BYTES`` bytes, and ``load_model`` checks the names and shapes a notebook declares.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

__all__ = [
    "LABELS", "N_CLASSES", "MODEL_FORMAT", "NOTEBOOK_NAME", "KatakanaDataError", "ModelFileError",
    "ModelFileNotFoundError",
    "PredictionError", "SubmissionPackError", "load_katakana", "holdout_split", "kfold_indices",
    "save_model", "load_model", "check_probabilities", "predict_in_batches", "score_predictions",
    "format_scores", "self_check", "make_submission_zip", "scoring_in_progress", "SelfCheckResult",
    "input_summary", "expected_input_shape", "explain_error", "check_input_range", "check_calibration",
    "check_submission_folder", "show_mistakes",
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

def input_summary(x) -> np.ndarray:
    """``[min, max, mean, std]`` of preprocessed inputs (float64): what a model file records."""
    x = np.asarray(x, dtype=np.float64)
    return np.array([x.min(), x.max(), x.mean(), x.std()]) if x.size else np.zeros(4)


def save_model(path, params: Mapping[str, np.ndarray], *, architecture: str = "", inputs=None) -> Path:
    """学習したパラメータを提出用のモデルファイル（.npz、pickle なし）に保存する。

    ``inputs`` (optional): the preprocessed training inputs; their range (``input_summary``) is
    stored as ``__inputs__`` so that ``self_check`` can compare the submission's ``preprocess``
    with what the model was trained on.
    """
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
    if inputs is not None:
        arrays["__inputs__"] = input_summary(inputs)
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
    inputs = arrays.pop("__inputs__", None)
    if inputs is not None and (inputs.shape != (4,) or inputs.dtype.kind != "f"):
        raise ModelFileError(f"モデルファイル {path.name} の __inputs__ の形式が違います（save_model で保存してください）。")
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
    if inputs is not None:
        arrays["__inputs__"] = inputs
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
    lines.append(f"損失（交差エントロピー誤差の平均）: {scores['loss'] + 0.0:.4f}")
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


def show_mistakes(images, t, probabilities, *, max_images: int = 30, ncols: int = 10, size: float = 1.1):
    """間違えた画像を「正解→予測 確率」のタイトル付きで並べる（図の大きさは枚数に合わせる）。

    ``images`` (N, 28, 28) as loaded, ``t`` the labels, ``probabilities`` (N, 15). Shows at most
    ``max_images`` mistakes, in at most ``ncols`` columns with space between the images; returns
    the figure (None when there is no mistake) and prints how many there are.
    """
    import matplotlib.pyplot as plt

    import course.plotting  # noqa: F401  (Japanese labels)

    p = np.asarray(probabilities)
    t = np.asarray(t)
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != t)
    shown = wrong[:max_images]
    print(f"間違えた画像: {len(wrong)} 枚" + (f"（表示は最初の {len(shown)} 枚）" if len(shown) < len(wrong) else ""))
    if not len(shown):
        return None
    cols = min(ncols, len(shown))
    rows = int(np.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.35), squeeze=False,
                             gridspec_kw={"wspace": 0.35, "hspace": 0.6})
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), shown):
        ax.imshow(np.asarray(images[i]).reshape(28, 28), cmap="gray_r")
        ax.set_title(f"{LABELS[t[i]]}→{LABELS[predicted[i]]} {p[i, predicted[i]]:.0%}", fontsize=9)
    return fig


def scoring_in_progress() -> bool:
    """True inside the scorer's sandbox (self-checks and packing are skipped there)."""
    return os.environ.get(SCORING_ENV) == "1"


# ---------------------------------------------------------------------------------------------
# diagnosing the usual mistakes (shared by self_check, make_submission_zip and the scorer)

def _shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def expected_input_shape(network) -> tuple | None:
    """The input shape a ``course.networks`` network takes, with ``"N"`` for the batch size."""
    if hasattr(network, "input_dim"):
        return ("N", *network.input_dim)
    if hasattr(network, "input_size"):
        return ("N", int(network.input_size))
    return None


def _fits(shape, expected) -> bool:
    if len(expected) == 2:  # fully connected: every image is flattened anyway
        return len(shape) >= 2 and int(np.prod(shape[1:])) == expected[1]
    return tuple(shape[1:]) == tuple(expected[1:])


_HINTS = [
    (re.compile(r"not enough values to unpack \(expected 4, got 2\)"),
     "CNN（ConvNet）の入力は 4 次元の (N, 1, 28, 28) です。preprocess が全結合用の (N, 784) を返していないか確認してください。"),
    (re.compile(r"not enough values to unpack \(expected 4, got 3\)"),
     "CNN（ConvNet）の入力は 4 次元の (N, 1, 28, 28) です。(N, 28, 28) にはチャンネルの次元がないので、"
     "x.reshape(len(x), 1, 28, 28) にしてください。"),
    (re.compile(r"shapes \(\d+,\s*\d+\) and \(\d+,\s*\d+\) not aligned|mismatch in its core dimension"),
     "行列の積の形状が合っていません。ネットワークの入力の大きさ（全結合なら 784 = 28×28）と preprocess の出力の形状を確認してください。"),
    (re.compile(r"NotImplementedError"),
     "まだ書かれていないセルがあります。「ここに解答を書いてください」の部分を書いてから実行してください。"),
    (re.compile(r"name '(\w+)' is not defined"),
     "{0} が定義されていません。import を忘れていないか、自己チェックのセルや別のノートブックで定義したものを使っていないか確認してください。"),
    (re.compile(r"No module named '(\w+)'"),
     "モジュール {0} が見つかりません。自分で書いた .py ファイルなら提出フォルダに入れてください（採点サーバーには講座の環境と同じパッケージしかありません）。"),
]


def explain_error(text: str) -> str | None:
    """A Japanese hint for the raw errors the usual mistakes produce (``text``: "Name: message")."""
    for pattern, hint in _HINTS:
        found = pattern.search(text)
        if found:
            return hint.format(*found.groups())
    return None


@dataclass
class SelfCheckResult:
    """What ``self_check`` found: ``ok`` (ready to submit), ``problems`` (must be fixed),
    ``warnings`` (worth a look), ``scores`` (``score_predictions`` output, or None)."""

    ok: bool
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    scores: dict | None = None

    def __getitem__(self, key):  # result["accuracy"] reads the scores
        return (self.scores or {})[key]

    @property
    def verdict(self) -> str:
        if not self.ok:
            return f"直してください ✘ {self.problems[0]}"
        if self.warnings:
            return f"提出できます ✔（ただし注意が {len(self.warnings)} 件あります: 上の ⚠ を確認してください）"
        return "提出できます ✔"


def check_input_range(preprocess: Callable, x: np.ndarray, trained_on=None) -> tuple[list, list]:
    """Compare ``preprocess(x)`` with the recorded range of the training inputs (``__inputs__``
    of the model file), or with the course's convention [0, 1] when there is no record.
    Returns ``(problems, warnings)`` in Japanese."""
    got = input_summary(preprocess(np.array(x)))
    lo, hi, mean = got[0], got[1], got[2]
    text = f"最小 {lo:.3g}、最大 {hi:.3g}、平均 {mean:.3g}"
    if trained_on is not None:
        r_lo, r_hi, r_mean, r_std = (float(v) for v in trained_on)
        spread = max(r_hi - r_lo, 1e-12)
        if abs(hi - r_hi) > 0.2 * spread or abs(lo - r_lo) > 0.2 * spread or abs(mean - r_mean) > 0.5 * max(r_std, 1e-12):
            hint = "255 で割り忘れていませんか。" if hi > 10 * max(abs(r_hi), 1e-12) else "学習のときと同じ前処理にしてください。"
            return [f"preprocess の出力の範囲（{text}）が、モデルを学習したときの入力"
                    f"（最小 {r_lo:.3g}、最大 {r_hi:.3g}、平均 {r_mean:.3g}）と違います。{hint}"], []
        return [], []
    if hi > 1.5 or lo < -1.5:
        return [], [f"preprocess の出力が 0〜1 の範囲ではありません（{text}）。チュートリアルでは 255 で割りました。"
                    "学習のときも同じ前処理なら問題ありませんが、違うなら直してください"
                    "（save_model(..., inputs=...) で保存すると、ここで学習時の入力と比べられます）。"]
    return [], []


def check_calibration(p: np.ndarray, t: np.ndarray, confident: float = 0.99) -> list:
    """Warn when confident predictions are wrong far more often than their probabilities say.

    Among predictions whose largest probability is at least ``confident``, the expected number of
    mistakes is the sum of ``1 - p``; a warning is given when at least 3 of them are wrong and that
    is more than 3 × the expected number + 2."""
    top = p.max(axis=1)
    wrong = p.argmax(axis=1) != t
    sure = top >= confident
    observed, expected = int((sure & wrong).sum()), float((1 - top[sure]).sum())
    if observed >= 3 and observed > 3 * expected + 2:
        return [f"自信過剰です: 確率 {confident:.0%} 以上で予測した {int(sure.sum())} 枚のうち {observed} 枚が不正解です"
                f"（確率どおりなら {expected:.1f} 枚程度）。間違えた画像の損失がとても大きくなります。"
                "前処理が学習のときと同じか（255 で割ったか）、過学習していないか確認してください。"]
    return []


def self_check(predict_proba: Callable, *, preprocess: Callable | None = None, network=None, model_file=None,
               fraction: float = 0.2, seed: int = 0) -> SelfCheckResult | None:
    """サーバーと同じ規則で、学習に使っていない検証用の画像に対して採点し、提出できるかを判定する。

    Uses the validation part of ``holdout_split(x, t, fraction=fraction, seed=seed)`` of the
    training data: train on the other part (same arguments) for the number to mean anything.
    With ``preprocess`` (and ``network``, ``model_file``) it also checks the input shape the
    network takes and the input range the model was trained on. Prints the scores, every problem
    (✘) and warning (⚠), and ends with one verdict line: 提出できます ✔ or 直してください ✘.
    """
    if scoring_in_progress():
        print("採点サーバー上では自己チェックを省略します。")
        return None
    x, t = load_katakana()
    x_train, _, x_val, t_val = holdout_split(x, t, fraction=fraction, seed=seed)
    result = SelfCheckResult(ok=True)
    blocking = []  # problems that make scoring pointless (no model, wrong shape, preprocess fails)
    trained_on = None
    if model_file is not None:
        try:
            trained_on = load_model(model_file).get("__inputs__")
        except ModelFileError as exc:
            blocking.append(str(exc))
    if preprocess is not None and not blocking:
        try:
            shape = np.shape(preprocess(np.array(x_val[:2])))
            expected = expected_input_shape(network) if network is not None else None
            if expected is not None and not _fits(shape, expected):
                blocking.append(f"ネットワーク（{type(network).__name__}）の入力は形状 {_shape_text(expected)} ですが、"
                                       f"preprocess は画像 2 枚に対して {_shape_text(shape)} を返しています。")
            else:
                problems, warnings = check_input_range(preprocess, x_train, trained_on)
                result.problems += problems
                result.warnings += warnings
        except Exception as exc:  # the student's preprocess failed: say so instead of a raw traceback
            message = f"{type(exc).__name__}: {exc}"
            blocking.append(f"preprocess でエラーが起きました（{message}）。{explain_error(message) or ''}")
    result.problems = blocking + result.problems
    if not blocking:
        try:
            p = predict_in_batches(predict_proba, x_val)
        except PredictionError as exc:
            result.problems.append(f"採点できません: {exc}")
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            result.problems.append(f"predict_proba でエラーが起きました（{message}）。{explain_error(message) or ''}")
        else:
            result.scores = score_predictions(p, t_val)
            print(format_scores(result.scores, f"自己チェック（学習データのうち検証用 {len(t_val)} 枚、サーバーと同じ採点方法）"))
            result.warnings += check_calibration(p, t_val)
    result.ok = not result.problems
    for warning in result.warnings:
        print(f"⚠ {warning}")
    for problem in result.problems[1:]:
        print(f"✘ {problem}")
    print(result.verdict)
    return result


# ---------------------------------------------------------------------------------------------
# packing a submission

_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".venv", "__MACOSX"}
_SKIP_TAG = "grading-skip"
_IPYTHON_NAMES = {"get_ipython", "display", "In", "Out", "exit", "quit", "__session__"}
DRY_RUN_IMAGES = 20
DRY_RUN_TIMEOUT = 120


def _code_cells(nb: dict) -> list[tuple[int, str, bool]]:
    """(code cell number from 1, source, tagged grading-skip) of a notebook read as JSON."""
    cells, number = [], 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append((number, source, _SKIP_TAG in (cell.get("metadata", {}).get("tags") or [])))
    return cells


def _python(source: str):
    """The source as a Python module (IPython magics and shell lines dropped), or None."""
    import ast

    lines = [line if not line.lstrip().startswith(("%", "!")) else "" for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _bound_and_loaded(tree) -> tuple[set, set]:
    import ast

    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return bound, loaded


def _top_level_names(tree) -> set:
    import ast

    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def missing_names(cells: list[tuple[int, str, bool]]) -> dict[str, bool]:
    """Names the scored cells read but never define or import → True when a grading-skip cell
    defines them (the scorer does not run those cells)."""
    import builtins

    bound, loaded, skipped_bound = set(), set(), set()
    for _, source, skipped in cells:
        tree = _python(source)
        if tree is None:
            continue
        b, l = _bound_and_loaded(tree)
        if skipped:
            skipped_bound |= b
        else:
            bound |= b
            loaded |= l
    if "*" in bound:  # "from x import *": the names it binds are unknown here
        return {}
    missing = loaded - bound - set(dir(builtins)) - _IPYTHON_NAMES
    return {name: name in skipped_bound for name in sorted(missing)}


def unsaved_cells(cells: list[tuple[int, str, bool]], history: list[str]) -> list[str]:
    """Definitions whose last run in the kernel (``history``: the kernel's inputs, oldest first)
    differs from the notebook file on disk, or that were never run."""
    last_run = {}
    for source in history:
        tree = _python(source)
        if tree is not None:
            for name in _top_level_names(tree):
                last_run[name] = source.strip()
    found = []
    for number, source, skipped in cells:
        tree = None if skipped else _python(source)
        if tree is None:
            continue
        for name in sorted(_top_level_names(tree)):
            if name not in last_run:
                found.append(f"{number} 番目のコードセル（{name}）がまだ実行されていません")
            elif last_run[name] != source.strip():
                found.append(f"{number} 番目のコードセル（{name}）: ファイルに保存されている内容と、最後に実行した内容が違います")
    return found


def _kernel_history(notebook: Path) -> list[str] | None:
    """The inputs run in this IPython kernel, when the kernel belongs to ``notebook``."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "history_manager"):
        return None
    session = os.environ.get("JPY_SESSION_NAME") or shell.user_ns.get("__session__")
    if session:
        if Path(session).name != notebook.name or (Path(session).is_absolute() and Path(session).resolve() != notebook):
            return None
    elif Path.cwd().resolve() != notebook.parent or "predict_proba" not in shell.user_ns:
        return None
    return [str(s) for s in shell.history_manager.input_hist_raw[1:]]


def _running_notebook_name() -> str | None:
    session = os.environ.get("JPY_SESSION_NAME")
    return Path(session).name if session and session.endswith(".ipynb") else None


_DRY_RUN = r"""
import json, os, sys
import numpy as np
from IPython.core.interactiveshell import InteractiveShell
from course.katakana import check_probabilities
os.environ["COURSE_KATAKANA_SCORING"] = "1"
sys.path.insert(0, os.getcwd())
cells, images = json.loads(sys.argv[1]), np.load(sys.argv[2], allow_pickle=False)
shell = InteractiveShell.instance(colors="NoColor")
def fail(where, exc):
    print(json.dumps({"where": where, "error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(0)
for number, source in cells:
    result = shell.run_cell(source, silent=True)
    if not result.success:
        fail(number, result.error_in_exec or result.error_before_exec)
fn = shell.user_ns.get("predict_proba")
if not callable(fn):
    print(json.dumps({"where": 0, "error": "predict_proba が定義されていません。"}))
    sys.exit(0)
try:
    check_probabilities(fn(np.array(images)), len(images))
except BaseException as exc:
    fail(-1, exc)
print(json.dumps({"ok": True}))
"""


def dry_run(folder: Path, cells: list[tuple[int, str, bool]]) -> str | None:
    """Run the scored cells in a fresh Python (as the scorer does: the folder as working directory,
    grading-skip cells left out) and call ``predict_proba`` on a few training images.
    Returns a Japanese problem, or None."""
    import json
    import subprocess
    import sys
    import tempfile

    x, _ = load_katakana()
    with tempfile.TemporaryDirectory() as tmp:
        images = Path(tmp) / "images.npy"
        np.save(images, x[:DRY_RUN_IMAGES], allow_pickle=False)
        scored = [(n, src) for n, src, skipped in cells if not skipped]
        env = dict(os.environ, MPLBACKEND="Agg", HOME=os.environ.get("HOME", tmp))
        env.pop("JPY_SESSION_NAME", None)
        try:
            done = subprocess.run([sys.executable, "-c", _DRY_RUN, json.dumps(scored), str(images)], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=DRY_RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"新しいカーネルでノートブックを実行したら {DRY_RUN_TIMEOUT} 秒で終わりませんでした（提出用ノートブックで学習していませんか）。"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return f"新しいカーネルでノートブックを実行できませんでした: {done.stderr.strip()[-500:]}"
    outcome = json.loads(lines[-1])
    if outcome.get("ok"):
        return None
    where = {0: "", -1: "predict_proba に学習画像を渡したところ"}.get(outcome["where"], f"{outcome['where']} 番目のコードセルで")
    error = outcome["error"]
    return (f"新しいカーネルで上から実行すると（採点サーバーと同じ）、{where}エラーになります: {error}。"
            + (explain_error(error) or ""))


def check_submission_folder(folder, *, run: bool = True) -> list[str]:
    """What the scorer would reject or fail in ``folder``, in Japanese (empty: ready to zip)."""
    import json

    folder = Path(folder).resolve()
    notebook = folder / NOTEBOOK_NAME
    running = _running_notebook_name()
    if running and running != NOTEBOOK_NAME and (folder / running).is_file():
        return [f"このノートブックの名前は {running} です。採点サーバーは {NOTEBOOK_NAME} しか受け付けないので、"
                f"ファイル名を {NOTEBOOK_NAME} に変えてから（左のファイル一覧で右クリック → Rename）もう一度実行してください。"]
    if not notebook.is_file():
        others = sorted(p.name for p in folder.glob("*.ipynb"))
        if others:
            return [f"{folder.name} に {NOTEBOOK_NAME} がありません（あるのは {', '.join(others)}）。"
                    f"提出用ノートブックの名前を {NOTEBOOK_NAME} に変えてください。"]
        return [f"{folder} に {NOTEBOOK_NAME} がありません。提出用ノートブックと同じフォルダで実行してください。"]
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{NOTEBOOK_NAME} をノートブックとして読めません（{type(exc).__name__}）。Jupyter で開いて保存し直してください。"]
    cells = _code_cells(nb)
    problems = [f"{number} 番目のコードセルがまだ書かれていません（raise NotImplementedError() が残っています）。"
                "書いて実行し、保存（Ctrl+S）してください。"
                for number, source, skipped in cells if not skipped and "raise NotImplementedError" in source]
    history = _kernel_history(notebook)
    if history is not None:
        unsaved = unsaved_cells(cells, history)
        if unsaved:
            problems.append("ファイルに保存されたノートブックが、いま実行したものと違います（" + "、".join(unsaved[:3])
                            + "）。全部のセルを実行してから保存（Ctrl+S）し、もう一度このセルを実行してください。")
    for name, in_skipped in missing_names(cells).items():
        where = "自己チェックなど採点サーバーで実行しないセル（grading-skip）でしか" if in_skipped else "どのセルでも"
        problems.append(f"{name} が{where} import・定義されていません。使う前のセルで import してください。")
    models = sorted({m for _, source, skipped in cells if not skipped for m in re.findall(r"""["']([^"'\n]+\.npz)["']""", source)})
    present = sorted(p.name for p in folder.rglob("*.npz"))
    for model in models:
        path = folder / model
        if not path.is_file() or path.resolve().name != Path(model).name:
            problems.append(f"ノートブックが読み込むモデルファイル {model} が {folder.name} にありません"
                            f"（あるのは {', '.join(present) or 'なし'}）。ファイル名とノートブックの MODEL_FILE を合わせてください。")
            continue
        try:
            load_model(path)
        except ModelFileError as exc:
            problems.append(str(exc))
    if not models and not present:
        problems.append("モデルファイル（.npz）がありません。save_model で保存したファイルを提出フォルダに入れてください。")
    if run and not problems:
        failure = dry_run(folder, cells)
        if failure:
            problems.append(failure)
    return problems


def make_submission_zip(folder=".", output="submission.zip", *, check: bool = True) -> Path | None:
    """提出フォルダ（submit_katakana.ipynb、モデルファイル、自作の .py）を確かめて zip にまとめる。

    With ``check`` (default) the folder is refused (``SubmissionPackError``, a Japanese list of
    what to fix) when the scorer would reject or fail it: the notebook missing or misnamed,
    unfilled or not saved since its last run, a model file it reads missing or invalid, a name
    it uses never imported, or an error when its scored cells run in a fresh Python and
    ``predict_proba`` gets a few images. The archive is deterministic (sorted names, fixed time
    stamps), so the same folder always gives the same bytes and the same SHA-256. Hidden files,
    notebook checkpoints and ``__pycache__`` are left out; the size limits of the scorer are
    checked too. Prints every file it put in the zip.
    """
    if scoring_in_progress():
        return None
    folder, output = Path(folder).resolve(), Path(output).resolve()
    if check:
        problems = check_submission_folder(folder)
        if problems:
            raise SubmissionPackError("zip を作りませんでした。提出の前に直してください:\n"
                                      + "\n".join(f"✘ {p}" for p in problems))
    elif not (folder / NOTEBOOK_NAME).is_file():
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
    print(f"{output.name} を作りました（{len(files)} ファイル、{buffer.tell() / 1024:.0f} KiB）。中身:")
    for rel, path in files:
        print(f"  {rel.as_posix()}  {path.stat().st_size / 1024:.0f} KiB")
    return output
