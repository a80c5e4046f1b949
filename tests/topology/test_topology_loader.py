"""Resolution rules of the loader: addresses, names, router IDs, gateways, statics, expect, events."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from routesim.topology import TopologyError, load_topology, load_topology_text
from routesim.topology.model import IfaceKind, NodeKind, OspfSettings
from routesim.topology.plan import format_plan, plan_as_dict

ROOT = Path(__file__).resolve().parents[2]

MULTI = """\
timers: fast
nodes:
  r1: {asn: 64500, networks: [203.0.113.0/24, 198.51.100.0/25]}
  r2: {}
  r3: {kind: bird, loopback: 10.255.0.1}
  h1: {kind: host, gateway: r1}
links:
  - [r1, r2]
  - [r1, r2]
  - {endpoints: [r2, r3], delay: 40ms, jitter: 1ms, loss: 1%, rate: 10mbit, cost: 10}
lans:
  - {name: lan1, members: [r1, r2, r3]}
"""


def ip(s: str) -> IPv4Address:
    return IPv4Address(s)


def ifaces(topo, node):
    return {i.name: i for i in topo.node(node).interfaces}


def test_automatic_resolution_is_deterministic() -> None:
    t = load_topology_text(MULTI, "multi.yaml")
    assert t.name == "multi" and t.timers.profile == "fast"
    # loopbacks: routers in file order, skipping the explicit 10.255.0.1 of r3
    assert [str(n.loopback) for n in t.routers] == ["10.255.0.2/32", "10.255.0.3/32", "10.255.0.1/32"]
    assert [n.router_id for n in t.routers] == [ip("10.255.0.2"), ip("10.255.0.3"), ip("10.255.0.1")]
    assert t.node("h1").loopback is None and t.node("h1").router_id is None
    # links in file order l1, l2, l3, then the implicit host link l4
    assert [(lk.id, str(lk.subnet)) for lk in t.links] == [
        ("l1", "10.0.0.0/30"),
        ("l2", "10.0.0.4/30"),
        ("l3", "10.0.0.8/30"),
        ("l4", "10.0.0.12/30"),
    ]
    assert [lk.implicit for lk in t.links] == [False, False, False, True]
    r1 = ifaces(t, "r1")
    assert list(r1) == ["r2", "r2-1", "h1", "lan1", "stub0", "stub1"]
    assert r1["r2"].address == IPv4Interface("10.0.0.1/30") and r1["r2"].peer_address == ip("10.0.0.2")
    assert r1["r2-1"].address == IPv4Interface("10.0.0.5/30") and r1["r2-1"].link == "l2"
    assert ifaces(t, "r2")["r1-1"].address == IPv4Interface("10.0.0.6/30")
    assert r1["lan1"].address == IPv4Interface("172.16.0.1/24") and r1["lan1"].kind is IfaceKind.LAN
    assert ifaces(t, "r3")["lan1"].address == IPv4Interface("172.16.0.3/24")
    assert r1["stub0"].address == IPv4Interface("203.0.113.1/24") and r1["stub0"].link == ""
    assert r1["stub1"].address == IPv4Interface("198.51.100.1/25")
    # the implicit host link: gateway router first, so it gets the first address
    assert t.node("h1").gateway == ip("10.0.0.13") and t.node("h1").gateway_node == "r1"
    assert ifaces(t, "h1")["r1"].address == IPv4Interface("10.0.0.14/30")
    l3 = t.links[2]
    assert l3.impairment.delay == 0.04 and l3.impairment.jitter == 0.001
    assert l3.impairment.loss == 0.01 and l3.impairment.rate == 10_000_000
    assert l3.a.cost == l3.b.cost == 10
    assert t.node("r3").kind is NodeKind.BIRD and t.node("r1").asn == 64500
    assert load_topology_text(MULTI, "multi.yaml") == t


def test_explicit_values_are_honoured() -> None:
    t = load_topology_text(
        """
name: explicit-1
addressing: {p2p: 10.0.0.0/16, p2p_prefixlen: 31, lan: 172.20.0.0/16, lan_prefixlen: 26}
nodes:
  r1: {router_id: 1.1.1.1, loopback: 192.0.2.1/32}
  r2: {}
  r3: {}
