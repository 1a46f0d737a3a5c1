"""course.katakana: the student side of the capstone (data, splits, model files, scoring rules,
self-check, packing), which the server's scorer shares."""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pytest

from course import katakana as kk


def test_training_data():
    x, t = kk.load_katakana()
    assert x.shape == (3000, 28, 28) and x.dtype == np.uint8 and t.dtype == np.int64
    assert np.bincount(t).tolist() == [200] * 15
    xf, _ = kk.load_katakana(normalize=True, flatten=True)
    assert xf.shape == (3000, 784) and xf.dtype == np.float32 and 0 <= xf.min() and xf.max() <= 1
    original = int(x[0, 0, 0])
    x[0, 0, 0] = original ^ 1  # a caller changing its copy does not change the next load
    assert kk.load_katakana()[0][0, 0, 0] == original


def test_missing_training_file_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_KATAKANA_TRAIN", str(tmp_path / "nope.npz"))
    with pytest.raises(kk.KatakanaDataError, match="nope.npz"):
        kk.load_katakana()


def test_holdout_split_is_stratified_and_fixed():
    x, t = kk.load_katakana()
    a = kk.holdout_split(x, t)
    b = kk.holdout_split(x, t)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    x_train, t_train, x_val, t_val = a
    assert len(t_val) == 600 and np.bincount(t_val).tolist() == [40] * 15
    assert len(t_train) == 2400
    train_keys = {img.tobytes() for img in x_train}
    assert not any(img.tobytes() in train_keys for img in x_val)
    assert not np.array_equal(kk.holdout_split(x, t, seed=1)[2], x_val)
    with pytest.raises(ValueError):
        kk.holdout_split(x, t, fraction=1.5)


def test_kfold_covers_everything_once():
    _, t = kk.load_katakana()
    folds = kk.kfold_indices(t, 5)
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(3000))
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == 3000
        assert np.bincount(t[val]).tolist() == [40] * 15


def test_model_round_trip_and_shape_checks(tmp_path):
    params = {"W1": np.ones((784, 10), np.float32), "b1": np.zeros(10)}
    path = kk.save_model(tmp_path / "model.npz", params, architecture="fc 784-10")
    loaded = kk.load_model(path, expected_shapes={"W1": (784, 10), "b1": (10,)})
    assert loaded["__architecture__"] == "fc 784-10"
    assert np.array_equal(loaded["W1"], params["W1"]) and loaded["W1"].dtype == np.float32
    with pytest.raises(kk.ModelFileError, match=r"W1 の形状が \(784, 100\) ではなく \(784, 10\)"):
        kk.load_model(path, expected_shapes={"W1": (784, 100)})
    with pytest.raises(kk.ModelFileError, match="W2 がありません"):
        kk.load_model(path, expected_shapes={"W2": (10, 15)})
    with pytest.raises(kk.ModelFileNotFoundError) as missing:
        kk.load_model(tmp_path / "other.npz")
    assert missing.value.kind == "missing" and isinstance(missing.value, FileNotFoundError)


@pytest.mark.parametrize("content, words", [
    (b"\x80\x04K\x01.", ".npz として読めません"),
    (b"", ".npz として読めません"),
])
def test_unreadable_model_files(tmp_path, content, words):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(kk.ModelFileError, match=words):
        kk.load_model(path)


def test_object_arrays_and_foreign_npz_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, W1=np.zeros(3))
    with pytest.raises(kk.ModelFileError, match="genba-dl-model/1"):
        kk.load_model(plain)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __format__=np.array(kk.MODEL_FORMAT), W1=np.array([{"a": 1}], dtype=object))
    with pytest.raises(kk.ModelFileError):
        kk.load_model(pickled)
    with pytest.raises(kk.ModelFileError, match="パラメータ名"):
        kk.save_model(tmp_path / "m.npz", {"../W": np.zeros(2)})
    with pytest.raises(kk.ModelFileError, match=".npz"):
        kk.save_model(tmp_path / "m.pkl", {"W1": np.zeros(2)})


def _uniform(n):
    return np.full((n, 15), 1 / 15)


