"""The BGP oracle on hand-built topologies (one per rule and per decision step) and the headline labs."""

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
P = N("192.0.2.0/24")


def bgp(topo, **kw) -> dict[str, dict]:
    """router -> prefix -> expected BGP route."""
    t = expected_tables(topo, **kw)
    return {
        r: {p: x for p, x in table.items() if x.protocol in ("ebgp", "ibgp")} for r, table in t.routes.items()
    }


def detail(route, key: str) -> str:
    """One field of the route's detail (``as_path`` may hold spaces: it ends at ``local_pref=``)."""
    d = route.detail
    if key == "as_path":
        return d[len("as_path=") : d.index(" local_pref=")]
    return next(w.split("=", 1)[1] for w in d.split() if w.startswith(f"{key}="))


def link_id(topo, a: str, b: str) -> str:
    return next(lk.id for lk in topo.links if set(lk.nodes) == {a, b})


CHAIN = """
nodes:
  r1:
    asn: 65001
    networks: [192.0.2.0/24]
    bgp:
      announce: [192.0.2.0/24]
      neighbors:
        r2: {export: [{match: {prefix: 192.0.2.0/24}, set: {prepend: 2}}]}
  r2: {asn: 65002, bgp: {neighbors: {r1: {}, r3: {}}}}
  r3: {asn: 65003, bgp: {neighbors: {r2: {}}}}
links:
  - {endpoints: [r1, r2], subnet: 10.0.12.0/30}
  - {endpoints: [r2, r3], subnet: 10.0.23.0/30}
"""


def test_ebgp_chain_prepends_and_points_at_the_peer() -> None:
    t = load_topology_text(CHAIN)
    got = bgp(t)
    assert P not in got["r1"]  # its own route is not installed (the stub is)
    r2, r3 = got["r2"][P], got["r3"][P]
    assert detail(r2, "as_path") == "65001 65001 65001"
    assert detail(r3, "as_path") == "65002 65001 65001 65001"
    assert (r3.protocol, r3.gateways, r3.match, r3.metric) == ("ebgp", {A("10.0.23.1")}, NextHopMatch.ANY, 0)
    assert detail(r3, "local_pref") == "100" and detail(r3, "origin") == "IGP"
    # the link down: r3 loses it; r2 crashed: nobody but r1 has it
    assert P not in bgp(t, down_links=[link_id(t, "r2", "r3")])["r3"]
    assert P not in bgp(t, down_nodes=["r2"]).get("r3", {})


def test_announce_needs_a_covering_route_unless_always() -> None:
    text = CHAIN.replace("    networks: [192.0.2.0/24]\n", "")
    assert P not in bgp(load_topology_text(text))["r3"]
    text = text.replace("announce: [192.0.2.0/24]", "announce: [192.0.2.0/24]\n      announce_always: true")
    assert P in bgp(load_topology_text(text))["r3"]
    # a less specific covering route counts
    text = CHAIN.replace("networks: [192.0.2.0/24]", "static: ['192.0.0.0/16 blackhole']")
    assert P in bgp(load_topology_text(text))["r3"]


# Gao-Rexford: a (customer of b), b peers with c, e is b's provider, c has customer d and peer f.
VALLEY = """
nodes:
  a: {asn: 1, bgp: {announce_always: true, announce: [10.1.0.0/16], neighbors: {b: {relationship: provider}}}}
  b:
    asn: 2
    bgp:
      neighbors:
        a: {relationship: customer}
        c: {relationship: peer}
        e: {relationship: provider}
  c:
    asn: 3
    bgp:
      neighbors:
        b: {relationship: peer}
        d: {relationship: customer}
        f: {relationship: peer}
  d: {asn: 4, bgp: {neighbors: {c: {relationship: provider}}}}
  e: {asn: 5, bgp: {announce_always: true, announce: [10.5.0.0/16], neighbors: {b: {relationship: customer}}}}
  f: {asn: 6, bgp: {announce_always: true, announce: [10.6.0.0/16], neighbors: {c: {relationship: peer}}}}
links: [[a, b], [b, c], [b, e], [c, d], [c, f]]
"""


