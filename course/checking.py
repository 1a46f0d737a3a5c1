"""Check definitions and the one judge that both the visible self-checks and the hidden
grader use.

A check is declarative: a function name, a table of input cases, and how to obtain the
expected value (given directly, or computed by a reference implementation on the trusted
side). ``judge`` compares a probe report (plain data, see ``course.probe``) with the
expectations in the order type → shape → dtype → value and returns a verdict with a
Japanese message that names the input, expected vs got, the maximum error and the likely
mistake.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import probe

NOT_SET = object()


@dataclass
class Case:
    """One input of a check. ``label`` is the Japanese description shown in messages."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = NOT_SET  # given directly (visible checks) or computed by a reference
    forbid_warnings: bool = False  # e.g. overflow at extreme inputs


@dataclass
class Mistake:
    """A typical wrong implementation and the hint shown when a result matches it.

    On the grader side ``implementation`` computes what the wrong code returns. In the visible
    self-checks the code never travels: ``values`` holds, per case (function checks) or per
    scenario and recorded step (class checks), what it returned on the visible inputs
    (``NOT_SET`` where it raised), computed at build time.
    """

    hint: str
    implementation: Optional[Callable] = None
    values: Optional[Sequence] = None


@dataclass
class Timing:
    """A speed requirement of a function check (a vectorisation exercise).

    The probe makes the inputs in the student's process (float64 arrays of ``shapes`` drawn with
    ``standard_normal`` from one ``np.random.default_rng(seed)``, in order), times the function on
    them and the yardstick ``baseline`` (a name of ``course.probe.BASELINES``: plain vectorised numpy
    work on the same arrays) alternately, up to ``repeat`` times, and reports the minimum of each.
    The judge fails the check when the function took more than ``max_ratio`` times the yardstick:
    a ratio measured in one process at one time, never seconds, so a slow or loaded machine slows
    both. Values are judged on the cases; the timed call's value is not checked.
    """

    label: str  # the Japanese description of the large input
    shapes: Sequence[tuple]
    baseline: str
    max_ratio: float
    hint: str  # why it is slow (shown as 考えられる原因)
    seed: int = 0
    repeat: int = 5

    def request(self) -> dict:
        return {"shapes": [[int(n) for n in s] for s in self.shapes], "seed": int(self.seed),
                "baseline": self.baseline, "max_ratio": float(self.max_ratio), "repeat": int(self.repeat)}


@dataclass
class FunctionCheck:
    function: str
    cases: Sequence[Case]
    reference: Optional[Callable] = None
    rtol: float = 1e-6
    atol: float = 1e-8
    dtype: Optional[str] = None  # "float", "int", "bool", "number" or None (no requirement)
    returns: str = "auto"  # "auto": like the expected value; "array": np.ndarray required
    check_inputs_unchanged: bool = True
    mistakes: Sequence[Mistake] = ()
    must_be_own: bool = True  # the function must be defined in the notebook
    allowed_borrowed: Sequence[str] = ()  # "module.name" a solution may call (e.g. "numpy.tanh")
    # (substring of the error text, Japanese hint): shown when the student's function raises an
    # error whose text ("ExceptionType: message") contains the substring
    error_hints: Sequence[tuple[str, str]] = ()
    # the visible self-check's cases (expected values and mistake values computed at build time)
    visible: Sequence[Case] = ()
    # the function this one is checked for: a failure here says "fix this first" (an earlier
    # exercise of the notebook that the graded function calls)
    prerequisite_of: str = ""
    # a speed requirement checked after every case passed (vectorisation exercises)
    timing: Optional[Timing] = None

    def expected_for(self, case: Case):
        if case.expected is not NOT_SET:
            return case.expected
        if self.reference is None:
            raise ValueError(f"case {case.label!r} of {self.function} has no expected value")
        return self.reference(*_copy_args(case.args), **_copy_args(case.kwargs))

    def request(self) -> dict:
        """The probe request: the function name and the encoded inputs (no expectations)."""
        return {
            "function": self.function,
            "calls": [
                {"args": [probe.encode_value(a) for a in c.args],
                 "kwargs": {k: probe.encode_value(v) for k, v in c.kwargs.items()}}
                for c in self.cases
            ],
            **({"timing": self.timing.request()} if self.timing is not None else {}),
        }


