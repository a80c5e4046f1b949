"""Every event kind in one lab, each step converging to the oracle of the changed topology."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routesim.testing import step

pytestmark = [pytest.mark.netns]
HERE = Path(__file__).parent
ROUTESIM = [sys.executable, "-m", "routesim.cli.main"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ev") / "report.json"
    step("routesim run events_lab.yaml (11 events)")
    cp = subprocess.run(
        [*ROUTESIM, "run", str(HERE / "events_lab.yaml"), "--json", str(out), "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    rep = json.loads(out.read_text())
    assert cp.returncode == 0, cp.stdout[-5000:] + cp.stderr[-2000:]
    return rep


def _ev(report, action, nth=0):
    return [e for e in report["events"] if e["action"] == action][nth]


def test_every_event_converged_to_the_oracle(report):
    assert [e["action"] for e in report["events"]] == [
        "link_down",
        "link_up",
        "link_impair",
        "link_down",
        "link_up",
        "crash",
        "restart",
        "stop",
        "start",
        "static_add",
        "static_remove",
    ]
    for e in report["events"]:
        assert e["converged"] and not e["failures"], (e["description"], e["failures"])


def test_link_failure_is_measured_from_the_routers_clocks_and_seen_by_the_probe(report):
    e = _ev(report, "link_down")
    assert {"r1", "r2"} <= set(e["changed_routers"])
    assert 0 < e["convergence_seconds"] < 10
    assert any(m.get("rip.triggered_updates", 0) > 0 for m in e["messages"].values())
    probe = e["probes"][0]
    assert probe["sent"] > 50  # a ping every 10 ms while the event played


def test_lossy_link_still_converges(report):
    lossy_down = _ev(report, "link_down", 1)
    assert lossy_down["converged"]
    # with r1-r2 gone, r1 reaches r2's loopback through the lossy r4 link
    rib = {r["prefix"]: r for r in report["tables"]["r1"]["routes"]["rib"]}
    assert rib  # the initial table was captured


def test_crashed_router_disappears_and_comes_back(report):
    crash, restart = _ev(report, "crash"), _ev(report, "restart")
    assert "r3" not in crash["changed_routers"]  # it cannot change anything: it is dead
    withdrawn = [
        t for t in crash["timeline"] if t["kind"] == "rib" and t["prefix"] == "10.255.0.3/32" and not t["new"]
    ]
    assert {t["node"] for t in withdrawn} >= {"r2", "r4"}
    assert any(t["kind"] == "status" and t["node"] == "r3" for t in restart["timeline"])


def test_graceful_stop_converges_faster_than_a_crash(report):
    stop, crash = _ev(report, "stop"), _ev(report, "crash")
    # RIP's final update poisons r2's routes: neighbours drop them without waiting for the 8 s timeout
    assert stop["convergence_seconds"] < crash["convergence_seconds"]
    first_drop = min(t["t"] for t in stop["timeline"] if t["kind"] == "rib" and t["node"] != "r2")
    assert first_drop - stop["applied_at"] < 1.0


def test_static_route_add_and_remove(report):
    add, remove = _ev(report, "static_add"), _ev(report, "static_remove")
    assert any(
        t["kind"] == "rib" and t["node"] == "r1" and t["prefix"] == "192.0.2.0/24" and t["new"]
        for t in add["timeline"]
    )
    # redistributed into RIP: the other routers learn it
    assert {"r2", "r4"} <= {
        t["node"] for t in add["timeline"] if t["kind"] == "rib" and t["prefix"] == "192.0.2.0/24"
    }
    assert any(
        t["kind"] == "rib" and t["prefix"] == "192.0.2.0/24" and not t["new"] for t in remove["timeline"]
    )


@pytest.fixture(scope="module")
def bgp_report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("evb") / "report.json"
    step("routesim run events_bgp.yaml (OSPF cost, BGP reset, withdraw/announce, eBGP link failure)")
    cp = subprocess.run(
        [
            *ROUTESIM,
            "run",
            str(HERE / "events_bgp.yaml"),
            "--json",
            str(out),
            "--timeout",
            "60",
            "--no-tables",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    rep = json.loads(out.read_text())
    assert cp.returncode == 0, cp.stdout[-5000:] + cp.stderr[-2000:]
    return rep


def test_ospf_and_bgp_events_converge_to_the_oracle(bgp_report):
    assert [e["action"] for e in bgp_report["events"]] == [
        "link_cost",
        "bgp_reset",
        "withdraw",
        "announce",
        "link_down",
        "link_up",
        "link_cost",
    ]
    for e in bgp_report["events"]:
        assert e["converged"] and not e["failures"], (e["description"], e["failures"])


def test_ospf_cost_change_moves_the_path(bgp_report):
    up = bgp_report["events"][0]
    # r1's route to r2's loopback now goes round through r4 (cost 2 < 10)
    moved = [
        t
        for t in up["timeline"]
        if t["kind"] == "rib" and t["node"] == "r1" and t["prefix"] == "10.255.0.2/32"
    ]
    assert moved and moved[-1]["new"]["metric"] == 2


def test_bgp_reset_withdraw_and_announce(bgp_report):
    reset, withdraw, announce = bgp_report["events"][1:4]
    sessions = [t for t in reset["timeline"] if t["kind"] == "session" and t["protocol"] == "bgp"]
    assert any(t["new"] == "Established" for t in sessions)
    gone = {
        t["node"]
        for t in withdraw["timeline"]
        if t["kind"] == "rib" and t["prefix"] == "198.51.100.0/24" and not t["new"]
    }
    back = {
        t["node"]
        for t in announce["timeline"]
        if t["kind"] == "rib" and t["prefix"] == "198.51.100.0/24" and t["new"]
    }
    assert {"r1", "r2", "r4"} <= gone and {"r1", "r2", "r4"} <= back


def test_fast_external_fallover(bgp_report):
    down = bgp_report["events"][4]
    logs = [
        t for t in down["timeline"] if t["kind"] == "log" and "fast external fallover" in t.get("message", "")
    ]
    assert logs and logs[0]["t"] - down["applied_at"] < 0.5
    assert down["convergence_seconds"] < 2  # no hold-timer wait (hold is 3 s in the fast profile)
