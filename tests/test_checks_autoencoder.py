"""The checks of 8_1_autoencoder: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both); the answer's and the reference's
backward agree with numerical gradients; the recorded MNIST runs (scripts/record_day8_autoencoder.py) hold
what the notebook says."""

import json
import subprocess
import sys

import numpy as np
import pytest

from course.gradient_check import check_gradients
from course.records import load_record
from tests.conftest import REPO

NB = "8_1_autoencoder"
NET_CELLS = ["autoencoder_init", "autoencoder_forward", "autoencoder_loss", "autoencoder_gradient"]

ANSWER = """
from course.layers import Affine, Relu, Sigmoid


class Autoencoder:
    def __init__(self, input_size, hidden_size, latent_size, seed=0):
        rng = np.random.default_rng(seed)
        sizes = [(input_size, hidden_size), (hidden_size, latent_size),
                 (latent_size, hidden_size), (hidden_size, input_size)]
        self.params = {}
        for k, (fan_in, fan_out) in enumerate(sizes, start=1):
            self.params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params[f"b{k}"] = np.zeros(fan_out)
        p = self.params
        self.encoder = [Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"])]
        self.decoder = [Affine(p["W3"], p["b3"]), Relu(), Affine(p["W4"], p["b4"]), Sigmoid()]

    def encode(self, x):
        for layer in self.encoder:
            x = layer.forward(x)
        return x

    def decode(self, z):
        for layer in self.decoder:
            z = layer.forward(z)
        return z

    def forward(self, x):
        return self.decode(self.encode(x))

    def loss(self, x, t):
        y = self.forward(x)
        return 0.5 * np.sum((y - t) ** 2) / x.shape[0]

    def gradient(self, x, t):
        y = self.forward(x)
        dout = (y - t) / x.shape[0]
        for layer in reversed(self.encoder + self.decoder):
            dout = layer.backward(dout)
        affines = [self.encoder[0], self.encoder[2], self.decoder[0], self.decoder[2]]
        grads = {}
        for k, layer in enumerate(affines, start=1):
            grads[f"W{k}"] = layer.dW
            grads[f"b{k}"] = layer.db
        return grads
"""

# an OrderedDict of named layers like the book's networks, W drawn one by one, loss via a helper
BOOK_STYLE = """
from collections import OrderedDict
from course.layers import Affine, Relu, Sigmoid


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


class Autoencoder:
    def __init__(self, input_size, hidden_size, latent_size, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {}
        self.params['W1'] = rng.standard_normal((input_size, hidden_size)) * np.sqrt(2 / input_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = rng.standard_normal((hidden_size, latent_size)) * np.sqrt(2 / hidden_size)
        self.params['b2'] = np.zeros(latent_size)
        self.params['W3'] = rng.standard_normal((latent_size, hidden_size)) * np.sqrt(2 / latent_size)
        self.params['b3'] = np.zeros(hidden_size)
        self.params['W4'] = rng.standard_normal((hidden_size, input_size)) * np.sqrt(2 / hidden_size)
        self.params['b4'] = np.zeros(input_size)
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Affine3'] = Affine(self.params['W3'], self.params['b3'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine4'] = Affine(self.params['W4'], self.params['b4'])
        self.layers['Sigmoid'] = Sigmoid()

    def encode(self, x):
        for name in ['Affine1', 'Relu1', 'Affine2']:
            x = self.layers[name].forward(x)
        return x

    def decode(self, z):
        for name in ['Affine3', 'Relu2', 'Affine4', 'Sigmoid']:
            z = self.layers[name].forward(z)
        return z

    def forward(self, x):
        return self.decode(self.encode(x))

    def loss(self, x, t):
        return sum_squared_error(self.forward(x), t) / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = (self.layers['Sigmoid'].out - t) / len(x)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for k in range(1, 5):
            grads['W%d' % k] = self.layers['Affine%d' % k].dW
            grads['b%d' % k] = self.layers['Affine%d' % k].db
        return grads
"""

