"""The own-work rule follows every route to an existing implementation, not only names: getattr with
a computed string, importlib, ``__dict__``/``vars``/``globals()``, a copied code object, and switching
the watch off. And the kernel grading a notebook cannot import the reference of what it grades."""

from __future__ import annotations

import json

import pytest

from autograder import grade
from autograder.checks import checks_for
from autograder.course_view import hidden_modules
from autograder.grade import score_table
from course.checking import run_in_process

from .grading_support import make_course_root, submit, trainee, with_answer

DAY, NB = "day1", "1_2_activation_function"
OWN_WORK = "自分で実装してください"

ROUTES = {
    "getattr": 'import course.functions\ndef sigmoid(x):\n    return getattr(course.functions, "sig" + "moid")(x)\n',
    "getattr_alias": 'import course.functions\nsigmoid = getattr(course.functions, "sig" + "moid")\n',
    "importlib": ('import importlib\ndef sigmoid(x):\n'
                  '    return importlib.import_module("course.func" + "tions").__dict__["sig" + "moid"](x)\n'),
    "vars_sys_modules": ('import sys, importlib\nimportlib.import_module("course.functions")\n'
                         'def sigmoid(x):\n    return vars(sys.modules["course." + "functions"])["sigmoid"](x)\n'),
    "globals": ('import course.functions as _m\n'
                'def sigmoid(x):\n    return globals()["_m"].__dict__["sig" + "moid"](x)\n'),
    "copied_code": ('import types, course.functions\n'
                    'sigmoid = types.FunctionType(course.functions.sigmoid.__code__, globals(), "sigmoid")\n'),
    "watch_switched_off": ('import sys, course.functions\n'
                           'def sigmoid(x):\n    sys.setprofile(None)\n    return course.functions.sigmoid(x)\n'),
}
HONEST = "import numpy as np\ndef sigmoid(x):\n    x = np.asarray(x, dtype=float)\n" \
         "    z = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n"


def _namespace(code: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(code, "<notebook cell>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_to_the_reference_earns_the_own_work_message(route):
    verdicts = [run_in_process(check, _namespace(ROUTES[route])) for check in checks_for(NB, "sigmoid")]
    assert not any(v.passed for v in verdicts)
    assert any(OWN_WORK in v.message for v in verdicts), [v.message for v in verdicts]


def test_an_honest_sigmoid_passes():
    verdicts = [run_in_process(check, _namespace(HONEST)) for check in checks_for(NB, "sigmoid")]
    assert all(v.passed for v in verdicts), [v.message for v in verdicts]


def test_reference_modules_of_the_graded_functions_are_hidden():
    hidden = hidden_modules(NB)
    assert "functions.py" in hidden  # defines sigmoid, relu, ...
    assert "layers.py" in hidden  # imports course.functions: would re-export it
    assert "selfcheck.py" not in hidden and "__init__.py" not in hidden


def test_routes_in_the_sandbox_score_zero(tmp_path):
    root = make_course_root(tmp_path)
    subs = tmp_path / "submissions"
    for route in ("getattr", "importlib"):
        submit(subs, f"route_{route}", f"{NB}_trainee.ipynb", with_answer(trainee(DAY, NB), "sigmoid_answer", ROUTES[route]))
    submit(subs, "honest", f"{NB}_trainee.ipynb", with_answer(trainee(DAY, NB), "sigmoid_answer", HONEST))
    assert grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "2", "--notebooks", NB]) == 0
    verdicts = {}
    for student in ("route_getattr", "route_importlib", "honest"):
        result = json.loads((root / "grading/results" / student / f"{NB}.json").read_text())
        verdicts[student] = next(v for v in result["verdicts"] if v["grade_id"] == "sigmoid")
    assert verdicts["honest"]["passed"], verdicts["honest"]
    for student in ("route_getattr", "route_importlib"):
        assert not verdicts[student]["passed"]
    table = score_table(root, DAY)
    assert table["route_getattr"][NB][0] == table["route_importlib"][NB][0] == 0
