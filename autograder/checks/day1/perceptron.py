"""Hidden checks of 1_1_perceptron: AND/NAND/OR gates (threshold form and bias form) and XOR.

Students may pick any weights that realise a gate, so every check tests behaviour only: all four
0/1 input combinations (python ints, then the same combinations as floats 0.0/1.0). The stated
convention is that a gate returns the python int 0 or 1 (a numpy integer is accepted too; bool and
float are not) → ``dtype="int"``.

A gate's output is binary, so a wrong value at input (x1, x2) is always ``1 - expected``. The
mistakes below are therefore keyed on the input at which the first wrong output appears (the judge
stops at the first failing case), and each hint names the typical causes of that symptom. One more
mistake recognises the right values with the wrong type (bool or float).
"""

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_1_perceptron"

INPUTS = [(0, 0), (1, 0), (0, 1), (1, 1)]

TRUTH = {
    "AND": {(0, 0): 0, (1, 0): 0, (0, 1): 0, (1, 1): 1},
    "NAND": {(0, 0): 1, (1, 0): 1, (0, 1): 1, (1, 1): 0},
    "OR": {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 1},
    "XOR": {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 0},
}


# ---- references (behaviour of the book's perceptrons) ---------------------------------------

def _perceptron(x1, x2, w1, w2, b):
    return 1 if w1 * x1 + w2 * x2 + b > 0 else 0


def reference_and(x1, x2):
    return _perceptron(x1, x2, 0.5, 0.5, -0.7)


def reference_nand(x1, x2):
    return _perceptron(x1, x2, -0.5, -0.5, 0.7)


def reference_or(x1, x2):
    return _perceptron(x1, x2, 0.5, 0.5, -0.2)


def reference_xor(x1, x2):
    return reference_and(reference_nand(x1, x2), reference_or(x1, x2))


REFERENCES = {"AND": reference_and, "NAND": reference_nand, "OR": reference_or, "XOR": reference_xor}


# ---- mistakes -----------------------------------------------------------------------------

def _key(x1, x2):
    return (int(round(float(x1))), int(round(float(x2))))


def _wrong_at(gate, inputs):
    """The output a student gets when ``gate`` is wrong at ``inputs`` (and right elsewhere)."""
    table = TRUTH[gate]

    def wrong(x1, x2):
        k = _key(x1, x2)
        return 1 - table[k] if k in inputs else table[k]

    return wrong


def _right_but_bool(gate):
    table = TRUTH[gate]
    return lambda x1, x2: bool(table[_key(x1, x2)])


TYPE_HINT = ("戻り値は int の 0 または 1 にしてください。比較の結果（True/False の bool）や 1.0 のような float を"
             "そのまま返していませんか？ `return 1 if ... else 0` と書くか、`int(...)` で変換しましょう。")

ONE_SIDE = {(1, 0), (0, 1)}

