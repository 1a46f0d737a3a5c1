"""The hidden checks of 1_9_loss_function: right answers pass, typical mistakes fail with a hint."""

from pathlib import Path

import nbformat
import pytest

NB = "1_9_loss_function"
SOURCE = Path(__file__).resolve().parent.parent / "source" / "day1" / f"{NB}.ipynb"

BOOK_CEE = """
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
"""

CEE_CORRECT = {
    "book": BOOK_CEE,
    "convert index labels to one-hot": """
def cross_entropy_error(y, t):
    y = np.atleast_2d(y)
    t = np.asarray(t)
    if t.size == y.size:
        t = t.reshape(y.shape)
    else:
        t = np.eye(y.shape[1])[t.reshape(-1)]
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]
""",
    "clip instead of delta": """
def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y[None, :], np.reshape(t, (1, -1))
    labels = t.argmax(axis=1) if t.size == y.size else t.ravel()
    p = np.clip(y[np.arange(len(y)), labels], 1e-7, None)
    return float(-np.mean(np.log(p)))
""",
}

# grade_id -> {variant name: code}; EPS is defined by a notebook cell, so the codes define it too.
CORRECT = {
    "sse_values": {
        "book": "def sum_squared_error(y, t):\n    return 0.5 * np.sum((y - t) ** 2)\n",
        "dot product, python float": """
def sum_squared_error(y, t):
    d = (y - t).ravel()
    return 0.5 * float(d @ d)
""",
    },
    "cee_one_sample": CEE_CORRECT,
    "cee_batch": CEE_CORRECT,
    "cee_labels": CEE_CORRECT,
    "mse_values": {
        "per sample then batch": """
def mean_squared_error(y, t):
    return np.mean(np.mean((y - t) ** 2, axis=-1))
""",
        "overall mean": "def mean_squared_error(y, t):\n    return np.mean((y - t) ** 2)\n",
        "sum over size": "def mean_squared_error(y, t):\n    d = y - t\n    return float(np.sum(d * d) / d.size)\n",
    },
    "mae_values": {
        "per sample then batch": "def mean_absolute_error(y, t):\n    return np.mean(np.mean(np.abs(y - t), axis=-1))\n",
        "overall mean": "def mean_absolute_error(y, t):\n    return float(np.abs(t - y).mean())\n",
    },
    "mape_values": {
        "keras style": """
EPS = 1e-7
def mean_absolute_percentage_error(y, t):
    diff = np.abs((t - y) / np.maximum(np.abs(t), EPS))
    return np.mean(100.0 * np.mean(diff, axis=-1))
""",
        "overall mean": """
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean(np.abs(t - y) / np.maximum(np.abs(t), 1e-7))
""",
    },
    "msle_values": {
        "keras style": """
EPS = 1e-7
def mean_squared_logarithmic_error(y, t):
    a = np.log(np.maximum(y, EPS) + 1.0)
    b = np.log(np.maximum(t, EPS) + 1.0)
    return np.mean(np.mean((a - b) ** 2, axis=-1))
""",
        "log1p and clip": """
def mean_squared_logarithmic_error(y, t):
    d = np.log1p(np.clip(y, 1e-7, None)) - np.log1p(np.clip(t, 1e-7, None))
    return float(np.mean(d ** 2))
""",
    },
    "hinge_values": {
        "np.maximum": "def hinge(y, t):\n    return np.mean(np.mean(np.maximum(1.0 - t * y, 0.0), axis=-1))\n",
        "np.clip": "def hinge(y, t):\n    return float(np.mean(np.clip(1 - y * t, 0, None)))\n",
    },
    "squared_hinge_values": {
        "np.maximum": "def squared_hinge(y, t):\n    return np.mean(np.mean(np.maximum(1.0 - t * y, 0.0) ** 2, axis=-1))\n",
        "mask": """
def squared_hinge(y, t):
    m = 1 - t * y
    m[m < 0] = 0
    return np.mean(m * m)
""",
    },
    "bce_values": {
        "keras style": """
EPS = 1e-7
def binary_crossentropy(y, t):
    y = np.clip(y, EPS, 1.0 - EPS)
    return np.mean(np.mean(-(t * np.log(y) + (1.0 - t) * np.log(1.0 - y)), axis=-1))
""",
        "np.where on 0/1 labels": """
def binary_crossentropy(y, t):
    p = np.clip(y, 1e-7, 1 - 1e-7)
    return -np.mean(np.where(t == 1, np.log(p), np.log(1 - p)))
""",
    },
    "cce_values": {
        "keras style": """
EPS = 1e-7
def categorical_crossentropy(y, t):
    y = y / np.sum(y, axis=-1, keepdims=True)
    y = np.clip(y, EPS, 1.0 - EPS)
    return np.mean(-np.sum(t * np.log(y), axis=-1))
""",
        "row by row": """
def categorical_crossentropy(y, t):
    y2, t2 = np.atleast_2d(y), np.atleast_2d(t)
    losses = []
    for yi, ti in zip(y2, t2):
        p = np.clip(yi / yi.sum(), 1e-7, 1 - 1e-7)
        losses.append(-np.dot(ti, np.log(p)))
    return sum(losses) / len(losses)
""",
    },
    "sparse_cce_values": {
        "keras style": """
EPS = 1e-7
def sparse_categorical_crossentropy(y, t):
    y = y / np.sum(y, axis=-1, keepdims=True)
    y = np.clip(y, EPS, 1.0 - EPS)
    if y.ndim == 1:
        return -np.log(y[t])
    return np.mean(-np.log(y[np.arange(y.shape[0]), t]))
""",
        "via one-hot": """
def sparse_categorical_crossentropy(y, t):
    y2 = np.atleast_2d(y)
    t2 = np.eye(y2.shape[1])[np.atleast_1d(t)]
    p = np.clip(y2 / y2.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.sum(t2 * np.log(p), axis=1)))
""",
    },
    "kl_values": {
        "keras style": """
EPS = 1e-7
def kl_divergence(y, t):
    y = np.clip(y, EPS, 1.0)
    t = np.clip(t, EPS, 1.0)
    return np.mean(np.sum(t * np.log(t / y), axis=-1))
""",
        "difference of logs": """
def kl_divergence(y, t):
    y2 = np.clip(np.atleast_2d(y), 1e-7, 1)
    t2 = np.clip(np.atleast_2d(t), 1e-7, 1)
    return np.sum(t2 * (np.log(t2) - np.log(y2))) / y2.shape[0]
""",
    },
    "poisson_values": {
        "keras style": """
EPS = 1e-7
def poisson(y, t):
    return np.mean(np.mean(y - t * np.log(y + EPS), axis=-1))
""",
        "overall mean": "def poisson(y, t):\n    return float(np.mean(y) - np.mean(t * np.log(y + 1e-7)))\n",
    },
    "cosine_values": {
        "keras style": """
def cosine_similarity(y, t):
    def l2_normalize(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return -np.mean(np.sum(l2_normalize(y) * l2_normalize(t), axis=-1))
""",
        "norms divided afterwards": """
def cosine_similarity(y, t):
    ny = np.sqrt(np.maximum((y ** 2).sum(axis=-1), 1e-12))
    nt = np.sqrt(np.maximum((t ** 2).sum(axis=-1), 1e-12))
    return float(-np.mean((y * t).sum(axis=-1) / (ny * nt)))
""",
    },
}

