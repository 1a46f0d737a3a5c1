"""Hidden checks of 8_2_vae: ``reparameterize``, ``kl_divergence`` and ``kl_divergence_backward``.

Conventions stated in the notebook and tested here (the reference is ``course.vae``):
- ``mu`` and ``log_var`` (= log σ² element-wise) are float arrays of shape (N, Z); neither is modified.
- ``reparameterize(mu, log_var, rng)``: ``eps = rng.standard_normal(mu.shape)`` drawn once (the whole (N, Z)
  array in one call; nothing from ``np.random.*``), returns ``mu + np.exp(0.5 * log_var) * eps`` (N, Z).
- ``kl_divergence(mu, log_var)``: ``-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / N``: summed over
  the latent dimensions, averaged over the batch; a float.
- ``kl_divergence_backward(mu, log_var)`` → tuple ``(dmu, dlog_var)`` of (N, Z) arrays:
  ``(mu / N, 0.5 * (np.exp(log_var) - 1) / N)``.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.probe import GLOBAL_SEED, Seeded
from course.vae import kl_divergence as reference_kl_divergence
from course.vae import kl_divergence_backward as reference_kl_divergence_backward
from course.vae import reparameterize as reference_reparameterize

NOTEBOOK = "8_2_vae"

RTOL, ATOL = 1e-9, 1e-12


def _global(fn):
    """Runs ``fn`` with numpy's global random state seeded like the probe does."""
    def wrapped(*args, **kwargs):
        saved = np.random.get_state()
        np.random.seed(GLOBAL_SEED)
        try:
            return fn(*args, **kwargs)
        finally:
            np.random.set_state(saved)
    return wrapped


REPARAMETERIZE_MISTAKES = [
    Mistake("log_var をそのまま標準偏差 σ として使っています。log_var は log σ² なので、σ = np.exp(0.5 * log_var) です: "
            "z = mu + np.exp(0.5 * log_var) * eps。",
            lambda mu, log_var, rng: mu + log_var * rng.standard_normal(mu.shape)),
    Mistake("標準偏差 σ ではなく分散 σ² = np.exp(log_var) を eps に掛けています。σ = np.exp(0.5 * log_var)"
            "（分散の平方根）です。",
            lambda mu, log_var, rng: mu + np.exp(log_var) * rng.standard_normal(mu.shape)),
    Mistake("0.5 を掛ける場所が違います。σ = np.exp(0.5 * log_var) で、0.5 は exp の中（log_var に掛ける）です"
            "（0.5 * np.exp(log_var) ではありません）。",
            lambda mu, log_var, rng: mu + 0.5 * np.exp(log_var) * rng.standard_normal(mu.shape)),
    Mistake("σ の符号が逆です（np.exp(-0.5 * log_var) は 1 / σ です）。σ = np.exp(0.5 * log_var) です。",
            lambda mu, log_var, rng: mu + np.exp(-0.5 * log_var) * rng.standard_normal(mu.shape)),
    Mistake("eps を (Z,) の形で 1 回だけ引き、すべての行（サンプル）で同じノイズを使っています。"
            "eps = rng.standard_normal(mu.shape) で、mu と同じ (N, Z) の形に引きます。",
            lambda mu, log_var, rng: mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape[1])),
    Mistake("rng ではなく numpy 全体の乱数（np.random.randn や np.random.normal）から eps を引いています。"
            "eps = rng.standard_normal(mu.shape) と、引数の rng から引きます。",
            _global(lambda mu, log_var, rng: mu + np.exp(0.5 * log_var) * np.random.standard_normal(mu.shape))),
    Mistake("乱数を (Z, N) の形で引いて転置しています。引く順番が変わるので、eps = rng.standard_normal(mu.shape)"
            "（(N, Z) の形、1 行ずつ順に）で引きます。",
            lambda mu, log_var, rng: mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape[::-1]).T),
]

