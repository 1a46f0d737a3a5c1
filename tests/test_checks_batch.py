"""The hidden checks of 1_8_batch: right answers pass, typical mistakes fail with a hint."""

import json

import numpy as np
import pytest

from autograder.checks import checks_for

NB = "1_8_batch"
PREDICT = ["predict_batch_layers", "predict_batch_mnist"]
ACCURACY = ["accuracy_batch_divisible", "accuracy_batch_remainder"]
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

CORRECT_PREDICT = {
    "book style": BOOK_PREDICT,
    "own row-wise softmax with axis=1": '''
def predict(network, x):
    h = x
    for i in (1, 2):
        h = sigmoid(h @ network[f"W{i}"] + network[f"b{i}"])
    a = h @ network["W3"] + network["b3"]
    a = a - a.max(axis=1, keepdims=True)
    return np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
''',
    "one row at a time, stacked": '''
def predict(network, x):
    rows = []
    for row in x:
        z1 = sigmoid(network["W1"].T @ row + network["b1"])
        z2 = sigmoid(network["W2"].T @ z1 + network["b2"])
        rows.append(softmax(network["W3"].T @ z2 + network["b3"]))
    return np.array(rows)
''',
    "book transpose trick in float64": '''
def predict(network, x):
    x = np.asarray(x, dtype=np.float64)
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    a = (np.dot(z2, network["W3"]) + network["b3"]).T
    a = a - np.max(a, axis=0)
    y = np.exp(a) / np.sum(np.exp(a), axis=0)
    return y.T
''',
}

CORRECT_ACCURACY = {
    "book loop": '''
def accuracy_batch(network, x, t, batch_size=100):
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        x_batch = x[i:i+batch_size]
        y_batch = predict(network, x_batch)
        p = np.argmax(y_batch, axis=1)
        accuracy_cnt += np.sum(p == t[i:i+batch_size])
    return float(accuracy_cnt) / len(x)
''',
    "ceil number of batches and a while-free index": '''
import math

def accuracy_batch(network, x, t, batch_size=100):
    n = len(x)
    hits = 0
    for b in range(math.ceil(n / batch_size)):
        start, stop = b * batch_size, min((b + 1) * batch_size, n)
        labels = predict(network, x[start:stop]).argmax(axis=1)
        hits += int((labels == t[start:stop]).sum())
    return hits / n
''',
    "concatenate predictions, np.mean as a float": '''
def accuracy_batch(network, x, t, batch_size=100):
    preds = [np.argmax(predict(network, x[i:i + batch_size]), axis=-1) for i in range(0, x.shape[0], batch_size)]
    return float(np.mean(np.concatenate(preds) == t))
''',
    "numpy scalar from the book without float()": '''
def accuracy_batch(network, x, t, batch_size=100):
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += np.sum(p == t[i:i+batch_size])
    return accuracy_cnt / len(x)
''',
}


def _predict_code(output_lines):
    return GIVEN + '''
def predict(network, x):
    z1 = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    z2 = sigmoid(np.dot(z1, network["W2"]) + network["b2"])
    a3 = np.dot(z2, network["W3"]) + network["b3"]
''' + output_lines


