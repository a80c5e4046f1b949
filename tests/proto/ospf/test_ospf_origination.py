"""When router-LSAs are originated: the adjacency hold (``origination.adjacency_hold``) on top of
RFC 2328 §12.4 and MinLSInterval, on a star of point-to-point links under a fake clock."""

from __future__ import annotations

import dataclasses
import itertools
from ipaddress import IPv4Address

import pytest
from ospf_harness import FAST_TIMERS, Net, Segment, engine, iface

from routesim.proto.base import Log, SessionEvent
from routesim.proto.ospf import OspfTimers
from routesim.proto.ospf.lsdb import Lsdb
from routesim.wire.ospf import LsType, RouterLinkType
from routesim.wire.ospf.lsa import INITIAL_SEQUENCE_NUMBER

P2P = {"network_type": "point-to-point"}
HOLD = dataclasses.replace(FAST_TIMERS, adjacency_hold=1.0)
HUB = IPv4Address("1.1.1.1")


def star(timers: OspfTimers, spokes: int = 3) -> tuple[Net, list[Segment]]:
    """r1 in the middle, p2p links to r2..r(spokes+1); every router uses ``timers``."""
    net = Net()
    hub = [iface(f"s{i}", f"10.0.{i}.1/30", **P2P) for i in range(2, spokes + 2)]
    net.add("r1", engine(str(HUB), *hub, timers=timers))
    segs = []
    for i in range(2, spokes + 2):
        net.add(
            f"r{i}", engine(f"{i}.{i}.{i}.{i}", iface("h", f"10.0.{i}.2/30", **P2P), seed=i, timers=timers)
        )
        segs.append(net.link(("r1", f"s{i}"), (f"r{i}", "h")))
    return net, segs


def originations(net: Net, router: str) -> list[float]:
    """When ``router`` originated its router-LSA (the ``ospf originate`` log lines)."""
    return [
        t
        for t, r, a in net.trace
        if r == router and isinstance(a, Log) and a.message.startswith("ospf originate: type 1 ")
    ]


def hold_over_logs(net: Net, router: str) -> list[str]:
    return [
        a.message
        for _, r, a in net.trace
        if r == router and isinstance(a, Log) and "adjacency hold" in a.message
    ]


def full_at(net: Net, router: str, neighbor: str) -> list[float]:
    return [
        t
        for t, r, a in net.trace
        if r == router and isinstance(a, SessionEvent) and a.peer == neighbor and a.new == "Full"
    ]


def hub_lsa_neighbors(net: Net, router: str = "r1") -> set[IPv4Address]:
    lsdb: Lsdb = net.engines[router].lsdb
    entry = lsdb.get(IPv4Address(0), (LsType.ROUTER, HUB, HUB))
    assert entry is not None
    return {link.link_id for link in entry.lsa.links if link.type == RouterLinkType.POINT_TO_POINT}


SPOKES = {IPv4Address(f"{i}.{i}.{i}.{i}") for i in (2, 3, 4)}


def test_adjacencies_forming_together_give_one_router_lsa() -> None:
    net, _ = star(HOLD)
    net.start()
    assert net.engines["r1"].inspect(net.now)["origination"]["adjacency_hold_in"] == 1.0
    net.run_for(10.0)
    hub = net.engines["r1"]
    assert hub.counters["lsa_originated"] == 1  # one instance, with all three adjacencies
    assert hub_lsa_neighbors(net) == SPOKES
    entry = hub.lsdb.get(IPv4Address(0), (LsType.ROUTER, HUB, HUB))
    assert entry is not None and entry.lsa.header.ls_sequence_number == INITIAL_SEQUENCE_NUMBER
    # and it went out the moment the last adjacency was Full, not at the end of the hold
    last_full = max(t for n in ("2.2.2.2", "3.3.3.3", "4.4.4.4") for t in full_at(net, "r1", n))
    assert originations(net, "r1") == [last_full]
    assert last_full < 1.0
    assert hub.inspect(net.now)["origination"]["adjacency_hold_in"] is None
    assert hold_over_logs(net, "r1") == []  # never reached its bound
    for spoke in ("r2", "r3", "r4"):  # every spoke learnt the others through the hub
        assert hub_lsa_neighbors(net, spoke) == SPOKES
        assert len(net.routes(spoke)) == 3


