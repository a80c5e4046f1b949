"""The oracle for connected and static routes, on topologies built by the loader."""

from ipaddress import IPv4Address, IPv4Network

from routesim.oracle import compare_tables, expected_tables
from routesim.oracle.compare import Status
from routesim.oracle.graph import build_graph
from routesim.topology import load_topology_text

N = IPv4Network

LINE = """
name: line
nodes:
  r1:
    static: ["10.0.0.4/30 via r2"]
  r2:
    networks: [198.51.100.0/24]
  r3:
    static: [{prefix: 10.0.0.0/30, via: r2}, {prefix: 10.0.0.0/30, via: r2, distance: 9}]
links:
  - [r1, r2]
  - [r2, r3]
"""


def test_every_router_gets_its_connected_subnets_and_loopback():
    topo = load_topology_text(LINE)
    t = expected_tables(topo)
    r2 = t.for_router("r2")
    assert {p for p, r in r2.items() if r.protocol == "connected"} == {
        N("10.0.0.0/30"),
        N("10.0.0.4/30"),
        N("198.51.100.0/24"),
        topo.node("r2").loopback.network,
    }


def test_static_routes_resolve_to_the_neighbours_address():
    t = expected_tables(load_topology_text(LINE))
    r1 = t.for_router("r1")
    assert r1[N("10.0.0.4/30")].protocol == "static"
    assert r1[N("10.0.0.4/30")].gateways == frozenset({IPv4Address("10.0.0.2")})


def test_failed_link_removes_connected_and_dependent_static():
    topo = load_topology_text(LINE)
    link = next(lk for lk in topo.links if set(lk.nodes) == {"r1", "r2"})
    t = expected_tables(topo, down_links=[link.id])
    r1 = t.for_router("r1")
    assert N("10.0.0.0/30") not in r1 and N("10.0.0.4/30") not in r1


def test_graph_has_lan_pseudo_nodes_with_zero_cost_exits():
    topo = load_topology_text(
        """
name: lan
nodes: {a: {}, b: {}, c: {}}
lans: [{name: lan1, members: [a, b, c], cost: 7}]
"""
    )
    g = build_graph(topo)
    assert g["a"]["lan:lan1"]["cost"] == 7
    assert g["lan:lan1"]["b"]["cost"] == 0


def _row(prefix, proto, gws, metric=0, selected=True):
    return {
        "prefix": prefix,
        "protocol": proto,
        "metric": metric,
        "selected": selected,
        "next_hops": [{"gateway": g, "interface": "x"} for g in gws],
    }


def test_compare_reports_missing_unexpected_and_wrong_next_hop():
    topo = load_topology_text(LINE)
    exp = expected_tables(topo).for_router("r1")
    lo = str(topo.node("r1").loopback.network)
    actual = [
        _row("10.0.0.0/30", "connected", [None]),
        _row(lo, "connected", [None]),
        _row("10.0.0.4/30", "static", ["10.0.0.1"]),  # wrong gateway
        _row("203.0.113.0/24", "static", ["10.0.0.2"]),  # not expected
        _row("10.0.0.8/30", "static", ["10.0.0.2"], selected=False),  # not selected: ignored
    ]
    v = compare_tables("r1", exp, actual)
    by = {str(r.prefix): r.status for r in v.routes}
    assert by["10.0.0.4/30"] is Status.WRONG_NEXT_HOP
    assert by["203.0.113.0/24"] is Status.UNEXPECTED
    assert "10.0.0.8/30" not in by
    assert not v.ok
    # and a missing route is named with its expected next hop
    v2 = compare_tables("r1", exp, [_row("10.0.0.0/30", "connected", [None])])
    assert any(r.status is Status.MISSING and "10.0.0.2" in r.message for r in v2.routes)


def test_bird_direct_protocol_counts_as_connected_and_unmodeled_protocols_are_not_failures():
    topo = load_topology_text(LINE)
    exp = expected_tables(topo).for_router("r2")
    rows = [_row(str(p), "direct", [None]) for p in exp] + [_row("10.77.0.0/16", "ospf", ["10.0.0.1"], 20)]
    v = compare_tables("r2", exp, rows, unmodeled={"ospf"})
    assert v.ok
    assert any(r.status is Status.NOT_MODELED for r in v.routes)
    assert not compare_tables("r2", exp, rows).ok


def test_parallel_links_each_keep_their_connected_subnet():
    topo = load_topology_text("name: par\nnodes: {a: {}, b: {}}\nlinks: [[a, b], [a, b]]\n")
    a = expected_tables(topo).for_router("a")
    subnets = {lk.subnet for lk in topo.links}
    assert len(subnets) == 2 and subnets <= {p for p, r in a.items() if r.protocol == "connected"}
    a_down = expected_tables(topo, down_links=[topo.links[1].id]).for_router("a")
    assert topo.links[0].subnet in a_down and topo.links[1].subnet not in a_down
