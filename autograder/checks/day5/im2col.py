"""Hidden checks of 5_2_im2col: ``im2col``, ``col2im`` and the ``Convolution`` layer computed through them.

Conventions stated in the notebook and tested here (the references are ``course.im2col`` and ``course.layers``):
- ``im2col(input_data, filter_h, filter_w, stride=1, pad=0)``: (N, C, H, W) → (N * out_h * out_w, C * filter_h *
  filter_w); one row per output position in the order (n, out_y, out_x), one column per filter element in the order
  (c, y, x) — the book's ``col.transpose(0, 4, 5, 1, 2, 3)`` of the (N, C, FH, FW, out_h, out_w) array; zero padding
  on height and width only; the input is not modified.
- ``col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0)``: the adjoint of ``im2col``; every row is added
  back onto the pixels it came from (overlapping windows summed), the padding is cut off; (N, C, H, W).
- ``Convolution(W, b, stride=1, pad=0)``: ``forward(x)`` (N, C, H, W) → (N, FN, out_h, out_w) as
  ``im2col(x) @ W.reshape(FN, -1).T + b`` reshaped to (N, out_h, out_w, FN) and transposed to (0, 3, 1, 2);
  ``backward(dout)`` returns ``dx`` (shape of x) and stores ``dW`` (shape of W) and ``db`` (FN,); ``dout`` unchanged.
"""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, get, new
from course.im2col import col2im as reference_col2im
from course.im2col import conv_output_size
from course.im2col import im2col as reference_im2col
from course.layers import Convolution as ReferenceConvolution

NOTEBOOK = "5_2_im2col"
RTOL, ATOL = 1e-9, 1e-12


# --------------------------------------------------------------------------- typical mistakes: im2col / col2im
def _book_im2col(x, fh, fw, stride=1, pad=0, *, axes=(0, 4, 5, 1, 2, 3), step=None, transposed=False):
    N, C, H, W = x.shape
    out_h, out_w = conv_output_size(H, fh, stride, pad), conv_output_size(W, fw, stride, pad)
    step = stride if step is None else step
    img = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, fh, fw, out_h, out_w))
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_, :, :] = img[:, :, y:y + step * out_h:step, x_:x_ + step * out_w:step][:, :, :out_h, :out_w]
    if axes is None:
        col = col.reshape(N * out_h * out_w, -1)
    else:
        col = col.transpose(*axes).reshape(N * out_h * out_w, -1)
    return col.T if transposed else col


IM2COL_MISTAKES = [
    Mistake("transpose をせずに reshape しています。(N, C, FH, FW, out_h, out_w) の配列は transpose(0, 4, 5, 1, 2, 3) で "
            "(N, out_h, out_w, C, FH, FW) の順に並べ替えてから (N*out_h*out_w, -1) に reshape します。",
            lambda x, fh, fw, stride=1, pad=0: _book_im2col(x, fh, fw, stride, pad, axes=None)),
    Mistake("列の並びが (y, x, c) の順になっています（transpose の順番の間違い）。列は (c, y, x) の順、つまり "
            "transpose(0, 4, 5, 1, 2, 3) です。",
            lambda x, fh, fw, stride=1, pad=0: _book_im2col(x, fh, fw, stride, pad, axes=(0, 4, 5, 2, 3, 1))),
    Mistake("行の並びが (n, out_x, out_y) の順になっています（transpose の順番の間違い）。行は (n, out_y, out_x) の順、"
            "つまり transpose(0, 4, 5, 1, 2, 3) です。",
            lambda x, fh, fw, stride=1, pad=0: _book_im2col(x, fh, fw, stride, pad, axes=(0, 5, 4, 1, 2, 3))),
    Mistake("行と列が入れ替わっています。戻り値の形は (N*out_h*out_w, C*filter_h*filter_w) で、1 行が 1 つの窓です。",
            lambda x, fh, fw, stride=1, pad=0: _book_im2col(x, fh, fw, stride, pad, transposed=True)),
    Mistake("ストライドが反映されていません。窓の左上は stride 画素ずつずれるので、"
            "img[:, :, y:y_max:stride, x:x_max:stride]（y_max = y + stride * out_h）のように stride おきに取り出します。",
            lambda x, fh, fw, stride=1, pad=0: _book_im2col(x, fh, fw, stride, pad, step=1)),
]

