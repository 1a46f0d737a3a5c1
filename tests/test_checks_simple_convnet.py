"""The checks of 5_4_simple_convnet: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both). Also: the reference network's gradient
agrees with numerical gradients, and the recorded MNIST run (scripts/record_day5_simple_convnet.py) reaches
what the notebook claims."""

import subprocess
import sys

import numpy as np
import pytest

from course.convnet import SimpleConvNet
from course.gradient_check import check_gradients
from course.records import load_record
from tests.conftest import REPO

NB = "5_4_simple_convnet"
CELLS = ["simple_convnet_init", "simple_convnet_predict", "simple_convnet_gradient"]

BOOK = """
from collections import OrderedDict
from course.layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01, seed=0):
        filter_num = conv_param['filter_num']
        filter_size = conv_param['filter_size']
        filter_pad = conv_param['pad']
        filter_stride = conv_param['stride']
        C, H, W = input_dim
        conv_h = (H - filter_size + 2 * filter_pad) // filter_stride + 1
        conv_w = (W - filter_size + 2 * filter_pad) // filter_stride + 1
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        rng = np.random.default_rng(seed)
        self.params = {}
        self.params['W1'] = weight_init_std * rng.standard_normal((filter_num, C, filter_size, filter_size))
        self.params['b1'] = np.zeros(filter_num)
        self.params['W2'] = weight_init_std * rng.standard_normal((pool_output_size, hidden_size))
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * rng.standard_normal((hidden_size, output_size))
        self.params['b3'] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], conv_param['stride'], conv_param['pad'])
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
"""

LIST_OF_LAYERS = """
from course.im2col import conv_output_size
from course.layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=0):
        fn, fs = conv_param["filter_num"], conv_param["filter_size"]
        pad, stride = conv_param["pad"], conv_param["stride"]
        C, H, W = input_dim
        oh = conv_output_size(H, fs, stride, pad)
        ow = conv_output_size(W, fs, stride, pad)
        rng = np.random.default_rng(seed)
        shapes = {"W1": (fn, C, fs, fs), "W2": (fn * (oh // 2) * (ow // 2), hidden_size),
                  "W3": (hidden_size, output_size)}
        self.params = {}
        for i, n in zip((1, 2, 3), (fn, hidden_size, output_size)):
            self.params[f"W{i}"] = rng.normal(0.0, weight_init_std, size=shapes[f"W{i}"])
            self.params[f"b{i}"] = np.zeros(n)
        p = self.params
        self.sequence = [Convolution(p["W1"], p["b1"], stride=stride, pad=pad), Relu(), Pooling(2, 2, stride=2),
                         Affine(p["W2"], p["b2"]), Relu(), Affine(p["W3"], p["b3"])]
        self.last = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.sequence:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last.forward(self.predict(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        d = self.last.backward(1.0)
        for layer in self.sequence[::-1]:
            d = layer.backward(d)
        conv, a1, a2 = self.sequence[0], self.sequence[3], self.sequence[5]
        return {"W1": conv.dW, "b1": conv.db, "W2": a1.dW, "b2": a1.db, "W3": a2.dW, "b3": a2.db}
"""

CORRECT = {cell: {"book (7.5) with the course's seed and pooled size": BOOK,
                  "a list of layers, rng.normal": LIST_OF_LAYERS} for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


GLOBAL_RANDOM = _replace("rng = np.random.default_rng(seed)", "np.random.seed(seed)\n        rng = None").replace(
    "weight_init_std * rng.standard_normal((filter_num, C, filter_size, filter_size))",
    "weight_init_std * np.random.randn(filter_num, C, filter_size, filter_size)").replace(
    "weight_init_std * rng.standard_normal((pool_output_size, hidden_size))",
    "weight_init_std * np.random.randn(pool_output_size, hidden_size)").replace(
    "weight_init_std * rng.standard_normal((hidden_size, output_size))",
    "weight_init_std * np.random.randn(hidden_size, output_size)")
DRAW_ORDER = _replace(
    "        self.params['W2'] = weight_init_std * rng.standard_normal((pool_output_size, hidden_size))\n",
    "").replace("        self.params['b3'] = np.zeros(output_size)\n",
                "        self.params['b3'] = np.zeros(output_size)\n"
                "        self.params['W2'] = weight_init_std * rng.standard_normal((pool_output_size, hidden_size))\n")
NEW_GENERATOR_EACH = _replace("rng.standard_normal", "np.random.default_rng(seed).standard_normal")
NO_SCALE = _replace("weight_init_std * rng.standard_normal", "rng.standard_normal")
BOOK_POOL_SIZE = _replace("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
                          "pool_output_size = int(filter_num * (conv_h / 2) * (conv_w / 2))")
SQUARE_ONLY = _replace("conv_w = (W - filter_size", "conv_w = (H - filter_size")
NO_HALVING = _replace("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
                      "pool_output_size = filter_num * conv_h * conv_w")
COPIES = _replace("Convolution(self.params['W1'], self.params['b1'],",
                  "Convolution(self.params['W1'].copy(), self.params['b1'].copy(),").replace(
    "Affine(self.params['W2'], self.params['b2'])", "Affine(self.params['W2'].copy(), self.params['b2'].copy())").replace(
    "Affine(self.params['W3'], self.params['b3'])", "Affine(self.params['W3'].copy(), self.params['b3'].copy())")
NO_RELU1 = _replace("        self.layers['Relu1'] = Relu()\n", "")
NO_RELU2 = _replace("        self.layers['Relu2'] = Relu()\n", "")
PREDICT_SOFTMAX = _replace("""            x = layer.forward(x)
        return x
""", """            x = layer.forward(x)
        x = x - x.max(axis=1, keepdims=True)
        return np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
""")
KEYS_SHIFTED = _replace("grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db\n"
                        "        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db",
                        "grads['W3'], grads['b3'] = self.layers['Affine1'].dW, self.layers['Affine1'].db\n"
                        "        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db")
RETURNS_PARAMS = _replace("        return grads\n", "        return {k: v.copy() for k, v in self.params.items()}\n")
NO_BIASES = _replace("        return grads\n", "        return {k: grads[k] for k in ('W1', 'W2', 'W3')}\n")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "np.random.randn instead of the Generator": (GLOBAL_RANDOM, "simple_convnet_init", "np.random.randn"),
    "W2 drawn last": (DRAW_ORDER, "simple_convnet_init", "引く順番"),
    "a new Generator for every weight": (NEW_GENERATOR_EACH, "simple_convnet_init", "作り直して"),
    "weights without weight_init_std": (NO_SCALE, "simple_convnet_init", "weight_init_std を掛けていません"),
    "the book's pooled size for odd sizes": (BOOK_POOL_SIZE, "simple_convnet_init", "奇数"),
    "the height used for the width": (SQUARE_ONLY, "simple_convnet_init", "正方形とは限らない"),
    "pooled size without the pooling": (NO_HALVING, "simple_convnet_init", "プーリングの効果"),
    "layers hold copies of the parameters": (COPIES, "simple_convnet_predict", "コピーしない"),
    "no ReLU after the convolution": (NO_RELU1, "simple_convnet_predict", "畳み込み層のあとの ReLU"),
    "no ReLU after the first affine layer": (NO_RELU2, "simple_convnet_predict", "Affine 層のあとの ReLU"),
    "predict returns probabilities": (PREDICT_SOFTMAX, "simple_convnet_predict", "ソフトマックスの前"),
    "gradients of the affine layers swapped": (KEYS_SHIFTED, "simple_convnet_gradient", "入れ替わって"),
    "gradient returns the parameters": (RETURNS_PARAMS, "simple_convnet_gradient", "パラメータそのもの"),
    "gradient without the biases": (NO_BIASES, "simple_convnet_gradient", "バイアスの勾配"),
    "no ReLU after the convolution (gradient)": (NO_RELU1, "simple_convnet_gradient", "畳み込み層のあとの ReLU"),
}

