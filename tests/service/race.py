"""One process of the quota race: THREADS threads submit at the same instant for one student.

    python -m tests.service.race DATABASE_URL DATA_DIR USER_ID THREADS GO_FILE
prints "ready" once its zips are built, waits until GO_FILE exists, then prints a JSON line
{"accepted": n, "quota": n, "errors": [...]}.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time


def main() -> None:
    url, data_dir, user_id, threads, go_file = sys.argv[1:6]
    from capstone_service.config import load_settings
    from capstone_service.db import Database
    from capstone_service.submissions import QuotaExceeded, accept

    from .support import stub_zip

    settings = load_settings(data_dir=data_dir, database_url=url, secret_key="race")
    db = Database(url)
    zips = [stub_zip(f"{os.getpid()}-{i}") for i in range(int(threads))]
    outcome = {"accepted": 0, "quota": 0, "errors": []}
    lock = threading.Lock()

    go = threading.Event()

    def submit(data: bytes) -> None:
        go.wait()
        try:
            accept(db, settings, int(user_id), data, "race.zip")
            key = "accepted"
        except QuotaExceeded:
            key = "quota"
        except Exception as exc:  # reported to the test
            with lock:
                outcome["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
            return
        with lock:
            outcome[key] += 1

    workers = [threading.Thread(target=submit, args=(z,)) for z in zips]
    for w in workers:
        w.start()
    import nbformat  # noqa: F401  (imported before the start, as the web process has it)

    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.005)
    go.set()
    for w in workers:
        w.join()
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
