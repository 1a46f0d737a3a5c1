"""The hidden checks of 3_1_optimizers: right optimizers pass, typical mistakes fail with a hint."""

import pytest

NB = "3_1_optimizers"
ALL = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam"]

CORRECT = {
    "sgd": ["""
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr
    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]
""", """
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr
    def update(self, params, grads):
        for key, value in params.items():
            np.subtract(value, self.lr * grads[key], out=value)
"""],
    "momentum": ["""
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None
    def update(self, params, grads):
        if self.v is None:
            self.v = {}
            for key, val in params.items():
                self.v[key] = np.zeros_like(val)
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]
""", """
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.velocity = {}
    def update(self, params, grads):
        for key in params:
            v = self.velocity.setdefault(key, np.zeros(params[key].shape))
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key][...] = params[key] + v
"""],
    "nesterov": ["""
class Nesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None
    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.v[key] - self.lr * grads[key]
""", """
class Nesterov:
    # the look-ahead written with the old velocity: W += -momentum * v_old + (1 + momentum) * v_new
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}
    def update(self, params, grads):
        for key in params:
            old = self.v.get(key, np.zeros_like(params[key]))
            new = self.momentum * old - self.lr * grads[key]
            self.v[key] = new
            params[key] += -self.momentum * old + (1 + self.momentum) * new
"""],
    "adagrad": ["""
class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, None
    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
""", """
class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = {}
    def update(self, params, grads):
        for key, g in grads.items():
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = self.h[key] + g ** 2
            step = self.lr * g / (self.h[key] ** 0.5 + 1e-7)
            params[key] -= step
"""],
    "rmsprop": ["""
class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None
    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
""", """
class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = {}
    def update(self, params, grads):
        for key in params:
            h = self.h.get(key, 0.0)
            h = h + (1 - self.decay_rate) * (grads[key] ** 2 - h)
            self.h[key] = h
            params[key] -= self.lr * grads[key] / (np.sqrt(h) + 1e-7)
"""],
    "adadelta": ["""
class AdaDelta:
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.eg, self.ed = None, None
    def update(self, params, grads):
        if self.eg is None:
            self.eg = {key: np.zeros_like(val) for key, val in params.items()}
            self.ed = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            g = grads[key]
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta
""", """
class AdaDelta:
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr = lr
        self.rho = rho
        self.eps = eps
        self.state = {}
    def update(self, params, grads):
        for key in params:
            acc_g, acc_d = self.state.get(key, (np.zeros_like(params[key]), np.zeros_like(params[key])))
            g = grads[key]
            acc_g = self.rho * acc_g + (1 - self.rho) * np.square(g)
            rms_d = np.sqrt(acc_d + self.eps)
            rms_g = np.sqrt(acc_g + self.eps)
            delta = -(rms_d / rms_g) * g
            acc_d = self.rho * acc_d + (1 - self.rho) * np.square(delta)
            self.state[key] = (acc_g, acc_d)
            params[key] += self.lr * delta
"""],
    "adam": ["""
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, None, None
    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        for key in params:
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1 ** self.iter)
            v_hat = self.v[key] / (1 - self.beta2 ** self.iter)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
""", """
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.moments = {}
    def update(self, params, grads):
        self.t += 1
        c1 = 1.0 - self.beta1 ** self.t
        c2 = 1.0 - self.beta2 ** self.t
        for key, w in params.items():
            m, v = self.moments.get(key, (0.0, 0.0))
            m = m + (1 - self.beta1) * (grads[key] - m)
            v = v + (1 - self.beta2) * (grads[key] ** 2 - v)
            self.moments[key] = (m, v)
            w -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
"""],
    "adamax": ["""
class Adamax:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.u = 0, None, None
    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.u = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        for key in params:
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.u[key] = np.maximum(self.beta2 * self.u[key], np.abs(g))
            params[key] -= self.lr / (1 - self.beta1 ** self.iter) * self.m[key] / (self.u[key] + self.eps)
""", """
class Adamax:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.u = {}, {}
    def update(self, params, grads):
        self.t += 1
        for key in params:
            g = grads[key]
            m = self.m.get(key, np.zeros_like(g))
            u = self.u.get(key, np.zeros_like(g))
            m = self.beta1 * m + (1 - self.beta1) * g
            u = np.where(self.beta2 * u > np.abs(g), self.beta2 * u, np.abs(g))
            self.m[key], self.u[key] = m, u
            params[key] -= (self.lr / (1 - self.beta1 ** self.t)) * (m / (u + self.eps))
"""],
    "nadam": ["""
class Nadam:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, None, None
    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        b1, b2, t = self.beta1, self.beta2, self.iter
        for key in params:
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            v_hat = self.v[key] / (1 - b2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
""", """
class Nadam:
    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.steps = 0
        self.state = {}
    def update(self, params, grads):
        self.steps += 1
        t = self.steps
        for key, w in params.items():
            g = grads[key]
            m, v = self.state.get(key, (np.zeros_like(w), np.zeros_like(w)))
            m = self.beta1 * m + (1 - self.beta1) * g
            v = self.beta2 * v + (1 - self.beta2) * g * g
            self.state[key] = (m, v)
            look_ahead = self.beta1 * m / (1 - self.beta1 ** (t + 1)) + (1 - self.beta1) * g / (1 - self.beta1 ** t)
            w -= self.lr * look_ahead / (np.sqrt(v / (1 - self.beta2 ** t)) + self.eps)
"""],
}

