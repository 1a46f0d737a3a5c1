"""The checks of 5_6_cnn_architectures: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the residual block's backward pass is the
numerical gradient; the counting reference gives the published sizes of LeNet-5, AlexNet and VGG-16."""

import numpy as np
import pytest

NB = "5_6_cnn_architectures"

PARAMS = '''
def count_params(input_shape, layers):
    shape = tuple(input_shape)
    counts = []
    for layer in layers:
        (kind, spec), = layer.items()
        if kind == "conv":
            fn, fh, fw, stride, pad = spec
            c, h, w = shape
            counts.append(fn * c * fh * fw + fn)
            shape = (fn, (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1)
        elif kind == "pool":
            ph, pw, stride = spec
            c, h, w = shape
            counts.append(0)
            shape = (c, (h - ph) // stride + 1, (w - pw) // stride + 1)
        elif kind == "affine":
            n_in = int(np.prod(shape))
            counts.append(n_in * spec[0] + spec[0])
            shape = (spec[0],)
        else:
            counts.append(0)
    return counts
'''
PARAMS_OTHER = '''
def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def count_params(input_shape, layers):
    c, h, w = input_shape
    size = None
    result = []
    for layer in layers:
        if "conv" in layer:
            fn, fh, fw, s, p = layer["conv"]
            result.append((c * fh * fw + 1) * fn)
            c, h, w = fn, out_size(h, fh, s, p), out_size(w, fw, s, p)
        elif "pool" in layer:
            ph, pw, s = layer["pool"]
            h, w = out_size(h, ph, s, 0), out_size(w, pw, s, 0)
            result.append(0)
        elif "affine" in layer:
            n_in = size if size is not None else c * h * w
            size = layer["affine"][0]
            result.append((n_in + 1) * size)
        else:
            result.append(0)
    return result
'''
FLOPS = '''
def count_flops(input_shape, layers):
    c, h, w = input_shape
    flat = None
    flops = []
    for layer in layers:
        kind, spec = next(iter(layer.items()))
        if kind == "conv":
            fn, fh, fw, stride, pad = spec
            oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
            flops.append(fn * oh * ow * c * fh * fw)
            c, h, w = fn, oh, ow
        elif kind == "pool":
            ph, pw, stride = spec
            h, w = (h - ph) // stride + 1, (w - pw) // stride + 1
            flops.append(0)
        elif kind == "affine":
            n_in = flat if flat is not None else c * h * w
            flops.append(n_in * spec[0])
            flat = spec[0]
        else:
            flops.append(0)
    return flops
'''
FLOPS_NUMPY = '''
def count_flops(input_shape, layers):
    shape = np.array(input_shape)
    out = []
    for layer in layers:
        kind = list(layer)[0]
        spec = np.array(layer[kind])
        if kind == "conv":
            fn, fh, fw, s, p = spec
            hw = (shape[1:] + 2 * p - np.array([fh, fw])) // s + 1
            out.append(int(fn * np.prod(hw) * shape[0] * fh * fw))
            shape = np.array([fn, *hw])
        elif kind == "pool":
            hw = (shape[1:] - spec[:2]) // spec[2] + 1
            shape = np.array([shape[0], *hw])
            out.append(0)
        elif kind == "affine":
            out.append(int(np.prod(shape) * spec[0]))
            shape = np.array([spec[0]])
        else:
            out.append(0)
    return out
'''
BLOCK = '''
class ResidualBlock:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.dW1 = self.db1 = self.dW2 = self.db2 = None

    def forward(self, x):
        self.x = x
        self.h = x @ self.W1 + self.b1
        self.a = np.maximum(self.h, 0)
        self.z = x + self.a @ self.W2 + self.b2
        return np.maximum(self.z, 0)

    def backward(self, dout):
        dz = dout * (self.z > 0)
        self.dW2 = self.a.T @ dz
        self.db2 = dz.sum(axis=0)
        dh = (dz @ self.W2.T) * (self.h > 0)
        self.dW1 = self.x.T @ dh
        self.db1 = dh.sum(axis=0)
        return dz + dh @ self.W1.T
'''
BLOCK_LAYERS = '''
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return np.dot(dout, self.W.T)


class ResidualBlock:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.layers = [Affine(W1, b1), Relu(), Affine(W2, b2)]
        self.out_relu = Relu()

    def forward(self, x):
        f = x
        for layer in self.layers:
            f = layer.forward(f)
        return self.out_relu.forward(x + f)

    def backward(self, dout):
        dz = self.out_relu.backward(dout)
        d = dz
        for layer in reversed(self.layers):
            d = layer.backward(d)
        self.dW1, self.db1 = self.layers[0].dW, self.layers[0].db
        self.dW2, self.db2 = self.layers[2].dW, self.layers[2].db
        return d + dz
'''
CORRECT = {
    "count_params_values": {"shape tuple": PARAMS, "helper and (k + 1) * n": PARAMS_OTHER},
    "count_flops_values": {"running sizes": FLOPS, "numpy shapes": FLOPS_NUMPY},
    "residual_block_forward": {"direct": BLOCK, "layer objects": BLOCK_LAYERS},
    "residual_block_backward": {"direct": BLOCK, "layer objects": BLOCK_LAYERS},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "params: no conv bias": (_replace(PARAMS, "fn * c * fh * fw + fn", "fn * c * fh * fw"), "count_params_values",
                             "バイアスを数えていません"),
    "params: no biases at all": (_replace(_replace(PARAMS, "fn * c * fh * fw + fn", "fn * c * fh * fw"),
                                          "n_in * spec[0] + spec[0]", "n_in * spec[0]"),
                                 "count_params_values", "バイアスを数えていません"),
    "params: channels forgotten": (_replace(PARAMS, "fn * c * fh * fw + fn", "fn * fh * fw + fn"),
                                   "count_params_values", "入力チャンネル数 C を掛けていません"),
    "params: flatten without channels": (_replace(PARAMS, "n_in = int(np.prod(shape))",
                                                  "n_in = int(np.prod(shape[1:])) if len(shape) == 3 else shape[0]"),
                                         "count_params_values", "チャンネル数を含めずに"),
    "params: pooling does not shrink": (_replace(PARAMS, "shape = (c, (h - ph) // stride + 1, (w - pw) // stride + 1)",
                                                 "pass"), "count_params_values", "プーリング層のあとの大きさ"),
    "flops: input size": (_replace(FLOPS, "flops.append(fn * oh * ow * c * fh * fw)", "flops.append(fn * h * w * c * fh * fw)"),
                          "count_flops_values", "入力の大きさ H×W"),
    "flops: no + 1": (_replace(FLOPS, "oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1",
                               "oh, ow = (h + 2 * pad - fh) // stride, (w + 2 * pad - fw) // stride"),
                      "count_flops_values", "+ 1 がありません"),
    "flops: padding ignored": (_replace(FLOPS, "oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1",
                                        "oh, ow = (h - fh) // stride + 1, (w - fw) // stride + 1"),
                               "count_flops_values", "パディングを入れていません"),
    "flops: channels forgotten": (_replace(FLOPS, "fn * oh * ow * c * fh * fw", "fn * oh * ow * fh * fw"),
                                  "count_flops_values", "入力チャンネル数 C を掛けていません"),
    "flops: multiply and add counted twice": (_replace(_replace(FLOPS, "fn * oh * ow * c * fh * fw", "2 * fn * oh * ow * c * fh * fw"),
                                                       "n_in * spec[0]", "2 * n_in * spec[0]"),
                                              "count_flops_values", "掛け算と足し算を別々に"),
    "flops: bias additions counted": (_replace(_replace(FLOPS, "fn * oh * ow * c * fh * fw", "fn * oh * ow * (c * fh * fw + 1)"),
                                               "n_in * spec[0]", "(n_in + 1) * spec[0]"),
                                      "count_flops_values", "バイアスの足し算も数えています"),
    "flops: pooling does not shrink": (_replace(FLOPS, "h, w = (h - ph) // stride + 1, (w - pw) // stride + 1", "pass"),
                                       "count_flops_values", "プーリング層のあとの大きさ"),
    "flops: flatten without channels": (_replace(FLOPS, "n_in = flat if flat is not None else c * h * w",
                                                 "n_in = flat if flat is not None else h * w"),
                                        "count_flops_values", "チャンネル数を含めずに"),
    "block: no skip in forward": (_replace(BLOCK, "self.z = x + self.a @ self.W2 + self.b2", "self.z = self.a @ self.W2 + self.b2"),
                                  "residual_block_forward", "スキップ接続（x を足すこと）を忘れています"),
    "block: no final relu": (_replace(_replace(BLOCK, "return np.maximum(self.z, 0)", "return self.z"),
                                      "dz = dout * (self.z > 0)", "dz = dout"),
                             "residual_block_forward", "最後の ReLU がありません"),
    "block: relu before the addition": (_replace(BLOCK, "return np.maximum(self.z, 0)",
                                                 "return x + np.maximum(self.a @ self.W2 + self.b2, 0)"),
                                        "residual_block_forward", "足し算の前に"),
    "block: backward forgets the skip path": (_replace(BLOCK, "return dz + dh @ self.W1.T", "return dh @ self.W1.T"),
                                              "residual_block_backward", "スキップ接続の経路を忘れています"),
    "block: backward only the skip path": (_replace(BLOCK, "return dz + dh @ self.W1.T", "return dz"),
                                           "residual_block_backward", "F(x) を通る経路を忘れ"),
    "block: backward without the outer mask": (_replace(BLOCK, "dz = dout * (self.z > 0)", "dz = dout"),
                                               "residual_block_backward", "最後の ReLU のマスク"),
    "block: backward without the inner mask": (_replace(BLOCK, "dh = (dz @ self.W2.T) * (self.h > 0)", "dh = dz @ self.W2.T"),
                                               "residual_block_backward", "F の中の ReLU のマスク"),
    "block: bias gradients averaged": (_replace(_replace(BLOCK, "self.db2 = dz.sum(axis=0)", "self.db2 = dz.mean(axis=0)"),
                                                "self.db1 = dh.sum(axis=0)", "self.db1 = dh.mean(axis=0)"),
                                       "residual_block_backward", "平均しています"),
    "block: dout modified in place": (_replace(BLOCK, "dz = dout * (self.z > 0)", "dout[self.z <= 0] = 0\n        dz = dout"),
                                      "residual_block_backward", "書き換えられています"),
}