CASES_CORRECT = [(gid, name) for gid, variants in CORRECT.items() for name in sorted(variants)]

WRONG = {
    # sum_squared_error
    "sse without 1/2": ("def sum_squared_error(y, t):\n    return np.sum((y - t) ** 2)\n", "sse_values", "0.5 を掛け忘れ"),
    "sse as a mean": ("def sum_squared_error(y, t):\n    return 0.5 * np.mean((y - t) ** 2)\n", "sse_values", "平均をとって"),
    "sse averaged over the batch": ("""
def sum_squared_error(y, t):
    n = y.shape[0] if y.ndim == 2 else 1
    return 0.5 * np.sum((y - t) ** 2) / n
""", "sse_values", "バッチの大きさで割って"),
    # cross_entropy_error
    "cee without delta": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t])) / y.shape[0]
""", "cee_one_sample", "delta = 1e-7"),
    "cee one-hot formula without delta": ("""
def cross_entropy_error(y, t):
    return -np.sum(t * np.log(y))
""", "cee_one_sample", "nan になっています"),
    "cee without the minus sign": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]
""", "cee_one_sample", "マイナス"),
    "cee without the reshape for one sample": ("""
def cross_entropy_error(y, t):
    if t.size == y.size:
        t = t.argmax(axis=-1)
    batch_size = y.shape[0]
    picked = y[np.arange(batch_size), t] if y.ndim == 2 else y[t]
    return -np.sum(np.log(picked + 1e-7)) / batch_size
""", "cee_one_sample", "reshape"),
    "cee with log10": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log10(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]
