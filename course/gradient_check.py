"""The course's one gradient checker (誤差逆伝播法の勾配確認).

Compares analytic gradients (from backpropagation) with central-difference numerical
gradients computed in float64, using the relative error

    rel = |analytic - numerical| / max(|analytic| + |numerical|, 1e-8)

element by element. A parameter passes when its largest relative error is at most
``threshold`` (default 1e-5). float64 central differences with h = 1e-5 are accurate to
about 1e-9 on smooth functions; the book's cross-entropy adds delta = 1e-7 inside the log,
which its analytic gradient (y - t) / N ignores, and that alone gives relative errors of a
few 1e-6. A wrong gradient is off by far more (1e-2 and up). The verdict names the
parameter and its worst element in Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

DEFAULT_THRESHOLD = 1e-5
DEFAULT_STEP = 1e-5


@dataclass
class GradientVerdict:
    passed: bool
    message: str
    worst: dict  # parameter name -> (max relative error, index of the worst element)


def _central_differences(f: Callable[[], float], x: np.ndarray, h: float) -> np.ndarray:
    """d f / d x by central differences; ``x`` is perturbed in place and restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        saved = x[idx]
        x[idx] = saved + h
        plus = float(f())
        x[idx] = saved - h
        minus = float(f())
        x[idx] = saved
        grad[idx] = (plus - minus) / (2 * h)
        it.iternext()
    return grad


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> np.ndarray:
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    return np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-8)


def check_gradients(loss: Callable[[], float], params: Mapping[str, np.ndarray],
                    analytic: Mapping[str, np.ndarray], *, threshold: float = DEFAULT_THRESHOLD,
                    h: float = DEFAULT_STEP) -> GradientVerdict:
    """Check ``analytic[name]`` against numerical gradients of ``loss()`` w.r.t. ``params[name]``.

    ``loss`` is called without arguments and must read the arrays in ``params`` (they are
    perturbed in place); use float64 arrays, float32 is too coarse for this test.
    """
    lines, worst, passed = [], {}, True
    for name, param in params.items():
        if param.dtype != np.float64:
            raise TypeError(f"{name} は float64 にしてください（勾配確認は float32 では精度が足りません）。")
        if name not in analytic:
            passed = False
            lines.append(f"✘ {name}: 解析的な勾配がありません。")
            continue
        grad = np.asarray(analytic[name], dtype=np.float64)
        if grad.shape != param.shape:
            passed = False
            lines.append(f"✘ {name}: 勾配の形状 {grad.shape} がパラメータの形状 {param.shape} と違います。")
            continue
        numerical = _central_differences(loss, param, h)
        rel = relative_error(grad, numerical)
        index = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.size else ()
        err = float(rel[index]) if rel.size else 0.0
        worst[name] = (err, tuple(int(i) for i in index))
        ok = err <= threshold
        passed &= ok
        where = f"位置 {tuple(int(i) for i in index)}" if rel.ndim else "スカラー"
        lines.append(f"{'✔' if ok else '✘'} {name}: 最大相対誤差 {err:.2e}（{where}: 解析 {grad[index]:.6g}, "
                     f"数値 {numerical[index]:.6g}）" + ("" if ok else f" > しきい値 {threshold:g}"))
    head = "勾配確認に合格しました。" if passed else "勾配確認で不一致があります（backward の式を見直しましょう）。"
    return GradientVerdict(passed, head + "\n" + "\n".join(lines), worst)
