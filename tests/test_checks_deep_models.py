"""The checks of 4_5_deep_models: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the reference network with every option on
against numerical gradients; the recorded MNIST run's claims."""

import json
import re
from importlib.resources import files
from pathlib import Path

import nbformat
import numpy as np
import pytest

NB = "4_5_deep_models"
CELLS = ["extend_init", "extend_predict", "extend_loss", "extend_gradient"]
REPO = Path(__file__).resolve().parents[1]

IMPORTS = """
from collections import OrderedDict
from course.batch_normalization import BatchNormalization
from course.dropout import Dropout
from course.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
"""


def _answer_cell() -> str:
    nb = nbformat.read(REPO / "source" / "day4" / f"{NB}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.get("id") == "MultiLayerNetExtend"]
    return cell.source


ANSWER = IMPORTS + re.sub(r" *### (BEGIN|END) SOLUTION\n", "", _answer_cell())
STUB = IMPORTS + re.sub(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", r"\1raise NotImplementedError()\n",
                        _answer_cell(), flags=re.S)

BOOK = IMPORTS + """
class MultiLayerNetExtend:
    def __init__(self, input_size, hidden_size_list, output_size, activation='relu', weight_init_std='relu',
                 weight_decay_lambda=0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False, seed=0):
        self.input_size = input_size
        self.output_size = output_size
        self.hidden_size_list = hidden_size_list
        self.hidden_layer_num = len(hidden_size_list)
        self.use_dropout = use_dropout
        self.weight_decay_lambda = weight_decay_lambda
        self.use_batchnorm = use_batchnorm
        self.params = {}
        self.__init_weight(weight_init_std, seed)
        activation_layer = {'sigmoid': Sigmoid, 'relu': Relu}
        self.layers = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers['Affine' + str(idx)] = Affine(self.params['W' + str(idx)], self.params['b' + str(idx)])
            if self.use_batchnorm:
                self.params['gamma' + str(idx)] = np.ones(hidden_size_list[idx - 1])
                self.params['beta' + str(idx)] = np.zeros(hidden_size_list[idx - 1])
                self.layers['BatchNorm' + str(idx)] = BatchNormalization(self.params['gamma' + str(idx)],
                                                                         self.params['beta' + str(idx)])
            self.layers['Activation_function' + str(idx)] = activation_layer[activation]()
            if self.use_dropout:
                self.layers['Dropout' + str(idx)] = Dropout(dropout_ratio, seed=[seed, idx], inverted=True)
        idx = self.hidden_layer_num + 1
        self.layers['Affine' + str(idx)] = Affine(self.params['W' + str(idx)], self.params['b' + str(idx)])
        self.last_layer = SoftmaxWithLoss()

    def __init_weight(self, weight_init_std, seed):
        rng = np.random.default_rng(seed)
        all_size_list = [self.input_size] + self.hidden_size_list + [self.output_size]
        for idx in range(1, len(all_size_list)):
            scale = weight_init_std
            if str(weight_init_std).lower() in ('relu', 'he'):
                scale = np.sqrt(2.0 / all_size_list[idx - 1])
            elif str(weight_init_std).lower() in ('sigmoid', 'xavier'):
                scale = np.sqrt(1.0 / all_size_list[idx - 1])
            self.params['W' + str(idx)] = scale * rng.standard_normal((all_size_list[idx - 1], all_size_list[idx]))
            self.params['b' + str(idx)] = np.zeros(all_size_list[idx])

    def predict(self, x, train_flg=False):
        for key, layer in self.layers.items():
            if "Dropout" in key or "BatchNorm" in key:
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        weight_decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            W = self.params['W' + str(idx)]
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(W**2)
        return self.last_layer.forward(y, t) + weight_decay

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            grads['W' + str(idx)] = self.layers['Affine' + str(idx)].dW + \\
                self.weight_decay_lambda * self.params['W' + str(idx)]
            grads['b' + str(idx)] = self.layers['Affine' + str(idx)].db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads['gamma' + str(idx)] = self.layers['BatchNorm' + str(idx)].dgamma
                grads['beta' + str(idx)] = self.layers['BatchNorm' + str(idx)].dbeta
        return grads
"""

CORRECT = {cell: {"the notebook's answer": ANSWER, "the book's MultiLayerNetExtend (course seeds)": BOOK}
           for cell in CELLS}


def _replace(old, new, code=ANSWER):
    assert old in code, old
    return code.replace(old, new)


SWAPPED_INIT = _replace('if weight_init_std in ("relu", "he"):', 'if weight_init_std in ("sigmoid", "xavier"):').replace(
    'elif weight_init_std in ("sigmoid", "xavier"):', 'elif weight_init_std in ("relu", "he"):')
NO_BN_PARAMS = _replace(
    '                self.params[f"gamma{i}"] = np.ones(sizes[i])\n                self.params[f"beta{i}"] = np.zeros(sizes[i])\n'
    '                self.layers[f"BatchNorm{i}"] = BatchNormalization(self.params[f"gamma{i}"], self.params[f"beta{i}"])',
    '                self.layers[f"BatchNorm{i}"] = BatchNormalization(np.ones(sizes[i]), np.zeros(sizes[i]))').replace(
    '            if self.use_batchnorm and i < self.n_layers:\n', '            if False:\n')
NO_BN_GRADS = _replace('            if self.use_batchnorm and i < self.n_layers:\n', '            if False:\n')
ACT_BEFORE_BN = _replace(
    '            if use_batchnorm:\n                self.params[f"gamma{i}"] = np.ones(sizes[i])',
    '            self.layers[f"Activation_function{i}"] = activation_layer()\n'
    '            if use_batchnorm:\n                self.params[f"gamma{i}"] = np.ones(sizes[i])').replace(
    '            self.layers[f"Activation_function{i}"] = activation_layer()\n            if use_dropout:',
    '            if use_dropout:')
ALWAYS_TRAINING = _replace("x = layer.forward(x, train_flg)", "x = layer.forward(x, True)")
TRAIN_FLG_DROPPED = _replace("x = layer.forward(x, train_flg)", "x = layer.forward(x)")
BOOK_DROPOUT = _replace("Dropout(dropout_ratio, seed=[seed, i], inverted=True)", "Dropout(dropout_ratio, seed=[seed, i])")
SHARED_SEED = _replace("Dropout(dropout_ratio, seed=[seed, i], inverted=True)",
                       "Dropout(dropout_ratio, seed=seed, inverted=True)")
DECAY_ON_ALL = _replace(
    '        for i in range(1, self.n_layers + 1):\n            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{i}"] ** 2)',
    '        for value in self.params.values():\n            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(value ** 2)')
NO_HALF = _replace('weight_decay += 0.5 * self.weight_decay_lambda', 'weight_decay += self.weight_decay_lambda')
DECAY_ON_ALL_GRAD = _replace('grads[f"b{i}"] = affine.db', 'grads[f"b{i}"] = affine.db + self.weight_decay_lambda * affine.b',
                             DECAY_ON_ALL).replace(
    '.dgamma\n', '.dgamma + self.weight_decay_lambda * self.params[f"gamma{i}"]\n').replace(
    '.dbeta\n', '.dbeta + self.weight_decay_lambda * self.params[f"beta{i}"]\n')
GRAD_NO_DECAY = _replace('grads[f"W{i}"] = affine.dW + self.weight_decay_lambda * affine.W', 'grads[f"W{i}"] = affine.dW')
GRAD_TEST_MODE = _replace("self.loss(x, t, train_flg=True)", "self.loss(x, t)")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "He and Xavier swapped": (SWAPPED_INIT, "extend_init", "入れ替わっています"),
    "gamma/beta not in params": (NO_BN_PARAMS, "extend_init", "params に入っていません"),
    "no gamma/beta gradients": (NO_BN_GRADS, "extend_gradient", "gamma{i}, beta{i} の勾配がありません"),
    "activation before BatchNorm": (ACT_BEFORE_BN, "extend_predict", "レイヤの順番"),
    "BN and dropout always in training mode": (ALWAYS_TRAINING, "extend_predict", "テスト時（train_flg=False）にも学習時"),
    "train_flg not passed (dropout active at test time)": (TRAIN_FLG_DROPPED, "extend_predict", "train_flg"),
    "the book's dropout scaling": (BOOK_DROPOUT, "extend_predict", "inverted dropout"),
    "one dropout seed for every layer": (SHARED_SEED, "extend_predict", "seed=[seed, i]"),
    "weight decay on b, gamma and beta": (DECAY_ON_ALL, "extend_loss", "重み以外"),
    "weight decay on b, gamma and beta (gradient cell)": (DECAY_ON_ALL_GRAD, "extend_gradient", "重み以外"),
    "0.5 missing": (NO_HALF, "extend_loss", "0.5 がありません"),
    "λW missing in the gradient": (GRAD_NO_DECAY, "extend_gradient", "λ * W を足していません"),
    "gradient in test mode": (GRAD_TEST_MODE, "extend_gradient", "loss(x, t, train_flg=True) で順伝播します"),
}

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
    assert cells == set(CELLS)
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"