""", "cee_one_sample", "常用対数"),
    "cee index labels only": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]
""", "cee_one_sample", "IndexError: arrays used as indices must be of integer (or boolean) type\n"
                       "  ヒント: one-hot 表現の t（0 と 1 の浮動小数点数の配列）をそのまま添字に使っています。"),
    "cee indexes a one-sample y with two arrays": ("""
def cross_entropy_error(y, t):
    if t.size == y.size:
        t = t.argmax(axis=-1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
""", "cee_one_sample", "1 行のバッチにしてから計算してください"),
    "cee summed over the batch": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7))
""", "cee_batch", "N で割っていません"),
    "cee mean over all elements": ("""
def cross_entropy_error(y, t):
    return -np.mean(t * np.log(y + 1e-7))
""", "cee_batch", "全要素の数"),
    "cee one-hot labels only": ("""
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]
""", "cee_labels", "クラス番号（整数の配列）のときに対応していません"),
    # mean_squared_error
    "mse as a sum": ("def mean_squared_error(y, t):\n    return np.sum((y - t) ** 2)\n", "mse_values", "合計になっています"),
    "mse per sample": ("def mean_squared_error(y, t):\n    return np.mean((y - t) ** 2, axis=-1)\n", "mse_values", "配列のまま"),
    "mse summed inside a sample": ("""
def mean_squared_error(y, t):
    return np.mean(np.sum((y - t) ** 2, axis=-1))
""", "mse_values", "サンプルの中で合計"),
    "mse with 1/2": ("def mean_squared_error(y, t):\n    return 0.5 * np.mean((y - t) ** 2)\n", "mse_values", "0.5 を掛けています"),
    "mse is rmse": ("def mean_squared_error(y, t):\n    return np.sqrt(np.mean((y - t) ** 2))\n", "mse_values", "RMSE"),
    # mean_absolute_error
    "mae without abs": ("def mean_absolute_error(y, t):\n    return np.mean(y - t)\n", "mae_values", "打ち消し"),
    "mae squared": ("def mean_absolute_error(y, t):\n    return np.mean((y - t) ** 2)\n", "mae_values", "MSE"),
    "mae as a sum": ("def mean_absolute_error(y, t):\n    return np.sum(np.abs(y - t))\n", "mae_values", "合計になっています"),
    # mean_absolute_percentage_error
    "mape without 100": ("""
def mean_absolute_percentage_error(y, t):
    return np.mean(np.abs((t - y) / np.maximum(np.abs(t), 1e-7)))
