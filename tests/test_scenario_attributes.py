"""Scenario steps whose arguments refer to attributes of the object under test (course.probe.Attribute):
several calls on the same arrays, and a second name for one array."""

import json

import numpy as np

from course import probe
from course.checking import ClassCheck, Mistake, Scenario, call, get, new, put, run_in_process
from course.probe import Attribute


class Halver:
    def update(self, params):
        for key in params:
            params[key] *= 0.5


class Rebinder:
    def update(self, params):
        for key in params:
            params[key] = params[key] * 0.5


SCENARIO = Scenario("twice on the same dict", [
    new(), put("params", {"W": np.array([4.0, 8.0])}), put("original_W", Attribute("params.W")),
    call("update", Attribute("params"), record=False), get("original_W"),
    call("update", Attribute("params"), record=False), get("original_W"), get("params.W")])


def test_attributes_survive_encoding():
    data = json.loads(json.dumps(probe.encode_value(Attribute("params.W1"))))
    assert data["kind"] == "attr" and probe.decode_value(data).path == ("params", "W1")


def test_calls_work_on_the_objects_attributes():
    entries = probe.run_scenario(Halver, SCENARIO.encoded_steps())
    values = [probe.decode_value(e["value"]) for e in entries]
    assert [v.tolist() for v in values] == [[2.0, 4.0], [1.0, 2.0], [1.0, 2.0]]


def test_rebinding_is_seen_through_the_second_name():
    check = ClassCheck("Halver", [SCENARIO], reference=Halver, must_be_own=False,
                       mistakes=[Mistake("新しい配列を代入しています。", Rebinder)])
    assert run_in_process(check, {"Halver": Halver}).passed
    verdict = run_in_process(check, {"Halver": Rebinder})
    assert not verdict.passed and "新しい配列を代入しています。" in verdict.message


def test_a_missing_attribute_is_the_students_error():
    steps = [new(), call("update", Attribute("nothing"), label="update"), get("x")]
    entries = probe.run_scenario(Halver, Scenario("", steps).encoded_steps())
    assert not entries[0]["ok"] and "AttributeError" in entries[0]["error"]
    assert not entries[1]["ok"]


def scale_in_place(values, factor):
    """Multiplies every array of ``values`` in place; returns the old total."""
    total = float(sum(np.sum(v) for v in values.values()))
    for v in values.values():
        v *= factor
    return total


def test_a_function_that_changes_its_arguments_is_checked_on_the_workbench():
    scenario = Scenario("function", [
        put("values", {"a": np.array([1.0, 2.0])}), put("original_a", Attribute("values.a")),
        call("", Attribute("values"), 3.0, label="scale_in_place(values, 3) の戻り値"), get("original_a")])
    entries = probe.run_scenario(scale_in_place, scenario.encoded_steps())
    assert [probe.decode_value(e["value"]) for e in entries][0] == 3.0
    assert probe.decode_value(entries[1]["value"]).tolist() == [3.0, 6.0]
    check = ClassCheck("scale_in_place", [scenario], reference=scale_in_place, must_be_own=False)
    assert run_in_process(check, {"scale_in_place": scale_in_place}).passed

    def copies(values, factor):
        total = float(sum(np.sum(v) for v in values.values()))
        for key in values:
            values[key] = values[key] * factor
        return total

    assert not run_in_process(check, {"scale_in_place": copies}).passed
