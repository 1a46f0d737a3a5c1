"""Record the speed measurements of 8_7_speedup into ``course/data/day8_speedup.json``.

    python scripts/record_day8_speedup.py          # about 2 minutes (run it without OPENBLAS_NUM_THREADS set)

Each measurement is the minimum of several runs (``time.perf_counter``), so a busy machine slows
the numbers less. The file describes the machine (CPU, cores, numpy and its BLAS) because every
number depends on it: the notebook shows the ratios, which travel better than the seconds.
Measured here:
- pairwise squared distances: a double Python loop, a loop over rows, broadcasting, the matrix-product form;
- convolution: loops over output positions vs im2col + one matrix product (``course.im2col``);
- matrix products in float32 vs float64;
- a training step of a two-layer network (forward and backward): images per second against the batch size;
- BLAS threads: a matrix product with 1, 2, ... threads (``threadpoolctl``);
- data parallelism: the gradient of a batch split over 1, 2, ... worker processes.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.im2col import im2col  # noqa: E402

OUT = ROOT / "course" / "data" / "day8_speedup.json"


def best_time(f, *args, repeat=5, budget=20.0):
    """The minimum time of ``repeat`` runs (fewer when the runs together exceed ``budget`` seconds)."""
    best, spent = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        f(*args)
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if spent > budget:
            break
    return best


# ----------------------------------------------------------------------------- pairwise distances
def dist_double_loop(X, Y):
    out = np.empty((X.shape[0], Y.shape[0]))
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            out[i, j] = np.sum((X[i] - Y[j]) ** 2)
    return out


def dist_row_loop(X, Y):
    out = np.empty((X.shape[0], Y.shape[0]))
    for i in range(X.shape[0]):
        out[i] = np.sum((Y - X[i]) ** 2, axis=1)
    return out


def dist_broadcast(X, Y):
    return np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2)


def dist_matmul(X, Y):
    return np.maximum(np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] - 2.0 * X @ Y.T, 0.0)


def record_distances(rng):
    sizes, d = [50, 100, 200, 400], 32
    times = {"double_loop": [], "row_loop": [], "broadcast": [], "matmul": []}
    for n in sizes:
        X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        ref = dist_matmul(X, Y)
        for name, f in [("double_loop", dist_double_loop), ("row_loop", dist_row_loop),
                        ("broadcast", dist_broadcast), ("matmul", dist_matmul)]:
            assert np.allclose(f(X, Y), ref, atol=1e-9)
            times[name].append(best_time(f, X, Y, repeat=3 if name == "double_loop" else 15))
        print(f"distances n={n}: " + ", ".join(f"{k} {v[-1] * 1e3:.3f} ms" for k, v in times.items()))
    return {"n": sizes, "d": d, "seconds": times}


# ----------------------------------------------------------------------------- convolution
def conv_loops(x, W, b):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = H - FH + 1, Wd - FW + 1
    out = np.empty((N, FN, OH, OW))
    Wf = W.reshape(FN, -1)
    for i in range(OH):
        for j in range(OW):
            patch = x[:, :, i:i + FH, j:j + FW].reshape(N, -1)
            out[:, :, i, j] = patch @ Wf.T + b
    return out


def conv_element_loops(x, W, b):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = H - FH + 1, Wd - FW + 1
    out = np.empty((N, FN, OH, OW))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    out[n, f, i, j] = np.sum(x[n, :, i:i + FH, j:j + FW] * W[f]) + b[f]
    return out


def conv_im2col(x, W, b):
    N, _, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = H - FH + 1, Wd - FW + 1
    col = im2col(x, FH, FW)
    out = col @ W.reshape(FN, -1).T + b
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def record_convolution(rng):
    batches, setting = [1, 8, 32], {"channels": 1, "size": 28, "filters": 16, "filter_size": 5}
    W = rng.standard_normal((16, 1, 5, 5))
    b = rng.standard_normal(16)
    times = {"element_loops": [], "position_loops": [], "im2col": []}
    for n in batches:
        x = rng.standard_normal((n, 1, 28, 28))
        ref = conv_im2col(x, W, b)
        for name, f in [("element_loops", conv_element_loops), ("position_loops", conv_loops), ("im2col", conv_im2col)]:
            if name == "element_loops" and n > 8:
                times[name].append(None)
                continue
            assert np.allclose(f(x, W, b), ref, atol=1e-9)
            times[name].append(best_time(f, x, W, b, repeat=3 if name == "element_loops" else 15))
        print(f"convolution N={n}: " + ", ".join(f"{k} {v[-1] * 1e3:.3f} ms" if v[-1] else f"{k} -"
                                                  for k, v in times.items()))
    return {"batch": batches, **setting, "seconds": times}


# ----------------------------------------------------------------------------- float32 vs float64
def record_precision(rng):
    sizes = [128, 256, 512, 1024]
    seconds = {"float64": [], "float32": []}
    for n in sizes:
        for dtype in ("float64", "float32"):
            a = rng.standard_normal((n, n)).astype(dtype)
            c = rng.standard_normal((n, n)).astype(dtype)
            seconds[dtype].append(best_time(np.matmul, a, c, repeat=15, budget=5.0))
        print(f"matmul n={n}: " + ", ".join(f"{k} {v[-1] * 1e3:.3f} ms" for k, v in seconds.items()))
    a = rng.standard_normal((512, 512))
    c = rng.standard_normal((512, 512))
    exact = a @ c
    error32 = float(np.max(np.abs((a.astype(np.float32) @ c.astype(np.float32)) - exact)) / np.max(np.abs(exact)))
    return {"n": sizes, "seconds": seconds, "float32_relative_error_512": error32}


# ----------------------------------------------------------------------------- batch size
def training_step(x, t, params):
    """Forward and backward of a two-layer network (Affine-ReLU-Affine, squared error): the gradients."""
    h_in = x @ params["W1"] + params["b1"]
    h = np.maximum(h_in, 0.0)
    dy = h @ params["W2"] + params["b2"] - t
    dh = (dy @ params["W2"].T) * (h_in > 0)
    return {"W1": x.T @ dh, "b1": dh.sum(axis=0), "W2": h.T @ dy, "b2": dy.sum(axis=0)}


def record_batch_size(rng):
    batches = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    images = 2048
    throughput = {}
    for dtype in ("float64", "float32"):
        params = {"W1": (rng.standard_normal((784, 100)) * 0.05).astype(dtype), "b1": np.zeros(100, dtype),
                  "W2": (rng.standard_normal((100, 10)) * 0.1).astype(dtype), "b2": np.zeros(10, dtype)}
        data = rng.standard_normal((images, 784)).astype(dtype)
        targets = rng.standard_normal((images, 10)).astype(dtype)
        throughput[dtype] = []
        for bs in batches:
            def epoch():
                for start in range(0, images, bs):
                    training_step(data[start:start + bs], targets[start:start + bs], params)
            throughput[dtype].append(images / best_time(epoch, repeat=7, budget=5.0))
            print(f"{dtype} batch {bs}: {throughput[dtype][-1]:.0f} images/s")
    return {"batch": batches, "images_per_second": throughput,
            "layers": "784-100-10 (Affine-ReLU-Affine, squared error), forward and backward", "images": images}


# ----------------------------------------------------------------------------- BLAS threads
def record_threads(rng):
    cores = os.cpu_count() or 1
    counts = sorted({1, 2, cores} if cores >= 2 else {1})
    a = rng.standard_normal((1024, 1024))
    c = rng.standard_normal((1024, 1024))
    seconds = []
    for k in counts:
        with threadpool_limits(limits=k, user_api="blas"):
            seconds.append(best_time(np.matmul, a, c, repeat=15, budget=5.0))
        print(f"matmul 1024 with {k} BLAS thread(s): {seconds[-1] * 1e3:.1f} ms")
    return {"threads": counts, "seconds": seconds, "n": 1024}


# ----------------------------------------------------------------------------- data parallelism
def shard_gradient(args):
    """The summed gradient of the squared error of a two-layer network over one shard."""
    x, t, params = args
    with threadpool_limits(limits=1, user_api="blas"):
        h_in = x @ params["W1"] + params["b1"]
        h = np.maximum(h_in, 0.0)
        y = h @ params["W2"] + params["b2"]
        dy = y - t
        grads = {"W2": h.T @ dy, "b2": dy.sum(axis=0)}
        dh = (dy @ params["W2"].T) * (h_in > 0)
        grads["W1"] = x.T @ dh
        grads["b1"] = dh.sum(axis=0)
        return grads


def parallel_gradient(pool, workers, x, t, params):
    shards = [(xs, ts, params) for xs, ts in zip(np.array_split(x, workers), np.array_split(t, workers))]
    parts = list(pool.map(shard_gradient, shards)) if pool else [shard_gradient(s) for s in shards]
    return {k: sum(p[k] for p in parts) / len(x) for k in parts[0]}


def record_processes(rng):
    cores = os.cpu_count() or 1
    params = {"W1": rng.standard_normal((784, 256)) * 0.05, "b1": np.zeros(256),
              "W2": rng.standard_normal((256, 10)) * 0.1, "b2": np.zeros(10)}
    x, t = rng.standard_normal((8192, 784)), rng.standard_normal((8192, 10))
    reference = parallel_gradient(None, 1, x, t, params)
    counts = sorted({1, 2, cores} if cores >= 2 else {1})
    seconds = []
    for k in counts:
        with ProcessPoolExecutor(max_workers=k, mp_context=get_context("fork")) as pool:
            parallel_gradient(pool, k, x[:k], t[:k], params)  # start the workers
            grads = parallel_gradient(pool, k, x, t, params)
            assert all(np.allclose(grads[key], reference[key]) for key in grads)
            seconds.append(best_time(parallel_gradient, pool, k, x, t, params, repeat=7))
        print(f"gradient of {len(x)} images with {k} process(es): {seconds[-1] * 1e3:.1f} ms")
    return {"processes": counts, "seconds": seconds, "batch": len(x), "layers": "784-256-10"}


def machine():
    blas = [{k: info.get(k) for k in ("internal_api", "version", "threading_layer", "architecture", "num_threads")}
            for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"python": platform.python_version(), "numpy": np.__version__, "system": platform.system(),
            "machine": platform.machine(), "processor": _cpu_name(), "cpu_count": os.cpu_count(), "blas": blas,
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    record = {"generated_by": "scripts/record_day8_speedup.py", "machine": machine()}
    print(json.dumps(record["machine"], indent=1))
    with threadpool_limits(limits=1, user_api="blas"):  # one BLAS thread except in the threads part
        record["distances"] = record_distances(rng)
        record["convolution"] = record_convolution(rng)
        record["precision"] = record_precision(rng)
        record["batch_size"] = record_batch_size(rng)
    record["threads"] = record_threads(rng)
    record["processes"] = record_processes(rng)
    record["seconds_total"] = round(time.perf_counter() - started, 1)
    OUT.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} in {record['seconds_total']} s")


if __name__ == "__main__":
    main()
