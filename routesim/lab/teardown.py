"""Remove everything a lab created: processes, namespaces, state. Idempotent and crash-safe.

Works from nothing but the lab name, so it runs the same after a clean stop, from
``routesim down``, from a signal handler's follow-up and after ``kill -9`` of the orchestrator.
Only two kinds of process are killed, both ours by construction: processes registered in
``lab.json`` whose start time still matches (a recycled PID is left alone), and processes living
in one of the lab's ``rs-<lab>-*`` namespaces. SIGTERM first, SIGKILL after a short grace.
Namespaces go after the processes (a process keeps its namespace alive), the switch namespace
last, the state directory at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from dataclasses import dataclass, field

from routesim.lab import netns as nsx
from routesim.lab.names import LabNames
from routesim.lab.state import pid_alive, pid_namespace, proc_start_time, read_lab_json


@dataclass
class TeardownReport:
    lab: str
    killed: list[tuple[int, str]] = field(default_factory=list)  # (pid, role)
    sigkilled: list[int] = field(default_factory=list)
    netns_removed: list[str] = field(default_factory=list)
    state_removed: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.killed or self.netns_removed or self.state_removed)

    def summary(self) -> str:
        return (
            f"lab {self.lab}: {len(self.killed)} processes stopped ({len(self.sigkilled)} with SIGKILL), "
            f"{len(self.netns_removed)} namespaces removed"
            + (f", state {self.state_removed} removed" if self.state_removed else "")
            + (f"; errors: {'; '.join(self.errors)}" if self.errors else "")
        )


def _lab_processes(names: LabNames) -> dict[int, tuple[str, int | None]]:
    """pid -> (role, start time) of every process of the lab that still runs."""
    me = os.getpid()
    procs: dict[int, tuple[str, int | None]] = {}
    data = read_lab_json(names)
    recorded_ns = data.get("pidns")
    if recorded_ns is None or recorded_ns == pid_namespace():
        for entry in data.get("pids", []):
            pid, start = int(entry["pid"]), entry.get("start_time")
            if pid != me and pid_alive(pid, start):
                procs[pid] = (entry.get("role", "?"), start)
        orch = data.get("orchestrator") or {}
        if orch.get("pid") and orch["pid"] != me and pid_alive(orch["pid"], orch.get("start_time")):
            procs[orch["pid"]] = ("orchestrator", orch.get("start_time"))
    else:
        # The lab ran in a sandbox (another PID namespace): its pids are not ours to interpret.
        # Killing the sandbox's outside process (unshare --kill-child) ends every process inside.
        host = data.get("sandbox_host") or {}
        if host.get("pid") and host["pid"] != me and pid_alive(host["pid"], host.get("start_time")):
            procs[host["pid"]] = ("sandbox", host.get("start_time"))
    for ns in names.list_netns():
        for pid in nsx.netns_pids(ns):
            if pid != me and pid not in procs and pid_alive(pid):
                procs[pid] = (f"in {ns}", proc_start_time(pid))
    return procs


def _signal_all(procs: dict[int, tuple[str, int | None]], sig: int) -> None:
    for pid, (_role, start) in procs.items():
        if pid_alive(pid, start):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


def _wait_gone(procs: dict[int, tuple[str, int | None]], timeout: float) -> dict[int, tuple[str, int | None]]:
    # A zombie counts as gone; we never reap: the caller's Popen/asyncio child watchers own that.
    deadline = time.monotonic() + timeout
    while True:
        left = {pid: v for pid, v in procs.items() if pid_alive(pid, v[1])}
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.01)


def teardown(lab: str, names: LabNames | None = None, *, grace: float = 0.5) -> TeardownReport:
    """Stop and remove everything of ``lab``; safe to call again, or when nothing is left."""
    names = names or LabNames(lab)
    report = TeardownReport(lab)
    # Processes may start new ones while we signal (an orchestrator spawning a router): loop.
    for _round in range(3):
        procs = _lab_processes(names)
        if not procs:
            break
        report.killed.extend((pid, role) for pid, (role, _s) in procs.items())
        _signal_all(procs, signal.SIGTERM)
        left = _wait_gone(procs, grace)
        if left:
            report.sigkilled.extend(left)
            _signal_all(left, signal.SIGKILL)
            left = _wait_gone(left, 2.0)
            report.errors.extend(f"pid {pid} ({role}) survived SIGKILL" for pid, (role, _s) in left.items())
    nss = names.list_netns()
    for ns in sorted(nss, key=lambda n: n == names.switch_netns):
        try:
            if nsx.delete_netns(ns):
                report.netns_removed.append(ns)
        except OSError as e:
            report.errors.append(f"netns {ns}: {e}")
    if names.state_dir.exists():
        try:
            shutil.rmtree(names.state_dir)
            report.state_removed = str(names.state_dir)
        except OSError as e:
            report.errors.append(f"state {names.state_dir}: {e}")
    return report


def leftovers(lab: str, names: LabNames | None = None) -> list[str]:
    """What of ``lab`` still exists: ``netns:NAME``, ``pid:PID (role)``, ``state:DIR``."""
    names = names or LabNames(lab)
    out = [f"netns:{ns}" for ns in names.list_netns()]
    out += [f"pid:{pid} ({role})" for pid, (role, _s) in _lab_processes(names).items()]
    if names.state_dir.exists():
        out.append(f"state:{names.state_dir}")
    return out
