"""Hidden checks, one module per notebook: ``NOTEBOOK`` (its name) and ``CHECKS``
(test-cell grade_id → list of ``course.checking.FunctionCheck``).

Every module inside a ``dayN`` package is a check module. Helpers shared by several check modules
live next to this file (e.g. ``mnist_cases.py``), outside the ``dayN`` packages.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from course.checking import FunctionCheck


@lru_cache(maxsize=None)
def registry() -> dict[str, dict[str, list[FunctionCheck]]]:
    table: dict[str, dict[str, list[FunctionCheck]]] = {}
    here = importlib.import_module(__name__)
    days = sorted(i.name for i in pkgutil.iter_modules(here.__path__) if i.ispkg and i.name.startswith("day"))
    for day in days:
        package = importlib.import_module(f"{__name__}.{day}")
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if not hasattr(module, "NOTEBOOK") or not hasattr(module, "CHECKS"):
                raise RuntimeError(f"{module.__name__} is not a check module (NOTEBOOK and CHECKS are required); "
                                   "shared helpers belong in autograder/checks/, outside the dayN packages")
            if module.NOTEBOOK in table:
                raise RuntimeError(f"two check modules for notebook {module.NOTEBOOK}")
            table[module.NOTEBOOK] = module.CHECKS
    return table


def checks_for(notebook: str, grade_id: str) -> list[FunctionCheck]:
    try:
        return registry()[notebook][grade_id]
    except KeyError:
        raise KeyError(f"no hidden check for {notebook}/{grade_id}") from None
