"""The user-namespace sandbox (run as root here; the same path an ordinary user takes)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from routesim.lab.names import LabNames, list_all_netns
from routesim.lab.sandbox import in_sandbox, sandbox_argv, sandbox_env, userns_unavailable_reason
from routesim.lab.state import lab_status
from routesim.lab.teardown import leftovers, teardown

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(userns_unavailable_reason() is not None, reason=f"{userns_unavailable_reason()}"),
]
HERE = Path(__file__).parent

INNER = """
import os, subprocess, sys, time
sys.path.insert(0, {here!r})
from labtopo import small_topology
from labutil import ping
from routesim.lab import netns as nsx
from routesim.lab.names import LabNames
from routesim.lab.plumbing import build_lab_network
from routesim.lab.sandbox import in_sandbox
from routesim.lab.state import LabState
names = LabNames({lab!r})
st = LabState.create(names)
p = build_lab_network(small_topology(names.lab), names)
ok = ping(names.netns("r1"), "10.0.0.2")["rc"] == 0 and ping(names.netns("h1"), "10.255.0.1")["rc"] == 0
s = nsx.popen_in_netns(names.netns("r2"), ["sleep", "{marker}"])
st.register_pid(s.pid, "router", node="r2")
print("READY", in_sandbox(), os.getpid(), os.geteuid(), ok, flush=True)
{tail}
"""


def _start(lab: str, marker: str, tail: str, *, user: bool = True) -> subprocess.Popen[str]:
    script = textwrap.dedent(INNER.format(here=str(HERE), lab=lab, marker=marker, tail=tail))
    return subprocess.Popen(
        sandbox_argv([sys.executable, "-c", script], user=user),
        env=sandbox_env(user=user),
        stdout=subprocess.PIPE,
        text=True,
    )


def _procs_with(marker: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    out.append(int(d.name))
            except OSError:
                pass
    return out


@pytest.fixture
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROUTESIM_STATE_ROOT", str(tmp_path))
    return tmp_path


def test_lab_runs_inside_and_is_invisible_outside(lab_name: str, state_root: Path) -> None:
    proc = _start(lab_name, "4242.25", "p.close()")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    ready, kind, pid, euid, ok = out.split()
    assert (ready, kind, pid, euid, ok) == ("READY", "user", "2", "0", "True")
    assert not [n for n in list_all_netns() if n.startswith(f"rs-{lab_name}-")]
    time.sleep(0.2)
    assert _procs_with("4242.25") == []  # the sandbox's PID 1 exited: everything inside died
    assert in_sandbox() is None


@pytest.mark.parametrize("user", [True, False], ids=["user-sandbox", "pid-sandbox"])
def test_outside_teardown_stops_the_whole_sandbox(lab_name: str, state_root: Path, user: bool) -> None:
    proc = _start(lab_name, "4242.5", "time.sleep(300)", user=user)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("READY user" if user else "READY pid"), line
        assert _procs_with("4242.5"), "the lab's process is visible from the host"
        names = LabNames(lab_name)
        assert lab_status(names) == "live"
        # user sandbox: named namespaces live on its private tmpfs; pid sandbox: visible to the host
        assert bool(names.list_netns()) is not user
        report = teardown(lab_name)  # from outside: stops the sandbox through its host process
        roles = [role for _pid, role in report.killed]
        assert roles[0] == "sandbox"
        assert set(roles[1:]) <= {f"in {names.netns('r2')}"}  # pid sandbox: its netns are visible
        proc.wait(5)
        deadline = time.monotonic() + 2
        while _procs_with("4242.5") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _procs_with("4242.5") == []
        assert leftovers(lab_name) == []
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
