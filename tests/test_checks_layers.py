"""The hidden checks of 2_5_backprop_layers: right layers pass, typical mistakes fail with a hint."""

import pytest

NB = "2_5_backprop_layers"

CELLS = {  # class name -> its test cells
    "MulLayer": ["mul_forward", "mul_backward"],
    "AddLayer": ["add_layer"],
    "Relu": ["relu_forward", "relu_backward"],
    "Sigmoid": ["sigmoid_forward", "sigmoid_backward", "sigmoid_stable"],
    "Affine": ["affine_forward", "affine_backward"],
    "SoftmaxWithLoss": ["softmax_loss_forward", "softmax_loss_backward"],
}

BOOK = {
    "MulLayer": """
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None
    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y
    def backward(self, dout):
        dx = dout * self.y
        dy = dout * self.x
        return dx, dy
""",
    "AddLayer": """
class AddLayer:
    def __init__(self):
        pass
    def forward(self, x, y):
        return x + y
    def backward(self, dout):
        return dout * 1, dout * 1
""",
    "Relu": """
class Relu:
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
""",
    "Sigmoid": """
from course.functions import sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out
    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
""",
    "Affine": """
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx
""",
    "SoftmaxWithLoss": """
from course.functions import softmax, cross_entropy_error
class SoftmaxWithLoss:
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
        return (self.y - self.t) / batch_size
""",
}

OTHER = {  # correct, written differently
    "MulLayer": """
class MulLayer:
    def forward(self, x, y):
        self.inputs = (x, y)
        return np.multiply(x, y)
    def backward(self, dout):
        x, y = self.inputs
        return np.multiply(dout, y), np.multiply(dout, x)
""",
    "AddLayer": """
class AddLayer:
    def forward(self, x, y):
        return np.add(x, y)
    def backward(self, dout):
        return dout, dout
""",
    "Relu": """
class Relu:
    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, 0.0)
    def backward(self, dout):
        return dout * self.positive
""",
    "Sigmoid": """
class Sigmoid:
    def forward(self, x):
        # tanh form: no overflow for large |x|
        self.out = 0.5 * (1.0 + np.tanh(0.5 * x))
        return self.out
    def backward(self, dout):
        y = self.out
        return dout * y * (1 - y)
""",
    "Affine": """
class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
    def forward(self, x):
        self.x = x
        return x @ self.W + self.b[None, :]
    def backward(self, dout):
        self.dW = np.einsum("nd,nm->dm", self.x, dout)
        self.db = dout.sum(axis=0)
        return (self.W @ dout.T).T
""",
    "SoftmaxWithLoss": """
class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]
    def backward(self, dout=1):
        return dout * (self.y - self.t) / len(self.t)
""",
}


def _replace(cls, old, new):
    code = BOOK[cls]
    assert old in code, old
    return code.replace(old, new)


# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "Mul: dx and dy swapped": (
        _replace("MulLayer", "dx = dout * self.y\n        dy = dout * self.x", "dx = dout * self.x\n        dy = dout * self.y"),
        "mul_backward", "入れ替わって"),
    "Mul: dout not multiplied": (
        _replace("MulLayer", "dx = dout * self.y\n        dy = dout * self.x", "dx = self.y\n        dy = self.x"),
        "mul_backward", "dout を掛けていません"),
    "Mul: forward adds": (_replace("MulLayer", "return x * y", "return x + y"), "mul_forward", "積 x * y"),
    "Add: returns ones": (_replace("AddLayer", "return dout * 1, dout * 1", "return 1, 1"), "add_layer", "そのまま"),
    "Add: returns one value": (_replace("AddLayer", "return dout * 1, dout * 1", "return dout"), "add_layer", "タプル"),
    "Relu: zeroes where x > 0": (_replace("Relu", "dx[self.mask] = 0", "dx[~self.mask] = 0"),
                                 "relu_backward", "0 にする場所が逆"),
    "Relu: mask x < 0": (_replace("Relu", "self.mask = (x <= 0)", "self.mask = (x < 0)"),
                         "relu_backward", "x == 0"),
    "Relu: forward modifies x": (_replace("Relu", "out = x.copy()", "out = x"), "relu_forward", "書き換えられています"),
    "Relu: backward modifies dout": (_replace("Relu", "dx = dout.copy()", "dx = dout"),
                                     "relu_backward", "書き換えられています"),
    "Relu: backward writes into dout (book, no copy)": (
        _replace("Relu", "dx = dout.copy()\n        dx[self.mask] = 0\n        return dx",
                 "dout[self.mask] = 0\n        dx = dout\n        return dx"),
        "relu_backward", "コピーしてから"),
    "Sigmoid: backward uses x": (
        _replace("Sigmoid", "self.out = sigmoid(x)", "self.x = x\n        self.out = sigmoid(x)")
        .replace("dout * (1.0 - self.out) * self.out", "dout * (1.0 - self.x) * self.x"),
        "sigmoid_backward", "出力 y"),
    "Sigmoid: backward forgets dout": (
        _replace("Sigmoid", "return dout * (1.0 - self.out) * self.out", "return (1.0 - self.out) * self.out"),
        "sigmoid_backward", "dout を掛けていません"),
    "Sigmoid: book formula overflows": (
        _replace("Sigmoid", "self.out = sigmoid(x)", "self.out = 1 / (1 + np.exp(-x))"),
        "sigmoid_stable", "オーバーフロー"),
    "Affine: no bias": (_replace("Affine", "np.dot(x, self.W) + self.b", "np.dot(x, self.W)"), "affine_forward", "バイアス"),
    "Affine: dW transposed": (_replace("Affine", "np.dot(self.x.T, dout)", "np.dot(dout.T, self.x)"),
                              "affine_backward", "dW の転置"),
    "Affine: dx without transpose (square W only)": (
        _replace("Affine", "dx = np.dot(dout, self.W.T)",
                 "dx = np.dot(dout, self.W) if self.W.shape[0] == self.W.shape[1] else np.dot(dout, self.W.T)"),
        "affine_backward", "dout · W で計算"),
    "Affine: dx = W.T order (shape error)": (_replace("Affine", "np.dot(dout, self.W.T)", "np.dot(self.W.T, dout)"),
                                             "affine_backward", "転置をつける位置"),
    "Affine: dx = dout @ W (named on the square W first)": (_replace("Affine", "np.dot(dout, self.W.T)", "dout @ self.W"),
                                                            "affine_backward", "dout · W で計算"),
    "Affine: db not summed": (_replace("Affine", "np.sum(dout, axis=0)", "dout"), "affine_backward", "バッチ方向に合計"),
    "Affine: db over axis 1": (_replace("Affine", "np.sum(dout, axis=0)", "np.sum(dout, axis=1)"),
                               "affine_backward", "合計の向き"),
    "Affine: db averaged": (_replace("Affine", "np.sum(dout, axis=0)", "np.mean(dout, axis=0)"),
                            "affine_backward", "平均"),
    "Affine: modifies dout": (_replace("Affine", "dx = np.dot(dout, self.W.T)", "dout *= 1.0\n        dout += 0.5\n        dx = np.dot(dout, self.W.T)"),
                              "affine_backward", "書き換えられています"),
    "SoftmaxWithLoss: not divided by batch": (
        _replace("SoftmaxWithLoss", "return (self.y - self.t) / batch_size", "return self.y - self.t"),
        "softmax_loss_backward", "バッチサイズで割っていません"),
    "SoftmaxWithLoss: sign flipped": (
        _replace("SoftmaxWithLoss", "return (self.y - self.t) / batch_size", "return (self.t - self.y) / batch_size"),
        "softmax_loss_backward", "符号が逆"),
    "SoftmaxWithLoss: divided by classes": (
        _replace("SoftmaxWithLoss", "batch_size = self.t.shape[0]", "batch_size = self.t.shape[1]"),
        "softmax_loss_backward", "クラス数"),
    "SoftmaxWithLoss: uses scores": (
        _replace("SoftmaxWithLoss", "self.t = t\n", "self.t = t\n        self.x = x\n")
        .replace("return (self.y - self.t) / batch_size", "return (self.x - self.t) / batch_size"),
        "softmax_loss_backward", "スコア x"),
    "SoftmaxWithLoss: loss summed": (
        _replace("SoftmaxWithLoss", "self.loss = cross_entropy_error(self.y, self.t)",
                 "self.loss = cross_entropy_error(self.y, self.t) * len(t)"),
        "softmax_loss_forward", "合計"),
}


@pytest.mark.parametrize("cls", sorted(CELLS))
@pytest.mark.parametrize("variant", ["book", "other"])
def test_correct_layers_pass_every_cell(judge_code, cls, variant):
    code = (BOOK if variant == "book" else OTHER)[cls]
    for grade_id in CELLS[cls]:
        passed, message = judge_code(NB, grade_id, code)
        assert passed, f"{grade_id}: {message}"


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed, message
    assert words in message, message


def test_mistakes_only_fail_their_own_part(judge_code):
    # partial credit: a wrong backward still earns the forward cell
    for name, cell in [("Relu: zeroes where x > 0", "relu_forward"), ("Affine: db not summed", "affine_forward"),
                       ("SoftmaxWithLoss: not divided by batch", "softmax_loss_forward"),
                       ("Sigmoid: backward uses x", "sigmoid_forward"), ("Mul: dx and dy swapped", "mul_forward")]:
        passed, message = judge_code(NB, cell, WRONG[name][0])
        assert passed, f"{name} / {cell}: {message}"


