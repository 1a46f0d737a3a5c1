"""Hidden checks of 1_2_activation_function: eleven element-wise activation functions.

Conventions stated in the notebook and tested here:
- every function is element-wise and works on a float64 ``np.ndarray`` of any shape: 0-d (a scalar
  array), 1-D, 2-D and 3-D inputs are checked; the result has the input's shape;
- ``step_function`` returns integers 0/1 (``np.array(x > 0, dtype=int)``), ``step_function(0) == 0``;
  every other function returns floats;
- inputs are never modified;
- ``sigmoid``, ``tanh`` and ``softplus`` give the right value at ±1000 and ±1e4 without any warning
  (``forbid_warnings``); the other functions are checked at the same extreme values for their value;
- ``leaky_relu(x, alpha=0.01)``, ``elu(x, alpha=1.0)`` take ``alpha`` as a keyword argument;
- ``selu`` uses λ = 1.0507009873554805, α = 1.6732632423543772;
- ``hard_sigmoid`` is Keras's classic ``max(0, min(1, 0.2 * x + 0.5))`` (PyTorch and Keras 3 use
  ``x / 6 + 1 / 2``; the notebook says so and a hint points at the stated definition).
"""

import numpy as np

from autograder.checks.references import sigmoid as reference_sigmoid
from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_2_activation_function"

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


# ---- references (numerically stable, no warnings at any finite input) ----------------------

def reference_step_function(x):
    return np.array(x > 0, dtype=int)


def reference_tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def reference_relu(x):
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def reference_leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)


def reference_identity_function(x):
    return np.asarray(x, dtype=np.float64).copy()


def reference_elu(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def reference_selu(x):
    return SELU_SCALE * reference_elu(x, alpha=SELU_ALPHA)


def reference_softplus(x):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def reference_softsign(x):
    x = np.asarray(x, dtype=np.float64)
    return x / (1.0 + np.abs(x))


def reference_hard_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


# ---- inputs ----------------------------------------------------------------------------------

rng = np.random.default_rng(1200)

X_1D = np.array([-5.0, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 5.0])
X_2D = np.round(rng.normal(scale=3.0, size=(3, 4)), 3)
X_3D = np.round(rng.normal(scale=3.0, size=(2, 3, 4)), 3)
X_EXTREME = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4])
X_EXTREME_2D = np.array([[-1000.0, 1000.0], [-1e4, 1e4]])


def shape_cases(first=(-1.5, 0.0, 2.0)):
    """0-d (scalar arrays, in the given order), 1-D, 2-D and 3-D inputs."""
    cases = [Case(f"0 次元の配列（スカラー）{v}", (np.array(v),)) for v in first]
    cases += [
        Case("1 次元の配列 [-5, -2.5, -1, -0.5, 0, 0.5, 1, 2.5, 5]", (X_1D.copy(),)),
        Case("2 次元の配列（3×4、正負の値が混ざる）", (X_2D.copy(),)),
        Case("3 次元の配列（2×3×4、正負の値が混ざる）", (X_3D.copy(),)),
    ]
    return cases


# inputs of the visible self-checks (shown in the notebook): the same kinds as the hidden ones,
# with other values
V_2D = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
V_3D = np.round(np.linspace(-3.0, 3.0, 24), 2).reshape(2, 3, 4)
V_EXTREME = np.array([-1e4, -1000.0, 0.0, 1000.0, 1e4])


def visible_cases(examples, first=(-1.5, 0.0, 2.0), forbid_warnings=False):
    """0-d inputs first (in the hidden order, so an `if x > 0:` fails where it fails there), then
    ``examples`` (1-D, with the keyword arguments the prose names), a 2-D and a 3-D input and the
    extreme values (no warnings where the prose promises stability)."""
    cases = [Case(f"0 次元の配列（スカラー）{v}", (np.array(v),)) for v in first]
    cases += list(examples)
    if not any(np.ndim(a) == 2 for c in examples for a in c.args):
        cases.append(Case("2 次元の配列 [[-2, -0.5, 0], [0.5, 1, 3]]", (V_2D.copy(),)))
    cases += [
        Case("3 次元の配列（2×3×4、-3 から 3 まで）", (V_3D.copy(),)),
        Case("絶対値の大きな値 [-1e4, -1000, 0, 1000, 1e4]" + ("（警告が出ないこと）" if forbid_warnings else ""),
             (V_EXTREME.copy(),), forbid_warnings=forbid_warnings),
    ]
    return cases


