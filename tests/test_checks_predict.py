"""The hidden checks of 1_7_predict: right answers pass, typical mistakes fail with a hint."""

import json

import numpy as np
import pytest

from autograder.checks import checks_for

NB = "1_7_predict"
PREDICT = ["predict_layers", "predict_mnist"]
ACCURACY = ["accuracy_one_by_one_mnist"]
ALL = PREDICT + ACCURACY

# The locked cell of the notebook: every submission has these two functions.
GIVEN = '''
def sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''

BOOK_PREDICT = '''
def predict(network, x):
    W1, W2, W3 = network['W1'], network['W2'], network['W3']
    b1, b2, b3 = network['b1'], network['b2'], network['b3']
    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    z2 = sigmoid(a2)
    a3 = np.dot(z2, W3) + b3
    y = softmax(a3)
    return y
'''

BOOK_ACCURACY = '''
def accuracy_one_by_one(network, x, t):
    accuracy_cnt = 0
    for i in range(len(x)):
        y = predict(network, x[i])
        p = np.argmax(y)
        if p == t[i]:
            accuracy_cnt += 1
    return float(accuracy_cnt) / len(x)
'''

CORRECT_PREDICT = {
    "book style": BOOK_PREDICT,
    "loop over the layers with @": '''
def predict(network, x):
    z = x
    for i in (1, 2):
        z = sigmoid(z @ network[f"W{i}"] + network[f"b{i}"])
    return softmax(z @ network["W3"] + network["b3"])
''',
    "transposed products in float64": '''
def predict(network, x):
    h = np.asarray(x, dtype=np.float64)
    for k in ("1", "2", "3"):
        a = network["W" + k].T.astype(np.float64) @ h + network["b" + k]
        h = sigmoid(a) if k != "3" else softmax(a)
    return h
''',
}

CORRECT_ACCURACY = {
    "book loop": BOOK_ACCURACY,
    "numpy scalar from np.mean": '''
def accuracy_one_by_one(network, x, t):
    hits = [np.argmax(predict(network, xi)) == ti for xi, ti in zip(x, t)]
    return np.mean(hits)
''',
    "counter divided by len(t)": '''
def accuracy_one_by_one(network, x, t):
    n = 0
    for i, image in enumerate(x):
        n += int(predict(network, image).argmax() == t[i])
    return n / len(t)
''',
}


def _layers_code(body):
    return GIVEN + "\ndef predict(network, x):\n" + body


WRONG_PREDICT = {
    "no b1": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]))
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]) + network["b3"])
'''), "predict_layers", "b1 を足していません"),
    "no b2": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]))
    return softmax(np.dot(z2, network["W3"]) + network["b3"])
'''), "predict_layers", "b2 を足していません"),
    "no b3": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]))
'''), "predict_layers", "b3 を足していません"),
    "relu instead of sigmoid": (_layers_code('''
    z1 = np.maximum(0, np.dot(x, network["W1"]) + network["b1"])
    z2 = np.maximum(0, np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]) + network["b3"])
'''), "predict_layers", "ReLU"),
    "no hidden activation": (_layers_code('''
    a1 = np.dot(x, network["W1"]) + network["b1"]
    a2 = np.dot(a1, network["W2"]) + network["b2"]
    return softmax(np.dot(a2, network["W3"]) + network["b3"])
'''), "predict_layers", "活性化関数（sigmoid）を適用していません"),
    "softmax missing": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return np.dot(z2, network["W3"]) + network["b3"]
'''), "predict_layers", "ソフトマックス関数を適用していません"),
    "sigmoid on the output": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return sigmoid(np.dot(z2, network["W3"]) + network["b3"])
'''), "predict_layers", "出力層にシグモイド関数"),
    "sigmoid before softmax": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return softmax(sigmoid(np.dot(z2, network["W3"]) + network["b3"]))
