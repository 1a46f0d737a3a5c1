"""The checks of 8_2_vae: right answers pass, typical mistakes fail with a hint (in the grader and in the
notebook's self-check: the judge_code fixture proves both); the KL gradients, the reparameterisation's
gradients and the whole reference VAE agree with numerical gradients; the recorded MNIST run
(scripts/record_day8_vae.py) holds what the notebook says."""

import json
import subprocess
import sys

import numpy as np
import pytest

from course.gradient_check import check_gradients
from course.records import load_record
from tests.conftest import REPO

NB = "8_2_vae"

REPARAMETERIZE = """
def reparameterize(mu, log_var, rng):
    eps = rng.standard_normal(mu.shape)
    sigma = np.exp(0.5 * log_var)
    return mu + sigma * eps
"""
REPARAMETERIZE_OTHER = """
def reparameterize(mu, log_var, rng):
    eps = rng.normal(0.0, 1.0, size=mu.shape)
    return mu + np.sqrt(np.exp(log_var)) * eps
"""
REPARAMETERIZE_ROWS = """
def reparameterize(mu, log_var, rng):
    z = np.empty_like(mu)
    for n in range(mu.shape[0]):
        z[n] = mu[n] + np.exp(log_var[n] / 2) * rng.standard_normal(mu.shape[1])
    return z
"""
KL = """
def kl_divergence(mu, log_var):
    N = mu.shape[0]
    return -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / N
"""
KL_OTHER = """
def kl_divergence(mu, log_var):
    per_sample = 0.5 * np.sum(mu * mu + np.exp(log_var) - log_var - 1, axis=1)
    return float(per_sample.mean())
"""
KL_BACKWARD = """
def kl_divergence_backward(mu, log_var):
    N = mu.shape[0]
    dmu = mu / N
    dlog_var = 0.5 * (np.exp(log_var) - 1) / N
    return dmu, dlog_var
"""
KL_BACKWARD_OTHER = """
def kl_divergence_backward(mu, log_var):
    n = len(mu)
    return mu * (1.0 / n), (np.exp(log_var) - 1.0) / (2.0 * n)
"""

CORRECT = {
    "reparameterize_values": {"answer": REPARAMETERIZE, "normal and sqrt of the variance": REPARAMETERIZE_OTHER,
                              "row by row from the same generator": REPARAMETERIZE_ROWS},
    "kl_divergence_values": {"answer": KL, "per sample, then the mean": KL_OTHER},
    "kl_divergence_backward_values": {"answer": KL_BACKWARD, "written differently": KL_BACKWARD_OTHER},
}


def _r(old, new, code=REPARAMETERIZE):
    assert old in code, old
    return code.replace(old, new)


def _k(old, new, code=KL):
    assert old in code, old
    return code.replace(old, new)


def _b(old, new, code=KL_BACKWARD):
    assert old in code, old
    return code.replace(old, new)