links:
  - endpoints: [r2, r3]
    subnet: 10.0.0.0/30
    addresses: {r2: 10.0.0.2}
    cost: {r2: 10, r3: 25}
    ifnames: {r2: to-r3}
    mtu: 9000
  - [r1, r2]
lans:
  - {name: backbone, members: [r1, r2, r3], addresses: {r2: 172.20.0.1/26}, cost: 5}
"""
    )
    assert t.name == "explicit-1"
    r1 = t.node("r1")
    assert r1.router_id == ip("1.1.1.1") and r1.loopback == IPv4Interface("192.0.2.1/32")
    l1, l2 = t.links
    assert l1.subnet == IPv4Network("10.0.0.0/30")
    assert (l1.a.node, l1.a.address, l1.a.iface, l1.a.cost) == (
        "r2",
        IPv4Interface("10.0.0.2/30"),
        "to-r3",
        10,
    )
    assert (l1.b.node, l1.b.address, l1.b.iface, l1.b.cost) == ("r3", IPv4Interface("10.0.0.1/30"), "r2", 25)
    assert ifaces(t, "r2")["to-r3"].mtu == 9000
    # /31 p2p: the next free /31 that does not overlap 10.0.0.0/30
    assert l2.subnet == IPv4Network("10.0.0.4/31")
    assert (l2.a.address, l2.b.address) == (IPv4Interface("10.0.0.4/31"), IPv4Interface("10.0.0.5/31"))
    (lan,) = t.lans
    assert lan.subnet == IPv4Network("172.20.0.0/26")
    assert [(m.node, str(m.address), m.cost) for m in lan.members] == [
        ("r1", "172.20.0.2/26", 5),
        ("r2", "172.20.0.1/26", 5),
        ("r3", "172.20.0.3/26", 5),
    ]
    assert t.addressing.p2p_prefixlen == 31


def test_auto_subnets_skip_explicit_ones_and_derive_from_prefixed_addresses() -> None:
    t = load_topology_text(
        """
nodes: {a: {}, b: {}, c: {}}
links:
  - [a, b]
  - {endpoints: [b, c], addresses: {b: 10.0.0.1/30, c: 10.0.0.2/30}}
  - [c, a]
"""
    )
    assert [str(lk.subnet) for lk in t.links] == ["10.0.0.4/30", "10.0.0.0/30", "10.0.0.8/30"]


def test_host_on_lan_with_gateway_gets_no_implicit_link() -> None:
    t = load_topology_text(
        """
nodes:
  r1: {}
  r2: {}
  h1: {kind: host, gateway: r2}
  h2: {kind: host, gateway: 172.16.0.1}
lans:
  - {name: office, members: [r1, r2, h1, h2]}
"""
    )
    assert t.links == ()
    assert t.node("h1").gateway == ip("172.16.0.2") and t.node("h1").gateway_node == "r2"
    assert t.node("h2").gateway == ip("172.16.0.1") and t.node("h2").gateway_node == "r1"
    assert [i.name for i in t.node("h1").interfaces] == ["office"]


def test_timers_profiles_and_overrides() -> None:
    def timers(spec: str):
        return load_topology_text(f"timers: {spec}\nnodes: {{r1: {{}}}}").timers

    rfc = timers("rfc")
    assert (rfc.profile, rfc.rip_update, rfc.ospf_hello, rfc.ospf_dead, rfc.bgp_hold) == (
        "rfc",
        30,
        10,
        40,
        180,
    )
    fast = timers("fast")
    assert (fast.profile, fast.rip_update, fast.rip_timeout, fast.ospf_dead, fast.bgp_hold) == (
        "fast",
        5,
        30,
        4,
        3,
    )
    assert fast.ospf_min_ls_interval == 1 and fast.bgp_min_route_advertisement_ebgp == 0
    custom = timers("{profile: fast, ospf_hello: 2s, ospf_dead: 8, rip_triggered_min: 500ms}")
    assert custom.profile == "fast+custom"
    assert (custom.ospf_hello, custom.ospf_dead, custom.rip_triggered_min, custom.bgp_hold) == (2, 8, 0.5, 3)
    assert timers("{bgp_hold: 0}").profile == "rfc+custom"


def test_static_routes_long_and_short_forms() -> None:
    t = load_topology_text(
        """
