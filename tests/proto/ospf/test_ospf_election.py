"""DR/BDR election (RFC 2328 §9.4): the pure function, then four engines on one LAN."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from ospf_harness import Net, engine, iface

from routesim.proto.ospf import JoinGroup, LeaveGroup
from routesim.proto.ospf.interface import Candidate, elect

Z = IPv4Address(0)


def cand(n: int, prio: int = 1, dr: int = 0, bdr: int = 0) -> Candidate:
    """Router n: Router ID n.n.n.n, address 10.0.0.n, declaring 10.0.0.dr / 10.0.0.bdr."""
    addr = lambda k: IPv4Address(f"10.0.0.{k}") if k else Z  # noqa: E731
    return Candidate(IPv4Address(f"{n}.{n}.{n}.{n}"), addr(n), prio, addr(dr), addr(bdr))


def a(n: int) -> IPv4Address:
    return IPv4Address(f"10.0.0.{n}") if n else Z


@pytest.mark.parametrize(
    ("me", "others", "dr", "bdr"),
    [
        # alone: we become DR and no BDR (the second round of step 4)
        (cand(1), [], 1, 0),
        # nobody declared yet: the highest Router ID is chosen as BDR and promoted to DR
        (cand(1), [cand(2), cand(3)], 3, 3),
        # 3 declares itself DR: it is DR, the BDR is the best of the rest
        (cand(1), [cand(2), cand(3, dr=3)], 3, 2),
        # priority beats Router ID
        (cand(1, prio=5), [cand(2), cand(3, dr=3)], 3, 1),
        (cand(1, prio=5), [cand(2, dr=2), cand(3, dr=2)], 2, 1),
        # priority 0 is never elected
        (cand(1), [cand(2, prio=0), cand(3, prio=0, dr=3)], 1, 0),
        # an existing DR is kept even if a better router appears (no preemption)
        (cand(1, prio=1, dr=1, bdr=2), [cand(2, prio=1, dr=1, bdr=2), cand(9, prio=200)], 1, 2),
        # a declared BDR is preferred for BDR over a higher-priority router that declares nothing
        (cand(1, dr=1, bdr=2), [cand(2, dr=1, bdr=2), cand(5, prio=100, dr=1)], 1, 2),
        # the DR disappears: the BDR is promoted (and, until it says so, stays BDR too: step 3)...
        (cand(1, dr=3, bdr=2), [cand(2, dr=3, bdr=2)], 2, 2),
        # ...then once it declares itself DR, we become BDR
        (cand(1, dr=2, bdr=2), [cand(2, dr=2, bdr=0)], 2, 1),
        # equal priorities, tie broken by the highest Router ID
        (cand(4, dr=0), [cand(7, dr=7), cand(6, dr=7), cand(5, dr=7)], 7, 6),
    ],
)
def test_elect(me, others, dr, bdr) -> None:
    assert elect(me, others) == (a(dr), a(bdr))


def lan(prios: dict[str, int], start_delays: dict[str, float] | None = None) -> Net:
    net = Net()
    for i, (name, prio) in enumerate(prios.items(), 1):
        net.add(
            name,
            engine(
                f"{i}.{i}.{i}.{i}",
                iface("lan", f"10.0.0.{i}/24", priority=prio),
                iface("lo", f"10.{i}.0.1/24", passive=True),
            ),
        )
    net.link(*[(n, "lan") for n in prios])
    net.start()
    return net


def test_four_routers_elect_and_only_adjacent_to_dr_bdr() -> None:
    net = lan({"r1": 1, "r2": 1, "r3": 1, "r4": 1})
    net.run(30)
    dr, bdr = IPv4Address("10.0.0.4"), IPv4Address("10.0.0.3")
    for r in ("r1", "r2", "r3", "r4"):
        st = net.iface_state(r, "lan")
        assert (st["dr"], st["bdr"]) == (str(dr), str(bdr)), r
    assert net.iface_state("r4", "lan")["state"] == "DR"
    assert net.iface_state("r3", "lan")["state"] == "Backup"
    assert net.iface_state("r1", "lan")["state"] == "DROther"
    assert net.states("r1") == {"2.2.2.2": "2-Way", "3.3.3.3": "Full", "4.4.4.4": "Full"}
    assert net.states("r2") == {"1.1.1.1": "2-Way", "3.3.3.3": "Full", "4.4.4.4": "Full"}
    assert set(net.states("r4").values()) == {"Full"}
    assert set(net.states("r3").values()) == {"Full"}
    # AllDRouters membership follows the role (§9.4, actions.py)
    assert net.groups == {("r3", "lan"), ("r4", "lan")}
    # the DR originates the network-LSA listing every router
    db = net.engines["r1"].inspect(net.now)["database"]
    nets = [d for d in db if d["type"] == 2]
    assert [(d["lsid"], d["adv_router"]) for d in nets] == [("10.0.0.4", "4.4.4.4")]
    lsa = next(e.lsa for _, k, e in net.engines["r1"].lsdb if k[0] == 2)
    assert sorted(str(x) for x in lsa.attached_routers) == ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]
    # and every router reaches every loopback across the LAN, next hop = owner's LAN address
    r1 = net.routes("r1")
    assert {p for p in r1} >= {"10.2.0.0/24", "10.3.0.0/24", "10.4.0.0/24"}
    assert {(str(h.gateway), h.interface) for h in r1["10.2.0.0/24"].next_hops} == {("10.0.0.2", "lan")}
    assert r1["10.2.0.0/24"].metric == 20


def test_priority_zero_and_priority_wins() -> None:
    net = lan({"r1": 5, "r2": 0, "r3": 1, "r4": 0})
    net.run(30)
    st = net.iface_state("r2", "lan")
    assert (st["dr"], st["bdr"]) == ("10.0.0.1", "10.0.0.3")
    assert net.iface_state("r2", "lan")["state"] == "DROther"
    assert net.states("r2") == {"1.1.1.1": "Full", "3.3.3.3": "Full", "4.4.4.4": "2-Way"}


def test_existing_dr_is_kept_and_bdr_takes_over() -> None:
    net = lan({"r1": 1, "r2": 1})
    net.run(30)
    assert net.iface_state("r1", "lan")["dr"] == "10.0.0.2"
    # a router with a higher priority joins: it preempts neither the DR nor the BDR (§9.4)
    net.add("r9", engine("9.9.9.9", iface("lan", "10.0.0.9/24", priority=100)))
    net.segments[0].members.append(("r9", "lan"))
    net.apply("r9", net.engines["r9"].start(net.now))
    net.run_for(30)
    for r in ("r1", "r2", "r9"):
        st = net.iface_state(r, "lan")
        assert (st["dr"], st["bdr"]) == ("10.0.0.2", "10.0.0.1"), r
    assert net.states("r9") == {"1.1.1.1": "Full", "2.2.2.2": "Full"}
    # the DR dies: the BDR (r1) is promoted and r9 becomes BDR
    net.segments[0].members.remove(("r2", "lan"))
    net.run_for(30)
    for r in ("r1", "r9"):
        st = net.iface_state(r, "lan")
        assert (st["dr"], st["bdr"]) == ("10.0.0.1", "10.0.0.9"), r
    assert net.states("r1") == {"9.9.9.9": "Full"}
    # (r2, cut off, still is DR of its own empty segment)
    assert net.groups == {("r1", "lan"), ("r9", "lan"), ("r2", "lan")}
    joins = [(r, type(x)) for _, r, x in net.trace if isinstance(x, JoinGroup | LeaveGroup)]
    assert ("r1", JoinGroup) in joins and ("r9", JoinGroup) in joins
