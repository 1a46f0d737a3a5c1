"""release/ is exactly what the build makes from source/, and leaks nothing."""

import json
from pathlib import Path

from autograder.build import FILL_IN_ONLY, differences

REPO = Path(__file__).resolve().parent.parent


def test_release_is_up_to_date_and_byte_stable():
    # differences() builds into a fresh directory and compares byte for byte
    assert differences(REPO) == []


def test_source_notebooks_carry_no_outputs():
    for path in sorted((REPO / "source").rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path


def test_release_never_contains_hidden_tests_or_solutions():
    for path in sorted((REPO / "release").rglob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        for secret in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION", "autograder", "run_check"):
            assert secret not in text, (path.name, secret)


def test_every_graded_notebook_has_a_trainee_and_an_answer_version():
    for day in (REPO / "source").iterdir():
        for path in day.glob("*.ipynb"):
            nb = json.loads(path.read_text(encoding="utf-8"))
            graded = any(c.get("metadata", {}).get("nbgrader", {}).get("solution") for c in nb["cells"])
            assert (REPO / "release" / day.name / path.name).exists()
            trainee = graded and day.name not in FILL_IN_ONLY  # the capstone releases the fill-in alone
            assert (REPO / "release" / day.name / f"{path.stem}_trainee.ipynb").exists() == trainee