SUM = "-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var)) / N"
WRONG = {
    "sigma = log_var": (_r("sigma = np.exp(0.5 * log_var)", "sigma = log_var"), "reparameterize_values",
                        "log_var をそのまま標準偏差"),
    "variance instead of std": (_r("sigma = np.exp(0.5 * log_var)", "sigma = np.exp(log_var)"),
                                "reparameterize_values", "分散 σ² = np.exp(log_var)"),
    "0.5 outside the exp": (_r("sigma = np.exp(0.5 * log_var)", "sigma = 0.5 * np.exp(log_var)"),
                            "reparameterize_values", "0.5 を掛ける場所"),
    "1 / sigma": (_r("sigma = np.exp(0.5 * log_var)", "sigma = np.exp(-0.5 * log_var)"), "reparameterize_values",
                  "σ の符号が逆"),
    "one eps shared by all rows": (_r("rng.standard_normal(mu.shape)", "rng.standard_normal(mu.shape[1])"),
                                   "reparameterize_values", "すべての行"),
    "eps from the global state": (_r("rng.standard_normal(mu.shape)", "np.random.randn(*mu.shape)"),
                                  "reparameterize_values", "numpy 全体の乱数"),
    "eps drawn transposed": (_r("rng.standard_normal(mu.shape)", "rng.standard_normal(mu.shape[::-1]).T"),
                             "reparameterize_values", "転置"),
    "reparameterize writes into mu": (_r("return mu + sigma * eps", "mu += sigma * eps\n    return mu"),
                                      "reparameterize_values", "書き換えられています"),
    "KL with the wrong sign": (_k(SUM, SUM[1:]), "kl_divergence_values", "符号が逆"),
    "KL summed over the batch": (_k(SUM, SUM.replace(" / N", "")), "kl_divergence_values", "バッチ全体で和"),
    "KL without 0.5": (_k(SUM, SUM.replace("-0.5 * ", "-")), "kl_divergence_values", "0.5 が掛かっていません"),
    "KL averaged over the latent dimensions too": (_k(SUM, "-0.5 * np.mean(1 + log_var - mu ** 2 - np.exp(log_var))"),
                                                   "kl_divergence_values", "次元 Z についても平均"),
    "KL per sample": (_k(SUM, "-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)"),
                      "kl_divergence_values", "1 行（1 サンプル）ごと"),
    "log_var and exp swapped": (_k(SUM, "-0.5 * np.sum(1 + np.exp(log_var) - mu ** 2 - log_var) / N"),
                                "kl_divergence_values", "入れ替わっています"),
    "gradient with the wrong sign": (_b("dmu = mu / N", "dmu = -mu / N").replace(
        "dlog_var = 0.5 * (np.exp(log_var) - 1) / N", "dlog_var = -0.5 * (np.exp(log_var) - 1) / N"),
        "kl_divergence_backward_values", "勾配の符号が逆"),
    "gradient summed over the batch": (_b("N = mu.shape[0]", "N = 1"), "kl_divergence_backward_values",
                                       "N で割っていません"),
    "dlog_var without 0.5": (_b("dlog_var = 0.5 * (np.exp(log_var) - 1) / N", "dlog_var = (np.exp(log_var) - 1) / N"),
                             "kl_divergence_backward_values", "dlog_var に 0.5 が掛かっていません"),
    "gradient of the KL without 0.5": (_b("dmu = mu / N", "dmu = 2 * mu / N").replace(
        "dlog_var = 0.5 * (np.exp(log_var) - 1) / N", "dlog_var = (np.exp(log_var) - 1) / N"),
        "kl_divergence_backward_values", "勾配が 2 倍"),
    "dlog_var without the -1": (_b("(np.exp(log_var) - 1)", "np.exp(log_var)"), "kl_divergence_backward_values",
                                "-1 が抜けています"),
    "dlog_var sign only": (_b("(np.exp(log_var) - 1)", "(1 - np.exp(log_var))"), "kl_divergence_backward_values",
                           "dlog_var の符号だけ"),
    "divided by N * Z": (_b("N = mu.shape[0]", "N = mu.size"), "kl_divergence_backward_values", "N × Z"),
    "returned in the wrong order": (_b("return dmu, dlog_var", "return dlog_var, dmu"),
                                    "kl_divergence_backward_values", "順番が逆"),
}

STUBS = {
    "reparameterize_values": "def reparameterize(mu, log_var, rng):\n    # ここに解答を書いてください\n    raise NotImplementedError()\n",
    "kl_divergence_values": "def kl_divergence(mu, log_var):\n    # ここに解答を書いてください\n    raise NotImplementedError()\n",
    "kl_divergence_backward_values": ("def kl_divergence_backward(mu, log_var):\n    # ここに解答を書いてください\n"
                                      "    raise NotImplementedError()\n"),
}


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
def _cells():
    return {c["id"]: "".join(c["source"]) for c in json.loads(
        (REPO / "source" / "day8" / f"{NB}.ipynb").read_text(encoding="utf-8"))["cells"]}


def _answers():
    ns = {"np": np}
    cells = _cells()
    for cell_id in ["reparameterize", "kl_divergence", "kl_divergence_backward"]:
        exec(cells[cell_id], ns)
    return ns


@pytest.mark.parametrize("which", ["answer", "reference"])
def test_kl_gradient_matches_numerical_gradients(which):
    if which == "answer":
        ns = _answers()
        kl, backward = ns["kl_divergence"], ns["kl_divergence_backward"]
    else:
        from course.vae import kl_divergence as kl
        from course.vae import kl_divergence_backward as backward
    rng = np.random.default_rng(82)
    mu, log_var = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) * 1.5
    dmu, dlog_var = backward(mu, log_var)
    verdict = check_gradients(lambda: kl(mu, log_var), {"mu": mu, "log_var": log_var}, {"mu": dmu, "log_var": dlog_var})
    assert verdict.passed, verdict.message


def test_the_notebook_gradient_check_cells_pass_with_the_answers():
    cells = _cells()
    ns = {"__name__": "__main__"}
    for cell_id in ["8-2-vae-imports", "reparameterize", "kl_divergence", "kl_divergence_backward",
                    "8-2-vae-reparameterize-gradient"]:
        exec(compile(cells[cell_id], cell_id, "exec"), ns)
    assert ns["verdict"].passed, ns["verdict"].message
    exec(compile(cells["8-2-vae-kl-gradient"], "kl-gradient", "exec"), ns)
    assert ns["verdict"].passed, ns["verdict"].message


