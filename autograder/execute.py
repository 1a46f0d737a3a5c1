"""Execute one notebook in a sandboxed kernel, cell by cell, under time and output limits.

The kernel is started through ``autograder.sandbox`` (namespaces, private file system view,
unprivileged uid, resource limits) and talks to us over IPC sockets in its scratch
directory (the kernel has no network at all). A per-cell timeout, a wall limit for the
whole notebook and an output cap bound what a submission can cost; when any of them trips,
the kernel and every process it started are killed and the remaining cells stay
unexecuted (their checks then score zero, with the status shown in the feedback).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .nbgrader_setup import repo_root
from .sandbox import (create_memory_group, kill_memory_group, mount_scratch, release_mounts,
                      remove_memory_group)

SLOT_UID_BASE = 61000
SLOT_COUNT = 500  # two sandbox uids per slot
_held_slots: dict[int, int] = {}


def _slot_lock_dir() -> Path:
    import tempfile

    lock_dir = Path(tempfile.gettempdir()) / "genba-dl-grading-slots"
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    return lock_dir


def slot_is_free(slot: int) -> bool:
    """Whether no process (this one included) leases ``slot`` right now."""
    import fcntl

    if slot in _held_slots:
        return False
    fd = os.open(_slot_lock_dir() / f"{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def acquire_slot() -> int:
    """Lease a grading slot (and so a sandbox uid) unique on this machine.

    Two grading runs at the same time must never share a uid: the process sweep after each
    submission kills everything running as that uid. The lease is an exclusive lock on a
    file, held until this process exits.
    """
    import fcntl

    lock_dir = _slot_lock_dir()
    for slot in range(SLOT_COUNT):
        fd = os.open(lock_dir / f"{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _held_slots[slot] = fd
        return slot
    raise RuntimeError("no free grading slot")

PASS_ENV = ("PATH", "LANG", "LC_ALL", "COURSE_MNIST_DIR", "COURSE_HOUSING_DIR",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Limits:
    cell_timeout: float = 30.0  # seconds per cell
    notebook_timeout: float = 180.0  # wall seconds for the whole notebook
    startup_timeout: float = 60.0
    memory_bytes: int = 3 * 1024 ** 3
    cpu_seconds: int = 300
    processes: int = 256
    file_bytes: int = 64 * 1024 ** 2
    open_files: int = 512
    scratch_bytes: int = 512 * 1024 ** 2  # the scratch tmpfs (cwd, HOME, /tmp), as root
    output_bytes: int = 4 * 1024 ** 2  # total outputs kept from one notebook


@dataclass
class Execution:
    notebook: object
    status: str = "ok"  # ok | timeout | wall | dead | output | startup | error (stop_on_error)
    detail: str = ""
    stopped_at: int | None = None  # index of the cell where execution stopped
    isolation: str = ""
    seconds: float = 0.0
    stderr: str = ""
    expression_results: dict = field(default_factory=dict)  # user_expressions replies by name


class OutputCappedClient(NotebookClient):
    """A NotebookClient that keeps at most ``limit`` bytes of outputs for the whole notebook."""

    def __init__(self, *args, output_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_limit = output_limit
        self.output_used = 0
        self.output_exceeded = False

    next_expressions: dict | None = None  # user_expressions for the next execute request
    last_reply: dict | None = None  # the execute reply of the last cell

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        self.last_reply = exec_reply
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    def carry_expressions(self) -> None:
        """Send ``next_expressions`` with every execute request (see ``run_notebook``)."""
        send = self.kc.execute

        def execute(code, *args, **kwargs):
            if self.next_expressions:
                kwargs["user_expressions"] = self.next_expressions
            return send(code, *args, **kwargs)

        self.kc.execute = execute

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self.output_used += size
        if self.output_used > self.output_limit:
            if not self.output_exceeded:  # stop the kernel now: the rest of its output costs us too
                self.output_exceeded = True
                _kill_launcher(self.km)
            return None
        return super().output(outs, msg, display_id, cell_index)


def _sandbox_config(scratch: Path, uid: int | None, limits: Limits, hide: list[str], connection_file: Path,
                    control: Path, hidden_modules: list[str], memory_group: str | None) -> dict:
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.update({
        "HOME": str(scratch),
        "TMPDIR": str(scratch / "tmp"),
        "MPLCONFIGDIR": str(scratch / ".config" / "matplotlib"),
        "IPYTHONDIR": str(scratch / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(scratch / ".runtime"),
        "XDG_CACHE_HOME": str(scratch / ".cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": env.get("LANG", "C.UTF-8"),
        "USER": "student",
        "LOGNAME": "student",
    })
    import course

    readonly = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for var in ("COURSE_MNIST_DIR", "COURSE_HOUSING_DIR"):
        if os.environ.get(var):
            readonly.add(str(Path(os.environ[var]).resolve()))
    kernel_uid = uid if uid is not None else os.getuid()
    (control / "passwd").write_text(f"student:x:{kernel_uid}:{kernel_uid}:student:{scratch}:/usr/sbin/nologin\n")
    (control / "group").write_text(f"student:x:{kernel_uid}:\n")
    for name in ("passwd", "group"):
        os.chmod(control / name, 0o644)
    return {
        "uid": uid,
        "scratch": str(scratch),
        "readonly": sorted(readonly),
        "course": {"dir": str(Path(course.__file__).resolve().parent), "hidden": sorted(hidden_modules)},
        "hide": hide,
        "files": {"/etc/passwd": str(control / "passwd"), "/etc/group": str(control / "group")},
        "memory_group": memory_group,
        "limits": {
            "memory_bytes": limits.memory_bytes,
            "cpu_seconds": limits.cpu_seconds,
            "processes": limits.processes,
            "file_bytes": limits.file_bytes,
            "open_files": limits.open_files,
        },
        "env": env,
        "chown": [str(connection_file)],
    }


SCRATCH_DIRS = ("", "tmp", ".shm", ".config/matplotlib", ".ipython", ".runtime", ".cache")


def prepare_scratch(scratch: Path, uid: int | None, populate=None, size_bytes: int = Limits.scratch_bytes) -> None:
    """Make a fresh scratch directory (the kernel's HOME and cwd) owned by ``uid``, as root a
    tmpfs of ``size_bytes``; ``populate(scratch)`` may put files in it first (handed to ``uid`` too)."""
    if scratch.exists():
        release_scratch(scratch)
    if uid is not None:
        mount_scratch(scratch, uid, size_bytes)
    for sub in SCRATCH_DIRS:
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(scratch, 0o700)
    if populate is not None:
        populate(scratch)
    if uid is not None:
        for dirpath, dirnames, filenames in os.walk(scratch):
            os.chown(dirpath, uid, uid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


def release_scratch(scratch: Path) -> None:
    """Unmount (as root) and delete a scratch directory."""
    release_mounts(scratch)
    shutil.rmtree(scratch, ignore_errors=True)


def _kill_launcher(km) -> None:
    """Kill the sandbox at once (bwrap's init and every process in it die with it)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        try:
            os.kill(process.pid, signal.SIGKILL)
        except OSError:
            pass


def _stop_launcher(km) -> None:
    """Ask the sandbox launcher to kill its kernel namespace and wait until it has exited."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return
    try:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=3)
    except (OSError, subprocess.TimeoutExpired):
        pass


def kill_uid(uid: int, rounds: int = 5) -> int:
    """Kill every live process whose real, effective or saved uid is ``uid``; returns how many."""
    killed = 0
    for _ in range(rounds):  # repeat: a fork bomb may spawn while we sweep
        victims = []
        for proc in psutil.process_iter(["uids", "status"]):
            uids = proc.info.get("uids")
            if uids and uid in (uids.real, uids.effective, uids.saved) \
                    and proc.info.get("status") != psutil.STATUS_ZOMBIE:
                victims.append(proc)
        if not victims:
            break
        for proc in victims:
            try:
                proc.kill()
                killed += 1
            except psutil.Error:
                pass
        psutil.wait_procs(victims, timeout=0.2)
    return killed


PRELOAD = "__import__('numpy'); __import__('matplotlib.pyplot'); __import__('course.plotting')"


@dataclass
class Launched:
    """A sandboxed kernel process that has been started (and may still be booting)."""

    km: object
    uid: int | None
    scratch: Path
    stderr_path: Path
    stderr_file: object
    error: str = ""
    memory_group: str | None = None
    isolation: str = ""


def launch_kernel(work: Path, slot: int, sub: int, limits: Limits, hide: list[str] | None = None,
                  populate=None, hidden_modules: list[str] = ()) -> Launched:
    """Start a sandboxed kernel for ``slot`` (``sub`` 0/1: two uids per slot so the next kernel
    can boot while the current one runs). Returns at once; the kernel boots in the background,
    importing numpy, matplotlib and ``course`` so the notebook does not pay for them.
    ``hidden_modules``: files of ``course/`` the kernel must not see (``references.py``)."""
    uid = SLOT_UID_BASE + 2 * slot + sub if os.geteuid() == 0 else None
    name = f"slot{slot}-{sub}"
    scratch = work / name
    prepare_scratch(scratch, uid, populate, limits.scratch_bytes)
    control = work / f"control-{name}"
    control.mkdir(parents=True, exist_ok=True)
    os.chmod(control, 0o711)
    connection_file = scratch / "kernel.json"
    hide = hide if hide is not None else [str(repo_root()), str(work)]
    group = create_memory_group(f"genba-dl-{os.getpid()}-{name}", limits.memory_bytes)
    cfg = _sandbox_config(scratch, uid, limits, hide, connection_file, control, list(hidden_modules),
                          group[0] if group else None)
    cfg_path = control / "sandbox.json"
    cfg_path.write_text(json.dumps(cfg))
    os.chmod(cfg_path, 0o600)
    km = AsyncKernelManager(transport="ipc", ip=str(scratch / "ipc"), connection_file=str(connection_file))
    km._kernel_spec = KernelSpec(
        argv=[sys.executable, "-m", "autograder.sandbox", str(cfg_path), "--",
              sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="sandboxed python3", language="python",
    )
    km.shutdown_wait_time = 1.0
    stderr_path = control / "kernel.stderr"
    stderr_file = open(stderr_path, "wb")
    isolation = ("bwrap+uid" if uid is not None else "bwrap+userns") + ("+" + group[1] if group else "+rlimit")
    launched = Launched(km, uid, scratch, stderr_path, stderr_file, memory_group=group[0] if group else None,
                        isolation=isolation)
    try:
        run_sync(km.start_kernel)(
            stdout=stderr_file, stderr=stderr_file, cwd=str(scratch),
            extra_arguments=["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines={PRELOAD}"])
    except Exception as exc:  # the sandbox refused to start, bad environment
        launched.error = f"{type(exc).__name__}: {exc}"
    return launched


def dispose(launched: Launched) -> None:
    """Stop the kernel and everything it started; remove its scratch directory and memory group."""
    _stop_launcher(launched.km)
    try:
        run_sync(launched.km.shutdown_kernel)(now=True)
    except Exception:
        pass
    kill_memory_group(launched.memory_group)
    if launched.uid is not None:
        kill_uid(launched.uid)
    remove_memory_group(launched.memory_group)
    launched.stderr_file.close()
    release_scratch(launched.scratch)


class KernelSupply:
    """One grading slot's kernels: a fresh kernel per notebook, the next one started ahead (with
    the same view of ``course/``; a notebook that needs another view gets a kernel of its own)."""

    def __init__(self, work: Path, slot: int, limits: Limits, hide: list[str] | None = None):
        self.work, self.slot, self.limits, self.hide = work, slot, limits, hide
        self.count = 0
        self.pending: tuple[tuple[str, ...], Launched] | None = None

    def _launch(self, hidden_modules: tuple[str, ...]) -> Launched:
        launched = launch_kernel(self.work, self.slot, self.count % 2, self.limits, self.hide,
                                 hidden_modules=hidden_modules)
        self.count += 1
        return launched

    def take(self, hidden_modules=()) -> Launched:
        hidden_modules = tuple(sorted(hidden_modules))
        if self.pending is not None and self.pending[0] == hidden_modules:
            current = self.pending[1]
        else:
            self.close()
            current = self._launch(hidden_modules)
        self.pending = (hidden_modules, self._launch(hidden_modules))
        return current

    def close(self) -> None:
        if self.pending is not None:
            dispose(self.pending[1])
            self.pending = None


def run_notebook(nb, *, work: Path, slot: int = 0, limits: Limits | None = None,
                 hide: list[str] | None = None, supply: KernelSupply | None = None,
                 populate=None, stop_on_error: bool = False, hidden_modules=(),
                 expressions: dict[int, dict[str, str]] | None = None) -> Execution:
    """Execute ``nb`` (modified in place) in a fresh sandboxed kernel; never raises for student faults.

    ``populate(scratch)`` puts files into the kernel's scratch directory before it starts (not
    with ``supply``); with ``stop_on_error`` execution ends at the first cell that raised
    (status ``error``); ``hidden_modules``: files of ``course/`` the kernel must not see.

    ``expressions``: cell index → ``user_expressions`` sent with that cell's execute request and
    evaluated by the kernel right after the cell ran (the grader's probes: no input or AST
    transformer, no cell event ever sees them); a negative key ``-1 - i`` sends them with an
    empty request at cell ``i``. Cells whose metadata has ``course_probe`` are not executed.
    Replies (only from cells that ran without error) end up in ``expression_results``."""
    expressions = expressions or {}
    limits = limits or Limits()
    if supply is not None and populate is not None:
        raise ValueError("populate needs a kernel of its own (no supply)")
    launched = supply.take(hidden_modules) if supply else launch_kernel(work, slot, 0, limits, hide, populate,
                                                                       hidden_modules)
    km = launched.km
    client = OutputCappedClient(
        nb, km=km, timeout=limits.cell_timeout, startup_timeout=limits.startup_timeout,
        allow_errors=True, interrupt_on_timeout=False, record_timing=False, allow_stdin=False,
        output_limit=limits.output_bytes, kernel_name="python3",
    )
    result = Execution(notebook=nb)
    started = time.monotonic()
    deadline = started + limits.notebook_timeout
    try:
        if launched.error:
            result.status, result.detail = "startup", launched.error
            return result
        try:
            client.start_new_kernel_client()
        except Exception as exc:  # kernel died while booting (sandbox refused, bad env)
            result.status, result.detail = "startup", f"{type(exc).__name__}: {exc}"
            return result
        try:
            client.carry_expressions()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                carried = expressions.get(index)
                if cell.metadata.get("course_probe"):
                    carried = expressions.get(-1 - index)
                    if not carried:
                        continue
                    cell = nbformat.v4.new_code_cell("pass")  # a request of its own for the probe
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    result.status, result.stopped_at = "wall", index
                    break
                # a cell that carries probes gets a second cell limit for them
                client.timeout = max(1, int(min(limits.cell_timeout * (2 if carried else 1), remaining)))
                client.next_expressions, client.last_reply = carried, None
                stopped = None
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    stopped = "wall" if time.monotonic() >= deadline - 0.5 else "timeout"
                except DeadKernelError:
                    stopped = "dead"
                except RuntimeError as exc:  # channel errors after the kernel vanished
                    stopped, result.detail = "dead", str(exc)
                if client.output_exceeded:  # the kernel was killed for its output
                    stopped, result.detail = "output", ""
                if stopped:
                    result.status, result.stopped_at = stopped, index
                    break
                if carried and client.last_reply:
                    content = client.last_reply.get("content", {})
                    values = content.get("user_expressions") if content.get("status") == "ok" else None
                    result.expression_results.update({k: v for k, v in (values or {}).items() if k in carried})
                if stop_on_error and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    result.status, result.stopped_at = "error", index
                    break
                if not run_sync(km.is_alive)():
                    result.status, result.stopped_at = "dead", index + 1
                    break
        finally:
            try:
                client.kc.stop_channels()
            except Exception:
                pass
    finally:
        dispose(launched)
        result.seconds = time.monotonic() - started
        try:
            result.stderr = launched.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            pass
        result.isolation = launched.isolation
    return result
