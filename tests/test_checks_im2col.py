"""The checks of 5_2_im2col: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

from .grading_support import REPO

NB = "5_2_im2col"

SIZE = """
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1
"""

IM2COL_BOOK = SIZE + """
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
"""

# loops over the output positions and copies whole windows (slow but plain)
IM2COL_WINDOWS = SIZE + """
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    oh, ow = conv_output_size(H, filter_h, stride, pad), conv_output_size(W, filter_w, stride, pad)
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    padded[:, :, pad:pad + H, pad:pad + W] = input_data
    rows = []
    for n in range(N):
        for i in range(oh):
            for j in range(ow):
                rows.append(padded[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel())
    return np.array(rows)
"""

# a strided view (like course.im2col, written differently)
IM2COL_STRIDED = SIZE + """
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = input_data.shape
    oh, ow = conv_output_size(H, filter_h, stride, pad), conv_output_size(W, filter_w, stride, pad)
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :oh, :ow]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * oh * ow, -1)
"""

COL2IM_BOOK = """
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]
"""

# adds every row back window by window
COL2IM_WINDOWS = """
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    oh, ow = conv_output_size(H, filter_h, stride, pad), conv_output_size(W, filter_w, stride, pad)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    row = 0
    for n in range(N):
        for i in range(oh):
            for j in range(ow):
                img[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] += \\
                    col[row].reshape(C, filter_h, filter_w)
                row += 1
    return img[:, :, pad:pad + H, pad:pad + W].copy()
"""

CONV_BOOK = IM2COL_BOOK + COL2IM_BOOK + """
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x = x
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx
"""

# einsum-based, written with other intermediate names and the other im2col / col2im
CONV_EINSUM = IM2COL_STRIDED + COL2IM_WINDOWS + """
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, _, H, Wd = x.shape
        oh = conv_output_size(H, FH, self.stride, self.pad)
        ow = conv_output_size(Wd, FW, self.stride, self.pad)
        self.shape = x.shape
        self.cols = im2col(x, FH, FW, self.stride, self.pad).reshape(N, oh, ow, -1)
        return np.einsum("nijk,fk->nfij", self.cols, self.W.reshape(FN, -1)) + self.b[None, :, None, None]

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.einsum("nfij,nijk->fk", dout, self.cols).reshape(self.W.shape)
        dcols = np.einsum("nfij,fk->nijk", dout, self.W.reshape(FN, -1))
        return col2im(dcols.reshape(-1, C * FH * FW), self.shape, FH, FW, self.stride, self.pad)
