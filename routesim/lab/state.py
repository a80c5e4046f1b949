"""A lab's state directory: the lock that says "live", ``lab.json``, registered processes.

``<state_dir>/lock`` is ``flock``-ed by the live orchestrator for as long as it runs: a state
directory whose lock can be taken belongs to a dead orchestrator ("stale") and is cleaned by
:func:`routesim.lab.teardown.teardown`. ``lab.json`` records the topology path, the namespace
names and every process the lab started, each with its start time (``/proc/PID/stat`` field 22,
clock ticks since boot) so that a recycled PID is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routesim.lab.names import LabNames, list_lab_netns, state_root

LOCK_FILE = "lock"
LAB_JSON = "lab.json"


class LabBusy(RuntimeError):
    """Another live orchestrator holds this lab's lock."""


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of ``pid`` from ``/proc/PID/stat``, None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = raw[raw.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])  # field 3 = state, field 22 = starttime


def proc_start_time(pid: int) -> int | None:
    st = proc_stat(pid)
    return None if st is None else st[1]


def pid_alive(pid: int, start_time: int | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when given, started at ``start_time``."""
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return start_time is None or st[1] == start_time


def pid_namespace() -> int | None:
    """Inode of this process' PID namespace: pids recorded under another one mean nothing here."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None


def _sandbox_host() -> dict[str, int] | None:
    """The process outside the sandbox (``unshare``) whose death ends the sandbox, if any."""
    pid, start = os.environ.get("ROUTESIM_SANDBOX_HOST_PID"), os.environ.get("ROUTESIM_SANDBOX_HOST_START")
    if pid and start and pid.isdigit() and start.isdigit():
        return {"pid": int(pid), "start_time": int(start)}
    return None


def _lock_is_held(lock_path: Path) -> bool:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock we may have just taken
    return False


def lab_status(names: LabNames) -> str:
    """``live`` (lock held), ``stale`` (state or namespaces left by a dead run) or ``absent``."""
    if _lock_is_held(names.state_dir / LOCK_FILE):
        return "live"
    if names.state_dir.exists() or names.list_netns():
        return "stale"
    return "absent"


def read_lab_json(names: LabNames) -> dict[str, Any]:
    try:
        return json.loads((names.state_dir / LAB_JSON).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


@dataclass
class LabState:
    """The state of a lab owned by this (orchestrator) process; holds the lock until released."""

    names: LabNames
    data: dict[str, Any] = field(default_factory=dict)
    _lock_fd: int | None = None

    @property
    def dir(self) -> Path:
        return self.names.state_dir

    @classmethod
    def create(cls, names: LabNames, *, topology_path: str | None = None, **extra: Any) -> LabState:
        """Create the state dir and take the lock; raise :class:`LabBusy` if a live run holds it.

        A stale directory (lock free) is reused as is: tear it down first if it may hold leftovers.
        """
        names.state_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
        fd = os.open(names.state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LabBusy(f"lab {names.lab!r} is running (lock {names.state_dir / LOCK_FILE} held)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        st = cls(names=names, _lock_fd=fd)
        st.data = {
            "lab": names.lab,
            "prefix": names.prefix,
            "switch_netns": names.switch_netns,
            "topology_path": topology_path,
            "created": time.time(),
            "orchestrator": {"pid": os.getpid(), "start_time": proc_start_time(os.getpid())},
            "pidns": pid_namespace(),
            "sandbox_host": _sandbox_host(),
            "pids": [],
            **extra,
        }
        st.save()
        return st

    def save(self) -> None:
        tmp = self.dir / (LAB_JSON + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        os.replace(tmp, self.dir / LAB_JSON)

    def update(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()

    def register_pid(self, pid: int, role: str, *, save: bool = True, **info: Any) -> None:
        """Record a process the lab started (teardown kills it if its start time still matches).

        ``save=False`` batches: the caller saves once after a burst (a router that is not yet
        recorded when the orchestrator dies is still found inside the lab's namespaces)."""
        start = proc_start_time(pid)
        if start is None:
            return
        self.data["pids"].append({"pid": pid, "role": role, "start_time": start, **info})
        if save:
            self.save()

    def unregister_pid(self, pid: int) -> None:
        self.data["pids"] = [p for p in self.data["pids"] if p["pid"] != pid]
        self.save()

    def release(self) -> None:
        """Drop the lock (the directory stays; teardown removes it)."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


@dataclass(frozen=True)
class LabInfo:
    name: str
    status: str  # live | stale
    state_dir: Path | None
    netns: tuple[str, ...]
    topology_path: str | None = None


def list_labs() -> list[LabInfo]:
    """Every lab with a state directory or ``rs-`` namespaces, live or stale."""
    names: set[str] = set(list_lab_netns())
    root = state_root()
    if root.is_dir():
        names.update(p.name for p in root.iterdir() if p.is_dir())
    out = []
    for lab in sorted(names):
        try:
            n = LabNames(lab)
        except ValueError:
            continue
        status = lab_status(n)
        if status == "absent":
            continue
        out.append(
            LabInfo(
                lab,
                status,
                n.state_dir if n.state_dir.exists() else None,
                tuple(n.list_netns()),
                read_lab_json(n).get("topology_path"),
            )
        )
    return out
