"""The zip step refuses what the scorer would reject or fail (unfilled, unsaved, misnamed,
missing model, missing import, errors in a fresh run) and says what it put in the zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.capstone.samples import model_bytes, softmax_regression
from course import katakana as kk

from .capstone_support import RELEASE, notebook, with_cell

PREDICT = "def predict_proba(images):"
IMPORTS = "from course.networks import network_from_architecture"


@pytest.fixture(scope="module")
def model() -> bytes:
    return model_bytes(softmax_regression(steps=20))


def folder_with(tmp_path: Path, nb, model: bytes | None, *, name: str = kk.NOTEBOOK_NAME, model_name: str = "model.npz") -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / name).write_text(nbformat.writes(nb), encoding="utf-8")
    if model is not None:
        (folder / model_name).write_bytes(model)
    return folder


def refused(folder: Path) -> str:
    with pytest.raises(kk.SubmissionPackError) as info:
        kk.make_submission_zip(folder, folder / "submission.zip")
    assert not (folder / "submission.zip").exists()
    return str(info.value)


def test_a_filled_in_folder_is_zipped_and_listed(tmp_path, model, capsys):
    folder = folder_with(tmp_path, notebook("answer"), model)
    (folder / "notes.py").write_text("x = 1\n")
    path = kk.make_submission_zip(folder, folder / "submission.zip")
    assert zipfile.ZipFile(path).namelist() == ["model.npz", "notes.py", "submit_katakana.ipynb"]
    out = capsys.readouterr().out
    assert "submission.zip を作りました（3 ファイル" in out
    for name in ("model.npz", "notes.py", "submit_katakana.ipynb"):
        assert f"  {name}" in out


def test_the_untouched_fill_in_is_refused(tmp_path, model):
    message = refused(folder_with(tmp_path, nbformat.read(RELEASE / kk.NOTEBOOK_NAME, as_version=4), model))
    assert message.count("まだ書かれていません") == 3


@pytest.mark.parametrize("name", ["submit_katakana_trainee.ipynb", "submit_katakana (1).ipynb", "Untitled.ipynb"])
def test_a_misnamed_notebook_is_named_as_the_cause(tmp_path, model, name):
    message = refused(folder_with(tmp_path, notebook("answer"), model, name=name))
    assert name in message and "名前を submit_katakana.ipynb に変えてください" in message
    assert "同じフォルダで実行" not in message


def test_the_running_notebook_must_have_the_submission_name(tmp_path, model, monkeypatch):
    folder = folder_with(tmp_path, notebook("answer"), model)
    (folder / "submit_katakana-Copy1.ipynb").write_text(nbformat.writes(notebook("answer")), encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(folder / "submit_katakana-Copy1.ipynb"))
    message = refused(folder)
    assert "このノートブックの名前は submit_katakana-Copy1.ipynb です" in message


@pytest.mark.parametrize("model_name", ["Model.npz", "my_model.npz"])
def test_a_missing_or_misnamed_model_is_refused(tmp_path, model, model_name):
    message = refused(folder_with(tmp_path, notebook("answer"), model, model_name=model_name))
    assert "モデルファイル model.npz" in message and model_name in message


def test_no_model_at_all_is_refused(tmp_path):
    assert "モデルファイル model.npz" in refused(folder_with(tmp_path, notebook("answer"), None))


def test_an_invalid_model_is_refused(tmp_path):
    assert ".npz として読めません" in refused(folder_with(tmp_path, notebook("answer"), b"not a zip"))


def test_a_missing_import_is_named(tmp_path, model):
    nb = with_cell(notebook("answer"), "import numpy as np\n\nfrom course.katakana import load_model, make_submission_zip, self_check",
                   replace=IMPORTS)
    message = refused(folder_with(tmp_path, nb, model))
    assert "network_from_architecture がどのセルでも import・定義されていません" in message


def test_an_import_only_in_a_skipped_cell_is_named(tmp_path, model):
    nb = with_cell(notebook("answer"), "import numpy as np\n\nfrom course.katakana import load_model, make_submission_zip, self_check",
                   replace=IMPORTS)
    for cell in nb.cells:
        if "self_check(" in cell.source and "grading-skip" in cell.metadata.get("tags", []):
            cell.source = IMPORTS + "\n" + cell.source
    message = refused(folder_with(tmp_path, nb, model))
    assert "network_from_architecture が自己チェックなど採点サーバーで実行しないセル（grading-skip）でしか" in message


def test_an_error_in_a_fresh_run_is_refused_with_a_hint(tmp_path, model):
    nb = with_cell(notebook("answer"), PREDICT + "\n    return network.predict(preprocess(images))\n", replace=PREDICT)
    message = refused(folder_with(tmp_path, nb, model))
    assert "新しいカーネルで上から実行すると" in message and "確率" in message


def test_a_name_left_over_from_the_session_fails_the_fresh_run(tmp_path, model):
    nb = with_cell(notebook("answer"), PREDICT + "\n    return helper(preprocess(images))\n\n\nhelper = globals()['network'].predict_proba\n",
                   replace=PREDICT)
    for cell in nb.cells:
        if "network_from_architecture(" in cell.source:
            cell.source = cell.source.replace("saved = load_model", "del network_from_architecture\nsaved = load_model")
    message = refused(folder_with(tmp_path, nb, model))
    assert "2 番目のコードセル" in message or "3 番目のコードセル" in message


def test_unsaved_cells_are_found_from_the_kernel_history():
    cells = [(1, "import numpy as np", False), (2, "def preprocess(images):\n    return images / 255", False),
             (3, "scores = 1", True)]
    assert kk.unsaved_cells(cells, ["import numpy as np", "def preprocess(images):\n    return images / 255"]) == []
    edited = kk.unsaved_cells(cells, ["import numpy as np", "def preprocess(images):\n    return images / 255",
                                      "def preprocess(images):\n    return images / 255.0"])
    assert edited == ["2 番目のコードセル（preprocess）: ファイルに保存されている内容と、最後に実行した内容が違います"]
    assert kk.unsaved_cells(cells, ["import numpy as np"]) == ["2 番目のコードセル（preprocess）がまだ実行されていません"]


def test_an_unsaved_notebook_is_refused_in_a_real_kernel(tmp_path, model):
    """The kernel ran an edited preprocess that was never saved: the file on disk is older."""
    from nbclient import NotebookClient

    saved = notebook("answer")
    folder = folder_with(tmp_path, saved, model)
    edited = with_cell(saved, "def preprocess(images):\n    x = np.asarray(images, dtype=np.float32) / 255.0\n"
                              "    return x.reshape(len(x), 784)", replace="def preprocess")
    for cell in edited.cells:
        if "make_submission_zip(" in cell.source:
            cell.source = ("try:\n    make_submission_zip('.', 'submission.zip')\nexcept Exception as exc:\n"
                           "    print('REFUSED', exc)\n")
    NotebookClient(edited, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    out = "".join(o.get("text", "") for c in edited.cells if c.cell_type == "code" for o in c.outputs)
    assert "REFUSED" in out and "（preprocess）: ファイルに保存されている内容と、最後に実行した内容が違います" in out
    assert not (folder / "submission.zip").exists()


def test_missing_names_are_read_but_never_bound():
    cells = [(1, "import numpy as np\nfrom course.katakana import load_model", False),
             (2, "def predict_proba(images):\n    return [softmax(z) for z in net(images)]", False),
             (3, "from course.functions import softmax", True)]
    assert kk.missing_names(cells) == {"net": False, "softmax": True}
    assert kk.missing_names([(1, "from course.functions import *\nx = softmax", False)]) == {}
    assert kk.missing_names([(1, "%matplotlib inline\nprint(len([i for i in range(3)]))", False)]) == {}