# plain numpy (no layer objects), the sigmoid written with exp, backward by hand
BY_HAND = """
class Autoencoder:
    def __init__(self, input_size, hidden_size, latent_size, seed=0):
        rng = np.random.default_rng(seed)
        dims = [input_size, hidden_size, latent_size, hidden_size, input_size]
        self.params = {}
        for k in range(4):
            self.params['W' + str(k + 1)] = np.sqrt(2.0 / dims[k]) * rng.standard_normal((dims[k], dims[k + 1]))
        for k in range(4):
            self.params['b' + str(k + 1)] = np.zeros(dims[k + 1])

    def _run(self, x):
        p = self.params
        a1 = x @ p['W1'] + p['b1']
        h1 = np.maximum(a1, 0)
        z = h1 @ p['W2'] + p['b2']
        a3 = z @ p['W3'] + p['b3']
        h3 = np.maximum(a3, 0)
        y = 1 / (1 + np.exp(-(h3 @ p['W4'] + p['b4'])))
        return a1, h1, z, a3, h3, y

    def encode(self, x):
        return self._run(x)[2]

    def decode(self, z):
        p = self.params
        h3 = np.maximum(z @ p['W3'] + p['b3'], 0)
        return 1 / (1 + np.exp(-(h3 @ p['W4'] + p['b4'])))

    def forward(self, x):
        return self._run(x)[-1]

    def loss(self, x, t):
        return float(np.sum((self.forward(x) - t) ** 2) / (2 * len(x)))

    def gradient(self, x, t):
        p = self.params
        a1, h1, z, a3, h3, y = self._run(x)
        g = {}
        da4 = (y - t) / len(x) * y * (1 - y)
        g['W4'], g['b4'] = h3.T @ da4, da4.sum(axis=0)
        da3 = (da4 @ p['W4'].T) * (a3 > 0)
        g['W3'], g['b3'] = z.T @ da3, da3.sum(axis=0)
        dz = da3 @ p['W3'].T
        g['W2'], g['b2'] = h1.T @ dz, dz.sum(axis=0)
        da1 = (dz @ p['W2'].T) * (a1 > 0)
        g['W1'], g['b1'] = x.T @ da1, da1.sum(axis=0)
        return g
"""

NOISE = """
def add_noise(x, rng, noise_std=0.3):
    noise = rng.normal(0.0, noise_std, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0)
"""
NOISE_OTHER = """
def add_noise(x, rng, noise_std=0.3):
    y = x + noise_std * rng.standard_normal(x.shape)
    y[y < 0] = 0
    y[y > 1] = 1
    return y
"""

CORRECT = {cell: {"answer": ANSWER, "book style (OrderedDict)": BOOK_STYLE, "by hand without layers": BY_HAND}
           for cell in NET_CELLS}
CORRECT["add_noise_values"] = {"answer": NOISE, "standard_normal times std, masks": NOISE_OTHER}


def _replace(old, new, code=ANSWER):
    assert old in code, old
    return code.replace(old, new)