WRONG_PREDICT = {
    "softmax over the whole batch": (_predict_code('''
    e = np.exp(a3 - np.max(a3))
    return e / np.sum(e)
'''), "predict_batch_layers", "配列全体"),
    "softmax over columns": (_predict_code('''
    e = np.exp(a3 - np.max(a3, axis=0))
    return e / np.sum(e, axis=0)
'''), "predict_batch_layers", "列ごと（axis=0）"),
    "whole-batch softmax on MNIST": (_predict_code('''
    e = np.exp(a3 - np.max(a3))
    return e / np.sum(e)
'''), "predict_batch_mnist", "配列全体"),
    "no softmax": (_predict_code('''
    return a3
'''), "predict_batch_layers", "ソフトマックス関数を適用していません"),
    "returns the labels": (_predict_code('''
    return np.argmax(softmax(a3), axis=1)
'''), "predict_batch_layers", "argmax"),
    "first row only": (GIVEN + BOOK_PREDICT.replace("a1 = np.dot(x, W1)", "a1 = np.dot(x[0], W1)"),
                       "predict_batch_mnist", "最初の 1 行"),
    "no b1": (GIVEN + BOOK_PREDICT.replace("a1 = np.dot(x, W1) + b1", "a1 = np.dot(x, W1)"),
              "predict_batch_layers", "b1 を足していません"),
    "no b2": (GIVEN + BOOK_PREDICT.replace("a2 = np.dot(z1, W2) + b2", "a2 = np.dot(z1, W2)"),
              "predict_batch_layers", "b2 を足していません"),
    "no b3": (GIVEN + BOOK_PREDICT.replace("a3 = np.dot(z2, W3) + b3", "a3 = np.dot(z2, W3)"),
              "predict_batch_layers", "b3 を足していません"),
    "relu": (GIVEN + BOOK_PREDICT.replace("z1 = sigmoid(a1)", "z1 = np.maximum(0, a1)")
             .replace("z2 = sigmoid(a2)", "z2 = np.maximum(0, a2)"), "predict_batch_layers", "ReLU"),
    "second layer skipped": (GIVEN + BOOK_PREDICT.replace("a3 = np.dot(z2, W3)", "a3 = np.dot(z1, W3)"),
                             "predict_batch_layers", "2 層目（W2, b2）を飛ばしています"),
    "naive sigmoid of its own": (GIVEN + BOOK_PREDICT.replace("= sigmoid(", "= naive_sigmoid(") + '''
def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))
''', "predict_batch_layers", "警告"),
    "squeezes a one-row batch": (GIVEN + BOOK_PREDICT.replace("return y", "return np.squeeze(y)"),
                                 "predict_batch_mnist", "形状 (shape) が違います"),
    # the error text points at the mistake: an extra hint (FunctionCheck.error_hints)
    "weights on the left of np.dot": (GIVEN + BOOK_PREDICT.replace("np.dot(x, W1)", "np.dot(W1, x)"),
                                      "predict_batch_mnist", "np.dot(x, W1) の順"),
}


def _accuracy_code(body):
    return GIVEN + BOOK_PREDICT + "\ndef accuracy_batch(network, x, t, batch_size=100):\n" + body


WRONG_ACCURACY = {
    "returns the count": (_accuracy_code('''
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
    return accuracy_cnt
'''), ACCURACY, "正解率 = 正解数 ÷ データ数"),
    "argmax over axis 0": (_accuracy_code('''
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=0)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
    return accuracy_cnt / len(x)
'''), ["accuracy_batch_divisible"], "axis=0"),
    "forgets the last partial batch": (_accuracy_code('''
    accuracy_cnt = 0
    for b in range(len(x) // batch_size):
        i = b * batch_size
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
    return accuracy_cnt / len(x)
'''), ["accuracy_batch_remainder"], "最後の、batch_size より小さいバッチ"),
    "forgets the last partial batch and divides by the processed count": (_accuracy_code('''
    accuracy_cnt, seen = 0, 0
    for i in range(0, len(x) - batch_size + 1, batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
        seen += batch_size
    return accuracy_cnt / seen
'''), ["accuracy_batch_remainder"], "処理した枚数で割っています"),
    "range stops one batch early": (_accuracy_code('''
    accuracy_cnt = 0
    for i in range(0, len(x) - batch_size, batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
    return accuracy_cnt / len(x)
'''), ["accuracy_batch_divisible"], "最後のバッチを処理していません"),
    "mean of the batch accuracies": (_accuracy_code('''
    rates = []
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        rates.append(float(np.mean(p == t[i:i+batch_size])))
    return float(sum(rates) / len(rates))
'''), ["accuracy_batch_remainder"], "バッチごとの正解率を平均"),
    "divides by batches times batch_size": (_accuracy_code('''
    accuracy_cnt, n_batches = 0, 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
        n_batches += 1
    return accuracy_cnt / (n_batches * batch_size)
'''), ["accuracy_batch_remainder"], "バッチの数 × batch_size"),
    "percent": (_accuracy_code('''
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        p = np.argmax(predict(network, x[i:i+batch_size]), axis=1)
        accuracy_cnt += int(np.sum(p == t[i:i+batch_size]))
    return 100.0 * accuracy_cnt / len(x)
'''), ACCURACY, "百分率"),
}


@pytest.mark.parametrize("name", sorted(CORRECT_PREDICT))
def test_correct_predict_variants_pass(judge_code, name):
    for grade_id in PREDICT:
        passed, message = judge_code(NB, grade_id, GIVEN + CORRECT_PREDICT[name])
        assert passed, message