CLASS_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
               "rmsprop": "RMSprop", "adadelta": "AdaDelta", "adam": "Adam", "adamax": "Adamax", "nadam": "Nadam"}


def _variant(grade_id, old, new, index=0):
    code = CORRECT[grade_id][index]
    assert old in code, (grade_id, old)
    return code.replace(old, new)


WRONG = {
    # every optimizer: rebinding params[key] instead of changing the array
    **{f"{gid} rebinds params[key]": (
        _variant(gid, "params[key] -=", "params[key] = params[key] -") if "params[key] -=" in CORRECT[gid][0]
        else _variant(gid, "params[key] +=", "params[key] = params[key] +"), gid, "新しい配列を代入")
       for gid in ALL},
    "SGD climbs the gradient": (_variant("sgd", "params[key] -=", "params[key] +="), "sgd", "符号が逆"),
    "SGD without lr": (_variant("sgd", "self.lr * grads[key]", "grads[key]"), "sgd", "学習率 lr を掛けていません"),
    "SGD changes grads": (_variant("sgd", "params[key] -= self.lr * grads[key]",
                                   "grads[key] *= self.lr\n            params[key] -= grads[key]"), "sgd", "grads"),
    "Momentum sign of v": (_variant("momentum", "params[key] += self.v[key]", "params[key] -= self.v[key]"),
                           "momentum", "符号が違います"),
    "Momentum velocity not stored": (_variant("momentum", "if self.v is None:", "if True:"), "momentum", "保たれていません"),
    "Momentum velocity as a local": (_variant("momentum", """            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]""", """            v = self.momentum * 0 - self.lr * grads[key]
            params[key] += v"""), "momentum", "保たれていません"),
    "Momentum one velocity for every key": ("""
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None
    def update(self, params, grads):
        for key in params:
            if self.v is None:
                self.v = np.zeros_like(params[key])
            self.v = self.momentum * self.v - self.lr * grads[key]
            params[key] += self.v
""", "momentum", "共有"),
    "Momentum state of a wrong shape": (_variant("momentum", "self.v[key] = np.zeros_like(val)", "self.v[key] = np.zeros(3)"),
                                        "momentum", "同じ形状"),
    "Nesterov as plain Momentum": (_variant("nesterov", "params[key] += self.momentum * self.v[key] - self.lr * grads[key]",
                                            "params[key] += self.v[key]"), "nesterov", "ふつうの Momentum"),
    "Nesterov from the book's code": (_variant(
        "nesterov", "params[key] += self.momentum * self.v[key] - self.lr * grads[key]",
        "params[key] += self.momentum * self.momentum * self.v[key]\n"
        "            params[key] -= (1 + self.momentum) * self.lr * grads[key]"), "nesterov", "本のサンプルコード"),
    "Nesterov velocity reset": (_variant("nesterov", "if self.v is None:", "if True:"), "nesterov", "保たれていません"),
    "AdaGrad epsilon inside the root": (_variant("adagrad", "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key] + 1e-7)"),
                                        "adagrad", "平方根の中"),
    "AdaGrad without epsilon": (_variant("adagrad", "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key])"),
                                "adagrad", "ε = 1e-7 を足していません"),
    "AdaGrad h not accumulated": (_variant("adagrad", "self.h[key] += grads[key] * grads[key]",
                                           "self.h[key] = grads[key] * grads[key]"), "adagrad", "足し込んでいません"),
    "RMSprop decay on the wrong term": (_variant("rmsprop", """            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]""",
                                                 """            self.h[key] *= 1 - self.decay_rate
            self.h[key] += self.decay_rate * grads[key] * grads[key]"""), "rmsprop", "逆です"),
    "RMSprop without 1 - decay": (_variant("rmsprop", "(1 - self.decay_rate) * grads[key] * grads[key]",
                                           "grads[key] * grads[key]"), "rmsprop", "(1 − decay_rate) を掛けていません"),
    "RMSprop epsilon inside the root": (_variant("rmsprop", "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key] + 1e-7)"),
                                        "rmsprop", "平方根の中"),
    "AdaDelta epsilon outside the roots": (_variant(
        "adadelta", "-np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g",
        "-(np.sqrt(self.ed[key]) + self.eps) / (np.sqrt(self.eg[key]) + self.eps) * g"), "adadelta", "平方根の外"),
    "AdaDelta delta from the old Eg": ("""
class AdaDelta:
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.eg, self.ed = {}, {}
    def update(self, params, grads):
        for key in params:
            if key not in self.eg:
                self.eg[key] = np.zeros_like(params[key])
                self.ed[key] = np.zeros_like(params[key])
            g = grads[key]
            delta = -np.sqrt(self.ed[key] + self.eps) / np.sqrt(self.eg[key] + self.eps) * g
            self.eg[key] = self.rho * self.eg[key] + (1 - self.rho) * g * g
            self.ed[key] = self.rho * self.ed[key] + (1 - self.rho) * delta * delta
            params[key] += self.lr * delta
""", "adadelta", "順番"),
    "Adam without bias correction": (_variant("adam", """            m_hat = self.m[key] / (1 - self.beta1 ** self.iter)
            v_hat = self.v[key] / (1 - self.beta2 ** self.iter)""", """            m_hat = self.m[key]
            v_hat = self.v[key]"""), "adam", "バイアス補正"),
    "Adam counts keys": (_variant("adam", """        self.iter += 1
        for key in params:
""", """        for key in params:
            self.iter += 1
"""), "adam", "キーごとに数えて"),
    "Adam rebuilds m and v": (_variant("adam", "if self.m is None:", "if True:"), "adam", "作り直して"),
    "Adam epsilon inside the root": (_variant("adam", "(np.sqrt(v_hat) + self.eps)", "np.sqrt(v_hat + self.eps)"),
                                     "adam", "平方根の中"),
    "Adam as in the book's code": ("""
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, None, None
    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = {}, {}
            for key, val in params.items():
                self.m[key] = np.zeros_like(val)
                self.v[key] = np.zeros_like(val)
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.eps)
""", "adam", "本のサンプルコード"),
    "Adamax without correction": (_variant("adamax", "self.lr / (1 - self.beta1 ** self.iter)", "self.lr"),
                                  "adamax", "バイアス補正"),
    "Adamax averages |g|": (_variant("adamax", "np.maximum(self.beta2 * self.u[key], np.abs(g))",
                                     "self.beta2 * self.u[key] + (1 - self.beta2) * np.abs(g)"), "adamax", "移動平均"),
    "Adamax without beta2": (_variant("adamax", "np.maximum(self.beta2 * self.u[key], np.abs(g))",
                                      "np.maximum(self.u[key], np.abs(g))"), "adamax", "β2 を掛けていません"),
    "Nadam as Adam": (_variant("nadam", "m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)",
                               "m_hat = self.m[key] / (1 - b1 ** t)"), "nadam", "ふつうの Adam"),
    "Nadam look-ahead without its corrections": (_variant(
        "nadam", "m_hat = b1 * self.m[key] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)",
        "m_hat = (b1 * self.m[key] + (1 - b1) * g) / (1 - b1 ** t)"), "nadam", "分母が違います"),
    "Nadam counts keys": (_variant("nadam", """        self.iter += 1
        b1, b2, t = self.beta1, self.beta2, self.iter
        for key in params:
""", """        for key in params:
            self.iter += 1
            b1, b2, t = self.beta1, self.beta2, self.iter
"""), "nadam", "キーごとに数えて"),
    "constructor without the documented argument names": (_variant("adam", "def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)",
                                                                   "def __init__(self, lr=0.001, b1=0.9, b2=0.999, eps=1e-8)"),
                                                          "adam", "引数名"),
}


