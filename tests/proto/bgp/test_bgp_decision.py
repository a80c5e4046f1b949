"""The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9): one test per tie-break step, through the
engine, asserting the winner and the reason it records."""

from __future__ import annotations

from bgp_harness import Raw, attrs, connected, igp, ip, make, nbr, net

from routesim.proto.bgp import BestPathReason, Policy, PolicyRule
from routesim.proto.bgp.decision import Candidate, best_path
from routesim.proto.bgp.rr_attrs import cluster_list_attribute, originator_id_attribute
from routesim.wire.bgp import AsPath, AsPathSegment

P = "192.0.2.0/24"
A, B = "10.0.1.2", "10.0.2.2"
IGP = [
    connected("10.0.1.0/24"),
    connected("10.0.2.0/24"),
    igp("10.255.0.1/32", "10.0.1.2", metric=20),
    igp("10.255.0.2/32", "10.0.2.2", metric=10),
]


def engine(
    as_a: int, as_b: int, *, id_a: str = "2.2.2.2", id_b: str = "3.3.3.3", local_as: int = 65001, **kw
):
    r = Raw(
        make(
            local_as,
            "1.1.1.1",
            [nbr(A, as_a, passive=True, **kw.pop("a", {})), nbr(B, as_b, passive=True)],
            **kw,
        ),
        igp_routes=IGP,
    )
    r.establish(A, as_a, id_a)
    r.establish(B, as_b, id_b)
    return r


def winner(r: Raw) -> tuple[str, BestPathReason]:
    src, _, reason = r.best(P)
    assert dict(r.rib[net(P)].attrs)["reason"] == reason  # the RIB route names it too
    return str(src.address), reason


def test_single_candidate_reason_only():
    r = engine(65002, 65003)
    r.update(A, [P], attrs(65002, next_hop=A))
    assert winner(r) == (A, BestPathReason.ONLY)


def test_locally_originated_wins_first():
    r = engine(
        65002,
        65003,
        announce=(net(P),),
        announce_always=True,
        a={"import_policy": Policy((PolicyRule(set_local_pref=500),))},
    )
    r.update(A, [P], attrs(65002, next_hop=A))
    src, _, reason = r.best(P)
    assert src.local and reason is BestPathReason.LOCAL
    assert net(P) not in r.rib  # ours: not handed to the RIB


def test_highest_local_pref():
    r = engine(65002, 65003, a={"import_policy": Policy((PolicyRule(set_local_pref=200),))})
    r.update(A, [P], attrs(65002, 64999, 64998, next_hop=A))
    r.update(B, [P], attrs(65003, next_hop=B))
    assert winner(r) == (A, BestPathReason.LOCAL_PREF)


def test_shortest_as_path_with_as_set_counting_one():
    r = engine(65002, 65003)
    with_set = AsPath((AsPathSegment(2, (65002,)), AsPathSegment(1, (1, 2, 3, 4))))  # length 2
    a = attrs(next_hop=A)
    r.update(A, [P], (a[0], with_set, a[2]))
    r.update(B, [P], attrs(65003, 7, 8, next_hop=B))  # length 3
    assert winner(r) == (A, BestPathReason.AS_PATH)


def test_lowest_origin():
    r = engine(65002, 65003)
    r.update(A, [P], attrs(65002, next_hop=A, origin=1))  # EGP
    r.update(B, [P], attrs(65003, next_hop=B, origin=0))  # IGP
    assert winner(r) == (B, BestPathReason.ORIGIN)


def test_lowest_med_between_routes_from_the_same_neighbor_as():
    r = engine(65002, 65002, id_a="2.2.2.2", id_b="3.3.3.3")
    r.update(A, [P], attrs(65002, next_hop=A, med=10))
    r.update(B, [P], attrs(65002, next_hop=B, med=5))
    assert winner(r) == (B, BestPathReason.MED)


def test_med_is_not_compared_across_neighbor_ases():
    r = engine(65002, 65003, id_a="2.2.2.2", id_b="3.3.3.3")
    r.update(A, [P], attrs(65002, next_hop=A, med=100))
    r.update(B, [P], attrs(65003, next_hop=B, med=1))
    assert winner(r) == (A, BestPathReason.ROUTER_ID)  # MED skipped, lower router ID wins


def test_ebgp_over_ibgp():
    r = engine(65002, 65001)
    r.update(A, [P], attrs(65009, next_hop=A))
    r.update(B, [P], attrs(65009, next_hop=B, lp=100))
    assert winner(r) == (A, BestPathReason.EBGP)


def test_lowest_igp_cost_to_next_hop():
    r = engine(65001, 65001)
    r.update(A, [P], attrs(65009, next_hop="10.255.0.1", lp=100))  # IGP metric 20
    r.update(B, [P], attrs(65009, next_hop="10.255.0.2", lp=100))  # IGP metric 10
    assert winner(r) == (B, BestPathReason.IGP_COST)


def test_lowest_router_id():
    r = engine(65002, 65003, id_a="9.9.9.9", id_b="3.3.3.3")
    r.update(A, [P], attrs(65002, next_hop=A))
    r.update(B, [P], attrs(65003, next_hop=B))
    assert winner(r) == (B, BestPathReason.ROUTER_ID)


def test_originator_id_replaces_router_id_for_reflected_routes():
    r = engine(65001, 65001, id_a="4.4.4.4", id_b="5.5.5.5")
    r.update(
        A, [P], attrs(65009, next_hop="10.255.0.2", lp=100, extra=(originator_id_attribute(ip("9.9.9.9")),))
    )
    r.update(B, [P], attrs(65009, next_hop="10.255.0.2", lp=100))
    assert winner(r) == (B, BestPathReason.ROUTER_ID)  # 5.5.5.5 < 9.9.9.9 although 4.4.4.4 < 5.5.5.5


def test_shortest_cluster_list():
    r = engine(65001, 65001, id_a="4.4.4.4", id_b="5.5.5.5")
    orig = originator_id_attribute(ip("7.7.7.7"))
    r.update(
        A,
        [P],
        attrs(
            65009,
            next_hop="10.255.0.2",
            lp=100,
            extra=(orig, cluster_list_attribute((ip("8.8.8.8"), ip("8.8.8.9")))),
        ),
    )
    r.update(
        B,
        [P],
        attrs(65009, next_hop="10.255.0.2", lp=100, extra=(orig, cluster_list_attribute((ip("8.8.8.8"),)))),
    )
    assert winner(r) == (B, BestPathReason.CLUSTER_LIST)


def test_lowest_peer_address():
    r = engine(65002, 65002, id_a="2.2.2.2", id_b="2.2.2.2")  # two links to the same router
    r.update(B, [P], attrs(65002, next_hop=B))
    r.update(A, [P], attrs(65002, next_hop=A))
    assert winner(r) == (A, BestPathReason.PEER_ADDRESS)


def test_best_path_unit_med_elimination_is_per_neighbor_as():
    def cand(name, nas, med, rid):
        return Candidate(name, False, 100, 1, 0, nas, med, True, 0, rid, 0, rid)

    # X and Y from AS 1 (Y's MED lower), Z from AS 2: Y and Z survive MED, Y wins by router ID.
    found = best_path([cand("X", 1, 50, 1), cand("Y", 1, 10, 3), cand("Z", 2, 99, 5)])
    assert found is not None and found[0].source == "Y" and found[1] is BestPathReason.ROUTER_ID
    assert best_path([]) is None
