"""Whole topologies of engines: ECMP in a square, inter-area routes via an ABR, AS-external routes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ospf_harness import Net, attr, engine, hops, iface

from routesim.proto.base import NextHop, RibChanged, Route, RouteProtocol

P2P = {"network_type": "point-to-point"}
A1 = IPv4Address("0.0.0.1")


def square(cost_ab: int = 10) -> Net:
    """r1 - r2 - r4 and r1 - r3 - r4, every link cost 10 (r1-r2 ``cost_ab`` on r1's side)."""
    net = Net()
    net.add(
        "r1",
        engine("1.1.1.1", iface("a", "10.0.12.1/30", cost=cost_ab, **P2P), iface("b", "10.0.13.1/30", **P2P)),
    )
    net.add("r2", engine("2.2.2.2", iface("a", "10.0.12.2/30", **P2P), iface("b", "10.0.24.1/30", **P2P)))
    net.add("r3", engine("3.3.3.3", iface("a", "10.0.13.2/30", **P2P), iface("b", "10.0.34.1/30", **P2P)))
    net.add(
        "r4",
        engine(
            "4.4.4.4",
            iface("a", "10.0.24.2/30", **P2P),
            iface("b", "10.0.34.2/30", **P2P),
            iface("lo", "10.4.0.1/24", passive=True),
        ),
    )
    net.link(("r1", "a"), ("r2", "a"))
    net.link(("r1", "b"), ("r3", "a"))
    net.link(("r2", "b"), ("r4", "a"))
    net.link(("r3", "b"), ("r4", "b"))
    net.start()
    return net


def test_square_ecmp() -> None:
    net = square()
    net.run(30)
    r = net.routes("r1")["10.4.0.0/24"]
    assert r.metric == 30
    assert hops(r) == {("10.0.12.2", "a"), ("10.0.13.2", "b")}
    # the far link subnets: one path each
    assert hops(net.routes("r1")["10.0.24.0/30"]) == {("10.0.12.2", "a")}
    assert net.routes("r1")["10.0.24.0/30"].metric == 20


def test_square_unequal_cost_and_failover() -> None:
    net = square(cost_ab=5)
    net.run(30)
    assert hops(net.routes("r1")["10.4.0.0/24"]) == {("10.0.12.2", "a")}
    assert net.routes("r1")["10.4.0.0/24"].metric == 25
    net.segments[2].up = False  # r2 - r4 fails
    net.run_for(20)
    r = net.routes("r1")["10.4.0.0/24"]
    assert hops(r) == {("10.0.13.2", "b")} and r.metric == 30
    assert "10.0.24.0/30" in net.routes("r1")  # r2 still announces its stub... until it goes down
    spf_runs = net.engines["r1"].counters["spf_runs"]
    assert spf_runs < 15  # throttled: several LSAs per change, far fewer runs


def test_transit_lan_next_hops() -> None:
    """r1 and r2 on a LAN, r2 - r3 over p2p: r1's route to r3's stub goes via r2's LAN address."""
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("lan", "10.0.0.1/24")))
    net.add("r2", engine("2.2.2.2", iface("lan", "10.0.0.2/24"), iface("p", "10.0.23.1/30", **P2P)))
    net.add(
        "r3", engine("3.3.3.3", iface("p", "10.0.23.2/30", **P2P), iface("lo", "10.3.0.1/24", passive=True))
    )
    net.link(("r1", "lan"), ("r2", "lan"))
    net.link(("r2", "p"), ("r3", "p"))
    net.start()
    net.run(30)
    assert hops(net.routes("r1")["10.3.0.0/24"]) == {("10.0.0.2", "lan")}
    assert net.routes("r1")["10.3.0.0/24"].metric == 30
    assert hops(net.routes("r3")["10.0.0.0/24"]) == {("10.0.23.1", "p")}


def abr_net() -> Net:
    """r1 (area 0) - r2 ABR (area 0 | area 1) - r3 (area 1)."""
    net = Net()
    net.add(
        "r1", engine("1.1.1.1", iface("a", "10.0.12.1/30", **P2P), iface("lo", "10.1.0.1/24", passive=True))
    )
    net.add(
        "r2", engine("2.2.2.2", iface("a", "10.0.12.2/30", **P2P), iface("b", "10.0.23.1/30", area=A1, **P2P))
    )
    net.add(
        "r3",
        engine(
            "3.3.3.3",
            iface("b", "10.0.23.2/30", area=A1, **P2P),
            iface("lo", "10.3.0.1/24", area=A1, passive=True),
        ),
    )
    net.link(("r1", "a"), ("r2", "a"))
    net.link(("r2", "b"), ("r3", "b"))
    net.start()
    return net


