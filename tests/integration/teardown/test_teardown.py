"""Teardown always runs: success, failure, SIGTERM, SIGINT, a router that dies, kill -9 + down.

Each test checks that no namespace, state directory or process of the lab survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from routesim.lab.names import LabNames
from routesim.lab.orchestrator import Lab, RouterDied
from routesim.lab.state import pid_alive, read_lab_json
from routesim.testing import leftovers, running_lab, step, wait_for
from routesim.topology import load_topology

pytestmark = [pytest.mark.netns]
HERE = Path(__file__).parent
TOPO = HERE / "topo.yaml"
ROUTESIM = [sys.executable, "-m", "routesim.cli.main"]


def _names() -> LabNames:
    return LabNames("tdown")


def _nothing_left(pids: list[int]) -> list[str]:
    names = _names()
    out = [f"namespace {ns}" for ns in names.list_netns()]
    if names.state_dir.exists():
        out.append(f"state {names.state_dir}")
    out += [f"process {p}" for p in pids if pid_alive(p)]
    return out


@pytest.fixture(autouse=True)
def _clean():
    subprocess.run([*ROUTESIM, "down", "tdown"], capture_output=True)
    yield
    subprocess.run([*ROUTESIM, "down", "tdown"], capture_output=True)


def _registered_pids() -> list[int]:
    return [int(p["pid"]) for p in read_lab_json(_names()).get("pids", [])]


def test_success_path_leaves_nothing(tmp_path):
    out = tmp_path / "r.json"
    step("routesim run on a two-router static lab")
    cp = subprocess.run(
        [*ROUTESIM, "run", str(TOPO), "--json", str(out)], capture_output=True, text=True, timeout=120
    )
    assert cp.returncode == 0, cp.stdout + cp.stderr
    report = json.loads(out.read_text())
    assert report["convergence"]["converged"] is True
    assert [e["path"] for e in report["expect"]] == [["r1", "r2", "h2"]]
    assert _nothing_left([]) == []


def test_failed_check_still_tears_down(tmp_path):
    topo = tmp_path / "bad_path.yaml"
    # same lab, but the expectation names a path the static routes do not take
    topo.write_text(TOPO.read_text().replace("via: [r1, r2]", "via: [r2, r1]"))
    cp = subprocess.run([*ROUTESIM, "run", str(topo)], capture_output=True, text=True, timeout=120)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "expected r2 > r1" in cp.stdout.replace("\n", " ")
    assert _nothing_left([]) == []


def _start_and_wait_for_routers() -> tuple[subprocess.Popen, list[int]]:
    # --keep-alive-for holds the run after its checks so that a signal lands in a live lab
    proc = subprocess.Popen(
        [*ROUTESIM, "run", str(TOPO), "--hold", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids = wait_for(
        lambda: [p for p in _registered_pids() if pid_alive(p)] if len(_registered_pids()) >= 3 else None,
        60,
        "routers registered",
    )
    wait_for(
        lambda: (
            "holding"
            in (
                Path(_names().state_dir / "phase").read_text()
                if (_names().state_dir / "phase").exists()
                else ""
            )
        ),
        60,
        "lab up",
    )
    return proc, pids


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_tears_down(sig):
    proc, pids = _start_and_wait_for_routers()
    step(f"sending {signal.Signals(sig).name} to the orchestrator {proc.pid}")
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "torn down" in out
    assert _nothing_left(pids) == []


def test_kill_9_then_down_leaves_nothing():
    proc, pids = _start_and_wait_for_routers()
    step("kill -9 of the orchestrator")
    proc.kill()
    proc.wait()
    assert _names().list_netns(), "the lab's namespaces should survive a kill -9 until routesim down"
    listing = subprocess.run([*ROUTESIM, "list"], capture_output=True, text=True).stdout
    assert "tdown" in listing and "stale" in listing
    cp = subprocess.run([*ROUTESIM, "down", "tdown"], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert _nothing_left(pids) == []


def test_a_router_that_dies_is_reported_and_the_lab_torn_down():
    topo = load_topology(TOPO)
    lab = Lab(topo)
    pids: list[int] = []
    try:
        lab.up()
        pids = _registered_pids()
        victim = lab.nodes["r2"].pid
        step(f"SIGKILL to router r2 ({victim})")
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(RouterDied, match="router r2 exited with status -9"):
            wait_for(lambda: lab.check_alive() or None, 10, "death noticed")
    finally:
        lab.down()
    assert leftovers(lab, pids) == []


def test_run_refuses_a_live_lab_and_down_removes_a_kept_one():
    cp = subprocess.run([*ROUTESIM, "run", str(TOPO), "--keep"], capture_output=True, text=True, timeout=120)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    pids = _registered_pids()
    routers = [int(p["pid"]) for p in read_lab_json(_names())["pids"] if p["role"] == "router"]
    assert len(routers) == 2 and all(pid_alive(p) for p in routers), "routers of a kept lab keep running"
    shown = subprocess.run(
        [*ROUTESIM, "show", "r1", "routes", "--json"], capture_output=True, text=True, timeout=30
    )
    assert shown.returncode == 0, shown.stderr
    assert any(
        r["prefix"] == "10.0.0.8/30" and r["protocol"] == "static" for r in json.loads(shown.stdout)["rib"]
    )
    again = subprocess.run([*ROUTESIM, "run", str(TOPO)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "already running" in again.stderr
    cp = subprocess.run([*ROUTESIM, "down", "tdown"], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0
    assert _nothing_left(pids) == []


def test_running_lab_context_manager_cleans_up_after_an_exception():
    pids: list[int] = []
    with pytest.raises(ZeroDivisionError), running_lab(TOPO) as lab:
        pids = _registered_pids()
        assert lab.wait_converged(30).converged
        1 / 0  # noqa: B018
    assert _nothing_left(pids) == []


def test_pid_sandbox_run_is_sandboxed_and_leaves_nothing():
    cp = subprocess.run(
        [*ROUTESIM, "run", str(TOPO), "--pid-sandbox"], capture_output=True, text=True, timeout=120
    )
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "running inside a PID-namespace sandbox" in cp.stdout
    assert _nothing_left([]) == []