@dataclass
class Step:
    """One step of a class scenario: create the object, call a method, read or set an attribute."""

    op: str  # "new", "call", "get" or "set"
    method: str = ""
    path: tuple = ()
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    record: bool = False
    label: str = ""
    forbid_warnings: bool = False

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.op == "call":
            return f"{self.method}() の戻り値"
        return "属性 " + ".".join(str(p) for p in self.path)

    def encode(self) -> dict:
        return {"op": self.op, "method": self.method, "path": list(self.path), "record": self.record,
                "args": [probe.encode_value(a) for a in self.args],
                "kwargs": {k: probe.encode_value(v) for k, v in self.kwargs.items()}}


def new(*args, **kwargs) -> Step:
    """Create the object under test: ``Cls(*args, **kwargs)``."""
    return Step("new", args=args, kwargs=kwargs)


def call(method: str, *args, label: str = "", record: bool = True, forbid_warnings: bool = False, **kwargs) -> Step:
    """Call ``obj.method(*args, **kwargs)`` and check its return value (``record=False``: only run it)."""
    return Step("call", method=method, args=args, kwargs=kwargs, record=record, label=label,
                forbid_warnings=forbid_warnings)


def get(path: str, label: str = "") -> Step:
    """Check ``obj.a.b`` (dict keys allowed on the way: ``"params.W1"``)."""
    return Step("get", path=tuple(path.split(".")), record=True, label=label)


def put(path: str, value) -> Step:
    """Set ``obj.a.b = value`` (arrays of the same shape are filled in place)."""
    return Step("set", path=tuple(path.split(".")), args=(value,))


@dataclass
class Scenario:
    label: str
    steps: Sequence[Step]

    def encoded_steps(self) -> list[dict]:
        return [st.encode() for st in self.steps]


@dataclass
class ClassCheck:
    """Checks a class (a layer, a network) by running scenarios on a new object and comparing
    every recorded step with the same scenario run on the reference class."""

    function: str  # the class name in the notebook
    scenarios: Sequence[Scenario]
    reference: type
    rtol: float = 1e-6
    atol: float = 1e-8
    dtype: Optional[str] = None
    returns: str = "auto"
    check_inputs_unchanged: bool = True
    mistakes: Sequence[Mistake] = ()  # implementation = a wrong class
    error_hints: Sequence[tuple] = ()
    must_be_own: bool = True
    allowed_borrowed: Sequence[str] = ()
    visible: Sequence[Scenario] = ()
    prerequisite_of: str = ""
    part: str = ""  # the method this check is about (named in prerequisite messages), e.g. "predict"
    # per scenario, the values of its recorded steps (NOT_SET where the reference raised);
    # None: computed by running the reference class
    expected: Optional[Sequence] = None

    def request(self) -> dict:
        return {"function": self.function, "scenarios": [{"steps": sc.encoded_steps()} for sc in self.scenarios]}

    def expected_entries(self, index: int) -> list:
        if self.expected is not None:
            return list(self.expected[index])
        return _reference_entries(self.reference, self.scenarios[index])


@dataclass
class Verdict:
    passed: bool
    message: str


def _copy_args(args):
    if isinstance(args, dict):
        return {k: _copy_value(v) for k, v in args.items()}
    return tuple(_copy_value(a) for a in args)


def _copy_value(v):
    if isinstance(v, probe.Seeded):  # the reference gets its own Generator, like the student's code
        return np.random.default_rng(v.seed)
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, dict):
        return {k: _copy_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_copy_value(x) for x in v)
    return v


SUMMARY_LIMIT = 20  # arrays with more elements are shown as shape, dtype, first values, min and max
STRING_LIMIT = 60  # longer strings are cut in messages
NESTED_LIMIT = 6  # the same for arrays inside a dict, tuple or list (e.g. the weights of a network)
MAX_ITEMS_SHOWN = 6  # entries of a dict, tuple or list


