"""Loopback mode: RIP labs with no namespace, no root needed, no kernel FIB (runs unprivileged too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from routesim.lab.loopback import loopback_plan, neighbours
from routesim.lab.names import list_all_netns
from routesim.topology import load_topology

ROOT = Path(__file__).resolve().parents[3]
ROUTESIM = [sys.executable, "-m", "routesim.cli.main"]


def test_address_plan_is_unique_inside_127_and_skips_network_and_broadcast_octets():
    topo = load_topology(ROOT / "topologies/rip_triangle.yaml")
    plan = loopback_plan(topo)
    addrs = list(plan.values())
    loopbacks = sum(1 for n in topo.nodes if n.loopback is not None)
    assert len(set(addrs)) == len(addrs) == sum(len(n.interfaces) for n in topo.nodes) + loopbacks
    assert (("r1", "lo") in plan) and ("h1", "lo") not in plan
    assert all(a.is_loopback for a in addrs)
    assert all(int(a) % 256 not in (0, 255) for a in addrs)
    assert neighbours(topo, "r1", "r2") == [("r2", "r1")]


def test_rip_triangle_in_loopback_mode_matches_the_oracle_without_namespaces(tmp_path):
    before = set(list_all_netns())
    out = tmp_path / "r.json"
    cp = subprocess.run(
        [
            *ROUTESIM,
            "run",
            str(ROOT / "topologies/rip_triangle.yaml"),
            "--mode",
            "loopback",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["convergence"]["converged"]
    assert report["expect"] == []  # no hosts in loopback mode: skipped, said so
    assert "skipping 2 reachability checks" in cp.stdout
    rip = [r for t in report["tables"].values() for r in t["routes"]["rib"] if r["protocol"] == "rip"]
    assert len(rip) >= 12
    # routers speak the model's addresses: next hops are 10.x, never the 127.x they bind
    assert all(h["gateway"].startswith("10.") for r in rip for h in r["next_hops"])
    assert set(list_all_netns()) == before
