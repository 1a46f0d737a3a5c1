"""A worker that was killed leaves its sandboxed kernel running as the slot's sandbox uid; the
next worker that starts sweeps every slot nobody holds (``worker.sweep_orphan_sandboxes``) and
leaves the slots of live grading runs alone. The sandbox uids exist only as root, and so does
this test (the project's set-up runs the grader as root)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from pathlib import Path

from autograder.execute import SLOT_COUNT, SLOT_UID_BASE
from capstone_service.worker import sweep_orphan_sandboxes


def _lock(slot: int):
    lock_dir = Path(tempfile.gettempdir()) / "genba-dl-grading-slots"
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(lock_dir / f"{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails if a grading run holds it
    return fd


def _sleeper(uid: int) -> subprocess.Popen:
    def become():
        os.setgid(uid)
        os.setuid(uid)

    return subprocess.Popen(["sleep", "120"], preexec_fn=become, cwd="/")


def test_orphaned_sandbox_processes_are_swept_and_live_slots_are_left_alone():
    assert os.geteuid() == 0, "the sandbox uids exist only as root (scripts/setup-system.sh runs the grader as root)"
    orphan_slot, live_slot = SLOT_COUNT - 1, SLOT_COUNT - 2
    live_fd = _lock(live_slot)  # a live grading run holds this slot
    os.close(_lock(orphan_slot))  # nobody holds this one (its worker was killed)
    orphan = _sleeper(SLOT_UID_BASE + 2 * orphan_slot + 1)
    live = _sleeper(SLOT_UID_BASE + 2 * live_slot)
    try:
        assert sweep_orphan_sandboxes() >= 1
        assert orphan.wait(10) is not None
        assert live.poll() is None
    finally:
        for proc in (orphan, live):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        os.close(live_fd)
