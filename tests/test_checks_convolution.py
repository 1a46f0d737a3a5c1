"""The checks of 5_1_convolution: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "5_1_convolution"

SIZE_BOOK = """
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1
"""
SIZE_INT = """
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    positions = int((input_size + 2 * pad - filter_size) / stride)
    return positions + 1
"""

NAIVE = SIZE_BOOK + """
def convolution_naive(x, W, b, stride=1, pad=0):
    N, C, H, W_in = x.shape
    FN, _, FH, FW = W.shape
    out_h = conv_output_size(H, FH, stride, pad)
    out_w = conv_output_size(W_in, FW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, FN, out_h, out_w))
    for n in range(N):
        for f in range(FN):
            for i in range(out_h):
                for j in range(out_w):
                    window = x_pad[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out
"""

# loops over the filter elements instead of the output positions, padding by slicing into a zero array
FILTER_LOOPS = SIZE_INT + """
def convolution_naive(x, W, b, stride=1, pad=0):
    N, C, H, Wd = x.shape
    FN, C2, FH, FW = W.shape
    oh, ow = conv_output_size(H, FH, stride, pad), conv_output_size(Wd, FW, stride, pad)
    xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + Wd] = x
    out = np.zeros((N, FN, oh, ow)) + b.reshape(1, FN, 1, 1)
    for c in range(C):
        for y in range(FH):
            for x_ in range(FW):
                patch = xp[:, c, y:y + stride * (oh - 1) + 1:stride, x_:x_ + stride * (ow - 1) + 1:stride]
                out += W[:, c, y, x_].reshape(1, FN, 1, 1) * patch[:, None, :, :]
    return out
"""

# every output pixel as a dot product with the flattened filters
DOT = SIZE_BOOK + """
def convolution_naive(x, W, b, stride=1, pad=0):
    FN, C, FH, FW = W.shape
    N, _, H, Wd = x.shape
    if pad > 0:
        x = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode="constant")
    out_h = conv_output_size(H, FH, stride, pad)
    out_w = conv_output_size(Wd, FW, stride, pad)
    flat = W.reshape(FN, -1)
    result = np.empty((N, FN, out_h, out_w))
    for n in range(N):
        for i in range(out_h):
            for j in range(out_w):
                y, x0 = i * stride, j * stride
                result[n, :, i, j] = flat @ x[n, :, y:y + FH, x0:x0 + FW].reshape(-1) + b
    return result
"""

CORRECT = {
    "conv_output_size_values": {"floor division": SIZE_BOOK, "int() of the quotient": SIZE_INT},
    "convolution_naive_basic": {"four loops": NAIVE, "loops over filter elements": FILTER_LOOPS, "dot products": DOT},
    "convolution_naive_stride_pad": {"four loops": NAIVE, "loops over filter elements": FILTER_LOOPS,
                                     "dot products": DOT},
}


def _replace(old, new, code):
    assert old in code, old
    return code.replace(old, new)


NO_PLUS_ONE = _replace("// stride + 1", "// stride", SIZE_BOOK)
FLOAT_DIVISION = _replace("// stride + 1", "/ stride + 1", SIZE_BOOK)
ONE_SIDE_PAD = _replace("2 * pad", "pad", SIZE_BOOK)
NO_BIAS = _replace("np.sum(window * W[f]) + b[f]", "np.sum(window * W[f])", NAIVE)
PAD_ALL_AXES = _replace("np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))", "np.pad(x, pad)", NAIVE)
PAD_ALL_AXES_LOOP_C = _replace(
    "np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))", "np.pad(x, pad)", NAIVE).replace(
    "                    window = x_pad[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]\n"
    "                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]",
    "                    total = b[f]\n"
    "                    for c in range(C):\n"
    "                        total += np.sum(x_pad[n, c, i * stride:i * stride + FH, j * stride:j * stride + FW] * W[f, c])\n"
    "                    out[n, f, i, j] = total")
STRIDE_IGNORED = _replace("x_pad[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]",
                          "x_pad[n, :, i:i + FH, j:j + FW]", NAIVE)
FLIPPED = _replace("np.sum(window * W[f])", "np.sum(window * W[f, :, ::-1, ::-1])", NAIVE)
SIZE_OFF_BY_ONE = _replace("out_h = conv_output_size(H, FH, stride, pad)\n    out_w = conv_output_size(W_in, FW, stride, pad)",
                           "out_h = (H + 2 * pad - FH) // stride\n    out_w = (W_in + 2 * pad - FW) // stride", NAIVE)

# description -> (code, grade_id, words the message must contain)
WRONG = {
    "output size without the + 1": (NO_PLUS_ONE, "conv_output_size_values", "+ 1 が抜けています"),
    "output size with / (a float)": (FLOAT_DIVISION, "conv_output_size_values", "整数の割り算 //"),
    "padding added on one side only": (ONE_SIDE_PAD, "conv_output_size_values", "2 * pad"),
    "convolution without the bias": (NO_BIAS, "convolution_naive_basic", "バイアス b を足していません"),
    "padding on every axis (a shape error)": (PAD_ALL_AXES, "convolution_naive_stride_pad", "チャンネル（C）"),
    "padding on every axis, channels looped": (PAD_ALL_AXES_LOOP_C, "convolution_naive_stride_pad",
                                               "バッチ方向（N）やチャンネル方向（C）にも"),
    "stride not used for the window position": (STRIDE_IGNORED, "convolution_naive_stride_pad", "ストライドが窓の位置"),
    "filter flipped": (FLIPPED, "convolution_naive_basic", "反転しています"),
    "output size off by one in the convolution": (SIZE_OFF_BY_ONE, "convolution_naive_basic", "+ 1 が抜けています"),
}

STUB_SIZE = """
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    # ここに解答を書いてください
    raise NotImplementedError()
"""
STUB_NAIVE = SIZE_BOOK + """
def convolution_naive(x, W, b, stride=1, pad=0):
    # ここに解答を書いてください
    raise NotImplementedError()
"""

# grade_id -> the untouched stub of the trainee notebook
STUBS = {"conv_output_size_values": STUB_SIZE, "convolution_naive_basic": STUB_NAIVE,
         "convolution_naive_stride_pad": STUB_NAIVE}


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
