"""Hidden checks of 1_7_predict: inference of one MNIST image with the pretrained network, and
the accuracy over a data set computed one image at a time.

The MNIST cases are built lazily on first use from the test set and the pretrained weights, and
only small subsets are sent to the student's kernel; the selection is deterministic (fixed seed)
and avoids near ties. The MNIST helpers, the small term-isolating networks and the typical wrong
forward passes are shared with 1_8_batch and live in ``autograder.checks.mnist_cases``.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.mnist_cases import (LazyCases, clear_indices, correct_indices, make_network,
                                           misclassified_indices, mnist_test, no_b1, no_b2, no_b3,
                                           no_hidden_activation, no_softmax, relu_hidden, sample_network, sigmoid,
                                           sigmoid_before_softmax, sigmoid_output, skips_second_layer,
                                           small_predict_cases, softmax)
from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_7_predict"


# ---------------------------------------------------------------- reference implementations

def reference_predict(network, x):
    """One image x (784,) -> probabilities (10,)."""
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]) + network["b3"])


def reference_accuracy_one_by_one(network, x, t):
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(reference_predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return float(accuracy_cnt) / len(x)


# ---------------------------------------------------------------- typical mistakes of predict

def _returns_label(network, x):
    return np.argmax(reference_predict(network, x))


def _keeps_batch_axis(network, x):
    return reference_predict(network, np.reshape(x, (1, -1)))


PREDICT_MISTAKES = [
    Mistake("1 層目のバイアス b1 を足していません（a1 = x・W1 + b1）。", no_b1),
    Mistake("2 層目のバイアス b2 を足していません（a2 = z1・W2 + b2）。", no_b2),
    Mistake("出力層のバイアス b3 を足していません（a3 = z2・W3 + b3）。", no_b3),
    Mistake("隠れ層の活性化関数が ReLU になっています。このネットワークはシグモイド関数で学習されているので sigmoid を使います。",
            relu_hidden),
    Mistake("隠れ層で活性化関数（sigmoid）を適用していません。a1, a2 にそれぞれ sigmoid をかけてください。",
            no_hidden_activation),
    Mistake("出力層でソフトマックス関数を適用していません（a3 をそのまま返しています）。", no_softmax),
    Mistake("出力層にシグモイド関数を使っています。出力層の活性化関数はソフトマックス関数です。", sigmoid_output),
    Mistake("出力層で a3 にシグモイド関数をかけてからソフトマックス関数に入れています。出力層は softmax(a3) だけです。",
            sigmoid_before_softmax),
    Mistake("2 層目（W2, b2）を飛ばしています。3 つの層を順に通してください。", skips_second_layer),
    Mistake("確率の配列ではなく、予測したラベル（argmax）を返しています。predict は 10 個の確率を返し、argmax は呼び出し側でとります。",
            _returns_label),
    Mistake("x を 2 次元（1 行のバッチ）にしたまま返しています。1 枚の画像なので、形状 (10,) の 1 次元配列を返してください。",
            _keeps_batch_axis),
]

# np.dot(W1, x) instead of np.dot(x, W1): the sizes of the product do not line up
PREDICT_ERROR_HINTS = [
    (needle, "行列の積の順番を確かめてください。x の形状 (784,) と W1 の形状 (784, 50) のように、左の最後の次元と"
             "右の最初の次元がそろう np.dot(x, W1) の順に書きます（途中の配列の形状を print して確かめましょう）。")
    for needle in ("not aligned", "mismatch in its core dimension")
]


# ---------------------------------------------------------------- the cases of 1_7

def _predict_mnist_cases():
    x, t = mnist_test()
    network = sample_network()
    wrong = misclassified_indices()
    picks = [(0, ""), (1, ""), (int(wrong[0]), "ネットワークが間違える")]
    return [Case(f"{note}テスト画像 {i} 番（正解 {int(t[i])}）と学習済みの重み", (network, x[i].copy()))
            for i, note in picks]


def _predict_mnist_visible():
    """One real case in the notebook: test image 0 through the pretrained weights."""
    x, t = mnist_test()
    return [Case(f"テスト画像 0 番（正解 {int(t[0])}）と学習済みの重み", (sample_network(), x[0].copy()))]


def _accuracy_visible():
    """Small two-class cases: every mistake of the list shows on them (the MNIST cases stay hidden)."""
    two_class = make_network(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2))
    return [
        Case("2 クラスの小さなネットワーク（予測ラベル = x の大きい方の成分）、4 件中 3 件が正解",
             (two_class, np.array([[3.0, 1.0], [0.0, 2.0], [5.0, 0.0], [1.0, 4.0]]), np.array([0, 1, 0, 0]))),
        Case("2 クラスの小さなネットワーク、5 件中 2 件が正解（最後の 1 件は正解）",
             (two_class, np.array([[0.0, 1.0], [2.0, 1.0], [1.0, 3.0], [4.0, 0.5], [0.5, 2.0]]),
              np.array([1, 1, 0, 1, 1]))),
        Case("1 件だけで、予測が外れる（正解率 0.0）", (two_class, np.array([[1.0, 3.0]]), np.array([0]))),
    ]


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
_visible_rng = np.random.default_rng(1707)  # the same kinds of small networks, other values, for the notebook
_prerequisite_rng = np.random.default_rng(1708)


def predict_layers_check(cases, visible, prerequisite_of=""):
    return FunctionCheck(
        function="predict", reference=reference_predict, mistakes=PREDICT_MISTAKES,
        error_hints=PREDICT_ERROR_HINTS, rtol=1e-6, atol=1e-10, dtype="float", returns="array",
        cases=cases, visible=visible, prerequisite_of=prerequisite_of)


CHECKS = {
    "predict_mnist": [FunctionCheck(
        function="predict", reference=reference_predict, mistakes=PREDICT_MISTAKES,
        error_hints=PREDICT_ERROR_HINTS, rtol=1e-4, atol=1e-7, dtype="float", returns="array",
        cases=LazyCases(_predict_mnist_cases), visible=LazyCases(_predict_mnist_visible))],
    "predict_layers": [predict_layers_check(small_predict_cases(_rng), small_predict_cases(_visible_rng))],
    # accuracy_one_by_one calls predict: a wrong predict is named as the cause first
    "accuracy_one_by_one_mnist": [
        predict_layers_check(small_predict_cases(_prerequisite_rng), small_predict_cases(_visible_rng),
                             prerequisite_of="accuracy_one_by_one"),
        FunctionCheck(
            function="accuracy_one_by_one", reference=reference_accuracy_one_by_one, mistakes=ACCURACY_MISTAKES,
            rtol=0.0, atol=1e-9, dtype="float", returns="auto",
            cases=LazyCases(_accuracy_cases), visible=_accuracy_visible())],
}