def test_valley_free_export() -> None:
    got = bgp(load_topology_text(VALLEY))
    pa, pe, pf = N("10.1.0.0/16"), N("10.5.0.0/16"), N("10.6.0.0/16")
    assert detail(got["b"][pa], "local_pref") == "200"  # from a customer
    assert detail(got["c"][pa], "local_pref") == "150"  # customer route exported to a peer
    assert detail(got["d"][pa], "as_path") == "3 2 1"  # peer route exported to a customer
    assert detail(got["e"][pa], "as_path") == "2 1"  # customer route exported to a provider
    assert pa not in got["f"]  # a peer route never goes to another peer
    assert pe not in got["c"] and pe not in got["d"]  # a provider route never goes to a peer
    assert detail(got["a"][pe], "local_pref") == "100"  # ... but goes to customers
    assert pf not in got["b"] and pf not in got["a"] and pf in got["d"]


# AS 100: r1, r2, r3 in a triangle running OSPF, iBGP full mesh; r1 and r2 each have an eBGP
# session to AS 200 (x1, x2), which both announce P. r3-r1 costs 1, r3-r2 costs 10.
HOT_POTATO = """
nodes:
  x1: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24], neighbors: {r1: {}}}}
  x2: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24], neighbors: {r2: {}}}}
  r1:
    asn: 100
    ospf: {interfaces: [r2, r3]}
    bgp: {neighbors: {x1: {}, r2: {next_hop_self: true}, r3: {next_hop_self: true}}}
  r2:
    asn: 100
    ospf: {interfaces: [r1, r3]}
    bgp: {neighbors: {x2: {}, r1: {next_hop_self: true}, r3: {next_hop_self: true}}}
  r3:
    asn: 100
    ospf: {interfaces: [r1, r2]}
    bgp: {neighbors: {r1: {}, r2: {}}}
links:
  - {endpoints: [x1, r1], subnet: 10.0.1.0/30}
  - {endpoints: [x2, r2], subnet: 10.0.2.0/30}
  - {endpoints: [r1, r2], subnet: 10.0.12.0/30, cost: 5}
  - {endpoints: [r3, r1], subnet: 10.0.13.0/30, cost: 1}
  - {endpoints: [r3, r2], subnet: 10.0.23.0/30, cost: 10}
"""


def test_ibgp_full_mesh_hot_potato() -> None:
    t = load_topology_text(HOT_POTATO)
    got = bgp(t)
    r3 = got["r3"][P]
    assert (r3.protocol, detail(r3, "reason"), detail(r3, "next_hop")) == ("ibgp", "igp_cost", "10.255.0.3")
    assert r3.gateways == {A("10.0.13.2")}  # the OSPF next hop toward r1's loopback
    r1 = got["r1"][P]
    assert (r1.protocol, detail(r1, "reason"), r1.gateways) == ("ebgp", "ebgp", {A("10.0.1.1")})
    # the cheap side fails: r3 leaves through r2 (reached directly, cost 10, or via r1: 1+5)
    down = bgp(t, down_links=[link_id(t, "x1", "r1")])
    assert detail(down["r3"][P], "next_hop") == "10.255.0.4" and down["r1"][P].protocol == "ibgp"


def test_ibgp_export_policy_sets_local_pref() -> None:
    text = HOT_POTATO.replace(
        "r3: {next_hop_self: true}}}\n  r2:",
        "r3: {next_hop_self: true, export: [{set: {local_pref: 50}}]}}}\n  r2:",
    )
    r3 = bgp(load_topology_text(text))["r3"][P]
    assert (detail(r3, "reason"), detail(r3, "next_hop"), detail(r3, "local_pref")) == (
        "local_pref",
        "10.255.0.4",
        "100",
    )