nodes:
  r1:
    networks: [198.51.100.0/24]
    static:
      - {prefix: 10.9.0.0/16, via: 10.0.0.2}
      - {prefix: 0.0.0.0/0, via: r2, distance: 5}
      - "192.0.2.0/24 via r3"
      - "192.0.2.128/25 via r3 distance 7"
      - {prefix: 198.51.100.0/25, dev: stub0}
      - {prefix: 203.0.113.0/24, blackhole: true, metric: 3}
      - 100.64.0.0/10 blackhole
  r2: {}
  r3: {}
links: [[r1, r2]]
lans: [{name: lan1, members: [r1, r3]}]
"""
    )
    routes = [
        (str(s.prefix), s.next_hop, s.interface, s.distance, s.metric, s.blackhole)
        for s in t.node("r1").static
    ]
    assert routes == [
        ("10.9.0.0/16", ip("10.0.0.2"), "r2", 1, 0, False),
        ("0.0.0.0/0", ip("10.0.0.2"), "r2", 5, 0, False),
        ("192.0.2.0/24", ip("172.16.0.2"), "lan1", 1, 0, False),
        ("192.0.2.128/25", ip("172.16.0.2"), "lan1", 7, 0, False),
        ("198.51.100.0/25", None, "stub0", 1, 0, False),
        ("203.0.113.0/24", None, None, 1, 3, True),
        ("100.64.0.0/10", None, None, 1, 0, True),
    ]
    assert t.node("r1").static[0].pos.line == 6


def test_rip_settings() -> None:
    t = load_topology_text(
        """
nodes:
  r1:
    networks: [203.0.113.0/24]
    rip: true
  r2:
    rip:
      interfaces: {r1: {split_horizon: simple, metric: 3}, lan1: {passive: true}, r3: null}
      split_horizon: off
      redistribute: [connected, static]
      auth: {mode: md5, key: s3cret, key_id: 7}
      neighbors: [10.0.0.1]
  r3: {rip: {interfaces: [r2], passive: [r2]}}
links: [[r1, r2], {endpoints: [r2, r3], cost: 4}]
lans: [{name: lan1, members: [r1, r2]}]
"""
    )
    r1 = t.node("r1").protocol("rip")
    assert r1.interfaces == ("r2", "lan1", "stub0")
    assert r1.passive == frozenset({"stub0"}) and r1.split_horizon == "poisoned"
    assert r1.auth is None and r1.redistribute == ()
    r2 = t.node("r2").protocol("rip")
    assert r2.interfaces == ("r1", "r3", "lan1")
    assert r2.split_horizon == "off" and r2.split_horizon_for("r1") == "simple"
    assert r2.split_horizon_for("lan1") == "off"
    assert r2.passive == frozenset({"lan1"}) and r2.is_passive("lan1") and not r2.is_passive("r1")
    assert (r2.metric_for("r1"), r2.metric_for("r3"), r2.metric_for("lan1")) == (3, 4, 1)
    assert r2.redistribute == ("connected", "static")
    assert (r2.auth.mode, r2.auth.key, r2.auth.key_id) == ("md5", "s3cret", 7)
    assert r2.neighbors == (ip("10.0.0.1"),)
    r3 = t.node("r3").protocol("rip")
    assert r3.interfaces == ("r2",) and r3.passive == frozenset({"r2"})


@pytest.mark.parametrize(
    ("rip", "expected"),
    [
        ("{passive: [lan9]}", "nodes.r1.rip.passive[0]: unknown interface 'lan9'"),
        ("{interfaces: {r2: {metric: 16}}}", "nodes.r1.rip.interfaces.r2.metric: RIP metric must be 1..15"),
        (
            "{auth: {mode: simple, key: abcdefghijklmnopq}}",
            "nodes.r1.rip.auth.key: auth key is longer than 16",
        ),
        ("{auth: {mode: sha1, key: x}}", "nodes.r1.rip.auth.mode: bad auth mode 'sha1'"),
        ("{neighbors: [192.0.2.1]}", "nodes.r1.rip.neighbors[0]: neighbor 192.0.2.1 is not on the subnet"),
        ("{redistribute: [bgp]}", "nodes.r1.rip.redistribute[0]: unknown redistribute source 'bgp'"),
        ("{splithorizon: off}", "nodes.r1.rip.splithorizon: unknown rip key 'splithorizon'"),
        ("42", "nodes.r1.rip: rip must be true or a mapping"),
    ],
)
def test_rip_errors(rip: str, expected: str) -> None:
    with pytest.raises(TopologyError) as info:
        load_topology_text(f"nodes:\n  r1: {{rip: {rip}}}\n  r2: {{}}\nlinks: [[r1, r2]]\n", "rip.yaml")
    assert expected in str(info.value)


def test_rip_cost_above_15_needs_a_metric_override() -> None:
    text = "nodes: {r1: {rip: true}, r2: {}}\nlinks: [{endpoints: [r1, r2], cost: 20}]\n"
    with pytest.raises(TopologyError, match="cost 20, not a RIP metric"):
        load_topology_text(text)


def test_ospf_and_bgp_sections_are_typed() -> None:
    t = load_topology_text(
        """\