IM2COL_ERROR_HINTS = [
    ("could not broadcast", "配列の形が合いません。パディングをバッチ（N）やチャンネル（C）の軸にも入れていないか"
                            "（np.pad(x, pad) は全部の軸に入ります。np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) "
                            "とします）、y_max = y + stride * out_h になっているかを確かめてください。"),
    ("cannot reshape", "reshape の形が合っていません。im2col の戻り値は (N*out_h*out_w, C*filter_h*filter_w) です。"),
]


def _book_col2im(col, input_shape, fh, fw, stride=1, pad=0, *, overwrite=False, axes=(0, 3, 4, 5, 1, 2), crop=True):
    N, C, H, W = input_shape
    out_h, out_w = conv_output_size(H, fh, stride, pad), conv_output_size(W, fw, stride, pad)
    if axes is None:
        col = np.asarray(col).reshape(N, C, fh, fw, out_h, out_w)
    else:
        col = np.asarray(col).reshape(N, out_h, out_w, C, fh, fw).transpose(*axes)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(fh):
        for x in range(fw):
            if overwrite:
                img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] = col[:, :, y, x, :, :]
            else:
                img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] += col[:, :, y, x, :, :]
    if crop:
        return img[:, :, pad:H + pad, pad:W + pad]
    return img[:, :, :H + 2 * pad, :W + 2 * pad]


COL2IM_MISTAKES = [
    Mistake("重なる窓の値を上書きしています（= になっている）。同じ画素が複数の窓に入っているときは、その全部を足し合わせます"
            "（img[...] += col[...]）。", lambda col, s, fh, fw, stride=1, pad=0: _book_col2im(
                col, s, fh, fw, stride, pad, overwrite=True)),
    Mistake("transpose をせずに reshape しています。col は (N, out_h, out_w, C, FH, FW) に reshape してから "
            "transpose(0, 3, 4, 5, 1, 2) で (N, C, FH, FW, out_h, out_w) に並べ替えます（im2col の逆の順番）。",
            lambda col, s, fh, fw, stride=1, pad=0: _book_col2im(col, s, fh, fw, stride, pad, axes=None)),
    Mistake("パディングの部分を切り落としていません。戻り値は入力と同じ形 (N, C, H, W) で、"
            "img[:, :, pad:H + pad, pad:W + pad] を返します。",
            lambda col, s, fh, fw, stride=1, pad=0: _book_col2im(col, s, fh, fw, stride, pad, crop=False)),
]

COL2IM_ERROR_HINTS = [
    ("could not be broadcast", "配列の形が合いません。img は (N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1) "
                               "の 0 で作り、y_max = y + stride * out_h、x_max = x + stride * out_w とします。"),
    ("cannot reshape", "reshape の形が合っていません。col は (N, out_h, out_w, C, filter_h, filter_w) に reshape します。"),
]


# --------------------------------------------------------------------------- typical mistakes: Convolution
class _NoBias(ReferenceConvolution):
    def forward(self, x):
        b = self.b
        self.b = np.zeros_like(b)
        try:
            return super().forward(x)
        finally:
            self.b = b


class _FiltersReshapedWrong(ReferenceConvolution):
    """W.reshape(-1, FN) instead of W.reshape(FN, -1).T: the filter elements are mixed up."""

    def forward(self, x):
        out = super().forward(x)
        FN = self.W.shape[0]
        self.col_W = self.W.reshape(-1, FN)
        N, _, out_h, out_w = out.shape
        return (self.col @ self.col_W + self.b).reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        d = np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = d.sum(axis=0)
        self.dW = (self.col.T @ d).reshape(FN, C, FH, FW)
        return reference_col2im(d @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)