""", "mape_values", "100 を掛け忘れ"),
    "mape divides by the prediction": ("""
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean(np.abs((t - y) / np.maximum(np.abs(y), 1e-7)))
""", "mape_values", "予測 y の大きさで割って"),
    "mape without eps": ("""
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean(np.abs((t - y) / np.abs(t)))
""", "mape_values", "max(|t|, 1e-7)"),
    "mape divides by t without abs": ("""
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean(np.abs(t - y) / np.maximum(t, 1e-7))
""", "mape_values", "絶対値で割っていません"),
    "mape without abs of the difference": ("""
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean((t - y) / np.maximum(np.abs(t), 1e-7))
""", "mape_values", "打ち消し合って"),
    "mape as a ratio of means": ("""
def mean_absolute_percentage_error(y, t):
    return 100 * np.mean(np.abs(t - y)) / np.mean(np.abs(t))
""", "mape_values", "平均の比"),
    # mean_squared_logarithmic_error
    "msle without +1": ("""
def mean_squared_logarithmic_error(y, t):
    return np.mean((np.log(np.maximum(y, 1e-7)) - np.log(np.maximum(t, 1e-7))) ** 2)
""", "msle_values", "1 を足していません"),
    "msle without the clip": ("""
def mean_squared_logarithmic_error(y, t):
    return np.mean((np.log(y + 1) - np.log(t + 1)) ** 2)
""", "msle_values", "max(・, 1e-7)"),
    "msle not squared": ("""
def mean_squared_logarithmic_error(y, t):
    return np.mean(np.abs(np.log(np.maximum(y, 1e-7) + 1) - np.log(np.maximum(t, 1e-7) + 1)))
""", "msle_values", "2 乗していません"),
    # hinge
    "hinge without max": ("def hinge(y, t):\n    return np.mean(1 - t * y)\n", "hinge_values", "0 との max"),
    "hinge converting 0/1 labels": ("""
def hinge(y, t):
    t = 2 * t - 1
    return np.mean(np.maximum(1 - t * y, 0))
""", "hinge_values", "0/1"),
    "hinge squared": ("def hinge(y, t):\n    return np.mean(np.maximum(1 - t * y, 0) ** 2)\n", "hinge_values", "squared_hinge"),
    "hinge per sample": ("def hinge(y, t):\n    return np.mean(np.maximum(1 - t * y, 0), axis=-1)\n", "hinge_values",
                         "配列のまま"),
    "hinge keeps a one-element axis": ("""
def hinge(y, t):
    per_sample = np.mean(np.maximum(1 - t * y, 0), axis=-1, keepdims=True)
    return np.mean(per_sample, axis=0)
""", "hinge_values", "形状 (1,) の配列"),
    "hinge of one sample as a one-row batch": ("""
def hinge(y, t):
    y, t = np.atleast_2d(y), np.atleast_2d(t)
    return np.mean(np.maximum(1 - t * y, 0), axis=1)
""", "hinge_values", "形状 (1,) の配列"),
    # squared_hinge
    "squared hinge not squared": ("def squared_hinge(y, t):\n    return np.mean(np.maximum(1 - t * y, 0))\n",
                                  "squared_hinge_values", "hinge です"),
    "squared hinge squares before max": ("def squared_hinge(y, t):\n    return np.mean((1 - t * y) ** 2)\n",
                                         "squared_hinge_values", "max をとる前に 2 乗"),
    "squared hinge squares the mean": ("def squared_hinge(y, t):\n    return np.mean(np.maximum(1 - t * y, 0)) ** 2\n",
                                       "squared_hinge_values", "平均をとってから 2 乗"),
    "squared hinge squares t * y inside": ("def squared_hinge(y, t):\n    return np.mean(np.maximum((1 - t * y) ** 2, 0))\n",
                                           "squared_hinge_values", "max をとる前に 2 乗"),
    # binary_crossentropy
    "bce without clip": ("""
def binary_crossentropy(y, t):
    return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))
""", "bce_values", "clip していない"),
    "bce picks log(y) or log(1 - y) with np.where": ("""
def binary_crossentropy(y, t):
    return -np.mean(np.where(t == 1, np.log(y), np.log(1 - y)))
