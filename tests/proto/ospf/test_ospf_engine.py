"""Engine contract: inspection model, timers, SPF throttle, interface events, stop, LSDB compare."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest
from ospf_harness import Net, engine, iface

from routesim.proto.base import (
    ArmTimer,
    CancelTimer,
    InterfaceDown,
    InterfaceUp,
    Log,
    PacketIn,
    RouteProtocol,
    RoutesChanged,
    Send,
    TimerFired,
)
from routesim.proto.ospf.lsdb import compare_instances
from routesim.wire.ospf import Hello, LsaHeader, LsType, Options, decode_packet
from routesim.wire.ospf.header import ALL_SPF_ROUTERS

P2P = {"network_type": "point-to-point"}


def pair() -> Net:
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("e0", "10.0.12.1/24"), iface("lo", "10.1.0.1/24", passive=True)))
    net.add("r2", engine("2.2.2.2", iface("e0", "10.0.12.2/24"), iface("lo", "10.2.0.1/24", passive=True)))
    net.link(("r1", "e0"), ("r2", "e0"))
    net.start()
    return net


def test_start_sends_hello_and_arms_timers() -> None:
    eng = engine("1.1.1.1", iface("e0", "10.0.12.1/24", hello_interval=10, dead_interval=40))
    out = eng.start(0.0)
    assert not [a for a in out if isinstance(a, Send)]  # the first Hello is a timer due now
    timers = {a.key: a.at for a in out if isinstance(a, ArmTimer)}
    assert timers[("ospf", "hello", "e0")] == 0.0
    assert timers[("ospf", "wait", "e0")] == 40.0
    out = eng.handle(TimerFired(("ospf", "hello", "e0")), 0.0)
    hello = decode_packet(next(a for a in out if isinstance(a, Send)).data).body
    assert isinstance(hello, Hello) and hello.hello_interval == 10 and hello.neighbors == ()
    assert next(a for a in out if isinstance(a, Send)).dst == ALL_SPF_ROUTERS
    assert {a.key: a.at for a in out if isinstance(a, ArmTimer)}[("ospf", "hello", "e0")] == 10.0
    # a stale timer (already re-armed) does nothing
    assert [a for a in eng.handle(TimerFired(("ospf", "hello", "e0")), 0.5) if isinstance(a, Send)] == []


def test_hello_timer_keeps_its_phase_and_skips_missed_beats() -> None:
    """RFC 2328 §4.4: interval timers avoid drift. A Hello timer handled late fires next at its
    previous deadline + HelloInterval, not at the late instant + HelloInterval; one handled more than
    an interval late sends one Hello and skips the missed beats (no burst)."""
    eng = engine("1.1.1.1", iface("e0", "10.0.12.1/24"), iface("e1", "10.0.13.1/24"))
    eng.start(0.0)

    def fire(name: str, at: float) -> float:
        out = eng.handle(TimerFired(("ospf", "hello", name)), at)
        assert len([a for a in out if isinstance(a, Send)]) == 1
        return {a.key: a.at for a in out if isinstance(a, ArmTimer)}[("ospf", "hello", name)]

    assert fire("e0", 0.0) == 1.0
    assert fire("e1", 0.004) == 1.0  # handled 4 ms after e0: still due with it
    assert fire("e0", 1.3) == 2.0  # 0.3 s late: the phase stays
    assert fire("e0", 4.5) == 5.0  # beats 3 and 4 were missed: one Hello now, the next at 5


def test_a_timer_that_fires_early_is_armed_again_at_its_deadline() -> None:
    """A fired timer leaves the engine's armed set; when its handler finds it is not due yet (the
    runtime fired an older arming, or early), the deadline it keeps must be armed again: for an
    interface's, a neighbor's and the engine's own timers alike. Only the fired timer's owner is
    compared again, so the other timers are neither re-armed nor cancelled."""
    net = pair()
    net.run(30)
    r1 = net.engines["r1"]
    armed = dict(net.timers["r1"])
    nbr = ("ospf", "inactivity", "e0", IPv4Address("10.0.12.2"))
    for key in (("ospf", "hello", "e0"), nbr, ("ospf", "age")):
        assert key in armed, key
        out = r1.handle(TimerFired(key), net.now)  # before its deadline: nothing to do but re-arm
        assert [a for a in out if isinstance(a, Send)] == []
        assert [(a.key, a.at) for a in out if isinstance(a, ArmTimer | CancelTimer)] == [(key, armed[key])]
    # a timer of a neighbor that is not there: no error, no change to the other timers
    out = r1.handle(TimerFired(("ospf", "inactivity", "e0", IPv4Address("10.0.12.9"))), net.now)
    assert [a for a in out if isinstance(a, CancelTimer)] == []
    assert {a.key: a.at for a in out if isinstance(a, ArmTimer)}.items() <= armed.items()
    assert net.states("r1") == {"2.2.2.2": "Full"}


def test_inspect_model() -> None:
    net = pair()
    net.run(30)
    view = net.engines["r1"].inspect(net.now)
    assert view["neighbors"] == [
        {
            "router_id": "2.2.2.2",
            "address": "10.0.12.2",
            "interface": "e0",
            "state": "Full",
            "priority": 1,
            "dr": "10.0.12.2",
            "bdr": "10.0.12.1",
            "dead_in": pytest.approx(view["neighbors"][0]["dead_in"]),
        }
    ]
    assert 3 <= view["neighbors"][0]["dead_in"] <= 4
    e0 = next(i for i in view["interfaces"] if i["name"] == "e0")
    assert e0 | {"passive": False} == {
        "name": "e0",
        "state": "Backup",
        "cost": 10,
        "dr": "10.0.12.2",
        "bdr": "10.0.12.1",
        "network_type": "broadcast",
        "area": "0.0.0.0",
        "hello": 1,
        "dead": 4,
        "passive": False,
    }
    types = sorted((d["type"], d["lsid"]) for d in view["database"])
    assert types == [(1, "1.1.1.1"), (1, "2.2.2.2"), (2, "10.0.12.2")]
    d = view["database"][0]
    assert d["seq"].startswith("0x8000") and d["checksum"].startswith("0x") and d["area"] == "0.0.0.0"
    routes = {r["prefix"]: r for r in view["routes"]}
    assert routes["10.2.0.0/24"] == {
        "prefix": "10.2.0.0/24",
        "cost": 20,
        "path_type": "intra",
        "area": "0.0.0.0",
        "next_hops": [{"gateway": "10.0.12.2", "interface": "e0"}],
    }
    c = view["counters"]
    assert c["spf_runs"] >= 1 and c["packets_in"]["hello"] > 0 and c["packets_out"]["lsu"] > 0
    assert isinstance(c["drops"], dict)


def test_logs_for_election_and_installs() -> None:
    net = pair()
    net.run(30)
    msgs = [a.message for _, r, a in net.trace if r == "r1" and isinstance(a, Log)]
    assert any("DR 10.0.12.2 BDR 10.0.12.1" in m for m in msgs)
    assert any(m.startswith("ospf lsdb: installed type 1 2.2.2.2") for m in msgs)
    assert any("DROther -> Backup (NeighborChange)" in m for m in msgs)


def test_spf_is_throttled_and_coalesced() -> None:
    net = pair()
    net.run(30)
    r1 = net.engines["r1"]
    runs = r1.counters["spf_runs"]
    net.feed("r1", InterfaceDown("lo"))
    assert r1.spf_at == pytest.approx(net.now + 0.2)
    first = r1.spf_at
    net.run_for(0.1)
    net.feed("r1", InterfaceUp("lo"))
    assert r1.spf_at == first  # joined the pending run
    net.run_for(0.15)
    assert r1.counters["spf_runs"] == runs + 1


def test_interface_down_withdraws_and_up_restores() -> None:
    net = pair()
    net.run(30)
    net.feed("r2", InterfaceDown("lo"))
    net.run_for(5)
    assert "10.2.0.0/24" not in net.routes("r1")
    changes = net.rib_changes("r1")
    assert (IPv4Network("10.2.0.0/24"), RouteProtocol.OSPF) in changes[-1].withdrawals
    net.feed("r2", InterfaceUp("lo"))
    net.run_for(5)
    assert net.routes("r1")["10.2.0.0/24"].metric == 20
    # interface down on the transit link: the neighbor is killed at once (KillNbr), not timed out
    net.feed("r1", InterfaceDown("e0"))
    assert net.states("r1") == {}
    ev = [e for _, r, e in net.session_events("r1") if e.new == "Down"]
    assert ev[-1].reason == "KillNbr"


def test_passive_interface_sends_and_accepts_nothing() -> None:
    net = pair()
    net.run(10)
    assert not [a for _, _, a in net.trace if isinstance(a, Send) and a.iface == "lo"]
    hello = Hello(IPv4Address("255.255.255.0"), 1, Options.E, 1, 4, IPv4Address(0), IPv4Address(0))
    from routesim.wire.ospf import encode_packet

    net.feed("r1", PacketIn("lo", IPv4Address("10.1.0.9"), encode_packet("9.9.9.9", "0.0.0.0", hello)))
    assert net.engines["r1"].drops["passive-interface"] == 1


def test_stop_says_goodbye_withdraws_and_cancels() -> None:
    net = pair()
    net.run(30)
    r1 = net.engines["r1"]
    out = r1.stop(net.now)
    hellos = [decode_packet(a.data).body for a in out if isinstance(a, Send)]
    assert hellos and all(isinstance(h, Hello) and h.neighbors == () for h in hellos)
    rc = [a for a in out if isinstance(a, RoutesChanged)]
    assert rc and {p for p, _ in rc[0].withdrawals} >= {IPv4Network("10.2.0.0/24")}
    assert {a.key for a in out if isinstance(a, CancelTimer)} == set(net.timers["r1"])
    net.apply("r1", out)
    net.timers["r1"].clear()
    net.run_for(1)
    assert net.states("r2") == {"1.1.1.1": "Init"}  # 1-WayReceived at once, no dead-interval wait
    assert r1.handle(TimerFired(("ospf", "spf")), net.now) == []


def _h(seq: int, checksum: int = 1, age: int = 0) -> LsaHeader:
    return LsaHeader(age, Options.E, LsType.ROUTER, IPv4Address(1), IPv4Address(1), seq, checksum)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (_h(5), _h(4), 1),  # higher sequence number
        (_h(-0x7FFFFFFF), _h(0x7FFFFFFF), -1),  # signed comparison (§12.1.6)
        (_h(5, checksum=9), _h(5, checksum=3), 1),  # then the larger checksum
        (_h(5, age=3600), _h(5, age=10), 1),  # then MaxAge
        (_h(5, age=10), _h(5, age=1000), 1),  # then an age difference > MaxAgeDiff: younger
        (_h(5, age=10), _h(5, age=800), 0),  # otherwise the same instance
    ],
)
def test_compare_instances(a, b, expected) -> None:
    assert compare_instances(a, b) == expected
    assert compare_instances(b, a) == -expected


def test_only_a_redistributing_instance_wants_the_rib() -> None:
    from routesim.proto.base import RouteProtocol as RP

    plain = engine("1.1.1.1", iface("e0", "10.0.12.1/24"))
    redistributing = engine("1.1.1.1", iface("e0", "10.0.12.1/24"), redistribute=frozenset({RP.STATIC}))
    assert (plain.wants_rib, redistributing.wants_rib) == (False, True)