INIT_LOOP = "self.params[f\"W{k}\"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)"
WRONG = {
    "Xavier instead of He": (_replace(INIT_LOOP, INIT_LOOP.replace("2.0 / fan_in", "1.0 / fan_in")),
                             "autoencoder_init", "He の初期値"),
    "He with fan_out": (_replace(INIT_LOOP, INIT_LOOP.replace("2.0 / fan_in", "2.0 / fan_out")),
                        "autoencoder_init", "出力側のノード数"),
    "no scale": (_replace(INIT_LOOP, INIT_LOOP.replace(" * np.sqrt(2.0 / fan_in)", "")),
                 "autoencoder_init", "掛けていません"),
    "global random state": (_replace("rng = np.random.default_rng(seed)", "np.random.seed(seed)").replace(
        "rng.standard_normal((fan_in, fan_out))", "np.random.randn(fan_in, fan_out)"),
        "autoencoder_init", "重みの乱数が違います"),
    "a new generator per weight": (_replace("rng.standard_normal((fan_in, fan_out))",
                                            "np.random.default_rng(seed).standard_normal((fan_in, fan_out))"),
                                   "autoencoder_init", "作り直しています"),
    "ReLU on the code": (_replace("Affine(p[\"W2\"], p[\"b2\"])]", "Affine(p[\"W2\"], p[\"b2\"]), Relu()]"),
                         "autoencoder_forward", "符号 z に ReLU"),
    "sigmoid on the code": (_replace("Affine(p[\"W2\"], p[\"b2\"])]", "Affine(p[\"W2\"], p[\"b2\"]), Sigmoid()]"),
                            "autoencoder_forward", "符号 z にシグモイド"),
    "no output sigmoid": (_replace("Affine(p[\"W4\"], p[\"b4\"]), Sigmoid()]", "Affine(p[\"W4\"], p[\"b4\"])]"),
                          "autoencoder_forward", "デコーダの最後にシグモイドがありません"),
    "no ReLU in the decoder": (_replace("[Affine(p[\"W3\"], p[\"b3\"]), Relu(),", "[Affine(p[\"W3\"], p[\"b3\"]),"),
                               "autoencoder_forward", "Affine3 のあとの ReLU"),
    "no ReLU in the encoder": (_replace("[Affine(p[\"W1\"], p[\"b1\"]), Relu(),", "[Affine(p[\"W1\"], p[\"b1\"]),"),
                               "autoencoder_forward", "Affine1 のあとの ReLU"),
    "layers get copies of params": (_replace("p = self.params", "p = {k: v.copy() for k, v in self.params.items()}"),
                                    "autoencoder_forward", "別々になっています"),
    "wiring wrong, seen from loss": (_replace("Affine(p[\"W2\"], p[\"b2\"])]", "Affine(p[\"W2\"], p[\"b2\"]), Relu()]"),
                                     "autoencoder_loss", "先に encode, decode, forward を直して"),
    "loss without 0.5": (_replace("return 0.5 * np.sum((y - t) ** 2) / x.shape[0]",
                                  "return np.sum((y - t) ** 2) / x.shape[0]"), "autoencoder_loss", "0.5 が掛かっていません"),
    "loss as the mean over all pixels": (_replace("return 0.5 * np.sum((y - t) ** 2) / x.shape[0]",
                                                  "return 0.5 * np.mean((y - t) ** 2)"),
                                         "autoencoder_loss", "画素の数でも割っています"),
    "loss summed over the batch": (_replace("return 0.5 * np.sum((y - t) ** 2) / x.shape[0]",
                                            "return 0.5 * np.sum((y - t) ** 2)"),
                                   "autoencoder_loss", "N で割っていません"),
    "loss against the input": (_replace("return 0.5 * np.sum((y - t) ** 2) / x.shape[0]",
                                        "return 0.5 * np.sum((y - x) ** 2) / x.shape[0]"),
                               "autoencoder_loss", "入力 x と比べています"),
    "gradient of the loss without 0.5": (_replace("dout = (y - t) / x.shape[0]", "dout = 2 * (y - t) / x.shape[0]"),
                                         "autoencoder_gradient", "2 倍です"),
    "gradient not divided by N": (_replace("dout = (y - t) / x.shape[0]", "dout = y - t"),
                                  "autoencoder_gradient", "N で割っていません"),
    "gradient with the wrong sign": (_replace("dout = (y - t) / x.shape[0]", "dout = (t - y) / x.shape[0]"),
                                     "autoencoder_gradient", "符号が逆"),
    "gradient against the input": (_replace("dout = (y - t) / x.shape[0]", "dout = (y - x) / x.shape[0]"),
                                   "autoencoder_gradient", "入力 x との差"),
    "sigmoid skipped in backward": (_replace("reversed(self.encoder + self.decoder)", "reversed(self.encoder + self.decoder[:-1])"),
                                    "autoencoder_gradient", "シグモイドの逆伝播が抜けています"),
    "gradient keys numbered from the output": (_replace("enumerate(affines, start=1)", "zip(range(4, 0, -1), affines)"),
                                               "autoencoder_gradient", "キーの番号が逆"),
    "gradient without biases": (_replace("            grads[f\"b{k}\"] = layer.db\n", ""),
                                "autoencoder_gradient", "バイアスの勾配"),
    "loss summed over the batch, seen from gradient": (_replace(
        "return 0.5 * np.sum((y - t) ** 2) / x.shape[0]", "return 0.5 * np.sum((y - t) ** 2)").replace(
        "dout = (y - t) / x.shape[0]", "dout = y - t"), "autoencoder_gradient", "N で割っていません"),
    "noise not clipped": (NOISE.replace("np.clip(x + noise, 0.0, 1.0)", "x + noise"), "add_noise_values",
                          "0〜1 の範囲に収めていません"),
    "noise_std used as the variance": (NOISE.replace("rng.normal(0.0, noise_std,", "rng.normal(0.0, noise_std ** 2,"),
                                       "add_noise_values", "分散として使っています"),
    "noise from the global state": (NOISE.replace("rng.normal(", "np.random.normal("), "add_noise_values",
                                    "numpy 全体の乱数"),
    "uniform noise": (NOISE.replace("rng.normal(0.0, noise_std, size=x.shape)",
                                    "rng.uniform(-noise_std, noise_std, size=x.shape)"),
                      "add_noise_values", "一様乱数"),
    "only clipped below": (NOISE.replace("np.clip(x + noise, 0.0, 1.0)", "np.maximum(x + noise, 0.0)"),
                           "add_noise_values", "0 未満だけ"),
    "noise added in place": (NOISE.replace("return np.clip(x + noise, 0.0, 1.0)",
                                           "x += noise\n    np.clip(x, 0.0, 1.0, out=x)\n    return x"),
                             "add_noise_values", "書き換えられています"),
}