class _OutputNotTransposed(ReferenceConvolution):
    def forward(self, x):
        out = super().forward(x)
        return out.transpose(0, 2, 3, 1).reshape(out.shape)


class _DWNotReshaped(ReferenceConvolution):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.col.T @ np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, self.W.shape[0])
        return dx


class _DWReshapedWithoutTranspose(ReferenceConvolution):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = (self.col.T @ np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, self.W.shape[0])).reshape(
            self.W.shape)
        return dx


class _DbMean(ReferenceConvolution):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, self.W.shape[0]).mean(axis=0)
        return dx


class _DoutNotTransposed(ReferenceConvolution):
    """dout.reshape(-1, FN) without transpose(0, 2, 3, 1) first."""

    def backward(self, dout):
        d = np.asarray(dout)
        return super().backward(d.reshape(-1, d.shape[1]).reshape(d.shape[0], d.shape[2], d.shape[3], d.shape[1])
                                .transpose(0, 3, 1, 2))


CONV_MISTAKES = [
    Mistake("バイアス b を足していません。forward の出力は np.dot(col, col_W) + self.b です。", _NoBias),
    Mistake("出力を (N, FN, out_h, out_w) に直接 reshape しています。np.dot(col, col_W) の行は (n, out_y, out_x) の順なので、"
            "まず (N, out_h, out_w, FN) に reshape し、transpose(0, 3, 1, 2) で (N, FN, out_h, out_w) にします。",
            _OutputNotTransposed),
    Mistake("dW を W と同じ形 (FN, C, FH, FW) に戻していません。np.dot(col.T, dout) は (C*FH*FW, FN) なので、"
            "転置してから reshape します: dW = np.dot(col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)。",
            _DWNotReshaped),
    Mistake("dW を転置せずに reshape しています。np.dot(col.T, dout) は (C*FH*FW, FN) なので、"
            ".transpose(1, 0) で (FN, C*FH*FW) にしてから reshape(FN, C, FH, FW) します。",
            _DWReshapedWithoutTranspose),
    Mistake("フィルタの reshape の順番が違います。W (FN, C, FH, FW) は W.reshape(FN, -1).T で (C*FH*FW, FN) にします"
            "（W.reshape(-1, FN) では 1 つのフィルタの要素がばらばらになります）。", _FiltersReshapedWrong),
    Mistake("db を平均しています。db はバッチと位置のすべてについての合計 np.sum(dout, axis=0) です。", _DbMean),
    Mistake("dout を transpose せずに (-1, FN) に reshape しています。dout (N, FN, out_h, out_w) は "
            "transpose(0, 2, 3, 1) で (N, out_h, out_w, FN) にしてから reshape(-1, FN) します（forward の逆）。",
            _DoutNotTransposed),
]

CONV_ERROR_HINTS = [
    ("shapes", "行列の積の形が合いません。col は (N*out_h*out_w, C*FH*FW)、col_W = W.reshape(FN, -1).T は "
               "(C*FH*FW, FN) です。"),
    ("cannot reshape", "reshape の形が合っていません。forward の出力は (N, out_h, out_w, FN) に reshape してから "
                       "transpose(0, 3, 1, 2)、dout は transpose(0, 2, 3, 1) してから reshape(-1, FN) します。"),
]


# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(5200)
x_a = rng.normal(size=(2, 3, 5, 5))
x_b = rng.normal(size=(3, 1, 6, 4))
x_c = rng.normal(size=(1, 2, 7, 6))
x_one = np.zeros((1, 2, 4, 4))
x_one[0, 1, 1, 2] = 1.0


def _col(x_shape, fh, fw, stride=1, pad=0):
    N, C, H, W = x_shape
    rows = N * conv_output_size(H, fh, stride, pad) * conv_output_size(W, fw, stride, pad)
    return rng.normal(size=(rows, C * fh * fw))