def extreme_cases(forbid_warnings):
    return [
        Case("絶対値の大きな値 [-1e4, -1000, -50, 0, 50, 1000, 1e4]", (X_EXTREME.copy(),),
             forbid_warnings=forbid_warnings),
        Case("絶対値の大きな値の 2 次元配列 [[-1000, 1000], [-1e4, 1e4]]", (X_EXTREME_2D.copy(),),
             forbid_warnings=forbid_warnings),
    ]


# ---- typical mistakes -------------------------------------------------------------------------

def _step_bool(x):
    return x > 0


def _step_ge(x):
    return np.array(x >= 0, dtype=int)


def _sigmoid_sign(x):
    return 1 / (1 + np.exp(x))


def _sigmoid_no_one(x):
    return 1 / np.exp(-x)


def _tanh_exp_formula(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def _tanh_is_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu_builtin_max(x):
    return max(0, x)


def _relu_mask(x):
    return x > 0


def _leaky_wrong_side(x, alpha=0.01):
    return np.where(x > 0, alpha * x, x)


def _leaky_fixed_alpha(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x)


def _leaky_constant(x, alpha=0.01):
    return np.where(x > 0, x, alpha)


def _elu_alpha_times_exp(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(x) - 1)


def _elu_alpha_inside(x, alpha=1.0):
    return np.where(x > 0, x, np.exp(alpha * x) - 1)


def _elu_no_minus_one(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(x))


def _elu_alpha_on_positive(x, alpha=1.0):
    return np.where(x > 0, alpha * x, np.exp(x) - 1)


def _selu_swapped(x):
    return SELU_ALPHA * np.where(x > 0, x, SELU_SCALE * (np.exp(x) - 1))


def _selu_scale_only_negative(x):
    return np.where(x > 0, x, SELU_SCALE * SELU_ALPHA * (np.exp(x) - 1))


def _selu_no_scale(x):
    return np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))


def _selu_no_alpha(x):
    return SELU_SCALE * np.where(x > 0, x, np.exp(x) - 1)


def _softplus_naive(x):
    return np.log(1 + np.exp(x))


def _softplus_no_max(x):
    return np.log1p(np.exp(-np.abs(x)))


def _softplus_sign(x):
    return np.log(1 + np.exp(-x))


def _softsign_no_abs(x):
    return x / (1 + x)


def _softsign_abs_numerator(x):
    return np.abs(x) / (1 + np.abs(x))


