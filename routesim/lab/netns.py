"""Thin, fast helpers for named network namespaces.

Everything here works on the *calling thread*: Linux namespaces are per task, so a thread can
``setns`` into a namespace, create sockets there and come back, and the sockets keep their
namespace (Python 3.11 has no ``os.setns``, hence ctypes). Creating a namespace is done the way
iproute2 does it (``unshare(CLONE_NEWNET)`` then a bind mount of the thread's namespace file over
``/run/netns/NAME``) without forking, and netlink sockets (pyroute2 ``IPRoute``) are opened inside
the namespace by a setns round trip instead of pyroute2's fork-per-socket ``IPRoute(netns=...)``.

Never setns to ``/proc/1/ns/net`` to "go home": :func:`in_netns` keeps an fd of the thread's own
namespace and returns to it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from routesim.lab.names import NETNS_RUN_DIR, list_all_netns

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
_rundir_lock = threading.Lock()
_rundir_ready = False


def _check(rc: int, what: str, arg: str = "") -> None:
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}", arg)


def netns_path(name: str) -> Path:
    return NETNS_RUN_DIR / name


def setns_fd(fd: int) -> None:
    """Move the calling thread into the network namespace behind ``fd``."""
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def current_netns_fd() -> int:
    """An fd of the calling thread's network namespace (close it yourself)."""
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


@contextlib.contextmanager
def in_netns(name: str | int) -> Iterator[None]:
    """Run the body with the calling thread inside namespace ``name`` (or an open ns fd).

    Only this thread moves. Do not ``await`` inside the body: another task would run in the wrong
    namespace.
    """
    home = current_netns_fd()
    target = name if isinstance(name, int) else os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns_fd(target)
        try:
            yield
        finally:
            setns_fd(home)
    finally:
        os.close(home)
        if not isinstance(name, int):
            os.close(target)


def _prepare_rundir() -> None:
    """Make ``/run/netns`` a shared mount point, as ``ip netns add`` does (iproute2 ipnetns.c)."""
    global _rundir_ready
    with _rundir_lock:
        if _rundir_ready:
            return
        NETNS_RUN_DIR.mkdir(parents=True, exist_ok=True)
        d = str(NETNS_RUN_DIR).encode()
        if _libc.mount(b"none", d, None, MS_SHARED | MS_REC, None) != 0:
            if ctypes.get_errno() != errno.EINVAL:
                _check(-1, "mount --make-shared", str(NETNS_RUN_DIR))
            _check(_libc.mount(d, d, b"none", MS_BIND | MS_REC, None), "mount --bind", d.decode())
            _check(_libc.mount(b"none", d, None, MS_SHARED | MS_REC, None), "make-shared", d.decode())
        _rundir_ready = True


def create_netns(name: str) -> None:
    """Create the named namespace ``name`` (like ``ip netns add``) without forking."""
    _prepare_rundir()
    path = netns_path(name)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0)
    os.close(fd)
    home = current_netns_fd()
    try:
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)", name)
            try:
                _check(
                    _libc.mount(b"/proc/thread-self/ns/net", str(path).encode(), b"none", MS_BIND, None),
                    "bind mount",
                    name,
                )
            finally:
                setns_fd(home)
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
    finally:
        os.close(home)


def delete_netns(name: str) -> bool:
    """Remove the named namespace (``ip netns del``); False if it did not exist.

    The namespace itself lives on while a process or socket still holds it.
    """
    path = netns_path(name)
    if not path.exists():
        return False
    _libc.umount2(str(path).encode(), MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True


def netns_exists(name: str) -> bool:
    return netns_path(name).exists()


def list_netns(prefix: str = "") -> list[str]:
    return [n for n in list_all_netns() if n.startswith(prefix)]


def netns_inode(name: str) -> tuple[int, int] | None:
    try:
        st = os.stat(netns_path(name))
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def netns_pids(name: str) -> list[int]:
    """PIDs whose network namespace is ``name`` (``ip netns pids``)."""
    ino = netns_inode(name)
    if ino is None:
        return []
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry.name}/ns/net")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == ino:
            pids.append(int(entry.name))
    return pids


def iproute(name: str | None) -> Any:
    """A pyroute2 ``IPRoute`` whose netlink socket lives in namespace ``name`` (None: here)."""
    from pyroute2 import IPRoute

    if name is None:
        return IPRoute()
    with in_netns(name):
        return IPRoute()


def socket_in_netns(name: str, family: int, type: int, proto: int = 0) -> socket.socket:
    """Create a socket inside namespace ``name`` from the calling thread."""
    with in_netns(name):
        return socket.socket(family, type, proto)


def write_sysctls(name: str, values: dict[str, str | int]) -> None:
    """Write ``net.*`` sysctls (keys like ``net/ipv4/ip_forward``) inside namespace ``name``.

    ``/proc/sys/net`` resolves to the opening thread's namespace, so open inside the setns window.
    """
    with in_netns(name):
        for key, value in values.items():
            with open(f"/proc/sys/{key}", "w") as f:
                f.write(f"{value}\n")


def read_sysctl(name: str, key: str) -> str:
    with in_netns(name), open(f"/proc/sys/{key}") as f:
        return f.read().strip()


def netns_argv(name: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", name, *argv]


def run_in_netns(
    name: str, argv: Sequence[str], *, check: bool = False, timeout: float | None = 30.0, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside namespace ``name`` (via ``ip netns exec``), capturing text output."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(netns_argv(name, argv), check=check, timeout=timeout, **kwargs)


def popen_in_netns(name: str, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start ``argv`` inside namespace ``name`` (via ``ip netns exec``)."""
    return subprocess.Popen(netns_argv(name, argv), **kwargs)
