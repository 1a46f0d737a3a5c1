"""The hidden checks of 2_4_two_layer_net_numerical: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_4_two_layer_net_numerical"
ALL = ["two_layer_net_init", "two_layer_net_predict", "two_layer_net_loss", "two_layer_net_accuracy",
       "two_layer_net_numerical_gradient"]

# the notebook's given (locked) cells
GIVEN = """
from course.functions import cross_entropy_error, sigmoid, softmax

def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad
"""

BOOK = GIVEN + """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def predict(self, x):
        W1, W2 = self.params['W1'], self.params['W2']
        b1, b2 = self.params['b1'], self.params['b2']
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        return y

    def loss(self, x, t):
        y = self.predict(x)
        return cross_entropy_error(y, t)

    def accuracy(self, x, t):
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        accuracy = np.sum(y == t) / float(x.shape[0])
        return accuracy

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)
        grads = {}
        grads['W1'] = numerical_gradient(loss_W, self.params['W1'])
        grads['b1'] = numerical_gradient(loss_W, self.params['b1'])
        grads['W2'] = numerical_gradient(loss_W, self.params['W2'])
        grads['b2'] = numerical_gradient(loss_W, self.params['b2'])
        return grads
"""

OWN_FUNCTIONS = GIVEN + """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        rng = np.random.default_rng()
        self.params = {
            'W1': rng.standard_normal((input_size, hidden_size)) * weight_init_std,
            'b1': np.zeros(hidden_size),
            'W2': rng.standard_normal((hidden_size, output_size)) * weight_init_std,
            'b2': np.zeros(output_size),
        }

    def predict(self, x):
        z1 = 1.0 / (1.0 + np.exp(-(x @ self.params['W1'] + self.params['b1'])))
        a2 = z1 @ self.params['W2'] + self.params['b2']
        a2 = a2 - a2.max(axis=1, keepdims=True)
        e = np.exp(a2)
        return e / e.sum(axis=1, keepdims=True)

    def loss(self, x, t):
        y = self.predict(x)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        return -np.mean(np.log(y[np.arange(len(t)), t] + 1e-7))

    def accuracy(self, x, t):
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return np.mean(self.predict(x).argmax(axis=1) == labels)

    def numerical_gradient(self, x, t):
        f = lambda _: self.loss(x, t)
        return {k: numerical_gradient(f, v) for k, v in self.params.items()}
