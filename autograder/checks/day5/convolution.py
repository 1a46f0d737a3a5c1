"""Hidden checks of 5_1_convolution: the output size of a convolution and a convolution written with loops.

Conventions stated in the notebook and tested here:
- ``conv_output_size(input_size, filter_size, stride=1, pad=0)``: ``(input_size + 2 * pad - filter_size) // stride + 1``,
  an integer (integer division: positions where the filter would stick out of the padded input are dropped).
- ``convolution_naive(x, W, b, stride=1, pad=0)``: ``x`` (N, C, H, W), filters ``W`` (FN, C, FH, FW), bias ``b`` (FN,),
  all float64; zero padding of ``pad`` pixels on the height and width axes only; output (N, FN, out_h, out_w) with
  ``out[n, f, i, j] = sum(x_pad[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW] * W[f]) + b[f]`` (the filter is not
  flipped, as in the book); non-square images and filters allowed; ``x``, ``W``, ``b`` are not modified.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "5_1_convolution"


def reference_conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1


def _naive(x, W, b, stride=1, pad=0, *, size=reference_conv_output_size, pad_axes="hw", step=None, flip=False,
           bias=True):
    """The loop convolution with switches for the typical mistakes."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    out_h, out_w = size(H, FH, stride, pad), size(Wd, FW, stride, pad)
    if pad_axes == "hw":
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    else:  # np.pad(x, pad): the batch and channel axes are padded as well
        xp = np.pad(x, pad)
    if flip:
        W = W[:, :, ::-1, ::-1]
    step = stride if step is None else step
    out = np.zeros((N, FN, out_h, out_w))
    for n in range(N):
        for f in range(FN):
            for i in range(out_h):
                for j in range(out_w):
                    window = xp[n, :C, i * step:i * step + FH, j * step:j * step + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + (b[f] if bias else 0.0)
    return out


def reference_convolution_naive(x, W, b, stride=1, pad=0):
    return _naive(x, W, b, stride, pad)


SIZE_MISTAKES = [
    Mistake("最後の + 1 が抜けています。出力サイズは (入力サイズ + 2 * pad - フィルタサイズ) // stride + 1 です"
            "（フィルタを置ける位置は、最初の位置の 1 個に、ずらせる回数を足した数です）。",
            lambda n, f, stride=1, pad=0: (n + 2 * pad - f) // stride),
    Mistake("割り算が / になっていて、結果が整数 (int) になっていません。割り切れないときにはみ出す位置は使わないので、"
            "整数の割り算 // を使います。", lambda n, f, stride=1, pad=0: (n + 2 * pad - f) / stride + 1),
    Mistake("パディングを片側の分しか足していません。パディングは上下（左右）の両側に入るので 2 * pad を足します。",
            lambda n, f, stride=1, pad=0: (n + pad - f) // stride + 1),
]

CONV_MISTAKES = [
    Mistake("バイアス b を足していません。出力の各位置に、そのフィルタのバイアス b[f] を 1 回足します。",
            lambda x, W, b, stride=1, pad=0: _naive(x, W, b, stride, pad, bias=False)),
    Mistake("パディングがバッチ方向（N）やチャンネル方向（C）にも入っています。np.pad(x, pad) は全部の軸に 0 を足します。"
            "高さと幅だけに入れるには np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) とします。",
            lambda x, W, b, stride=1, pad=0: _naive(x, W, b, stride, pad, pad_axes="all")),
    Mistake("ストライドが窓の位置に反映されていません。出力の (i, j) に対応する窓の左上は入力の "
            "(i * stride, j * stride) です。", lambda x, W, b, stride=1, pad=0: _naive(x, W, b, stride, pad, step=1)),
    Mistake("フィルタを上下左右に反転しています。このコースの（書籍と同じ）畳み込みは、フィルタを反転せずに窓と要素ごとに"
            "掛けて足す計算です（数学でいう相互相関）。",
            lambda x, W, b, stride=1, pad=0: _naive(x, W, b, stride, pad, flip=True)),
    Mistake("出力サイズの + 1 が抜けています。out_h = (H + 2 * pad - FH) // stride + 1 です。",
            lambda x, W, b, stride=1, pad=0: _naive(x, W, b, stride, pad,
                                                    size=lambda n, f, s, p: (n + 2 * p - f) // s)),
]

CONV_ERROR_HINTS = [
    ("could not be broadcast", "配列の形が合いません。窓 x_pad[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW] は "
                               "(C, FH, FW) で、フィルタ W[f] と同じ形になるはずです。パディングをバッチ（N）や"
                               "チャンネル（C）の軸にも入れていないか（np.pad(x, pad) は全部の軸に入ります）、"
                               "窓の高さと幅を取り違えていないか確かめてください。"),
    ("out of bounds", "添字が配列の外に出ています。出力の大きさ out_h, out_w は conv_output_size で求め、"
                      "ループはその範囲だけ回します。"),
]

rng = np.random.default_rng(5100)


def _data(N, C, H, W, FN, FH, FW):
    return rng.normal(size=(N, C, H, W)), rng.normal(size=(FN, C, FH, FW)), rng.normal(size=FN)


# hidden inputs
x_a, W_a, b_a = _data(2, 3, 6, 6, 4, 3, 3)
x_b, W_b, b_b = _data(3, 1, 5, 7, 2, 2, 3)
x_c, W_c, b_c = _data(1, 2, 4, 4, 3, 4, 4)          # the filter covers the whole image: 1x1 output
x_d, W_d, b_d = _data(2, 2, 9, 8, 3, 3, 2)
x_e, W_e, b_e = _data(1, 3, 7, 5, 2, 3, 3)
x_one = np.zeros((1, 1, 5, 5))
x_one[0, 0, 2, 3] = 1.0                              # one pixel: the output shows the (unflipped) filter
W_one = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)

# visible inputs: small and written out
v_x = np.arange(32, dtype=float).reshape(2, 1, 4, 4) / 10
v_W = np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]],
                [[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.5]]]])