"""

CORRECT = {
    "im2col_basic": {"book": IM2COL_BOOK, "window rows": IM2COL_WINDOWS, "strided view": IM2COL_STRIDED},
    "im2col_stride_pad": {"book": IM2COL_BOOK, "window rows": IM2COL_WINDOWS, "strided view": IM2COL_STRIDED},
    "col2im_values": {"book": SIZE + COL2IM_BOOK, "window by window": SIZE + COL2IM_WINDOWS},
    "convolution_forward": {"book": CONV_BOOK, "einsum": CONV_EINSUM},
    "convolution_backward": {"book": CONV_BOOK, "einsum": CONV_EINSUM},
}


def _replace(old, new, code):
    assert old in code, old
    return code.replace(old, new)


NO_TRANSPOSE = _replace("col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
                        "col.reshape(N * out_h * out_w, -1)", IM2COL_BOOK)
COLUMNS_YXC = _replace("transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 4, 5, 2, 3, 1)", IM2COL_BOOK)
ROWS_XY = _replace("transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 5, 4, 1, 2, 3)", IM2COL_BOOK)
ROWS_COLUMNS_SWAPPED = _replace("return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
                                "return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1).T",
                                IM2COL_BOOK)
IM2COL_NO_STRIDE = _replace("y_max = y + stride * out_h", "y_max = y + out_h", IM2COL_BOOK).replace(
    "x_max = x + stride * out_w", "x_max = x + out_w").replace(
    "img[:, :, y:y_max:stride, x:x_max:stride]", "img[:, :, y:y_max, x:x_max]")
IM2COL_PAD_ALL = _replace('np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")',
                          'np.pad(input_data, pad, "constant")', IM2COL_BOOK)
OVERWRITE = _replace("img[:, :, y:y_max:stride, x:x_max:stride] += col", "img[:, :, y:y_max:stride, x:x_max:stride] = col",
                     SIZE + COL2IM_BOOK)
COL2IM_NO_TRANSPOSE = _replace(
    "col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)",
    "col.reshape(N, C, filter_h, filter_w, out_h, out_w)", SIZE + COL2IM_BOOK)
NOT_CROPPED = _replace("return img[:, :, pad:H + pad, pad:W + pad]", "return img[:, :, :H + 2 * pad, :W + 2 * pad]",
                       SIZE + COL2IM_BOOK)

NO_BIAS = _replace("out = np.dot(col, col_W) + self.b", "out = np.dot(col, col_W)", CONV_BOOK)
FILTERS_WRONG = _replace("col_W = self.W.reshape(FN, -1).T", "col_W = self.W.reshape(-1, FN)", CONV_BOOK)
OUTPUT_NOT_TRANSPOSED = _replace("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
                                 "out = out.reshape(N, -1, out_h, out_w)", CONV_BOOK)
DW_NOT_RESHAPED = _replace("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n", "", CONV_BOOK)
DW_NOT_TRANSPOSED = _replace("self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)",
                             "self.dW = self.dW.reshape(FN, C, FH, FW)", CONV_BOOK)
DB_MEAN = _replace("self.db = np.sum(dout, axis=0)", "self.db = np.mean(dout, axis=0)", CONV_BOOK)
DOUT_NOT_TRANSPOSED = _replace("dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)", "dout = dout.reshape(-1, FN)",
                               CONV_BOOK)
MUTATES_DOUT = _replace("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n",
                        "        dout /= 1.0 * dout.shape[0]\n"
                        "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN) * dout.shape[0]\n", CONV_BOOK)
CONV_WITH_WRONG_IM2COL = _replace("transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 4, 5, 2, 3, 1)", CONV_BOOK)
CONV_WITH_OVERWRITING_COL2IM = _replace("img[:, :, y:y_max:stride, x:x_max:stride] += col",
                                        "img[:, :, y:y_max:stride, x:x_max:stride] = col", CONV_BOOK)

# description -> (code, grade_id, words the message must contain)
WRONG = {
    "im2col reshaped without transpose": (NO_TRANSPOSE, "im2col_basic", "transpose をせずに reshape"),
    "im2col columns in (y, x, c) order": (COLUMNS_YXC, "im2col_basic", "列の並びが (y, x, c)"),
    "im2col rows in (n, x, y) order": (ROWS_XY, "im2col_basic", "行の並びが (n, out_x, out_y)"),
    "im2col returns the transpose": (ROWS_COLUMNS_SWAPPED, "im2col_basic", "行と列が入れ替わっています"),
    "im2col ignores the stride": (IM2COL_NO_STRIDE, "im2col_stride_pad", "ストライドが反映されていません"),
    "im2col pads the batch and channel axes": (IM2COL_PAD_ALL, "im2col_stride_pad", "チャンネル（C）の軸にも"),
    "col2im overwrites overlapping windows": (OVERWRITE, "col2im_values", "上書きしています"),
    "col2im reshaped without transpose": (COL2IM_NO_TRANSPOSE, "col2im_values", "transpose をせずに reshape"),
    "col2im keeps the padding": (NOT_CROPPED, "col2im_values", "切り落としていません"),
    "forward without the bias": (NO_BIAS, "convolution_forward", "バイアス b を足していません"),
    "filters reshaped in the wrong order": (FILTERS_WRONG, "convolution_forward", "フィルタの reshape の順番"),
    "filters reshaped in the wrong order (backward)": (FILTERS_WRONG, "convolution_backward",
                                                       "フィルタの reshape の順番"),
    "output reshaped without transpose": (OUTPUT_NOT_TRANSPOSED, "convolution_forward", "直接 reshape しています"),
    "dW not reshaped back": (DW_NOT_RESHAPED, "convolution_backward", "dW を W と同じ形"),
    "dW reshaped without the transpose": (DW_NOT_TRANSPOSED, "convolution_backward", "dW を転置せずに"),
    "db averaged": (DB_MEAN, "convolution_backward", "db を平均しています"),
    "dout reshaped without transpose": (DOUT_NOT_TRANSPOSED, "convolution_backward", "dout を transpose せずに"),
    "backward writes into dout": (MUTATES_DOUT, "convolution_backward", "書き換えられています"),
    "im2col taken from the course package": ("from course.im2col import conv_output_size, im2col\n", "im2col_basic",
                                             "自分で実装"),
    "convolution with a wrong im2col": (CONV_WITH_WRONG_IM2COL, "convolution_forward",
                                        "Convolution が使う im2col が正しくありません"),
    "convolution with an overwriting col2im": (CONV_WITH_OVERWRITING_COL2IM, "convolution_backward",
                                               "Convolution が使う col2im が正しくありません"),
}

STUB_IM2COL = SIZE + """
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    # ここに解答を書いてください
    raise NotImplementedError()
"""
STUB_COL2IM = SIZE + """
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    # ここに解答を書いてください
    raise NotImplementedError()