def test_inter_area_via_abr() -> None:
    net = abr_net()
    net.run(40)
    r = net.routes("r1")["10.3.0.0/24"]
    assert attr(r, "path_type") == "inter" and attr(r, "area") == "0.0.0.0"
    assert r.metric == 30 and hops(r) == {("10.0.12.2", "a")}
    r = net.routes("r3")["10.1.0.0/24"]
    assert attr(r, "path_type") == "inter" and r.metric == 30
    assert attr(net.routes("r3")["10.0.12.0/30"], "path_type") == "inter"
    # the ABR has both areas' routes as intra-area, sets B, and r1's LSDB has no area-1 router-LSA
    assert attr(net.routes("r2")["10.3.0.0/24"], "path_type") == "intra"
    r1_db = net.engines["r1"].inspect(net.now)["database"]
    assert {d["adv_router"] for d in r1_db if d["type"] == 1} == {"1.1.1.1", "2.2.2.2"}
    assert {d["lsid"] for d in r1_db if d["type"] == 3} == {"10.0.23.0", "10.3.0.0"}
    assert all(d["area"] == "0.0.0.0" for d in r1_db)
    r2_lsa = net.engines["r1"].lsdb.get(IPv4Address(0), (1, IPv4Address("2.2.2.2"), IPv4Address("2.2.2.2")))
    assert r2_lsa is not None and r2_lsa.lsa.flags & 0x01  # B bit


def test_inter_area_withdrawal() -> None:
    net = abr_net()
    net.run(40)
    net.segments[1].up = False  # area 1 cut off
    net.run_for(30)
    assert "10.3.0.0/24" not in net.routes("r1")
    # the summary-LSA was flushed and then removed from r1's database
    assert not [d for d in net.engines["r1"].inspect(net.now)["database"] if d["lsid"] == "10.3.0.0"]


def _static(prefix: str) -> RibChanged:
    return RibChanged((Route(IPv4Network(prefix), RouteProtocol.STATIC, 0, frozenset({NextHop(None, "x")})),))


def test_external_type2_and_type1() -> None:
    """Two ASBRs announce 192.0.2.0/24; r1 sits 1 hop from r2 and 2 hops from r3.

    Type 2 (same metric 20): the nearer ASBR wins the tie on forward cost. Type 1: total cost wins.
    A type-1 route beats a type-2 one whatever the metrics (§16.4 (6)).
    """

    def build(t2: int, t3: int, m2: int = 20, m3: int = 20) -> Net:
        net = Net()
        net.add("r1", engine("1.1.1.1", iface("a", "10.0.12.1/30", **P2P)))
        net.add(
            "r2",
            engine(
                "2.2.2.2",
                iface("a", "10.0.12.2/30", **P2P),
                iface("b", "10.0.23.1/30", **P2P),
                redistribute=frozenset({RouteProtocol.STATIC}),
                external_metric_type=t2,
                external_metric=m2,
            ),
        )
        net.add(
            "r3",
            engine(
                "3.3.3.3",
                iface("b", "10.0.23.2/30", **P2P),
                redistribute=frozenset({RouteProtocol.STATIC}),
                external_metric_type=t3,
                external_metric=m3,
            ),
        )
        net.link(("r1", "a"), ("r2", "a"))
        net.link(("r2", "b"), ("r3", "b"))
        net.start()
        net.run(5)
        net.feed("r2", _static("192.0.2.0/24"))
        net.feed("r3", _static("192.0.2.0/24"))
        net.run(40)
        return net

    net = build(2, 2)
    r = net.routes("r1")["192.0.2.0/24"]
    assert attr(r, "path_type") == "ext2" and r.metric == 20 and attr(r, "forward_cost") == 10
    assert hops(r) == {("10.0.12.2", "a")}
    # r2's own external is not a route for r2 (§16.4 (2)), r3's type-2 is
    assert attr(net.routes("r2")["192.0.2.0/24"], "forward_cost") == 10
    # type 1: cost = distance to ASBR + external metric; the nearer ASBR wins on total cost
    net = build(1, 1, m2=50, m3=5)
    r = net.routes("r1")["192.0.2.0/24"]
    assert attr(r, "path_type") == "ext1" and r.metric == 25  # via r3: 20 + 5 < 10 + 50
    # type 1 beats type 2 even with a worse metric
    net = build(2, 1, m2=1, m3=100)
    r = net.routes("r1")["192.0.2.0/24"]
    assert attr(r, "path_type") == "ext1" and r.metric == 120
    # the ASBR sets E in its router-LSA
    lsa = net.engines["r1"].lsdb.get(IPv4Address(0), (1, IPv4Address("3.3.3.3"), IPv4Address("3.3.3.3")))
    assert lsa is not None and lsa.lsa.flags & 0x02


