"""The OSPF oracle (RFC 2328 §16) on hand-built topologies, and on the three teaching labs."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from routesim.oracle import expected_tables
from routesim.oracle.expected import NextHopMatch
from routesim.topology import load_topology, load_topology_text

ROOT = Path(__file__).resolve().parents[2]
N = IPv4Network
A = IPv4Address


def ospf_routes(topo, router: str, **kw) -> dict:
    t = expected_tables(topo, **kw)
    return {p: r for p, r in t.for_router(router).items() if r.protocol == "ospf"}


def gws(route) -> set[str]:
    return {str(g) for g in route.gateways}


SQUARE = """
timers: fast
nodes:
  r1: {ospf: true}
  r2: {ospf: true}
  r3: {ospf: true, networks: [192.168.3.0/24]}
  r4: {ospf: true}
links:
  - {endpoints: [r1, r2], subnet: 10.0.12.0/30}
  - {endpoints: [r2, r3], subnet: 10.0.23.0/30}
  - {endpoints: [r3, r4], subnet: 10.0.34.0/30}
  - {endpoints: [r4, r1], subnet: 10.0.41.0/30}
"""


def test_square_ecmp_keeps_both_equal_cost_next_hops():
    topo = load_topology_text(SQUARE)
    r1 = ospf_routes(topo, "r1")
    stub = r1[N("192.168.3.0/24")]
    assert stub.metric == 3 and stub.match is NextHopMatch.ALL
    assert gws(stub) == {"10.0.12.2", "10.0.41.1"}  # r2 and r4 on their links
    assert r1[N("10.255.0.3/32")].metric == 2  # loopback: stub host route of cost 0
    assert gws(r1[N("10.255.0.3/32")]) == {"10.0.12.2", "10.0.41.1"}
    # a p2p subnet is a stub of both ends: r2-r3 is 2 away through r2 only (3 through r4)
    assert r1[N("10.0.23.0/30")].metric == 2 and gws(r1[N("10.0.23.0/30")]) == {"10.0.12.2"}
    assert N("10.0.12.0/30") not in r1  # connected: never offered as OSPF


def test_square_cost_breaks_the_tie_and_a_down_link_reroutes():
    topo = load_topology_text(SQUARE.replace("[r1, r2], subnet", "[r1, r2], cost: 5, subnet"))
    r1 = ospf_routes(topo, "r1")
    assert gws(r1[N("192.168.3.0/24")]) == {"10.0.41.1"}
    assert r1[N("10.255.0.2/32")].metric == 3  # r1 -> r4 -> r3 -> r2 (1+1+1) beats 5
    down = ospf_routes(load_topology_text(SQUARE), "r1", down_links=["l4"])
    assert gws(down[N("192.168.3.0/24")]) == {"10.0.12.2"} and down[N("192.168.3.0/24")].metric == 3


def test_crashed_router_is_routed_around_and_its_networks_vanish():
    topo = load_topology_text(SQUARE)
    r1 = ospf_routes(topo, "r1", down_nodes=["r2"])
    assert gws(r1[N("192.168.3.0/24")]) == {"10.0.41.1"}
    assert N("10.255.0.2/32") not in r1
    # r2's link to r3 is still there (carrier stays) and r3 advertises it
    assert r1[N("10.0.23.0/30")].metric == 3 and gws(r1[N("10.0.23.0/30")]) == {"10.0.41.1"}
    assert "r2" not in expected_tables(topo, down_nodes=["r2"]).routes


LAN = """
timers: fast
nodes:
  r1: {ospf: {priority: 0}, networks: [192.168.1.0/24]}
  r2: {ospf: {priority: 10}, networks: [192.168.2.0/24]}
  r3: {ospf: {passive: [lan1]}, networks: [192.168.3.0/24]}
  r4: {networks: [192.168.4.0/24]}
  r5: {ospf: true}
lans:
  - {name: lan1, members: [r1, r2, r3, r4], subnet: 172.16.0.0/24}
links:
  - {endpoints: [r5, r2], subnet: 10.0.52.0/30, cost: 7}