def _reset_dropout(net, seed):
    for name, layer in net.layers.items():
        if name.startswith("Dropout"):
            layer.rng = np.random.default_rng([seed, int(name[len("Dropout"):])])


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_network_with_every_option_matches_numerical_gradients(activation):
    """BN in training mode, dropout with a fixed mask (the generators re-made before every forward pass),
    weight decay: the reference's gradient is the numerical gradient of its loss."""
    from course.gradient_check import check_gradients
    from course.networks import MultiLayerNetExtend

    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(6, 5)), np.array([0, 2, 1, 2, 0, 1])
    net = MultiLayerNetExtend(5, [6, 4], 3, activation=activation, weight_init_std=activation,
                              weight_decay_lambda=0.1, use_dropout=True, dropout_ratio=0.3, use_batchnorm=True, seed=3)
    for key in net.params:  # every parameter away from its initial value (b, beta ≠ 0, gamma ≠ 1)
        if not key.startswith("W"):
            net.params[key][...] += rng.normal(size=net.params[key].shape) * 0.5
    _reset_dropout(net, 3)
    grads = net.gradient(x, t)
    assert set(grads) == set(net.params)
    assert any(not layer.mask.all() for name, layer in net.layers.items() if name.startswith("Dropout"))

    def loss():
        _reset_dropout(net, 3)
        return net.loss(x, t, train_flg=True)

    # b1, b2 feed a BatchNorm, which subtracts the mean: their gradient is exactly 0 and the numerical one is
    # rounding noise (~1e-11, a large *relative* error), so they are checked on their own
    for key in ("b1", "b2"):
        assert np.abs(grads[key]).max() < 1e-12, grads[key]
    checked = {k: v for k, v in net.params.items() if k not in ("b1", "b2")}
    # threshold 1e-4: the delta 1e-7 inside the cross-entropy's log shifts tiny gradients by ~1e-5 (relative)
    verdict = check_gradients(loss, checked, grads, threshold=1e-4)
    assert verdict.passed, verdict.message
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong["gamma1"] += 0.1 * net.params["gamma1"]  # decay on gamma: the checker must notice
    assert not check_gradients(loss, checked, wrong, threshold=1e-4).passed


