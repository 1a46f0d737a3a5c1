"""Tests of course.environment (the checks behind 0_preparation.ipynb)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course import environment as env
from course.download import DataNotAvailableError

REPO = Path(__file__).resolve().parent.parent


# --- versions -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1.26", (1, 26)),
    ("2.4.6", (2, 4, 6)),
    ("2.0.0rc1", (2, 0, 0)),
    ("1.4.1.post1", (1, 4, 1)),
    ("4.66.0+local", (4, 66, 0)),
    ("0.9.6", (0, 9, 6)),
])
def test_parse_version(text, expected):
    assert env.parse_version(text) == expected


@pytest.mark.parametrize("installed, minimum, ok", [
    ("1.26", "1.26", True),
    ("1.26.0", "1.26", True),
    ("2.0.0", "1.26", True),
    ("0.9.10", "0.9.6", True),  # numeric, not string comparison
    ("1.25.2", "1.26", False),
    ("0.9.5", "0.9.6", False),
    ("4.9", "4.66", False),
])
def test_version_at_least(installed, minimum, ok):
    assert env.version_at_least(installed, minimum) is ok


def _minimums_in(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2)
            for m in re.finditer(r"([A-Za-z][A-Za-z0-9_.-]*)\s*>=\s*([0-9][0-9.]*)", text)}


def test_minimums_agree_with_pyproject_and_environment_yml():
    pyproject_text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = _minimums_in(pyproject_text)
    conda = _minimums_in((REPO / "environment.yml").read_text(encoding="utf-8"))
    for dist, minimum in env.MINIMUM_VERSIONS.items():
        assert pyproject[dist] == minimum, dist
        assert conda[dist] == minimum, dist
    requires_python = re.search(r'requires-python\s*=\s*">=([0-9.]+)"', pyproject_text).group(1)
    assert ".".join(map(str, env.MINIMUM_PYTHON)) == requires_python == conda["python"]


# --- Python ---------------------------------------------------------------------------------

def test_python_too_old_is_ng_with_fix():
    result = env.check_python((3, 9, 18), executable="/opt/old/python")
    assert not result.ok and result.required and result.status == "NG"
    assert "3.9.18" in result.detail and "3.10 以上" in result.detail
    assert "environment.yml" in result.detail and "/opt/old/python" in result.detail


def test_python_minimum_and_current_are_ok():
    assert env.check_python((3, 10, 0)).ok
    result = env.check_python()
    assert result.ok and result.status == "OK"
    item, ok, detail = result  # unpacks like a (項目, OK?, 詳細) tuple
    assert (item, ok) == ("Python", True)


# --- packages -------------------------------------------------------------------------------

def test_too_old_package_is_ng_with_fix_message():
    result = env.check_package("numpy", installed="1.25.2")
    assert not result.ok and result.status == "NG"
    assert "1.25.2" in result.detail and "1.26 以上" in result.detail
    assert 'pip install -U "numpy>=1.26"' in result.detail
    assert "conda install" in result.detail


def test_pip_only_package_gets_pip_command_only():
    result = env.check_package("matplotlib-fontja", installed="0.9")
    assert not result.ok
    assert 'pip install -U "matplotlib-fontja>=1.0"' in result.detail
    assert "conda install" not in result.detail


def test_missing_package_is_ng_with_install_command():
    result = env.check_package("genba-no-such-package", "1.0")
    assert not result.ok and result.required
    assert "インストールされていません" in result.detail
    assert 'pip install -U "genba-no-such-package>=1.0"' in result.detail


def test_missing_optional_package_is_not_counted_as_failure():
    result = env.check_package("genba-no-such-package", "1.0", required=False)
    assert not result.ok and not result.required
    assert result.status == "未導入（任意）"
    assert "無くてもかまいません" in result.detail
    assert env.all_ok([env.check_python(), result])
    assert not env.all_ok([result, env.check_package("genba-no-such-package", "1.0")])


def test_installed_but_not_importable_is_ng(monkeypatch):
    monkeypatch.setitem(env.IMPORT_NAMES, "tqdm", "genba_no_such_module")
    result = env.check_package("tqdm")
    assert not result.ok
    assert "import genba_no_such_module が失敗しました" in result.detail
    assert "--force-reinstall" in result.detail


def test_real_environment_reports_installed_packages_ok():
    results = env.check_packages()
    assert [r.item for r in results] == list(env.MINIMUM_VERSIONS)
    for result in results:
        assert result.ok, result
        assert env.MINIMUM_VERSIONS[result.item] in result.detail
    nbgrader = next(r for r in results if r.item == "nbgrader")
    assert not nbgrader.required and "任意" in nbgrader.detail


# --- MNIST ----------------------------------------------------------------------------------

def test_mnist_available_is_ok():
    result = env.check_mnist()
    assert result.ok, result.detail
    assert "60000" in result.detail and env.mnist_location() in result.detail


def test_mnist_missing_is_ng_and_says_where_to_put_files(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_MNIST_DIR", str(tmp_path))

    def offline_loader():
        raise DataNotAvailableError("データファイル train-images-idx3-ubyte.gz が見つからず、ダウンロードもできませんでした。\nmore")

    result = env.check_mnist(loader=offline_loader)
    assert not result.ok and result.required
    assert str(tmp_path) in result.detail
    assert "COURSE_MNIST_DIR" in result.detail
    assert "train-images-idx3-ubyte.gz" in result.detail
    assert "more" not in result.detail  # only the first line of the original message


def test_mnist_other_errors_are_reported_not_raised():
    def broken_loader():
        raise ValueError("IDX のマジックナンバーが 0 です")

    result = env.check_mnist(loader=broken_loader)
    assert not result.ok and "ValueError" in result.detail

    def wrong_shapes():
        import numpy as np
        return (np.zeros((5, 784)), np.zeros(5)), (np.zeros((5, 784)), np.zeros(5))

    result = env.check_mnist(loader=wrong_shapes)
    assert not result.ok and "形状" in result.detail


# --- Japanese font --------------------------------------------------------------------------

def test_japanese_font_in_real_environment_is_ok():
    result = env.check_japanese_font()
    assert result.ok, result.detail


def test_missing_japanese_font_is_ng_with_fix():
    result = env.check_japanese_font(probe=lambda: False)
    assert not result.ok and "matplotlib-fontja" in result.detail and "□" in result.detail

    def broken():
        raise ImportError("No module named 'matplotlib_fontja'")

    result = env.check_japanese_font(probe=broken)
    assert not result.ok and "ImportError" in result.detail and "pip install" in result.detail


# --- summary --------------------------------------------------------------------------------

def test_check_all_in_real_environment():
    results = env.check_all()
    assert [r.item for r in results] == (["Python"] + list(env.MINIMUM_VERSIONS) + ["MNIST", "日本語フォント"])
    assert env.all_ok(results), env.text_report(results)


def test_markdown_table_has_one_row_per_result_and_escapes_pipes():
    results = [
        env.CheckResult("numpy", True, "2.0（1.26 以上）"),
        env.CheckResult("MNIST", False, "a | b"),
        env.CheckResult("nbgrader", False, "未導入", required=False),
    ]
    table = env.markdown_table(results).splitlines()
    assert table[0] == "| 項目 | 結果 | 詳細・直し方 |"
    assert len(table) == 2 + len(results)
    assert table[2].startswith("| numpy | OK |")
    assert "**NG**" in table[3] and "a \\| b" in table[3]
    assert "未導入（任意）" in table[4]
    report = env.text_report(results)
    assert "[NG] MNIST: a | b" in report and "[OK] numpy" in report
