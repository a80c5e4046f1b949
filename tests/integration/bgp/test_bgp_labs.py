"""The headline BGP labs end to end (OSPF + iBGP + eBGP, relationships, a failure and its repair)."""

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
ROUTESIM = [sys.executable, "-m", "routesim.cli.main"]


def run(topo: Path, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "report.json"
    cp = subprocess.run(
        [*ROUTESIM, "run", str(topo), "--json", str(out), "--timeout", "90", "--no-tables", *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(out.read_text()) if out.exists() else {}
    assert cp.returncode == 0, cp.stdout[-6000:] + cp.stderr[-2000:]
    return report


@pytest.fixture(scope="module")
def multiline(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("ml")
    step("routesim run topologies/multiline_bgp.yaml --capture")
    rep = run(ROOT / "topologies/multiline_bgp.yaml", tmp, "--capture", str(tmp / "pcap"))
    rep["_pcap"] = str(tmp / "pcap")
    return rep


def test_every_session_established_and_each_isp_prefers_its_customer_route(multiline):
    sessions = multiline["bgp"]["sessions"]
    assert sessions and all(s["state"] == "Established" for s in sessions)
    best = {(b["router"], b["prefix"]): b for b in multiline["bgp"]["best"]}
    for core in ("telecom1", "unicom1", "mobile1"):
        b = best[(core, "203.0.113.0/24")]
        assert (b["as_path"], b["local_pref"]) == ("64500", 200), b
    # the data center is no transit: no ISP reaches another ISP's users through it
    for (router, prefix), b in best.items():
        if router != "idc" and prefix.startswith("198.51.100."):
            assert "64500" not in (b["as_path"] or "").split(), b


def test_each_user_reaches_the_web_host_through_its_own_isp(multiline):
    for e in multiline["expect"]:
        isp = e["from"].split("-")[1]
        assert e["ok"] and e["path"][-2:] == ["idc", "web"], e
        assert all(p.startswith(isp) for p in e["path"][:-2]), e


def test_link_failure_moves_telecom_users_across_the_peering_and_back(multiline):
    down, up = multiline["events"]
    assert down["converged"] and up["converged"]
    before = next(e for e in multiline["expect"] if e["from"] == "user-telecom")
    during = next(r for r in down["reach"] if r["from"] == "user-telecom")
    after = next(r for r in up["reach"] if r["from"] == "user-telecom")
    step(f"user-telecom RTT: {before['rtt_avg_ms']} -> {during['rtt_avg_ms']} -> {after['rtt_avg_ms']} ms")
    assert "idc" in during["path"] and any(p.startswith(("unicom", "mobile")) for p in during["path"])
    assert during["rtt_avg_ms"] > before["rtt_avg_ms"] + 60  # two 40 ms peering crossings
    assert after["path"] == before["path"]
    assert down["convergence_seconds"] < 5 and up["convergence_seconds"] < 10


def test_every_bgp_message_routesim_sent_decodes_cleanly(multiline):
    pcaps = sorted(Path(multiline["_pcap"]).glob("*.pcap"))
    opens = updates = 0
    for pcap in pcaps:
        rep = tshark_problems(
            pcap, {"open": "bgp.type == 1", "update": "bgp.type == 2"}, allow_tcp_resets=True
        )
        assert rep.problems == (), f"{pcap.name}: {rep.problems}"
        opens += rep.counts["open"]
        updates += rep.counts["update"]
    assert opens >= 18 and updates >= 18


def test_singleline_other_isps_cross_the_peering(tmp_path):
    rep = run(ROOT / "topologies/singleline_bgp.yaml", tmp_path)
    by_user = {e["from"]: e for e in rep["expect"]}
    assert by_user["user-telecom"]["rtt_avg_ms"] < 20
    for user in ("user-unicom", "user-mobile"):
        assert by_user[user]["ok"] and by_user[user]["rtt_avg_ms"] > 60, by_user[user]


@pytest.mark.needs_bird
@pytest.mark.needs_vtysh
@pytest.mark.needs_gobgpd
def test_interop_with_bird_frr_gobgp_4_octet_as_md5_and_ibgp(tmp_path):
    cap = tmp_path / "pcap"
    rep = run(ROOT / "tests/integration/bgp/interop.yaml", tmp_path, "--capture", str(cap))
    assert rep["convergence"]["converged"], rep["convergence"]["failures"]
    assert all(s["state"] == "Established" for s in rep["bgp"]["sessions"])
    rib = {
        node: {
            r["prefix"]: r for r in t["routes"]["rib"] if r["selected"] and r["protocol"] in ("ebgp", "ibgp")
        }
        for node, t in rep["tables"].items()
    }
    # routesim learned every other speaker's prefix, and every speaker learned routesim's
    assert {"192.0.2.0/24", "203.0.113.0/25", "203.0.113.128/25"} <= set(rib["r1"])
    for peer in ("b1", "f1", "g1"):
        assert "198.51.100.0/24" in rib[peer], (peer, sorted(rib[peer]))
    # iBGP between routesim r2 and BIRD b1 over loopbacks, both ways
    assert rib["r2"]["192.0.2.0/24"]["protocol"] == "ibgp"
    assert rib["b1"]["198.18.0.0/24"]["protocol"] == "ibgp"
    step("tshark: OPENs with 4-octet AS (AS_TRANS in my_as), MD5-signed segments, no malformed BGP")
    for pcap in sorted(cap.glob("*.pcap")):
        counts = {
            "open_as_trans": "bgp.open.myas == 23456 && bgp.cap.4as == 4200000001",
            "md5": "tcp.option_kind == 19",
            "unsigned_bgp": "bgp && !(tcp.option_kind == 19)",
            "bgp": "bgp",
        }
        r = tshark_problems(pcap, counts, allow_tcp_resets=True)
        assert r.problems == (), f"{pcap.name}: {r.problems}"
        if pcap.name.startswith(("l1-", "l2-", "l3-")):  # r1's links, all MD5
            assert r.counts["open_as_trans"] >= 1 and r.counts["md5"] >= 3, (pcap.name, r.counts)
            assert r.counts["unsigned_bgp"] == 0, (pcap.name, r.counts)