def _hard_sigmoid_torch(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def _hard_sigmoid_no_clip(x):
    return 0.2 * x + 0.5


def _hard_sigmoid_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _identity_int(x):
    return np.asarray(x).astype(int)


def _identity_ones(x):
    return np.ones_like(x)


IDENTITY_MISTAKES = [
    Mistake("整数に変換しています。恒等関数は入力をそのまま（float のまま）返します。astype(int) などは不要です。",
            _identity_int),
    Mistake("すべて 1 になっています（恒等関数の微分と取り違えていませんか？）。恒等関数は h(x) = x で、"
            "入力をそのまま返します。", _identity_ones),
]

STEP_MISTAKES = [
    Mistake("戻り値の要素は int（0 と 1）にしてください。`x > 0` の結果は bool の配列なので、"
            "`np.array(x > 0, dtype=int)` や `(x > 0).astype(int)` で int に変換します（float も不可です）。", _step_bool),
    Mistake("x = 0 のときに 1 になっています。このノートブックの約束では step_function(0) = 0 です"
            "（`>=` ではなく `>` で比べます）。", _step_ge),
]

SIGMOID_MISTAKES = [
    Mistake("符号が逆です。シグモイド関数は 1 / (1 + exp(-x)) で、x が大きいほど 1 に近づきます。", _sigmoid_sign),
    Mistake("分母の「1 +」が抜けています。シグモイド関数は 1 / (1 + exp(-x)) です。", _sigmoid_no_one),
]

TANH_MISTAKES = [
    Mistake("(exp(x) - exp(-x)) / (exp(x) + exp(-x)) をそのまま計算すると、|x| が大きいときに inf / inf = nan になります。"
            "np.tanh を使うか、安定なシグモイド関数を使って 2 * sigmoid(2x) - 1 と計算しましょう。", _tanh_exp_formula),
    Mistake("シグモイド関数になっています。tanh の値域は -1 から 1 で、tanh(0) = 0 です。", _tanh_is_sigmoid),
]

RELU_MISTAKES = [
    Mistake("組み込みの max(0, x) はスカラー用で、配列には使えません（2 つ以上の要素を持つ配列では ValueError になります）。"
            "要素ごとに比べる np.maximum(0, x) を使いましょう。", _relu_builtin_max),
    Mistake("`x > 0` は bool の配列（マスク）です。値そのものを返すには np.maximum(0, x) や x * (x > 0) とします。",
            _relu_mask),
]

LEAKY_MISTAKES = [
    Mistake("傾き alpha を掛ける側が逆です。x > 0 では x をそのまま、x <= 0 で alpha * x を返します。", _leaky_wrong_side),
    Mistake("引数 alpha を使わずに 0.01 を直接書いています。キーワード引数 alpha の値を使いましょう。", _leaky_fixed_alpha),
    Mistake("x <= 0 で定数 alpha を返しています。負の側は alpha * x（傾き alpha の直線）です。", _leaky_constant),
]

ELU_MISTAKES = [
    Mistake("alpha の位置が違います。負の側は alpha * (exp(x) - 1) で、alpha は (exp(x) - 1) 全体に掛けます。",
            _elu_alpha_times_exp),
    Mistake("alpha の位置が違います。exp(alpha * x) - 1 ではなく alpha * (exp(x) - 1) です。", _elu_alpha_inside),
    Mistake("負の側で「- 1」が抜けています。alpha * (exp(x) - 1) なので x = 0 で 0 になり、x → -∞ で -alpha に近づきます。",
            _elu_no_minus_one),
    Mistake("alpha は負の側にだけ掛けます。x > 0 では x をそのまま返します。", _elu_alpha_on_positive),
]

SELU_MISTAKES = [
    Mistake("定数 λ（SELU_SCALE ≈ 1.0507）と α（SELU_ALPHA ≈ 1.6733）が入れ替わっています。"
            "selu(x) = λ * x（x > 0）、λ * α * (exp(x) - 1)（x <= 0）です。", _selu_swapped),
    Mistake("x > 0 の側にも λ（SELU_SCALE）を掛けます。selu(x) = λ * x（x > 0）です。", _selu_scale_only_negative),
    Mistake("λ（SELU_SCALE）が掛かっていません（これは alpha = 1.6733 の ELU です）。全体に λ を掛けます。", _selu_no_scale),
    Mistake("負の側に α（SELU_ALPHA）が掛かっていません。λ * α * (exp(x) - 1) です。", _selu_no_alpha),
]

SOFTPLUS_MISTAKES = [
    Mistake("log(1 + exp(x)) をそのまま計算すると、x が大きいとき exp(x) がオーバーフローして inf になります。"
            "max(x, 0) + log1p(exp(-|x|)) のように、指数関数に 0 以下の値しか入らない形に変形しましょう。", _softplus_naive),
    Mistake("max(x, 0) の項が抜けています。log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)) です。", _softplus_no_max),
    Mistake("符号が逆です。ソフトプラス関数は log(1 + exp(x)) で、x が大きいときは x に近づきます。", _softplus_sign),
]

SOFTSIGN_MISTAKES = [
    Mistake("分母は 1 + |x|（絶対値）です。1 + x だと x = -1 で 0 除算になり、負の側の値も違います。", _softsign_no_abs),
    Mistake("分子は x そのもの（符号つき）です。softsign は奇関数で、負の入力には負の値を返します。", _softsign_abs_numerator),
]

HARD_SIGMOID_MISTAKES = [
    Mistake("PyTorch（や Keras 3）の定義 x / 6 + 1/2 になっています。このノートブックでは Keras の古典的な定義 "
            "max(0, min(1, 0.2 * x + 0.5)) を使います（-2.5 以下で 0、2.5 以上で 1）。", _hard_sigmoid_torch),
    Mistake("0.2 * x + 0.5 を 0 から 1 の範囲に収めていません（np.clip や np.maximum / np.minimum を使います）。",
            _hard_sigmoid_no_clip),
    Mistake("本物のシグモイド関数になっています。hard_sigmoid は折れ線 max(0, min(1, 0.2 * x + 0.5)) です。",
            _hard_sigmoid_sigmoid),
]


# ---- hints for errors (the 0-d cases come first, so `if x > 0:` only fails at the 1-D input) ----

STEP_ERROR_HINTS = [
    ("truth value of an array",
     "if x > 0: のように、配列をそのまま if の条件に使うことはできません（要素が 2 つ以上あると、"
     "真か偽かが 1 つに決まらないためです）。本のように np.array(x > 0, dtype=int) とすれば、"
     "配列のまま要素ごとに 0 か 1 を計算できます。"),
]

ARRAY_ERROR_HINTS = [
    ("truth value of an array",
     "if や and / or、組み込みの max / min のように 1 つの真偽値が必要な書き方は、配列には使えません"
     "（要素が 2 つ以上あると、真か偽かが 1 つに決まらないためです）。np.where(条件, 真のときの値, 偽のときの値)、"
     "np.maximum、np.minimum などを使って、配列のまま要素ごとに計算してください。"),
]


def check(function, reference, cases, mistakes=(), dtype="float", rtol=1e-7, atol=1e-10,
          error_hints=ARRAY_ERROR_HINTS, allowed_borrowed=(), visible=()):
    return [FunctionCheck(function=function, reference=reference, cases=cases, dtype=dtype, returns="auto",
                          rtol=rtol, atol=atol, mistakes=list(mistakes), error_hints=list(error_hints),
                          allowed_borrowed=tuple(allowed_borrowed), visible=list(visible))]


X_BOOK = np.array([-1.0, 0.0, 1.0, 2.0])


CHECKS = {
    "step_function": check(
        "step_function", reference_step_function,
        shape_cases(first=(0.0, -1.5, 2.0)) + extreme_cases(False)
        + [Case("0 ちょうどと、0 にごく近い値 [-1e-300, 0, 1e-300]", (np.array([-1e-300, 0.0, 1e-300]),))],
        STEP_MISTAKES, dtype="int", rtol=0.0, atol=0.0, error_hints=STEP_ERROR_HINTS,
        visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),)),
                               Case("2×2 の配列", (np.array([[-0.5, 0.5], [3.0, -3.0]]),))],
                              first=(0.0, -1.5, 2.0))),
    "sigmoid": check(
        "sigmoid", reference_sigmoid,
        shape_cases() + extreme_cases(True)
        + [Case("x = -1000 だけ（1 要素）", (np.array([-1000.0]),), forbid_warnings=True),
           Case("x = 1000 だけ（1 要素）", (np.array([1000.0]),), forbid_warnings=True)],
        SIGMOID_MISTAKES,
        visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),))], forbid_warnings=True)),
    # the notebook allows np.tanh explicitly (it is stable for large |x|)
    "tanh": check("tanh", reference_tanh, shape_cases() + extreme_cases(True), TANH_MISTAKES,
                  allowed_borrowed=("numpy.tanh",),
                  visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),))], forbid_warnings=True)),
    # a positive 0-d value first: builtin max(0, x) passes it, then fails on -1.5 with the python int 0
    # (its own hint), while a bool mask fails already on 2.0 (where max's value differs from True)
    "relu": check("relu", reference_relu, shape_cases(first=(2.0, -1.5, 0.0)) + extreme_cases(False),
                  RELU_MISTAKES,
                  visible=visible_cases([Case("[-2, -0.5, 0, 0.5, 2]", (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
                                         Case("2×2 の配列", (np.array([[-1.0, 1.0], [3.0, -3.0]]),))],
                                        first=(2.0, -1.5, 0.0))),
    "leaky_relu": check(
        "leaky_relu", reference_leaky_relu,
        shape_cases() + extreme_cases(False) + [
            Case("alpha = 0.1 を指定した 1 次元の配列", (X_1D.copy(),), {"alpha": 0.1}),
            Case("alpha = 0.2 を指定した 3 次元の配列", (X_3D.copy(),), {"alpha": 0.2}),
            Case("alpha = 0.3 を指定した 0 次元の配列 -2.0", (np.array(-2.0),), {"alpha": 0.3}),
        ],
        LEAKY_MISTAKES,
        visible=visible_cases([
            Case("[-2, 0, 3]（既定の alpha = 0.01）", (np.array([-2.0, 0.0, 3.0]),)),
            Case("[-2, 0, 3]、alpha = 0.2", (np.array([-2.0, 0.0, 3.0]),), {"alpha": 0.2}),
            Case("alpha = 0.3 を指定した 0 次元の配列 -2.0", (np.array(-2.0),), {"alpha": 0.3}),
        ])),
    "identity_function": check("identity_function", reference_identity_function,
                               shape_cases() + extreme_cases(False), IDENTITY_MISTAKES,
                               visible=visible_cases([Case("[-1.5, 0, 2]", (np.array([-1.5, 0.0, 2.0]),))])),
    "elu": check(
        "elu", reference_elu,
        shape_cases() + extreme_cases(False) + [
            Case("alpha = 0.5 を指定した 1 次元の配列", (X_1D.copy(),), {"alpha": 0.5}),
            Case("alpha = 2.0 を指定した 2 次元の配列", (X_2D.copy(),), {"alpha": 2.0}),
        ],
        ELU_MISTAKES,
        visible=visible_cases([
            Case("[-1, 0, 1, 2]（既定の alpha = 1.0）", (X_BOOK.copy(),)),
            Case("[-1, 0, 1, 2]、alpha = 0.5", (X_BOOK.copy(),), {"alpha": 0.5}),
        ])),
    "selu": check("selu", reference_selu, shape_cases() + extreme_cases(False), SELU_MISTAKES,
                  visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),))])),
    "softplus": check(
        "softplus", reference_softplus,
        shape_cases() + extreme_cases(True)
        + [Case("x = 1000 だけ（1 要素）", (np.array([1000.0]),), forbid_warnings=True),
           Case("x = -1000 だけ（1 要素）", (np.array([-1000.0]),), forbid_warnings=True),
           Case("0 付近の小さな値 [-1e-8, 0, 1e-8]", (np.array([-1e-8, 0.0, 1e-8]),))],
        SOFTPLUS_MISTAKES,
        visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),)),
                               Case("0 付近の小さな値 [-1e-8, 0, 1e-8]", (np.array([-1e-8, 0.0, 1e-8]),))],
                              forbid_warnings=True)),
    "softsign": check("softsign", reference_softsign, shape_cases() + extreme_cases(False), SOFTSIGN_MISTAKES,
                      visible=visible_cases([Case("[-1, 0, 1, 2]", (X_BOOK.copy(),))])),
    "hard_sigmoid": check(
        "hard_sigmoid", reference_hard_sigmoid,
        shape_cases() + extreme_cases(False)
        + [Case("折れ曲がる点の前後 [-3, -2.5, -2, 2, 2.5, 3]", (np.array([-3.0, -2.5, -2.0, 2.0, 2.5, 3.0]),))],
        HARD_SIGMOID_MISTAKES,
        visible=visible_cases([Case("[-3, -2.5, -1, 0, 1, 2.5, 3]",
                                    (np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0]),))])),
}