'''), "predict_layers", "シグモイド関数をかけてから"),
    "second layer skipped": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    return softmax(np.dot(z1, network["W3"]) + network["b3"])
'''), "predict_layers", "2 層目（W2, b2）を飛ばしています"),
    "returns the label": (GIVEN + BOOK_PREDICT.replace("return y", "return np.argmax(y)"),
                          "predict_layers", "argmax"),
    "keeps a batch axis": (GIVEN + BOOK_PREDICT.replace("a1 = np.dot(x, W1)", "a1 = np.dot(x.reshape(1, -1), W1)"),
                           "predict_mnist", "(10,)"),
    "naive sigmoid of its own": (GIVEN + BOOK_PREDICT.replace("sigmoid(", "naive_sigmoid(") + '''
def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))
''', "predict_layers", "警告"),
    "relu fails on the real network too": (_layers_code('''
    z1 = np.maximum(0, np.dot(x, network["W1"]) + network["b1"])
    z2 = np.maximum(0, np.dot(z1, network["W2"]) + network["b2"])
    return softmax(np.dot(z2, network["W3"]) + network["b3"])
'''), "predict_mnist", "ReLU"),
    "softmax missing on the real network": (_layers_code('''
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    return np.dot(z2, network["W3"]) + network["b3"]
'''), "predict_mnist", "ソフトマックス関数を適用していません"),
    "normalises the image again, in place": (GIVEN + BOOK_PREDICT.replace(
        "W1, W2, W3 =", "x /= 255.0\n    W1, W2, W3 ="), "predict_mnist", "書き換えられています"),
    "hard-coded output size": (GIVEN + BOOK_PREDICT.replace("return y", "return y.reshape(10)"),
                               "predict_layers", "エラーが発生しました: ValueError"),
    # errors whose text points at the mistake get an extra hint (FunctionCheck.error_hints)
    "weights on the left of np.dot": (GIVEN + BOOK_PREDICT.replace("np.dot(x, W1)", "np.dot(W1, x)"),
                                      "predict_mnist", "np.dot(x, W1) の順"),
    "weights on the left of @": (GIVEN + BOOK_PREDICT.replace("np.dot(x, W1)", "W1 @ x"),
                                 "predict_mnist", "np.dot(x, W1) の順"),
    "weights on the left on a small network": (GIVEN + BOOK_PREDICT.replace("np.dot(x, W1)", "np.dot(W1, x)"),
                                               "predict_layers", "行列の積の順番"),
}


def _accuracy_code(body):
    return GIVEN + BOOK_PREDICT + "\ndef accuracy_one_by_one(network, x, t):\n" + body


WRONG_ACCURACY = {
    "returns the count": _accuracy_code('''
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return accuracy_cnt
'''),
    "divides by 10000": _accuracy_code('''
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return accuracy_cnt / 10000
'''),
    "percent": _accuracy_code('''
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return 100 * accuracy_cnt / len(x)
'''),
    "skips the last image": _accuracy_code('''
    accuracy_cnt = 0
    for i in range(len(x) - 1):
        if np.argmax(predict(network, x[i])) == t[i]:
            accuracy_cnt += 1
    return accuracy_cnt / len(x)
'''),
    "argmax of the label": _accuracy_code('''
    accuracy_cnt = 0
    for i in range(len(x)):
        if np.argmax(predict(network, x[i])) == np.argmax(t[i]):
            accuracy_cnt += 1
    return accuracy_cnt / len(x)
'''),
}
WRONG_ACCURACY_HINTS = {
    "returns the count": "正解率 = 正解数 ÷ データ数",
    "divides by 10000": "10000 で割っています",
    "percent": "百分率",
    "skips the last image": "最後の 1 枚",
    "argmax of the label": "one-hot ではなく",
}


@pytest.mark.parametrize("name", sorted(CORRECT_PREDICT))
def test_correct_predict_variants_pass(judge_code, name):
    for grade_id in PREDICT:
        passed, message = judge_code(NB, grade_id, GIVEN + CORRECT_PREDICT[name])
        assert passed, message


