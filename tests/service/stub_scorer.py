"""A fast stand-in for the offline scorer, for tests about something else (quota, access control,
mail retries). It returns reports of the real shape (the real test set's labels, the scorer's own
metrics), derived from the zip's SHA-256. Marker files in the zip ask for other outcomes:
``stub_fail.txt`` (failed: crash), ``stub_scorer_error.txt`` (scorer_error), ``stub_sleep.txt``
(sleep that many seconds first)."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _test():
    from autograder.capstone.score import load_test_set

    return load_test_set()


def score(data: bytes, **_kwargs):
    from autograder.capstone.score import Scoring, _metrics, base_report, render_text

    started = time.monotonic()
    sha256 = hashlib.sha256(data).hexdigest()
    test = _test()
    report = base_report(sha256, test)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        report["files"] = sorted(n for n in names if not n.endswith("/"))
        if "stub_sleep.txt" in names:
            time.sleep(float(zf.read("stub_sleep.txt")))
    if "stub_fail.txt" in names:
        report.update(status="failed", error={"kind": "crash", "message": "predict_proba でエラーが起きました: ValueError: stub"})
    elif "stub_scorer_error.txt" in names:
        report.update(status="scorer_error", error={"kind": "scorer_error", "message": "stub"})
    else:
        rng = np.random.default_rng(int(sha256[:8], 16))
        quality = 0.5 + 0.45 * rng.random()
        n = len(test.t)
        labels = np.where(rng.random(n) < quality, test.t, rng.integers(0, 15, n))
        p = np.full((n, 15), 0.2 / 14)
        p[np.arange(n), labels] = 0.8
        public, private, misclassified = _metrics(p, test)
        report.update(status="scored", public=public, private=private, public_misclassified=misclassified)
    return Scoring(report, render_text(report), time.monotonic() - started)