STUB_NET = """
class Autoencoder:
    def __init__(self, input_size, hidden_size, latent_size, seed=0):
        # ここに解答を書いてください
        raise NotImplementedError()

    def encode(self, x):
        # ここに解答を書いてください
        raise NotImplementedError()

    def decode(self, z):
        # ここに解答を書いてください
        raise NotImplementedError()

    def forward(self, x):
        # ここに解答を書いてください
        raise NotImplementedError()

    def loss(self, x, t):
        # ここに解答を書いてください
        raise NotImplementedError()

    def gradient(self, x, t):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUB_NOISE = """
def add_noise(x, rng, noise_std=0.3):
    # ここに解答を書いてください
    raise NotImplementedError()
"""
STUBS = {**{cell: STUB_NET for cell in NET_CELLS}, "add_noise_values": STUB_NOISE}


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


# --------------------------------------------------------------------------- gradients
def _answer_class():
    cells = json.loads((REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]
    ns = {"np": np}
    exec("from course.layers import Affine, Relu, Sigmoid", ns)
    exec("".join(next(c for c in cells if c["id"] == "Autoencoder")["source"]), ns)
    return ns["Autoencoder"]


@pytest.mark.parametrize("which", ["answer", "reference", "by hand"])
def test_gradient_matches_numerical_gradients(which):
    """x and t differ (a denoising step); the weights are scaled so that ReLU cuts and the sigmoid bends."""
    if which == "answer":
        cls = _answer_class()
    elif which == "reference":
        from course.autoencoder import Autoencoder as cls
    else:
        ns = {"np": np}
        exec(BY_HAND, ns)
        cls = ns["Autoencoder"]
    rng = np.random.default_rng(81)
    net = cls(7, 5, 3, seed=2)
    for key, value in net.params.items():
        value[...] = rng.normal(size=value.shape) * (0.3 if key.startswith("b") else 0.8)
    x, t = rng.uniform(size=(4, 7)), rng.uniform(size=(4, 7))
    verdict = check_gradients(lambda: net.loss(x, t), net.params, net.gradient(x, t))
    assert verdict.passed, verdict.message


def test_the_notebook_gradient_check_cell_passes_with_the_answer():
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]}
    ns = {"__name__": "__main__"}
    for cell_id in ["8-1-autoencoder-imports", "Autoencoder", "8-1-autoencoder-gradient-check"]:
        exec(compile(cells[cell_id], cell_id, "exec"), ns)
    assert ns["verdict"].passed, ns["verdict"].message


# --------------------------------------------------------------------------- the recorded runs
@pytest.fixture(scope="module")
def record():
    return load_record("day8_autoencoder_mnist")


def test_record_settings_and_size(record):
    assert int(record["epochs"]) == 10 and int(record["train_size"]) == 60000 and int(record["test_size"]) == 10000
    assert (REPO / "course" / "data" / "day8_autoencoder_mnist.npz").stat().st_size < 2_000_000
    for name, z in [("ae2", 2), ("ae32", 32), ("dae32", 32)]:
        assert int(record[f"{name}_latent_size"]) == z
        assert record[f"{name}_train_loss"].shape == record[f"{name}_test_loss"].shape == (10,)
        assert np.all(np.isfinite(record[f"{name}_test_loss"]))


def test_record_claims_of_the_notebook(record):
    ae2, ae32 = record["ae2_test_loss"], record["ae32_test_loss"]
    # the loss goes down; Z = 32 reconstructs far better than Z = 2; train and test stay close
    assert ae2[-1] < ae2[0] and ae32[-1] < ae32[0]
    assert ae32[-1] < 0.5 * ae2[-1]
    for name in ["ae2", "ae32"]:
        assert abs(record[f"{name}_train_loss"][-1] - record[f"{name}_test_loss"][-1]) < 0.1 * record[f"{name}_test_loss"][-1]
    # the denoising autoencoder beats the plain one on noisy inputs, and both beat the noisy input itself
    noisy, plain, denoising = (float(record[k]) for k in ("noisy_input_loss", "ae32_noisy_test_loss",
                                                          "dae32_noisy_test_loss"))
    assert denoising < 0.8 * plain and denoising < 0.5 * noisy


def test_record_latent_space_groups_the_digits(record):
    """The 2-D codes of a digit lie together: a nearest-centroid rule on the codes (labels never used in
    training) is right far more often than chance; 0 and 1 lie apart."""
    codes, labels = record["latent_codes"].astype(float), record["latent_labels"]
    assert codes.shape == (5000, 2) and labels.shape == (5000,)
    centroids = np.array([codes[labels == d].mean(axis=0) for d in range(10)])
    nearest = np.argmin(((codes[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == labels) > 0.4
    spread = np.sqrt(((codes - codes.mean(axis=0)) ** 2).sum(axis=1)).mean()
    assert np.linalg.norm(centroids[0] - centroids[1]) > spread
    assert record["grid_images"].shape == (15, 15, 784) and record["grid_images"].dtype == np.uint8
    assert np.all(np.diff(record["grid_z1"]) > 0) and np.all(np.diff(record["grid_z2"]) < 0)


def test_record_examples_are_the_first_test_image_of_each_digit(record):
    from course.datasets import load_mnist

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    index = record["example_index"]
    np.testing.assert_array_equal(t_test[index], np.arange(10))
    np.testing.assert_array_equal(record["examples"], np.rint(x_test[index] * 255).astype(np.uint8))


def test_recorded_run_is_reproduced_by_its_script(tmp_path):
    """A short run of the script (300 images, one epoch) writes the same keys and the same example images."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day8_autoencoder.py"), "--epochs", "1",
                    "--train-size", "300", "--out-dir", str(tmp_path)], check=True, capture_output=True, cwd=REPO)
    with np.load(tmp_path / "day8_autoencoder_mnist.npz", allow_pickle=False) as short:
        record = load_record("day8_autoencoder_mnist")
        assert set(short.files) == set(record)
        np.testing.assert_array_equal(short["noisy_examples"], record["noisy_examples"])
        assert int(short["epochs"]) == 1 and int(short["train_size"]) == 300
