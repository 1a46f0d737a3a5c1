"""Hidden checks of 5_3_pooling: the max-pooling layer ``Pooling``.

Conventions stated in the notebook and tested here (the reference is ``course.layers.Pooling``):
- ``Pooling(pool_h, pool_w, stride=2, pad=0)``; every scenario passes pool_h, pool_w and stride
  explicitly, pad is always 0 (kept for the book's interface).
- ``forward(x)``: x (N, C, H, W) float64 → (N, C, OH, OW) with OH = (H - pool_h) // stride + 1 (same for
  OW); each output is the maximum of its pool_h × pool_w window, per channel. Rows or columns that no
  window reaches are ignored.
- ``backward(dout)``: dout (N, C, OH, OW) → dx (N, C, H, W): each window passes its dout to the position
  of its maximum only; when several elements of a window tie, the first one in row-major order within
  the window (what ``np.argmax`` over the flattened window returns). Overlapping windows (stride <
  pool size) add their gradients. dx is 0 elsewhere. ``dout`` is never modified.
"""

import numpy as np

from course.checking import ClassCheck, Mistake, Scenario, call, new
from course.im2col import col2im, conv_output_size, im2col
from course.layers import Pooling as ReferencePooling

NOTEBOOK = "5_3_pooling"

RTOL, ATOL = 1e-12, 1e-12


# --------------------------------------------------------------------------- typical mistakes
class _Windows(ReferencePooling):
    """Helpers for the wrong variants: the windows as rows (N*OH*OW*C, pool_h*pool_w)."""

    def _windows(self, x):
        x = np.asarray(x)
        N, C, H, W = x.shape
        self.out_shape = (N, conv_output_size(H, self.pool_h, self.stride, self.pad),
                          conv_output_size(W, self.pool_w, self.stride, self.pad), C)
        return im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)

    def forward(self, x):
        self._windows(x)
        return super().forward(x)

    def _image(self, out):
        return out.reshape(self.out_shape).transpose(0, 3, 1, 2)

    def _dx(self, dmax):
        return col2im(dmax.reshape(-1, dmax.shape[1] * self.out_shape[3]), self.x_shape, self.pool_h, self.pool_w,
                      self.stride, self.pad)

    def _dout_rows(self, dout):
        return np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1)


class _GradientToWholeWindow(_Windows):
    def backward(self, dout):
        d = self._dout_rows(dout)
        return self._dx(np.repeat(d[:, None], self.pool_h * self.pool_w, axis=1))


class _GradientToEveryMaximum(_Windows):
    def forward(self, x):
        col = self._windows(x)
        self.mask = col == col.max(axis=1, keepdims=True)
        return super().forward(x)

    def backward(self, dout):
        return self._dx(self.mask * self._dout_rows(dout)[:, None])


class _LastMaximum(_Windows):
    def forward(self, x):
        out = super().forward(x)
        col = self._windows(x)[:, ::-1]
        self.arg_max = col.shape[1] - 1 - np.argmax(col, axis=1)
        return out


class _TransposedWindow(_Windows):
    """argmax taken over the window read column by column, the index then used row by row."""

    def forward(self, x):
        out = super().forward(x)
        col = self._windows(x).reshape(-1, self.pool_h, self.pool_w).transpose(0, 2, 1)
        self.arg_max = np.argmax(col.reshape(-1, self.pool_h * self.pool_w), axis=1)
        return out


class _DoutNotTransposed(ReferencePooling):
    """dout flattened in (N, C, OH, OW) order while the windows are in (N, OH, OW, C) order."""

    def backward(self, dout):
        dout = np.asarray(dout)
        N, C, OH, OW = dout.shape
        return super().backward(dout.reshape(N, OH, OW, C).transpose(0, 3, 1, 2))


class _OverlapOverwritten(ReferencePooling):
    """Loop version that assigns (=) instead of adding (+=) the gradient of overlapping windows."""

    def backward(self, dout):
        dout = np.asarray(dout)
        N, C, OH, OW = dout.shape
        dx = np.zeros(self.x_shape)
        arg = self.arg_max.reshape(N, OH, OW, C)
        for i in range(OH):
            for j in range(OW):
                for n in range(N):
                    for c in range(C):
                        r, s = divmod(int(arg[n, i, j, c]), self.pool_w)
                        dx[n, c, i * self.stride + r, j * self.stride + s] = dout[n, c, i, j]
        return dx


class _MaxOverChannels(_Windows):
    def forward(self, x):
        x = np.asarray(x)
        out = super().forward(x)
        return np.broadcast_to(out.max(axis=1, keepdims=True), out.shape).copy()