v_b = np.array([0.5, -1.0])
v_x2 = np.cos(np.arange(2 * 2 * 5 * 4, dtype=float)).reshape(2, 2, 5, 4)
v_W2 = np.sin(np.arange(3 * 2 * 3 * 2, dtype=float) + 1).reshape(3, 2, 3, 2)
v_b2 = np.array([0.1, -0.2, 0.3])

CHECKS = {
    "conv_output_size_values": [FunctionCheck(
        function="conv_output_size", reference=reference_conv_output_size, dtype="int", mistakes=SIZE_MISTAKES,
        visible=[Case("入力 28、フィルタ 5（stride=1, pad=0）", (28, 5)),
                 Case("入力 6、フィルタ 3、stride=2, pad=1（割り切れない）", (6, 3), {"stride": 2, "pad": 1}),
                 Case("入力 5、フィルタ 3、stride=1, pad=2", (5, 3), {"stride": 1, "pad": 2})],
        cases=[Case("入力 32、フィルタ 3（stride=1, pad=0）", (32, 3)),
               Case("入力 28、フィルタ 5、pad=2（大きさが変わらない）", (28, 5), {"pad": 2}),
               Case("入力 28、フィルタ 5、stride=2（割り切れない）", (28, 5), {"stride": 2}),
               Case("入力 7、フィルタ 3、stride=2, pad=1", (7, 3), {"stride": 2, "pad": 1}),
               Case("入力 4、フィルタ 2、stride=2（プーリングと同じ形）", (4, 2), {"stride": 2}),
               Case("入力 5、フィルタ 5（出力 1）", (5, 5)),
               Case("入力 10、フィルタ 4、stride=3, pad=3", (10, 4), {"stride": 3, "pad": 3})])],
    "convolution_naive_basic": [FunctionCheck(
        function="convolution_naive", reference=reference_convolution_naive, dtype="float", returns="array",
        rtol=1e-9, atol=1e-12, mistakes=CONV_MISTAKES, error_hints=CONV_ERROR_HINTS,
        visible=[Case("2 枚の 1 チャンネル 4×4 画像と 2 個の 3×3 フィルタ", (v_x, v_W, v_b)),
                 Case("2 枚の 2 チャンネル 5×4 画像と 3 個の 3×2 フィルタ（縦横が違う）", (v_x2, v_W2, v_b2))],
        cases=[Case("(2, 3, 6, 6) の x と (4, 3, 3, 3) のフィルタ", (x_a, W_a, b_a)),
               Case("(3, 1, 5, 7) の x と (2, 1, 2, 3) のフィルタ（縦横が違う）", (x_b, W_b, b_b)),
               Case("フィルタが画像全体を覆う（出力 1×1）", (x_c, W_c, b_c)),
               Case("1 画素だけ 1 の画像（出力に反転していないフィルタが現れる）", (x_one, W_one, np.zeros(1))),
               Case("フィルタがすべて 0（出力はバイアスだけ）", (x_a, np.zeros_like(W_a), b_a))])],
    "convolution_naive_stride_pad": [FunctionCheck(
        function="convolution_naive", reference=reference_convolution_naive, dtype="float", returns="array",
        rtol=1e-9, atol=1e-12, mistakes=CONV_MISTAKES, error_hints=CONV_ERROR_HINTS,
        visible=[Case("2 チャンネル 5×4 画像、3×2 フィルタ、pad=1", (v_x2, v_W2, v_b2), {"pad": 1}),
                 Case("2 チャンネル 5×4 画像、3×2 フィルタ、stride=2", (v_x2, v_W2, v_b2), {"stride": 2}),
                 Case("2 チャンネル 5×4 画像、3×2 フィルタ、stride=2, pad=2", (v_x2, v_W2, v_b2),
                      {"stride": 2, "pad": 2})],
        cases=[Case("(2, 3, 6, 6) の x、pad=1", (x_a, W_a, b_a), {"pad": 1}),
               Case("(2, 3, 6, 6) の x、stride=2", (x_a, W_a, b_a), {"stride": 2}),
               Case("(2, 2, 9, 8) の x と 3×2 のフィルタ、stride=3, pad=1", (x_d, W_d, b_d), {"stride": 3, "pad": 1}),
               Case("(1, 3, 7, 5) の x、stride=2, pad=2", (x_e, W_e, b_e), {"stride": 2, "pad": 2}),
               Case("(3, 1, 5, 7) の x、stride=2（割り切れない）", (x_b, W_b, b_b), {"stride": 2}),
               Case("1 画素だけ 1 の画像、stride=2, pad=1", (x_one, W_one, np.zeros(1)), {"stride": 2, "pad": 1})])],
}
