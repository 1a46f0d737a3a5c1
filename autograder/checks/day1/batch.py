"""Hidden checks of 1_8_batch: batch inference (N, 784) -> (N, 10) with a row-wise softmax, and
the accuracy computed batch by batch, including a last batch smaller than batch_size.

MNIST cases are built lazily; the MNIST helpers, the small term-isolating networks and the typical
wrong forward passes are shared with 1_7_predict (``autograder.checks.mnist_cases``). The accuracy
checks mostly use a tiny two-class network whose predicted label is the larger component of the
input, so the correctness of every row (and therefore of the last, partial batch) is chosen by the
case itself.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.mnist_cases import (LazyCases, correct_indices, forward, make_network, misclassified_indices,
                                           mnist_rows, no_b1, no_b2, no_b3, no_hidden_activation, no_softmax,
                                           relu_hidden, sample_network, sigmoid, sigmoid_before_softmax,
                                           sigmoid_output, skips_second_layer, small_predict_cases, softmax)
from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_8_batch"


# ---------------------------------------------------------------- reference implementations

def reference_predict_batch(network, x):
    """x (N, n_in) -> probabilities (N, n_out), softmax row by row."""
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]) + network["b3"])


def reference_accuracy_batch(network, x, t, batch_size=100):
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        y_batch = reference_predict_batch(network, x[i:i + batch_size])
        p = np.argmax(y_batch, axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i + batch_size]))
    return accuracy_cnt / len(x)


# ---------------------------------------------------------------- typical mistakes of predict

def _softmax_whole_array(a):
    e = np.exp(a - np.max(a))
    return e / np.sum(e)


def _softmax_columns(a):
    e = np.exp(a - np.max(a, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _whole_array_softmax(network, x):
    return forward(network, x, out=_softmax_whole_array)


def _column_softmax(network, x):
    return forward(network, x, out=_softmax_columns)


def _returns_labels(network, x):
    return np.argmax(reference_predict_batch(network, x), axis=1)


def _first_row_only(network, x):
    return reference_predict_batch(network, x[0])


BATCH_PREDICT_MISTAKES = [
    Mistake("ソフトマックス関数の合計を、行ごとではなく配列全体でとっています。1 行が 1 枚の画像なので、"
            "np.sum(..., axis=1, keepdims=True) のように行ごとに正規化してください（各行の合計が 1 になります）。",
            _whole_array_softmax),
    Mistake("ソフトマックス関数を列ごと（axis=0）に計算しています。1 行が 1 枚の画像なので、行ごと（axis=1 または axis=-1）です。",
            _column_softmax),
    Mistake("1 層目のバイアス b1 を足していません（a1 = x・W1 + b1。b1 はブロードキャストで全行に足されます）。", no_b1),
    Mistake("2 層目のバイアス b2 を足していません（a2 = z1・W2 + b2）。", no_b2),
    Mistake("出力層のバイアス b3 を足していません（a3 = z2・W3 + b3）。", no_b3),
    Mistake("隠れ層の活性化関数が ReLU になっています。このネットワークはシグモイド関数で学習されているので sigmoid を使います。",
            relu_hidden),
    Mistake("隠れ層で活性化関数（sigmoid）を適用していません。", no_hidden_activation),
    Mistake("出力層でソフトマックス関数を適用していません（a3 をそのまま返しています）。", no_softmax),
    Mistake("出力層にシグモイド関数を使っています。出力層の活性化関数はソフトマックス関数です。", sigmoid_output),
    Mistake("出力層で a3 にシグモイド関数をかけてからソフトマックス関数に入れています。出力層は softmax(a3) だけです。",
            sigmoid_before_softmax),
    Mistake("2 層目（W2, b2）を飛ばしています。3 つの層を順に通してください。", skips_second_layer),
    Mistake("確率ではなく、予測したラベル（argmax）を返しています。predict は形状 (N, 10) の確率を返します。", _returns_labels),
    Mistake("最初の 1 行（1 枚）だけを計算しています。バッチ全体（N 行）をまとめて計算し、形状 (N, 10) で返してください。",
            _first_row_only),
]


# np.dot(W1, x) instead of np.dot(x, W1): the sizes of the product do not line up
BATCH_PREDICT_ERROR_HINTS = [
    (needle, "行列の積の順番を確かめてください。x の形状 (N, 784) と W1 の形状 (784, 50) のように、左の最後の次元と"
             "右の最初の次元がそろう np.dot(x, W1) の順に書きます（結果は (N, 50)。途中の配列の形状を print して確かめましょう）。")
    for needle in ("not aligned", "mismatch in its core dimension")
]


# ---------------------------------------------------------------- typical mistakes of accuracy_batch

def _count(network, x, t, batch_size=100):
    return round(reference_accuracy_batch(network, x, t, batch_size) * len(x))


def _percent(network, x, t, batch_size=100):
    return 100.0 * _count(network, x, t, batch_size) / len(x)


def _argmax_axis0(network, x, t, batch_size=100):
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(reference_predict_batch(network, x[i:i + batch_size]), axis=0)
        accuracy_cnt += int(np.sum(p == t[i:i + batch_size]))  # raises when the shapes do not match
    return accuracy_cnt / len(x)


def _full_batches(network, x, t, batch_size):
    """(count, processed) over the full batches only."""
    n_full = (len(x) // batch_size) * batch_size
    if n_full == 0:
        return 0, 0
    return _count(network, x[:n_full], t[:n_full], batch_size), n_full


def _forgets_tail(network, x, t, batch_size=100):
    return _full_batches(network, x, t, batch_size)[0] / len(x)


def _forgets_tail_divides_processed(network, x, t, batch_size=100):
    count, processed = _full_batches(network, x, t, batch_size)
    return count / processed


def _stops_one_batch_early(network, x, t, batch_size=100):
    accuracy_cnt = 0
    for i in range(0, len(x) - batch_size, batch_size):
        p = np.argmax(reference_predict_batch(network, x[i:i + batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i + batch_size]))
    return accuracy_cnt / len(x)


def _mean_of_batch_accuracies(network, x, t, batch_size=100):
    rates = [reference_accuracy_batch(network, x[i:i + batch_size], t[i:i + batch_size], batch_size)
             for i in range(0, len(x), batch_size)]
    return float(np.mean(rates))


def _divides_by_batches_times_size(network, x, t, batch_size=100):
    n_batches = -(-len(x) // batch_size)
    return _count(network, x, t, batch_size) / (n_batches * batch_size)


ACCURACY_MISTAKES = [
    Mistake("正解した枚数（accuracy_cnt）をそのまま返しています。正解率 = 正解数 ÷ データ数（len(x)）を返してください。",
            _count),
    Mistake("argmax を axis=0（列ごと）でとっています。y_batch は 1 行が 1 枚なので、行ごとの最大は np.argmax(y_batch, axis=1) です。",
            _argmax_axis0),
    Mistake("最後の、batch_size より小さいバッチを処理していません。range(0, len(x), batch_size) で回し、"
            "x[i:i+batch_size] のようにスライスすれば、最後の半端なバッチも自然に含まれます。",
            _forgets_tail),
    Mistake("最後の、batch_size より小さいバッチを処理せず、処理した枚数で割っています。"
            "range(0, len(x), batch_size) で回せば最後の半端なバッチも含まれます。",
            _forgets_tail_divides_processed),
    Mistake("最後のバッチを処理していません。range の終わりは len(x) - batch_size ではなく len(x) です。",
            _stops_one_batch_early),
    Mistake("バッチごとの正解率を平均しています。最後のバッチが小さいと 1 枚あたりの重みが変わってしまうので、"
            "正解数を合計してから全体の枚数 len(x) で割ってください。",
            _mean_of_batch_accuracies),
    Mistake("バッチの数 × batch_size で割っています。最後のバッチは小さいことがあるので、割る数はデータ数 len(x) です。",
            _divides_by_batches_times_size),
    Mistake("百分率（%）になっています。0 以上 1 以下の割合で返してください。", _percent),
]


# ---------------------------------------------------------------- cases

TWO_CLASS = make_network(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2))


def two_class_data(correct, seed):
    """Inputs for TWO_CLASS whose predictions are right exactly where ``correct`` is True."""
    correct = np.asarray(correct, dtype=bool)
    rng = np.random.default_rng(seed)
    n = len(correct)
    pred = rng.integers(0, 2, size=n)
    x = rng.uniform(0.0, 1.0, size=(n, 2))
    x[np.arange(n), pred] += 1.5  # the predicted class wins by a clear margin
    t = np.where(correct, pred, 1 - pred)
    return x, t.astype(np.int64)


def _mixed(n, seed, rate=0.7):
    return np.random.default_rng(seed).uniform(size=n) < rate


def _predict_mnist_cases():
    network = sample_network()
    rng = np.random.default_rng(1801)
    wrong = misclassified_indices()
    rows = np.concatenate([[0, 1], rng.choice(correct_indices(), size=2, replace=False), wrong[3:4]])
    x5, _ = mnist_rows(rows)
    x1, t1 = mnist_rows(wrong[4:5])
    return [
        Case("テスト画像 5 枚のバッチ（形状 (5, 784)、間違える画像を 1 枚含む）", (network, x5)),
        Case(f"テスト画像 1 枚だけのバッチ（形状 (1, 784)、正解 {int(t1[0])}）", (network, x1)),
    ]


def _small_batch_predict_cases(seed=1800, one_row_seed=1802):
    rng = np.random.default_rng(seed)
    cases = small_predict_cases(rng, batch=3)
    one_row = small_predict_cases(np.random.default_rng(one_row_seed), batch=1)[4]
    cases.insert(5, Case("1 行だけのバッチ（形状 (1, 4)）", one_row.args))
    return cases


def _predict_mnist_visible():
    """In the notebook: test images 0 and 1 through the pretrained weights (one copy of the network
    in the self-check data), and a one-row batch on a small network."""
    x2, _ = mnist_rows([0, 1])
    one_row = small_predict_cases(np.random.default_rng(1806), batch=1)[4]
    return [
        Case("テスト画像 0 番と 1 番のバッチ（形状 (2, 784)）と学習済みの重み", (sample_network(), x2)),
        Case("1 行だけのバッチ（形状 (1, 4)、小さなネットワーク）", one_row.args),
    ]


def _divisible_visible():
    x4, t4 = two_class_data([1, 0, 1, 1], seed=32)
    x12, t12 = two_class_data([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1], seed=31)
    x200, t200 = two_class_data(_mixed(200, 3), seed=33)
    x6, t6 = two_class_data([1, 1, 0, 1, 0, 1], seed=34)
    return [
        Case("2 クラスの小さなネットワーク、4 件、batch_size=2", (TWO_CLASS, x4, t4), {"batch_size": 2}),
        Case("2 クラスの小さなネットワーク、12 件、batch_size=4", (TWO_CLASS, x12, t12), {"batch_size": 4}),
        Case("2 クラスの小さなネットワーク、200 件、batch_size は省略（既定値 100）", (TWO_CLASS, x200, t200)),
        Case("2 クラスの小さなネットワーク、6 件、batch_size=1（1 件ずつ）", (TWO_CLASS, x6, t6), {"batch_size": 1}),
    ]


def _remainder_visible():
    x10, t10 = two_class_data([1, 1, 0, 1, 0, 1, 1, 0, 1, 1], seed=41)
    mask205 = _mixed(205, 4)
    mask205[-5:] = [True, True, False, True, True]
    x205, t205 = two_class_data(mask205, seed=42)
    x7, t7 = two_class_data([1, 0, 1, 1, 0, 1, 1], seed=43)
    return [
        Case("2 クラスの小さなネットワーク、10 件、batch_size=3（最後のバッチは 1 件）",
             (TWO_CLASS, x10, t10), {"batch_size": 3}),
        Case("2 クラスの小さなネットワーク、205 件、batch_size は省略（最後のバッチは 5 件）", (TWO_CLASS, x205, t205)),
        Case("2 クラスの小さなネットワーク、7 件、batch_size=100（データ数より大きい）",
             (TWO_CLASS, x7, t7), {"batch_size": 100}),
    ]


def _divisible_cases():
    network = sample_network()
    rng = np.random.default_rng(1803)
    rows = np.sort(np.concatenate([rng.choice(correct_indices(), size=37, replace=False), misclassified_indices()[5:8]]))
    x40, t40 = mnist_rows(rows)
    x300, t300 = two_class_data(_mixed(300, 1), seed=11)
    # Batches of 4: the last full batch is all right, the others mixed (catches stopping one batch early).
    x12, t12 = two_class_data([1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1], seed=12)
    x5, t5 = two_class_data([1, 0, 1, 1, 0], seed=13)
    x6, t6 = two_class_data([0, 1, 1, 0, 1, 1], seed=14)
    return [
        Case("テスト画像 40 枚、batch_size=10（学習済みの重み）", (network, x40, t40), {"batch_size": 10}),
        Case("2 クラスの小さなネットワーク、300 件、batch_size は省略（既定値 100）", (TWO_CLASS, x300, t300)),
        Case("2 クラスの小さなネットワーク、12 件、batch_size=4", (TWO_CLASS, x12, t12), {"batch_size": 4}),
        Case("2 クラスの小さなネットワーク、5 件、batch_size=5（バッチは 1 つ）", (TWO_CLASS, x5, t5), {"batch_size": 5}),
        Case("2 クラスの小さなネットワーク、6 件、batch_size=1（1 件ずつ）", (TWO_CLASS, x6, t6), {"batch_size": 1}),
    ]


def _remainder_cases():
    network = sample_network()
    rng = np.random.default_rng(1804)
    head = rng.choice(correct_indices(), size=47, replace=False)
    wrong = misclassified_indices()
    right = rng.choice(np.setdiff1d(correct_indices(), head), size=1)
    # 50 = 3 × 16 + 2: a mistake inside the full batches and the last batch = [mistake, right].
    rows = np.concatenate([head[:20], wrong[8:9], head[20:], wrong[9:10], right])
    x50, t50 = mnist_rows(rows)
    # Batches of 3: 6 of the first 9 right, the last single row right → 0.7.
    x10, t10 = two_class_data([1, 0, 1, 1, 0, 1, 0, 1, 1, 1], seed=21)
    mask301 = _mixed(301, 2)
    mask301[-1] = True
    x301, t301 = two_class_data(mask301, seed=22)
    x7, t7 = two_class_data([1, 1, 0, 1, 0, 1, 1], seed=23)
    return [
        Case("テスト画像 50 枚、batch_size=16（最後のバッチは 2 枚）", (network, x50, t50), {"batch_size": 16}),
        Case("2 クラスの小さなネットワーク、10 件、batch_size=3（最後のバッチは 1 件）",
             (TWO_CLASS, x10, t10), {"batch_size": 3}),
        Case("2 クラスの小さなネットワーク、301 件、batch_size は省略（最後のバッチは 1 件）", (TWO_CLASS, x301, t301)),
        Case("2 クラスの小さなネットワーク、7 件、batch_size=100（データ数より大きい）",
             (TWO_CLASS, x7, t7), {"batch_size": 100}),
    ]


def batch_predict_check(cases, visible, rtol=1e-6, atol=1e-10, prerequisite_of=""):
    return FunctionCheck(
        function="predict", reference=reference_predict_batch, mistakes=BATCH_PREDICT_MISTAKES,
        error_hints=BATCH_PREDICT_ERROR_HINTS, rtol=rtol, atol=atol, dtype="float", returns="array",
        cases=cases, visible=visible, prerequisite_of=prerequisite_of)


def accuracy_check(cases, visible):
    """accuracy_batch calls predict: a check of predict comes first, so a wrong predict is named as the cause."""
    return [
        batch_predict_check(_small_batch_predict_cases(1807, 1808), _small_batch_predict_cases(1805, 1806),
                            prerequisite_of="accuracy_batch"),
        FunctionCheck(function="accuracy_batch", reference=reference_accuracy_batch, mistakes=ACCURACY_MISTAKES,
                      rtol=0.0, atol=1e-9, dtype="float", returns="auto", cases=cases, visible=visible),
    ]


CHECKS = {
    "predict_batch_layers": [batch_predict_check(_small_batch_predict_cases(),
                                                 _small_batch_predict_cases(1805, 1806))],
    "predict_batch_mnist": [batch_predict_check(LazyCases(_predict_mnist_cases), LazyCases(_predict_mnist_visible),
                                                rtol=1e-4, atol=1e-7)],
    "accuracy_batch_divisible": accuracy_check(LazyCases(_divisible_cases), _divisible_visible()),
    "accuracy_batch_remainder": accuracy_check(LazyCases(_remainder_cases), _remainder_visible()),
}