col_a = _col((2, 3, 5, 5), 3, 3)
col_b = _col((3, 1, 6, 4), 2, 3, 2, 1)
col_c = _col((1, 2, 7, 6), 3, 2, 2, 2)
col_d = _col((2, 2, 4, 4), 2, 2, 2)
W_a, b_a = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
W_b, b_b = rng.normal(size=(2, 1, 2, 3)), rng.normal(size=2)
W_c, b_c = rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
dout_a = rng.normal(size=(2, 4, 3, 3))
dout_a_pad = rng.normal(size=(2, 4, 5, 5))
dout_b = rng.normal(size=(3, 2, 4, 2))   # x_b, 2x3 filters, stride 2, pad 1: out 4x2
dout_c = rng.normal(size=(1, 3, 5, 5))   # x_c, 3x2 filters, stride 2, pad 2: out 5x5 (non-square filter)

# visible inputs: small and written out
v_x = np.arange(2 * 2 * 4 * 4, dtype=float).reshape(2, 2, 4, 4) / 10
v_x2 = np.cos(np.arange(1 * 1 * 5 * 4, dtype=float)).reshape(1, 1, 5, 4)
v_col = np.sin(np.arange(2 * 3 * 3 * 2 * 2 * 2, dtype=float)).reshape(2 * 3 * 3, 2 * 2 * 2)    # v_x, 2x2 filter
v_col2 = np.cos(np.arange(1 * 3 * 2 * 2 * 3, dtype=float) / 3).reshape(1 * 3 * 2, 1 * 2 * 3)  # v_x2, 2x3, s2, p1
v_W = np.sin(np.arange(3 * 2 * 2 * 2, dtype=float) + 0.5).reshape(3, 2, 2, 2)
v_b = np.array([0.5, -1.0, 0.25])
v_W2 = np.cos(np.arange(2 * 1 * 3 * 2, dtype=float) * 0.7).reshape(2, 1, 3, 2)
v_b2 = np.array([0.1, -0.3])
v_dout = np.sin(np.arange(2 * 3 * 3 * 3, dtype=float) * 1.3).reshape(2, 3, 3, 3)   # v_x, 2x2 filters: out 3x3
v_dout2 = np.cos(np.arange(1 * 2 * 3 * 3, dtype=float) * 0.9).reshape(1, 2, 3, 3)  # v_x2, 3x2, stride 2, pad 1


def _forward(x):
    return call("forward", x, label="forward(x) の出力")


def _backward(x, dout):
    return [call("forward", x, record=False), call("backward", dout, label="backward(dout) の戻り値 dx"),
            get("dW"), get("db")]


