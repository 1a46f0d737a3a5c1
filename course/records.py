"""Recorded training runs that the notebooks plot (``course/data/<name>.npz``, no pickle).

Runs that take longer than a notebook may spend are made once by a script in ``scripts/``
(e.g. ``scripts/record_day3_runs.py``), which says in its docstring how to reproduce them; each
file holds plain arrays and a ``description`` string.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_record"]


def load_record(name: str) -> dict:
    """記録済みの学習結果 ``course/data/<name>.npz`` を辞書（配列）として読み込む。"""
    ref = resources.files("course").joinpath("data", f"{name}.npz")
    if not ref.is_file():
        raise FileNotFoundError(f"記録ファイル {name}.npz が course/data にありません（scripts/ の記録スクリプトで作り直せます）。")
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