def test_ibgp_without_next_hop_self_needs_the_igp_to_know_the_next_hop() -> None:
    text = HOT_POTATO.replace("next_hop_self: true", "")
    got = bgp(load_topology_text(text))
    assert P not in got["r3"]  # next hop 10.0.1.1 is not in r3's IGP table (§9.1.2.1)
    text = text.replace("ospf: {interfaces: [r2, r3]}", "ospf: {interfaces: [r2, r3, x1], passive: [x1]}")
    r3 = bgp(load_topology_text(text))["r3"][P]
    assert detail(r3, "next_hop") == "10.0.1.1" and r3.gateways == {A("10.0.13.2")}


RR = """
nodes:
  x: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24], neighbors: {c1: {}}}}
  c1:
    asn: 100
    ospf: {interfaces: [rr]}
    bgp: {neighbors: {x: {}, rr: {next_hop_self: true}}}
  rr:
    asn: 100
    ospf: true
    bgp: {neighbors: {c1: {route_reflector_client: true}, c2: {route_reflector_client: CLIENT}}}
  c2:
    asn: 100
    ospf: {interfaces: [rr]}
    bgp: {neighbors: {rr: {}}}
links:
  - {endpoints: [x, c1], subnet: 10.0.1.0/30}
  - {endpoints: [c1, rr], subnet: 10.0.11.0/30}
  - {endpoints: [rr, c2], subnet: 10.0.22.0/30}
"""


def test_route_reflector() -> None:
    got = bgp(load_topology_text(RR.replace("CLIENT", "true")))
    c2 = got["c2"][P]
    assert (c2.protocol, detail(c2, "next_hop"), c2.gateways) == ("ibgp", "10.255.0.2", {A("10.0.22.1")})
    assert got["rr"][P].protocol == "ibgp"
    # from a client to a non-client: still reflected (RFC 4456 §6)
    assert P in bgp(load_topology_text(RR.replace("CLIENT", "false")))["c2"]
    # no clients at all: plain iBGP never passes an iBGP route on
    none = RR.replace("CLIENT", "false").replace("c1: {route_reflector_client: true}", "c1: {}")
    assert P not in bgp(load_topology_text(none))["c2"]


NO_EXPORT = """
nodes:
  x:
    asn: 200
    bgp:
      announce_always: true
      announce: [192.0.2.0/24]
      neighbors: {r1: {export: [{set: {communities: [COMMUNITY]}}]}}
  r1:
    asn: 100
    ospf: {interfaces: [r2]}
    bgp: {neighbors: {x: {}, r2: {next_hop_self: true}, y: {}}}
  r2: {asn: 100, ospf: {interfaces: [r1]}, bgp: {neighbors: {r1: {}}}}
  y: {asn: 300, bgp: {neighbors: {r1: {}}}}
links: [[x, r1], [r1, r2], [r1, y]]
"""


def test_well_known_communities() -> None:
    got = bgp(load_topology_text(NO_EXPORT.replace("COMMUNITY", "no-export")))
    assert P in got["r1"] and P in got["r2"] and P not in got["y"]
    got = bgp(load_topology_text(NO_EXPORT.replace("COMMUNITY", "no-advertise")))
    assert P in got["r1"] and P not in got["r2"] and P not in got["y"]
    got = bgp(load_topology_text(NO_EXPORT.replace("COMMUNITY", "'200:1'")))
    assert P in got["y"]


# r1 (AS 100) hears P from x1 and x2; the knobs below pick between them.
TWO_EXITS = """
nodes:
  x1: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24], neighbors: {r1: X1}}}
  x2: {asn: AS2, bgp: {announce_always: true, announce: [192.0.2.0/24], neighbors: {r1: X2}}}
  r1: {asn: 100, bgp: {neighbors: {x1: {}, x2: R1X2}}}
links:
  - {endpoints: [x1, r1], subnet: 10.0.1.0/30}
  - {endpoints: [x2, r1], subnet: 10.0.2.0/30}
"""


def two_exits(x1: str = "{}", x2: str = "{}", r1x2: str = "{}", as2: int = 200):
    text = TWO_EXITS.replace("R1X2", r1x2).replace("X1", x1).replace("X2", x2).replace("AS2", str(as2))
    return bgp(load_topology_text(text))["r1"][P]