def _number_text(x) -> str:
    return np.array2string(np.asarray(x), precision=6)


def _scalar_text(x) -> str:
    """A number as a number: 0.5, -0.2718281828, 5 (never ``np.float64(...)``)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    try:
        return f"{float(x):.10g}"
    except (TypeError, ValueError):
        return repr(x)


def _plain(value) -> str:
    """Like ``summarize`` but numbers without their type (for value comparisons)."""
    if _is_scalar_like(value) and not isinstance(value, np.ndarray):
        return _scalar_text(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _scalar_text(value[()])
    return summarize(value)


def _head_text(a: np.ndarray, count: int = 3) -> str:
    """The first values of a (non-empty) array, nested like the array: [[a, b, c, ...], ...]."""
    if a.ndim == 1:
        body = np.array2string(a[:count], precision=6, separator=", ", max_line_width=10**6)
        return body[:-1] + ", ...]" if len(a) > count else body
    return "[" + _head_text(a[0], count) + (", ...]" if len(a) > 1 else "]")


def _array_overview(a: np.ndarray) -> str:
    """shape, dtype, first values, min and max of a large array, on one line."""
    extra = ""
    try:
        with np.errstate(all="ignore"):
            extra = f", 最小 {_number_text(np.min(a))}, 最大 {_number_text(np.max(a))}"
    except (TypeError, ValueError):
        pass
    return f"{_head_text(a)}  (shape={a.shape}, dtype={a.dtype}{extra})"


def summarize(value, limit: int = SUMMARY_LIMIT, nested: bool = False) -> str:
    """A short, readable rendering of a value for messages.

    Arrays of at most ``limit`` elements are printed in full; larger ones (and arrays inside a
    dict, tuple or list with more than ``NESTED_LIMIT`` elements) only by shape, dtype, their
    first values, minimum and maximum, so that a message about a whole network stays readable.
    Values inside containers are rendered on one line.
    """
    if callable(value) and getattr(value, "__course_fn__", None):
        return f"関数 {value.__course_fn__}"
    if isinstance(value, probe.Attribute):
        return f"（テスト対象の {value!r}）"
    if isinstance(value, probe.Seeded):
        return f"rng = {value!r}"
    if isinstance(value, np.ndarray):
        if nested:
            limit = min(limit, NESTED_LIMIT)
        if value.size > limit and value.ndim > 0:
            return _array_overview(value)
        body = np.array2string(value, precision=6, threshold=max(limit, value.size), separator=", ",
                               max_line_width=10**6 if nested else None)
        if nested:
            body = re.sub(r"\n\s*", " ", body)
        return f"{body}  (shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (np.generic, int, float)) and not isinstance(value, (bool, np.bool_)):
        return f"{_scalar_text(value)}  (型 {type(value).__name__})"
    if isinstance(value, str):
        shown = value if len(value) <= STRING_LIMIT else value[:STRING_LIMIT] + "…"
        return repr(shown) if nested else f"{shown!r}  (文字列、{len(value)} 文字)"
    if isinstance(value, dict):
        items = list(value.items())
        inner = ", ".join(f"{k!r}: {summarize(v, limit, nested=True)}" for k, v in items[:MAX_ITEMS_SHOWN])
        return "{" + inner + (", ..." if len(items) > MAX_ITEMS_SHOWN else "") + "}"
    if isinstance(value, (list, tuple)) and len(value) > 0 and not all(isinstance(v, (int, float)) for v in value):
        inner = ", ".join(summarize(v, limit, nested=True) for v in value[:MAX_ITEMS_SHOWN])
        return "(" + inner + (", ..." if len(value) > MAX_ITEMS_SHOWN else "") + ")"
    return f"{value!r}  (型 {type(value).__name__})"


def describe_inputs(case: Case) -> str:
    parts = [summarize(a) for a in case.args]
    parts += [f"{k}={summarize(v)}" for k, v in case.kwargs.items()]
    return ", ".join(parts)


_DTYPE_KINDS = {"float": "f", "int": "iu", "bool": "b", "number": "iuf", "uint": "u"}
_DTYPE_NAMES = {"float": "浮動小数点数 (float)", "int": "整数 (int)", "bool": "真偽値 (bool)", "uint": "符号なし整数 (np.uint8 など)",
                "number": "数値 (int または float。bool は不可)"}


def _is_scalar_like(v) -> bool:
    return isinstance(v, (int, float, bool, np.generic)) or (isinstance(v, np.ndarray) and v.ndim == 0)


def _dtype_kind_of(v) -> str:
    if isinstance(v, bool):
        return "b"
    if isinstance(v, int):
        return "i"
    if isinstance(v, float):
        return "f"
    return np.asarray(v).dtype.kind


def _values_close(expected, got, rtol, atol):
    """(ok, max_abs_error, position) for numeric values of equal shape."""
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False, math.inf, None
    if e.shape != g.shape:
        return False, math.inf, None
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
        both_nan = np.isnan(e) & np.isnan(g)
        both_inf = np.isinf(e) & (e == g)
        ok_mask = close | both_nan | both_inf
        diff = g - e  # inf - inf and nan give nan here, without a RuntimeWarning
        err = np.abs(diff)
    err = np.where(ok_mask, 0.0, np.where(np.isnan(err), np.inf, err))
    if ok_mask.all():
        return True, float(np.max(np.abs(np.nan_to_num(diff, nan=0.0, posinf=0.0, neginf=0.0)), initial=0.0)), None
    flat = int(np.argmax(err))
    position = np.unravel_index(flat, e.shape) if e.shape else ()
    return False, float(err.flat[flat]), position


def compare(expected, got, *, rtol: float, atol: float, dtype: Optional[str], returns: str,
            got_cls: str = "") -> Optional[str]:
    """Compare one value; None when it matches, otherwise the Japanese reason."""
    if got is None and expected is not None:
        return ("None が返っています。関数の最後で値を return していますか？"
                f"（期待: {_plain(expected) if not isinstance(expected, (tuple, list, dict)) else summarize(expected)}）")
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"文字列 (str) を返す必要があります。実際: {summarize(got)}"
        if got == expected:
            return None
        first = next((i for i, (e, g) in enumerate(zip(expected, got)) if e != g), min(len(expected), len(got)))
        return (f"文字列が違います。\n    期待: {summarize(expected)}\n    実際: {summarize(got)}\n"
                f"    最初に違うのは先頭から {first} 文字目（0 から数える）です（長さ: 期待 {len(expected)}、実際 {len(got)}）。")
    if isinstance(expected, tuple) or (isinstance(expected, list) and not _is_scalar_like(got)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{len(expected)} 個の値の組（タプル）を返す必要があります。実際: {summarize(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            # dtype may be one requirement per element of the tuple (e.g. ("uint", "float", "int"))
            part = dtype[i] if isinstance(dtype, (tuple, list)) else dtype
            reason = compare(e, g, rtol=rtol, atol=atol, dtype=part, returns="auto")
            if reason:
                return f"{i + 1} 番目の値: {reason}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"辞書 (dict) を返す必要があります。実際: {summarize(got)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"辞書にキー {missing} がありません。"
        for k in expected:
            reason = compare(expected[k], got[k], rtol=rtol, atol=atol, dtype=dtype, returns="auto")
            if reason:
                return f"キー {k!r}: {reason}"
        return None

    want_array = returns == "array" or (returns == "auto" and isinstance(expected, np.ndarray) and expected.ndim > 0)
    # 1. type
    if want_array:
        if got_cls and got_cls != "numpy.ndarray":
            return f"numpy の配列 (np.ndarray) を返す必要があります。実際の型: {got_cls}"
        if not isinstance(got, np.ndarray):
            return f"numpy の配列 (np.ndarray) を返す必要があります。実際: {summarize(got)}"
    else:
        if not (_is_scalar_like(got) or isinstance(got, np.ndarray)):
            return f"数値を返す必要があります。実際: {summarize(got)}"
    # 2. shape
    exp_shape = np.shape(expected)
    got_shape = np.shape(got)
    if exp_shape != got_shape:
        return f"形状 (shape) が違います。期待: {exp_shape}、実際: {got_shape}"
    # 3. dtype
    if dtype is not None:
        kind = _dtype_kind_of(got)
        if kind not in _DTYPE_KINDS[dtype]:
            return (f"要素の型が違います。期待: {_DTYPE_NAMES[dtype]}、"
                    f"実際: {np.asarray(got).dtype if not isinstance(got, (int, float, bool)) else type(got).__name__}")
    # 4. value
    ok, max_err, position = _values_close(expected, got, rtol, atol)
    if ok:
        return None
    where = f"（位置 {tuple(int(p) for p in position)}）" if position not in (None, ()) else ""
    return (f"値が違います。\n    期待: {_plain(expected)}\n    実際: {_plain(got)}\n"
            f"    最大誤差: {max_err:.3g}{where}（許容: rtol={rtol:g}, atol={atol:g}）")


_WARNING_HINTS = (
    ("overflow", "大きな値でもオーバーフローしない計算方法にしてください。"),
    ("divide by zero", "0 で割る・log(0) を避けてください（微小な値 eps を足す・クリップする）。"),
    ("invalid value", "nan が生じる計算を避けてください（0 で割る・log(0)・inf - inf などが nan の原因になります）。"),
)


def warning_hint(warning: str) -> str:
    """The hint for a recorded warning ("RuntimeWarning: overflow encountered in exp", ...)."""
    for needle, hint in _WARNING_HINTS:
        if needle in warning:
            return hint
    return "警告が出ない計算方法にしてください。"


def error_hints(check: FunctionCheck, error: str) -> list[str]:
    """The check's hints whose substring occurs in the error text, in order, without repeats."""
    hints: list[str] = []
    for needle, hint in check.error_hints:
        if needle in error and hint not in hints:
            hints.append(hint)
    return hints


