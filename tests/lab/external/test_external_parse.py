"""Parsers of birdc / vtysh / ip -j output, on real captured output (data/README.md says how)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from routesim.lab.external import parse
from routesim.lab.external.base import label_fib

DATA = Path(__file__).parent / "data"


def text(name: str) -> str:
    return (DATA / name).read_text()


def by_key(routes: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["prefix"], r["protocol"]): r for r in routes}


def test_bird_routes_real_output() -> None:
    routes = parse.bird_routes(text("bird-show-route-all.txt"))
    assert len(routes) == 10
    rib = by_key(routes)
    # ECMP RIP route: both next hops, metric from (135/2), distance = 255 - preference
    r = rib[("172.16.20.0/24", "rip")]
    assert r["selected"] and r["distance"] == 120 and r["metric"] == 2
    assert r["next_hops"] == [
        {"gateway": "10.0.0.2", "interface": "r2"},
        {"gateway": "10.0.0.6", "interface": "r2-1"},
    ]
    assert r["attrs"]["RIP.metric"] == "2" and r["attrs"]["preference"] == 135
    # an alternate (continuation line without prefix) is kept and not selected
    static, rip = rib[("172.16.3.0/24", "static")], rib[("172.16.3.0/24", "rip")]
    assert static["selected"] and static["distance"] == 5 and static["metric"] == 0
    assert not rip["selected"] and rip["metric"] == 3
    assert rib[("10.0.0.4/30", "connected")]["next_hops"] == [{"gateway": None, "interface": "r2-1"}]
    assert not rib[("10.0.0.4/30", "rip")]["selected"]
    bh = rib[("172.16.2.0/24", "static")]
    assert bh["next_hops"] == [] and bh["attrs"]["type"] == "blackhole" and bh["distance"] == 1
    assert rib[("10.255.0.1/32", "connected")]["distance"] == 0


SYNTHETIC_OSPF_BGP = """\
BIRD 2.0.12 ready.
Table master4:
10.9.0.0/24          unicast [ospf1 2026-11-25 12:00:00] * E2 (145/10/20) [10.255.0.9]
\tvia 10.0.0.2 on r2
\tType: OSPF-E2 univ
\tOSPF.metric1: 10
\tOSPF.metric2: 20
                     unicast [ebgp_r3 12:00:00.000 from 10.0.1.2] (235) [AS65003i]
