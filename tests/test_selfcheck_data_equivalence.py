"""A committed self-check file stays valid on a machine whose floating-point results differ in the last
bits (OpenBLAS chooses kernels by CPU), and any real change to a check table is still caught."""

from __future__ import annotations

import base64
import io
import json

import numpy as np

from autograder import selfcheck_data

NOTEBOOK = "2_4_two_layer_net_numerical"  # numerical gradients: float64 values, some amplified by 1/(2h)


def _rewrite_floats(text: str, change) -> str:
    """The file with ``change(array)`` applied to every floating-point array in its value pool."""
    table = json.loads(text)

    def visit(value):
        if value.get("kind") in ("ndarray", "npscalar"):
            array = np.lib.format.read_array(io.BytesIO(base64.b64decode(value["npy"])), allow_pickle=False)
            if array.dtype.kind == "f":
                out = io.BytesIO()
                np.lib.format.write_array(out, np.asarray(change(array)).astype(array.dtype), allow_pickle=False)
                value["npy"] = base64.b64encode(out.getvalue()).decode()
        for item in (value.get("items") or {}).values() if isinstance(value.get("items"), dict) else value.get("items") or []:
            visit(item)

    for value in table["values"]:
        visit(value)
    return json.dumps(table)


def test_values_a_few_ulps_apart_are_the_same_tables():
    text = selfcheck_data.render(NOTEBOOK)
    nudged = _rewrite_floats(text, lambda a: np.nextafter(np.nextafter(a, np.inf), np.inf) * (1 + 1e-12))
    assert nudged != text
    assert selfcheck_data.equivalent(nudged, text)


def test_a_changed_value_a_changed_hint_or_a_missing_case_is_a_difference():
    text = selfcheck_data.render(NOTEBOOK)
    assert not selfcheck_data.equivalent(_rewrite_floats(text, lambda a: a * (1 + 1e-6) + 1e-6), text)
    table = json.loads(text)
    entry = next(iter(table["cells"].values()))[0]
    entry["hints"] = entry["hints"][:-1] + ["別のヒント"]
    assert not selfcheck_data.equivalent(json.dumps(table), text)
    table = json.loads(text)
    entry = next(iter(table["cells"].values()))[0]
    (entry.get("cases") or entry.get("scenarios")).pop()
    assert not selfcheck_data.equivalent(json.dumps(table), text)
    assert not selfcheck_data.equivalent("{not json", text)