""", "bce_values", "RuntimeWarning: divide by zero encountered in log\n"
                  "  ヒント: 0 で割る・log(0) を避けてください"),
    "bce without the (1 - t) term": ("""
def binary_crossentropy(y, t):
    return -np.mean(t * np.log(np.clip(y, 1e-7, 1 - 1e-7)))
""", "bce_values", "(1 - t) log(1 - y)"),
    "bce with swapped arguments": ("""
def binary_crossentropy(y, t):
    y, t = t, y
    y = np.clip(y, 1e-7, 1 - 1e-7)
    return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))
""", "bce_values", "y と t が逆"),
    "bce without the minus sign": ("""
def binary_crossentropy(y, t):
    y = np.clip(y, 1e-7, 1 - 1e-7)
    return np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))
""", "bce_values", "マイナス"),
    "bce clips its input in place": ("""
def binary_crossentropy(y, t):
    np.clip(y, 1e-7, 1 - 1e-7, out=y)
    return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))
""", "bce_values", "書き換え"),
    # categorical_crossentropy
    "cce without normalization": ("""
def categorical_crossentropy(y, t):
    return np.mean(-np.sum(t * np.log(np.clip(y, 1e-7, 1 - 1e-7)), axis=-1))
""", "cce_values", "正規化していません"),
    "cce without clip": ("""
def categorical_crossentropy(y, t):
    y = y / y.sum(axis=-1, keepdims=True)
    return np.mean(-np.sum(t * np.log(y), axis=-1))
""", "cce_values", "clip していない"),
    "cce summed over the batch": ("""
def categorical_crossentropy(y, t):
    y = np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return -np.sum(t * np.log(y))
""", "cce_values", "合計しています"),
    "cce mean over classes too": ("""
def categorical_crossentropy(y, t):
    y = np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return -np.mean(t * np.log(y))
""", "cce_values", "クラスの方向にも平均"),
    "cce uses argmax of t": ("""
def categorical_crossentropy(y, t):
    y = np.atleast_2d(np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7))
    labels = np.atleast_2d(t).argmax(axis=1)
    return -np.mean(np.log(y[np.arange(len(y)), labels]))
""", "cce_values", "argmax"),
    "cce is the book's cross_entropy_error": (BOOK_CEE.replace("cross_entropy_error", "categorical_crossentropy"),
                                              "cce_values", "合計が 1 でない"),
    # sparse_categorical_crossentropy
    "sparse with y[:, t]": ("""
def sparse_categorical_crossentropy(y, t):
    y = np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return np.mean(-np.log(y[:, t]))
""", "sparse_cce_values", "y[:, t]"),
    "sparse without clip": ("""
def sparse_categorical_crossentropy(y, t):
    y = np.atleast_2d(y / y.sum(axis=-1, keepdims=True))
    return np.mean(-np.log(y[np.arange(len(y)), t]))
""", "sparse_cce_values", "clip していない"),
    "sparse summed over the batch": ("""
def sparse_categorical_crossentropy(y, t):
    y = np.atleast_2d(np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7))
    return np.sum(-np.log(y[np.arange(len(y)), t]))
""", "sparse_cce_values", "合計しています"),
    "sparse without the one-sample case": ("""