class _AveragePooling(_Windows):
    def forward(self, x):
        super().forward(x)
        return self._image(self._windows(x).mean(axis=1))

    def backward(self, dout):
        d = self._dout_rows(dout) / (self.pool_h * self.pool_w)
        return self._dx(np.repeat(d[:, None], self.pool_h * self.pool_w, axis=1))


class _OutputNotTransposed(_Windows):
    def forward(self, x):
        return super().forward(x).transpose(0, 2, 3, 1)

    def backward(self, dout):
        return super().backward(np.asarray(dout).transpose(0, 3, 1, 2))


class _OutputReshapedDirectly(_Windows):
    """out.reshape(N, C, OH, OW) straight from the (N, OH, OW, C) row order."""

    def forward(self, x):
        out = super().forward(x)
        N, OH, OW, C = self.out_shape
        return out.transpose(0, 2, 3, 1).reshape(N, C, OH, OW)


MISTAKES = [
    Mistake("逆伝播で、窓のすべての要素に dout を流しています。最大値プーリングの勾配は、順伝播で最大値だった "
            "1 つの要素にだけ流れ、窓のほかの要素の勾配は 0 です（argmax の位置を順伝播で保存しておきます）。",
            _GradientToWholeWindow),
    Mistake("最大値が同じ要素が窓の中に複数あるとき、そのすべてに勾配を流しています。このノートブックでは窓を "
            "行ごとに左から右へ読んだ順（行優先、np.argmax と同じ）で最初の最大値 1 つだけに流します。",
            _GradientToEveryMaximum),
    Mistake("最大値が同じ要素が窓の中に複数あるとき、最後の要素に勾配を流しています。窓を行優先で読んだ順の"
            "最初の最大値（np.argmax が返す位置）に流します。", _LastMaximum),
    Mistake("逆伝播で勾配を流す位置がずれています（窓の中の行と列が入れ替わっています）。argmax は窓を "
            "(pool_h, pool_w) の形で行優先に平らにした pool_h*pool_w 要素に対してとり、位置 k は窓の "
            "(k // pool_w) 行目、(k % pool_w) 列目です。", _TransposedWindow),
    Mistake("逆伝播で dout の並べ方が順伝播の窓の並べ方と合っていません。im2col の行は (N, OH, OW, C) の順なので、"
            "dout も dout.transpose(0, 2, 3, 1) としてから平らにします（チャンネルが 2 つ以上のときに勾配の"
            "行き先がずれます）。", _DoutNotTransposed),
    Mistake("窓が重なるとき（stride < プーリングの大きさ）、勾配を上書きしています。同じ要素が複数の窓で最大値に"
            "なったときは、それぞれの窓からの勾配を足し合わせます（dx[...] += ... または col2im）。",
            _OverlapOverwritten),
    Mistake("最大値をとる範囲が違います（チャンネルをまたいで最大値をとっています）。プーリングはチャンネルごと"
            "に、pool_h × pool_w の窓の中だけで最大値をとります。", _MaxOverChannels),
    Mistake("窓の平均をとっています。このクラスは最大値プーリングなので、窓の中の最大値を出力します"
            "（平均プーリングはこのあとのデモで扱います）。", _AveragePooling),
    Mistake("出力の形が (N, OH, OW, C) のままです。im2col の行の順 (N, OH, OW, C) で並んだ最大値を "
            "reshape(N, OH, OW, C) してから transpose(0, 3, 1, 2) で (N, C, OH, OW) にします。",
            _OutputNotTransposed),
    Mistake("出力の形は (N, C, OH, OW) ですが、値の並びが違います。im2col の行は (N, OH, OW, C) の順なので、"
            "いきなり reshape(N, C, OH, OW) とせず、reshape(N, OH, OW, C).transpose(0, 3, 1, 2) とします。",
            _OutputReshapedDirectly),
]