BLOCK_STUB = '''
class ResidualBlock:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.dW1 = self.db1 = self.dW2 = self.db2 = None

    def forward(self, x):
        raise NotImplementedError()

    def backward(self, dout):
        raise NotImplementedError()
'''
STUBS = {
    "count_params_values": "def count_params(input_shape, layers):\n    raise NotImplementedError()\n",
    "count_flops_values": "def count_flops(input_shape, layers):\n    raise NotImplementedError()\n",
    "residual_block_forward": BLOCK_STUB,
    "residual_block_backward": BLOCK_STUB,
}


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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_residual_block_backward_matches_numerical_gradients(seed):
    from autograder.checks.day5.cnn_architectures import ReferenceResidualBlock, _wrong
    from course.gradient_check import check_gradients

    rng = np.random.default_rng(seed)
    d, h = 4, 3
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, d)),
              "b2": rng.normal(size=d), "x": rng.normal(size=(5, d))}
    g = rng.normal(size=(5, d))
    for cls, should_pass in ((ReferenceResidualBlock, True), (_wrong(skip_backward=False), False)):
        block = cls(params["W1"], params["b1"], params["W2"], params["b2"])
        block.forward(params["x"])
        dx = block.backward(g)
        analytic = {"W1": block.dW1, "b1": block.db1, "W2": block.dW2, "b2": block.db2, "x": dx}
        verdict = check_gradients(lambda: float(np.sum(block.forward(params["x"]) * g)), params, analytic)
        assert verdict.passed == should_pass, verdict.message


