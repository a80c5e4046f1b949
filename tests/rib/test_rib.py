from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from routesim.proto.base import NextHop, Route, RouteProtocol
from routesim.rib import Rib, StaticSpec, connected_routes, static_routes

N = IPv4Network


def r(prefix, proto, metric=1, gw="10.0.0.2", iface="e0", distance=None):
    return Route(N(prefix), proto, metric, frozenset({NextHop(IPv4Address(gw), iface)}), distance)


def test_lower_admin_distance_wins_over_lower_metric():
    rib = Rib()
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP, metric=1)])
    rib.update("ospf", 1.0, [r("10.9.0.0/16", RouteProtocol.OSPF, metric=500)])
    assert rib.lookup(N("10.9.0.0/16")).protocol is RouteProtocol.OSPF


def test_explicit_distance_overrides_default():
    rib = Rib()
    rib.update("static", 0.0, [r("10.9.0.0/16", RouteProtocol.STATIC, distance=250)])
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP)])
    assert rib.lookup(N("10.9.0.0/16")).protocol is RouteProtocol.RIP


def test_withdraw_falls_back_to_next_candidate_and_reports_change():
    rib = Rib()
    rib.update("static", 0.0, [r("10.9.0.0/16", RouteProtocol.STATIC)])
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP, gw="10.0.0.6")])
    changes = rib.update("static", 2.0, withdrawals=[N("10.9.0.0/16")])
    assert len(changes) == 1
    _prefix, old, new = changes[0]
    assert old.protocol is RouteProtocol.STATIC and new.protocol is RouteProtocol.RIP
    rib.update("rip", 3.0, withdrawals=[N("10.9.0.0/16")])
    assert rib.lookup(N("10.9.0.0/16")) is None
    assert rib.selected() == []


def test_same_route_again_is_not_a_change():
    rib = Rib()
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP)])
    assert rib.update("rip", 5.0, [r("10.9.0.0/16", RouteProtocol.RIP)]) == []


def test_fib_diff_installs_replaces_and_removes_but_never_connected():
    rib = Rib()
    rib.update("connected", 0.0, connected_routes([("e0", IPv4Interface("10.0.0.1/30"), True)]))
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP)])
    diff = rib.fib_diff()
    assert [(c.prefix, c.route.protocol) for c in diff] == [(N("10.9.0.0/16"), RouteProtocol.RIP)]
    for c in diff:
        rib.mark_installed(c)
    assert rib.fib_diff() == []
    rib.update("rip", 1.0, [r("10.9.0.0/16", RouteProtocol.RIP, metric=3, gw="10.0.0.1")])
    (c,) = rib.fib_diff()
    assert c.route.metric == 3
    rib.mark_installed(c)
    rib.update("rip", 2.0, withdrawals=[N("10.9.0.0/16")])
    (c,) = rib.fib_diff()
    assert c.route is None


def test_ecmp_next_hops_are_kept_and_serialised_sorted():
    rib = Rib()
    hops = frozenset({NextHop(IPv4Address("10.0.0.6"), "b"), NextHop(IPv4Address("10.0.0.2"), "a")})
    rib.update("ospf", 0.0, [Route(N("10.9.0.0/16"), RouteProtocol.OSPF, 20, hops)])
    (row,) = rib.to_json(4.0)
    assert [h["gateway"] for h in row["next_hops"]] == ["10.0.0.2", "10.0.0.6"]
    assert row["selected"] and row["age"] == 4.0


def test_longest_match():
    rib = Rib()
    rib.update("static", 0.0, [r("10.0.0.0/8", RouteProtocol.STATIC), r("10.9.0.0/16", RouteProtocol.RIP)])
    assert rib.longest_match(IPv4Address("10.9.1.1")).prefix == N("10.9.0.0/16")
    assert rib.longest_match(IPv4Address("10.1.1.1")).prefix == N("10.0.0.0/8")
    assert rib.longest_match(IPv4Address("192.0.2.1")) is None


def test_connected_skips_down_interfaces():
    routes = connected_routes(
        [("e0", IPv4Interface("10.0.0.1/30"), True), ("e1", IPv4Interface("10.0.0.5/30"), False)]
    )
    assert [x.prefix for x in routes] == [N("10.0.0.0/30")]


def test_static_resolves_over_connected_only():
    conn = connected_routes([("e0", IPv4Interface("10.0.0.1/30"), True)])
    specs = [
        StaticSpec(N("10.9.0.0/16"), IPv4Address("10.0.0.2")),
        StaticSpec(N("10.8.0.0/16"), IPv4Address("192.0.2.1")),  # not on a connected subnet
        StaticSpec(N("10.7.0.0/16"), interface="e0"),
        StaticSpec(N("10.6.0.0/16"), interface="e9"),  # interface absent/down
        StaticSpec(N("10.5.0.0/16"), blackhole=True),
    ]
    got = {x.prefix: x for x in static_routes(specs, conn)}
    assert set(got) == {N("10.9.0.0/16"), N("10.7.0.0/16"), N("10.5.0.0/16")}
    assert got[N("10.9.0.0/16")].next_hops == frozenset({NextHop(IPv4Address("10.0.0.2"), "e0")})


def test_static_ecmp_and_preference():
    conn = connected_routes(
        [("e0", IPv4Interface("10.0.0.1/30"), True), ("e1", IPv4Interface("10.0.0.5/30"), True)]
    )
    specs = [
        StaticSpec(N("10.9.0.0/16"), IPv4Address("10.0.0.2")),
        StaticSpec(N("10.9.0.0/16"), IPv4Address("10.0.0.6")),
        StaticSpec(N("10.9.0.0/16"), IPv4Address("10.0.0.6"), distance=5),
    ]
    (route,) = static_routes(specs, conn)
    assert {nh.interface for nh in route.next_hops} == {"e0", "e1"}


def test_fib_diff_offers_a_failed_install_again_and_only_what_changed():
    rib = Rib()
    rib.update("rip", 0.0, [r(f"10.{i}.0.0/16", RouteProtocol.RIP) for i in range(5)])
    diff = rib.fib_diff()
    assert [str(c.prefix) for c in diff] == [f"10.{i}.0.0/16" for i in range(5)]
    for c in diff[1:]:  # the kernel refused the first one: not marked installed
        rib.mark_installed(c)
    (again,) = rib.fib_diff()
    assert again.prefix == N("10.0.0.0/16")
    rib.mark_installed(again)
    rib.update("rip", 1.0, [r("10.3.0.0/16", RouteProtocol.RIP, metric=4)])
    rib.update("rip", 1.0, withdrawals=[N("10.1.0.0/16")])
    diff = rib.fib_diff()
    assert [(str(c.prefix), c.route is None) for c in diff] == [("10.3.0.0/16", False), ("10.1.0.0/16", True)]


def test_fib_diff_of_a_change_and_its_undo_before_the_write_is_empty():
    rib = Rib()
    rib.update("rip", 0.0, [r("10.9.0.0/16", RouteProtocol.RIP)])
    for c in rib.fib_diff():
        rib.mark_installed(c)
    rib.update("static", 1.0, [r("10.9.0.0/16", RouteProtocol.STATIC)])
    rib.update("static", 1.0, withdrawals=[N("10.9.0.0/16")])
    assert rib.fib_diff() == []
    # a route whose winner becomes connected is removed from the kernel
    rib.update("connected", 2.0, [Route(N("10.9.0.0/16"), RouteProtocol.CONNECTED, 0, frozenset())])
    (c,) = rib.fib_diff()
    assert c.route is None
