"""The checks of 4_1_batch_normalization: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "4_1_batch_normalization"
CELLS = ["bn_forward_train", "bn_running_statistics", "bn_backward", "bn_4d"]

BOOK = """
class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape = None
        self.running_mean = running_mean
        self.running_var = running_var
        self.batch_size = None
        self.xc = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if x.ndim != 2:
            N, C, H, W = x.shape
            x = x.reshape(N, -1)
        out = self.__forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def __forward(self, x, train_flg):
        if self.running_mean is None:
            N, D = x.shape
            self.running_mean = np.zeros(D)
            self.running_var = np.zeros(D)
        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + 1e-6)
            xn = xc / std
            self.batch_size = x.shape[0]
            self.xc = xc
            self.xn = xn
            self.std = std
            self.running_mean = self.momentum * self.running_mean + (1-self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1-self.momentum) * var
        else:
            xc = x - self.running_mean
            xn = xc / (np.sqrt(self.running_var + 1e-6))
        out = self.gamma * xn + self.beta
        return out

    def backward(self, dout):
        if dout.ndim != 2:
            N, C, H, W = dout.shape
            dout = dout.reshape(N, -1)
        dx = self.__backward(dout)
        dx = dx.reshape(*self.input_shape)
        return dx

    def __backward(self, dout):
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size
        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx
"""

SHORTCUT = """
class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, train_flg=True):
        shape = x.shape
        x = x.reshape(len(x), -1)
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1])
            self.running_var = np.zeros(x.shape[1])
        if train_flg:
            mu, var = np.mean(x, axis=0), np.var(x, axis=0)
            self.inv_std = 1.0 / np.sqrt(var + 1e-6)
            self.xn = (x - mu) * self.inv_std
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mu
            self.running_var = m * self.running_var + (1 - m) * var
            xn = self.xn
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + 1e-6)
        self.shape = shape
        return (self.gamma * xn + self.beta).reshape(shape)

    def backward(self, dout):
        d = dout.reshape(len(dout), -1)
        self.dbeta = d.sum(0)
        self.dgamma = (d * self.xn).sum(0)
        dx = self.gamma * self.inv_std * (d - d.mean(0) - self.xn * (d * self.xn).mean(0))
        return dx.reshape(self.shape)