def test_decision_steps() -> None:
    # equal on everything up to the router ID: x1 (10.255.0.1) < x2 (10.255.0.2)
    r = two_exits()
    assert (detail(r, "reason"), r.gateways) == ("router_id", {A("10.0.1.1")})
    # LOCAL_PREF beats a longer AS path
    r = two_exits(
        x2="{export: [{set: {prepend: 3}}]}",
        r1x2="{import: [{match: {as_path: _200_}, set: {local_pref: 300}}]}",
    )
    assert (detail(r, "reason"), detail(r, "as_path"), r.gateways) == (
        "local_pref",
        "200 200 200 200",
        {A("10.0.2.1")},
    )
    # shortest AS path
    r = two_exits(x1="{export: [{set: {prepend: 1}}]}")
    assert (detail(r, "reason"), r.gateways) == ("as_path", {A("10.0.2.1")})
    # MED between routes from the same neighbour AS; reported as the metric
    r = two_exits(x1="{export: [{set: {med: 50}}]}", x2="{export: [{set: {med: 10}}]}")
    assert (detail(r, "reason"), r.gateways, r.metric) == ("med", {A("10.0.2.1")}, 10)
    # ... but not between different neighbour ASes: down to the router ID
    r = two_exits(x1="{export: [{set: {med: 50}}]}", x2="{export: [{set: {med: 10}}]}", as2=300)
    assert (detail(r, "reason"), r.gateways, r.metric) == ("router_id", {A("10.0.1.1")}, 50)
    # an import policy that rejects leaves the other path only
    r = two_exits(r1x2="{import: {rules: [], default: reject}}")
    assert (detail(r, "reason"), r.gateways) == ("only", {A("10.0.1.1")})
    # origin: announce (IGP) beats redistribute (INCOMPLETE)
    text = TWO_EXITS.replace("R1X2", "{}").replace("X1", "{}").replace("X2", "{}").replace("AS2", "200")
    text = text.replace(
        "x1: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24],",
        "x1: {asn: 200, static: ['192.0.2.0/24 blackhole'], bgp: {redistribute: [static],",
    )
    r = bgp(load_topology_text(text))["r1"][P]
    assert (detail(r, "reason"), detail(r, "origin"), r.gateways) == ("origin", "IGP", {A("10.0.2.1")})


def test_lowest_peer_address_between_two_sessions_to_one_router() -> None:
    text = """
nodes:
  x: {asn: 200, bgp: {announce_always: true, announce: [192.0.2.0/24],
      neighbors: {10.0.2.2: {remote_as: 100}, 10.0.1.2: {remote_as: 100}}}}
  r1: {asn: 100, bgp: {neighbors: {10.0.2.1: {remote_as: 200}, 10.0.1.1: {remote_as: 200}}}}
links:
  - {endpoints: [x, r1], subnet: 10.0.2.0/30}
lans:
  - {name: lan1, members: [x, r1], subnet: 10.0.1.0/30}
"""
    r = bgp(load_topology_text(text))["r1"][P]
    assert (detail(r, "reason"), r.gateways) == ("peer_address", {A("10.0.1.1")})


def test_outside_peers_are_not_modeled() -> None:
    t = load_topology_text(CHAIN.replace("r3: {}}}}", "r3: {}, 10.9.9.9: {remote_as: 9}}}}"))
    tables = expected_tables(t)
    assert {r for r, p, _ in tables.not_modeled if p == "bgp"} == {"r1", "r2", "r3"}
    assert not any(x.protocol in ("ebgp", "ibgp") for tb in tables.routes.values() for x in tb.values())


def test_ibgp_session_needs_the_igp_between_loopbacks() -> None:
    text = RR.replace("CLIENT", "true").replace(
        "ospf: {interfaces: [rr]}\n    bgp: {neighbors: {rr: {}}}", "bgp: {neighbors: {rr: {}}}"
    )
    got = bgp(load_topology_text(text))
    assert P not in got.get("c2", {})


