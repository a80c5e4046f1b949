"""Route exchange and the RFC 4271 §9 propagation rules (eBGP/iBGP), next-hop resolution, origination."""

from __future__ import annotations

from bgp_harness import Net, Raw, attrs, connected, igp, ip, make, nbr, net, pfx

from routesim.proto.base import NextHop, RouteProtocol
from routesim.wire.bgp import (
    NO_ADVERTISE,
    NO_EXPORT,
    Communities,
    LocalPref,
    MultiExitDisc,
    RouteRefresh,
    Update,
)

E1, E2, I1, I2 = "10.0.1.2", "10.0.2.2", "10.0.3.2", "10.0.4.2"
P = "192.0.2.0/24"


def hub(**kw) -> Raw:
    """AS 65001 with eBGP peers E1 (65002), E2 (65003) and iBGP peers I1, I2."""
    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [
                nbr(E1, 65002, passive=True),
                nbr(E2, 65003, passive=True),
                nbr(I1, 65001, passive=True),
                nbr(I2, 65001, passive=True, **kw),
            ],
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    r.establish(E2, 65003, "3.3.3.3")
    r.establish(I1, 65001, "4.4.4.4")
    r.establish(I2, 65001, "5.5.5.5")
    return r


def test_ebgp_routes_flow_both_ways_with_prepend_and_next_hop_rewrite():
    n = Net()
    n.add(
        "r1",
        make(
            65001,
            "1.1.1.1",
            [nbr("10.0.0.2", 65002)],
            announce=(net("198.51.100.0/24"),),
            announce_always=True,
        ),
        ["10.0.0.1"],
        igp_routes=[connected("10.0.0.0/30")],
    )
    n.add(
        "r2",
        make(
            65002,
            "2.2.2.2",
            [nbr("10.0.0.1", 65001)],
            announce=(net("203.0.113.0/24"),),
            announce_always=True,
        ),
        ["10.0.0.2"],
        igp_routes=[connected("10.0.0.0/30")],
    )
    n.start()
    n.run(1.0)
    r1_route = n.nodes["r1"].rib[net("203.0.113.0/24")]
    r2_route = n.nodes["r2"].rib[net("198.51.100.0/24")]
    assert r1_route.protocol is RouteProtocol.EBGP and dict(r1_route.attrs)["as_path"] == "65002"
    assert r1_route.next_hops == frozenset({NextHop(ip("10.0.0.2"), "eth0")})
    assert dict(r2_route.attrs)["as_path"] == "65001" and dict(r2_route.attrs)["next_hop"] == "10.0.0.1"
    assert net("198.51.100.0/24") not in n.nodes["r1"].rib  # our own route is not handed to the RIB


def test_ebgp_export_prepends_sets_next_hop_and_strips_med_and_local_pref():
    r = hub()
    r.update(E1, [P], attrs(65002, 64999, next_hop=E1, med=50, lp=300))
    (upd,) = r.advertised(E2).values()
    assert upd.as_path.asns == (65001, 65002, 64999)
    assert upd.next_hop.address == ip("10.0.2.1")  # our address on that session
    assert upd.med is None and upd.local_pref is None
    # LOCAL_PREF from an external peer is ignored (RFC 4271 §5.1.5): default 100 toward iBGP.
    (ibgp,) = r.advertised(I1).values()
    assert ibgp.local_pref.value == 100 and ibgp.med.value == 50
    assert ibgp.next_hop.address == ip(E1) and ibgp.as_path.asns == (65002, 64999)  # unchanged


def test_ibgp_learned_routes_are_not_sent_to_other_ibgp_peers():
    r = hub()
    r.update(I1, [P], attrs(65009, next_hop=E1, lp=100))
    assert P in r.advertised(E1) and P in r.advertised(E2)
    assert r.advertised(I2) == {} and r.advertised(I1) == {}


def test_next_hop_self_toward_ibgp():
    r = hub(next_hop_self=True)
    r.update(E1, [P], attrs(65002, next_hop=E1))
    assert r.advertised(I2)[P].next_hop.address == ip("10.0.4.1")
    assert r.advertised(I1)[P].next_hop.address == ip(E1)