"""

CORRECT = {cell: {"book (6.3, with the course's eps and 4-D reshape)": BOOK, "short-cut backward, np.var": SHORTCUT}
           for cell in CELLS}


def _replace(old, new, code=BOOK):
    assert old in code, old
    return code.replace(old, new)


TRAIN_USES_RUNNING = _replace(
    "        out = self.gamma * xn + self.beta\n        return out\n",
    "        if train_flg:\n"
    "            xn = (x - self.running_mean) / np.sqrt(self.running_var + 1e-6)\n"
    "        out = self.gamma * xn + self.beta\n        return out\n")
TEST_USES_BATCH = _replace("        else:\n            xc = x - self.running_mean\n",
                           "        else:\n            xc = x - x.mean(axis=0)\n").replace(
    "xn = xc / (np.sqrt(self.running_var + 1e-6))", "xn = xc / np.sqrt(x.var(axis=0) + 1e-6)")
TEST_UPDATES_RUNNING = _replace(
    "        else:\n            xc = x - self.running_mean\n",
    "        else:\n"
    "            self.running_mean = self.momentum * self.running_mean + (1-self.momentum) * x.mean(axis=0)\n"
    "            self.running_var = self.momentum * self.running_var + (1-self.momentum) * x.var(axis=0)\n"
    "            xc = x - self.running_mean\n")
MOMENTUM_SWAPPED = _replace(
    "self.running_mean = self.momentum * self.running_mean + (1-self.momentum) * mu\n"
    "            self.running_var = self.momentum * self.running_var + (1-self.momentum) * var",
    "self.running_mean = (1-self.momentum) * self.running_mean + self.momentum * mu\n"
    "            self.running_var = (1-self.momentum) * self.running_var + self.momentum * var")
NO_RUNNING_UPDATE = _replace(
    "self.running_mean = self.momentum * self.running_mean + (1-self.momentum) * mu\n"
    "            self.running_var = self.momentum * self.running_var + (1-self.momentum) * var", "pass")
EPS_OUTSIDE = _replace("std = np.sqrt(var + 1e-6)", "std = np.sqrt(var) + 1e-6").replace(
    "xn = xc / (np.sqrt(self.running_var + 1e-6))", "xn = xc / (np.sqrt(self.running_var) + 1e-6)")
UNBIASED = _replace("var = np.mean(xc**2, axis=0)", "var = np.var(x, axis=0, ddof=1)")
WRONG_AXIS = _replace("mu = x.mean(axis=0)\n            xc = x - mu\n            var = np.mean(xc**2, axis=0)",
                      "mu = x.mean(axis=1, keepdims=True)\n            xc = x - mu\n"
                      "            var = np.mean(xc**2, axis=1, keepdims=True)")
SHORTCUT_NO_MEAN = _replace(
    "dx = self.gamma * self.inv_std * (d - d.mean(0) - self.xn * (d * self.xn).mean(0))",
    "dx = self.gamma * self.inv_std * (d - self.xn * (d * self.xn).mean(0))", SHORTCUT)
SHORTCUT_NO_VAR = _replace(
    "dx = self.gamma * self.inv_std * (d - d.mean(0) - self.xn * (d * self.xn).mean(0))",
    "dx = self.gamma * self.inv_std * (d - d.mean(0))", SHORTCUT)
NO_GAMMA = _replace("dxn = self.gamma * dout", "dxn = dout")
DBETA_MEAN = _replace("dbeta = dout.sum(axis=0)", "dbeta = dout.mean(axis=0)")
DGAMMA_XC = _replace("dgamma = np.sum(self.xn * dout, axis=0)", "dgamma = np.sum(self.xc * dout, axis=0)")
NOT_RESHAPED = _replace("return out.reshape(*self.input_shape)", "return out").replace(
    "        dx = dx.reshape(*self.input_shape)\n", "")
BACKWARD_NOT_RESHAPED = _replace("        dx = dx.reshape(*self.input_shape)\n", "")
MUTATES_DOUT = _replace("        dxn = self.gamma * dout\n", "        dout *= self.gamma\n        dxn = dout\n")

# name -> (code, failing test cell, words expected in the message)
WRONG = {
    "training normalises with the running statistics": (TRAIN_USES_RUNNING, "bn_forward_train", "学習時"),
    "test mode normalises with the batch statistics": (TEST_USES_BATCH, "bn_running_statistics",
                                                       "ミニバッチの平均と分散を使っています"),
    "test mode updates the running statistics": (TEST_UPDATES_RUNNING, "bn_running_statistics",
                                                 "テスト時（train_flg=False）にも移動平均を更新しています"),
    "running averages with the momentum weights swapped": (MOMENTUM_SWAPPED, "bn_running_statistics",
                                                           "重みが入れ替わって"),
    "running averages never updated": (NO_RUNNING_UPDATE, "bn_running_statistics", "更新していません"),
    "statistics over the features (axis=1)": (WRONG_AXIS, "bn_forward_train", "軸が違います"),
    "wrong axis also fails the backward cell": (WRONG_AXIS, "bn_backward", "軸が違います"),
    "epsilon outside the square root": (EPS_OUTSIDE, "bn_forward_train", "平方根の外"),
    "unbiased variance (ddof=1)": (UNBIASED, "bn_forward_train", "不偏分散"),
    "short-cut backward without the mean term": (SHORTCUT_NO_MEAN, "bn_backward", "平均の項が抜けています"),
    "short-cut backward without the variance term": (SHORTCUT_NO_VAR, "bn_backward", "分散を通る項"),
    "backward without gamma": (NO_GAMMA, "bn_backward", "gamma を掛けていません"),
    "dbeta averaged": (DBETA_MEAN, "bn_backward", "dbeta"),
    "dgamma with xc instead of xn": (DGAMMA_XC, "bn_backward", "dgamma"),
    "4-D output not reshaped back": (NOT_RESHAPED, "bn_4d", "(N, C*H*W) にしたまま"),
    "4-D dx not reshaped back": (BACKWARD_NOT_RESHAPED, "bn_4d", "dx が (N, C*H*W) のまま"),
    "backward writes into dout": (MUTATES_DOUT, "bn_backward", "書き換えられています"),
}

STUB = """
class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x, train_flg=True):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout):
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
