"""Check a student's environment (used by ``0_preparation.ipynb``).

Every check returns a :class:`CheckResult` (項目, OK?, 詳細/直し方) instead of raising, so the
notebook can always finish and print one summary table, even when a package, the data or the
Japanese font is missing. The messages are Japanese and say what to do when a check fails.

The minimum versions below are the ones in ``pyproject.toml`` / ``environment.yml``
(``tests/test_environment.py`` keeps them in sync).

This module deliberately uses only the standard library at import time (and syntax that old
Pythons can parse), so it can still report "Python is too old" or "numpy is missing".
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

MINIMUM_PYTHON = (3, 10)

# distribution name -> minimum version (as in pyproject.toml)
MINIMUM_VERSIONS = {
    "numpy": "1.26",
    "matplotlib": "3.8",
    "scikit-learn": "1.4",
    "tqdm": "4.66",
    "nbgrader": "0.9.6",
    "matplotlib-fontja": "1.0",
}

# distribution name -> module name to import
IMPORT_NAMES = {
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "scikit-learn": "sklearn",
    "tqdm": "tqdm",
    "nbgrader": "nbgrader",
    "matplotlib-fontja": "matplotlib_fontja",
}

# Packages that are available from pip only (not from conda-forge under the same name).
PIP_ONLY = {"matplotlib-fontja"}

CONDA_HINT = "Anaconda の場合は、講座のフォルダで `conda env create -f environment.yml` を実行して環境を作り直すのが確実です。"


@dataclass(frozen=True)
class CheckResult:
    """One line of the summary: 項目 (item), OK?, 詳細/直し方 (detail or how to fix)."""

    item: str
    ok: bool
    detail: str
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "OK"
        return "NG" if self.required else "未導入（任意）"

    def __iter__(self):  # allows ``item, ok, detail = result``
        return iter((self.item, self.ok, self.detail))


def parse_version(text: str) -> tuple[int, ...]:
    """The leading numeric part of a version string: ``"2.0.0rc1"`` -> ``(2, 0, 0)``."""
    numbers = []
    for part in str(text).strip().split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
        if match.end() != len(part):  # "0rc1", "1+local": stop after the number
            break
    return tuple(numbers)


def version_at_least(installed: str, minimum: str) -> bool:
    have, need = parse_version(installed), parse_version(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def install_command(dist: str, minimum: str) -> str:
    pip = f'`pip install -U "{dist}>={minimum}"`'
    if dist in PIP_ONLY:
        return pip
    return f'`conda install -c conda-forge "{dist}>={minimum}"`（Anaconda）または {pip}'


def check_python(version_info: Optional[Sequence[int]] = None, executable: Optional[str] = None) -> CheckResult:
    """Python itself must be at least :data:`MINIMUM_PYTHON`."""
    info = tuple(version_info if version_info is not None else sys.version_info[:3])
    executable = executable if executable is not None else sys.executable
    shown = ".".join(str(n) for n in info[:3])
    need = ".".join(str(n) for n in MINIMUM_PYTHON)
    if tuple(info[:2]) >= MINIMUM_PYTHON:
        return CheckResult("Python", True, f"{shown}（{executable}）")
    return CheckResult(
        "Python", False,
        f"{shown} は古すぎます。Python {need} 以上が必要です（実行中: {executable}）。"
        f"{CONDA_HINT}そのあと `conda activate genba-dl` で環境を切り替え、"
        f"Jupyter のカーネルがその環境の Python になっていることを確かめてください。",
    )


def check_package(dist: str, minimum: Optional[str] = None, *, required: bool = True,
                  installed: Optional[str] = None, try_import: bool = True) -> CheckResult:
    """Is ``dist`` installed, at least ``minimum``, and importable?

    ``installed`` overrides the version found in the environment (used by the tests).
    """
    minimum = minimum or MINIMUM_VERSIONS[dist]
    optional_note = "" if required else "（受講者は無くてもかまいません。採点する講師だけが使います）"
    if installed is None:
        try:
            installed = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return CheckResult(
                dist, False,
                f"インストールされていません{optional_note}。"
                f"入れるには {install_command(dist, minimum)} を実行してください。",
                required,
            )
    if not version_at_least(installed, minimum):
        return CheckResult(
            dist, False,
            f"バージョン {installed} は古すぎます（{minimum} 以上が必要）{optional_note}。"
            f"{install_command(dist, minimum)} で更新してください。",
            required,
        )
    if try_import:
        module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
        try:
            importlib.import_module(module)
        except Exception as exc:  # a broken installation must be reported, not raised
            return CheckResult(
                dist, False,
                f"バージョン {installed} は入っていますが、import {module} が失敗しました"
                f"（{type(exc).__name__}: {exc}）{optional_note}。"
                f"`pip install --force-reinstall \"{dist}>={minimum}\"` で入れ直してください。",
                required,
            )
    note = "（講師が採点に使うもので、受講者には任意です）" if not required else ""
    return CheckResult(dist, True, f"{installed}（{minimum} 以上）{note}", required)


def mnist_location() -> str:
    """Where :func:`course.datasets.load_mnist` looks for (and downloads) the MNIST files."""
    from .datasets import MNIST_ENV
    from .download import data_dir

    return str(data_dir(MNIST_ENV, "mnist"))


def check_mnist(loader: Optional[Callable] = None) -> CheckResult:
    """MNIST can be loaded (from the data directory, or downloaded into it)."""
    try:
        from .datasets import MNIST_ENV, load_mnist
        from .download import DataNotAvailableError
        location = mnist_location()
    except Exception as exc:  # e.g. numpy missing
        return CheckResult("MNIST", False,
                           f"データを読み込む準備ができません（{type(exc).__name__}: {exc}）。"
                           f"先に上の NG を直してください。")
    if loader is None:
        def loader():
            return load_mnist(normalize=False)  # uint8: a quarter of the memory of float32
    try:
        (x_train, t_train), (x_test, t_test) = loader()
    except DataNotAvailableError as exc:
        return CheckResult(
            "MNIST", False,
            f"MNIST を用意できませんでした（{str(exc).splitlines()[0].rstrip('。')}）。"
            f"インターネットにつながる環境では {location} に自動でダウンロードされるので、"
            f"ネットワーク（プロキシの設定など）を確かめてもう一度実行してください。"
            f"つながらない場合は、4 つのファイル（train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz）を講師から受け取って {location} に置くか、"
            f"置いたフォルダを環境変数 {MNIST_ENV} に指定してから Jupyter を起動し直してください。",
        )
    except Exception as exc:
        return CheckResult("MNIST", False,
                           f"読み込み中にエラーが起きました（{type(exc).__name__}: {exc}）。"
                           f"{location} のファイルを消して、もう一度実行してください。")
    shapes = (getattr(x_train, "shape", None), getattr(t_train, "shape", None),
              getattr(x_test, "shape", None), getattr(t_test, "shape", None))
    if shapes != ((60000, 784), (60000,), (10000, 784), (10000,)):
        return CheckResult("MNIST", False, f"読み込めましたが形状がおかしいです: {shapes}。"
                                           f"{location} のファイルを消して、もう一度実行してください。")
    return CheckResult("MNIST", True, f"訓練 60000 枚・テスト 10000 枚（置き場所: {location}）")


def check_japanese_font(probe: Optional[Callable[[], bool]] = None) -> CheckResult:
    """matplotlib can draw Japanese text (``course.plotting`` registers the font)."""
    fix = "`pip install -U \"matplotlib-fontja>=1.0\"` を実行して、カーネルを再起動してください。"
    try:
        if probe is None:
            from .plotting import has_japanese_font, japanese_font_name
            probe = has_japanese_font
            name = japanese_font_name()
        else:
            name = "?"
        ok = bool(probe())
    except Exception as exc:
        return CheckResult("日本語フォント", False,
                           f"フォントの設定を読み込めません（{type(exc).__name__}: {exc}）。{fix}")
    if ok:
        return CheckResult("日本語フォント", True, f"{name}")
    return CheckResult("日本語フォント", False,
                       f"日本語の文字を含むフォント（{name}）が見つかりません。図の日本語が □ になります。{fix}")


def check_packages() -> list[CheckResult]:
    return [check_package(dist, required=(dist != "nbgrader")) for dist in MINIMUM_VERSIONS]


def check_all(include_data: bool = True) -> list[CheckResult]:
    """Every check of 0_preparation, in the order of the summary table."""
    results = [check_python()] + check_packages()
    if include_data:
        results.append(check_mnist())
    results.append(check_japanese_font())
    return results


def all_ok(results: Sequence[CheckResult]) -> bool:
    """True when every *required* check passed (an optional package may be missing)."""
    return all(r.ok or not r.required for r in results)


def markdown_table(results: Sequence[CheckResult]) -> str:
    """The summary as a Markdown table (項目 | 結果 | 詳細・直し方)."""
    lines = ["| 項目 | 結果 | 詳細・直し方 |", "| --- | --- | --- |"]
    for r in results:
        detail = r.detail.replace("|", "\\|").replace("\n", " ")
        status = r.status if r.ok else f"**{r.status}**"
        lines.append(f"| {r.item} | {status} | {detail} |")
    return "\n".join(lines)


def text_report(results: Sequence[CheckResult]) -> str:
    """The summary as plain text (one line per check)."""
    return "\n".join(f"[{r.status}] {r.item}: {r.detail}" for r in results)