# --- the headline labs --------------------------------------------------------------------------

WEB = N("203.0.113.0/24")
USERS = {"telecom": N("198.51.100.0/26"), "unicom": N("198.51.100.64/26"), "mobile": N("198.51.100.128/26")}
ASN = {"telecom": 4134, "unicom": 4837, "mobile": 9808}


def iface_peer_address(topo, node: str, peer: str) -> A:
    return next(i.peer_address for i in topo.node(node).interfaces if i.peer == peer)


def dump(got) -> str:
    return "\n".join(
        f"{r:9} {p!s:18} {x.protocol} via {sorted(map(str, x.gateways))} {x.detail}"
        for r in sorted(got)
        for p, x in sorted(got[r].items())
    )


def test_multiline_lab(capsys) -> None:
    t = load_topology(ROOT / "topologies" / "multiline_bgp.yaml")
    got = bgp(t)
    print(dump(got))
    for isp in ASN:
        core, edge = f"{isp}1", f"{isp}2"
        r = got[core][WEB]
        assert (r.protocol, detail(r, "as_path"), detail(r, "local_pref")) == ("ebgp", "64500", "200")
        assert r.gateways == {iface_peer_address(t, core, "idc")}  # the customer link, never a peer
        r = got[edge][WEB]
        assert (r.protocol, detail(r, "as_path"), r.gateways) == (
            "ibgp",
            "64500",
            {iface_peer_address(t, edge, core)},
        )
        # idc reaches each ISP's users directly (shortest AS path), and is no transit
        r = got["idc"][USERS[isp]]
        assert detail(r, "as_path") == str(ASN[isp]) and r.gateways == {iface_peer_address(t, "idc", core)}
    # idc never passes one provider's routes to another: unicom1 learns Telecom's users from the peer
    assert detail(got["unicom1"][USERS["telecom"]], "as_path") == "4134"
    # the failure: Telecom falls back to the peer route with the lowest router ID (unicom1)
    down = bgp(t, down_links=[link_id(t, "idc", "telecom1")])
    r = down["telecom1"][WEB]
    assert (detail(r, "as_path"), detail(r, "local_pref"), detail(r, "reason")) == (
        "4837 64500",
        "150",
        "router_id",
    )
    assert r.gateways == {iface_peer_address(t, "telecom1", "unicom1")}
    assert detail(down["telecom2"][WEB], "as_path") == "4837 64500"
    assert detail(down["idc"][USERS["telecom"]], "as_path") == "4837 4134"  # the way back, same side
    assert down["unicom1"][WEB] == got["unicom1"][WEB]
    assert "telecom1  203.0.113.0/24" in capsys.readouterr().out


def test_singleline_lab() -> None:
    t = load_topology(ROOT / "topologies" / "singleline_bgp.yaml")
    got = bgp(t)
    assert detail(got["telecom1"][WEB], "as_path") == "64500"
    for isp in ("unicom", "mobile"):
        r = got[f"{isp}1"][WEB]
        assert (detail(r, "as_path"), detail(r, "local_pref")) == ("4134 64500", "150")
        assert r.gateways == {iface_peer_address(t, f"{isp}1", "telecom1")}
        assert detail(got[f"{isp}2"][WEB], "as_path") == "4134 64500"
        assert detail(got["idc"][USERS[isp]], "as_path") == f"4134 {ASN[isp]}"
    # the peering cut: Unicom has no way to the data center (mobile1 does not pass a peer route on)
    down = bgp(t, down_links=[link_id(t, "telecom1", "unicom1")])
    assert WEB not in down["unicom1"] and WEB not in down["unicom2"] and WEB in down["mobile2"]


@pytest.mark.parametrize("lab", ["multiline_bgp", "singleline_bgp"])
def test_every_router_of_the_labs_is_modeled(lab: str) -> None:
    t = load_topology(ROOT / "topologies" / f"{lab}.yaml")
    tables = expected_tables(t)
    assert tables.not_modeled == []
    for r in t.routers:
        assert WEB in tables.for_router(r.name)