ERROR_HINTS = [
    ("cannot reshape", "reshape の形が合っていません。出力は (N, C, OH, OW)、dx は入力 x と同じ (N, C, H, W) です。"
                       "OH = (H - pool_h) // stride + 1 です。"),
    ("could not be broadcast", "配列の形が合っていません。backward の戻り値 dx は入力 x と同じ形 (N, C, H, W) で、"
                               "dout は順伝播の出力と同じ形 (N, C, OH, OW) です。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(5300)
x_a = rng.normal(size=(2, 3, 4, 4))
dout_a = rng.normal(size=(2, 3, 2, 2))
x_odd = rng.normal(size=(1, 2, 5, 7))                # 5×7: the last row and column are left out by 2×2, stride 2
dout_odd = rng.normal(size=(1, 2, 2, 3))
x_rect = rng.normal(size=(2, 2, 6, 6))               # non-square window 2×3, stride 2 → (2, 2)
dout_rect = rng.normal(size=(2, 2, 3, 2))
x_overlap = rng.normal(size=(2, 2, 5, 5))            # 3×3 windows, stride 1: windows overlap
dout_overlap = rng.normal(size=(2, 2, 3, 3))
x_one = rng.normal(size=(1, 1, 6, 6))
dout_one = np.zeros((1, 1, 2, 2))
dout_one[0, 0, 1, 0] = 1.0
# peaks: a large value in the middle of a 4×4 image is the maximum of every 2×2 window (stride 1) around it
x_peak = rng.uniform(-1, 0, size=(1, 2, 4, 4))
x_peak[0, 0, 1, 2] = x_peak[0, 1, 2, 1] = 5.0
dout_peak = rng.normal(size=(1, 2, 3, 3))
# ties: small integers (several equal maxima in a window), all-zero windows (as after a ReLU)
x_ties = rng.integers(0, 3, size=(2, 2, 4, 6)).astype(float)
dout_ties = rng.normal(size=(2, 2, 2, 3))
x_relu = np.maximum(rng.normal(size=(2, 3, 6, 6)), 0.0)
x_relu[:, :, :2, :2] = 0.0
dout_relu = rng.normal(size=(2, 3, 3, 3))
x_tie_overlap = rng.integers(0, 2, size=(1, 2, 4, 5)).astype(float)
dout_tie_overlap = rng.normal(size=(1, 2, 3, 3))

# the visible self-check's inputs: small and written out
v_x = np.array([[[[1.0, 3.0, -2.0, 0.5],
                  [4.0, -1.0, 2.5, 1.5],
                  [0.0, 2.0, -3.0, -0.5],
                  [-1.5, 1.0, -2.5, -1.0]],
                 [[-0.5, 0.2, 1.2, 3.3],
                  [2.2, 0.7, -1.0, 0.1],
                  [1.1, -0.3, 0.6, 0.9],
                  [0.4, 2.8, -0.2, 1.7]]]])
v_dout = np.array([[[[1.0, -2.0], [0.5, 3.0]], [[-1.0, 2.0], [1.5, -0.5]]]])
v_x_odd = np.arange(30, dtype=float).reshape(1, 2, 3, 5) % 7 - 3.0   # 3×5: the last row and column are left out
v_dout_odd = np.array([[[[1.0, 2.0]], [[-1.0, 0.5]]]])
v_x_rect = np.cos(np.arange(48, dtype=float)).reshape(2, 2, 3, 4)    # window 3×2, stride 2 → (1, 2)
v_dout_rect = np.array([[[[1.0, -1.0]], [[0.5, 2.0]]], [[[-0.5, 1.5]], [[2.0, 1.0]]]])
v_x_overlap = np.sin(np.arange(32, dtype=float) * 1.3).reshape(1, 2, 4, 4)
v_x_overlap[0, 0, 1, 1] = v_x_overlap[0, 1, 2, 2] = 3.0             # maximum of several overlapping windows
v_dout_overlap = np.arange(1, 19, dtype=float).reshape(1, 2, 3, 3) / 4
v_x_ties = np.array([[[[2.0, 2.0, 0.0, 1.0, 0.0, 0.0],
                       [1.0, 2.0, 1.0, 1.0, 0.0, 0.0],
                       [0.0, 0.0, 3.0, 1.0, 1.0, 2.0],
                       [0.0, 0.0, 1.0, 3.0, 2.0, 0.0]],
                      [[1.0, 0.0, 1.0, 1.0, 0.0, 2.0],
                       [0.0, 1.0, 1.0, 1.0, 2.0, 0.0],
                       [2.0, 2.0, 0.0, 0.0, 1.0, 1.0],
                       [2.0, 2.0, 0.0, 0.0, 1.0, 1.0]]]])
v_dout_ties = np.array([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0]]]])
v_x_tie_overlap = (np.arange(24).reshape(1, 2, 3, 4) * 7 % 5 > 2).astype(float)  # 0 と 1 だけ
v_x_tie_overlap[0, 1, 1, 2] = 2.0
v_dout_tie_overlap = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [-2.0, 1.5]]]])


def _forward(x):
    return call("forward", x, label="forward(x) の出力")


def _backward(x, dout):
    return [call("forward", x, record=False), call("backward", dout, label="backward(dout) の戻り値 dx")]


def _check(scenarios, visible):
    return ClassCheck(function="Pooling", reference=ReferencePooling, scenarios=scenarios, visible=visible,
                      mistakes=MISTAKES, error_hints=ERROR_HINTS, rtol=RTOL, atol=ATOL, dtype="float")


