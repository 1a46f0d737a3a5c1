"""Which files of ``course/`` the kernel grading a notebook must not see.

``course`` gives later days reference code of earlier exercises (``course.functions``,
``course.layers``, ...). The kernel that grades an exercise must not reach that exercise's
reference by any route (import, ``getattr``, ``importlib``, a path), so its view of ``course/``
leaves out every module that defines a function or class graded in the notebook, and every
module that imports one of those (it would re-export the reference). Derived here, in one
place, from the check tables and an ``ast`` scan of ``course/*.py``; the sandbox then builds
the kernel's ``course/`` without these files.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import course

from .checks import registry

COURSE_DIR = Path(course.__file__).resolve().parent


def graded_names(notebook: str) -> set[str]:
    """Names of the functions and classes the hidden checks of ``notebook`` grade."""
    return {check.function for checks in registry().get(notebook, {}).values() for check in checks}


@lru_cache(maxsize=None)
def _module_facts() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """module file name → (top-level names it defines or binds, course modules it imports)."""
    facts = {}
    for path in sorted(COURSE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined, imported = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node in tree.body:
                defined.add(node.name)
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[1] for a in node.names if a.name.startswith("course.")}
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1 or module == "course" or module.startswith("course."):
                    base = module.split(".")[1] if module.startswith("course.") else (module if node.level else "")
                    if base:
                        imported.add(base.split(".")[0])
                    else:  # from course import functions / from . import functions
                        imported |= {a.name for a in node.names}
        for node in tree.body:  # module-level aliases: ``sigmoid = something``
            if isinstance(node, ast.Assign):
                defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        facts[path.name] = (frozenset(defined), frozenset(f"{m}.py" for m in imported))
    return facts


def hidden_modules(notebook: str) -> list[str]:
    """File names in ``course/`` the kernel grading ``notebook`` must not see."""
    names = graded_names(notebook)
    facts = _module_facts()
    hidden = {module for module, (defined, _) in facts.items() if defined & names}
    changed = True
    while changed:  # modules importing a hidden module would re-export its reference code
        changed = False
        for module, (_, imported) in facts.items():
            if module not in hidden and imported & hidden:
                hidden.add(module)
                changed = True
    if "__init__.py" in hidden:
        raise RuntimeError(f"course/__init__.py would be hidden for {notebook}: keep reference code out of it")
    return sorted(hidden)