def test_without_the_hold_the_rfc_originates_again_after_min_ls_interval() -> None:
    net, _ = star(FAST_TIMERS)
    net.start()
    net.run_for(10.0)
    times = originations(net, "r1")
    assert times[0] == 0.0 and len(times) >= 2  # stubs only at start, then the adjacencies
    assert all(b - a >= FAST_TIMERS.min_ls_interval - 1e-6 for a, b in itertools.pairwise(times))
    assert hub_lsa_neighbors(net) == SPOKES


def test_a_neighbor_never_heard_holds_the_lsa_only_for_the_bound() -> None:
    net, segs = star(HOLD)
    segs[2].up = False  # r4 is silent
    net.start()
    net.run_for(10.0)
    assert originations(net, "r1") == [pytest.approx(HOLD.adjacency_hold)]
    assert hub_lsa_neighbors(net) == {IPv4Address("2.2.2.2"), IPv4Address("3.3.3.3")}
    assert hold_over_logs(net, "r1") == [
        "ospf originate: adjacency hold of 1s over, still forming: s4: no neighbor heard yet"
    ]


def test_a_stuck_adjacency_is_waited_for_once_then_joins_when_full() -> None:
    net, _ = star(HOLD)
    # r4 answers Hellos but its DDs are lost for 3 s: r1 keeps the adjacency in ExStart
    net.drop = lambda now, src, dst, pkt: src == "r4" and pkt.header.type == 2 and now < 3.0
    net.start()
    net.run_for(10.0)
    times = originations(net, "r1")
    assert times[0] == pytest.approx(HOLD.adjacency_hold)  # the bound, with r2 and r3
    (why,) = hold_over_logs(net, "r1")
    assert why.startswith(
        "ospf originate: adjacency hold of 1s over, still forming: s4: neighbor 4.4.4.4 in "
    )
    assert len(times) == 2
    assert times[1] == full_at(net, "r1", "4.4.4.4")[0]  # r4 joins as soon as it is Full
    assert hub_lsa_neighbors(net) == SPOKES


def test_one_adjacency_coming_up_later_is_not_held() -> None:
    net, segs = star(HOLD)
    segs[2].up = False
    net.start()
    net.run_for(10.0)
    segs[2].up = True  # r4's link comes up: one adjacency, nothing else forming
    net.run_for(10.0)
    times = originations(net, "r1")
    assert len(times) == 2
    assert times[1] == full_at(net, "r1", "4.4.4.4")[0]
    assert hub_lsa_neighbors(net) == SPOKES


@pytest.mark.parametrize("hold", [-1.0])
def test_negative_hold_is_refused(hold: float) -> None:
    with pytest.raises(ValueError, match="adjacency_hold"):
        OspfTimers(adjacency_hold=hold)


def test_an_interface_with_no_ospf_router_beyond_is_not_waited_for() -> None:
    """A link to hosts never answers Hellos: with ``expect_neighbors`` False it does not hold the
    LSA at start (with it True it would, until the bound: see the test above)."""
    net = Net()
    hub = [
        iface("s2", "10.0.2.1/30", **P2P),
        iface("hosts", "192.0.2.1/24", expect_neighbors=False),
    ]
    net.add("r1", engine(str(HUB), *hub, timers=HOLD))
    net.add("r2", engine("2.2.2.2", iface("h", "10.0.2.2/30", **P2P), seed=2, timers=HOLD))
    net.link(("r1", "s2"), ("r2", "h"))
    net.start()
    net.run_for(5.0)
    assert originations(net, "r1") == full_at(net, "r1", "2.2.2.2")
    assert originations(net, "r1")[0] < HOLD.adjacency_hold / 2
    assert hold_over_logs(net, "r1") == []
