"""scripts/benchmark_convolution.py times loops that must compute the same convolution as the course's im2col layer
(forward and backward); checked here on a small input, without timing anything."""

import importlib.util

import numpy as np

from course.layers import Convolution

from .grading_support import REPO


def _script():
    spec = importlib.util.spec_from_file_location("benchmark_convolution", REPO / "scripts" / "benchmark_convolution.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_loops_compute_the_im2col_layers_values():
    bench = _script()
    rng = np.random.default_rng(5)
    x, W, b = rng.normal(size=(2, 2, 7, 6)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    for stride, pad in [(1, 0), (2, 1)]:
        layer = Convolution(W, b, stride, pad)
        out = layer.forward(x)
        dout = rng.normal(size=out.shape)
        dx = layer.backward(dout)
        np.testing.assert_allclose(bench.naive_forward(x, W, b, stride, pad), out, rtol=1e-10, atol=1e-12)
        for got, want in zip(bench.naive_backward(x, W, dout, stride, pad), (dx, layer.dW, layer.db)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
