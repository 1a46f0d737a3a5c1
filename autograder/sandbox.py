"""Start one command (the student's kernel) inside a bubblewrap sandbox with an allow-list view.

Usage (by the grader, as the kernel command): ``python -m autograder.sandbox CONFIG -- CMD...``

CONFIG is a JSON file written by the grader (``execute.py``). This launcher joins the
submission's memory group, sets the resource limits, hands the kernel's connection file to the
slot's uid and then execs ``bwrap`` (bubblewrap, Debian package ``bubblewrap``), which builds:

- a fresh, read-only root (tmpfs) holding only what is listed: ``/usr`` and the host's
  ``/bin``/``/lib`` links, a few files of ``/etc`` (the loader cache, a passwd file naming the
  kernel's uid), the Python environment, the data directories, and ``course/`` without the
  modules the config hides (the reference code of what this notebook grades); everything is
  read-only except the submission's own scratch directory (cwd, HOME, TMPDIR and ``/dev/shm``
  point into it) and a small private ``/tmp`` (tmpfs with a size);
- a minimal ``/dev`` and the ``/proc`` of a new PID namespace (the kernel cannot see or signal
  the grader; bwrap's init is PID 1 and everything dies with it, ``--die-with-parent``);
- new network (loopback only), IPC and UTS namespaces;
- as root: the kernel runs under the slot's unprivileged uid (``setpriv``: no groups, no
  capabilities, no_new_privs); without root bwrap makes a user namespace instead
  (``--unshare-user --disable-userns``) and the kernel keeps the grader's uid.

When bwrap is missing or cannot create its namespaces the kernel does not start: the
launcher says why on stderr and the grader reports a start-up failure (grading never
continues without the sandbox). docs/grading.md lists what holds where.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import sys
from pathlib import Path

MS_NOSUID = 2
MS_NODEV = 4
MNT_DETACH = 2

# Parts of the host's /etc the kernel's processes need (dynamic loader, time zone, name service).
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf")
TOP_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def find_tool(name: str) -> str | None:
    """Absolute path of a system tool, also where PATH lacks the sbin directories."""
    return shutil.which(name) or next((f"{d}/{name}" for d in ("/usr/bin", "/usr/sbin", "/bin", "/sbin")
                                        if os.access(f"{d}/{name}", os.X_OK)), None)


# ---------------------------------------------------------------------------------------------
# scratch directory: a size-capped tmpfs on the host (as root), so the grader reaches the
# kernel's IPC sockets in it and the kernel cannot fill the disk

def mount_scratch(path: Path, uid: int, size_bytes: int) -> bool:
    """Mount a tmpfs of ``size_bytes`` owned by ``uid`` at ``path`` (root only); True if mounted."""
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    data = f"size={size_bytes},mode=0700,uid={uid},gid={uid}".encode()
    if _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs {path}: {os.strerror(err)}")
    return True


def release_mounts(under: Path) -> None:
    """Detach every mount at or below ``under`` (deepest first), e.g. scratch tmpfs mounts."""
    if os.geteuid() != 0:
        return
    prefix = os.path.realpath(under)
    points = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                point = line.split()[4].encode().decode("unicode_escape")
                if point == prefix or point.startswith(prefix.rstrip("/") + "/"):
                    points.append(point)
    except OSError:
        return
    for point in sorted(points, key=len, reverse=True):
        _libc.umount2(point.encode(), MNT_DETACH)


# ---------------------------------------------------------------------------------------------
# memory of the whole submission: a cgroup (v2 where the memory controller is delegated to
# us, else v1's memory controller when writable); otherwise only RLIMIT_AS per process holds

def _own_cgroup(controller: str | None) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or (controller and controller in controllers.split(",")):
            return path
    return None


def _cgroup_mounts() -> dict[str, str]:
    """fstype or v1 controller → mount point."""
    found = {}
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, right = line.split(" - ", 1)
            fstype, _, options = right.split(" ", 2)
            point = left.split()[4]
            if fstype == "cgroup2":
                found.setdefault("cgroup2", point)
            elif fstype == "cgroup" and "memory" in options.split(","):
                found.setdefault("memory", point)
    except (OSError, ValueError):
        pass
    return found


def create_memory_group(name: str, limit_bytes: int) -> tuple[str, str] | None:
    """A new cgroup limited to ``limit_bytes`` of memory (no swap); (path, "cgroup-v2"/"cgroup-v1")
    or None when no writable memory controller is available."""
    mounts = _cgroup_mounts()
    own = _own_cgroup(None)
    if "cgroup2" in mounts and own is not None:
        parent = Path(mounts["cgroup2"] + own)
        group = parent / name
        try:
            if "memory" in (parent / "cgroup.controllers").read_text().split():
                group.mkdir(exist_ok=True)
                if (group / "memory.max").exists():
                    (group / "memory.max").write_text(str(limit_bytes))
                    if (group / "memory.swap.max").exists():
                        (group / "memory.swap.max").write_text("0")
                    return str(group), "cgroup-v2"
                group.rmdir()
        except OSError:
            remove_memory_group(str(group))
    own = _own_cgroup("memory")
    if "memory" in mounts and own is not None:
        group = Path(mounts["memory"] + own) / name
        try:
            group.mkdir(exist_ok=True)
            (group / "memory.limit_in_bytes").write_text(str(limit_bytes))
            if (group / "memory.memsw.limit_in_bytes").exists():
                (group / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
            return str(group), "cgroup-v1"
        except OSError:
            remove_memory_group(str(group))
    return None


def kill_memory_group(path: str | None) -> None:
    if not path:
        return
    try:
        if os.path.exists(os.path.join(path, "cgroup.kill")):
            Path(path, "cgroup.kill").write_text("1")
        for _ in range(5):
            pids = [int(p) for p in Path(path, "cgroup.procs").read_text().split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
    except OSError:
        pass


def remove_memory_group(path: str | None) -> None:
    if not path:
        return
    kill_memory_group(path)
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            import time

            time.sleep(0.02)  # the killed processes are still being reaped


# ---------------------------------------------------------------------------------------------
# the launcher (runs as the kernel command)

def _limits(cfg: dict, uid) -> None:
    lim = cfg["limits"]
    pairs = {
        resource.RLIMIT_AS: lim.get("memory_bytes"),
        resource.RLIMIT_CPU: lim.get("cpu_seconds"),
        resource.RLIMIT_FSIZE: lim.get("file_bytes"),
        resource.RLIMIT_NOFILE: lim.get("open_files"),
        resource.RLIMIT_CORE: 0,
    }
    if uid is not None:  # per-uid count: only meaningful for the slot's own uid
        pairs[resource.RLIMIT_NPROC] = lim.get("processes")
    for which, value in pairs.items():
        if value is not None:
            hard = resource.getrlimit(which)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def bwrap_arguments(cfg: dict, uid, cmd: list[str]) -> list[str]:
    """The bwrap command line for ``cfg`` (see the module docstring)."""
    scratch = os.path.realpath(cfg["scratch"])
    readonly = sorted({os.path.realpath(p) for p in [*cfg["readonly"], "/usr"] if os.path.exists(p)})
    readonly = [p for p in readonly if not any(q != p and _under(p, q) for q in readonly)]
    args = ["--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if uid is None:  # unprivileged: a user namespace makes the rest possible; no nested ones
        args += ["--unshare-user", "--disable-userns"]
    for link in TOP_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            readonly.append(link)
    # directories on the way to every bound path, traversable by the kernel's uid
    targets = readonly + [scratch, cfg["course"]["dir"]] if cfg.get("course") else readonly + [scratch]
    ancestors = sorted({str(parent) for t in targets for parent in Path(t).parents
                        if str(parent) != "/" and not any(_under(str(parent), r) for r in readonly)}, key=len)
    # /tmp first (a small tmpfs of its own), so bound paths below it stay visible
    args += ["--perms", "1777", "--size", str(cfg.get("tmp_bytes", 64 * 1024 ** 2)), "--tmpfs", "/tmp"]
    for directory in [a for a in ancestors if a != "/tmp"] + ["/etc"]:
        args += ["--perms", "0755", "--dir", directory]
    for path in readonly:
        args += ["--ro-bind", path, path]
    for path in ETC_FILES:
        args += ["--ro-bind-try", path, path]
    for target, source in cfg.get("files", {}).items():
        args += ["--ro-bind", source, target]
    course = cfg.get("course")
    if course:  # course/ without the hidden modules: an empty tmpfs, then every other entry bound back
        directory = os.path.realpath(course["dir"])
        hidden = set(course.get("hidden", []))
        args += ["--perms", "0755", "--tmpfs", directory]
        for entry in sorted(os.listdir(directory)):
            path = os.path.join(directory, entry)
            if entry == "__pycache__":  # compiled modules: only those of modules that are shown
                args += ["--perms", "0755", "--tmpfs", path]
                for compiled in sorted(os.listdir(path)):
                    if compiled.split(".")[0] + ".py" not in hidden:
                        args += ["--ro-bind", os.path.join(path, compiled), os.path.join(path, compiled)]
                args += ["--remount-ro", path]
            elif entry not in hidden:
                args += ["--ro-bind", path, path]
        args += ["--remount-ro", directory]
    for path in cfg.get("hide", []):  # inside a bound path (e.g. a package installed into the environment)
        if os.path.isdir(path) and any(_under(os.path.realpath(path), r) for r in readonly):
            args += ["--perms", "0755", "--tmpfs", os.path.realpath(path), "--remount-ro", os.path.realpath(path)]
    args += ["--bind", scratch, scratch,
             "--dev", "/dev", "--proc", "/proc",
             "--bind", os.path.join(scratch, ".shm"), "/dev/shm",
             "--remount-ro", "/", "--chdir", scratch, "--"]
    if uid is not None:
        args += [find_tool("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return args + cmd


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 3:
        print("usage: python -m autograder.sandbox CONFIG -- CMD...", file=sys.stderr)
        return 2
    split = argv.index("--")
    with open(argv[0]) as f:
        cfg = json.load(f)
    cmd = argv[split + 1:]
    uid = cfg.get("uid") if os.geteuid() == 0 else None
    bwrap = find_tool("bwrap")
    if bwrap is None:
        print("sandbox: bubblewrap (bwrap) is not installed (apt-get install bubblewrap); "
              "the kernel does not start without its sandbox", file=sys.stderr)
        return 3
    if uid is not None:
        if find_tool("setpriv") is None:
            print("sandbox: setpriv (util-linux) is not installed; the kernel does not start", file=sys.stderr)
            return 3
        for path in cfg.get("chown", []):  # e.g. the kernel's connection file
            if os.path.exists(path):
                os.chown(path, uid, uid)
    group = cfg.get("memory_group")
    if group:
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    _limits(cfg, uid)
    os.umask(0o077)
    sys.stderr.flush()
    os.execve(bwrap, [bwrap, *bwrap_arguments(cfg, uid, cmd)], cfg["env"])
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