def _conv_check(scenarios, visible):
    return ClassCheck(function="Convolution", reference=ReferenceConvolution, scenarios=scenarios, visible=visible,
                      mistakes=CONV_MISTAKES, error_hints=CONV_ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


def _im2col_check(visible, cases, prerequisite_of=""):
    return FunctionCheck(function="im2col", reference=reference_im2col, dtype="float", returns="array", rtol=RTOL,
                         atol=ATOL, mistakes=IM2COL_MISTAKES, error_hints=IM2COL_ERROR_HINTS, visible=visible,
                         cases=cases, prerequisite_of=prerequisite_of)


def _col2im_check(visible, cases, prerequisite_of=""):
    return FunctionCheck(function="col2im", reference=reference_col2im, dtype="float", returns="array", rtol=RTOL,
                         atol=ATOL, mistakes=COL2IM_MISTAKES, error_hints=COL2IM_ERROR_HINTS, visible=visible,
                         cases=cases, prerequisite_of=prerequisite_of)


# Convolution calls im2col (and col2im in backward): checks of those come first, so that a wrong im2col is named as
# the cause of a wrong convolution (in the notebook and in the grade)
_IM2COL_FOR_CONV = dict(
    visible=[Case("2 チャンネル 4×4 画像、2×2 フィルタ", (v_x, 2, 2)),
             Case("5×4 画像、3×2 フィルタ、stride=2, pad=1", (v_x2, 3, 2), {"stride": 2, "pad": 1})],
    cases=[Case("(2, 3, 5, 5) の x、3×3 フィルタ、pad=1", (x_a, 3, 3), {"pad": 1}),
           Case("(3, 1, 6, 4) の x、2×3 フィルタ、stride=2, pad=1", (x_b, 2, 3), {"stride": 2, "pad": 1})])
_COL2IM_FOR_CONV = dict(
    visible=[Case("(2, 2, 4, 4) の画像に戻す、2×2 フィルタ", (v_col, (2, 2, 4, 4), 2, 2)),
             Case("(1, 1, 5, 4) の画像に戻す、2×3 フィルタ、stride=2, pad=1", (v_col2, (1, 1, 5, 4), 2, 3),
                  {"stride": 2, "pad": 1})],
    cases=[Case("(2, 3, 5, 5) の画像に戻す、3×3 フィルタ", (col_a, (2, 3, 5, 5), 3, 3)),
           Case("(1, 2, 7, 6) の画像に戻す、3×2 フィルタ、stride=2, pad=2", (col_c, (1, 2, 7, 6), 3, 2),
                {"stride": 2, "pad": 2})])


CHECKS = {
    "im2col_basic": [_im2col_check(
        visible=[Case("2 枚の 2 チャンネル 4×4 画像、2×2 フィルタ", (v_x, 2, 2)),
                 Case("1 チャンネル 5×4 画像、3×2 フィルタ（縦横が違う）", (v_x2, 3, 2))],
        cases=[Case("(2, 3, 5, 5) の x、3×3 フィルタ", (x_a, 3, 3)),
               Case("(3, 1, 6, 4) の x、2×3 フィルタ", (x_b, 2, 3)),
               Case("(1, 2, 7, 6) の x、1×1 フィルタ", (x_c, 1, 1)),
               Case("(1, 2, 4, 4) の 1 画素だけ 1 の x、2×2 フィルタ", (x_one, 2, 2)),
               Case("(2, 3, 5, 5) の x、画像全体を覆う 5×5 フィルタ", (x_a, 5, 5))])],
    "im2col_stride_pad": [_im2col_check(
        visible=[Case("2 チャンネル 4×4 画像、2×2 フィルタ、stride=2", (v_x, 2, 2), {"stride": 2}),
                 Case("2 チャンネル 4×4 画像、3×3 フィルタ、pad=1", (v_x, 3, 3), {"pad": 1}),
                 Case("5×4 画像、2×3 フィルタ、stride=2, pad=1（縦横が違う）", (v_x2, 2, 3), {"stride": 2, "pad": 1})],
        cases=[Case("(2, 3, 5, 5) の x、3×3 フィルタ、stride=2", (x_a, 3, 3), {"stride": 2}),
               Case("(2, 3, 5, 5) の x、3×3 フィルタ、pad=1", (x_a, 3, 3), {"pad": 1}),
               Case("(3, 1, 6, 4) の x、2×3 フィルタ、stride=2, pad=1", (x_b, 2, 3), {"stride": 2, "pad": 1}),
               Case("(1, 2, 7, 6) の x、3×2 フィルタ、stride=2, pad=2", (x_c, 3, 2), {"stride": 2, "pad": 2}),
               Case("(1, 2, 7, 6) の x、3×3 フィルタ、stride=3（割り切れない）", (x_c, 3, 3), {"stride": 3})])],
    "col2im_values": [_col2im_check(
        visible=[Case("(2, 2, 4, 4) の画像に戻す、2×2 フィルタ（窓が重なる）", (v_col, (2, 2, 4, 4), 2, 2)),
                 Case("(1, 1, 5, 4) の画像に戻す、2×3 フィルタ、stride=2, pad=1", (v_col2, (1, 1, 5, 4), 2, 3),
                      {"stride": 2, "pad": 1})],
        cases=[Case("(2, 3, 5, 5) の画像に戻す、3×3 フィルタ", (col_a, (2, 3, 5, 5), 3, 3)),
               Case("(3, 1, 6, 4) の画像に戻す、2×3 フィルタ、stride=2, pad=1", (col_b, (3, 1, 6, 4), 2, 3),
                    {"stride": 2, "pad": 1}),
               Case("(1, 2, 7, 6) の画像に戻す、3×2 フィルタ、stride=2, pad=2", (col_c, (1, 2, 7, 6), 3, 2),
                    {"stride": 2, "pad": 2}),
               Case("(2, 2, 4, 4) の画像に戻す、2×2 フィルタ、stride=2（窓が重ならない）", (col_d, (2, 2, 4, 4), 2, 2),
                    {"stride": 2}),
               Case("すべて 1 の col（各画素が何個の窓に入るかが数えられる）", (np.ones_like(col_a), (2, 3, 5, 5), 3, 3))])],
    "convolution_forward": [_im2col_check(**_IM2COL_FOR_CONV, prerequisite_of="Convolution"), _conv_check([
        Scenario("(2, 3, 5, 5) の x と (4, 3, 3, 3) のフィルタ", [new(W_a, b_a), _forward(x_a)]),
        Scenario("(2, 3, 5, 5) の x、pad=1", [new(W_a, b_a, 1, 1), _forward(x_a)]),
        Scenario("(3, 1, 6, 4) の x と 2×3 フィルタ、stride=2, pad=1", [new(W_b, b_b, 2, 1), _forward(x_b)]),
        Scenario("(1, 2, 7, 6) の x と 3×2 フィルタ、stride=2, pad=2", [new(W_c, b_c, 2, 2), _forward(x_c)]),
        Scenario("フィルタがすべて 0（出力はバイアスだけ）", [new(np.zeros_like(W_a), b_a), _forward(x_a)]),
    ], [
        Scenario("2 チャンネル 4×4 画像と 3 個の 2×2 フィルタ", [new(v_W, v_b), _forward(v_x)]),
        Scenario("5×4 画像と 2 個の 3×2 フィルタ、stride=2, pad=1", [new(v_W2, v_b2, 2, 1), _forward(v_x2)]),
    ])],
    "convolution_backward": [
        _im2col_check(**_IM2COL_FOR_CONV, prerequisite_of="Convolution"),
        _col2im_check(**_COL2IM_FOR_CONV, prerequisite_of="Convolution"), _conv_check([
        Scenario("(2, 3, 5, 5) の x と (4, 3, 3, 3) のフィルタ", [new(W_a, b_a), *_backward(x_a, dout_a)]),
        Scenario("(2, 3, 5, 5) の x、pad=1", [new(W_a, b_a, 1, 1), *_backward(x_a, dout_a_pad)]),
        Scenario("(3, 1, 6, 4) の x と 2×3 フィルタ、stride=2, pad=1", [new(W_b, b_b, 2, 1), *_backward(x_b, dout_b)]),
        Scenario("(1, 2, 7, 6) の x と 3×2 フィルタ、stride=2, pad=2", [new(W_c, b_c, 2, 2), *_backward(x_c, dout_c)]),
        Scenario("dout がすべて 1", [new(W_a, b_a), *_backward(x_a, np.ones_like(dout_a))]),
        Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
            new(W_a, b_a), call("forward", x_a[::-1].copy(), record=False), *_backward(x_a, dout_a)]),
    ], [
        Scenario("2 チャンネル 4×4 画像と 3 個の 2×2 フィルタ", [new(v_W, v_b), *_backward(v_x, v_dout)]),
        Scenario("5×4 画像と 2 個の 3×2 フィルタ、stride=2, pad=1", [new(v_W2, v_b2, 2, 1), *_backward(v_x2, v_dout2)]),
    ])],
}
