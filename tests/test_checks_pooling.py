"""The checks of 5_3_pooling: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both). Also: the reference max pooling's
backward agrees with numerical gradients, and ties go to the first maximum in row-major order."""

import numpy as np
import pytest

from course.gradient_check import check_gradients
from course.layers import Pooling

NB = "5_3_pooling"
CELLS = ["pooling_forward", "pooling_backward", "pooling_ties"]

BOOK = """
from course.im2col import im2col, col2im


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return dx
"""

LOOPS = """
class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        ph, pw, s = self.pool_h, self.pool_w, self.stride
        OH, OW = (H - ph) // s + 1, (W - pw) // s + 1
        out = np.empty((N, C, OH, OW))
        self.where = np.empty((N, C, OH, OW, 2), dtype=int)
        for i in range(OH):
            for j in range(OW):
                window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
                k = window.argmax(axis=2)
                out[:, :, i, j] = window.max(axis=2)
                self.where[:, :, i, j, 0] = i * s + k // pw
                self.where[:, :, i, j, 1] = j * s + k % pw
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        dx = np.zeros(self.x_shape)
        N, C, OH, OW = dout.shape
        for n in range(N):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        y, x = self.where[n, c, i, j]
                        dx[n, c, y, x] += dout[n, c, i, j]
        return dx
"""

WINDOW_VIEW = """
from numpy.lib.stride_tricks import sliding_window_view


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        s = self.stride
        win = sliding_window_view(x, (self.pool_h, self.pool_w), axis=(2, 3))[:, :, ::s, ::s]
        self.win_shape = win.shape
        flat = win.reshape(win.shape[:4] + (-1,))
        self.k = np.argmax(flat, axis=-1)
        self.x_shape = x.shape
        return np.take_along_axis(flat, self.k[..., None], axis=-1)[..., 0]

    def backward(self, dout):
        N, C, OH, OW = dout.shape
        dx = np.zeros(self.x_shape)
        ys = np.arange(OH)[:, None] * self.stride + self.k // self.pool_w
        xs = np.arange(OW)[None, :] * self.stride + self.k % self.pool_w
        n = np.arange(N)[:, None, None, None]
        c = np.arange(C)[None, :, None, None]
        np.add.at(dx, (n, c, ys, xs), dout)
        return dx
"""

CORRECT = {cell: {"book (7.5, im2col)": BOOK, "loops over the windows": LOOPS,
                  "sliding_window_view + np.add.at": WINDOW_VIEW} for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


WHOLE_WINDOW = _replace("dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()",
                        "dmax[:, :] = dout.flatten()[:, None]")
EVERY_MAXIMUM = _replace(
    "dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()",
    "dmax = (self.col == self.col.max(axis=1, keepdims=True)) * dout.flatten()[:, None]").replace(
    "self.arg_max = arg_max\n", "self.arg_max = arg_max\n        self.col = col\n")
LAST_MAXIMUM = _replace("arg_max = np.argmax(col, axis=1)",
                        "arg_max = col.shape[1] - 1 - np.argmax(col[:, ::-1], axis=1)")
TRANSPOSED = _replace(
    "arg_max = np.argmax(col, axis=1)",
    "arg_max = np.argmax(col.reshape(-1, self.pool_h, self.pool_w).transpose(0, 2, 1)"
    ".reshape(-1, self.pool_h * self.pool_w), axis=1)")
DOUT_NOT_TRANSPOSED = _replace("dout = dout.transpose(0, 2, 3, 1)",
                               "N, C, OH, OW = dout.shape\n        dout = dout.reshape(N, OH, OW, C)")
OVERWRITES = _replace("dx[n, c, y, x] += dout[n, c, i, j]", "dx[n, c, y, x] = dout[n, c, i, j]", LOOPS)
OVER_CHANNELS = _replace("out[:, :, i, j] = window.max(axis=2)",
                         "out[:, :, i, j] = window.max(axis=(1, 2))[:, None]", LOOPS)
AVERAGE = _replace("out = np.max(col, axis=1)", "out = np.mean(col, axis=1)")
NOT_TRANSPOSED = _replace("out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)",
                          "out = out.reshape(N, out_h, out_w, C)")
RESHAPED_DIRECTLY = _replace("out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)",
                             "out = out.reshape(N, C, out_h, out_w)")
MUTATES_DOUT = _replace("        dx = np.zeros(self.x_shape)\n        N, C, OH, OW = dout.shape\n",
                        "        dx = np.zeros(self.x_shape)\n        N, C, OH, OW = dout.shape\n"
                        "        dout *= 1.0 / (self.pool_h * self.pool_w) * self.pool_h * self.pool_w + 1\n", LOOPS)

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "backward sends the gradient to the whole window": (WHOLE_WINDOW, "pooling_backward", "すべての要素に dout"),
    "backward sends the gradient to every tied maximum": (EVERY_MAXIMUM, "pooling_ties", "そのすべてに勾配"),
    "ties routed to the last maximum": (LAST_MAXIMUM, "pooling_ties", "最後の要素"),
    "argmax over the transposed window": (TRANSPOSED, "pooling_backward", "行と列が入れ替わって"),
    "dout flattened in (N, C, OH, OW) order": (DOUT_NOT_TRANSPOSED, "pooling_backward", "dout の並べ方"),
    "overlapping windows overwrite the gradient": (OVERWRITES, "pooling_backward", "上書き"),
    "maximum over the channels too": (OVER_CHANNELS, "pooling_forward", "チャンネルをまたいで"),
    "average instead of maximum": (AVERAGE, "pooling_forward", "平均をとっています"),
    "output left as (N, OH, OW, C)": (NOT_TRANSPOSED, "pooling_forward", "(N, OH, OW, C) のまま"),
    "output reshaped straight to (N, C, OH, OW)": (RESHAPED_DIRECTLY, "pooling_forward", "値の並びが違います"),
    "backward writes into dout": (MUTATES_DOUT, "pooling_backward", "書き換えられています"),
}

STUB = """
class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout):
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


@pytest.mark.parametrize("pool,stride,shape", [((2, 2), 2, (2, 3, 4, 4)), ((3, 3), 1, (1, 2, 5, 5)),
                                               ((2, 3), 2, (2, 2, 5, 7))])
def test_reference_backward_matches_numerical_gradient(pool, stride, shape):
    """Max pooling is piecewise linear: away from ties the numerical gradient is exact."""
    rng = np.random.default_rng(53)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 10.0  # distinct values, gaps far above the step
    layer = Pooling(*pool, stride=stride)
    dout = rng.normal(size=layer.forward(x).shape)
    dx = layer.backward(dout)
    verdict = check_gradients(lambda: float(np.sum(Pooling(*pool, stride=stride).forward(x) * dout)), {"x": x},
                              {"x": dx})
    assert verdict.passed, verdict.message


def test_reference_routes_ties_to_the_first_maximum_in_row_major_order():
    x = np.array([[[[1.0, 2.0], [2.0, 2.0]]]])
    layer = Pooling(2, 2, stride=2)
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0.0, 1.0], [0.0, 0.0]]]])