def _looks_own(info: dict) -> bool:
    return info.get("module") == "__main__"


def _changed_part(before, now, where: str = "") -> Optional[str]:
    """Where an input argument holding arrays differs after the call ("" for the array itself,
    "['W1']" for a dict entry, "[0]" for a list item), or None when every array in it is unchanged."""
    if isinstance(before, np.ndarray):
        same = isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before, equal_nan=True)
        return None if same else where
    if isinstance(before, dict):  # the report's keys are strings
        if not isinstance(now, dict):
            return where or "辞書"
        for key, value in list(before.items())[:probe.MAX_ITEMS]:  # the report holds at most MAX_ITEMS
            if str(key) not in now:
                return f"{where}[{key!r}]"
            part = _changed_part(value, now[str(key)], f"{where}[{key!r}]")
            if part is not None:
                return part
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(now, (list, tuple)) or len(now) != min(len(before), probe.MAX_ITEMS):
            return where or "リスト"
        for i, (b, n) in enumerate(zip(before, now)):
            part = _changed_part(b, n, f"{where}[{i}]")
            if part is not None:
                return part
    return None


def _judge_entry(check, header: str, result: dict, expected, args, forbid_warnings: bool,
                 mistake_values) -> Optional[str]:
    """Why one probed result (a call or a recorded step) fails, or None when it passes.

    ``mistake_values`` is a callable returning, for each of the check's mistakes, the value that
    wrong implementation gives here (or NOT_SET when it does not apply).
    """
    if not result.get("ok"):
        error = result.get("error", "不明なエラー")
        hints = []
        if "NotImplementedError" in error:
            hints.append("まだ解答が書かれていません（raise NotImplementedError() を消して実装してください）。")
        hints += error_hints(check, error)
        hint = "".join(f"\n  ヒント: {h}" for h in hints)
        return f"{header}  エラーが発生しました: {error}{hint}"
    try:
        got = probe.decode_value(result["value"])
    except Exception as exc:  # malformed report → fail
        return f"{header}  戻り値を読み取れませんでした（{exc}）。"
    got_cls = result["value"].get("cls", "")
    if result["value"].get("kind") == "other" or (result["value"].get("kind") == "str" and not isinstance(expected, str)):
        return f"{header}  戻り値の型 {got_cls} は使えません（{result['value'].get('repr', repr(got)[:200])}）。"
    if check.check_inputs_unchanged:
        after = [probe.decode_value(a) for a in result.get("args_after", [])]
        for i, (before, now) in enumerate(zip(args, after)):
            where = _changed_part(before, now)
            if where is not None:
                what = "入力配列" if isinstance(before, np.ndarray) else f"入力の {where}"
                return f"{header}  {i + 1} 番目の引数（{what}）が書き換えられています。入力は変更しないでください。"
    reason = compare(expected, got, rtol=check.rtol, atol=check.atol, dtype=check.dtype,
                     returns=check.returns, got_cls=got_cls if isinstance(got, np.ndarray) else "")
    if reason:
        hints = []
        for mistake, value in zip(check.mistakes, mistake_values()):
            if value is not NOT_SET and compare(value, got, rtol=check.rtol, atol=check.atol, dtype=None,
                                                returns="auto") is None:
                hints.append(mistake.hint)
        text = f"{header}  {reason}"
        if hints:
            text += "\n  考えられる原因: " + hints[0]
        return text
    if forbid_warnings and result.get("warnings"):
        return (f"{header}  計算中に警告が出ました: {result['warnings'][0]}\n"
                f"  ヒント: {warning_hint(result['warnings'][0])}")
    return None


