"""The checks of 6_4_gru: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "6_4_gru"
CELLS = ["gru_forward", "gru_backward"]

BOOK = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        Wxz, Wxr, Wxh = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]
        Whz, Whr, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
        bz, br, bh = b[:H], b[H:2 * H], b[2 * H:]
        z = sigmoid(np.dot(x, Wxz) + np.dot(h_prev, Whz) + bz)
        r = sigmoid(np.dot(x, Wxr) + np.dot(h_prev, Whr) + br)
        h_hat = np.tanh(np.dot(x, Wxh) + np.dot(r * h_prev, Whh) + bh)
        h_next = (1 - z) * h_prev + z * h_hat
        self.cache = (x, h_prev, z, r, h_hat)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        Wxz, Wxr, Wxh = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]
        Whz, Whr, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
        x, h_prev, z, r, h_hat = self.cache
        dh_hat = dh_next * z
        dh_prev = dh_next * (1 - z)
        dt = dh_hat * (1 - h_hat ** 2)
        dbh = np.sum(dt, axis=0)
        dWhh = np.dot((r * h_prev).T, dt)
        dhr = np.dot(dt, Whh.T)
        dWxh = np.dot(x.T, dt)
        dx = np.dot(dt, Wxh.T)
        dh_prev += r * dhr
        dz = dh_next * h_hat - dh_next * h_prev
        dt = dz * z * (1 - z)
        dbz = np.sum(dt, axis=0)
        dWhz = np.dot(h_prev.T, dt)
        dh_prev += np.dot(dt, Whz.T)
        dWxz = np.dot(x.T, dt)
        dx += np.dot(dt, Wxz.T)
        dr = dhr * h_prev
        dt = dr * r * (1 - r)
        dbr = np.sum(dt, axis=0)
        dWhr = np.dot(h_prev.T, dt)
        dh_prev += np.dot(dt, Whr.T)
        dWxr = np.dot(x.T, dt)
        dx += np.dot(dt, Wxr.T)
        self.grads[0][...] = np.hstack((dWxz, dWxr, dWxh))
        self.grads[1][...] = np.hstack((dWhz, dWhr, dWhh))
        self.grads[2][...] = np.hstack((dbz, dbr, dbh))
        return dx, dh_prev
"""

# one affine product for all three blocks, the candidate recomputed; gradients collected in one dA
STACKED = """
class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = len(Wh)
        ax = x @ Wx + b
        ah = h_prev @ Wh[:, :2 * H]
        gates = 0.5 * (np.tanh(0.5 * (ax[:, :2 * H] + ah)) + 1)
        z, r = gates[:, :H], gates[:, H:]
        rh = r * h_prev
        cand = np.tanh(ax[:, 2 * H:] + rh @ Wh[:, 2 * H:])
        self.saved = x, h_prev, z, r, rh, cand
        return h_prev + z * (cand - h_prev)

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        H = len(Wh)
        x, h_prev, z, r, rh, cand = self.saved
        da_h = dh_next * z * (1 - cand * cand)
        drh = da_h @ Wh[:, 2 * H:].T
        da_z = dh_next * (cand - h_prev) * z * (1 - z)
        da_r = drh * h_prev * r * (1 - r)
        dA = np.concatenate([da_z, da_r, da_h], axis=1)
        dWh = np.zeros_like(Wh)
        dWh[:, :2 * H] = h_prev.T @ dA[:, :2 * H]
        dWh[:, 2 * H:] = rh.T @ da_h
        self.grads = [x.T @ dA, dWh, dA.sum(axis=0)]
        dx = dA @ Wx.T
        dh_prev = dh_next * (1 - z) + drh * r + dA[:, :2 * H] @ Wh[:, :2 * H].T
        return dx, dh_prev
"""

CORRECT = {cell: {"book (appendix C)": BOOK, "stacked products, gradients in one dA": STACKED} for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


MIRROR = _replace("h_next = (1 - z) * h_prev + z * h_hat", "h_next = z * h_prev + (1 - z) * h_hat")
RESET_AFTER = _replace("h_hat = np.tanh(np.dot(x, Wxh) + np.dot(r * h_prev, Whh) + bh)",
                       "h_hat = np.tanh(np.dot(x, Wxh) + r * np.dot(h_prev, Whh) + bh)")
GATES_SWAPPED = _replace("Wxz, Wxr, Wxh = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]\n"
                         "        Whz, Whr, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]\n"
                         "        bz, br, bh = b[:H], b[H:2 * H], b[2 * H:]",
                         "Wxr, Wxz, Wxh = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]\n"
                         "        Whr, Whz, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]\n"
                         "        br, bz, bh = b[:H], b[H:2 * H], b[2 * H:]")
TANH_DERIVATIVE = _replace("dt = dh_hat * (1 - h_hat ** 2)", "dt = dh_hat * h_hat * (1 - h_hat)")
NO_DIRECT = _replace("dh_prev = dh_next * (1 - z)", "dh_prev = np.zeros_like(h_prev)")
NO_RESET_PATH = _replace("        dh_prev += r * dhr\n", "")
DZ_FLIPPED = _replace("dz = dh_next * h_hat - dh_next * h_prev", "dz = dh_next * h_prev - dh_next * h_hat")
MUTATES_DH_NEXT = _replace("dh_hat = dh_next * z\n        dh_prev = dh_next * (1 - z)",
                           "dh_hat = dh_next * z\n        dh_next *= (1 - z)\n        dh_prev = dh_next.copy()"
                           ).replace("dz = dh_next * h_hat - dh_next * h_prev",
                                     "dz = dh_next / (1 - z) * (h_hat - h_prev)")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "update gate the wrong way round (z vs 1 - z)": (MIRROR, "gru_forward", "更新ゲート z の掛け方が逆"),
    "reset gate after the product (cuDNN variant)": (RESET_AFTER, "gru_forward", "リセットゲート r を掛ける場所"),
    "gates stacked r, z, h": (GATES_SWAPPED, "gru_forward", "ゲートの並び順"),
    "tanh derivative of the candidate wrong": (TANH_DERIVATIVE, "gru_backward", "tanh の微分が違います"),
    "direct path of dh_prev missing": (NO_DIRECT, "gru_backward", "直接つながる経路"),
    "path through r * h_prev missing": (NO_RESET_PATH, "gru_backward", "(r * h_prev) を通る経路"),
    "dz with the wrong sign": (DZ_FLIPPED, "gru_backward", "z の勾配の符号"),
    "backward writes into dh_next": (MUTATES_DH_NEXT, "gru_backward", "書き換えられています"),
}

STUB = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class GRU:
    def __init__(self, Wx, Wh, b):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x, h_prev):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dh_next):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS = {cell: STUB for cell in CELLS}


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