@pytest.mark.parametrize("value, kind", [
    ([[1 / 15] * 15], "type"),
    (np.full((1, 10), 0.1), "shape"),
    (np.full((2, 15), 1 / 15), "shape"),
    (np.ones((1, 15), dtype=int), "dtype"),
    (np.full((1, 15), np.nan), "not_finite"),
    (np.full((1, 15), np.inf), "not_finite"),
    (np.full((1, 15), 0.5), "not_probability"),
    (np.r_[[-0.5, 1.5], np.zeros(13)].reshape(1, 15), "not_probability"),
])
def test_probability_rules(value, kind):
    with pytest.raises(kk.PredictionError) as info:
        kk.check_probabilities(value, 1)
    assert info.value.kind == kind
    assert any("\u3040" <= ch <= "\u30ff" for ch in str(info.value))


def test_probability_rules_accept_float32_within_tolerance():
    p = np.full((3, 15), 1 / 15, dtype=np.float32)
    p[0, 0] += 5e-4
    out = kk.check_probabilities(p, 3)
    assert out.dtype == np.float64


def test_score_predictions_by_hand():
    t = np.array([0, 0, 1, 2])
    p = np.zeros((4, 15))
    p[0, 0], p[1, 1], p[2, 1], p[3, 3] = 1.0, 1.0, 1.0, 1.0
    scores = kk.score_predictions(p, t)
    assert scores["correct"] == 2 and scores["accuracy"] == 0.5
    # -log(1) twice, -log(eps) twice
    assert scores["loss"] == pytest.approx(-np.log(kk.LOSS_EPSILON) / 2)
    assert scores["per_class_accuracy"][:3] == [0.5, 1.0, 0.0] and scores["per_class_accuracy"][3] is None
    assert scores["confusion"][0][:2] == [1, 1] and scores["confusion"][2][3] == 1
    text = kk.format_scores(scores)
    assert "50.00 %" in text and "ア→イ 1 枚" in text


def test_uniform_probabilities_have_loss_log15():
    t = np.arange(15)
    scores = kk.score_predictions(_uniform(15), t)
    assert scores["loss"] == pytest.approx(np.log(15))


def test_self_check_scores_the_holdout(capsys, monkeypatch):
    x, t = kk.load_katakana()
    _, _, x_val, t_val = kk.holdout_split(x, t)
    table = {img.tobytes(): label for img, label in zip(x_val, t_val)}

    def oracle(images):
        p = np.zeros((len(images), 15))
        p[np.arange(len(images)), [table[img.tobytes()] for img in images]] = 1
        return p

    result = kk.self_check(oracle)
    assert result.ok and result["accuracy"] == 1.0 and result["n"] == 600
    out = capsys.readouterr().out
    assert "自己チェック" in out and out.strip().splitlines()[-1] == "提出できます ✔"
    failed = kk.self_check(lambda images: np.zeros((len(images), 15)))
    assert not failed.ok and failed.scores is None
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("直してください ✘ 採点できません")
    monkeypatch.setenv(kk.SCORING_ENV, "1")
    assert kk.self_check(oracle) is None


def test_submission_zip_is_deterministic_and_clean(tmp_path):
    folder = tmp_path / "sub"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / "submit_katakana.ipynb").write_text("{}")
    kk.save_model(folder / "model.npz", {"W1": np.zeros((2, 2))})
    (folder / "net.py").write_text("x = 1\n")
    (folder / ".ipynb_checkpoints" / "submit_katakana-checkpoint.ipynb").write_text("{}")
    (folder / ".hidden").write_text("secret")
    first = kk.make_submission_zip(folder, tmp_path / "a.zip", check=False)
    second = kk.make_submission_zip(folder, folder / "submission.zip", check=False)
    third = kk.make_submission_zip(folder, folder / "submission.zip", check=False)  # its own output is left out
    digest = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second, third)}
    assert len(digest) == 1
    assert zipfile.ZipFile(first).namelist() == ["model.npz", "net.py", "submit_katakana.ipynb"]


def test_submission_zip_needs_the_notebook(tmp_path):
    with pytest.raises(kk.SubmissionPackError, match="submit_katakana.ipynb"):
        kk.make_submission_zip(tmp_path, tmp_path / "s.zip")