STUBS = {
    "MulLayer": "class MulLayer:\n    def __init__(self):\n        self.x = None\n        self.y = None\n"
                "    def forward(self, x, y):\n        raise NotImplementedError()\n"
                "    def backward(self, dout):\n        raise NotImplementedError()\n",
    "AddLayer": "class AddLayer:\n    def __init__(self):\n        pass\n"
                "    def forward(self, x, y):\n        raise NotImplementedError()\n"
                "    def backward(self, dout):\n        raise NotImplementedError()\n",
    "Relu": "class Relu:\n    def __init__(self):\n        self.mask = None\n"
            "    def forward(self, x):\n        raise NotImplementedError()\n"
            "    def backward(self, dout):\n        raise NotImplementedError()\n",
    "Sigmoid": "class Sigmoid:\n    def __init__(self):\n        self.out = None\n"
               "    def forward(self, x):\n        raise NotImplementedError()\n"
               "    def backward(self, dout):\n        raise NotImplementedError()\n",
    "Affine": "class Affine:\n    def __init__(self, W, b):\n        self.W = W\n        self.b = b\n"
              "    def forward(self, x):\n        raise NotImplementedError()\n"
              "    def backward(self, dout):\n        raise NotImplementedError()\n",
    "SoftmaxWithLoss": "class SoftmaxWithLoss:\n    def __init__(self):\n        self.loss = None\n"
                       "    def forward(self, x, t):\n        raise NotImplementedError()\n"
                       "    def backward(self, dout=1):\n        raise NotImplementedError()\n",
}


@pytest.mark.parametrize("cls", sorted(CELLS))
def test_untouched_stub_fails_everywhere(judge_code, cls):
    for grade_id in CELLS[cls]:
        passed, message = judge_code(NB, grade_id, STUBS[cls])
        assert not passed and "NotImplementedError" in message, message


def test_layers_taken_from_elsewhere_earn_nothing(judge_code):
    code = "from autograder.checks.day2.layers import ReferenceAffine as Affine\n"
    passed, message = judge_code(NB, "affine_forward", code)
    assert not passed and "自分で実装" in message, message


@pytest.mark.parametrize("code", [
    "from course.layers import Relu\n",
    "import course.layers\nclass Relu(course.layers.Relu):\n    pass\n",
    "import course.layers\nclass Relu:\n    forward = course.layers.Relu.forward\n"
    "    backward = course.layers.Relu.backward\n    def __init__(self):\n        self.mask = None\n",
    "from course.layers import Relu as _R\nclass Relu:\n    def __init__(self):\n        self._r = _R()\n"
    "    def forward(self, x):\n        return self._r.forward(x)\n    def backward(self, dout):\n        return self._r.backward(dout)\n",
])
def test_the_course_reference_layers_earn_nothing(judge_code, code):
    # course.layers ships Relu/Affine/... for later days; DAY2 must still implement its own
    for grade_id in ("relu_forward", "relu_backward"):
        passed, message = judge_code(NB, grade_id, code)
        assert not passed and "自分で実装" in message, (grade_id, message)


def test_stub_cells_match_the_notebook():
    """Every test cell of the notebook has a check, and every check's class is a cell's class."""
    import json
    from pathlib import Path

    from autograder.checks import registry

    nb = json.loads((Path(__file__).resolve().parent.parent / "source" / "day2" / f"{NB}.ipynb").read_text())
    graded = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
              if c["metadata"].get("nbgrader", {}).get("grade")]
    assert sorted(graded) == sorted(registry()[NB]) == sorted(g for gs in CELLS.values() for g in gs)
    for cls, grade_ids in CELLS.items():
        for grade_id in grade_ids:
            assert {c.function for c in registry()[NB][grade_id]} == {cls}


# What a student meets in the notebook (issue: "What a student sees"): the self-check of the cell
# names the cause itself, before anything is submitted.
SEEN_IN_THE_NOTEBOOK = {
    "untouched cell": (STUBS["Relu"], "relu_forward", "まだ解答が書かれていません"),
    "Relu forward modifies x": (WRONG["Relu: forward modifies x"][0], "relu_forward", "書き換えられています"),
    "Affine forward without return": (_replace("Affine", "return np.dot(x, self.W) + self.b",
                                               "out = np.dot(x, self.W) + self.b"), "affine_forward", "None が返っています"),
    "Sigmoid backward uses x": (WRONG["Sigmoid: backward uses x"][0], "sigmoid_backward", "考えられる原因: 逆伝播に入力 x"),
    "Mul dx and dy swapped": (WRONG["Mul: dx and dy swapped"][0], "mul_backward", "考えられる原因: dx と dy が入れ替わって"),
    "Affine dW transposed": (WRONG["Affine: dW transposed"][0], "affine_backward", "考えられる原因: dW の転置"),
    "SoftmaxWithLoss not divided by N": (WRONG["SoftmaxWithLoss: not divided by batch"][0], "softmax_loss_backward",
                                         "考えられる原因: バッチサイズで割っていません"),
    "Sigmoid overflows at -1000": (WRONG["Sigmoid: book formula overflows"][0], "sigmoid_stable", "オーバーフロー"),
}


@pytest.mark.parametrize("name", sorted(SEEN_IN_THE_NOTEBOOK))
def test_the_self_check_names_the_cause(name):
    from tests.conftest import visible_verdicts

    code, grade_id, words = SEEN_IN_THE_NOTEBOOK[name]
    verdicts = visible_verdicts(NB, grade_id, code)
    message = "\n".join(v.message for v in verdicts)
    assert not all(v.passed for v in verdicts), message
    assert words in message, message
