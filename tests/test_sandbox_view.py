"""The kernel's file-system view is an allow-list (bubblewrap): secrets planted anywhere else on
the machine (a copy of the hidden checks, a copy of the katakana labels, files under world-writable
host directories) can be neither read nor changed, nothing the kernel writes outlives it, the
memory limit holds for the whole submission, and the view also holds without root."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder.execute import Limits, run_notebook
from autograder.sandbox import find_tool

from .grading_support import REPO

LABELS = Path(autograder.__file__).resolve().parent / "capstone" / "katakana_test.npz"
# places another copy of the course (or a stray file) could sit on a machine; world-writable ones included
PLANT_IN = ["/var/tmp", "/run/lock", "/dev/shm", "/opt", "/srv", str(Path.home()), str(REPO.parent)]

SPY = r"""
import json, os, sys
report = {"readable": [], "found": [], "written": [], "uid": os.getuid()}
for path in PLANTED:
    try:
        with open(path, "rb") as f:
            f.read(16)
        report["readable"].append(path)
    except Exception:
        pass
for dirpath, dirnames, filenames in os.walk("/"):
    if dirpath in ("/proc", "/sys", "/usr"):
        dirnames[:] = []
        continue
    report["found"] += [os.path.join(dirpath, n) for n in filenames + dirnames if MARK in n]
for directory in ["/run/lock", "/var/tmp", "/dev/shm", "/tmp", "/", "/usr", "/etc", os.environ["HOME"],
                  os.path.dirname(__import__("course").__file__)] + [os.path.dirname(p) for p in PLANTED]:
    try:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "left-" + MARK), "w") as f:
            f.write("x")
        report["written"].append(directory)
    except Exception:
        pass
try:
    sys.path.insert(0, os.path.dirname(os.path.dirname(PLANTED[0])))
    import checks  # a planted copy of autograder/checks
    report["imported"] = True
except Exception:
    report["imported"] = False