HINTS = {
    ("AND", "threshold"): {
        (0, 0): ("入力 (0, 0) で 1 を出力しています。両方 0 なら w1*x1 + w2*x2 = 0 なので、θ が負だと発火してしまいます。"
                 "AND の θ は正の値にしましょう（NAND と取り違えていないかも確認してください）。"),
        (1, 0): ("片方の入力だけが 1 のときに 1 を出力しています。AND は両方が 1 のときだけ 1 です。"
                 "θ が低すぎないか、`>` のかわりに `>=` を使ってちょうど θ に等しいときに発火していないか確認しましょう"
                 "（例: w1 = w2 = 0.5, θ = 0.7）。"),
        (1, 1): ("入力 (1, 1) で 0 を出力しています。w1 + w2 が θ より大きくなるように θ を下げてください"
                 "（w1 + w2 が θ とちょうど等しいだけでは、`>` なので発火しません）。"),
    },
    ("AND", "bias"): {
        (0, 0): ("入力 (0, 0) で 1 を出力しています。両方 0 のとき出力を決めるのはバイアス b だけなので、"
                 "AND の b は負にします（例: b = -0.7）。NAND と取り違えていないかも確認してください。"),
        (1, 0): ("片方の入力だけが 1 のときに 1 を出力しています。AND は両方が 1 のときだけ 1 です。"
                 "b が 0 に近すぎないか、`> 0` のかわりに `>= 0` を使って境界で発火していないか確認しましょう"
                 "（例: w = [0.5, 0.5], b = -0.7）。"),
        (1, 1): ("入力 (1, 1) で 0 を出力しています。w1 + w2 + b が 0 より大きくなるように b を大きく（0 に近く）してください"
                 "（ちょうど 0 では `> 0` なので発火しません）。"),
    },
    ("NAND", "threshold"): {
        (0, 0): ("入力 (0, 0) で 0 を出力しています。NAND は (0, 0) で 1 なので θ は負にします。"
                 "AND や OR と取り違えていませんか？ NAND は AND の重みとしきい値の符号をすべて反転したものです"
                 "（例: w1 = w2 = -0.5, θ = -0.7）。"),
        (1, 0): ("片方の入力だけが 1 のときに 0 を出力しています。NAND が 0 になるのは両方が 1 のときだけです。"
                 "θ が高すぎないか、AND と取り違えていないか確認しましょう。"),
        (1, 1): ("入力 (1, 1) で 1 を出力しています。NAND は (1, 1) のときだけ 0 です。w1 + w2 が θ 以下になるように"
                 "（重みを負に）してください。`>` のかわりに `>=` を使っていないかも確認しましょう。"),
    },
    ("NAND", "bias"): {
        (0, 0): ("入力 (0, 0) で 0 を出力しています。両方 0 のとき出力を決めるのはバイアス b だけなので、"
                 "NAND の b は正にします。AND や OR と取り違えていませんか？ NAND は AND の重みとバイアスの符号を"
                 "すべて反転したものです（例: w = [-0.5, -0.5], b = 0.7）。"),
        (1, 0): ("片方の入力だけが 1 のときに 0 を出力しています。NAND が 0 になるのは両方が 1 のときだけです。"
                 "b が小さすぎないか、AND と取り違えていないか確認しましょう。"),
        (1, 1): ("入力 (1, 1) で 1 を出力しています。NAND は (1, 1) のときだけ 0 です。w1 + w2 + b が 0 以下になるように"
                 "（重みを負に）してください。`> 0` のかわりに `>= 0` を使っていないかも確認しましょう。"),
    },
    ("OR", "threshold"): {
        (0, 0): ("入力 (0, 0) で 1 を出力しています。OR でも (0, 0) は 0 です。θ が負になっていないか、"
                 "θ = 0 で `>=` を使っていないか、NAND と取り違えていないか確認しましょう（例: w1 = w2 = 0.5, θ = 0.2）。"),
        (1, 0): ("片方の入力だけが 1 のときに 0 を出力しています。OR はどちらか一方でも 1 なら 1 です。"
                 "θ が高すぎて AND になっていないか確認しましょう（1 つの重みだけで θ を超える必要があります）。"),
        (1, 1): "入力 (1, 1) で 0 を出力しています。OR は両方が 1 のときも 1 です。重みを両方とも正にしましょう。",
    },
    ("OR", "bias"): {
        (0, 0): ("入力 (0, 0) で 1 を出力しています。OR でも (0, 0) は 0 です。b が正になっていないか、"
                 "b = 0 で `>= 0` を使っていないか、NAND と取り違えていないか確認しましょう（例: w = [0.5, 0.5], b = -0.2）。"),
        (1, 0): ("片方の入力だけが 1 のときに 0 を出力しています。OR はどちらか一方でも 1 なら 1 です。"
                 "b が小さすぎて AND になっていないか確認しましょう（1 つの重みだけで w + b > 0 になる必要があります）。"),
        (1, 1): "入力 (1, 1) で 0 を出力しています。OR は両方が 1 のときも 1 です。重みを両方とも正にしましょう。",
    },
    ("XOR", "compose"): {
        (0, 0): ("入力 (0, 0) で 1 を出力しています。XOR は s1 = NAND(x1, x2), s2 = OR(x1, x2), y = AND(s1, s2) の 2 層です。"
                 "AND(NAND(...), NAND(...)) のように 1 段目を NAND だけにすると NAND と同じ出力になり、"
                 "出力側を NAND にすると XOR と逆の出力になります。使っているゲート自体が正しいかも確認しましょう。"),
        (1, 0): ("片方の入力だけが 1 のときに 0 を出力しています。1 段目は NAND と OR、最後（2 段目）は AND です。"
                 "NAND と AND を取り違えていないか（逆の出力になります）、使っているゲート自体が正しいか確認しましょう。"),
        (1, 1): ("入力 (1, 1) で 1 を出力しています。(1, 1) を 0 にするのは 1 段目の NAND の役目です。"
                 "s1 = NAND(x1, x2) を AND の入力に使っているか、NAND_bias 自体が正しいか確認しましょう。"),
    },
}


def gate_mistakes(gate, form):
    hints = HINTS[(gate, "compose" if gate == "XOR" else form)]
    return [
        Mistake(TYPE_HINT, _right_but_bool(gate)),
        Mistake(hints[(0, 0)], _wrong_at(gate, {(0, 0)})),
        Mistake(hints[(1, 0)], _wrong_at(gate, ONE_SIDE)),
        Mistake(hints[(1, 1)], _wrong_at(gate, {(1, 1)})),
    ]


def gate_cases():
    cases = [Case(f"入力 ({x1}, {x2})", (x1, x2)) for x1, x2 in INPUTS]
    cases += [Case(f"float の入力 ({float(x1)}, {float(x2)})", (float(x1), float(x2))) for x1, x2 in INPUTS]
    return cases


def gate_check(function, gate, form, prerequisite_of=""):
    """Every input is shown in the notebook too: the four combinations are the whole truth table."""
    return FunctionCheck(function=function, reference=REFERENCES[gate], cases=gate_cases(), dtype="int",
                         returns="auto", rtol=0.0, atol=0.0, mistakes=gate_mistakes(gate, form),
                         visible=gate_cases(), prerequisite_of=prerequisite_of)


CHECKS = {
    "and_gate": [gate_check("AND", "AND", "threshold")],
    "nand_gate": [gate_check("NAND", "NAND", "threshold")],
    "or_gate": [gate_check("OR", "OR", "threshold")],
    "and_bias": [gate_check("AND_bias", "AND", "bias")],
    "nand_bias": [gate_check("NAND_bias", "NAND", "bias")],
    "or_bias": [gate_check("OR_bias", "OR", "bias")],
    # XOR is built from the bias-form gates (the prose says so): a wrong gate is named as the cause first
    "xor_gate": [gate_check("NAND_bias", "NAND", "bias", prerequisite_of="XOR"),
                 gate_check("OR_bias", "OR", "bias", prerequisite_of="XOR"),
                 gate_check("AND_bias", "AND", "bias", prerequisite_of="XOR"),
                 gate_check("XOR", "XOR", "compose")],
}

# the truth tables above and the references must agree (cheap guard against editing slips)
assert all(REFERENCES[g](*k) == v for g, table in TRUTH.items() for k, v in table.items())