@pytest.mark.parametrize("grade_id,index", [(g, i) for g in ALL for i in range(len(CORRECT[g]))])
def test_correct_variants_pass(judge_code, grade_id, index):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][index])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_untouched_stubs_fail_everywhere(judge_code):
    for grade_id in ALL:
        name = CLASS_NAMES[grade_id]
        stub = (f"class {name}:\n    def __init__(self, lr=0.01, **kwargs):\n        self.lr = lr\n\n"
                f"    def update(self, params, grads):\n        raise NotImplementedError()\n")
        passed, message = judge_code(NB, grade_id, stub)
        assert not passed and "NotImplementedError" in message, message


@pytest.mark.parametrize("grade_id", ALL)
def test_the_reference_optimizers_of_course_are_not_own_work(judge_code, grade_id):
    name = CLASS_NAMES[grade_id]
    if name == "Adam":  # course.optimizers.Adam has the book's form: it fails on values too
        code = f"from course import optimizers\n\nclass {name}(optimizers.{name}):\n    pass\n"
    else:
        code = f"from course.optimizers import {name} as _Borrowed\n\nclass {name}(_Borrowed):\n    pass\n"
    passed, message = judge_code(NB, grade_id, code)
    assert not passed and "自分で実装" in message, message


@pytest.mark.parametrize("grade_id", ALL)
def test_course_reference_optimizers_follow_the_notebook(grade_id):
    """course.optimizers (for later days) obeys the conventions graded here (Adam: the book's form)."""
    from autograder.checks.day3 import optimizers as checks
    from course import optimizers
    from course.checking import run_in_process

    name = CLASS_NAMES[grade_id]
    check = checks.CHECKS[grade_id][0]
    verdict = run_in_process(check.__class__(**{**check.__dict__, "must_be_own": False}),
                             {"__name__": "__main__", name: getattr(optimizers, name)})
    if name == "Adam":
        assert not verdict.passed, "course.optimizers.Adam keeps the book's form (eps 1e-7 on the uncorrected sqrt(v))"
    else:
        assert verdict.passed, verdict.message


@pytest.mark.parametrize("grade_id", ["momentum", "adagrad", "nadam"])
def test_wrappers_around_course_optimizers_are_not_own_work(judge_code, grade_id):
    name = CLASS_NAMES[grade_id]
    code = (f"from course.optimizers import {name} as _Inner\n\nclass {name}:\n"
            f"    def __init__(self, *args, **kwargs):\n        self._inner = _Inner(*args, **kwargs)\n\n"
            f"    def update(self, params, grads):\n        self._inner.update(params, grads)\n")
    passed, message = judge_code(NB, grade_id, code)
    assert not passed and "自分で実装" in message, message
