"""Hidden checks of 8_6_compression: magnitude pruning, 8-bit affine quantisation and dequantisation, and
knowledge distillation with a temperature (loss and gradient w.r.t. the student's logits).

Conventions stated in the notebook and tested here (the reference is ``course.compression``):
- ``prune_by_magnitude(W, ratio)``: ratio = fraction of the elements REMOVED; k = int(ratio * W.size) elements
  of smallest |w| become 0, ties broken by position (``np.argsort(np.abs(W), axis=None, kind="stable")``: the
  earlier element in row-major order goes first), exactly k removed; a new array of W's shape and dtype.
- ``quantize(x, scale=None, zero_point=None)`` -> (q uint8, scale float, zero_point int). Without parameters:
  x_min = min(x.min(), 0), x_max = max(x.max(), 0), scale = (x_max - x_min) / 255 (1.0 when 0),
  zero_point = int(clip(np.round(-x_min / scale), 0, 255)). q = clip(np.round(x / scale) + zero_point, 0, 255)
  as uint8 (with given parameters the same formula, so values outside the range are clipped).
- ``dequantize(q, scale, zero_point)`` = (q - zero_point) * scale as float64 (no uint8 wrap-around).
- ``distillation_loss(student_logits, teacher_logits, T)`` = T² · mean over the batch of
  KL(softmax(teacher / T) ‖ softmax(student / T)); logits (N, C); a scalar; stable at logits of ±1000.
- ``distillation_loss_backward`` = T · (softmax(student / T) - softmax(teacher / T)) / N, shape (N, C).
- Inputs are never modified.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.compression import (dequantize, distillation_loss, distillation_loss_backward, prune_by_magnitude,
                                quantize, softmax_t)

NOTEBOOK = "8_6_compression"


# --------------------------------------------------------------------------- pruning mistakes
def _prune_order(W, order, k):
    out = np.array(W, copy=True)
    out.reshape(-1)[order[:k]] = 0
    return out


def _prune_signed(W, ratio):
    return _prune_order(W, np.argsort(np.asarray(W), axis=None, kind="stable"), int(ratio * np.size(W)))


def _prune_inverse(W, ratio):
    return prune_by_magnitude(W, 1.0 - ratio)


def _prune_largest(W, ratio):
    return _prune_order(W, np.argsort(-np.abs(W), axis=None, kind="stable"), int(ratio * np.size(W)))


def _prune_threshold(W, ratio):
    W = np.asarray(W)
    k = int(ratio * W.size)
    out = W.copy()
    if k > 0:
        out[np.abs(W) <= np.sort(np.abs(W), axis=None)[k - 1]] = 0
    return out


def _prune_rounded_k(W, ratio):
    W = np.asarray(W)
    return _prune_order(W, np.argsort(np.abs(W), axis=None, kind="stable"), int(np.round(ratio * W.size)))


def _prune_per_row(W, ratio):
    W = np.asarray(W)
    if W.ndim < 2:
        return prune_by_magnitude(W, ratio)
    out = W.copy()
    k = int(ratio * W.shape[-1])
    order = np.argsort(np.abs(W), axis=-1, kind="stable")[..., :k]
    np.put_along_axis(out, order, 0, axis=-1)
    return out


PRUNE_MISTAKES = [
    Mistake("符号つきの値の小さい順（いちばん負の値から）に 0 にしています。枝刈りは重みの大きさ（絶対値 np.abs(W)）の小さい順です。"
            "-3.0 のような大きな負の重みは、0.1 よりずっと大事な重みです。", _prune_signed),
    Mistake("ratio の意味が逆です。ratio は<strong>取り除く</strong>割合で、k = int(ratio * W.size) 個を 0 にします"
            "（ratio = 0.9 なら 9 割を 0 にして 1 割を残します）。", _prune_inverse),
    Mistake("絶対値の大きい重みを 0 にしています。取り除くのは絶対値の小さい k 個です。", _prune_largest),
    Mistake("k 番目に小さい |w| をしきい値にして |w| <= しきい値 をすべて 0 にしているため、同じ大きさの重みがあると k 個より多く 0 に"
            "なっています。np.argsort(np.abs(W), axis=None, kind=\"stable\") の先頭 k 個の位置だけを 0 にしてください"
            "（同じ大きさなら前の位置が先です）。", _prune_threshold),
    Mistake("取り除く個数を四捨五入しています。k = int(ratio * W.size)（切り捨て）です。", _prune_rounded_k),
    Mistake("行ごとに枝刈りしています。このノートブックでは行列全体（すべての要素）の中で |w| の小さい k 個を 0 にします。",
            _prune_per_row),
]


# --------------------------------------------------------------------------- quantisation mistakes
def _params(x, *, include_zero=True, zp_round=np.round, levels=255):
    x = np.asarray(x, dtype=np.float64)
    x_min, x_max = float(x.min()), float(x.max())
    if include_zero:
        x_min, x_max = min(x_min, 0.0), max(x_max, 0.0)
    scale = (x_max - x_min) / levels
    if scale == 0.0:
        scale = 1.0
    zp = zp_round(-x_min / scale)
    return scale, zp


def _q(x, scale, zp, *, clip=True, rounding=np.round, as_int=True):
    v = rounding(np.asarray(x, dtype=np.float64) / scale) + zp
    if clip:
        v = np.clip(v, 0, 255)
    else:
        v = np.mod(v, 256)  # what astype(np.uint8) does to out-of-range values on common CPUs
    return v.astype(np.uint8) if as_int else v


def _quantize_variant(**kw):
    params_kw = {k: kw.pop(k) for k in ("include_zero", "zp_round", "levels") if k in kw}

    def wrong(x, scale=None, zero_point=None):
        if scale is None:
            scale, zero_point = _params(x, **params_kw)
            zero_point = float(np.clip(zero_point, 0, 255)) if params_kw.get("zp_round") is _no_round else \
                int(np.clip(zero_point, 0, 255))
        return _q(x, scale, zero_point, **kw), float(scale), zero_point
    return wrong


def _no_round(v):
    return v


def _floor(v):
    return np.floor(v)


def _quantize_int8(x, scale=None, zero_point=None):
    q, s, zp = quantize(x, scale, zero_point)
    return (q.astype(np.int16) - 128).astype(np.int8), s, zp - 128


QUANTIZE_MISTAKES = [
    Mistake("ゼロ点を四捨五入していません（または切り捨てています）。zero_point = int(np.clip(np.round(-x_min / scale), 0, 255)) の"
            "ように np.round で最も近い整数にします。そうしないと 0.0 が q = zero_point にぴったり写らず、0 を含む重み（枝刈りした 0 など）が"
            "量子化で 0 でなくなります。", _quantize_variant(zp_round=_floor)),
    Mistake("ゼロ点が整数になっていません。zero_point は np.round で丸めて int にします。",
            _quantize_variant(zp_round=_no_round)),
    Mistake("範囲に 0 を含めていません。x_min = min(x.min(), 0)、x_max = max(x.max(), 0) として、0.0 がちょうど表せるようにします。",
            _quantize_variant(include_zero=False)),
    Mistake("scale を 256 で割っています。8 ビットの値は 0〜255 の 256 通りで、間隔は 255 個なので scale = (x_max - x_min) / 255 です。",
            _quantize_variant(levels=256)),
    Mistake("np.round ではなく切り捨て（np.floor や astype での切り捨て）で整数にしています。q = np.round(x / scale) + zero_point です。",
            _quantize_variant(rounding=np.floor)),
    Mistake("0〜255 に clip していません。与えられた scale と zero_point の範囲の外にある値は、np.clip(..., 0, 255) で端の値にしてから "
            "np.uint8 にします（clip しないと 256 が 0 に、-1 が 255 になるような回り込みが起きます）。",
            _quantize_variant(clip=False)),
    Mistake("符号つき 8 ビット（int8, -128〜127）にしています。このノートブックでは符号なし 8 ビット（np.uint8, 0〜255）です。",
            _quantize_int8),
]


def _deq_wrap(q, scale, zero_point):
    return np.mod(np.asarray(q).astype(np.int64) - zero_point, 256).astype(np.float64) * scale


def _quantize_float_q(x, scale=None, zero_point=None):
    q, s, zp = quantize(x, scale, zero_point)
    return q.astype(np.float64), s, zp


DTYPE_MISTAKES = [
    Mistake("戻り値の型が違います。q は .astype(np.uint8) で符号なし 8 ビット整数の配列に、scale は float(...)、zero_point は "
            "int(...) にして返します（値が合っていても、float の配列のままでは 1 要素 8 バイトで、量子化で小さくなりません）。",
            _quantize_float_q),
]

DEQUANTIZE_MISTAKES = [
    Mistake("q - zero_point を uint8 のまま計算しているため、q < zero_point のところで 0〜255 に回り込んでいます（たとえば 3 - 5 が 254）。"
            "先に q.astype(np.float64) にしてから zero_point を引いてください。", _deq_wrap),
    Mistake("ゼロ点を引いていません。dequantize は (q - zero_point) * scale です。",
            lambda q, s, zp: np.asarray(q).astype(np.float64) * s),
    Mistake("ゼロ点を足しています。quantize で zero_point を足したので、戻すときは引きます: (q - zero_point) * scale。",
            lambda q, s, zp: (np.asarray(q).astype(np.float64) + zp) * s),
    Mistake("scale で割っています。quantize で scale で割ったので、戻すときは掛けます: (q - zero_point) * scale。",
            lambda q, s, zp: (np.asarray(q).astype(np.float64) - zp) / s),
]


# --------------------------------------------------------------------------- distillation mistakes
def _kl(p_log_t, p_log_s):
    return np.sum(np.exp(p_log_t) * (p_log_t - p_log_s), axis=1)


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _distill_variant(*, t_student=True, t_teacher=True, factor="T2", reverse=False, reduce="mean", ce=False,
                     multiply=False):
    def loss(s, t, T):
        ts = (s * T if multiply else s / T) if t_student else s
        tt = (t * T if multiply else t / T) if t_teacher else t
        ls, lt = _log_softmax(ts), _log_softmax(tt)
        if ce:
            per = -np.sum(np.exp(lt) * ls, axis=1)
        else:
            per = _kl(ls, lt) if reverse else _kl(lt, ls)
        f = {"T2": T * T, "1": 1.0, "T": T}[factor]
        return float(f * (np.sum(per) if reduce == "sum" else np.mean(per)))
    return loss


DISTILL_MISTAKES = [
    Mistake("T² を掛けていません。温度 T で割ったソフトマックスの勾配は 1/T² 倍に小さくなるので、このノートブックでは損失に T² を掛けて、"
            "温度を変えても勾配の大きさがそろうようにします（Hinton ほか 2015）。", _distill_variant(factor="1")),
    Mistake("温度 T を生徒のロジットにしか使っていません。教師と生徒の両方を T で割ってからソフトマックスを計算します。",
            _distill_variant(t_teacher=False)),
    Mistake("温度 T を教師のロジットにしか使っていません。教師と生徒の両方を T で割ってからソフトマックスを計算します。",
            _distill_variant(t_student=False)),
    Mistake("KL ダイバージェンスの向きが逆です。KL(p_教師 ‖ p_生徒) = Σ p_教師 (log p_教師 - log p_生徒) です。",
            _distill_variant(reverse=True)),
    Mistake("バッチについて平均ではなく合計しています。サンプルごとの KL ダイバージェンスの平均に T² を掛けます。",
            _distill_variant(reduce="sum")),
    Mistake("KL ダイバージェンスではなく交差エントロピー -Σ p_教師 log p_生徒 になっています（教師のエントロピーの分だけ大きい）。"
            "このノートブックでは Σ p_教師 (log p_教師 - log p_生徒) を使います（教師と生徒が一致すると 0）。", _distill_variant(ce=True)),
    Mistake("ロジットに T を掛けています。温度はロジットを T で<strong>割り</strong>ます（T が大きいほど分布がなだらかになります）。",
            _distill_variant(multiply=True)),
]


def _distill_back_variant(*, factor="T", t_student=True, t_teacher=True, reduce="mean", sign=1.0):
    def back(s, t, T):
        ps = softmax_t(s, T if t_student else 1.0)
        pt = softmax_t(t, T if t_teacher else 1.0)
        f = {"T": T, "1/T": 1.0 / T, "T2": T * T}[factor]
        n = 1 if reduce == "sum" else np.shape(s)[0]
        return sign * f * (ps - pt) / n
    return back


DISTILL_BACKWARD_MISTAKES = [
    Mistake("T² を掛けていない損失の勾配 (p_生徒 - p_教師) / (N T) になっています。損失に T² を掛けるので、勾配は "
            "T² × (1/T) × (p_生徒 - p_教師) / N = T (p_生徒 - p_教師) / N です。", _distill_back_variant(factor="1/T")),
    Mistake("ロジットを T で割った分の 1/T を掛け忘れています（T² (p_生徒 - p_教師) / N）。z / T の微分で 1/T が出るので、"
            "勾配は T (p_生徒 - p_教師) / N です。", _distill_back_variant(factor="T2")),
    Mistake("温度 T を生徒か教師の片方にしか使っていません。p_生徒 = softmax(生徒のロジット / T)、p_教師 = softmax(教師のロジット / T) です。",
            _distill_back_variant(t_teacher=False)),
    Mistake("温度 T を生徒か教師の片方にしか使っていません。p_生徒 = softmax(生徒のロジット / T)、p_教師 = softmax(教師のロジット / T) です。",
            _distill_back_variant(t_student=False)),
    Mistake("バッチの大きさ N で割っていません。損失はバッチの平均なので、勾配は T (p_生徒 - p_教師) / N です。",
            _distill_back_variant(reduce="sum")),
    Mistake("勾配の符号が逆です。T (p_生徒 - p_教師) / N です（生徒の確率が教師より大きいクラスのロジットは下げる向き）。",
            _distill_back_variant(sign=-1.0)),
]

ERROR_HINTS = [
    ("cannot unpack", "quantize は (q, scale, zero_point) のタプルを返します。"),
    ("axis 1 is out of bounds", "ロジットは (N, C) の 2 次元配列です。ソフトマックスは axis=1（各行）でとります。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(8600)
v_W = np.array([[0.8, -0.05, 0.3, -1.2], [0.02, -0.6, 0.15, 0.4], [-0.25, 1.5, -0.01, 0.07]])
v_ties = np.array([[0.5, -0.1, 0.1, 2.0], [-0.5, 0.1, 3.0, -2.0]])
v_row = np.array([0.7, -0.2, 0.05, -0.9, 0.3])
v_conv = np.array([0.3, -0.7, 0.05, 1.1, -0.2, 0.9, -0.04, 0.6]).reshape(2, 1, 2, 2)
h_W = rng.normal(size=(6, 5))
h_W32 = rng.normal(size=(4, 8)).astype(np.float32)
h_ties = np.array([[1.0, -1.0, 1.0, 0.5], [-0.5, 0.5, 2.0, -1.0], [0.5, -2.0, 1.0, -0.5]])
h_conv = rng.normal(size=(2, 3, 2, 2))

v_x = np.array([-0.3, 0.0, 0.21, 0.55, 1.0])
v_x_pos = np.array([[0.4, 1.3], [2.2, 0.9]])
v_x_zero = np.zeros(3)
v_x_out = np.array([-0.8, -0.1, 0.0, 0.33, 1.1, 2.5])
v_x_out2 = np.array([[-0.537, 0.123, 0.4567], [1.789, 3.1, -0.0449]])
h_x = rng.normal(size=(5, 7)) * 0.4 + 0.1
h_x_neg = -np.abs(rng.normal(size=6)) - 0.2
h_x_out = rng.normal(size=8) * 2
h_x32 = (rng.normal(size=(3, 4)) * 0.05).astype(np.float32)

v_q = np.array([0, 3, 5, 77, 200, 255], dtype=np.uint8)
h_q = rng.integers(0, 256, size=(4, 5)).astype(np.uint8)

v_s = np.array([[2.0, 1.0, 0.1], [0.5, -1.0, 3.0]])
v_t = np.array([[3.0, 0.5, -1.0], [0.0, 0.2, 2.5]])
v_big_s, v_big_t = np.array([[1000.0, -1000.0, 0.0]]), np.array([[-1000.0, 1000.0, 500.0]])
h_s, h_t = rng.normal(size=(6, 10)) * 3, rng.normal(size=(6, 10)) * 3
h_s1, h_t1 = rng.normal(size=(1, 4)), rng.normal(size=(1, 4))


def _prune_check(visible, cases, points_mistakes=PRUNE_MISTAKES):
    return FunctionCheck(function="prune_by_magnitude", reference=prune_by_magnitude, dtype="float",
                         returns="array", rtol=0, atol=0, visible=visible, cases=cases, mistakes=points_mistakes)


CHECKS = {
    "prune_by_magnitude_values": [_prune_check(
        visible=[Case("(3, 4) の行列、ratio = 0.5（6 個を 0 に）", (v_W, 0.5)),
                 Case("5 要素、ratio = 0.7（k = int(3.5) = 3）", (v_row, 0.7)),
                 Case("ratio = 0（何も取り除かない）", (v_W, 0.0)),
                 Case("ratio = 1（すべて 0）", (v_W, 1.0)),
                 Case("4 次元 (2, 1, 2, 2)（畳み込みの重み）、ratio = 0.5", (v_conv, 0.5))],
        cases=[Case("(6, 5) のランダムな行列、ratio = 0.6", (h_W, 0.6)),
               Case("float32 の (4, 8)、ratio = 0.9", (h_W32, 0.9)),
               Case("4 次元 (2, 3, 2, 2)（畳み込みの重み）、ratio = 0.3", (h_conv, 0.3)),
               Case("ratio = 0.05（k = int(1.5) = 1）", (h_W, 0.05)),
               Case("ratio = 1", (h_W32, 1.0))])],
    "prune_by_magnitude_ties": [_prune_check(
        visible=[Case("同じ大きさの重みがある (2, 4)、ratio = 0.25（|w| = 0.1 が 3 個、0 にするのは 2 個）", (v_ties, 0.25))],
        cases=[Case("同じ大きさの重みが多い (3, 4)、ratio = 0.5", (h_ties, 0.5)),
               Case("同じ大きさの重みが多い (3, 4)、ratio = 0.25", (h_ties, 0.25))])],
    "quantize_values": [FunctionCheck(
        function="quantize", reference=quantize, dtype=None, rtol=1e-6, atol=0,
        visible=[Case("x = [-0.3, 0, 0.21, 0.55, 1.0]", (v_x,)),
                 Case("正の値だけの (2, 2)（範囲は 0 から）", (v_x_pos,)),
                 Case("すべて 0", (v_x_zero,))],
        cases=[Case("ランダムな (5, 7)", (h_x,)),
               Case("負の値だけ", (h_x_neg,)),
               Case("float32 の (3, 4)", (h_x32,)),
               Case("すべて 0 の (2, 2)", (np.zeros((2, 2)),))],
        mistakes=QUANTIZE_MISTAKES, error_hints=ERROR_HINTS),
        # the same cases again for the dtypes (uint8, float, int): a q of the right values but the wrong dtype
        # fails here, after the value check, so no mistake of the value check is named for it
        FunctionCheck(
        function="quantize", reference=quantize, dtype=("uint", "float", "int"), rtol=1e-6, atol=0,
        visible=[Case("x = [-0.3, 0, 0.21, 0.55, 1.0]", (v_x,)),
                 Case("正の値だけの (2, 2)（範囲は 0 から）", (v_x_pos,)),
                 Case("すべて 0", (v_x_zero,))],
        cases=[Case("ランダムな (5, 7)", (h_x,)),
               Case("負の値だけ", (h_x_neg,)),
               Case("float32 の (3, 4)", (h_x32,)),
               Case("すべて 0 の (2, 2)", (np.zeros((2, 2)),))],
        mistakes=DTYPE_MISTAKES, error_hints=ERROR_HINTS)],
    "quantize_clipping": [FunctionCheck(
        function="quantize", reference=quantize, dtype=None, rtol=1e-6, atol=0,
        visible=[Case("scale = 0.01, zero_point = 20 を与え、範囲の外の値（-0.8, 2.5 など）を含む x",
                      (v_x_out,), {"scale": 0.01, "zero_point": 20}),
                 Case("scale = 0.013, zero_point = 40 を与えた (2, 3) の x（範囲の外を含む）",
                      (v_x_out2,), {"scale": 0.013, "zero_point": 40})],
        cases=[Case("scale = 0.02, zero_point = 128 を与えたランダムな x（範囲の外を含む）", (h_x_out,),
                    {"scale": 0.02, "zero_point": 128}),
               Case("scale = 0.005, zero_point = 0 を与えた x（負の値はすべて 0 に）", (h_x,),
                    {"scale": 0.005, "zero_point": 0})],
        mistakes=QUANTIZE_MISTAKES, error_hints=ERROR_HINTS),
        # the same cases again for the dtypes (uint8, float, int): a q of the right values but the wrong dtype
        # fails here, after the value check, so no mistake of the value check is named for it
        FunctionCheck(
        function="quantize", reference=quantize, dtype=("uint", "float", "int"), rtol=1e-6, atol=0,
        visible=[Case("scale = 0.01, zero_point = 20 を与え、範囲の外の値（-0.8, 2.5 など）を含む x",
                      (v_x_out,), {"scale": 0.01, "zero_point": 20}),
                 Case("scale = 0.013, zero_point = 40 を与えた (2, 3) の x（範囲の外を含む）",
                      (v_x_out2,), {"scale": 0.013, "zero_point": 40})],
        cases=[Case("scale = 0.02, zero_point = 128 を与えたランダムな x（範囲の外を含む）", (h_x_out,),
                    {"scale": 0.02, "zero_point": 128}),
               Case("scale = 0.005, zero_point = 0 を与えた x（負の値はすべて 0 に）", (h_x,),
                    {"scale": 0.005, "zero_point": 0})],
        mistakes=DTYPE_MISTAKES, error_hints=ERROR_HINTS)],
    "dequantize_values": [FunctionCheck(
        function="dequantize", reference=dequantize, dtype="float", returns="array", rtol=1e-12, atol=1e-15,
        visible=[Case("q = [0, 3, 5, 77, 200, 255]（uint8）、scale = 0.02, zero_point = 5", (v_q, 0.02, 5)),
                 Case("uint8 の (2, 3)、scale = 0.1, zero_point = 128", (v_q.reshape(2, 3), 0.1, 128))],
        cases=[Case("uint8 の (4, 5)、scale = 0.013, zero_point = 131", (h_q, 0.013, 131)),
               Case("uint8 の (4, 5)、scale = 0.5, zero_point = 0", (h_q, 0.5, 0)),
               Case("uint8 の (4, 5)、scale = 1.0, zero_point = 255", (h_q, 1.0, 255))],
        mistakes=DEQUANTIZE_MISTAKES, error_hints=ERROR_HINTS)],
    "distillation_loss_values": [FunctionCheck(
        function="distillation_loss", reference=distillation_loss, dtype="float", rtol=1e-9, atol=1e-12,
        visible=[Case("(2, 3) のロジット、T = 1", (v_s, v_t, 1.0)),
                 Case("(2, 3) のロジット、T = 4", (v_s, v_t, 4.0)),
                 Case("極端なロジット ±1000、T = 2（警告が出ないこと）", (v_big_s, v_big_t, 2.0), forbid_warnings=True)],
        cases=[Case("(6, 10) のロジット、T = 3", (h_s, h_t, 3.0)),
               Case("(6, 10) のロジット、T = 0.5", (h_s, h_t, 0.5)),
               Case("1 サンプル (1, 4)、T = 2", (h_s1, h_t1, 2.0)),
               Case("生徒と教師が同じ（損失 0）、T = 5", (h_t, h_t, 5.0)),
               Case("極端なロジット ×500、T = 2（警告が出ないこと）", (h_s * 500, h_t * 500, 2.0), forbid_warnings=True)],
        mistakes=DISTILL_MISTAKES, error_hints=ERROR_HINTS)],
    "distillation_loss_backward_values": [FunctionCheck(
        function="distillation_loss_backward", reference=distillation_loss_backward, dtype="float", returns="array",
        rtol=1e-9, atol=1e-12,
        visible=[Case("(2, 3) のロジット、T = 1", (v_s, v_t, 1.0)),
                 Case("(2, 3) のロジット、T = 4", (v_s, v_t, 4.0)),
                 Case("極端なロジット ±1000、T = 2（警告が出ないこと）", (v_big_s, v_big_t, 2.0), forbid_warnings=True)],
        cases=[Case("(6, 10) のロジット、T = 3", (h_s, h_t, 3.0)),
               Case("(6, 10) のロジット、T = 0.5", (h_s, h_t, 0.5)),
               Case("1 サンプル (1, 4)、T = 2", (h_s1, h_t1, 2.0)),
               Case("極端なロジット ×500、T = 2（警告が出ないこと）", (h_s * 500, h_t * 500, 2.0), forbid_warnings=True)],
        mistakes=DISTILL_BACKWARD_MISTAKES, error_hints=ERROR_HINTS)],
}