"""

CORRECT = {"book": BOOK, "own functions, dict comprehension": OWN_FUNCTIONS}


def replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "no softmax": (replace(BOOK, "y = softmax(a2)", "y = a2"), "two_layer_net_predict", "ソフトマックス関数を使っていません"),
    "sigmoid on output": (replace(BOOK, "y = softmax(a2)", "y = sigmoid(a2)"), "two_layer_net_predict",
                          "出力層にシグモイド関数"),
    "no hidden activation": (replace(BOOK, "z1 = sigmoid(a1)", "z1 = a1"), "two_layer_net_predict",
                             "隠れ層の活性化関数"),
    "loss on scores": (replace(BOOK, "y = self.predict(x)\n        return cross_entropy_error(y, t)",
                               "W1, W2 = self.params['W1'], self.params['W2']\n"
                               "        y = np.dot(sigmoid(np.dot(x, W1) + self.params['b1']), W2) + self.params['b2']\n"
                               "        return cross_entropy_error(y, t)"),
                       "two_layer_net_loss", "ソフトマックス関数を通す前"),
    "accuracy count": (replace(BOOK, "np.sum(y == t) / float(x.shape[0])", "np.sum(y == t)"),
                       "two_layer_net_accuracy", "個数をデータ数"),
    "accuracy one-hot compared directly": (replace(BOOK, "        if t.ndim != 1:\n            t = np.argmax(t, axis=1)\n", ""),
                                           "two_layer_net_accuracy", "np.argmax(..., axis=1)"),
    "accuracy only for one-hot": (replace(BOOK, "        if t.ndim != 1:\n            t = np.argmax(t, axis=1)\n",
                                          "        t = np.argmax(t, axis=1)\n"),
                                  "two_layer_net_accuracy", "クラス番号の 1 次元配列"),
    "gradient keys missing": (replace(BOOK, "        grads['b1'] = numerical_gradient(loss_W, self.params['b1'])\n", ""),
                              "two_layer_net_numerical_gradient", "'b1'"),
    "gradient of a copy": (replace(OWN_FUNCTIONS, "numerical_gradient(f, v)", "numerical_gradient(f, v.copy())"),
                           "two_layer_net_numerical_gradient", "コピー"),
    "bias initialised randomly": (replace(BOOK, "self.params['b1'] = np.zeros(hidden_size)",
                                          "self.params['b1'] = np.random.randn(hidden_size)"),
                                  "two_layer_net_init", "b1"),
    "W1 shape transposed": (replace(BOOK, "np.random.randn(input_size, hidden_size)", "np.random.randn(hidden_size, input_size)"),
                            "two_layer_net_init", "W1 の形状が逆"),
    "W2 shape transposed": (replace(BOOK, "np.random.randn(hidden_size, output_size)", "np.random.randn(output_size, hidden_size)"),
                            "two_layer_net_init", "W2 の形状が逆"),
    "bias initialised with ones": (replace(BOOK, "self.params['b1'] = np.zeros(hidden_size)",
                                           "self.params['b1'] = np.ones(hidden_size)"),
                                   "two_layer_net_init", "1 で初期化"),
    "bias as a row (1, n)": (replace(BOOK, "self.params['b2'] = np.zeros(output_size)",
                                     "self.params['b2'] = np.zeros((1, output_size))"),
                             "two_layer_net_init", "2 次元"),
    "b1 and b2 sizes swapped": (replace(BOOK, "np.zeros(hidden_size)", "np.zeros(output_size)")
                                .replace("self.params['b2'] = np.zeros(output_size)", "self.params['b2'] = np.zeros(hidden_size)"),
                                "two_layer_net_init", "入れ替わって"),
    "no weight_init_std argument": (replace(BOOK, ", weight_init_std=0.01):", "):\n        weight_init_std = 0.01"),
                                    "two_layer_net_init", "weight_init_std=0.01"),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variants_pass_every_check(judge_code, name):
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, CORRECT[name])
        assert passed, f"{grade_id}: {message}"


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_gradient_keys_missing_also_names_the_keys(judge_code):
    code = WRONG["gradient keys missing"][0]
    passed, message = judge_code(NB, "two_layer_net_numerical_gradient", code)
    assert not passed and "キー ['b1'] がありません" in message, message


def test_untouched_stub_fails_everywhere(judge_code):
    stub = GIVEN + """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        raise NotImplementedError()
    def predict(self, x):
        raise NotImplementedError()
    def loss(self, x, t):
        raise NotImplementedError()
    def accuracy(self, x, t):
        raise NotImplementedError()
    def numerical_gradient(self, x, t):
        raise NotImplementedError()
"""
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message


def test_methods_stubbed_after_a_working_constructor_fail(judge_code):
    stub = replace(BOOK, "        y = softmax(a2)\n        return y", "        raise NotImplementedError()")
    passed, message = judge_code(NB, "two_layer_net_predict", stub)
    assert not passed and "NotImplementedError" in message


@pytest.mark.parametrize("grade_id, method", [("two_layer_net_loss", "loss"), ("two_layer_net_accuracy", "accuracy")])
def test_a_wrong_predict_is_named_as_the_cause(judge_code, grade_id, method):
    """loss and accuracy call predict: a wrong predict is named first, in the notebook and in the grade."""
    from tests.conftest import visible_verdicts

    code = WRONG["no hidden activation"][0]
    passed, message = judge_code(NB, grade_id, code)
    shown = "\n".join(v.message for v in visible_verdicts(NB, grade_id, code))
    for text in (message, shown):
        assert f"{method} が使う predict が正しくありません。先に predict を直してください" in text, text
        assert f"{method} が使う predict の確認" in text and "隠れ層の活性化関数" in text, text
    assert not passed


def test_a_wrong_loss_is_named_as_the_cause_of_a_wrong_gradient(judge_code):
    code = WRONG["loss on scores"][0]
    passed, message = judge_code(NB, "two_layer_net_numerical_gradient", code)
    assert not passed
    assert "numerical_gradient が使う loss の確認" in message and "ソフトマックス関数を通す前" in message, message