def test_external_across_areas_uses_asbr_summary() -> None:
    """An ASBR in area 1 is reached from area 0 through the ABR's ASBR-summary-LSA (type 4)."""
    net = abr_net()
    net.run(30)
    net.engines["r3"].config.__class__  # noqa: B018 - config is frozen; build a new ASBR r3 instead
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("a", "10.0.12.1/30", **P2P)))
    net.add(
        "r2", engine("2.2.2.2", iface("a", "10.0.12.2/30", **P2P), iface("b", "10.0.23.1/30", area=A1, **P2P))
    )
    net.add(
        "r3",
        engine(
            "3.3.3.3",
            iface("b", "10.0.23.2/30", area=A1, **P2P),
            redistribute=frozenset({RouteProtocol.STATIC}),
        ),
    )
    net.link(("r1", "a"), ("r2", "a"))
    net.link(("r2", "b"), ("r3", "b"))
    net.start()
    net.feed("r3", _static("198.51.100.0/24"))
    net.run(40)
    r = net.routes("r1")["198.51.100.0/24"]
    assert attr(r, "path_type") == "ext2" and attr(r, "forward_cost") == 20
    db = net.engines["r1"].inspect(net.now)["database"]
    assert any(d["type"] == 4 and d["lsid"] == "3.3.3.3" for d in db)
    assert any(d["type"] == 5 and d["area"] is None for d in db)
    # withdrawal of the redistributed route flushes the AS-external-LSA everywhere
    net.feed("r3", RibChanged(()))
    net.run_for(20)
    assert "198.51.100.0/24" not in net.routes("r1")
    assert not any(d["type"] == 5 for d in net.engines["r1"].inspect(net.now)["database"])


def test_random_meshes_match_networkx_shortest_paths() -> None:
    """Random connected p2p meshes with random per-direction costs: every router's route to every
    loopback has the networkx shortest-path cost and exactly the first hops of all shortest paths."""
    import random

    import networkx as nx

    for seed in range(6):
        rng = random.Random(seed)
        n = rng.randint(4, 7)
        g = nx.connected_watts_strogatz_graph(n, 3, 0.5, seed=seed) if n > 3 else nx.path_graph(n)
        net = Net()
        ifaces: dict[int, list] = {i: [iface("lo", f"10.{100 + i}.0.1/24", passive=True, cost=1)] for i in g}
        addr: dict[tuple[int, int], str] = {}
        dg = nx.DiGraph()
        for k, (u, v) in enumerate(sorted(g.edges)):
            for me, other, host in ((u, v, 1), (v, u, 2)):
                cost = rng.randint(1, 4) * 5
                ifaces[me].append(iface(f"p{other}", f"10.0.{k}.{host}/30", cost=cost, **P2P))
                addr[(me, other)] = f"10.0.{k}.{host}"
                dg.add_edge(me, other, weight=cost)
        for i in g:
            net.add(f"r{i}", engine(f"1.1.1.{i + 1}", *ifaces[i], seed=seed * 10 + i))
        for u, v in g.edges:
            net.link((f"r{u}", f"p{v}"), (f"r{v}", f"p{u}"))
        segs = {tuple(sorted((u, v))): seg for (u, v), seg in zip(g.edges, net.segments, strict=True)}
        net.start()
        net.run(60)
        _check_against(net, g, dg, addr, seed)
        # cut a link whose loss keeps the mesh connected: after RouterDeadInterval, the same check
        cut = next(e for e in sorted(g.edges) if nx.is_connected(nx.restricted_view(g, [], [e])))
        segs[tuple(sorted(cut))].up = False
        dg.remove_edge(*cut)
        dg.remove_edge(cut[1], cut[0])
        net.run_for(30)
        _check_against(net, g, dg, addr, seed)


def _check_against(net: Net, g, dg, addr, seed: int) -> None:
    import networkx as nx

    for src in g:
        for dst in g:
            if src == dst:
                continue
            route = net.routes(f"r{src}")[f"10.{100 + dst}.0.0/24"]
            dist = nx.shortest_path_length(dg, src, dst, weight="weight")
            first = {p[1] for p in nx.all_shortest_paths(dg, src, dst, weight="weight")}
            assert route.metric == dist + 1, (seed, src, dst)
            assert hops(route) == {(addr[(f, src)], f"p{f}") for f in first}, (seed, src, dst)