def test_test_mode_changes_nothing_in_the_network():
    from course.networks import MultiLayerNetExtend

    rng = np.random.default_rng(1)
    net = MultiLayerNetExtend(5, [4], 3, use_dropout=True, use_batchnorm=True, seed=0)
    net.predict(rng.normal(size=(8, 5)), train_flg=True)
    bn, dropout = net.layers["BatchNorm1"], net.layers["Dropout1"]
    before = (bn.running_mean.copy(), bn.running_var.copy(), dropout.rng.bit_generator.state)
    x = rng.normal(size=(3, 5))
    first = net.predict(x)
    np.testing.assert_array_equal(net.predict(x), first)
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])
    assert dropout.rng.bit_generator.state == before[2]


def test_recorded_mnist_run_reaches_98_percent():
    record = json.loads(files("course").joinpath("data", "day4_deep_models.json").read_text("utf-8"))
    s = record["settings"]
    assert record["test_accuracy"] >= 0.980, record["test_accuracy"]
    assert s["use_batchnorm"] and s["use_dropout"] and s["weight_decay_lambda"] > 0
    assert s["train_size"] + s["validation_size"] == 60000
    for key in ("train_loss", "train_accuracy", "validation_accuracy"):
        assert len(record[key]) == s["epochs"], key
    assert record["validation_accuracy"][-1] >= 0.975
    assert record["cpu_seconds"] > 0


def test_network_trains_on_a_small_subset():
    """A run that fits in CI: 784-50-10 with BN on 1000 MNIST images, 3 epochs of Adam, validated on 1000
    other training images, reaches ≥ 85 %."""
    from course.datasets import load_mnist
    from course.networks import MultiLayerNetExtend
    from course.optimizers import Adam

    (x_train, t_train), _ = load_mnist(normalize=True)
    x, t, x_val, t_val = x_train[:1000], t_train[:1000], x_train[-1000:], t_train[-1000:]
    net = MultiLayerNetExtend(784, [50], 10, use_batchnorm=True, weight_decay_lambda=1e-4, seed=0)
    optimizer, rng = Adam(lr=0.01), np.random.default_rng(0)
    for _ in range(3):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 100):
            batch = order[start:start + 100]
            optimizer.update(net.params, net.gradient(x[batch], t[batch]))
    assert net.accuracy(x_val, t_val) >= 0.85


def test_option_strings_travel_to_the_kernel_and_are_never_a_right_answer():
    from course import probe
    from course.checking import FunctionCheck, _judge_entry

    assert probe.decode_value(probe.encode_value("sigmoid")) == "sigmoid"
    check = FunctionCheck(function="f", reference=lambda x: x * 2.0, cases=[])
    result = {"ok": True, "value": probe.encode_value("2.0"), "args_after": []}
    failure = _judge_entry(check, "f: ", result, 2.0, (1.0,), False, lambda: [])
    assert failure and "使えません" in failure, failure
