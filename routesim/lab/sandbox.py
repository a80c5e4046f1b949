"""Run a lab inside a private sandbox of namespaces.

``reexec_in_sandbox(argv)`` replaces the current process with::

    unshare --user --map-root-user --net --mount --pid --fork --mount-proc --kill-child \\
        -- python -m routesim.lab.sandbox -- ARGV...

so that, for an ordinary user, everything inside runs as namespace-root: veths, raw sockets,
ports 179/520, kernel FIBs all work, and nothing can reach the host's network (the sandbox's own
network namespace is empty). ``python -m routesim.lab.sandbox`` is the sandbox's PID 1: it puts a
private tmpfs over ``/run/netns`` (over ``/run`` when ``/run/netns`` cannot be created, binding the
state directory back), then forks ARGV, forwards SIGINT/SIGTERM/SIGHUP to it, reaps orphans and
exits with its status. When PID 1 exits, or when the ``unshare`` process outside is killed
(``--kill-child``), the kernel kills every process of the lab and frees every namespace and veth.

``--pid-sandbox`` (root): the same PID namespace and init, without the user namespace, with mount
propagation left unchanged so the lab's named namespaces stay visible to ``routesim show/exec``
from other shells.

The process outside is recorded (``ROUTESIM_SANDBOX_HOST_PID``/``_START``) in ``lab.json`` so that
``routesim down`` run outside the sandbox can stop the whole sandbox by killing it; pids
registered inside (a different PID namespace) are never signalled from outside.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import NoReturn

from routesim.lab.names import NETNS_RUN_DIR, state_root

ENV_SANDBOX = "ROUTESIM_SANDBOX"  # "user" | "pid" inside a sandbox
ENV_HOST_PID = "ROUTESIM_SANDBOX_HOST_PID"
ENV_HOST_START = "ROUTESIM_SANDBOX_HOST_START"
MS_BIND = 4096
MS_REC = 16384

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxUnavailable(RuntimeError):
    pass


def in_sandbox() -> str | None:
    """``"user"`` or ``"pid"`` when running inside a routesim sandbox, else None."""
    kind = os.environ.get(ENV_SANDBOX)
    return kind if kind in ("user", "pid") else None


def userns_unavailable_reason() -> str | None:
    """Why unprivileged user namespaces cannot be used here, or None if they look available."""
    checks = [
        ("/proc/sys/kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=0"),
        (
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1",
            "kernel.apparmor_restrict_unprivileged_userns=1 (AppArmor)",
        ),
        ("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces=0"),
    ]
    for path, bad, what in checks:
        with contextlib.suppress(OSError):
            if Path(path).read_text().strip() == bad:
                return what
    if shutil.which("unshare") is None:
        return "the unshare command (util-linux) is not installed"
    return None


def sandbox_argv(argv: list[str], *, user: bool = True) -> list[str]:
    """The command line that runs ``argv`` as PID 1's child in a fresh sandbox."""
    cmd = ["unshare"]
    if user:
        cmd += ["--user", "--map-root-user", "--net", "--mount"]
    else:
        cmd += ["--mount", "--propagation", "unchanged"]
    cmd += ["--pid", "--fork", "--mount-proc", "--kill-child", "--"]
    return [*_HOST_SHIM, *cmd, sys.executable, "-m", "routesim.lab.sandbox", "--", *argv]


#: Records the pid and start time of the process that becomes ``unshare`` (``exec`` keeps both),
#: whoever starts it (``reexec_in_sandbox`` or a ``Popen``); comm is ``(sh)``, so field 22 is safe.
_HOST_SHIM = [
    "sh",
    "-c",
    "read -r st < /proc/$$/stat; "
    'export ROUTESIM_SANDBOX_HOST_PID=$$ ROUTESIM_SANDBOX_HOST_START="$(echo "$st" | cut -d" " -f22)"; '
    'exec "$@"',
    "sh",
]


def sandbox_env(*, user: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env[ENV_SANDBOX] = "user" if user else "pid"
    env["ROUTESIM_STATE_ROOT"] = str(state_root())
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def reexec_in_sandbox(argv: list[str] | None = None, *, user: bool | None = None) -> NoReturn:
    """Replace this process by ``argv`` (default: this command line) running in a sandbox.

    ``user`` defaults to True for a non-root user (user + network + mount + PID namespaces) and
    False for root (PID namespace only: ``--pid-sandbox``).
    """
    if user is None:
        user = os.geteuid() != 0
    if user and (reason := userns_unavailable_reason()):
        raise SandboxUnavailable(
            f"cannot create an unprivileged user namespace here: {reason}. "
            "Run as root, or use --mode loopback (see README: 'Without user namespaces')."
        )
    if argv is None:  # this very command line, "python -m routesim ..." or a console script
        argv = [sys.executable, *sys.orig_argv[1:]]
    state_root().mkdir(parents=True, exist_ok=True)
    if not user:
        from routesim.lab.netns import _prepare_rundir

        _prepare_rundir()  # a shared /run/netns in the host mount namespace: lab netns stay visible
    sys.stdout.flush()
    sys.stderr.flush()
    cmd = sandbox_argv(argv, user=user)
    os.execvpe(cmd[0], cmd, sandbox_env(user=user))


def _mount(src: str, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    rc = _libc.mount(
        src.encode(),
        dst.encode(),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {src} on {dst}: {os.strerror(e)}")


def setup_user_sandbox_mounts() -> None:
    """Inside a fresh user+mount namespace: private tmpfs for named network namespaces."""
    try:
        NETNS_RUN_DIR.mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", str(NETNS_RUN_DIR), "tmpfs", 0, "mode=755")
        return
    except OSError:
        pass
    # /run/netns does not exist and cannot be created: a tmpfs over all of /run, with the state
    # root (usually under $XDG_RUNTIME_DIR) bound back from an fd opened before it was hidden.
    root = state_root()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _mount("tmpfs", "/run", "tmpfs", 0, "mode=755")
        NETNS_RUN_DIR.mkdir(parents=True, exist_ok=True)
        if str(root).startswith("/run/"):
            root.mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", str(root), None, MS_BIND | MS_REC)
    finally:
        os.close(fd)


def init(argv: list[str]) -> int:
    """PID 1 of the sandbox: run ``argv``, forward signals, reap orphans, return its status."""
    if in_sandbox() == "user":
        setup_user_sandbox_mounts()
    pid = os.fork()
    if pid == 0:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, forward)
    while True:
        try:
            done, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if done == pid:
            return os.waitstatus_to_exitcode(status) if status else 0


def main(argv: list[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        print("usage: python -m routesim.lab.sandbox -- COMMAND...", file=sys.stderr)
        sys.exit(2)
    code = init(args)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