KL_MISTAKES = [
    Mistake("KL ダイバージェンスの符号が逆です（負の値になっています）。KL = -0.5 * Σ(1 + log_var - mu**2 - exp(log_var)) "
            "で、先頭にマイナスが付きます。KL は常に 0 以上です。",
            lambda mu, log_var: 0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / len(mu)),
    Mistake("バッチ全体で和をとっています。潜在変数の次元 Z については和、バッチ（N 行）については平均なので、"
            "最後に N で割ります。",
            lambda mu, log_var: -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))),
    Mistake("0.5 が掛かっていません。KL = -0.5 * Σ(1 + log_var - mu**2 - exp(log_var)) / N です。",
            lambda mu, log_var: -np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / len(mu)),
    Mistake("潜在変数の次元 Z についても平均しています（np.mean で全要素の平均）。Z については和をとり、"
            "バッチの大きさ N でだけ割ります。",
            lambda mu, log_var: -0.5 * np.mean(1 + log_var - mu ** 2 - np.exp(log_var))),
    Mistake("1 行（1 サンプル）ごとの KL を配列で返しています。バッチについて平均した 1 つの数（float）を返します。",
            lambda mu, log_var: -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)),
    Mistake("log_var と exp(log_var) が入れ替わっています。log_var は log σ²、np.exp(log_var) が σ² です: "
            "KL = -0.5 * Σ(1 + log_var - mu**2 - np.exp(log_var)) / N。",
            lambda mu, log_var: -0.5 * np.sum(1 + np.exp(log_var) - mu ** 2 - log_var) / len(mu)),
]

KL_BACKWARD_MISTAKES = [
    Mistake("勾配の符号が逆です。KL を mu で微分すると +mu / N、log_var で微分すると +0.5 * (exp(log_var) - 1) / N です。",
            lambda mu, log_var: (-mu / len(mu), -0.5 * (np.exp(log_var) - 1) / len(mu))),
    Mistake("バッチの大きさ N で割っていません。KL はバッチについての平均なので、勾配も N で割ります: "
            "dmu = mu / N, dlog_var = 0.5 * (np.exp(log_var) - 1) / N。",
            lambda mu, log_var: (mu, 0.5 * (np.exp(log_var) - 1))),
    Mistake("dlog_var に 0.5 が掛かっていません。-0.5 * (log_var - exp(log_var)) を log_var で微分すると "
            "0.5 * (exp(log_var) - 1) です。",
            lambda mu, log_var: (mu / len(mu), (np.exp(log_var) - 1) / len(mu))),
    Mistake("KL の 0.5 を忘れた式を微分しています（勾配が 2 倍）。KL = -0.5 * Σ(...) / N なので dmu = mu / N、"
            "dlog_var = 0.5 * (np.exp(log_var) - 1) / N です。",
            lambda mu, log_var: (2 * mu / len(mu), (np.exp(log_var) - 1) / len(mu))),
    Mistake("dlog_var の -1 が抜けています。Σ(1 + log_var - exp(log_var)) の log_var についての微分は 1 - exp(log_var) "
            "なので、dlog_var = 0.5 * (np.exp(log_var) - 1) / N です。",
            lambda mu, log_var: (mu / len(mu), 0.5 * np.exp(log_var) / len(mu))),
    Mistake("dlog_var の符号だけが逆です。dlog_var = 0.5 * (np.exp(log_var) - 1) / N（σ² > 1 のとき正）です。",
            lambda mu, log_var: (mu / len(mu), 0.5 * (1 - np.exp(log_var)) / len(mu))),
    Mistake("全要素の数 N × Z で割っています。KL は Z について和、N について平均なので、勾配は N でだけ割ります。",
            lambda mu, log_var: (mu / mu.size, 0.5 * (np.exp(log_var) - 1) / mu.size)),
    Mistake("戻り値の順番が逆です。(dmu, dlog_var) の順のタプルを返します。",
            lambda mu, log_var: (0.5 * (np.exp(log_var) - 1) / len(mu), mu / len(mu))),
]

ERROR_HINTS = [
    ("cannot unpack", "kl_divergence_backward は (dmu, dlog_var) の 2 つの配列のタプルを返します。"),
    ("could not be broadcast", "配列の形状が合っていません。mu, log_var, eps はどれも (N, Z) です。"),
]