STUB = """
class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01, seed=0):
        # ここに解答を書いてください
        raise NotImplementedError()

    def predict(self, x):
        # ここに解答を書いてください
        raise NotImplementedError()

    def loss(self, x, t):
        # ここに解答を書いてください
        raise NotImplementedError()

    def gradient(self, x, t):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS = {cell: STUB for cell in CELLS}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"


@pytest.mark.parametrize("input_dim,conv_param", [
    ((1, 8, 8), {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1}),
    ((2, 7, 10), {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 2}),
])
def test_reference_gradient_matches_numerical_gradient(input_dim, conv_param):
    rng = np.random.default_rng(1)
    net = SimpleConvNet(input_dim, conv_param, hidden_size=6, output_size=4, weight_init_std=0.3, seed=1)
    for key in ("b1", "b2", "b3"):
        net.params[key][...] = rng.normal(size=net.params[key].shape) * 0.1
    x = rng.normal(size=(3, *input_dim))
    t = np.array([0, 3, 1])
    grads = net.gradient(x, t)
    verdict = check_gradients(lambda: float(net.loss(x, t)), net.params, grads)
    assert verdict.passed, verdict.message


def test_reference_layout_and_initialisation():
    net = SimpleConvNet()
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(net.params["W1"], 0.01 * rng.standard_normal((30, 1, 5, 5)))
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    assert net.layers["Conv1"].W is net.params["W1"] and net.layers["Affine2"].b is net.params["b3"]


def test_recorded_mnist_run_reaches_the_claimed_accuracy():
    """The notebook says: ≥ 98.5 % test accuracy after the recorded epochs, filters changed by training."""
    record = load_record("day5_simple_convnet_mnist")
    epochs = int(record["epochs"])
    assert len(record["test_acc"]) == len(record["train_acc"]) == epochs >= 3
    assert len(record["train_loss"]) == epochs * int(record["train_size"]) // int(record["batch_size"])
    assert int(record["train_size"]) == 60000 and int(record["test_size"]) == 10000
    assert float(record["test_acc"][-1]) >= 0.985
    assert float(record["test_acc"][0]) > 0.9
    assert np.all(np.isfinite(record["train_loss"]))
    assert float(record["train_loss"][-600:].mean()) < 0.2 * float(record["train_loss"][:20].mean())
    assert record["W1_before"].shape == record["W1_after"].shape == (30, 1, 5, 5)
    assert np.abs(record["W1_after"]).mean() > 3 * np.abs(record["W1_before"]).mean()
    assert np.all(record["epoch_cpu_seconds"] > 0)
    np.testing.assert_array_equal(record["W1_before"],
                                  SimpleConvNet(seed=int(record["seed"]), dtype=np.float32).params["W1"])


def test_recorded_run_is_reproduced_by_its_script(tmp_path):
    """A short run of the script (200 images, one epoch) gives the record's first filters and the same kind
    of file."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day5_simple_convnet.py"), "--epochs", "1",
                    "--train-size", "200", "--out-dir", str(tmp_path)], check=True, cwd=REPO, capture_output=True)
    with np.load(tmp_path / "day5_simple_convnet_mnist.npz", allow_pickle=False) as short:
        record = load_record("day5_simple_convnet_mnist")
        assert set(short.files) == set(record)
        np.testing.assert_array_equal(short["W1_before"], record["W1_before"])
        assert short["train_loss"].shape == (2,)