print("REPORT " + json.dumps(report))
"""


def _plant(mark: str) -> tuple[list[Path], list[str]]:
    """Copies of the hidden checks and the labels, world-readable, in every place of PLANT_IN."""
    roots, planted = [], []
    for place in PLANT_IN:
        if not os.path.isdir(place) or not os.access(place, os.W_OK):
            continue
        root = Path(tempfile.mkdtemp(prefix=f"planted-{mark}-", dir=place))
        os.chmod(root, 0o755)
        shutil.copytree(REPO / "autograder" / "checks", root / "checks", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(LABELS, root / f"katakana_test-{mark}.npz")
        (root / f"secret-{mark}.txt").write_text("hidden")
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames:
                os.chmod(os.path.join(dirpath, name), 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        roots.append(root)
        planted += [str(root / "checks" / "__init__.py"), str(root / f"katakana_test-{mark}.npz"),
                    str(root / f"secret-{mark}.txt")]
    return roots, planted


def _spy_notebook(mark: str, planted: list[str]):
    code = f"MARK = {mark!r}\nPLANTED = {planted!r}\n" + SPY
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return nb


def _report(nb) -> dict:
    text = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", []) if o.get("output_type") == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith("REPORT "))
    return json.loads(line[len("REPORT "):])


def _host_leftovers(mark: str) -> list[str]:
    found = []
    for place in ["/run/lock", "/var/tmp", "/dev/shm", "/tmp", tempfile.gettempdir(), "/", str(REPO / "course")]:
        if os.path.isdir(place):
            found += [os.path.join(place, n) for n in os.listdir(place) if n == "left-" + mark]
    return found


@pytest.fixture
def planted():
    mark = secrets.token_hex(6)
    roots, paths = _plant(mark)
    yield mark, paths
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def test_bubblewrap_is_installed():
    assert find_tool("bwrap"), "bubblewrap is missing: bash scripts/setup-system.sh (as root) installs it"
    if os.geteuid() == 0:
        assert find_tool("setpriv"), "setpriv (util-linux) is missing"


def test_kernel_can_neither_read_planted_secrets_nor_leave_anything(planted, tmp_path):
    mark, paths = planted
    assert len(paths) >= 9, "could not plant the secrets in enough places"
    nb = _spy_notebook(mark, paths)
    execution = run_notebook(nb, work=tmp_path / "work", slot=450)
    assert execution.status == "ok", execution.stderr
    assert execution.isolation.startswith("bwrap")
    report = _report(nb)
    assert report["readable"] == []
    assert report["found"] == []
    assert report["imported"] is False
    # writable inside: only the submission's own scratch (HOME, /dev/shm) and its private /tmp
    private = ("/dev/shm", "/tmp", str(tmp_path / "work" / "slot450-0"))  # /tmp: its own tmpfs, not the host's
    assert [d for d in report["written"] if not any(d == p or d.startswith(p + "/") for p in private)] == []
    assert "/run/lock" not in report["written"] and "/var/tmp" not in report["written"]
    assert _host_leftovers(mark) == []
    assert [p for p in paths if not os.path.exists(p)] == []
    assert not (tmp_path / "work" / "slot450-0").exists()


def test_memory_limit_holds_for_the_whole_submission(tmp_path):
    """Four children of 200 MiB each under a 512 MiB limit: with a memory cgroup the submission as a
    whole is bounded; the documented fallback (no writable cgroup) bounds each process only."""
    code = """
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(200 * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os.write(1, b"held\\n")
            time.sleep(5)
        finally:
            os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    limits = Limits(memory_bytes=512 * 1024 ** 2, cell_timeout=60, notebook_timeout=90)
    execution = run_notebook(nb, work=tmp_path / "work", slot=451, limits=limits)
    held = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", [])).count("held")
    if "cgroup" in execution.isolation:
        assert held <= 2, (held, execution.status)  # at most 2 × 200 MiB fit in 512 MiB with the kernel
    else:
        assert execution.isolation.endswith("+rlimit")
        big = nbformat.v4.new_notebook()
        big.cells = [nbformat.v4.new_code_cell("block = bytearray(600 * 1024 * 1024)")]
        run_notebook(big, work=tmp_path / "work2", slot=451, limits=limits)
        assert any(o.get("ename") == "MemoryError" for o in big.cells[0].get("outputs", []))


ROOTLESS = r"""
import json, sys
from pathlib import Path
import nbformat
from autograder.execute import run_notebook
nb = nbformat.read(sys.argv[1], as_version=4)
execution = run_notebook(nb, work=Path(sys.argv[2]), slot=452)
nbformat.write(nb, sys.argv[1])
print(json.dumps({"status": execution.status, "isolation": execution.isolation, "stderr": execution.stderr}))
"""

# A private mount namespace in which the directories on the way to the Python environment are
# traversable by an unprivileged uid (the environment may live under /root); then the grader runs
# under that uid, without root, and builds the kernel's view with an unprivileged user namespace.
REACHABLE = r"""
set -e
keep="$(mktemp -d)"
under_root=()
for dir in "$@"; do case "$dir" in /root/*) under_root+=("$dir");; esac; done
if [ "${#under_root[@]}" -gt 0 ]; then
  for dir in "${under_root[@]}"; do mkdir -p "$keep$dir"; mount --bind "$dir" "$keep$dir"; done
  mount -t tmpfs -o mode=755 tmpfs /root
  for dir in "${under_root[@]}"; do mkdir -p "$dir"; mount --bind "$keep$dir" "$dir"; done
fi
exec "$SETPRIV" --reuid=61997 --regid=61997 --clear-groups -- "$PYTHON" -c "$SCRIPT" "$NB" "$WORK"
"""


def test_view_holds_without_root_or_says_why(planted, tmp_path):
    if os.geteuid() != 0:  # already unprivileged: run the check directly
        return test_kernel_can_neither_read_planted_secrets_nor_leave_anything(planted, tmp_path)
    mark, paths = planted
    tmp_path = Path(tempfile.mkdtemp(prefix="rootless-grader-"))  # pytest's folders are private to root
    tmp_path.chmod(0o777)
    try:
        _run_rootless(mark, paths, tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _run_rootless(mark: str, paths: list[str], tmp_path: Path) -> None:
    nb_path = tmp_path / "spy.ipynb"
    nbformat.write(_spy_notebook(mark, paths), str(nb_path))
    nb_path.chmod(0o666)
    env = dict(os.environ, SETPRIV=find_tool("setpriv"), PYTHON=sys.executable, SCRIPT=ROOTLESS,
               NB=str(nb_path), WORK=str(tmp_path / "work"), HOME=str(tmp_path))
    needed = sorted({sys.prefix, sys.base_prefix})
    done = subprocess.run([find_tool("unshare"), "--mount", "--propagation", "private", "bash", "-c", REACHABLE,
                           "reachable", *needed], env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if outcome["status"] == "startup":  # no unprivileged user namespaces here: it must say so
        assert "bwrap" in outcome["stderr"], outcome
        return
    assert outcome["status"] == "ok" and outcome["isolation"].startswith("bwrap+userns"), outcome
    report = _report(nbformat.read(str(nb_path), as_version=4))
    assert report["uid"] == 61997
    assert report["readable"] == [] and report["found"] == [] and report["imported"] is False
    assert _host_leftovers(mark) == []
