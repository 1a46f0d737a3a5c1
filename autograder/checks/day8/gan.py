"""Hidden checks of 8_3_gan: the stable log sigmoid, the discriminator loss, the non-saturating generator
loss and their gradients w.r.t. the discriminator's logits.

Conventions stated in the notebook and tested here (the reference is ``course.gan``):
- The discriminator returns logits a (one per sample, any shape: (N,) or (N, 1)); D(x) = sigmoid(a).
- ``log_sigmoid(x)`` = log sigmoid(x) element-wise, a new float64 array of the same shape, computed stably
  (``np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))``): no overflow, no log(0) at |x| = 1000.
- ``discriminator_loss(real_logits, fake_logits)`` = -mean(log D(x)) - mean(log(1 - D(G(z)))): real label 1,
  fake label 0, a mean over each batch (the two batches may differ in size), the SUM of the two means
  (no factor 1/2). A scalar.
- ``discriminator_loss_backward(real_logits, fake_logits)`` -> (d_real, d_fake) with the shapes of the inputs:
  (sigmoid(a_r) - 1) / N_r and sigmoid(a_f) / N_f.
- ``generator_loss(fake_logits)`` = -mean(log D(G(z))) (non-saturating), a scalar;
  ``generator_loss_backward(fake_logits)`` = (sigmoid(a_f) - 1) / N_f.
- Inputs are never modified; nothing warns at logits of ±1000.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.gan import (discriminator_loss, discriminator_loss_backward, generator_loss, generator_loss_backward,
                        log_sigmoid, sigmoid)

NOTEBOOK = "8_3_gan"
RTOL, ATOL = 1e-7, 1e-10


def _f(x):
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------- typical mistakes
def _naive_log_sigmoid(x):
    return np.log(1.0 / (1.0 + np.exp(-_f(x))))


def _clipped_log_sigmoid(x):
    return np.log(np.clip(1.0 / (1.0 + np.exp(-np.clip(_f(x), -500, 500))), 1e-7, 1.0))


def _softplus_instead(x):  # log(1 + e^x): sign of the exponent and of the result wrong
    x = _f(x)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid_of_minus(x):
    return log_sigmoid(-_f(x))


LOG_SIGMOID_MISTAKES = [
    Mistake("np.log(sigmoid(x)) をそのまま計算しています。x が大きな負の数だと np.exp(-x) があふれ（overflow）、"
            "sigmoid(x) が 0 になって log(0) = -inf になります。log σ(x) = min(x, 0) - log(1 + exp(-|x|)) と変形し、"
            "np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))) で計算してください。", _naive_log_sigmoid),
    Mistake("sigmoid(x) を 1e-7 などで clip してから log をとっています。これだと x = -1000 で log σ(x) ≈ -1000 の"
            "はずが約 -16.1 で止まり、損失と勾配が合わなくなります。clip せずに "
            "np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))) で計算してください。", _clipped_log_sigmoid),
    Mistake("log(1 + exp(x))（softplus）を返しています。log σ(x) = -log(1 + exp(-x)) で、値はいつも 0 以下です。",
            _softplus_instead),
    Mistake("log σ(-x) = log(1 - σ(x)) を返しています。符号を確かめてください: log σ(x) は x が大きいほど 0 に近づきます。",
            _log_sigmoid_of_minus),
]


def _d_loss(real, fake, *, real_label=1, reduce="mean", scale=1.0, ls=log_sigmoid):
    real, fake = _f(real), _f(fake)
    red = np.mean if reduce == "mean" else np.sum
    a = -red(ls(real if real_label == 1 else -real))
    b = -red(ls(-fake if real_label == 1 else fake))
    return float(scale * (a + b))


def _d_loss_pooled_mean(real, fake):
    real, fake = _f(real), _f(fake)
    return float(-(np.sum(log_sigmoid(real)) + np.sum(log_sigmoid(-fake))) / (real.size + fake.size))


D_LOSS_MISTAKES = [
    Mistake("本物と偽物のラベルが逆です。識別器は本物 x に D(x) → 1、偽物 G(z) に D(G(z)) → 0 を出すように学習するので、"
            "損失は -mean(log σ(real_logits)) - mean(log σ(-fake_logits)) です（log(1 - σ(a)) = log σ(-a)）。",
            lambda r, f: _d_loss(r, f, real_label=0)),
    Mistake("バッチについて平均ではなく合計しています。このノートブックでは本物・偽物それぞれのバッチで平均（np.mean）をとり、"
            "2 つの平均を足します。", lambda r, f: _d_loss(r, f, reduce="sum")),
    Mistake("2 つの平均を足したあと 1/2 を掛けています。このノートブックでは 2 つの平均の和（1/2 なし）です。",
            lambda r, f: _d_loss(r, f, scale=0.5)),
    Mistake("本物と偽物をまとめて 1 つの平均にしています。2 つのバッチの大きさが違うときは結果が変わります。"
            "本物のバッチの平均と偽物のバッチの平均を別々に求めて足してください。", _d_loss_pooled_mean),
    Mistake("log(sigmoid(a)) をそのまま計算しているため、ロジットが ±1000 のような極端な値で overflow や log(0) が起きています。"
            "上で作った log_sigmoid を使い、log(1 - σ(a)) は log_sigmoid(-a) で計算してください。",
            lambda r, f: _d_loss(r, f, ls=_naive_log_sigmoid)),
    Mistake("確率を clip してから log をとっているため、ロジットが極端なときに損失が頭打ちになっています。"
            "log_sigmoid を使ってください（log(1 - σ(a)) = log_sigmoid(-a)）。",
            lambda r, f: _d_loss(r, f, ls=_clipped_log_sigmoid)),
]


def _d_back(real, fake, *, real_label=1, reduce="mean", sign=1.0, pooled=False):
    real, fake = _f(real), _f(fake)
    nr, nf = (1, 1) if reduce == "sum" else (real.size, fake.size)
    if pooled:
        nr = nf = real.size + fake.size
    if real_label == 1:
        return sign * (sigmoid(real) - 1.0) / nr, sign * sigmoid(fake) / nf
    return sign * sigmoid(real) / nr, sign * (sigmoid(fake) - 1.0) / nf


D_BACKWARD_MISTAKES = [
    Mistake("本物と偽物のラベルが逆です。本物のロジットの勾配は (σ(a_r) - 1) / N_r、偽物のロジットの勾配は σ(a_f) / N_f です。",
            lambda r, f: _d_back(r, f, real_label=0)),
    Mistake("バッチの大きさで割っていません。損失はバッチの平均なので、勾配は (σ(a_r) - 1) / N_r と σ(a_f) / N_f です"
            "（N_r, N_f はそれぞれのロジットの要素数 real_logits.size, fake_logits.size）。",
            lambda r, f: _d_back(r, f, reduce="sum")),
    Mistake("勾配の符号が逆です。損失を小さくする向きではなく大きくする向きになっています。"
            "d_real = (σ(a_r) - 1) / N_r（本物のロジットを大きくすると損失が減るので負）、d_fake = σ(a_f) / N_f です。",
            lambda r, f: _d_back(r, f, sign=-1.0)),
    Mistake("本物と偽物の要素数の合計 N_r + N_f で割っています。2 つの平均の和なので、それぞれ自分のバッチの大きさ "
            "N_r, N_f で割ります。", lambda r, f: _d_back(r, f, pooled=True)),
]


def _g_saturating(fake):
    return float(np.mean(log_sigmoid(-_f(fake))))


G_LOSS_MISTAKES = [
    Mistake("飽和する（saturating）生成器の損失 mean(log(1 - D(G(z)))) になっています。これは元の論文のミニマックスの式ですが、"
            "学習の初めに D(G(z)) ≈ 0 だと勾配がほとんど 0 になります。このノートブックでは非飽和（non-saturating）の損失 "
            "-mean(log D(G(z))) = -mean(log_sigmoid(fake_logits)) を使います。", _g_saturating),
    Mistake("符号が逆です。生成器は D(G(z)) を 1 に近づけたいので、損失は -mean(log D(G(z))) です（log D は 0 以下なので損失は 0 以上）。",
            lambda f: float(np.mean(log_sigmoid(_f(f))))),
    Mistake("バッチについて平均ではなく合計しています。損失は -np.mean(log_sigmoid(fake_logits)) です。",
            lambda f: float(-np.sum(log_sigmoid(_f(f))))),
    Mistake("log(sigmoid(a)) をそのまま計算しているため、ロジットが極端な値で overflow や log(0) が起きています。"
            "log_sigmoid を使ってください。", lambda f: float(-np.mean(_naive_log_sigmoid(f)))),
    Mistake("確率を clip してから log をとっているため、ロジットが極端なときに損失が頭打ちになっています。log_sigmoid を使ってください。",
            lambda f: float(-np.mean(_clipped_log_sigmoid(f)))),
]

G_BACKWARD_MISTAKES = [
    Mistake("飽和する損失 mean(log(1 - D(G(z)))) の勾配 -σ(a) / N になっています。非飽和の損失 -mean(log σ(a)) の勾配は "
            "(σ(a) - 1) / N です（D(G(z)) ≈ 0 のときも大きさ約 1/N の勾配が残ります）。",
            lambda f: -sigmoid(f) / _f(f).size),
    Mistake("勾配の符号が逆です。-mean(log σ(a)) の勾配は (σ(a) - 1) / N（0 以下）です。",
            lambda f: (1.0 - sigmoid(f)) / _f(f).size),
    Mistake("バッチの大きさで割っていません。損失は平均なので、勾配は (σ(a) - 1) / N（N = fake_logits.size）です。",
            lambda f: sigmoid(f) - 1.0),
]

ERROR_HINTS = [
    ("could not be broadcast", "本物と偽物のバッチは大きさが違うことがあります。2 つの配列を要素ごとに組み合わせず、"
                               "それぞれで平均をとってください。"),
    ("cannot unpack", "discriminator_loss_backward は (d_real, d_fake) のタプルを返します。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(8300)
EXTREME = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
v_real = np.array([2.0, 0.5, -1.0, 3.0])
v_fake = np.array([-2.0, 0.0, 1.5])
v_real_col = np.array([[1.0], [-0.5], [2.5], [0.2], [-3.0]])
v_fake_col = np.array([[-1.5], [0.3]])
v_fake_one = np.array([-2.0, -0.5, 0.7, 3.0])
h_real, h_fake = rng.normal(size=17) * 3, rng.normal(size=9) * 3
h_real_col, h_fake_col = rng.normal(size=(6, 1)) * 2, rng.normal(size=(11, 1)) * 2
h_one_real, h_one_fake = np.array([0.7]), np.array([-0.3])
h_extreme_real, h_extreme_fake = np.array([1000.0, -1000.0, 35.0, -35.0]), np.array([-1000.0, 1000.0, -60.0])

LOG_SIGMOID = FunctionCheck(
    function="log_sigmoid", reference=log_sigmoid, dtype="float", returns="array", rtol=RTOL, atol=ATOL,
    visible=[Case("x = [-2, -0.5, 0, 0.5, 2]", (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
             Case("極端な値 [-1000, -40, -1, 0, 1, 40, 1000]（警告が出ないこと）", (EXTREME,), forbid_warnings=True),
             Case("2 次元 (2, 3)", (np.array([[-3.0, 0.0, 3.0], [10.0, -10.0, 0.1]]),))],
    cases=[Case("ランダムな 12 個", (rng.normal(size=12) * 5,)),
           Case("極端な値 ±1000, ±700, ±50（警告が出ないこと）",
                (np.array([-1000.0, -700.0, -50.0, 50.0, 700.0, 1000.0]),), forbid_warnings=True),
           Case("(4, 1) の列", (rng.normal(size=(4, 1)),)),
           Case("1 要素", (np.array([-0.25]),))],
    mistakes=LOG_SIGMOID_MISTAKES, error_hints=ERROR_HINTS)

LOSS_PREREQ = FunctionCheck(
    function="log_sigmoid", reference=log_sigmoid, dtype="float", returns="array", rtol=RTOL, atol=ATOL,
    visible=[Case("極端な値 [-1000, -40, -1, 0, 1, 40, 1000]", (EXTREME,), forbid_warnings=True)],
    cases=[Case("極端な値 [-1000, -40, -1, 0, 1, 40, 1000]", (EXTREME,), forbid_warnings=True)],
    mistakes=LOG_SIGMOID_MISTAKES, error_hints=ERROR_HINTS)


def _prereq(of):
    return FunctionCheck(**{**LOSS_PREREQ.__dict__, "prerequisite_of": of})


CHECKS = {
    "log_sigmoid_values": [LOG_SIGMOID],
    "discriminator_loss_values": [_prereq("discriminator_loss"), FunctionCheck(
        function="discriminator_loss", reference=discriminator_loss, dtype="float", rtol=RTOL, atol=ATOL,
        visible=[Case("real (4,), fake (3,)（大きさの違うバッチ）", (v_real, v_fake)),
                 Case("(N, 1) の列: real (5, 1), fake (2, 1)", (v_real_col, v_fake_col)),
                 Case("極端なロジット ±1000（警告が出ないこと）",
                      (np.array([1000.0, -1000.0, 2.0]), np.array([-1000.0, 1000.0])), forbid_warnings=True)],
        cases=[Case("ランダム real (17,), fake (9,)", (h_real, h_fake)),
               Case("(N, 1) の列: real (6, 1), fake (11, 1)", (h_real_col, h_fake_col)),
               Case("1 個ずつ", (h_one_real, h_one_fake)),
               Case("極端なロジット（警告が出ないこと）", (h_extreme_real, h_extreme_fake), forbid_warnings=True)],
        mistakes=D_LOSS_MISTAKES, error_hints=ERROR_HINTS)],
    "discriminator_loss_backward_values": [FunctionCheck(
        function="discriminator_loss_backward", reference=discriminator_loss_backward, dtype="float",
        rtol=RTOL, atol=ATOL,
        visible=[Case("real (4,), fake (3,)（大きさの違うバッチ）", (v_real, v_fake)),
                 Case("(N, 1) の列: real (5, 1), fake (2, 1)", (v_real_col, v_fake_col)),
                 Case("極端なロジット ±1000（警告が出ないこと）",
                      (np.array([1000.0, -1000.0, 2.0]), np.array([-1000.0, 1000.0])), forbid_warnings=True)],
        cases=[Case("ランダム real (17,), fake (9,)", (h_real, h_fake)),
               Case("(N, 1) の列: real (6, 1), fake (11, 1)", (h_real_col, h_fake_col)),
               Case("1 個ずつ", (h_one_real, h_one_fake)),
               Case("極端なロジット（警告が出ないこと）", (h_extreme_real, h_extreme_fake), forbid_warnings=True)],
        mistakes=D_BACKWARD_MISTAKES, error_hints=ERROR_HINTS)],
    "generator_loss_values": [_prereq("generator_loss"), FunctionCheck(
        function="generator_loss", reference=generator_loss, dtype="float", rtol=RTOL, atol=ATOL,
        visible=[Case("fake (4,)", (v_fake_one,)),
                 Case("(N, 1) の列 (5, 1)", (v_real_col,)),
                 Case("極端なロジット ±1000（警告が出ないこと）", (np.array([-1000.0, 1000.0, 0.5]),), forbid_warnings=True)],
        cases=[Case("ランダム (9,)", (h_fake,)),
               Case("(N, 1) の列 (11, 1)", (h_fake_col,)),
               Case("1 個", (h_one_fake,)),
               Case("極端なロジット（警告が出ないこと）", (h_extreme_fake,), forbid_warnings=True)],
        mistakes=G_LOSS_MISTAKES, error_hints=ERROR_HINTS)],
    "generator_loss_backward_values": [FunctionCheck(
        function="generator_loss_backward", reference=generator_loss_backward, dtype="float", returns="array",
        rtol=RTOL, atol=ATOL,
        visible=[Case("fake (4,)", (v_fake_one,)),
                 Case("(N, 1) の列 (5, 1)", (v_real_col,)),
                 Case("極端なロジット ±1000（警告が出ないこと）", (np.array([-1000.0, 1000.0, 0.5]),), forbid_warnings=True)],
        cases=[Case("ランダム (9,)", (h_fake,)),
               Case("(N, 1) の列 (11, 1)", (h_fake_col,)),
               Case("1 個", (h_one_fake,)),
               Case("極端なロジット（警告が出ないこと）", (h_extreme_fake,), forbid_warnings=True)],
        mistakes=G_BACKWARD_MISTAKES, error_hints=ERROR_HINTS)],
}
