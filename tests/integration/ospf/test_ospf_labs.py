"""OSPF labs end to end: the three teaching topologies, and interop with BIRD and FRR."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routesim.lab.capture import tshark_problems
from routesim.testing import running_lab, step
from routesim.topology import load_topology

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
        timeout=400,
    )
    report = json.loads(out.read_text()) if out.exists() else {}
    assert cp.returncode == 0, cp.stdout[-5000:] + cp.stderr[-2000:]
    return report


def test_square_has_ecmp_in_the_kernel_fib(tmp_path):
    report = run(ROOT / "topologies/ospf_square.yaml", tmp_path)
    topo = load_topology(ROOT / "topologies/ospf_square.yaml")
    h3_net = str(topo.node("h3").interfaces[0].network)
    fib = {r["prefix"]: r for r in report["tables"]["r1"]["routes"]["fib"]}
    assert fib[h3_net]["protocol"] == "routesim"
    assert len(fib[h3_net]["next_hops"]) == 2, fib[h3_net]  # both ways round the square, in the kernel


def test_lan_dr_election_and_bdr_takeover(tmp_path):
    report = run(ROOT / "topologies/ospf_lan_dr.yaml", tmp_path)
    crash = report["events"][0]
    assert crash["converged"]
    # the BDR (r4) becomes DR once the DR (r2) is declared dead
    msgs = [t.get("message", "") for t in crash["timeline"] if t["node"] == "r4" and t["kind"] == "log"]
    assert any("Backup -> DR" in m for m in msgs), msgs


def test_multiarea_inter_area_and_external_routes(tmp_path):
    report = run(ROOT / "topologies/ospf_multiarea.yaml", tmp_path)
    kinds = {
        r["attrs"].get("path_type")
        for t in report["tables"].values()
        for r in t["routes"]["rib"]
        if r["protocol"] == "ospf" and r["selected"]
    }
    assert {"intra", "inter"} <= kinds and kinds & {"ext1", "ext2"}
    assert all(e["ok"] for e in report["expect"])


@pytest.mark.needs_bird
@pytest.mark.needs_vtysh
def test_interop_with_bird_and_frr_p2p_and_broadcast_md5(tmp_path):
    cap = tmp_path / "pcap"
    with running_lab(HERE / "interop.yaml", capture_dir=str(cap)) as lab:
        step("all four speakers converge to the oracle")
        res = lab.wait_converged(timeout=90)
        assert res.converged, res.failures
        step("DR on lan1 is routesim (priority 10); on lan2 BIRD, with routesim at priority 0 (DROther)")
        r1 = {i["name"]: i for i in lab.inspect("r1", "ospf")["interfaces"]}
        r2 = {i["name"]: i for i in lab.inspect("r2", "ospf")["interfaces"]}
        assert r1["lan1"]["state"] == "DR"
        assert r2["lan2"]["state"] == "DROther"
        b1_addr_lan2 = str(lab.topo.node("b1").iface("lan2").address.ip)
        assert r2["lan2"]["dr"] == b1_addr_lan2
        step("every neighbor of routesim is Full or 2-Way (DROthers between themselves)")
        for n in lab.inspect("r1", "ospf")["neighbors"]:
            assert n["state"] in ("Full", "2-Way"), n
        step("the three implementations hold the same LSAs (ID, advertising router, sequence, checksum)")

        def lsdb(node):
            return sorted(
                (r["type"], r["lsid"], r["adv_router"], r["seq"], r["checksum"])
                for r in lab.inspect(node, "ospf")["database"]
            )

        ours = lsdb("r1")
        assert len(ours) >= 6
        assert lsdb("b1") == ours
        assert lsdb("f1") == ours
        assert lsdb("r2") == ours
    step("tshark: routesim's OSPF packets decode cleanly (MD5 authenticated)")
    seen = 0
    for pcap in sorted(cap.glob("*.pcap")):
        rep = tshark_problems(pcap, {"ospf": "ospf", "md5": "ospf.auth.type == 2"})
        assert rep.problems == (), f"{pcap.name}: {rep.problems}"
        assert rep.counts["md5"] == rep.counts["ospf"]
        seen += rep.counts["ospf"]
    assert seen > 50