def _judge_target(check, report: Optional[dict], kind: str) -> Optional[str]:
    """Why the probed object itself is unusable (missing, not callable, not the student's own)."""
    name = check.function
    if not report or report.get("function") != name:
        return f"{name} の結果を受け取れませんでした（セルが実行されなかったか、カーネルが停止しました）。"
    info = report.get("callable") or {}
    if not info.get("exists"):
        return f"{kind} {name} が定義されていません。解答セルを実行して {name} を定義してください。"
    if not info.get("callable"):
        return f"{name} が{kind}になっていません（型: {info.get('type')}）。"
    if check.must_be_own and not _looks_own(info):
        return (f"{name} はノートブックの中で自分で実装してください。"
                f"ライブラリのものをそのまま使うことはできません（由来: {info.get('module')}）。")
    borrowed = [b for b in info.get("borrowed") or [] if b not in check.allowed_borrowed]
    if check.must_be_own and borrowed:
        return (f"{name} はノートブックの中で自分で実装してください。"
                f"既存の実装 {', '.join(borrowed)} を呼び出すだけの解答は採点できません。")
    return None


def judge(check, report: Optional[dict]) -> Verdict:
    """Decide pass/fail from a probe report (data only) and the check's expectations."""
    if isinstance(check, ClassCheck):
        return _judge_class(check, report)
    name = check.function
    problem = _judge_target(check, report, "関数")
    if problem:
        return Verdict(False, problem)
    results = report.get("results") or []
    if len(results) != len(check.cases):
        return Verdict(False, f"{name} の結果の数が合いません（期待 {len(check.cases)}、受信 {len(results)}）。")
    for index, (case, result) in enumerate(zip(check.cases, results)):
        header = f"{name}: 「{case.label}」で不合格です。\n  入力: {describe_inputs(case)}\n"

        def mistake_values(case=case, index=index):
            return [m.values[index] if m.values is not None else
                    _run_quietly(lambda m=m: m.implementation(*_copy_args(case.args), **_copy_args(case.kwargs)))
                    for m in check.mistakes]

        failure = _judge_entry(check, header, result, check.expected_for(case), case.args,
                               case.forbid_warnings, mistake_values)
        if failure:
            return Verdict(False, _prerequisite_note(check) + failure)
    if check.timing is not None:
        failure = _judge_timing(check, report.get("timing"))
        if failure:
            return Verdict(False, _prerequisite_note(check) + failure)
    return Verdict(True, f"{name}: {len(check.cases)} 件のチェックすべてに合格しました。")