def sparse_categorical_crossentropy(y, t):
    y = np.clip(y / y.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return np.mean(-np.log(y[np.arange(y.shape[0]), t]))
""", "sparse_cce_values", "1 サンプルなら y[t] で正解クラスの確率を取り出します"),
    "sparse without normalization": ("""
def sparse_categorical_crossentropy(y, t):
    y = np.atleast_2d(np.clip(y, 1e-7, 1 - 1e-7))
    return np.mean(-np.log(y[np.arange(len(y)), t]))
""", "sparse_cce_values", "正規化していません"),
    # kl_divergence
    "kl with swapped arguments": ("""
def kl_divergence(y, t):
    y, t = np.clip(y, 1e-7, 1), np.clip(t, 1e-7, 1)
    return np.mean(np.sum(y * np.log(y / t), axis=-1))
""", "kl_values", "y と t が逆"),
    "kl with the wrong sign": ("""
def kl_divergence(y, t):
    y, t = np.clip(y, 1e-7, 1), np.clip(t, 1e-7, 1)
    return np.mean(np.sum(t * np.log(y / t), axis=-1))
""", "kl_values", "符号が逆"),
    "kl without clip": ("""
def kl_divergence(y, t):
    return np.mean(np.sum(t * np.log(t / y), axis=-1))
""", "kl_values", "clip していない"),
    "kl mean over classes": ("""
def kl_divergence(y, t):
    y, t = np.clip(y, 1e-7, 1), np.clip(t, 1e-7, 1)
    return np.mean(t * np.log(t / y))
""", "kl_values", "クラスの方向に平均"),
    # poisson
    "poisson without eps": ("def poisson(y, t):\n    return np.mean(y - t * np.log(y))\n", "poisson_values",
                            "1e-7 を足していない"),
    "poisson with swapped arguments": ("def poisson(y, t):\n    return np.mean(t - y * np.log(t + 1e-7))\n",
                                       "poisson_values", "y と t が逆"),
    "poisson with the wrong sign": ("def poisson(y, t):\n    return np.mean(t * np.log(y + 1e-7) - y)\n",
                                    "poisson_values", "符号が逆"),
    # cosine_similarity
    "cosine not negated": ("""
def cosine_similarity(y, t):
    n = lambda x: x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return np.mean(np.sum(n(y) * n(t), axis=-1))
""", "cosine_values", "マイナスを付けていません"),
    "cosine distance": ("""
def cosine_similarity(y, t):
    n = lambda x: x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return np.mean(1 - np.sum(n(y) * n(t), axis=-1))
""", "cosine_values", "1 - cos"),
    "cosine normalized along the batch": ("""
def cosine_similarity(y, t):
    n = lambda x: x / np.sqrt(np.maximum(np.sum(x * x, axis=0), 1e-12))
    return -np.mean(np.sum(n(y) * n(t), axis=-1))
""", "cosine_values", "axis=0"),
    "cosine without eps": ("""
def cosine_similarity(y, t):
    cos = np.sum(y * t, axis=-1) / (np.linalg.norm(y, axis=-1) * np.linalg.norm(t, axis=-1))
    return -np.mean(cos)
""", "cosine_values", "長さが 0 のベクトル"),
    "cosine per sample": ("""
def cosine_similarity(y, t):
    n = lambda x: x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return -np.sum(n(y) * n(t), axis=-1)
""", "cosine_values", "配列のまま"),
}

FUNCTIONS = ["sum_squared_error", "cross_entropy_error", "mean_squared_error", "mean_absolute_error",
             "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "hinge", "squared_hinge",
             "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
             "kl_divergence", "poisson", "cosine_similarity"]
STUB = "\n".join(f"def {name}(y, t):\n    raise NotImplementedError()\n" for name in FUNCTIONS)

ALL = sorted(CORRECT)


@pytest.mark.parametrize("grade_id,name", CASES_CORRECT)
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, STUB)
        assert not passed and "NotImplementedError" in message, (grade_id, message)


def test_every_test_cell_of_the_notebook_has_a_check():
    from autograder.checks import registry
    from autograder.notebook_cells import grade_id, is_test_cell

    nb = nbformat.read(SOURCE, as_version=4)
    cells = sorted(grade_id(c) for c in nb.cells if is_test_cell(c))
    assert cells == ALL == sorted(registry()[NB])


def test_answer_notebook_functions_pass_every_check(judge_code):
    """The solutions written in the source notebook pass their hidden checks."""
    from autograder.notebook_cells import is_answer_cell

    nb = nbformat.read(SOURCE, as_version=4)
    code = "EPS = 1e-7\n" + "\n\n".join(c.source for c in nb.cells if is_answer_cell(c))
    for gid in ALL:
        passed, message = judge_code(NB, gid, code)
        assert passed, message