@pytest.mark.parametrize("name", sorted(CORRECT_ACCURACY))
def test_correct_accuracy_variants_pass(judge_code, name):
    for predict_name in sorted(CORRECT_PREDICT):
        code = GIVEN + CORRECT_PREDICT[predict_name] + CORRECT_ACCURACY[name]
        for grade_id in ACCURACY:
            passed, message = judge_code(NB, grade_id, code)
            assert passed, (predict_name, message)


@pytest.mark.parametrize("name", sorted(WRONG_PREDICT))
def test_typical_predict_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG_PREDICT[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


@pytest.mark.parametrize("name", sorted(WRONG_ACCURACY))
def test_typical_accuracy_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_ids, expected_words = WRONG_ACCURACY[name]
    for grade_id in grade_ids:
        passed, message = judge_code(NB, grade_id, code)
        assert not passed, grade_id
        assert expected_words in message, message


@pytest.mark.parametrize("name", ["forgets the last partial batch", "mean of the batch accuracies",
                                  "forgets the last partial batch and divides by the processed count",
                                  "divides by batches times batch_size"])
def test_remainder_mistakes_still_earn_the_divisible_points(judge_code, name):
    code, _, _ = WRONG_ACCURACY[name]
    passed, message = judge_code(NB, "accuracy_batch_divisible", code)
    assert passed, message


def test_stopping_one_batch_early_fails_both_cells(judge_code):
    code, _, _ = WRONG_ACCURACY["range stops one batch early"]
    for grade_id in ACCURACY:
        passed, message = judge_code(NB, grade_id, code)
        assert not passed and "最後の" in message and "バッチ" in message, message


def test_untouched_stubs_fail_everywhere(judge_code):
    stub = GIVEN + '''
def predict(network, x):
    raise NotImplementedError()


def accuracy_batch(network, x, t, batch_size=100):
    raise NotImplementedError()
'''
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message


def test_cases_are_small_and_cover_what_the_prose_promises():
    for grade_id in ALL:
        for check in checks_for(NB, grade_id):
            assert len(json.dumps(check.request())) < 1.5e6, grade_id
    def sizes(case):
        return len(case.args[1]), case.kwargs.get("batch_size", 100)

    # the check of accuracy_batch comes after the check of the predict it calls; the same promises
    # hold for the hidden cases and for the visible ones of the notebook
    for kind in ("cases", "visible"):
        divisible = getattr(checks_for(NB, "accuracy_batch_divisible")[-1], kind)
        remainder = getattr(checks_for(NB, "accuracy_batch_remainder")[-1], kind)
        assert all(n % bs == 0 or bs > n for n, bs in map(sizes, divisible))
        assert all(n % bs != 0 for n, bs in map(sizes, remainder))
        assert any("batch_size" not in c.kwargs for c in divisible)  # the default 100 is used
        assert any("batch_size" not in c.kwargs for c in remainder)
        assert any(bs > n for n, bs in map(sizes, remainder))  # batch larger than the data
        assert any(bs == 1 for _, bs in map(sizes, divisible))
    # MNIST predict cases are real 2-D batches, including a one-row batch
    shapes = [c.args[1].shape for c in checks_for(NB, "predict_batch_mnist")[0].cases]
    assert shapes == [(5, 784), (1, 784)]
    # some row-wise case has a square output, where a column softmax keeps the right shape
    layers = checks_for(NB, "predict_batch_layers")[0]
    assert any(np.shape(layers.expected_for(c))[0] == np.shape(layers.expected_for(c))[1] for c in layers.cases)


def test_accuracy_on_a_wrong_predict_names_predict_as_the_cause(judge_code):
    from tests.conftest import visible_verdicts

    code = GIVEN + BOOK_PREDICT.replace(" + b2", "") + CORRECT_ACCURACY["book loop"]
    for grade_id in ("accuracy_batch_divisible", "accuracy_batch_remainder"):
        passed, message = judge_code(NB, grade_id, code)
        assert not passed
        assert "accuracy_batch が使う predict が正しくありません" in message and "b2 を足していません" in message, message
        shown = "\n".join(v.message for v in visible_verdicts(NB, grade_id, code) if not v.passed)
        assert shown.startswith("accuracy_batch が使う predict が正しくありません"), shown