nodes:
  r1:
    asn: 64500
    ospf: {area: 0}
    bgp:
      neighbors:
        r2: {relationship: customer}
  r2: {asn: 64501, ospf: , bgp: {neighbors: {r1: {relationship: provider}}}}
links: [[r1, r2]]
""",
        "p.yaml",
    )
    r1 = t.node("r1")
    assert [k for k, _ in r1.protocols] == ["ospf", "bgp"]
    ospf = r1.protocol("ospf")  # typed since the OSPF parser (tests/topology/test_topology_ospf.py)
    assert isinstance(ospf, OspfSettings) and ospf.loopback_area == IPv4Address(0)
    assert isinstance(t.node("r2").protocol("ospf"), OspfSettings)
    (nb,) = r1.protocol("bgp").neighbors
    assert (nb.node, nb.remote_as, nb.ebgp, nb.relationship) == ("r2", 64501, True, "customer")
    assert nb.address == t.node("r2").iface("r1").address.ip  # eBGP over the shared link
    assert r1.protocol("rip") is None


def test_keys_stay_strings_and_duplicates_inside_protocols_are_caught() -> None:
    with pytest.raises(TopologyError) as info:
        load_topology_text("nodes:\n  r1:\n    bgp: {neighbors: {on: {}, on: {}}}\n")
    assert "3:31: nodes.r1.bgp.neighbors.on: duplicate key 'on'" in str(info.value)


def test_expect_and_events() -> None:
    t = load_topology_text(
        """
nodes:
  r1: {networks: [203.0.113.0/24]}
  r2: {}
  h1: {kind: host, gateway: r1}
  h2: {kind: host, gateway: r2}
links: [[r1, r2]]
events:
  - {after: converged, wait: 5s, link_down: [r1, r2]}
  - {wait: 1m, link_up: l1}
  - {link_cost: {link: [r1, r2], cost: {r1: 10}}}
  - {link_impair: {link: l1, delay: 10ms, loss: 2%}}
  - {crash: r2}
  - {restart: [r1, r2]}
  - {announce: {node: r1, prefix: 192.0.2.0/24}}
expect:
  - {reach: {from: h1, to: 203.0.113.10, via: [r1, r2]}}
  - {reach: {from: h1, to: h2}}
  - {reach: {from: h1, to: r2}}
  - {unreachable: {from: h1, to: 10.9.9.9}}
