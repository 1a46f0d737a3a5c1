"""Call a student's function on given inputs and report what came back, as plain data.

This module runs inside the student's kernel. It decides nothing: it only calls the
function and encodes the return values (and the arguments after the call) into JSON-able
data. Pass/fail is decided elsewhere (``course.checking.judge``) from that data alone, so
nothing the student's code does to this module, to numpy or to IPython can turn a wrong
answer into a pass: at worst the report is missing or garbled, which scores zero.

The grader injects the text of this file into the graded notebook, so it must stay
self-contained: standard library and numpy only, no relative imports.
"""

import base64
import io
import json
import math
import traceback
import warnings

import numpy as np

MAX_ARRAY_BYTES = 64 * 1024 * 1024
MAX_ITEMS = 1000


def _npy(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(array, order="C"), allow_pickle=False)  # keeps 0-d shape
    return base64.b64encode(buf.getvalue()).decode("ascii")


def encode_value(value, depth=0):
    """Encode a value into tagged JSON-able data, recording its exact class."""
    cls = type(value)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if depth > 8:
        return {"kind": "other", "cls": name, "repr": "(nested too deep)"}
    if value is None:
        return {"kind": "none", "cls": name}
    if cls is bool:
        return {"kind": "bool", "cls": name, "value": bool(value)}
    if cls is int:
        return {"kind": "int", "cls": name, "value": str(int(value))}
    if cls is float:
        return {"kind": "float", "cls": name, "value": float.__repr__(value)}
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        base = np.asarray(value).view(np.ndarray) if isinstance(value, np.ndarray) else np.asarray(value)
        if base.dtype.hasobject or base.dtype.fields is not None:
            return {"kind": "other", "cls": name, "repr": f"array of dtype {base.dtype}"}
        if base.nbytes > MAX_ARRAY_BYTES:
            return {"kind": "other", "cls": name, "repr": f"array too large ({base.nbytes} bytes)"}
        kind = "ndarray" if isinstance(value, np.ndarray) else "npscalar"
        return {"kind": kind, "cls": name, "npy": _npy(base)}
    if cls in (tuple, list):
        items = [encode_value(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"kind": cls.__name__, "cls": name, "items": items}
    if cls is dict:
        items = {str(k): encode_value(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
        return {"kind": "dict", "cls": name, "items": items}
    try:
        text = repr(value)[:200]
    except Exception:  # a hostile __repr__
        text = "(repr failed)"
    return {"kind": "other", "cls": name, "repr": text}


def decode_value(data):
    """Inverse of ``encode_value`` for trusted decoding (never unpickles)."""
    kind = data["kind"]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(data["value"])
    if kind == "int":
        return int(data["value"])
    if kind == "float":
        return float(data["value"])
    if kind in ("ndarray", "npscalar"):
        raw = base64.b64decode(data["npy"], validate=True)
        array = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
        return array if kind == "ndarray" else array[()]
    if kind in ("tuple", "list"):
        items = [decode_value(v) for v in data["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode_value(v) for k, v in data["items"].items()}
    raise ValueError(f"cannot decode value of kind {kind!r}")


def describe_callable(obj):
    """Where the graded object comes from: the notebook itself or some installed module."""
    info = {"exists": obj is not None, "callable": callable(obj)}
    if obj is None:
        return info
    code = getattr(obj, "__code__", None)
    info["module"] = str(getattr(obj, "__module__", None))
    info["filename"] = str(code.co_filename) if code is not None else None
    info["type"] = f"{type(obj).__module__}.{type(obj).__qualname__}"
    return info


def run_calls(namespace, request):
    """Call ``namespace[request['function']]`` on every case; return the JSON-able report."""
    fn = namespace.get(request["function"])
    report = {"function": request["function"], "callable": describe_callable(fn), "results": []}
    if not callable(fn):
        return report
    for call in request["calls"]:
        args = [decode_value(a) for a in call["args"]]
        kwargs = {k: decode_value(v) for k, v in call.get("kwargs", {}).items()}
        entry = {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                    value = fn(*args, **kwargs)
                entry["ok"] = True
                entry["value"] = encode_value(value)
            except BaseException as exc:  # noqa: BLE001 - the student's error is data here
                if isinstance(exc, KeyboardInterrupt):
                    raise
                entry["ok"] = False
                entry["error"] = f"{type(exc).__name__}: {exc}"[:2000]
                entry["traceback"] = "".join(traceback.format_exception(exc))[-4000:]
        entry["warnings"] = [f"{w.category.__name__}: {w.message}"[:300] for w in caught][:20]
        entry["args_after"] = [encode_value(a) for a in args]
        report["results"].append(entry)
    return report


def report_to_json(report):
    return json.dumps(report, allow_nan=False, separators=(",", ":"))