def test_route_is_not_sent_back_to_its_sender():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    assert r.advertised(E1) == {}


def test_loop_detection_drops_routes_with_our_as():
    r = hub()
    r.update(E1, [P], attrs(65002, 65001, 64999, next_hop=E1))
    assert r.best(P) is None and net(P) not in r.rib
    assert r.engine.counters["rejected_loop"] == 1
    info = r.engine.inspect(1.0)["neighbors"][0]
    assert info["prefixes_received"] == 1 and info["prefixes_accepted"] == 0


def test_withdraw_when_the_best_route_goes_away():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    assert P in r.advertised(E2) and net(P) in r.rib
    r.update(E1, withdrawn=[P])
    assert P not in r.advertised(E2) and net(P) not in r.rib
    withdrawals = [m for m in r.sent(E2) if isinstance(m, Update) and m.withdrawn]
    assert withdrawals[-1].withdrawn == (pfx(P),)


def test_session_loss_withdraws_its_routes_downstream():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    from routesim.proto.base import TcpDown

    r.handle(TcpDown(ip(E1), r.conn[ip(E1)]))
    assert P not in r.advertised(E2) and net(P) not in r.rib


def test_best_path_change_is_re_advertised():
    r = hub()
    r.update(E1, [P], attrs(65002, 65010, next_hop=E1))
    r.update(E2, [P], attrs(65003, next_hop=E2))  # shorter: becomes best
    assert dict(r.rib[net(P)].attrs)["peer"] == E2
    assert r.advertised(E1)[P].as_path.asns == (65001, 65003)
    assert P not in r.advertised(E2)  # withdrawn from the new best's sender
    assert r.advertised(I1)[P].next_hop.address == ip(E2)


def test_no_export_and_no_advertise_communities():
    r = hub()
    r.update(E1, ["192.0.2.0/24"], attrs(65002, next_hop=E1, extra=(Communities((NO_EXPORT,)),)))
    r.update(E1, ["198.51.100.0/24"], attrs(65002, next_hop=E1, extra=(Communities((NO_ADVERTISE,)),)))
    assert set(r.advertised(E2)) == set()
    assert set(r.advertised(I1)) == {"192.0.2.0/24"}  # NO_EXPORT still goes to iBGP
    assert net("198.51.100.0/24") in r.rib  # NO_ADVERTISE is still used locally


def test_unresolvable_next_hop_is_not_used_until_the_igp_covers_it():
    r = hub()
    r.update(I1, [P], attrs(65009, next_hop="10.255.0.9", lp=100))  # a loopback, not covered yet
    assert net(P) not in r.rib and P not in r.advertised(E1)
    rows = r.engine.inspect_table("routes")
    assert rows[0]["unusable"] == "next hop unresolved" and rows[0]["best"] is False
    from routesim.proto.base import RibChanged

    r.handle(RibChanged((*r.igp, igp("10.255.0.9/32", gateway="10.0.3.2", metric=20, iface="eth3"))))
    route = r.rib[net(P)]
    assert route.protocol is RouteProtocol.IBGP
    assert route.next_hops == frozenset({NextHop(ip("10.0.3.2"), "eth3")})  # recursive: the IGP gateway
    assert P in r.advertised(E1)
    r.handle(RibChanged(tuple(r.igp)))  # the IGP route goes away
    assert net(P) not in r.rib and P not in r.advertised(E1)


def test_announce_only_while_a_covering_route_exists():
    r = Raw(make(65001, "1.1.1.1", [nbr(E1, 65002, passive=True)], announce=(net("203.0.113.0/24"),)))
    r.establish(E1, 65002, "2.2.2.2")
    assert r.advertised(E1) == {}
    from routesim.proto.base import RibChanged, Route

    static = Route(net("203.0.113.0/24"), RouteProtocol.STATIC, 0, frozenset({NextHop(None, "lo")}))
    r.handle(RibChanged((*r.igp, static)))
    (upd,) = r.advertised(E1).values()
    assert upd.as_path.asns == (65001,) and upd.origin.value == 0 and upd.next_hop.address == ip("10.0.1.1")
    r.handle(RibChanged(tuple(r.igp)))
    assert r.advertised(E1) == {}


