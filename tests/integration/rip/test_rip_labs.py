"""RIP labs end to end: routesim run on the shipped topologies and on a BIRD/FRR interop lab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routesim.lab.capture import tshark_problems
from routesim.testing import step

pytestmark = [pytest.mark.netns]
ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).parent
ROUTESIM = [sys.executable, "-m", "routesim.cli.main"]


def run(topo: Path, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "report.json"
    cp = subprocess.run(
        [*ROUTESIM, "run", str(topo), "--json", str(out), "--timeout", "90", *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(out.read_text()) if out.exists() else {}
    assert cp.returncode == 0, cp.stdout[-4000:] + cp.stderr[-2000:]
    return report


def test_rip_triangle_matches_the_oracle_and_forwards(tmp_path):
    step("routesim run topologies/rip_triangle.yaml")
    report = run(ROOT / "topologies/rip_triangle.yaml", tmp_path)
    assert report["convergence"]["converged"]
    rip_rows = [
        row
        for t in report["tables"].values()
        for row in t["verdict"]
        if row["actual"] and row["actual"]["protocol"] == "rip"
    ]
    # 3 routers x (2 link subnets + 2 loopbacks + 1 host subnet) learned over RIP, all judged ok
    assert len(rip_rows) >= 12 and all(r["status"] == "ok" for r in rip_rows)
    assert report["expect"][0]["path"] == ["r1", "r3", "h3"]


@pytest.mark.needs_bird
@pytest.mark.needs_vtysh
def test_rip_interop_with_bird_and_frr_md5_and_tshark_clean(tmp_path):
    cap = tmp_path / "pcap"
    step("routesim + BIRD + FRR ripd with MD5, capturing every link")
    report = run(HERE / "interop.yaml", tmp_path, "--capture", str(cap))
    assert report["convergence"]["converged"], report["convergence"]["failures"]
    learned = {
        node: {r["prefix"] for r in t["routes"]["rib"] if r["protocol"] == "rip" and r["selected"]}
        for node, t in report["tables"].items()
    }
    # each speaker learned the others' loopbacks: routes crossed in every direction
    assert {"10.255.0.2/32", "10.255.0.3/32"} <= learned["r1"]
    assert {"10.255.0.1/32", "10.255.0.3/32"} <= learned["b1"]
    assert {"10.255.0.1/32", "10.255.0.2/32"} <= learned["f1"]
    assert all(e["ok"] for e in report["expect"])
    step("tshark: what routesim (r1) sent decodes cleanly, with MD5 authentication")
    r1_addresses = "10.0.0.1 or ip.src == 10.0.0.10 or ip.src == 10.0.0.13"
    for pcap in sorted(cap.glob("*.pcap")):
        rep = tshark_problems(
            pcap,
            {
                "rip": "rip.version == 2",
                "ours": f"rip && (ip.src == {r1_addresses})",
                "ours_md5": f"rip.auth.type == 3 && (ip.src == {r1_addresses})",
            },
        )
        assert rep.problems == (), f"{pcap.name}: {rep.problems}"
        if "r1" in pcap.name:
            assert rep.counts["ours"] >= 2 and rep.counts["ours_md5"] == rep.counts["ours"], (
                pcap.name,
                rep.counts,
            )


def test_count_to_infinity_counts_with_split_horizon_off_but_not_with_poisoned_reverse(tmp_path):
    step("routesim run topologies/rip_count_to_infinity.yaml")
    report = run(ROOT / "topologies/rip_count_to_infinity.yaml", tmp_path)
    final = report["events"][-1]
    assert final["converged"]

    def history(node: str, prefix: str) -> list:
        steps = []
        for ev in report["events"]:
            for e in ev["timeline"]:
                if e["kind"] == "rib" and e["node"] == node and e["prefix"] == prefix:
                    steps.append(e["new"]["metric"] if e["new"] else 16)
        return steps

    a2 = history("a2", "198.51.100.0/24")
    step(f"a2's metric to the lost stub: {a2}")
    # counts up step by step: a long strictly rising run of finite metrics, ending unreachable
    rising = [m for m in a2 if m < 16]
    assert len(rising) >= 5 and rising[-5:] == sorted(rising[-5:]) and a2[-1] == 16
    b1 = history("b1", "203.0.113.0/24")
    step(f"b1's metric to the lost stub: {b1}")
    assert b1 == [16], "poisoned reverse: b1 drops the route at once, without counting"
