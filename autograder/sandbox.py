"""Start one command (the student's kernel) inside a sandbox.

Usage (by the grader, as the kernel command): ``python -m autograder.sandbox CONFIG -- CMD...``

CONFIG is a JSON file written by the grader. What this launcher sets up before it execs
the kernel, in this order:

1. New namespaces: mount, network (only a downed loopback: no network at all), PID, IPC,
   UTS; when not root, a user namespace first so the same works unprivileged.
2. A private view of the file system: the course directory (hidden checks, source
   notebooks, gradebook, other submissions) and the grader's work directory are covered by
   empty tmpfs mounts; only what the kernel needs is bound back read-only (the ``course``
   package, the Python environment, the data directories) plus this submission's own
   scratch directory, writable. /tmp, /var/tmp and /dev/shm are private tmpfs mounts.
3. The kernel runs as PID 1 of its PID namespace with a parent-death signal, so killing
   the launcher kills every process the submission started (fork bombs included).
4. As root: a dedicated unprivileged uid/gid per grading slot, no capabilities, no new
   privileges. Resource limits: address space, CPU seconds, processes, file size, open files.

When namespaces cannot be created (no root and no unprivileged user namespaces) the
launcher still applies the resource limits and the scratch directory and says so on
stderr; docs/grading.md lists what holds where.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import stat
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _mask(directory: str, keep: list[tuple[str, bool]], mode: str = "755") -> None:
    """Cover ``directory`` with an empty tmpfs, then bind ``keep`` paths back at the same place."""
    keep = [(p, w) for p, w in keep if os.path.exists(p)]
    # only the outermost kept paths need a bind
    outer = [(p, w) for p, w in keep if not any(q != p and _under(p, q) for q, _ in keep)]
    fds = [(p, w, os.open(p, os.O_PATH)) for p, w in outer]
    _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size=64m")
    for path, writable, fd in fds:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if not writable:
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def _private_view(cfg: dict) -> None:
    keep_ro = [os.path.realpath(p) for p in cfg["keep_readonly"]]
    scratch = os.path.realpath(cfg["scratch"])
    keep = [(p, False) for p in keep_ro] + [(scratch, True)]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    hidden = [os.path.realpath(p) for p in cfg["hide"]]
    # Directories other users cannot enter (e.g. /root holding the interpreter) are
    # replaced by a tmpfs that shows only the kept paths, so the sandbox uid can reach them.
    if cfg.get("uid") is not None:
        for path, _ in keep:
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                ancestor = "/" + "/".join(parts[:i])
                if not (os.stat(ancestor).st_mode & stat.S_IXOTH) and ancestor not in hidden:
                    hidden.append(ancestor)
    # Mask outer directories first so inner masks act on what is bound back.
    for directory in sorted(set(hidden), key=len):
        if os.path.isdir(directory):
            _mask(directory, [(p, w) for p, w in keep if _under(p, directory) and p != directory])
    for directory in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(directory):
            _mask(directory, [(p, w) for p, w in keep if _under(p, directory) and p != directory], mode="1777")


def _limits(cfg: dict) -> None:
    lim = cfg["limits"]
    pairs = {
        resource.RLIMIT_AS: lim.get("memory_bytes"),
        resource.RLIMIT_CPU: lim.get("cpu_seconds"),
        resource.RLIMIT_FSIZE: lim.get("file_bytes"),
        resource.RLIMIT_NOFILE: lim.get("open_files"),
        resource.RLIMIT_CORE: 0,
    }
    if cfg.get("uid") is not None:  # per-uid count: only meaningful for the slot's own uid
        pairs[resource.RLIMIT_NPROC] = lim.get("processes")
    for which, value in pairs.items():
        if value is not None:
            hard = resource.getrlimit(which)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))


def _drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 3:
        print("usage: python -m autograder.sandbox CONFIG -- CMD...", file=sys.stderr)
        return 2
    split = argv.index("--")
    with open(argv[0]) as f:
        cfg = json.load(f)
    cmd = argv[split + 1:]
    uid = cfg.get("uid") if os.geteuid() == 0 else None
    cfg["uid"] = uid
    if uid is not None:
        for path in cfg.get("chown", []):  # e.g. the kernel's connection file
            if os.path.exists(path):
                os.chown(path, uid, uid)
    isolated = False
    if cfg.get("namespaces", True):
        try:
            flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
            if os.geteuid() != 0:
                real_uid, real_gid = os.getuid(), os.getgid()
                _unshare(CLONE_NEWUSER | flags)
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"0 {real_uid} 1")
                _write("/proc/self/gid_map", f"0 {real_gid} 1")
            else:
                _unshare(flags)
            _private_view(cfg)
            isolated = True
        except OSError as exc:
            if cfg.get("require_isolation"):
                print(f"sandbox: cannot isolate the kernel: {exc}", file=sys.stderr)
                return 3
            print(f"sandbox: namespaces unavailable ({exc}); resource limits only", file=sys.stderr)
    env = cfg["env"]
    if not isolated:
        return _exec_child(cfg, cmd, env, uid)
    child = os.fork()
    if child == 0:
        try:
            _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            _exec_child(cfg, cmd, env, uid)
        finally:
            os._exit(127)
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):  # interrupts reach the kernel
        signal.signal(signum, lambda s, _f: os.kill(child, s))
    # SIGTERM from the grader ends the kernel for good: PID 1 of a namespace ignores signals it
    # has no handler for, so kill it; its namespace and every process in it go with it, and
    # we reap it here so no zombie outlives the launcher.
    signal.signal(signal.SIGTERM, lambda s, _f: os.kill(child, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        print(f"sandbox: kernel ended by signal {os.WTERMSIG(status)}", file=sys.stderr)
        return 128 + os.WTERMSIG(status)
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"sandbox: kernel exited with status {code}", file=sys.stderr)
    return code


def _exec_child(cfg: dict, cmd: list[str], env: dict, uid) -> int:
    if uid is not None:
        _drop_privileges(uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    _limits(cfg)
    os.chdir(cfg["scratch"])
    os.umask(0o077)
    os.execve(cmd[0], cmd, env)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
