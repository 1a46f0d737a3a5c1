"""Benchmark: one MNIST epoch of 5.4's ``SimpleConvNet`` in numpy beside the same network in PyTorch (DAY5).

The course network (``course.convnet.SimpleConvNet``: conv 30×5×5 – ReLU – 2×2 max pool – affine 100 – ReLU –
affine 10 – softmax, float32) and the same layers in PyTorch CPU (``torch.nn``) each run ``--batches``
mini-batches of 100 MNIST-shaped images (forward, backward and a plain SGD update), timed in interleaved
rounds so a change of the machine's load hits both alike; the time of one epoch (600 mini-batches of 100 =
60 000 images) is scaled from the median batch time. One BLAS/torch thread by default (``--threads N``).
PyTorch is an optional benchmark extra (``pip install -e '.[bench]'``), never a dependency of the course.

Usage: python scripts/benchmark_simple_convnet.py [--threads 1] [--batches 20]
"""

from __future__ import annotations

import argparse
import os


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1)")
    parser.add_argument("--batches", type=int, default=20, help="timed mini-batches per implementation")
    return parser.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy is imported, so that its BLAS starts with this many threads
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(ARGS.threads)

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from course.convnet import SimpleConvNet  # noqa: E402

BATCH, BATCHES_PER_EPOCH, LR = 100, 600, 0.01


def numpy_step(net, x, t):
    grads = net.gradient(x, t)
    for key, grad in grads.items():
        net.params[key] -= LR * grad


def torch_model(torch, net):
    """The same layers and weights as ``net`` in torch.nn (float32)."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                          nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(net.params["W1"]))
        model[4].weight.copy_(torch.from_numpy(net.params["W2"].T.copy()))
        model[6].weight.copy_(torch.from_numpy(net.params["W3"].T.copy()))
        for layer, key in ((0, "b1"), (4, "b2"), (6, "b3")):
            model[layer].bias.copy_(torch.from_numpy(net.params[key]))
    return model


def main(args) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, size=BATCH)
    net = SimpleConvNet(seed=0, dtype=np.float32)
    runners = {"numpy SimpleConvNet (course, float32)": lambda: numpy_step(net, x, t)}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: only the numpy time is printed (pip install -e '.[bench]' adds it).")
    if torch is not None:
        torch.set_num_threads(args.threads)
        model = torch_model(torch, net)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)

        def torch_step():
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xt), tt).backward()
            optimizer.step()

        with torch.no_grad():  # same network, same loss before any update
            ours = net.loss(x, t)
            theirs = float(torch.nn.functional.cross_entropy(model(xt), tt))
        print(f"loss before training: numpy {ours:.6f}, PyTorch {theirs:.6f}")
        runners[f"PyTorch {torch.__version__} CPU (float32)"] = torch_step
    times = {name: [] for name in runners}
    for run in runners.values():  # warm-up
        run()
    for _ in range(args.batches):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print(f"{args.threads} thread(s), {args.batches} timed mini-batches of {BATCH}, load average {os.getloadavg()[0]:.1f}")
    epoch = {name: statistics.median(ts) * BATCHES_PER_EPOCH for name, ts in times.items()}
    reference = next(iter(epoch.values()))
    for name, seconds in epoch.items():
        print(f"{name:45s} {seconds:8.1f} s per epoch  (numpy takes {reference / seconds:5.2f}× its time)")


if __name__ == "__main__":
    main(ARGS)