\tvia 10.0.1.2 on r3
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65003
10.8.0.0/24          unreachable [ibgp_r4 12:00:00.000 from 10.255.0.4] * (55) [AS65004i]
\tType: BGP univ
"""


def test_bird_routes_ospf_bgp_shapes() -> None:
    """Format of BIRD 2.0 OSPF/BGP lines (synthetic, written from BIRD's rt-show.c layout)."""
    rib = by_key(parse.bird_routes(SYNTHETIC_OSPF_BGP))
    ospf = rib[("10.9.0.0/24", "ospf")]
    assert ospf["selected"] and ospf["distance"] == 110 and ospf["metric"] == 20
    assert ospf["attrs"]["route_type"] == "E2"
    ebgp = rib[("10.9.0.0/24", "ebgp")]
    assert not ebgp["selected"] and ebgp["distance"] == 20 and ebgp["attrs"]["extra"] == "AS65003i"
    ibgp = rib[("10.8.0.0/24", "ibgp")]
    assert ibgp["distance"] == 200 and ibgp["attrs"]["type"] == "unreachable" and ibgp["next_hops"] == []


def test_bird_protocols_and_rip_neighbors() -> None:
    protos = parse.bird_protocols(text("bird-show-protocols.txt"))
    assert [(p["name"], p["kind"], p["state"], p["table"]) for p in protos] == [
        ("device1", "device", "up", None),
        ("direct1", "direct", "up", None),
        ("kernel1", "kernel", "up", "master4"),
        ("static1", "static", "up", "master4"),
        ("rip1", "rip", "up", "master4"),
    ]
    nbrs = parse.bird_rip_neighbors(text("bird-show-rip-neighbors.txt"))
    assert [(n["neighbor"], n["interface"], n["attrs"]["routes"]) for n in nbrs] == [
        ("10.0.0.2", "r2", 4),
        ("10.0.0.6", "r2-1", 3),
    ]


def test_frr_routes_real_json() -> None:
    routes = parse.frr_routes(json.loads(text("frr-show-ip-route.json")))
    rib = by_key(routes)
    r = rib[("172.16.2.0/24", "rip")]
    assert r["selected"] and r["distance"] == 120 and r["metric"] == 2
    assert r["next_hops"] == [
        {"gateway": "10.0.0.1", "interface": "r1"},
        {"gateway": "10.0.0.5", "interface": "r1-1"},
    ]
    # the distance-200 static loses to RIP: present, not selected
    assert not rib[("172.16.3.0/24", "static")]["selected"]
    assert rib[("172.16.3.0/24", "static")]["distance"] == 200
    bh = rib[("172.16.20.0/24", "static")]
    assert bh["selected"] and bh["next_hops"] == [] and bh["attrs"]["type"] == "blackhole"
    c = rib[("10.255.0.2/32", "connected")]
    assert c["distance"] == 0 and c["next_hops"] == [{"gateway": None, "interface": "lo"}]


def test_frr_bgp_kind_from_distance() -> None:
    obj = {
        "10.1.0.0/24": [{"protocol": "bgp", "distance": 20, "metric": 0, "selected": True, "nexthops": []}],
        "10.2.0.0/24": [{"protocol": "bgp", "distance": 200, "metric": 0, "nexthops": []}],
    }
    assert [(r["protocol"], r["selected"]) for r in parse.frr_routes(obj)] == [
        ("ebgp", True),
        ("ibgp", False),
    ]


def test_frr_rip_neighbors() -> None:
    nbrs = parse.frr_rip_neighbors(text("frr-show-ip-rip-status.txt"))
    assert [(n["neighbor"], n["attrs"]["bad_packets"], n["attrs"]["last_update"]) for n in nbrs] == [
        ("10.0.0.1", 0, "00:00:04"),
        ("10.0.0.5", 0, "00:00:01"),
    ]


FRR_LOG = """\
2026/11/26 07:56:07 RIP: [T83RR-8SM5G] ripd 8.4.4 starting: vty@0
2026/11/26 07:56:07 RIP: [SHWNK-NWT5S][EC 100663304] No such command on config line 3:  bogus line here
2026/11/26 07:56:07 RIP: [SHWNK-NWT5S][EC 100663304] No such command on config line 4:  timers basic 1 1 1
2026/11/26 07:56:10 ZEBRA: [NNACN-54BDA][EC 4043309110] Disabling MPLS support (no kernel support)
"""


def test_frr_config_errors_from_log() -> None:
    """Lines as ripd 8.4.4 logged them for a config with two bad lines (captured)."""
    assert parse.frr_config_errors(FRR_LOG) == [
        (3, "No such command", "bogus line here"),
        (4, "No such command", "timers basic 1 1 1"),
    ]
    assert parse.frr_config_errors(FRR_LOG.splitlines()[-1]) == []


def test_kernel_routes_multipath_blackhole_and_labels() -> None:
    fib = parse.kernel_routes(json.loads(text("kernel-route-bird.json")))
    f = {e["prefix"]: e for e in fib}
    assert f["10.0.0.0/30"]["protocol"] == "connected"
    assert f["10.255.0.2/32"]["next_hops"] == [
        {"gateway": "10.0.0.2", "interface": "r2"},
        {"gateway": "10.0.0.6", "interface": "r2-1"},
    ]
    assert f["172.16.2.0/24"]["type"] == "blackhole" and f["172.16.2.0/24"]["next_hops"] == []
    assert f["172.16.3.0/24"]["metric"] == 0
    rib = parse.bird_routes(text("bird-show-route-all.txt"))
    labelled = {e["prefix"]: e["protocol"] for e in label_fib(fib, rib)}
    assert labelled["172.16.3.0/24"] == "static" and labelled["172.16.20.0/24"] == "rip"
    frr = {e["prefix"]: e for e in parse.kernel_routes(json.loads(text("kernel-route-frr.json")))}
    assert frr["172.16.2.0/24"]["protocol"] == "rip" and frr["172.16.2.0/24"]["metric"] == 20
    assert (
        parse.kernel_routes([{"dst": "default", "gateway": "10.0.0.1", "dev": "r1"}])[0]["prefix"]
        == "0.0.0.0/0"
    )


def test_kernel_interfaces() -> None:
    ifaces = {i["name"]: i for i in parse.kernel_interfaces(json.loads(text("kernel-addr.json")))}
    assert ifaces["r2"] == {"name": "r2", "state": "up", "addresses": ["10.0.0.1/30"], "mtu": 1500}
    assert ifaces["lo"]["state"] == "up" and "10.255.0.1/32" in ifaces["lo"]["addresses"]


@given(st.text())
def test_parsers_never_raise_on_arbitrary_text(blob: str) -> None:
    for fn in (parse.bird_routes, parse.bird_protocols, parse.bird_rip_neighbors, parse.frr_rip_neighbors):
        assert isinstance(fn(blob), list)
    assert isinstance(parse.frr_config_errors(blob), list)