def test_reference_vae_gradient_matches_numerical_gradients():
    """The whole VAE (reconstruction through the reparameterisation, plus the KL term) with fixed eps."""
    from course.vae import VAE

    net = VAE(7, 5, 3, seed=1)
    rng = np.random.default_rng(3)
    for key, value in net.params.items():
        value[...] = rng.normal(size=value.shape) * (0.3 if key.startswith("b") else 0.7)
    x = rng.uniform(size=(4, 7))
    grads = net.gradient(x, np.random.default_rng(5))
    verdict = check_gradients(lambda: net.loss(x, np.random.default_rng(5)), net.params, grads)
    assert verdict.passed, verdict.message


def test_reference_reparameterize_draws_as_the_prose_says():
    from course.vae import reparameterize

    mu, log_var = np.array([[1.0, -2.0], [0.5, 0.0]]), np.log(np.array([[4.0, 0.25], [1.0, 9.0]]))
    eps = np.random.default_rng(4).standard_normal((2, 2))
    np.testing.assert_allclose(reparameterize(mu, log_var, np.random.default_rng(4)),
                               mu + np.array([[2.0, 0.5], [1.0, 3.0]]) * eps)


# --------------------------------------------------------------------------- the recorded run
@pytest.fixture(scope="module")
def record():
    return load_record("day8_vae_mnist")


def test_record_settings(record):
    assert int(record["epochs"]) == 10 and int(record["train_size"]) == 60000 and int(record["test_size"]) == 10000
    assert int(record["latent_size"]) == 8
    assert (REPO / "course" / "data" / "day8_vae_mnist.npz").stat().st_size < 2_000_000
    for key in ("train_loss", "train_reconstruction", "train_kl", "test_loss", "test_reconstruction", "test_kl"):
        assert record[key].shape == (10,) and np.all(np.isfinite(record[key]))
    np.testing.assert_allclose(record["test_loss"], record["test_reconstruction"] + record["test_kl"])


def test_record_claims_of_the_notebook(record):
    """The reconstruction error keeps falling; the KL term stays around 15 (between 12 and 18) in every epoch;
    the final test loss (about 119) with a margin; train and test close (no overfitting)."""
    rec = record["train_reconstruction"]
    assert np.all(np.diff(rec) < 0)
    assert record["test_reconstruction"][-1] < 0.85 * record["test_reconstruction"][0]
    assert np.all((record["train_kl"] > 12) & (record["train_kl"] < 18))
    assert np.all((record["test_kl"] > 12) & (record["test_kl"] < 18))
    assert 110 < record["test_loss"][-1] < 125
    assert abs(record["train_loss"][-1] - record["test_loss"][-1]) < 5


def test_record_pictures(record):
    assert record["samples"].shape == (100, 784) and record["samples"].dtype == np.uint8
    assert record["interpolations"].shape == (5, 10, 784) and record["pair_images"].shape == (5, 2, 784)
    np.testing.assert_allclose(record["alphas"], np.linspace(0, 1, 10))
    # generated images are digit-like: dark background, some ink, not all the same
    samples = record["samples"].astype(float) / 255
    assert samples[:, :28].mean() < 0.05 and 0.05 < samples.mean() < 0.3
    assert samples.std(axis=0).mean() > 0.05
    # the ends of each interpolation resemble the two originals more than each other
    for path, (a, b) in zip(record["interpolations"].astype(float), record["pair_images"].astype(float)):
        assert np.sum((path[0] - a) ** 2) < np.sum((path[0] - b) ** 2)
        assert np.sum((path[-1] - b) ** 2) < np.sum((path[-1] - a) ** 2)


def test_recorded_run_is_reproduced_by_its_script(tmp_path):
    """A short run of the script (300 images, one epoch) writes the same keys and pairs of test images."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "record_day8_vae.py"), "--epochs", "1",
                    "--train-size", "300", "--out-dir", str(tmp_path)], check=True, capture_output=True, cwd=REPO)
    with np.load(tmp_path / "day8_vae_mnist.npz", allow_pickle=False) as short:
        record = load_record("day8_vae_mnist")
        assert set(short.files) == set(record)
        np.testing.assert_array_equal(short["pair_images"], record["pair_images"])
        assert int(short["epochs"]) == 1 and int(short["train_size"]) == 300