# --------------------------------------------------------------------------- inputs
rng = np.random.default_rng(8200)
v_mu = np.array([[0.5, -1.0, 0.0], [2.0, 0.3, -0.7], [-0.4, 1.1, 0.2]])
v_log_var = np.array([[0.0, -1.0, 0.5], [1.2, -2.0, 0.0], [0.3, 0.8, -0.5]])
v_zero = np.zeros((2, 3))
v_mu_4 = np.round(np.sin(np.arange(8) * 1.3).reshape(4, 2), 2)
v_lv_4 = np.round(np.cos(np.arange(8) * 0.9).reshape(4, 2) * 1.5, 2)

h_mu, h_lv = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
h_mu_1, h_lv_1 = rng.normal(size=(1, 6)), rng.normal(size=(1, 6))
h_mu_tall, h_lv_tall = rng.normal(size=(8, 2)) * 2, rng.normal(size=(8, 2)) * 1.5
h_lv_neg = rng.uniform(-6, -3, size=(3, 5))


def _function(name, reference, visible, cases, mistakes, **kw):
    return FunctionCheck(function=name, reference=reference, dtype="float", rtol=RTOL, atol=ATOL, visible=visible,
                         cases=cases, mistakes=mistakes, error_hints=ERROR_HINTS, **kw)


CHECKS = {
    "reparameterize_values": [_function(
        "reparameterize", reference_reparameterize,
        [Case("N = 3, Z = 3 の mu と log_var", (v_mu, v_log_var, Seeded(1))),
         Case("mu = 0, log_var = 0（z は標準正規分布の乱数そのもの）", (v_zero, v_zero, Seeded(2))),
         Case("N = 4, Z = 2", (v_mu_4, v_lv_4, Seeded(3)))],
        [Case("N = 5, Z = 4 のランダムな mu と log_var", (h_mu, h_lv, Seeded(11))),
         Case("N = 1, Z = 6（1 サンプル）", (h_mu_1, h_lv_1, Seeded(12))),
         Case("N = 8, Z = 2（Z より N が大きい）", (h_mu_tall, h_lv_tall, Seeded(13))),
         Case("分散がとても小さい（log_var が -6〜-3）", (np.zeros((3, 5)), h_lv_neg, Seeded(14))),
         Case("log_var = 0（σ = 1）、mu はランダム", (h_mu, np.zeros((5, 4)), Seeded(15)))],
        REPARAMETERIZE_MISTAKES, returns="array")],
    "kl_divergence_values": [_function(
        "kl_divergence", reference_kl_divergence,
        [Case("N = 3, Z = 3 の mu と log_var", (v_mu, v_log_var)),
         Case("mu = 0, log_var = 0（N(0, I) そのもの: KL = 0）", (v_zero, v_zero)),
         Case("N = 4, Z = 2", (v_mu_4, v_lv_4))],
        [Case("N = 5, Z = 4 のランダムな mu と log_var", (h_mu, h_lv)),
         Case("N = 1, Z = 6（1 サンプル）", (h_mu_1, h_lv_1)),
         Case("N = 8, Z = 2", (h_mu_tall, h_lv_tall)),
         Case("log_var = 0（mu の項だけ）", (h_mu, np.zeros((5, 4)))),
         Case("mu = 0（分散の項だけ、log_var が -6〜-3）", (np.zeros((3, 5)), h_lv_neg))],
        KL_MISTAKES)],
    "kl_divergence_backward_values": [_function(
        "kl_divergence_backward", reference_kl_divergence_backward,
        [Case("N = 3, Z = 3 の mu と log_var", (v_mu, v_log_var)),
         Case("mu = 0, log_var = 0（勾配は 0）", (v_zero, v_zero)),
         Case("N = 4, Z = 2", (v_mu_4, v_lv_4))],
        [Case("N = 5, Z = 4 のランダムな mu と log_var", (h_mu, h_lv)),
         Case("N = 1, Z = 6（1 サンプル）", (h_mu_1, h_lv_1)),
         Case("N = 8, Z = 2", (h_mu_tall, h_lv_tall)),
         Case("log_var = 0（dlog_var は 0）", (h_mu, np.zeros((5, 4)))),
         Case("mu = 0（dmu は 0、log_var が -6〜-3）", (np.zeros((3, 5)), h_lv_neg))],
        KL_BACKWARD_MISTAKES)],
}
