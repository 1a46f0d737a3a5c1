"""Hidden checks of 1_7_predict: inference of one MNIST image with the pretrained network, and
the accuracy over a data set computed one image at a time.

The MNIST cases are built lazily on first use (the registry imports every check module, and
loading MNIST takes about a second), from the test set found through ``COURSE_MNIST_DIR`` and
the pretrained weights of ``course.pretrained``. Only small subsets are sent to the student's
kernel. The selection is deterministic (fixed seed) and avoids images whose two largest
probabilities are nearly tied, so float32 vs float64 arithmetic can never flip a prediction.

``LazyCases`` and the MNIST helpers are also used by ``batch.py`` (1_8_batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_7_predict"
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


# ---------------------------------------------------------------- lazy MNIST cases

class LazyCases(Sequence):
    """A list of cases built on first use (len, indexing and iteration all trigger the build)."""

    def __init__(self, build):
        self._build = build
        self._cases = None

    def _get(self):
        if self._cases is None:
            self._cases = list(self._build())
        return self._cases

    def __len__(self):
        return len(self._get())

    def __getitem__(self, index):
        return self._get()[index]


@lru_cache(maxsize=None)
def mnist_test():
    """(x_test float32 (10000, 784) in 0..1, t_test int64 labels); read-only arrays."""
    from course.datasets import load_mnist

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    x_test.setflags(write=False)
    t_test.setflags(write=False)
    return x_test, t_test


def sample_network() -> dict:
    from course.pretrained import load_sample_weight

    return load_sample_weight()


@lru_cache(maxsize=None)
def mnist_predictions():
    """(probabilities (10000, 10), predicted labels, margin between the two largest probabilities)."""
    x, _ = mnist_test()
    y = reference_predict_batch(sample_network(), x)
    top2 = np.sort(y, axis=1)[:, -2:]
    return y, np.argmax(y, axis=1), top2[:, 1] - top2[:, 0]


def clear_indices(min_margin: float = 1e-3):
    """Indices of test images whose prediction is not a near tie."""
    return np.flatnonzero(mnist_predictions()[2] > min_margin)


def misclassified_indices():
    _, t = mnist_test()
    _, pred, _ = mnist_predictions()
    clear = np.zeros(len(t), dtype=bool)
    clear[clear_indices()] = True
    return np.flatnonzero((pred != t) & clear)


def correct_indices():
    _, t = mnist_test()
    _, pred, _ = mnist_predictions()
    clear = np.zeros(len(t), dtype=bool)
    clear[clear_indices()] = True
    return np.flatnonzero((pred == t) & clear)


# ---------------------------------------------------------------- reference implementations

def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def reference_predict(network, x):
    """One image x (784,) -> probabilities (10,); also works row-wise for a batch."""
    z1 = _sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = _sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return _softmax(np.dot(z2, network["W3"]) + network["b3"])


reference_predict_batch = reference_predict


def reference_accuracy_one_by_one(network, x, t):
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(reference_predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return float(accuracy_cnt) / len(x)


# ---------------------------------------------------------------- typical mistakes of predict

def _identity(a):
    return a


def _relu(a):
    return np.maximum(0, a)


def _sigmoid_then_softmax(a):
    return _softmax(_sigmoid(a))


def _layers(network, x, act=_sigmoid, out=_softmax, use_b=(True, True, True), skip_second=False):
    b = [network[f"b{i}"] if use_b[i - 1] else 0.0 for i in (1, 2, 3)]
    z = act(np.dot(x, network["W1"]) + b[0])
    if not skip_second:
        z = act(np.dot(z, network["W2"]) + b[1])
    return out(np.dot(z, network["W3"]) + b[2])


def _no_b1(network, x):
    return _layers(network, x, use_b=(False, True, True))


def _no_b2(network, x):
    return _layers(network, x, use_b=(True, False, True))


def _no_b3(network, x):
    return _layers(network, x, use_b=(True, True, False))


def _relu_hidden(network, x):
    return _layers(network, x, act=_relu)


def _no_hidden_activation(network, x):
    return _layers(network, x, act=_identity)


def _no_softmax(network, x):
    return _layers(network, x, out=_identity)


def _sigmoid_output(network, x):
    return _layers(network, x, out=_sigmoid)


def _sigmoid_before_softmax(network, x):
    return _layers(network, x, out=_sigmoid_then_softmax)


def _skips_second_layer(network, x):
    return _layers(network, x, skip_second=True)


def _returns_label(network, x):
    return np.argmax(reference_predict(network, x))


def _keeps_batch_axis(network, x):
    return reference_predict(network, np.reshape(x, (1, -1)))


PREDICT_MISTAKES = [
    Mistake("1 層目のバイアス b1 を足していません（a1 = x・W1 + b1）。", _no_b1),
    Mistake("2 層目のバイアス b2 を足していません（a2 = z1・W2 + b2）。", _no_b2),
    Mistake("出力層のバイアス b3 を足していません（a3 = z2・W3 + b3）。", _no_b3),
    Mistake("隠れ層の活性化関数が ReLU になっています。このネットワークはシグモイド関数で学習されているので sigmoid を使います。",
            _relu_hidden),
    Mistake("隠れ層で活性化関数（sigmoid）を適用していません。a1, a2 にそれぞれ sigmoid をかけてください。",
            _no_hidden_activation),
    Mistake("出力層でソフトマックス関数を適用していません（a3 をそのまま返しています）。", _no_softmax),
    Mistake("出力層にシグモイド関数を使っています。出力層の活性化関数はソフトマックス関数です。", _sigmoid_output),
    Mistake("出力層で a3 にシグモイド関数をかけてからソフトマックス関数に入れています。出力層は softmax(a3) だけです。",
            _sigmoid_before_softmax),
    Mistake("2 層目（W2, b2）を飛ばしています。3 つの層を順に通してください。", _skips_second_layer),
    Mistake("確率の配列ではなく、予測したラベル（argmax）を返しています。predict は 10 個の確率を返し、argmax は呼び出し側でとります。",
            _returns_label),
    Mistake("x を 2 次元（1 行のバッチ）にしたまま返しています。1 枚の画像なので、形状 (10,) の 1 次元配列を返してください。",
            _keeps_batch_axis),
]


# ---------------------------------------------------------------- small term-isolating networks

def make_network(W1, b1, W2, b2, W3, b3, dtype=np.float64) -> dict:
    return {k: np.array(v, dtype=dtype) for k, v in zip(KEYS, (W1, b1, W2, b2, W3, b3))}


def random_network(rng, sizes=(4, 3, 5, 3), scale=1.0) -> dict:
    arrays = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        arrays += [rng.normal(size=(n_in, n_out)) * scale, rng.normal(size=n_out) * scale]
    return make_network(*arrays)


def small_predict_cases(rng, batch: int | None = None):
    """Term-isolating cases on small networks; ``batch`` = None → one input (n,), else (batch, n).

    The identity network comes first: every layer has the same width there, so a skipped layer
    or a wrong activation gives a wrong value (with its hint) instead of a shape error.
    """
    def inputs(n):
        return rng.normal(size=n if batch is None else (batch, n))

    zero_w1 = random_network(rng)
    zero_w1["W1"][:] = 0.0
    zero_w1["b1"] = np.array([1.5, -2.0, 0.5])
    zero_w2 = random_network(rng)
    zero_w2["W2"][:] = 0.0
    zero_w2["b2"] = np.array([2.0, -1.0, 0.0, 1.0, -3.0])
    zero_w3 = random_network(rng)
    zero_w3["W3"][:] = 0.0
    zero_w3["b3"] = np.log([0.2, 0.3, 0.5])
    identity = make_network(np.eye(3), np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), np.zeros(3))
    x_identity = np.array([2.0, -1.0, 0.5])
    if batch is not None:
        x_identity = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, -1.0]])[:batch]
    large = random_network(rng, scale=1.0)
    large["W1"] *= 500.0
    large["W3"] *= 1000.0
    return [
        Case("重みが単位行列でバイアスが 0（3→3→3→3）: 出力は softmax(σ(σ(x)))",
             (identity, x_identity)),
        Case("W1 = 0 の小さなネットワーク（4→3→5→3）: 1 層目の出力はバイアス b1 だけで決まる",
             (zero_w1, inputs(4))),
        Case("W2 = 0 の小さなネットワーク（4→3→5→3）: 2 層目の出力はバイアス b2 だけで決まる",
             (zero_w2, inputs(4))),
        Case("W3 = 0, b3 = log([0.2, 0.3, 0.5]): 正しければ出力は [0.2, 0.3, 0.5]",
             (zero_w3, inputs(4))),
        Case("すべての重みとバイアスが効く小さなネットワーク（4→3→5→3）",
             (random_network(rng), inputs(4))),
        Case("重みが大きく活性化が ±1000 程度になる（オーバーフローの警告が出ないこと）",
             (large, inputs(4)), forbid_warnings=True),
    ]


# ---------------------------------------------------------------- the cases of 1_7

def _predict_mnist_cases():
    x, t = mnist_test()
    network = sample_network()
    wrong = misclassified_indices()
    picks = [(0, ""), (1, ""), (int(wrong[0]), "ネットワークが間違える")]
    return [Case(f"{note}テスト画像 {i} 番（正解 {int(t[i])}）と学習済みの重み", (network, x[i].copy()))
            for i, note in picks]


def _accuracy_cases():
    x, t = mnist_test()
    network = sample_network()
    rng = np.random.default_rng(1701)
    subset = np.sort(rng.choice(clear_indices(), size=150, replace=False))
    wrong = misclassified_indices()
    right = correct_indices()
    small = np.concatenate([rng.choice(right, size=5, replace=False), wrong[:2]])
    rng.shuffle(small)
    two_class = make_network(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2))
    x_small = np.array([[3.0, 1.0], [0.0, 2.0], [1.0, 4.0], [5.0, 0.0], [-1.0, -2.0], [0.5, 0.25], [2.0, 7.0], [1.0, 0.0]])
    t_small = np.array([0, 1, 0, 0, 1, 0, 1, 1])  # predictions are argmax(x): 0 1 1 0 0 0 1 0 → 5/8
    return [
        Case("テスト画像 150 枚（学習済みの重み）", (network, x[subset].copy(), t[subset].copy())),
        Case("テスト画像 7 枚（間違える画像を 2 枚含む）", (network, x[small].copy(), t[small].copy())),
        Case("2 クラスの小さなネットワーク（予測ラベル = x の大きい方の成分）、8 件中 5 件正解",
             (two_class, x_small, t_small)),
        Case("1 件だけで、予測が外れる（正解率 0.0）", (two_class, np.array([[1.0, 3.0]]), np.array([0]))),
    ]


def _count(network, x, t):
    return sum(int(np.argmax(reference_predict(network, x[i])) == t[i]) for i in range(len(x)))


def _divides_by_10000(network, x, t):
    return _count(network, x, t) / 10000


def _percent(network, x, t):
    return 100.0 * _count(network, x, t) / len(x)


def _skips_last(network, x, t):
    return _count(network, x[:-1], t[:-1]) / len(x)


def _argmax_of_label(network, x, t):
    hits = sum(int(np.argmax(reference_predict(network, x[i])) == np.argmax(t[i])) for i in range(len(x)))
    return hits / len(x)


ACCURACY_MISTAKES = [
    Mistake("正解した枚数（accuracy_cnt）をそのまま返しています。正解率 = 正解数 ÷ データ数（len(x)）を返してください。",
            _count),
    Mistake("データ数ではなく 10000 で割っています。テストデータ全体とは限らないので len(x) で割ってください。",
            _divides_by_10000),
    Mistake("百分率（%）になっています。0 以上 1 以下の割合で返してください。", _percent),
    Mistake("ループが最後の 1 枚を飛ばしています（range(len(x) - 1) になっていませんか）。", _skips_last),
    Mistake("ラベル t[i] に argmax をとっています。t は one-hot ではなく正解ラベル（整数）なので、そのまま比べます。",
            _argmax_of_label),
]

_rng = np.random.default_rng(1700)

CHECKS = {
    "predict_mnist": [FunctionCheck(
        function="predict", reference=reference_predict, mistakes=PREDICT_MISTAKES,
        rtol=1e-4, atol=1e-7, dtype="float", returns="array",
        cases=LazyCases(_predict_mnist_cases))],
    "predict_layers": [FunctionCheck(
        function="predict", reference=reference_predict, mistakes=PREDICT_MISTAKES,
        rtol=1e-6, atol=1e-10, dtype="float", returns="array",
        cases=small_predict_cases(_rng))],
    "accuracy_one_by_one_mnist": [FunctionCheck(
        function="accuracy_one_by_one", reference=reference_accuracy_one_by_one, mistakes=ACCURACY_MISTAKES,
        rtol=0.0, atol=1e-9, dtype="float", returns="auto",
        cases=LazyCases(_accuracy_cases))],
}