@pytest.mark.parametrize("predict_name", sorted(CORRECT_PREDICT))
@pytest.mark.parametrize("name", sorted(CORRECT_ACCURACY))
def test_correct_accuracy_variants_pass(judge_code, name, predict_name):
    code = GIVEN + CORRECT_PREDICT[predict_name] + CORRECT_ACCURACY[name]
    passed, message = judge_code(NB, "accuracy_one_by_one_mnist", code)
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG_PREDICT))
def test_typical_predict_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG_PREDICT[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


@pytest.mark.parametrize("name", sorted(WRONG_ACCURACY))
def test_typical_accuracy_mistakes_fail_with_a_hint(judge_code, name):
    passed, message = judge_code(NB, "accuracy_one_by_one_mnist", WRONG_ACCURACY[name])
    assert not passed
    assert WRONG_ACCURACY_HINTS[name] in message, message


def test_returning_the_label_always_fails(judge_code):
    code, grade_id, _ = WRONG_PREDICT["returns the label"]
    for grade_id in PREDICT:
        passed, message = judge_code(NB, grade_id, code)
        assert not passed and "np.ndarray" in message, message


def test_untouched_stubs_fail_everywhere(judge_code):
    stub = GIVEN + '''
def predict(network, x):
    raise NotImplementedError()


def accuracy_one_by_one(network, x, t):
    raise NotImplementedError()
'''
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message


def test_a_library_function_is_not_accepted(judge_code):
    code = GIVEN + "from course.pretrained import load_sample_weight as predict\n"
    passed, message = judge_code(NB, "predict_layers", code)
    assert not passed and "自分で実装" in message, message


def test_mnist_cases_are_small_real_and_deterministic():
    from autograder.checks.day1 import predict as module
    from autograder.checks.mnist_cases import mnist_test

    x_test, t_test = mnist_test()
    for grade_id in ALL:
        for check in checks_for(NB, grade_id):
            size = len(json.dumps(check.request()))
            assert size < 1.5e6, (grade_id, size)  # well under 2 MB per test cell
    mnist = checks_for(NB, "predict_mnist")[0]
    assert len(mnist.cases) == 3
    for case in mnist.cases:
        network, x = case.args
        assert x.shape == (784,) and x.dtype == np.float32
        assert any(np.array_equal(x, row) for row in x_test[:10]) or "間違える" in case.label
    # the misclassified case really is misclassified, and expectations sum to 1
    wrong_case = mnist.cases[2]
    y = mnist.expected_for(wrong_case)
    label = int(wrong_case.label.split("正解 ")[1].split("）")[0])
    assert np.argmax(y) != label and abs(float(y.sum()) - 1.0) < 1e-5
    accuracy = checks_for(NB, "accuracy_one_by_one_mnist")[-1]  # after the check of predict it calls
    values = [accuracy.expected_for(c) for c in accuracy.cases]
    assert 0.9 < values[0] < 1.0  # the 150 images include some mistakes
    assert values[2] == 0.625 and values[3] == 0.0
    # a second build of the cases gives the same inputs
    again = module._accuracy_cases()
    for first, second in zip(accuracy.cases, again):
        for a, b in zip(first.args[1:], second.args[1:]):
            assert np.array_equal(a, b)


def test_messages_about_the_network_stay_short(judge_code):
    # the pretrained network (784→50→100→10) is shown by shape, dtype, first values, min and max
    passed, message = judge_code(NB, "predict_mnist", GIVEN + BOOK_PREDICT.replace(" + b1", ""))
    assert not passed
    first_input = message.split("\n")[1]
    assert first_input.startswith("  入力: {'W1': ") and len(first_input) < 1200, first_input
    assert "shape=(784, 50), dtype=float32, 最小" in first_input and "shape=(784,), dtype=float32" in first_input
    assert "b1 を足していません" in message


def test_accuracy_on_a_wrong_predict_names_predict_as_the_cause(judge_code):
    from tests.conftest import visible_verdicts

    code = GIVEN + BOOK_PREDICT.replace(" + b2", "") + BOOK_ACCURACY
    passed, message = judge_code(NB, "accuracy_one_by_one_mnist", code)
    assert not passed
    assert "accuracy_one_by_one が使う predict が正しくありません" in message and "b2 を足していません" in message, message
    shown = "\n".join(v.message for v in visible_verdicts(NB, "accuracy_one_by_one_mnist", code) if not v.passed)
    assert shown.startswith("accuracy_one_by_one が使う predict が正しくありません") and "b2 を足していません" in shown, shown