def test_counts_of_published_models():
    """LeNet-5 61,706 parameters; AlexNet (one tower, 227×227) 62,378,344; VGG-16 138,357,544 parameters and
    about 15.5 G multiply-adds — the numbers the notebook's table shows."""
    from autograder.checks.day5.cnn_architectures import (
        LENET, RELU, affine, conv, pool, reference_count_flops, reference_count_params)

    vgg16 = []
    for channels, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        vgg16 += [conv(channels, 3, pad=1), RELU] * repeat + [pool(2)]
    vgg16 += [affine(4096), RELU, affine(4096), RELU, affine(1000)]
    alexnet = [conv(96, 11, stride=4), RELU, pool(3, stride=2), conv(256, 5, pad=2), RELU, pool(3, stride=2),
               conv(384, 3, pad=1), RELU, conv(384, 3, pad=1), RELU, conv(256, 3, pad=1), RELU, pool(3, stride=2),
               affine(4096), RELU, affine(4096), RELU, affine(1000)]
    assert sum(reference_count_params((1, 32, 32), LENET)) == 61_706
    assert sum(reference_count_params((3, 227, 227), alexnet)) == 62_378_344
    assert sum(reference_count_params((3, 224, 224), vgg16)) == 138_357_544
    assert abs(sum(reference_count_flops((3, 224, 224), vgg16)) / 1e9 - 15.47) < 0.01