CHECKS = {
    "pooling_forward": [_check([
        Scenario("(2, 3, 4, 4) の x、2×2、stride 2", [new(2, 2, stride=2), _forward(x_a)]),
        Scenario("(1, 2, 5, 7) の x、2×2、stride 2（最後の行と列はどの窓にも入らない）",
                 [new(2, 2, stride=2), _forward(x_odd)]),
        Scenario("(2, 2, 6, 6) の x、2×3 の窓、stride 2", [new(2, 3, stride=2), _forward(x_rect)]),
        Scenario("(2, 2, 5, 5) の x、3×3 の窓、stride 1（窓が重なる）", [new(3, 3, stride=1), _forward(x_overlap)]),
        Scenario("(1, 1, 6, 6) の x、3×3 の窓、stride 3", [new(3, 3, stride=3), _forward(x_one)]),
    ], [
        Scenario("(2, 2, 3, 4) の x、3×2 の窓、stride 2", [new(3, 2, stride=2), _forward(v_x_rect)]),
        Scenario("(1, 2, 3, 5) の x、2×2、stride 2（最後の行と列はどの窓にも入らない）",
                 [new(2, 2, stride=2), _forward(v_x_odd)]),
        Scenario("(1, 2, 4, 4) の x、2×2、stride 2", [new(2, 2, stride=2), _forward(v_x)]),
    ])],
    "pooling_backward": [_check([
        Scenario("(2, 3, 4, 4) の x、2×2、stride 2", [new(2, 2, stride=2), *_backward(x_a, dout_a)]),
        Scenario("dout が 1 要素だけ 1（3×3 の窓、stride 3）", [new(3, 3, stride=3), *_backward(x_one, dout_one)]),
        Scenario("(1, 2, 5, 7) の x（どの窓にも入らない行と列の勾配は 0）",
                 [new(2, 2, stride=2), *_backward(x_odd, dout_odd)]),
        Scenario("2×3 の窓、stride 2", [new(2, 3, stride=2), *_backward(x_rect, dout_rect)]),
        Scenario("3×3 の窓、stride 1（窓が重なる）", [new(3, 3, stride=1), *_backward(x_overlap, dout_overlap)]),
        Scenario("2×2、stride 1: 大きな値が周りの 4 つの窓すべての最大値", [new(2, 2, stride=1),
                                                                             *_backward(x_peak, dout_peak)]),
        Scenario("forward を 2 回してから backward（最後の forward の値を使う）", [
            new(2, 2, stride=2), call("forward", x_relu[:, :, :4, :4] + 1.0, record=False), *_backward(x_a, dout_a)]),
    ], [
        Scenario("(1, 2, 4, 4) の x、2×2、stride 2", [new(2, 2, stride=2), *_backward(v_x, v_dout)]),
        Scenario("(1, 2, 3, 5) の x（どの窓にも入らない行と列の勾配は 0）",
                 [new(2, 2, stride=2), *_backward(v_x_odd, v_dout_odd)]),
        Scenario("(2, 2, 3, 4) の x、3×2 の窓、stride 2", [new(3, 2, stride=2), *_backward(v_x_rect, v_dout_rect)]),
        Scenario("2×2、stride 1（窓が重なり、3.0 は複数の窓の最大値）",
                 [new(2, 2, stride=1), *_backward(v_x_overlap, v_dout_overlap)]),
    ])],
    "pooling_ties": [_check([
        Scenario("0, 1, 2 の整数ばかりの x（窓の中に同じ最大値が複数）", [
            new(2, 2, stride=2), _forward(x_ties), call("backward", dout_ties, label="backward(dout) の戻り値 dx")]),
        Scenario("ReLU のあとのような 0 の多い x（すべて 0 の窓もある）、2×2、stride 2", [
            new(2, 2, stride=2), _forward(x_relu), call("backward", dout_relu, label="backward(dout) の戻り値 dx")]),
        Scenario("0 と 1 だけの x、2×3 の窓、stride 1（窓が重なる）", [
            new(2, 3, stride=1), _forward(x_tie_overlap),
            call("backward", dout_tie_overlap, label="backward(dout) の戻り値 dx")]),
    ], [
        Scenario("(1, 2, 4, 6) の x: 同じ最大値が複数ある窓（左上の窓は 2 が 3 つ、すべて 0 の窓、すべて 1 の窓など）", [
            new(2, 2, stride=2), _forward(v_x_ties), call("backward", v_dout_ties, label="backward(dout) の戻り値 dx")]),
        Scenario("(1, 2, 3, 4) の 0 と 1 だけの x、2×3 の窓、stride 1（窓が重なる）", [
            new(2, 3, stride=1), _forward(v_x_tie_overlap),
            call("backward", v_dout_tie_overlap, label="backward(dout) の戻り値 dx")]),
    ])],
}