"""
    )
    assert [(e.action, e.after, e.wait) for e in t.events] == [
        ("link_down", "converged", 5.0),
        ("link_up", None, 60.0),
        ("link_cost", None, 0.0),
        ("link_impair", None, 0.0),
        ("crash", None, 0.0),
        ("restart", None, 0.0),
        ("announce", None, 0.0),
    ]
    assert t.events[0].args == ["r1", "r2"] and t.events[2].args == {"link": ["r1", "r2"], "cost": {"r1": 10}}
    e = t.expect
    assert (e[0].kind, e[0].source, e[0].target, e[0].via, e[0].reachable) == (
        "reach",
        "h1",
        ip("203.0.113.10"),
        ("r1", "r2"),
        True,
    )
    assert (e[1].target, e[1].target_node) == (t.node("h2").interfaces[0].address.ip, "h2")
    assert (e[2].target, e[2].target_node) == (ip("10.255.0.2"), "r2")
    assert (e[3].kind, e[3].reachable, e[3].via) == ("unreachable", False, None)


@pytest.mark.parametrize(
    ("stem", "name"),
    [("static_triangle", "static-triangle"), ("My Lab!!", "my-lab"), ("a" * 30, "a" * 16), ("__", "lab")],
)
def test_default_lab_name_from_file_stem(stem: str, name: str) -> None:
    assert load_topology_text("nodes: {r1: {}}", f"/x/{stem}.yaml").name == name


def test_load_from_file_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "lab.yaml"
    p.write_text("nodes: {r1: {}}\n")
    assert load_topology(p).source == str(p)
    with pytest.raises(TopologyError, match="cannot read the file"):
        load_topology(tmp_path / "nope.yaml")


def test_empty_file() -> None:
    with pytest.raises(TopologyError, match="got empty"):
        load_topology_text("# nothing\n")


def test_plan_tables_and_json() -> None:
    from rich.console import Console

    t = load_topology_text(MULTI, "multi.yaml")
    console = Console(width=200, record=True)
    for r in format_plan(t):
        console.print(r)
    out = console.export_text()
    assert "10.0.0.13/30" in out and "delay 40ms, jitter 1ms, loss 1%, rate 10mbit" in out
    d = plan_as_dict(t)
    json.dumps(d)
    r1 = d["nodes"][0]
    assert r1["name"] == "r1" and r1["loopback"] == "10.255.0.2/32" and r1["asn"] == 64500
    assert r1["interfaces"][0] == {
        "name": "r2",
        "kind": "p2p",
        "address": "10.0.0.1/30",
        "peer": "r2",
        "peer_address": "10.0.0.2",
        "link": "l1",
        "cost": 1,
        "mtu": 1500,
        "impairment": {"delay": 0.0, "jitter": 0.0, "loss": 0.0, "rate": None},
    }
    assert d["links"][3] == {"id": "l4", "nodes": ["r1", "h1"], "subnet": "10.0.0.12/30", "implicit": True}


def test_static_triangle_topology() -> None:
    t = load_topology(ROOT / "topologies" / "static_triangle.yaml")
    assert t.timers.profile == "fast" and t.node("b1").kind is NodeKind.BIRD
    hops = {n.name: {str(s.prefix): s.next_hop for s in n.static} for n in t.routers}

    def owner(addr):
        return t.owner_of(addr)[0].name

    # follow the static routes hop by hop: h1 -> h2 goes through r2, not the direct r1-r3 link
    h2_net, h1_net = str(t.node("h2").interfaces[0].network), str(t.node("h1").interfaces[0].network)
    path, at = [], t.node("h1").gateway_node
    while at != "b1":
        path.append(at)
        at = owner(hops[at][h2_net])
    assert [*path, "b1"] == ["r1", "r2", "r3", "b1"] == list(t.expect[0].via)
    path, at = [], t.node("h2").gateway_node
    while at != "r1":
        path.append(at)
        at = owner(hops[at][h1_net])
    assert [*path, "r1"] == ["b1", "r3", "r2", "r1"] == list(t.expect[1].via)


def test_first_example_of_the_docs_resolves_as_documented() -> None:
    doc = (ROOT / "docs" / "topology.md").read_text()
    text = doc.split("## A first example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    t = load_topology_text(text, "triangle.yaml")
    got = {n.name: [(i.name, str(i.address)) for i in n.interfaces] for n in t.nodes}
    assert got == {
        "r1": [
            ("r2", "10.0.0.1/30"),
            ("r3", "10.0.0.9/30"),
            ("h1", "10.0.0.13/30"),
            ("stub0", "203.0.113.1/24"),
        ],
        "r2": [("r1", "10.0.0.2/30"), ("r3", "10.0.0.5/30")],
        "r3": [("r2", "10.0.0.6/30"), ("r1", "10.0.0.10/30")],
        "h1": [("r1", "10.0.0.14/30")],
    }
    assert [str(n.router_id) for n in t.routers] == ["10.255.0.1", "10.255.0.2", "10.255.0.3"]
    assert t.node("h1").gateway == ip("10.0.0.13") and t.links[-1].implicit
