"""The hidden checks of 2_6_two_layer_net_backprop: right answers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_6_two_layer_net_backprop"
ALL = ["two_layer_net_predict_loss", "two_layer_net_accuracy", "two_layer_net_gradient"]

# the notebook's given (locked) cell: the layers and numerical_gradient
GIVEN = """
from collections import OrderedDict
from course.functions import cross_entropy_error, softmax

class Relu:
    '''ReLU レイヤ'''
    def __init__(self):
        self.mask = None
    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out
    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx

class Affine:
    '''Affine レイヤ（x・W + b）'''
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None
    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx

class SoftmaxWithLoss:
    '''ソフトマックス関数と交差エントロピー誤差をまとめたレイヤ（t は one-hot でもクラス番号でもよい）'''
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss
    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx * dout


def numerical_gradient(f, x):
    '''Gradient of f at x by central differences (h = 1e-4); x is changed in place and restored.'''
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
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()
    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x
    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)
    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / x.shape[0])
    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.lastLayer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads
"""

COMPACT = GIVEN + """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        p = self.params = {
            'W1': np.random.randn(input_size, hidden_size) * weight_init_std,
            'b1': np.zeros(hidden_size),
            'W2': np.random.randn(hidden_size, output_size) * weight_init_std,
            'b2': np.zeros(output_size),
        }
        self.layers = OrderedDict([('Affine1', Affine(p['W1'], p['b1'])), ('Relu1', Relu()),
                                   ('Affine2', Affine(p['W2'], p['b2']))])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for name in self.layers:
            x = self.layers[name].forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        labels = t if t.ndim == 1 else t.argmax(axis=1)
        return np.mean(self.predict(x).argmax(axis=1) == labels)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward()
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        a1, a2 = self.layers['Affine1'], self.layers['Affine2']
        return {'W1': a1.dW, 'b1': a1.db, 'W2': a2.dW, 'b2': a2.db}
"""

CORRECT = {"book": BOOK, "compact": COMPACT}


def replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


FORWARD_LOOP = "        for layer in layers:\n            dout = layer.backward(dout)\n"
WRONG = {
    "softmax in predict": (replace(BOOK, "            x = layer.forward(x)\n        return x",
                                   "            x = layer.forward(x)\n        return softmax(x)"),
                           "two_layer_net_predict_loss", "predict でソフトマックス関数"),
    "layers built from copies": (replace(BOOK, 'Affine(self.params["W2"], self.params["b2"])',
                                         'Affine(self.params["W2"].copy(), self.params["b2"].copy())'),
                                 "two_layer_net_predict_loss", "コピーを渡しています"),
    "no Relu between the Affine layers": (replace(BOOK, '        self.layers["Relu1"] = Relu()\n', ""),
                                          "two_layer_net_predict_loss", "Relu レイヤがありません"),
    "accuracy count": (replace(BOOK, "float(np.sum(y == t) / x.shape[0])", "np.sum(y == t)"),
                       "two_layer_net_accuracy", "個数をデータ数"),
    "accuracy only for one-hot": (replace(BOOK, "        if t.ndim != 1:\n            t = np.argmax(t, axis=1)\n",
                                          "        t = np.argmax(t, axis=1)\n"),
                                  "two_layer_net_accuracy", "クラス番号の 1 次元配列"),
    "no reversal": (replace(BOOK, "        layers.reverse()\n", ""), "two_layer_net_gradient", "layers を逆順"),
    "no forward before backward": (replace(BOOK, "        self.loss(x, t)\n        dout = 1", "        dout = 1"),
                                   "two_layer_net_gradient", "self.loss(x, t)"),
    "layers mixed up": (replace(BOOK, 'grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db\n        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db',
                                'grads["W1"], grads["b1"] = self.layers["Affine2"].dW, self.layers["Affine2"].db\n        grads["W2"], grads["b2"] = self.layers["Affine1"].dW, self.layers["Affine1"].db'),
                        "two_layer_net_gradient", "取り違えて"),
    "db not from layers": (replace(BOOK, 'grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db',
                                   'grads["W1"] = self.layers["Affine1"].dW\n        grads["b1"] = np.sum(grads["W1"], axis=0)'),
                           "two_layer_net_gradient", "db をそのまま"),
    "dout is the loss": (replace(BOOK, "        self.loss(x, t)\n        dout = 1", "        dout = self.loss(x, t)"),
                         "two_layer_net_gradient", "最初の dout は 1"),
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
    def gradient(self, x, t):
        raise NotImplementedError()
"""
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message


def test_delegating_to_the_course_networks_earns_nothing(judge_code):
    code = GIVEN + """
from course.networks import MultiLayerNet

class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self._net = MultiLayerNet(input_size, [hidden_size], output_size, weight_init_std=weight_init_std)
        self.params = self._net.params
    def predict(self, x):
        return self._net.predict(x)
    def loss(self, x, t):
        return self._net.loss(x, t)
    def accuracy(self, x, t):
        return self._net.accuracy(x, t)
    def gradient(self, x, t):
        return self._net.gradient(x, t)
"""
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, code)
        assert not passed and "自分で実装" in message and "course.networks" in message, (grade_id, message)


@pytest.mark.parametrize("grade_id, method", [("two_layer_net_accuracy", "accuracy"), ("two_layer_net_gradient", "gradient")])
def test_a_wrong_predict_is_named_as_the_cause(judge_code, grade_id, method):
    """accuracy and gradient call predict and loss: a wrong predict is named first, in the notebook and in the grade."""
    from tests.conftest import visible_verdicts

    code = WRONG["no Relu between the Affine layers"][0]
    passed, message = judge_code(NB, grade_id, code)
    shown = "\n".join(v.message for v in visible_verdicts(NB, grade_id, code))
    for text in (message, shown):
        assert f"{method} が使う predict と loss が正しくありません" in text, text
        assert f"{method} が使う predict と loss の確認" in text and "Relu レイヤがありません" in text, text
    assert not passed
