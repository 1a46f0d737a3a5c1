"""The capstone self-check: one verdict line, and a Japanese diagnosis of the usual mistakes
(no / 255, scores instead of probabilities, the wrong input shape, over-confident predictions)
before they cost a submission."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.capstone.samples import SOFTMAX_REGRESSION, softmax_regression
from course import katakana as kk
from course.networks import ConvNet, network_from_architecture


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A softmax-regression model trained on / 255 inputs, saved with the record of its inputs."""
    folder = tmp_path_factory.mktemp("model")
    x, t = kk.load_katakana(normalize=True, flatten=True)
    x_train, _, _, _ = kk.holdout_split(x, t)
    path = kk.save_model(folder / "model.npz", softmax_regression(), architecture=SOFTMAX_REGRESSION, inputs=x_train)
    unrecorded = kk.save_model(folder / "old.npz", softmax_regression(), architecture=SOFTMAX_REGRESSION)
    network = network_from_architecture(SOFTMAX_REGRESSION, dtype=np.float32)
    network.load_params(kk.load_model(path, expected_shapes=network.param_shapes()))
    return path, unrecorded, network


def preprocess(images):
    x = np.asarray(images, dtype=np.float32) / 255.0
    return x.reshape(len(x), 1, 28, 28)


def preprocess_without_255(images):
    return np.asarray(images, dtype=np.float32).reshape(len(images), 1, 28, 28)


def _last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_a_correct_submission_is_ready(trained, capsys):
    path, _, network = trained
    result = kk.self_check(lambda im: network.predict_proba(preprocess(im)), preprocess=preprocess, network=network,
                           model_file=path)
    assert result.ok and not result.problems and not result.warnings
    assert result["n"] == 600 and result["accuracy"] > 0.85
    assert _last_line(capsys) == "提出できます ✔"


def test_forgetting_255_is_caught_against_the_recorded_inputs(trained, capsys):
    path, _, network = trained
    result = kk.self_check(lambda im: network.predict_proba(preprocess_without_255(im)),
                           preprocess=preprocess_without_255, network=network, model_file=path)
    assert not result.ok
    last = _last_line(capsys)
    assert last.startswith("直してください ✘") and "255 で割り忘れていませんか" in last
    assert "学習したときの入力" in last


def test_without_a_record_the_range_is_a_warning(trained, capsys):
    _, unrecorded, network = trained
    result = kk.self_check(lambda im: network.predict_proba(preprocess_without_255(im)),
                           preprocess=preprocess_without_255, network=network, model_file=unrecorded)
    assert result.ok and any("0〜1 の範囲ではありません" in w for w in result.warnings)
    out = capsys.readouterr().out
    assert "⚠ preprocess の出力が 0〜1 の範囲ではありません" in out
    assert out.strip().splitlines()[-1].startswith("提出できます ✔（ただし注意が")


def test_scores_instead_of_probabilities(trained, capsys):
    path, _, network = trained
    result = kk.self_check(lambda im: network.predict(preprocess(im)), preprocess=preprocess, network=network,
                           model_file=path)
    assert not result.ok and result.scores is None
    last = _last_line(capsys)
    assert last.startswith("直してください ✘ 採点できません") and "確率" in last


def test_flat_input_to_a_cnn_names_the_expected_shape(capsys):
    network = ConvNet(seed=0, dtype=np.float32)

    def flat(images):
        return np.asarray(images, dtype=np.float32).reshape(len(images), 784) / 255

    result = kk.self_check(lambda im: network.predict_proba(flat(im)), preprocess=flat, network=network)
    assert not result.ok
    assert "ネットワーク（ConvNet）の入力は形状 (N, 1, 28, 28) ですが、preprocess は画像 2 枚に対して (2, 784)" in _last_line(capsys)


def test_a_raw_error_gets_a_hint_instead_of_a_traceback(capsys):
    network = ConvNet(seed=0, dtype=np.float32)

    def flat(images):
        return np.asarray(images, dtype=np.float32).reshape(len(images), 784) / 255

    result = kk.self_check(lambda im: network.predict_proba(flat(im)))  # no preprocess given: the error itself
    assert not result.ok
    last = _last_line(capsys)
    assert "not enough values to unpack (expected 4, got 2)" in last and "(N, 1, 28, 28)" in last


@pytest.mark.parametrize("text, words", [
    ("ValueError: not enough values to unpack (expected 4, got 3)", "チャンネルの次元"),
    ("ValueError: shapes (500,1568) and (784,100) not aligned: 1568 (dim 1) != 784 (dim 0)", "784 = 28×28"),
    ("NameError: name 'network_from_architecture' is not defined", "network_from_architecture が定義されていません"),
    ("ModuleNotFoundError: No module named 'my_net'", "my_net"),
    ("NotImplementedError: ", "まだ書かれていない"),
])
def test_explain_error(text, words):
    assert words in kk.explain_error(text)
    assert kk.explain_error("KeyError: 'x'") is None


def test_calibration_flags_confident_mistakes_only():
    t = np.arange(600) % 15
    honest = np.full((600, 15), 0.01 / 14)
    honest[np.arange(600), t] = 0.99
    assert kk.check_calibration(honest, t) == []
    overconfident = np.zeros((600, 15))
    predicted = t.copy()
    predicted[:12] = (t[:12] + 1) % 15  # 12 of 600 wrong (98 % accuracy), all with probability 1
    overconfident[np.arange(600), predicted] = 1.0
    [warning] = kk.check_calibration(overconfident, t)
    assert "自信過剰" in warning and "12 枚が不正解" in warning
    unsure = np.full((600, 15), 1 / 15)
    assert kk.check_calibration(unsure, t) == []


def test_forgetting_255_also_shows_as_overconfidence(trained):
    _, _, network = trained
    x, t = kk.load_katakana()
    _, _, x_val, t_val = kk.holdout_split(x, t)
    right = network.predict_proba(preprocess(x_val))
    wrong = network.predict_proba(preprocess_without_255(x_val))
    assert kk.check_calibration(right, t_val) == []
    assert kk.check_calibration(wrong, t_val)


def test_model_file_records_the_training_inputs(tmp_path):
    x = np.linspace(0, 1, 100, dtype=np.float32)
    path = kk.save_model(tmp_path / "m.npz", {"W1": np.ones((2, 2))}, architecture="a", inputs=x)
    loaded = kk.load_model(path, expected_shapes={"W1": (2, 2)})
    np.testing.assert_allclose(loaded["__inputs__"], [0, 1, 0.5, x.astype(np.float64).std()], rtol=1e-6)
    assert set(loaded) == {"W1", "__architecture__", "__inputs__"}
    plain = kk.load_model(kk.save_model(tmp_path / "p.npz", {"W1": np.ones((2, 2))}))
    assert "__inputs__" not in plain


def test_self_check_is_skipped_while_scoring(monkeypatch, capsys):
    monkeypatch.setenv(kk.SCORING_ENV, "1")
    assert kk.self_check(lambda im: np.full((len(im), 15), 1 / 15)) is None
    assert "省略" in capsys.readouterr().out