def test_redistribute_connected_with_origin_incomplete():
    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [nbr(E1, 65002, passive=True)],
            redistribute=frozenset({RouteProtocol.CONNECTED}),
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    assert set(r.advertised(E1)) == {"10.0.1.0/24"}
    assert r.advertised(E1)["10.0.1.0/24"].origin.value == 2


def test_med_to_ebgp_only_when_set_by_policy():
    from routesim.proto.bgp import Policy, PolicyRule

    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [
                nbr(E1, 65002, passive=True),
                nbr(E2, 65003, passive=True, export_policy=Policy((PolicyRule(set_med=77),))),
            ],
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    r.establish(E2, 65003, "3.3.3.3")
    r.update(E1, [P], attrs(65002, next_hop=E1, med=5))
    assert r.advertised(E2)[P].med == MultiExitDisc(77)


def test_route_refresh_resends_adj_rib_out_and_can_be_requested():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    before = len(r.actions)
    r.send(E2, RouteRefresh().encode())
    assert P in r.advertised(E2, since=before)
    before = len(r.actions)
    r._apply(r.engine.request_route_refresh(ip(E1), 1.0))
    assert [m for m in r.sent(E1, since=before) if isinstance(m, RouteRefresh)] == [RouteRefresh()]


def test_ibgp_local_pref_is_sent_and_used():
    r = hub()
    r.update(I1, [P], attrs(65009, next_hop=E1, lp=250))
    r.update(E2, [P], attrs(65003, next_hop=E2))
    assert dict(r.rib[net(P)].attrs)["peer"] == I1  # 250 beats the default 100
    assert r.advertised(E2)[P].local_pref is None
    assert LocalPref(250) not in r.advertised(E1)[P].attributes  # stripped toward eBGP


def test_ibgp_over_loopbacks_resolves_recursively_through_the_igp():
    """idc (AS 64500) -- t1 ==iBGP via loopbacks== t2 (AS 4134); t2 reaches idc's prefix via the IGP
    gateway toward t1's loopback, and t1's eBGP next hop (the idc link) is carried unchanged."""
    n = Net()
    n.add(
        "idc",
        make(
            64500,
            "10.255.0.9",
            [nbr("10.1.0.1", 4134)],
            announce=(net("203.0.113.0/24"),),
            announce_always=True,
        ),
        ["10.1.0.2"],
        igp_routes=[connected("10.1.0.0/30")],
    )
    t1_igp = [
        connected("10.1.0.0/30"),
        connected("10.2.0.0/30", "eth1"),
        connected("10.255.0.1/32", "lo"),
        igp("10.255.0.2/32", "10.2.0.2", metric=10, iface="eth1"),
    ]
    n.add(
        "t1",
        make(
            4134,
            "10.255.0.1",
            [nbr("10.1.0.2", 64500), nbr("10.255.0.2", 4134, local_address=ip("10.255.0.1"))],
        ),
        ["10.1.0.1", "10.2.0.1", "10.255.0.1"],
        igp_routes=t1_igp,
    )
    t2_igp = [
        connected("10.2.0.0/30", "eth1"),
        connected("10.255.0.2/32", "lo"),
        igp("10.255.0.1/32", "10.2.0.1", metric=10, iface="eth1"),
        igp("10.1.0.0/30", "10.2.0.1", metric=20, iface="eth1"),
    ]
    n.add(
        "t2",
        make(4134, "10.255.0.2", [nbr("10.255.0.1", 4134, local_address=ip("10.255.0.2"))]),
        ["10.2.0.2", "10.255.0.2"],
        igp_routes=t2_igp,
    )
    n.start()
    n.run(2.0)
    route = n.nodes["t2"].rib[net("203.0.113.0/24")]
    assert route.protocol is RouteProtocol.IBGP
    assert dict(route.attrs)["next_hop"] == "10.1.0.2" and dict(route.attrs)["as_path"] == "64500"
    assert route.next_hops == frozenset({NextHop(ip("10.2.0.1"), "eth1")})
    assert dict(route.attrs)["local_pref"] == 100
