"""Students receive one submission notebook, the fill-in, under the name they submit; the answer
stays with the instructors; README, docs and notebooks say the same file names."""

from __future__ import annotations

import json

import nbformat

from autograder.capstone.samples import answer_notebook
from course.katakana import NOTEBOOK_NAME

from .capstone_support import RELEASE, REPO


def test_the_released_submission_notebook_is_the_fill_in():
    assert sorted(p.name for p in RELEASE.glob("*.ipynb")) == ["katakana_cnn.ipynb", "katakana_tutorial.ipynb", NOTEBOOK_NAME]
    nb = nbformat.read(RELEASE / NOTEBOOK_NAME, as_version=4)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in answers] == ["preprocess", "load_params", "predict_proba"]
    assert all("raise NotImplementedError()" in c.source for c in answers)
    assert "network_from_architecture(" not in "".join(c.source for c in answers)


def test_the_fill_in_has_the_imports_and_the_answer_uses_float32():
    fill_in = nbformat.read(RELEASE / NOTEBOOK_NAME, as_version=4)
    imports = next(c.source for c in fill_in.cells if c.cell_type == "code")
    assert "from course.networks import network_from_architecture" in imports
    assert "from course.katakana import load_model, make_submission_zip, self_check" in imports
    answer = "".join(c.source for c in answer_notebook().cells)
    assert 'network_from_architecture(saved["__architecture__"], dtype=np.float32)' in answer
    assert "BEGIN SOLUTION" not in answer
    checks = [c for c in fill_in.cells if "grading-skip" in c.metadata.get("tags", [])]
    assert [c.source.split("(")[0] for c in checks] == ["result = self_check", "make_submission_zip"]
    assert "preprocess=preprocess, network=network, model_file=MODEL_FILE" in checks[0].source


def test_the_data_card_and_the_test_only_styles_are_released():
    card = (RELEASE / "katakana_data.md").read_text(encoding="utf-8")
    assert "テストのみ" in card and "![テストデータにしかない書き方の例](test_only_styles.png)" in card
    assert (RELEASE / "test_only_styles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tutorial = (RELEASE / "katakana_tutorial.ipynb").read_text(encoding="utf-8")
    assert "katakana_data.md" in tutorial and "test_only_styles.png" in tutorial


def test_capstone_sources_are_hand_edited():
    assert not (REPO / "scripts" / "author_capstone_notebooks.py").exists()
    for path in (REPO / "source" / "capstone").glob("*.ipynb"):
        assert "course" not in json.loads(path.read_text(encoding="utf-8"))["metadata"], path.name
        assert "do not edit" not in path.read_text(encoding="utf-8"), path.name


def test_readme_docs_and_notebooks_name_the_same_submission_file():
    texts = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
             for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted(RELEASE.glob("*.ipynb")),
                       *sorted(RELEASE.glob("*.md"))]}
    for name, text in texts.items():
        for line in text.splitlines():
            if "submit_katakana_trainee" in line:
                assert "misnamed" in line or "名前を" in line, (name, line)
    assert "release/capstone/submit_katakana.ipynb" in texts["README.md"]
    assert "release/capstone/submit_katakana.ipynb" in texts["docs/capstone.md"]
    assert "release/capstone/submit_katakana.ipynb" in texts["release/capstone/katakana_tutorial.ipynb"]