def _judge_timing(check: FunctionCheck, result) -> Optional[str]:
    """Why the timed run fails the check's ``Timing`` (None when it is fast enough)."""
    timing = check.timing
    header = f"{check.function}: 「{timing.label}」で速さのチェックに不合格です。\n"
    if not isinstance(result, dict):
        return header + "  実行時間を測れませんでした（セルが最後まで実行されなかった可能性があります）。"
    if not result.get("ok"):
        return header + f"  エラーが発生しました: {str(result.get('error', '不明なエラー'))[:2000]}"
    seconds, baseline = result.get("seconds"), result.get("baseline_seconds")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
               for v in (seconds, baseline)):
        return header + "  実行時間を正しく測れませんでした。"
    ratio = seconds / baseline
    if ratio <= timing.max_ratio:
        return None
    return (header + f"  同じ大きさの配列の基準の計算（{BASELINE_TEXT.get(timing.baseline, timing.baseline)}）の"
            f" {ratio:.0f} 倍の時間がかかりました（上限は {timing.max_ratio:g} 倍、"
            f"{_seconds_text(seconds)} 対 {_seconds_text(baseline)}）。\n  考えられる原因: {timing.hint}")


def _seconds_text(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ミリ秒" if seconds < 1 else f"{seconds:.3g} 秒"


# how messages name the yardsticks of course.probe.BASELINES
BASELINE_TEXT = {"difference_sums": "(X[:, None, :] - Y[None, :, :]).sum(axis=-1)"}


def _prerequisite_note(check) -> str:
    if not check.prerequisite_of:
        return ""
    name = getattr(check, "part", "") or check.function
    return (f"{check.prerequisite_of} が使う {name} が正しくありません。"
            f"先に {name} を直してください（{check.prerequisite_of} の結果もそのせいで違っている可能性があります）。\n")


def _run_quietly(action):
    try:
        with np.errstate(all="ignore"):
            return action()
    except Exception:
        return NOT_SET


def _reference_entries(cls, scenario) -> list:
    report = probe.run_scenario(cls, scenario.encoded_steps())
    return [probe.decode_value(e["value"]) if e.get("ok") else NOT_SET for e in report]


def _judge_class(check: "ClassCheck", report: Optional[dict]) -> Verdict:
    name = check.function
    problem = _judge_target(check, report, "クラス")
    if problem:
        return Verdict(False, problem)
    results = report.get("results") or []
    if len(results) != len(check.scenarios):
        return Verdict(False, f"{name} の結果の数が合いません（期待 {len(check.scenarios)}、受信 {len(results)}）。")
    for index, (scenario, result) in enumerate(zip(check.scenarios, results)):
        recorded = [st for st in scenario.steps if st.record]
        entries = result.get("steps") or []
        if len(entries) != len(recorded):
            return Verdict(False, f"{name}: 「{scenario.label}」の結果の数が合いません。")
        expected = check.expected_entries(index)
        wrong = None
        for k, (step, entry) in enumerate(zip(recorded, entries)):
            header = f"{name}: 「{scenario.label}」の {step.describe()} で不合格です。\n"
            if step.args:
                header += f"  入力: {describe_inputs(Case('', step.args, step.kwargs))}\n"

            def mistake_values(k=k):
                nonlocal wrong
                if wrong is None:
                    wrong = [list(m.values[index]) if m.values is not None else
                             _run_quietly(lambda m=m: _reference_entries(m.implementation, scenario))
                             for m in check.mistakes]
                return [w[k] if w is not NOT_SET else NOT_SET for w in wrong]

            failure = _judge_entry(check, header, entry, expected[k], step.args, step.forbid_warnings,
                                   mistake_values)
            if failure:
                return Verdict(False, _prerequisite_note(check) + failure)
    return Verdict(True, f"{name}: {len(check.scenarios)} 件のシナリオすべてに合格しました。")


def run_in_process(check: FunctionCheck, namespace: dict) -> Verdict:
    """Probe and judge in the current process (visible self-checks, instructor runs)."""
    import json

    report = json.loads(probe.report_to_json(probe.run_calls(namespace, check.request())))
    return judge(check, report)
