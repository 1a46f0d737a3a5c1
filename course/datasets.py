"""Data sets of the course: MNIST (like the book's ``load_mnist``) and California housing."""

from __future__ import annotations

import csv
import gzip
import io
import tarfile

import numpy as np

from .download import DataFile, data_dir, ensure_file

MNIST_ENV = "COURSE_MNIST_DIR"
HOUSING_ENV = "COURSE_HOUSING_DIR"

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist",
    "https://storage.googleapis.com/cvdf-datasets/mnist",
)
MNIST_FILES = {
    "train_img": DataFile("train-images-idx3-ubyte.gz",
                          "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", MNIST_MIRRORS),
    "train_label": DataFile("train-labels-idx1-ubyte.gz",
                            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", MNIST_MIRRORS),
    "test_img": DataFile("t10k-images-idx3-ubyte.gz",
                         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", MNIST_MIRRORS),
    "test_label": DataFile("t10k-labels-idx1-ubyte.gz",
                           "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", MNIST_MIRRORS),
}
HOUSING_FILE = DataFile(
    "housing.tgz",
    "d4cd501af90475f09b814c7447c7701f59bf28e8cf1180205ae5ace9737a0109",
    ("https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing",),
)


def _read_idx(path, expected_magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{path}: IDX のマジックナンバーが {magic} です（期待値 {expected_magic}）。")
    count = int.from_bytes(raw[4:8], "big")
    if magic == 2051:
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(raw, dtype=np.uint8, offset=8).reshape(count)


def _one_hot(labels: np.ndarray, num_classes: int = 10) -> np.ndarray:
    out = np.zeros((labels.size, num_classes), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False):
    """MNIST を読み込む（『ゼロから作るDeep Learning』の load_mnist と同じ形）。

    Returns ``(x_train, t_train), (x_test, t_test)``.
    normalize: 画素値を 0.0〜1.0 の float32 にする（False なら uint8 の 0〜255）。
    flatten: 画像を 784 要素の 1 次元にする（False なら 1×28×28）。
    one_hot_label: ラベルを one-hot 表現（float32, 10 列）にする。
    """
    directory = data_dir(MNIST_ENV, "mnist")
    paths = {key: ensure_file(spec, directory, MNIST_ENV) for key, spec in MNIST_FILES.items()}
    dataset = {}
    for split in ("train", "test"):
        images = _read_idx(paths[f"{split}_img"], 2051)
        labels = _read_idx(paths[f"{split}_label"], 2049).astype(np.int64)
        x = images.astype(np.float32) / 255.0 if normalize else images.copy()
        x = x.reshape(len(x), 784) if flatten else x.reshape(len(x), 1, 28, 28)
        t = _one_hot(labels) if one_hot_label else labels
        dataset[split] = (x, t)
    return dataset["train"], dataset["test"]


HOUSING_NUMERIC = (
    "longitude", "latitude", "housing_median_age", "total_rooms", "total_bedrooms",
    "population", "households", "median_income", "median_house_value",
)


def load_housing() -> dict:
    """カリフォルニア住宅価格データ（20640 行）を読み込む。

    Returns a dict: column name → 1-D array. Numeric columns are float64 with ``nan`` where
    the value is missing (``total_bedrooms`` has 207 gaps); ``ocean_proximity`` is an array of str.
    """
    directory = data_dir(HOUSING_ENV, "housing")
    path = ensure_file(HOUSING_FILE, directory, HOUSING_ENV)
    with tarfile.open(path, "r:gz") as tar:
        member = tar.getmember("housing.csv")
        text = tar.extractfile(member).read().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    table = {
        name: np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])
        for name in HOUSING_NUMERIC
    }
    table["ocean_proximity"] = np.array([r["ocean_proximity"] for r in rows])
    return table
