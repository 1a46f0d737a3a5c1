"""course.selfcheck.check_function: what students see in their notebook."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from course.selfcheck import Case, Mistake, SelfCheckError, check_function


def notebook(code: str, name: str = "__main__") -> dict:
    """Globals of a notebook whose cells ran ``code`` (functions get ``__module__ == name``)."""
    namespace = {"__name__": name, "np": np}
    exec(compile(textwrap.dedent(code), "<cell>", "exec"), namespace)
    return namespace


RELU_CASES = [
    Case("正の値だけの配列", args=(np.array([0.5, 2.0]),), expected=np.array([0.5, 2.0])),
    Case("負の値を含む配列", args=(np.array([-1.5, 2.25, -7.0]),), expected=np.array([0.0, 2.25, 0.0])),
]


def _line(message: str, prefix: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip().startswith(prefix)]
    assert len(lines) == 1, message
    return lines[0]


def test_selfcheck_error_is_an_assertion_error():
    assert issubclass(SelfCheckError, AssertionError)


def test_correct_function_prints_check_mark(capsys):
    ns = notebook("""
        def relu(x):
            return np.maximum(0, x)
    """)
    check_function("relu", RELU_CASES, namespace=ns)
    out = capsys.readouterr().out
    assert out.startswith("✔ ")
    assert "relu" in out and "2 件" in out and "合格" in out


def test_default_namespace_is_the_callers_globals(capsys):
    ns = notebook("""
        def double(x):
            return 2 * x
    """)
    ns.update(check_function=check_function, Case=Case)
    exec("check_function('double', [Case('整数', args=(21,), expected=42)])", ns)
    assert capsys.readouterr().out.startswith("✔ double")


def test_wrong_function_raises_with_input_expected_actual_and_error(capsys):
    ns = notebook("""
        def relu(x):
            return np.abs(x)
    """)
    with pytest.raises(SelfCheckError) as info:
        check_function("relu", RELU_CASES, namespace=ns)
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    assert "relu" in message and "「負の値を含む配列」で不合格" in message
    inputs = _line(message, "入力:")
    assert "-1.5" in inputs and "2.25" in inputs and "-7." in inputs
    expected = _line(message, "期待:")
    assert "2.25" in expected and "-" not in expected.split("(")[0]
    actual = _line(message, "実際:")
    assert "1.5" in actual and "7." in actual and "-" not in actual.split("(")[0]
    error = _line(message, "最大誤差:")
    assert error.startswith("最大誤差: 7") and "(2,)" in error
    assert capsys.readouterr().out == ""  # no ✔ on failure


def test_wrong_function_raises_through_plain_assert_handling():
    ns = notebook("""
        def relu(x):
            return x
    """)
    with pytest.raises(AssertionError, match="値が違います"):
        check_function("relu", RELU_CASES, namespace=ns)


def test_typical_mistake_hint():
    ns = notebook("""
        def relu(x):
            return np.abs(x)
    """)
    mistakes = [Mistake("絶対値になっています。", lambda x: np.abs(x))]
    with pytest.raises(SelfCheckError, match="考えられる原因: 絶対値になっています。"):
        check_function("relu", RELU_CASES, namespace=ns, mistakes=mistakes)


SIGMOID = """
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))
"""
STABLE_SIGMOID = """
    def sigmoid(x):
        out = np.empty_like(x, dtype=float)
        pos = x >= 0
        out[pos] = 1 / (1 + np.exp(-x[pos]))
        e = np.exp(x[~pos])
        out[~pos] = e / (1 + e)
        return out
"""


def _extreme(forbid: bool) -> list[Case]:
    return [Case("極端な値", args=(np.array([-1000.0, 0.0, 1000.0]),), expected=np.array([0.0, 0.5, 1.0]),
                 forbid_warnings=forbid)]


def test_forbid_warnings_catches_overflow(capsys):
    with pytest.raises(SelfCheckError) as info:
        check_function("sigmoid", _extreme(True), namespace=notebook(SIGMOID))
    message = str(info.value)
    assert "警告" in message and "overflow" in message
    assert "オーバーフロー" in message  # the hint


def test_overflow_is_allowed_without_forbid_warnings(capsys):
    check_function("sigmoid", _extreme(False), namespace=notebook(SIGMOID))
    assert capsys.readouterr().out.startswith("✔ sigmoid")


def test_stable_implementation_passes_forbid_warnings(capsys):
    check_function("sigmoid", _extreme(True), namespace=notebook(STABLE_SIGMOID))
    assert capsys.readouterr().out.startswith("✔ sigmoid")


def library_relu(x):  # correct, but defined in this test module, not in the notebook
    return np.maximum(0, x)


@pytest.mark.parametrize("origin", ["test module", "numpy", "other module name"])
def test_function_not_from_main_is_rejected(origin, capsys):
    if origin == "test module":
        ns = notebook("")
        ns["relu"] = library_relu
        module = __name__
    elif origin == "numpy":
        ns = notebook("relu = np.abs")
        module = "numpy"
    else:
        ns = notebook("""
            def relu(x):
                return np.maximum(0, x)
        """, name="helpers")
        module = "helpers"
    with pytest.raises(SelfCheckError) as info:
        check_function("relu", RELU_CASES[:1], namespace=ns)
    message = str(info.value)
    assert "自分で実装" in message and module in message
    assert capsys.readouterr().out == ""


def test_must_be_own_can_be_switched_off(capsys):
    ns = notebook("")
    ns["relu"] = library_relu
    check_function("relu", RELU_CASES, namespace=ns, must_be_own=False)
    assert capsys.readouterr().out.startswith("✔ relu")


def test_missing_function_is_reported():
    with pytest.raises(SelfCheckError, match="定義されていません"):
        check_function("relu", RELU_CASES, namespace=notebook(""))