"""


def test_lan_next_hop_is_the_next_routers_address_on_the_lan():
    topo = load_topology_text(LAN)
    r1 = ospf_routes(topo, "r1")
    assert r1[N("192.168.2.0/24")].metric == 2 and gws(r1[N("192.168.2.0/24")]) == {"172.16.0.2"}
    assert r1[N("10.0.52.0/30")].metric == 8  # r1 -> lan (1) -> r2 (0) + r2's stub (7)
    r5 = ospf_routes(topo, "r5")
    # r5 -> r2 (7) -> lan (1): the transit network's prefix, then r1's stub across it
    assert r5[N("172.16.0.0/24")].metric == 8 and gws(r5[N("172.16.0.0/24")]) == {"10.0.52.2"}
    assert r5[N("192.168.1.0/24")].metric == 9


def test_passive_interface_subnet_is_advertised_but_no_adjacency_forms():
    topo = load_topology_text(LAN)
    r1 = ospf_routes(topo, "r1")
    # r3 is passive on lan1: unreachable through it, its stub network and loopback are islands
    assert N("192.168.3.0/24") not in r1 and N("10.255.0.3/32") not in r1
    # ... but r3 itself computes nothing beyond its own networks either
    assert ospf_routes(topo, "r3") == {}
    # r4 runs no OSPF: its stub is nowhere
    assert all(N("192.168.4.0/24") not in ospf_routes(topo, r) for r in ("r1", "r2", "r5"))


def test_lan_without_an_eligible_dr_is_a_stub_for_everyone():
    topo = load_topology_text(LAN.replace("{priority: 10}", "{priority: 0}"))
    r1 = ospf_routes(topo, "r1")
    assert N("192.168.2.0/24") not in r1  # no DR, no adjacency over lan1
    assert ospf_routes(topo, "r5")[N("172.16.0.0/24")].metric == 8  # r2's stub link, cost 7 + 1


def test_lan_with_one_ospf_router_is_a_stub_network():
    topo = load_topology_text(
        LAN.replace("r1: {ospf: {priority: 0}, ", "r1: {").replace("{priority: 10}", "{}")
    )
    r5 = ospf_routes(topo, "r5")
    assert r5[N("172.16.0.0/24")].metric == 8 and gws(r5[N("172.16.0.0/24")]) == {"10.0.52.2"}


MULTI = """
timers: fast
nodes:
  core: {ospf: {redistribute: [static]}, static: [{prefix: 198.51.100.0/24, blackhole: true}]}
  abr1: {ospf: {interfaces: {core: {area: 0}, a1: {area: 1}, b1: {area: 1}}}}
  abr2: {ospf: {interfaces: {core: {area: 0}, a2: {area: 2}}}}
  a1: {ospf: {area: 1}, networks: [192.168.1.0/24]}
  b1: {ospf: {area: 1}}
  a2: {ospf: {area: 2}, networks: [192.168.2.0/24]}
links:
  - {endpoints: [abr1, core], subnet: 10.0.1.0/30}
  - {endpoints: [core, abr2], subnet: 10.0.2.0/30}
  - {endpoints: [a1, abr1], subnet: 10.1.1.0/30}
  - {endpoints: [b1, abr1], subnet: 10.1.2.0/30, cost: 3}
  - {endpoints: [a1, b1], subnet: 10.1.3.0/30}
  - {endpoints: [abr2, a2], subnet: 10.2.1.0/30, cost: 4}