"""
STUB_CONV = STUB_IM2COL + STUB_COL2IM.replace(SIZE, "") + """
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout):
        # ここに解答を書いてください
        raise NotImplementedError()
"""

# grade_id -> the untouched stub of the trainee notebook
STUBS = {"im2col_basic": STUB_IM2COL, "im2col_stride_pad": STUB_IM2COL, "col2im_values": STUB_COL2IM,
         "convolution_forward": STUB_CONV, "convolution_backward": STUB_CONV}


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


# --------------------------------------------------------------------------- the answers' mathematics
def _namespace(code):
    import numpy as np

    namespace = {"np": np}
    exec(compile(code, "<answer>", "exec"), namespace)
    return namespace


# every shape the prose allows: stride, padding, non-square images and filters, several channels and filters
SHAPES = [  # (x shape, W shape, stride, pad)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1),
    ((3, 1, 9, 6), (2, 1, 2, 3), 2, 1),
    ((1, 2, 8, 5), (3, 2, 3, 2), 2, 2),
    ((2, 2, 10, 7), (2, 2, 4, 3), 3, 1),   # (H + 2 pad - FH) not divisible by the stride
    ((1, 1, 5, 5), (1, 1, 5, 5), 1, 0),    # the filter covers the whole image
    ((2, 2, 6, 4), (3, 2, 1, 1), 1, 0),    # 1x1 filters
]


@pytest.mark.parametrize("variant", sorted(CORRECT["convolution_backward"]))
@pytest.mark.parametrize("x_shape,w_shape,stride,pad", SHAPES)
def test_naive_and_im2col_convolutions_agree(variant, x_shape, w_shape, stride, pad):
    import numpy as np

    from autograder.checks.day5.convolution import reference_convolution_naive
    from course.layers import Convolution as ReferenceConvolution

    rng = np.random.default_rng(hash((x_shape, w_shape, stride, pad)) % 2**32)
    x, W, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    naive = reference_convolution_naive(x, W, b, stride, pad)
    answer = _namespace(CORRECT["convolution_backward"][variant])["Convolution"](W, b, stride, pad).forward(x)
    np.testing.assert_allclose(answer, naive, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ReferenceConvolution(W, b, stride, pad).forward(x), naive, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("variant", sorted(CORRECT["convolution_backward"]))
@pytest.mark.parametrize("x_shape,w_shape,stride,pad", [SHAPES[1], SHAPES[3], SHAPES[4]])
def test_convolution_backward_matches_numerical_gradients(variant, x_shape, w_shape, stride, pad):
    import numpy as np

    from course.gradient_check import check_gradients

    Convolution = _namespace(CORRECT["convolution_backward"][variant])["Convolution"]
    rng = np.random.default_rng(52)
    x, W, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    layer = Convolution(W, b, stride, pad)
    dout = rng.normal(size=layer.forward(x).shape)
    dx = layer.backward(dout)

    def loss():
        return float(np.sum(Convolution(W, b, stride, pad).forward(x) * dout))

    verdict = check_gradients(loss, {"x": x, "W": W, "b": b}, {"x": dx, "W": layer.dW, "b": layer.db})
    assert verdict.passed, verdict.message


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> = <x, col2im(c)> for the answers: what makes col2im the backward pass of im2col."""
    import numpy as np

    ns = _namespace(IM2COL_BOOK + COL2IM_BOOK)
    rng = np.random.default_rng(53)
    for x_shape, (_, _, fh, fw), stride, pad in [(s[0], s[1], s[2], s[3]) for s in SHAPES]:
        x = rng.normal(size=x_shape)
        col = ns["im2col"](x, fh, fw, stride, pad)
        c = rng.normal(size=col.shape)
        assert np.isclose(np.sum(col * c), np.sum(x * ns["col2im"](c, x_shape, fh, fw, stride, pad)))


def test_the_reference_modules_are_hidden_from_grading_and_not_imported_by_the_notebooks():
    """course.im2col defines conv_output_size, im2col and col2im; course.layers defines Convolution (and imports
    course.im2col), course.networks imports both: none of them may be visible while 5.1 or 5.2 is graded, so the
    notebooks must not import them (they would vanish in the grading kernel)."""
    import json
    import re

    from autograder.course_view import hidden_modules

    for notebook in ("5_1_convolution", "5_2_im2col"):
        assert {"im2col.py", "layers.py", "networks.py"} <= set(hidden_modules(notebook)), notebook
        cells = json.loads((REPO / "source" / "day5" / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for module in ("im2col", "layers", "networks"):
            assert f"course.{module}" not in code, (notebook, module)
            assert not re.search(rf"from course import .*\b{module}\b", code), (notebook, module)
