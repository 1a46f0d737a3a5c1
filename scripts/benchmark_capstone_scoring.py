"""Benchmark: score a baseline model through the real capstone scorer and print the times.

    .venv/bin/python scripts/benchmark_capstone_scoring.py [--baseline cnn|fc] [--repeat 2]

The submission is the answer (``autograder.capstone.samples.answer_notebook``) with the
baseline's ``model.npz`` (``capstone/baselines/<name>/``), zipped as a student would. The kernel
runs on one core (the sandbox sets OPENBLAS_NUM_THREADS=1). Printed: the wall time of the whole
scoring (unpacking, kernel start, the notebook's cells, 14500 images in batches, checks and
metrics), the time spent inside ``predict_proba`` as measured in the kernel, and the accuracy.
"""

from __future__ import annotations

import argparse
import io
import statistics
import zipfile
from pathlib import Path

from autograder.capstone.samples import answer_notebook_bytes
from autograder.capstone.score import load_test_set, score_submission

REPO = Path(__file__).resolve().parent.parent


def baseline_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("submit_katakana.ipynb", answer_notebook_bytes())
        zf.write(REPO / "capstone" / "baselines" / name / "model.npz", "model.npz")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="cnn", choices=["cnn", "fc"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = baseline_zip(args.baseline)
    test = load_test_set()
    walls, predicts = [], []
    for run in range(args.repeat):
        result = score_submission(data, test=test)
        report = result.report
        if report["status"] != "scored":
            raise SystemExit(f"not scored: {report['error']}")
        walls.append(result.seconds)
        predicts.append(result.predict_seconds)
        print(f"run {run + 1}: scoring {result.seconds:.1f} s, predict_proba {result.predict_seconds:.1f} s "
              f"for {len(test.x)} images ({1000 * result.predict_seconds / len(test.x):.2f} ms/image); "
              f"public {report['public']['accuracy']:.4f} (loss {report['public']['loss']:.4f}), "
              f"private {report['private']['accuracy']:.4f} (loss {report['private']['loss']:.4f})")
    print(f"{args.baseline}: median scoring {statistics.median(walls):.1f} s, "
          f"median predict_proba {statistics.median(predicts):.1f} s (target: under 30 s on one core)")


if __name__ == "__main__":
    main()
