"""Benchmark: the course's im2col convolution against loops and against PyTorch (DAY5, 5.2).

One convolution layer the size of the first layer of 5.4's SimpleConvNet — input (100, 1, 28, 28), 30 filters
5×5, stride 1, no padding — forward and backward (dx, dW, db for a given dout), timed for

1. the naive loops of 5.1 (a Python loop over every image, filter and output position; backward likewise),
2. ``course.layers.Convolution`` (im2col + one matrix product; col2im in backward), float64 like the course,
3. PyTorch CPU (``torch.nn.functional.conv2d`` and autograd) in float64 and float32, when torch is installed
   (``pip install -e '.[bench]'``; torch is never a dependency of the course itself).

All results are compared with each other before anything is timed. Prints the seconds of one forward+backward
and the ratios, all measured in this one run. By default numpy's BLAS and torch use one thread (the numbers in
docs/benchmarks.md are one core); ``--threads N`` changes that.

Usage: python scripts/benchmark_convolution.py [--threads 1] [--repeats 30] [--naive-images 100]
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=30, help="timed rounds of the fast versions (the median is reported)")
    parser.add_argument("--naive-images", type=int, default=100,
                        help="images the loops are timed on (fewer: the time is scaled up to 100 linearly)")
    return parser.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy is imported, so that its BLAS starts with this many threads
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(ARGS.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from course.im2col import conv_output_size  # noqa: E402
from course.layers import Convolution  # noqa: E402

N, C, HEIGHT, WIDTH = 100, 1, 28, 28
FN, FH, FW = 30, 5, 5
STRIDE, PAD = 1, 0


def naive_forward(x, W, b, stride=STRIDE, pad=PAD):
    """5.1's loops: one np.sum per image, filter and output position."""
    n_img, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    out_h, out_w = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n_img, fn, out_h, out_w))
    for n in range(n_img):
        for f in range(fn):
            for i in range(out_h):
                for j in range(out_w):
                    window = x_pad[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def naive_backward(x, W, dout, stride=STRIDE, pad=PAD):
    """The same loops backwards: every output position sends dout to its window (dx) and its filter (dW)."""
    n_img, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    out_h, out_w = dout.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dW = np.zeros_like(W)
    db = np.zeros(fn)
    for n in range(n_img):
        for f in range(fn):
            for i in range(out_h):
                for j in range(out_w):
                    d = dout[n, f, i, j]
                    ys, xs = i * stride, j * stride
                    dx_pad[n, :, ys:ys + fh, xs:xs + fw] += d * W[f]
                    dW[f] += d * x_pad[n, :, ys:ys + fh, xs:xs + fw]
                    db[f] += d
    return dx_pad[:, :, pad:pad + h, pad:pad + w], dW, db


def im2col_step(x, W, b, dout):
    layer = Convolution(W, b, STRIDE, PAD)
    out = layer.forward(x)
    dx = layer.backward(dout)
    return out, dx, layer.dW, layer.db


def interleaved_times(steps, repeats):
    """The median seconds of each step over ``repeats`` rounds; every round runs every step once, in turn, so that
    a change in the machine's load during the run affects all of them alike (after one warm-up call each)."""
    for step in steps.values():
        step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def torch_runner(torch, x, W, b, dout, dtype):
    tx = torch.tensor(x, dtype=dtype, requires_grad=True)
    tW = torch.tensor(W, dtype=dtype, requires_grad=True)
    tb = torch.tensor(b, dtype=dtype, requires_grad=True)
    tdout = torch.tensor(dout, dtype=dtype)

    def step():
        tx.grad = tW.grad = tb.grad = None
        out = torch.nn.functional.conv2d(tx, tW, tb, stride=STRIDE, padding=PAD)
        out.backward(tdout)
        return out.detach().numpy(), tx.grad.numpy(), tW.grad.numpy(), tb.grad.numpy()

    return step


def max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(u, dtype=np.float64) - v))) for u, v in zip(a, b))


def main() -> int:
    args = ARGS or _parse()
    rng = np.random.default_rng(0)
    x = rng.random((N, C, HEIGHT, WIDTH))  # like normalised MNIST images
    W = rng.normal(size=(FN, C, FH, FW)) * 0.01
    b = np.zeros(FN)
    out_h, out_w = conv_output_size(HEIGHT, FH, STRIDE, PAD), conv_output_size(WIDTH, FW, STRIDE, PAD)
    dout = rng.normal(size=(N, FN, out_h, out_w))
    print(f"convolution forward + backward: x {x.shape}, W {W.shape}, stride {STRIDE}, pad {PAD}, "
          f"out {(N, FN, out_h, out_w)}; threads: {args.threads}; numpy {np.__version__}")

    reference = im2col_step(x, W, b, dout)
    rows = []

    # 1. the loops (slow: measured once, on --naive-images images, scaled up linearly)
    k = max(1, min(N, args.naive_images))
    start = time.perf_counter()
    out_naive = naive_forward(x[:k], W, b)
    dx_naive, dW_naive, db_naive = naive_backward(x[:k], W, dout[:k])
    naive_seconds = (time.perf_counter() - start) * N / k
    small = im2col_step(x[:k], W, b, dout[:k])
    diff = max_difference((out_naive, dx_naive, dW_naive, db_naive), small)
    note = "" if k == N else f" (measured on {k} images, scaled to {N})"
    rows.append(("naive loops (5.1)", naive_seconds, diff, note))

    # 2. the course's im2col layer and 3. PyTorch (when installed), timed in turns
    steps = {"im2col": lambda: im2col_step(x, W, b, dout)}
    diffs = {"im2col": 0.0}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
            steps[name] = torch_runner(torch, x, W, b, dout, dtype)
            diffs[name] = max_difference(steps[name](), reference)
    seconds = interleaved_times(steps, args.repeats)
    im2col_seconds = seconds.pop("im2col")
    torch_seconds = seconds
    rows.append(("im2col (course.layers.Convolution, float64)", im2col_seconds, 0.0, ""))
    for name, value in torch_seconds.items():
        rows.append((f"PyTorch {torch.__version__} conv2d ({name})", value, diffs[name], ""))

    print()
    print(f"{'implementation':48s} {'seconds':>10s}  {'max |diff| vs im2col':>20s}")
    for name, seconds, diff, note in rows:
        print(f"{name:48s} {seconds:10.4f}  {diff:20.2e}{note}")
    print()
    print(f"im2col vs naive loops: {naive_seconds / im2col_seconds:8.1f}x faster  (target >= 100x)")
    if torch is None:
        print("PyTorch is not installed, so there is no PyTorch comparison. It is an optional benchmark extra, "
              "never a course dependency: pip install -e '.[bench]'  (torch==2.13.0)")
    else:
        for name, seconds in torch_seconds.items():
            print(f"im2col vs PyTorch {name}: {im2col_seconds / seconds:8.2f}x the time of PyTorch"
                  f"  (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