"""


def test_inter_area_costs_add_the_abrs_summary_cost():
    topo = load_topology_text(MULTI)
    a2 = ospf_routes(topo, "a2")
    r = a2[N("192.168.1.0/24")]
    # a2 -> abr2 (4) + abr2's cost: core (1) + abr1 (1) + a1 (1) + stub (1)
    assert r.metric == 8 and gws(r) == {"10.2.1.1"} and r.detail.startswith("inter-area")
    assert a2[N("10.255.0.4/32")].metric == 7  # a1's loopback, cost 0 at a1
    # b1 reaches area 2 through abr1 on the cheapest intra-area path (via a1: 1 + 1 < 3)
    b1 = ospf_routes(topo, "b1")
    assert b1[N("192.168.2.0/24")].metric == 2 + 1 + 1 + 4 + 1
    assert gws(b1[N("192.168.2.0/24")]) == {"10.1.3.1"}


def test_intra_area_beats_inter_area_and_abr_uses_backbone_summaries_only():
    topo = load_topology_text(MULTI)
    abr1 = ospf_routes(topo, "abr1")
    assert abr1[N("192.168.1.0/24")].detail == "intra-area 0.0.0.1"
    assert abr1[N("192.168.2.0/24")].detail == "inter-area (summary in area 0.0.0.0)"
    core = ospf_routes(topo, "core")
    assert core[N("10.1.3.0/30")].metric == 3 and gws(core[N("10.1.3.0/30")]) == {"10.0.1.1"}


@pytest.mark.parametrize(("mtype", "b1_metric", "a2_metric"), [(2, 20, 20), (1, 20 + 3, 20 + 5)])
def test_external_type_1_adds_the_internal_cost_type_2_does_not(mtype, b1_metric, a2_metric):
    text = MULTI.replace("redistribute: [static]", f"redistribute: [static], external_metric_type: {mtype}")
    topo = load_topology_text(text)
    b1 = ospf_routes(topo, "b1")[N("198.51.100.0/24")]
    a2 = ospf_routes(topo, "a2")[N("198.51.100.0/24")]
    assert (b1.metric, a2.metric) == (b1_metric, a2_metric)
    assert gws(b1) == {"10.1.3.1"} and gws(a2) == {"10.2.1.1"}
    assert ("E1" if mtype == 1 else "E2") in b1.detail
    assert N("198.51.100.0/24") not in ospf_routes(topo, "core")  # its own static (distance 1)


def test_type_2_ties_on_metric_break_on_the_distance_to_the_asbr():
    text = SQUARE.replace(
        "r1: {ospf: true}",
        "r1: {ospf: {redistribute: [static]}, static: [{prefix: 198.51.100.0/24, blackhole: true}]}",
    ).replace(
        "r3: {ospf: true,",
        "r3: {ospf: {redistribute: [static]}, static: [{prefix: 198.51.100.0/24, blackhole: true}],",
    )
    topo = load_topology_text(text)
    r2 = ospf_routes(topo, "r2")[N("198.51.100.0/24")]
    assert r2.metric == 20 and gws(r2) == {"10.0.12.1", "10.0.23.2"}  # both ASBRs 1 away
    r4 = ospf_routes(load_topology_text(text.replace("[r4, r1], subnet", "[r4, r1], cost: 3, subnet")), "r4")
    assert gws(r4[N("198.51.100.0/24")]) == {"10.0.34.1"}  # r3 is nearer (1 < 3)


def test_redistribute_connected_skips_ospf_interfaces_and_the_loopback():
    text = SQUARE.replace("r1: {ospf: true}", "r1: {ospf: {interfaces: [r2, r4], redistribute: [connected]}}")
    text += "  - {endpoints: [r1, h1], subnet: 10.9.9.0/30}\n"
    text = text.replace("nodes:\n", "nodes:\n  h1: {kind: host, gateway: r1}\n")
    topo = load_topology_text(text)
    r3 = ospf_routes(topo, "r3")
    assert r3[N("10.9.9.0/30")].detail.startswith("external E2 from r1")
    assert r3[N("10.255.0.1/32")].detail == "intra-area 0.0.0.0"
    assert r3[N("10.0.12.0/30")].detail == "intra-area 0.0.0.0"


def test_routers_without_ospf_get_nothing():
    topo = load_topology_text(SQUARE.replace("r4: {ospf: true}", "r4: {}"))
    assert ospf_routes(topo, "r4") == {}
    assert gws(ospf_routes(topo, "r1")[N("192.168.3.0/24")]) == {"10.0.12.2"}


@pytest.mark.parametrize("name", ["ospf_square", "ospf_lan_dr", "ospf_multiarea"])
def test_teaching_topologies_have_sensible_expectations(name, capsys):
    topo = load_topology(ROOT / "topologies" / f"{name}.yaml")
    t = expected_tables(topo)
    assert not t.not_modeled
    with capsys.disabled():
        print(f"\n--- {name}: expected OSPF routes")
        for r, table in sorted(t.routes.items()):
            for p, e in sorted(table.items()):
                if e.protocol == "ospf":
                    print(f"  {r:5} {p!s:18} {e.metric:>3} {sorted(map(str, e.gateways))} {e.detail}")
    routers = [n.name for n in topo.routers]
    every = {p for n in topo.nodes for i in n.interfaces for p in [i.network]} | {
        n.loopback.network for n in topo.routers
    }
    for r in routers:
        table = t.for_router(r)
        assert every <= set(table), (r, every - set(table))  # full reachability
    if name == "ospf_square":
        h3net = topo.node("h3").interfaces[0].network
        assert len(t.for_router("r1")[h3net].gateways) == 2
    if name == "ospf_multiarea":
        h2net = topo.node("h2").interfaces[0].network
        assert t.for_router("a1")[h2net].detail.startswith("inter-area")
        assert t.for_router("a1")[N("198.51.100.0/24")].metric == 20
    if name == "ospf_lan_dr":
        after = expected_tables(topo, down_nodes=["r2"])
        assert N("192.168.2.0/24") not in after.for_router("r1")
        assert N("192.168.4.0/24") in after.for_router("r1")
