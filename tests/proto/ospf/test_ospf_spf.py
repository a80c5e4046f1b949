"""The routing calculation (RFC 2328 §16) on hand-built link-state databases."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from routesim.proto.base import NextHop
from routesim.proto.ospf.spf import LocalView, calculate, intra_area
from routesim.wire.ospf import (
    AsbrSummaryLsa,
    AsExternalLsa,
    LsaHeader,
    LsType,
    NetworkLsa,
    Options,
    RouterLink,
    RouterLinkType,
    RouterLsa,
    RouterLsaFlags,
    SummaryLsa,
)

A = IPv4Address
P2P, TRANSIT, STUB = RouterLinkType.POINT_TO_POINT, RouterLinkType.TRANSIT, RouterLinkType.STUB
SEQ = -0x7FFFFFFF


def hdr(t: LsType, lsid: str, adv: str) -> LsaHeader:
    return LsaHeader(0, Options.E, t, A(lsid), A(adv), SEQ)


NO_FLAGS = RouterLsaFlags(0)


def router(rid: str, *links: tuple, flags: RouterLsaFlags = NO_FLAGS) -> RouterLsa:
    return RouterLsa(
        hdr(LsType.ROUTER, rid, rid), flags, tuple(RouterLink(A(i), A(d), t, m) for i, d, t, m in links)
    )


def network(dr: str, adv: str, mask: str, *attached: str) -> NetworkLsa:
    return NetworkLsa(hdr(LsType.NETWORK, dr, adv), A(mask), tuple(A(r) for r in attached))


def db(*lsas) -> dict:
    return {lsa.header.key: lsa for lsa in lsas}


def nh(gw: str | None, ifname: str) -> NextHop:
    return NextHop(A(gw) if gw else None, ifname)


def square_db(cost_via_3: int = 10) -> dict:
    # 1 -- 2 -- 4 and 1 -- 3 -- 4, p2p links 10.0.XY.0/30 (X < Y: .1 on X, .2 on Y)
    return db(
        router(
            "1.1.1.1",
            ("2.2.2.2", "10.0.12.1", P2P, 10),
            ("3.3.3.3", "10.0.13.1", P2P, 10),
            ("10.0.12.0", "255.255.255.252", STUB, 10),
            ("10.0.13.0", "255.255.255.252", STUB, 10),
        ),
        router("2.2.2.2", ("1.1.1.1", "10.0.12.2", P2P, 10), ("4.4.4.4", "10.0.24.1", P2P, 10)),
        router("3.3.3.3", ("1.1.1.1", "10.0.13.2", P2P, 10), ("4.4.4.4", "10.0.34.1", P2P, cost_via_3)),
        router(
            "4.4.4.4",
            ("2.2.2.2", "10.0.24.2", P2P, 10),
            ("3.3.3.3", "10.0.34.2", P2P, 10),
            ("10.4.0.0", "255.255.255.0", STUB, 1),
            flags=RouterLsaFlags.E,
        ),
    )


ME = LocalView(A("1.1.1.1"), {A("10.0.12.1"): "a", A("10.0.13.1"): "b"}, {})


def test_square_ecmp_and_router_entries() -> None:
    nets, routers = intra_area(A(0), square_db(), ME)
    r = nets[IPv4Network("10.4.0.0/24")]
    assert r.cost == 21 and r.next_hops == {nh("10.0.12.2", "a"), nh("10.0.13.2", "b")}
    # own stub networks: directly connected
    assert nets[IPv4Network("10.0.12.0/30")].next_hops == {nh(None, "a")}
    # routers reachable, with their flags
    assert routers[A("4.4.4.4")].cost == 20 and routers[A("4.4.4.4")].flags == RouterLsaFlags.E
    assert routers[A("2.2.2.2")].next_hops == {nh("10.0.12.2", "a")}


def test_unequal_costs_single_path() -> None:
    nets, _ = intra_area(A(0), square_db(cost_via_3=15), ME)
    r = nets[IPv4Network("10.4.0.0/24")]
    assert r.cost == 21 and r.next_hops == {nh("10.0.12.2", "a")}


def test_one_way_link_is_not_used() -> None:
    """§16.1 (2b): a link is used only if the other end links back."""
    lsas = square_db()
    lsas[(1, A("2.2.2.2"), A("2.2.2.2"))] = router("2.2.2.2", ("4.4.4.4", "10.0.24.1", P2P, 10))
    nets, routers = intra_area(A(0), lsas, ME)
    # 1 -> 2 is not usable; 2 is still reached the long way round, 1 -> 3 -> 4 -> 2
    assert routers[A("2.2.2.2")].cost == 30
    assert routers[A("2.2.2.2")].next_hops == {nh("10.0.13.2", "b")}
    assert nets[IPv4Network("10.4.0.0/24")].next_hops == {nh("10.0.13.2", "b")}


def test_transit_network_next_hops() -> None:
    """Root 1 on LAN 10.0.0.0/24 (DR 3 at .3) with 2 and 3; 2 has a stub; §16.1.1 next hops."""
    lsas = db(
        router("1.1.1.1", ("10.0.0.3", "10.0.0.1", TRANSIT, 10)),
        router("2.2.2.2", ("10.0.0.3", "10.0.0.2", TRANSIT, 10), ("10.2.0.0", "255.255.255.0", STUB, 5)),
        router("3.3.3.3", ("10.0.0.3", "10.0.0.3", TRANSIT, 10), ("4.4.4.4", "10.0.34.1", P2P, 10)),
        router("4.4.4.4", ("3.3.3.3", "10.0.34.2", P2P, 10), ("10.4.0.0", "255.255.255.0", STUB, 1)),
        network("10.0.0.3", "3.3.3.3", "255.255.255.0", "1.1.1.1", "2.2.2.2", "3.3.3.3"),
    )
    me = LocalView(A("1.1.1.1"), {A("10.0.0.1"): "lan"}, {})
    nets, routers = intra_area(A(0), lsas, me)
    assert nets[IPv4Network("10.0.0.0/24")].next_hops == {nh(None, "lan")}
    assert nets[IPv4Network("10.0.0.0/24")].cost == 10
    assert nets[IPv4Network("10.2.0.0/24")].next_hops == {nh("10.0.0.2", "lan")}
    assert nets[IPv4Network("10.2.0.0/24")].cost == 15
    # beyond a router on the LAN, next hops are inherited
    assert nets[IPv4Network("10.4.0.0/24")].next_hops == {nh("10.0.0.3", "lan")}
    assert nets[IPv4Network("10.4.0.0/24")].cost == 21
    assert routers[A("4.4.4.4")].cost == 20


def test_missing_network_lsa_breaks_transit() -> None:
    lsas = db(
        router("1.1.1.1", ("10.0.0.3", "10.0.0.1", TRANSIT, 10)),
        router("2.2.2.2", ("10.0.0.3", "10.0.0.2", TRANSIT, 10), ("10.2.0.0", "255.255.255.0", STUB, 5)),
    )
    nets, _ = intra_area(A(0), lsas, LocalView(A("1.1.1.1"), {A("10.0.0.1"): "lan"}, {}))
    assert nets == {}


def test_inter_area_and_externals() -> None:
    """Root 1 in area 0 with ABR 2; summaries for 10.9.0.0/16 and ASBR 9.9.9.9 behind the ABR;
    externals from ASBR 4 (intra-area) and 9 (inter-area)."""
    backbone = square_db()
    backbone[(1, A("2.2.2.2"), A("2.2.2.2"))] = router(
        "2.2.2.2",
        ("1.1.1.1", "10.0.12.2", P2P, 10),
        ("4.4.4.4", "10.0.24.1", P2P, 10),
        flags=RouterLsaFlags.B,
    )
    s = SummaryLsa(hdr(LsType.SUMMARY_NETWORK, "10.9.0.0", "2.2.2.2"), A("255.255.0.0"), 7)
    s_intra = SummaryLsa(hdr(LsType.SUMMARY_NETWORK, "10.4.0.0", "2.2.2.2"), A("255.255.255.0"), 1)
    asbr = AsbrSummaryLsa(hdr(LsType.SUMMARY_ASBR, "9.9.9.9", "2.2.2.2"), A(0), 30)
    for lsa in (s, s_intra, asbr):
        backbone[lsa.header.key] = lsa

    def ext(prefix: str, adv: str, e2: bool, metric: int, fwd: str = "0.0.0.0") -> AsExternalLsa:
        return AsExternalLsa(hdr(LsType.AS_EXTERNAL, prefix, adv), A("255.255.255.0"), e2, metric, A(fwd))

    externals = db(
        ext("192.0.2.0", "4.4.4.4", True, 20),
        ext("192.0.2.0", "9.9.9.9", True, 20),  # same type-2 metric, farther ASBR: loses
        ext("198.51.100.0", "4.4.4.4", True, 5),
        ext("198.51.100.0", "9.9.9.9", False, 500),  # type 1 beats type 2 (§16.4 (6))
        ext("203.0.113.0", "9.9.9.9", True, 20, fwd="10.4.0.77"),  # forwarding address via 10.4/24
        ext("10.4.0.0", "4.4.4.4", True, 1),  # an intra-area route always wins
        ext("233.252.0.0", "5.5.5.5", True, 1),  # unknown ASBR: ignored
    )
    routes, asbrs = calculate({A(0): backbone}, externals, ME)
    r = routes[IPv4Network("10.9.0.0/16")]
    assert (r.path_type, r.cost, r.next_hops) == ("inter", 17, {nh("10.0.12.2", "a")})
    assert routes[IPv4Network("10.4.0.0/24")].path_type == "intra"
    assert asbrs[A("9.9.9.9")].cost == 40 and asbrs[A("9.9.9.9")].path_type == "inter"
    r = routes[IPv4Network("192.0.2.0/24")]
    assert (r.path_type, r.cost, r.forward_cost) == ("ext2", 20, 20)
    assert r.next_hops == {nh("10.0.12.2", "a"), nh("10.0.13.2", "b")}  # ECMP to ASBR 4
    r = routes[IPv4Network("198.51.100.0/24")]
    assert (r.path_type, r.cost) == ("ext1", 540)
    r = routes[IPv4Network("203.0.113.0/24")]
    assert (r.path_type, r.forward_cost) == ("ext2", 21)
    assert IPv4Network("233.252.0.0/24") not in routes


def test_maxage_and_infinity_summaries_are_ignored() -> None:
    backbone = square_db()
    backbone[(1, A("2.2.2.2"), A("2.2.2.2"))] = router(
        "2.2.2.2", ("1.1.1.1", "10.0.12.2", P2P, 10), flags=RouterLsaFlags.B
    )
    s = SummaryLsa(hdr(LsType.SUMMARY_NETWORK, "10.9.0.0", "2.2.2.2"), A("255.255.0.0"), 0xFFFFFF)
    backbone[s.header.key] = s
    routes, _ = calculate({A(0): backbone}, {}, ME)
    assert IPv4Network("10.9.0.0/16") not in routes
