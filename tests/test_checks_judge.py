"""The shared judge (course.checking): values with infinities, hints for warnings and errors, and
readable renderings of the inputs in its messages."""

import textwrap
import warnings

import numpy as np
import pytest

from course.checking import Case, FunctionCheck, compare, describe_inputs, run_in_process, summarize


def _own(code: str) -> dict:
    """The namespace of a notebook cell (module ``__main__``) after running ``code``."""
    namespace = {"__name__": "__main__", "np": np}
    exec(compile(textwrap.dedent(code), "<student>", "exec"), namespace)
    return namespace


def _judge(check: FunctionCheck, code: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the judge itself must not warn
        return run_in_process(check, _own(code))


# ---------------------------------------------------------------- values with infinities

def test_equal_infinities_match_without_a_runtime_warning():
    expected = np.array([np.inf, -np.inf, 1.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compare(expected, expected.copy(), rtol=1e-6, atol=0.0, dtype="float", returns="array") is None
        reason = compare(np.array([np.inf, 1.0]), np.array([-np.inf, 1.0]), rtol=1e-6, atol=0.0, dtype="float",
                         returns="array")
    assert reason is not None and "値が違います" in reason and "最大誤差: inf" in reason, reason


def _silent_log(x):
    with np.errstate(divide="ignore"):
        return np.log(x)


def test_a_check_whose_expected_value_is_infinite_passes_silently():
    check = FunctionCheck(function="f", reference=_silent_log, dtype="float", returns="array",
                          cases=[Case("0 を含む", (np.array([0.0, 1.0, np.e]),))])
    verdict = _judge(check, "def f(x):\n    with np.errstate(divide='ignore'):\n        return np.log(x)\n")
    assert verdict.passed, verdict.message


# ---------------------------------------------------------------- hints for warnings

WARNING_CODE = {
    "overflow": "def f(x):\n    np.exp(x * 1000.0)\n    return x * 2\n",
    "divide by zero": "def f(x):\n    np.log(x * 0.0)\n    return x * 2\n",
    "invalid value": "def f(x):\n    np.sqrt(-x)\n    return x * 2\n",
}
WARNING_HINTS = {
    "overflow": "大きな値でもオーバーフローしない計算方法",
    "divide by zero": "0 で割る・log(0) を避けて",
    "invalid value": "nan が生じる計算を避けて",
}


@pytest.mark.parametrize("kind", sorted(WARNING_CODE))
def test_the_warning_hint_fits_the_warning(kind):
    check = FunctionCheck(function="f", reference=lambda x: x * 2, dtype="float", returns="array",
                          cases=[Case("正の値", (np.array([1.0, 2.0]),), forbid_warnings=True)])
    verdict = _judge(check, WARNING_CODE[kind])
    assert not verdict.passed
    assert f"計算中に警告が出ました: RuntimeWarning: {kind} encountered" in verdict.message, verdict.message
    assert WARNING_HINTS[kind] in verdict.message, verdict.message
    for other, hint in WARNING_HINTS.items():
        if other != kind:
            assert hint not in verdict.message, verdict.message


def test_other_warnings_get_a_general_hint():
    check = FunctionCheck(function="f", reference=lambda x: x * 2, dtype="float", returns="array",
                          cases=[Case("正の値", (np.array([1.0, 2.0]),), forbid_warnings=True)])
    code = "import warnings\ndef f(x):\n    warnings.warn('careful')\n    return x * 2\n"
    verdict = _judge(check, code)
    assert not verdict.passed
    assert "UserWarning: careful" in verdict.message and "警告が出ない計算方法にしてください" in verdict.message
    assert "オーバーフロー" not in verdict.message, verdict.message


# ---------------------------------------------------------------- hints for errors

ERROR_CHECK = FunctionCheck(
    function="f", reference=lambda x: x * 2, dtype="float", returns="array",
    cases=[Case("1 次元の配列", (np.array([1.0, 2.0]),))],
    error_hints=[("boom", "爆発しないように書きます。"), ("boom", "爆発しないように書きます。"),
                 ("ValueError: bang", "音を立てないように書きます。"), ("KeyError", "キーを確かめます。")])


def test_an_error_gets_every_matching_hint_once():
    verdict = _judge(ERROR_CHECK, "def f(x):\n    raise ValueError('boom and bang')\n")
    assert not verdict.passed
    assert "エラーが発生しました: ValueError: boom and bang" in verdict.message
    assert verdict.message.count("ヒント: 爆発しないように書きます。") == 1, verdict.message
    assert "キーを確かめます" not in verdict.message and "音を立てないように" not in verdict.message


def test_error_hints_match_the_exception_type_too():
    verdict = _judge(ERROR_CHECK, "def f(x):\n    raise ValueError('bang')\n")
    assert "ヒント: 音を立てないように書きます。" in verdict.message and "爆発" not in verdict.message, verdict.message


def test_unmatched_errors_and_the_stub_keep_their_messages():
    verdict = _judge(ERROR_CHECK, "def f(x):\n    raise TypeError('nope')\n")
    assert not verdict.passed and "TypeError: nope" in verdict.message and "ヒント" not in verdict.message
    stub = _judge(ERROR_CHECK, "def f(x):\n    raise NotImplementedError()\n")
    assert "ヒント: まだ解答が書かれていません" in stub.message and "爆発" not in stub.message, stub.message


# ---------------------------------------------------------------- readable inputs

def test_small_arrays_are_printed_in_full():
    text = summarize(np.arange(20.0))
    assert "..." not in text and "19." in text and "shape=(20,)" in text, text
    case = Case("9 要素", (np.array([-5.0, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 5.0]),))
    assert "..." not in describe_inputs(case) and "2.5" in describe_inputs(case)


def test_large_arrays_show_shape_dtype_first_values_min_and_max():
    text = summarize(np.arange(21))
    assert text == "[0, 1, 2, ...]  (shape=(21,), dtype=int64, 最小 0, 最大 20)", text
    text = summarize(np.linspace(-1.0, 1.0, 600, dtype=np.float32).reshape(20, 30))
    assert text.startswith("[[-1.      , -0.996661, -0.993322, ...], ...]") and "...], ...]  (shape=(20, 30), dtype=float32, 最小 -1., 最大 1.)" in text, text
    assert "\n" not in text


def test_a_network_dict_stays_on_one_short_line():
    rng = np.random.default_rng(0)
    network = {"W1": rng.normal(size=(784, 50)), "b1": rng.normal(size=50), "W2": rng.normal(size=(50, 100)),
               "b2": np.zeros(3), "W3": np.eye(2), "b3": rng.normal(size=10)}
    text = describe_inputs(Case("ネットワーク", (network, np.zeros(784, dtype=np.float32)), {"batch_size": 10}))
    assert "\n" not in text and len(text) < 900, text
    assert "'W1': [[" in text and "(shape=(784, 50), dtype=float64, 最小 " in text, text
    assert "'b2': [0., 0., 0.]  (shape=(3,), dtype=float64)" in text  # tiny arrays in full
    assert "'W3': [[1., 0.], [0., 1.]]  (shape=(2, 2), dtype=float64)" in text  # on one line
    assert "(shape=(784,), dtype=float32, 最小 0., 最大 0.)" in text and text.endswith("batch_size=10  (型 int)")


def test_long_containers_are_cut_with_an_ellipsis():
    text = summarize({f"k{i}": i for i in range(10)})
    assert "'k5': 5" in text and "'k6'" not in text and text.endswith(", ...}"), text
    text = summarize(tuple(np.zeros(2) for _ in range(8)))
    assert text.count("shape=(2,)") == 6 and text.endswith(", ...)"), text


# ---------------------------------------------------------------- messages a student can act on

def test_a_missing_return_says_none_is_returned():
    check = FunctionCheck("f", [Case("x", (np.array([1.0, 2.0]),))], reference=lambda x: x * 2)
    verdict = _judge(check, "def f(x):\n    y = x * 2\n")
    assert not verdict.passed
    assert "None が返っています" in verdict.message and "形状" not in verdict.message


def test_numbers_are_printed_as_numbers_without_numpy_reprs():
    check = FunctionCheck("f", [Case("x", (np.array([1.0, 2.0]),))], reference=lambda x: np.float64(-0.2718281828))
    verdict = _judge(check, "def f(x):\n    return 5\n")
    assert not verdict.passed
    assert "np.float64" not in verdict.message and "-0.2718281828" in verdict.message
    assert "(型 int)" not in verdict.message  # an int where a float is expected is fine as a type: only the value is wrong


def test_a_prerequisite_names_the_earlier_function_as_the_cause():
    sig = FunctionCheck("sigmoid", [Case("0", (np.array([0.0]),))], reference=lambda x: 1 / (1 + np.exp(-x)),
                        prerequisite_of="predict")
    verdict = _judge(sig, "def sigmoid(x):\n    return x\n")
    assert not verdict.passed
    assert verdict.message.startswith("predict が使う sigmoid が正しくありません")


def test_precomputed_mistake_values_give_the_hint_without_the_wrong_code():
    from course.checking import Mistake

    check = FunctionCheck("f", [Case("x", (np.array([1.0, 2.0]),), expected=np.array([2.0, 4.0]))],
                          mistakes=[Mistake("2 倍ではなく 2 乗しています。", values=[np.array([1.0, 4.0])])])
    verdict = _judge(check, "def f(x):\n    return x ** 2\n")
    assert not verdict.passed and "考えられる原因: 2 倍ではなく 2 乗しています。" in verdict.message


def test_a_failed_self_check_renders_only_its_message_in_ipython():
    from course.selfcheck import SelfCheckError

    lines = SelfCheckError("f: 「x」で不合格です。\n  値が違います。")._render_traceback_()
    assert lines == ["✘ f: 「x」で不合格です。", "  値が違います。"]


# ---------------------------------------------------------------- inputs left unchanged

def _total_squares(params):
    return float(sum(np.sum(w ** 2) for key, w in params.items() if key.startswith("W")))


_PARAMS_CHECK = FunctionCheck(
    function="total_squares", reference=_total_squares, dtype="float", returns="auto",
    cases=[Case("W1, b1, W2", ({"W1": np.array([[1.0, -2.0]]), "b1": np.array([3.0]), "W2": np.array([0.5])},))])


@pytest.mark.parametrize("body", [
    "    for key in params:\n        params[key] = params[key] ** 2\n    return float(sum(np.sum(v) for k, v in params.items() if k[0] == 'W'))\n",
    "    total = 0.0\n    for key, w in params.items():\n        if key.startswith('W'):\n            w **= 2\n            total += float(np.sum(w))\n    return total\n",
    "    params.pop('b1')\n    return float(sum(np.sum(w ** 2) for w in params.values()))\n",
])
def test_a_dict_argument_changed_in_place_fails_and_names_the_entry(body):
    verdict = _judge(_PARAMS_CHECK, "def total_squares(params):\n" + body)
    assert not verdict.passed
    assert "1 番目の引数" in verdict.message and "書き換えられています" in verdict.message, verdict.message
    assert "['W1']" in verdict.message or "['b1']" in verdict.message, verdict.message


def test_a_dict_argument_left_alone_passes():
    verdict = _judge(_PARAMS_CHECK, "def total_squares(params):\n"
                                    "    return float(sum(np.sum(params[k] ** 2) for k in params if 'W' in k))\n")
    assert verdict.passed, verdict.message
