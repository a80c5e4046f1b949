"""RipEngine unit behaviour with a fake clock: timers, split horizon, triggered updates, requests."""

from __future__ import annotations

import json
import random
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest
from rip_harness import advertised, decoded, make_engine, rib_changes, sends, timers_of

from routesim.proto.base import (
    CancelTimer,
    InterfaceDown,
    InterfaceUp,
    Log,
    NextHop,
    PacketIn,
    RibChanged,
    Route,
    RouteProtocol,
    TimerFired,
)
from routesim.proto.rip import RipConfig, RipEngine, RipInterface, SplitHorizon
from routesim.proto.rip.engine import TIMER_SWEEP, TIMER_TRIGGERED, TIMER_UPDATE
from routesim.wire.rip import RIP_MULTICAST, Command, RipEntry, RipPacket

N1 = IPv4Address("10.0.12.2")
N2 = IPv4Address("10.0.12.3")
IFACES = [("eth0", "10.0.12.1/24"), ("eth1", "10.0.23.1/24")]


def started(seed: int = 1, **kw) -> tuple[RipEngine, list]:
    engine = make_engine("r1", IFACES, seed=seed, **kw)
    return engine, engine.start(0.0)


def response(*entries: tuple[str, int], tag: int = 0, nh: str = "0.0.0.0") -> bytes:
    return RipPacket(
        Command.RESPONSE,
        entries=tuple(
            RipEntry.route(IPv4Network(p), m, route_tag=tag, next_hop=IPv4Address(nh)) for p, m in entries
        ),
    ).encode()


def learn(engine, now, *entries, src=N1, iface="eth0", port=520, **kw):
    return engine.handle(PacketIn(iface, src, response(*entries, **kw), src_port=port), now)


def route(engine, prefix):
    return engine.table.get(IPv4Network(prefix))


# --- start and the periodic update (RFC 2453 §3.8) ----------------------------------------


def test_start_requests_whole_table_and_announces_connected():
    _, actions = started()
    requests = decoded(actions, Command.REQUEST)
    assert sorted(s.iface for s, _ in requests) == ["eth0", "eth1"]
    for send, packet in requests:
        assert send.dst == RIP_MULTICAST and send.dst_port == 520
        assert packet.entries == (RipEntry.whole_table(),)
    assert advertised(actions, "eth0") == {"10.0.12.0/24": 1, "10.0.23.0/24": 1}
    assert 25.0 <= timers_of(actions)[TIMER_UPDATE] <= 35.0
    assert not rib_changes(actions)  # connected routes are the RIB's own, not RIP candidates


def test_update_jitter_stays_within_rfc_bounds():
    deadlines = set()
    for seed in range(200):
        engine, actions = started(seed)
        at = timers_of(actions)[TIMER_UPDATE]
        assert 25.0 <= at <= 35.0  # RFC 2453 §3.8: 30 s +/- 0..5 s
        nxt = timers_of(engine.handle(TimerFired(TIMER_UPDATE), at))[TIMER_UPDATE]
        assert at + 25.0 <= nxt <= at + 35.0
        deadlines.add(round(at, 6))
    assert len(deadlines) > 150  # really random, so routers do not synchronise


def test_periodic_update_sends_whole_table_and_clears_flags():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = engine.handle(TimerFired(TIMER_UPDATE), 30.0)
    assert advertised(actions, "eth1") == {"10.0.12.0/24": 1, "10.0.23.0/24": 1, "10.9.0.0/24": 2}
    assert all(not r.changed for r in engine.table)
    assert engine.counters["periodic_updates"] == 1


# --- timeout and garbage collection as data (one sweep timer) ------------------------------


def test_timeout_then_garbage_at_exact_deadlines():
    engine, _ = started()
    actions = learn(engine, 10.0, ("10.9.0.0/24", 1), tag=7)
    assert timers_of(actions)[TIMER_SWEEP] == 190.0
    (change,) = rib_changes(actions)
    (up,) = change.upserts
    assert up.prefix == IPv4Network("10.9.0.0/24") and up.metric == 2 and up.protocol is RouteProtocol.RIP
    assert up.next_hops == frozenset({NextHop(N1, "eth0")}) and ("tag", 7) in up.attrs

    actions = learn(engine, 100.0, ("10.9.0.0/24", 1), tag=7)  # same gateway, same metric: timeout reset
    assert timers_of(actions)[TIMER_SWEEP] == 280.0
    assert not rib_changes(actions)

    actions = engine.handle(TimerFired(TIMER_SWEEP), 280.0)
    r = route(engine, "10.9.0.0/24")
    assert r.metric == 16 and r.state == "garbage" and r.deletion_reason == "timeout"
    assert rib_changes(actions)[0].withdrawals == ((IPv4Network("10.9.0.0/24"), RouteProtocol.RIP),)
    assert advertised(actions, "eth1") == {"10.9.0.0/24": 16}  # triggered update of the change only
    assert timers_of(actions)[TIMER_SWEEP] == 400.0

    actions = engine.handle(TimerFired(TIMER_SWEEP), 400.0)
    assert route(engine, "10.9.0.0/24") is None
    assert TIMER_SWEEP not in timers_of(actions)  # nothing left that can expire: not re-armed
    assert engine.table.next_deadline() is None


def test_one_sweep_timer_for_many_routes():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = learn(engine, 2.0, ("10.9.1.0/24", 1))
    assert TIMER_SWEEP not in timers_of(actions)  # still the earliest: 181
    actions = engine.handle(TimerFired(TIMER_SWEEP), 181.0)
    assert route(engine, "10.9.0.0/24").metric == 16 and route(engine, "10.9.1.0/24").metric == 2
    assert timers_of(actions)[TIMER_SWEEP] == 182.0


def test_unreachable_from_same_gateway_starts_deletion_once():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = learn(engine, 5.0, ("10.9.0.0/24", 16))
    assert route(engine, "10.9.0.0/24").gc_at == 125.0
    assert rib_changes(actions)[0].withdrawals
    learn(engine, 50.0, ("10.9.0.0/24", 16))
    assert route(engine, "10.9.0.0/24").gc_at == 125.0  # §3.9.2: no new deletion process
    learn(engine, 60.0, ("10.9.0.0/24", 15))  # back, at 16 after our cost: ignored
    assert route(engine, "10.9.0.0/24").metric == 16
    learn(engine, 61.0, ("10.9.0.0/24", 3))
    assert route(engine, "10.9.0.0/24").metric == 4 and route(engine, "10.9.0.0/24").gc_at is None


def test_never_learn_new_unreachable_route():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 16), ("10.9.1.0/24", 15))
    assert route(engine, "10.9.0.0/24") is None and route(engine, "10.9.1.0/24") is None


# --- §3.9.2 route selection ------------------------------------------------------------------


def test_better_worse_and_same_gateway_rules():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 3), src=N1)
    assert (route(engine, "10.9.0.0/24").metric, route(engine, "10.9.0.0/24").next_hop) == (4, N1)
    learn(engine, 2.0, ("10.9.0.0/24", 1), src=N2)  # better from another gateway
    assert (route(engine, "10.9.0.0/24").metric, route(engine, "10.9.0.0/24").next_hop) == (2, N2)
    learn(engine, 3.0, ("10.9.0.0/24", 1), src=N1)  # equal from another gateway: keep
    assert route(engine, "10.9.0.0/24").next_hop == N2
    learn(engine, 4.0, ("10.9.0.0/24", 5), src=N2)  # worse from the same gateway: adopt
    assert (route(engine, "10.9.0.0/24").metric, route(engine, "10.9.0.0/24").next_hop) == (6, N2)
    learn(engine, 5.0, ("10.9.0.0/24", 7), src=N1)  # worse from another gateway: ignore
    assert route(engine, "10.9.0.0/24").metric == 6


def test_equal_metric_switches_when_old_route_halfway_to_timeout():
    engine, _ = started()
    learn(engine, 0.0, ("10.9.0.0/24", 1), src=N1)
    learn(engine, 89.0, ("10.9.0.0/24", 1), src=N2)
    assert route(engine, "10.9.0.0/24").next_hop == N1
    learn(engine, 90.0, ("10.9.0.0/24", 1), src=N2)  # RFC 2453 §3.9.2 heuristic
    assert route(engine, "10.9.0.0/24").next_hop == N2


def test_interface_cost_added_and_capped():
    engine = make_engine("r1", IFACES, metric=5)
    engine.start(0.0)
    learn(engine, 1.0, ("10.9.0.0/24", 3), ("10.9.1.0/24", 12))
    assert route(engine, "10.9.0.0/24").metric == 8 and route(engine, "10.9.1.0/24") is None


def test_next_hop_field_honoured_only_on_subnet():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1), nh="10.0.12.7")
    assert route(engine, "10.9.0.0/24").next_hop == IPv4Address("10.0.12.7")
    assert route(engine, "10.9.0.0/24").source == N1
    learn(engine, 1.0, ("10.9.1.0/24", 1), nh="192.168.1.1")
    assert route(engine, "10.9.1.0/24").next_hop == N1
    learn(engine, 1.0, ("10.9.2.0/24", 1), nh="10.0.12.1")  # our own address: use the source
    assert route(engine, "10.9.2.0/24").next_hop == N1


def test_route_tag_preserved_end_to_end():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1), tag=0xBEEF)
    actions = engine.handle(TimerFired(TIMER_UPDATE), 30.0)
    tags = {str(e.prefix): e.route_tag for _, p in decoded(actions, Command.RESPONSE) for e in p.entries}
    assert tags["10.9.0.0/24"] == 0xBEEF


# --- split horizon (RFC 2453 §3.4.3) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "back"),
    [(SplitHorizon.OFF, 2), (SplitHorizon.SIMPLE, None), (SplitHorizon.POISONED_REVERSE, 16)],
)
def test_split_horizon_modes(mode, back):
    engine = make_engine("r1", IFACES, split_horizon=mode)
    engine.start(0.0)
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = engine.handle(TimerFired(TIMER_UPDATE), 30.0)
    assert advertised(actions, "eth0").get("10.9.0.0/24") == back
    assert advertised(actions, "eth1")["10.9.0.0/24"] == 2
    assert advertised(actions, "eth0")["10.0.23.0/24"] == 1  # local routes are never split


# --- triggered updates (RFC 2453 §3.10.1) ----------------------------------------------------


def test_triggered_update_damping_and_coalescing():
    engine, _ = started(seed=3)
    actions = learn(engine, 10.0, ("10.9.0.0/24", 1))
    assert advertised(actions, "eth1") == {"10.9.0.0/24": 2}  # first change: at once, changed routes only
    assert engine.counters["triggered_updates"] == 2  # start + this one

    actions = learn(engine, 10.5, ("10.9.1.0/24", 1))
    assert not sends(actions)
    hold = timers_of(actions)[TIMER_TRIGGERED]
    assert 11.0 <= hold <= 15.0  # damped by a random 1..5 s from the last triggered update

    actions = learn(engine, 10.7, ("10.9.2.0/24", 1))
    assert not sends(actions) and TIMER_TRIGGERED not in timers_of(actions)

    actions = engine.handle(TimerFired(TIMER_TRIGGERED), hold)
    assert advertised(actions, "eth1") == {"10.9.1.0/24": 2, "10.9.2.0/24": 2}  # one coalesced update
    assert len(sends(actions)) == 2  # one message per interface
    assert engine.counters["triggered_updates"] == 3


def test_damping_intervals_are_random_between_1_and_5():
    holds = set()
    for seed in range(100):
        engine, _ = started(seed)
        learn(engine, 10.0, ("10.9.0.0/24", 1))
        hold = timers_of(learn(engine, 10.0, ("10.9.1.0/24", 1)))[TIMER_TRIGGERED]
        assert 11.0 <= hold <= 15.0
        holds.add(round(hold, 6))
    assert len(holds) > 80


def test_triggered_update_suppressed_when_regular_update_due():
    engine, actions = started()
    due = timers_of(actions)[TIMER_UPDATE]
    learn(engine, due - 0.9, ("10.9.0.0/24", 1))  # sent at once; damping now ends after `due`
    actions = learn(engine, due - 0.8, ("10.9.1.0/24", 1))
    assert not sends(actions) and TIMER_TRIGGERED not in timers_of(actions)
    assert engine.counters["triggered_suppressed"] == 1
    actions = engine.handle(TimerFired(TIMER_UPDATE), due)
    assert advertised(actions, "eth1")["10.9.1.0/24"] == 2


# --- requests (RFC 2453 §3.9.1) --------------------------------------------------------------


def request(*entries: RipEntry) -> bytes:
    return RipPacket(Command.REQUEST, entries=entries).encode()


def test_whole_table_request_answered_unicast_with_split_horizon():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = engine.handle(PacketIn("eth0", N2, request(RipEntry.whole_table()), src_port=520), 2.0)
    ((send, packet),) = decoded(actions)
    assert (send.iface, send.dst, send.dst_port) == ("eth0", N2, 520)
    assert packet.command == Command.RESPONSE
    assert {str(e.prefix): e.metric for e in packet.entries}["10.9.0.0/24"] == 16  # poisoned reverse
    assert engine.counters["requests_received"] == 1


def test_query_from_other_port_gets_reply_to_that_port():
    engine, _ = started()
    src = IPv4Address("10.77.0.9")  # not even connected: diagnostic queries are answered
    actions = engine.handle(PacketIn("eth0", src, request(RipEntry.whole_table()), src_port=40000), 2.0)
    ((send, _),) = decoded(actions)
    assert (send.dst, send.dst_port) == (src, 40000)


def test_specific_request_reports_metrics_without_split_horizon():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1), tag=5)
    q = request(
        RipEntry.route(IPv4Network("10.9.0.0/24"), 16), RipEntry.route(IPv4Network("10.8.0.0/16"), 16)
    )
    actions = engine.handle(PacketIn("eth0", N1, q, src_port=520), 2.0)
    ((send, packet),) = decoded(actions)
    assert send.dst == N1
    assert [(str(e.prefix), e.metric, e.route_tag) for e in packet.entries] == [
        ("10.9.0.0/24", 2, 5),
        ("10.8.0.0/16", 16, 0),
    ]


def test_empty_request_gets_no_response():
    engine, _ = started()
    assert not sends(engine.handle(PacketIn("eth0", N1, request(), src_port=520), 2.0))


def test_large_table_split_into_25_entry_messages():
    engine, _ = started()
    entries = [(f"10.{100 + i // 200}.{i % 200}.0/24", 1) for i in range(60)]
    for i in range(0, 60, 20):
        learn(engine, 1.0, *entries[i : i + 20])
    actions = engine.handle(TimerFired(TIMER_UPDATE), 30.0)
    sizes = [len(p.entries) for s, p in decoded(actions) if s.iface == "eth1"]
    assert sizes == [25, 25, 12]  # 60 learned + 2 connected


# --- interfaces, redistribution, stop, inspect -----------------------------------------------


def test_interface_down_poisons_routes_and_up_requests():
    engine, _ = started()
    learn(engine, 10.0, ("10.9.0.0/24", 1))  # after start's damping, so this one goes out at once
    actions = engine.handle(InterfaceDown("eth0"), 20.0)
    assert route(engine, "10.9.0.0/24").metric == 16
    assert rib_changes(actions)[0].withdrawals == ((IPv4Network("10.9.0.0/24"), RouteProtocol.RIP),)
    assert {s.iface for s in sends(actions)} == {"eth1"}
    assert advertised(actions, "eth1") == {"10.9.0.0/24": 16, "10.0.12.0/24": 16}
    assert any(isinstance(a, Log) and "10.9.0.0/24" in a.message for a in actions)

    actions = engine.handle(PacketIn("eth0", N1, response(("10.9.0.0/24", 1)), src_port=520), 21.0)
    assert engine.drops["interface_down"] == 1

    actions = engine.handle(InterfaceUp("eth0"), 22.0)
    assert [s.iface for s, _ in decoded(actions, Command.REQUEST)] == ["eth0"]
    assert route(engine, "10.0.12.0/24").metric == 1


def test_redistribution_from_rib():
    cfg = RipConfig(
        "r1",
        tuple(RipInterface(n, IPv4Interface(a)) for n, a in IFACES),
        redistribute=frozenset({RouteProtocol.STATIC}),
    )
    engine = RipEngine(cfg, random.Random(1))
    engine.start(0.0)
    static = Route(IPv4Network("192.0.2.0/24"), RouteProtocol.STATIC, 0, frozenset({NextHop(None, "eth1")}))
    ospf = Route(IPv4Network("198.51.100.0/24"), RouteProtocol.OSPF, 20, frozenset({NextHop(N1, "eth0")}))
    actions = engine.handle(RibChanged((static, ospf)), 10.0)
    assert advertised(actions) == {"192.0.2.0/24": 1}
    assert not rib_changes(actions)
    learn(engine, 11.0, ("192.0.2.0/24", 1))  # our own origination wins
    assert route(engine, "192.0.2.0/24").source is None
    actions = engine.handle(RibChanged((ospf,)), 20.0)
    assert route(engine, "192.0.2.0/24").metric == 16


def test_stop_sends_poisoned_update_and_withdraws():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1))
    actions = engine.stop(5.0)
    assert set(advertised(actions, "eth1").values()) == {16}
    assert rib_changes(actions)[0].withdrawals == ((IPv4Network("10.9.0.0/24"), RouteProtocol.RIP),)
    assert CancelTimer(TIMER_UPDATE) in actions
    assert engine.handle(TimerFired(TIMER_UPDATE), 30.0) == []


def test_inspect_is_json_ready():
    engine, _ = started()
    learn(engine, 1.0, ("10.9.0.0/24", 1), tag=3)
    data = json.loads(json.dumps(engine.inspect(11.0)))
    r = next(r for r in data["routes"] if r["prefix"] == "10.9.0.0/24")
    assert r == {
        "prefix": "10.9.0.0/24",
        "metric": 2,
        "next_hop": "10.0.12.2",
        "source": "10.0.12.2",
        "origin": "rip",
        "interface": "eth0",
        "age": 10.0,
        "state": "valid",
        "route_tag": 3,
        "expires_in": 170.0,
        "gc_in": None,
        "deletion_reason": None,
    }
    assert data["neighbors"][0]["address"] == "10.0.12.2" and data["neighbors"][0]["packets"] == 1
    assert data["counters"]["responses_received"] == 1


def test_configured_neighbors_get_unicast_and_passive_interfaces_stay_silent():
    engine = RipEngine(
        RipConfig(
            "r1",
            (
                RipInterface("eth0", IPv4Interface("10.0.12.1/24"), neighbors=(N1, N2)),
                RipInterface("stub", IPv4Interface("10.5.0.1/24"), passive=True),
            ),
        ),
        random.Random(1),
    )
    actions = engine.start(0.0)
    assert {(s.iface, s.dst) for s in sends(actions)} == {("eth0", N1), ("eth0", N2)}
    assert advertised(actions) == {"10.0.12.0/24": 1, "10.5.0.0/24": 1}
    # The passive interface still learns, and ignores Requests from port 520.
    learn(engine, 1.0, ("10.9.0.0/24", 1), src=IPv4Address("10.5.0.9"), iface="stub")
    assert route(engine, "10.9.0.0/24").metric == 2
    q = RipPacket(Command.REQUEST, entries=(RipEntry.whole_table(),)).encode()
    assert not sends(engine.handle(PacketIn("stub", IPv4Address("10.5.0.9"), q, src_port=520), 2.0))


def test_unknown_interface_events_are_ignored():
    engine, _ = started()
    assert engine.handle(InterfaceDown("nope"), 1.0) == []
    assert engine.handle(TimerFired(("other", "timer")), 1.0) == []


def test_restart_after_stop_rearms_timers():
    engine, _ = started()
    engine.stop(1.0)
    actions = engine.start(2.0)
    assert 27.0 <= timers_of(actions)[TIMER_UPDATE] <= 37.0
    assert decoded(actions, Command.REQUEST)


def test_non_default_port_for_loopback_labs():
    cfg = RipConfig("r1", (RipInterface("eth0", IPv4Interface("10.0.12.1/24")),), port=5520)
    engine = RipEngine(cfg, random.Random(1))
    assert {s.dst_port for s in sends(engine.start(0.0))} == {5520}
    learn(engine, 1.0, ("10.9.0.0/24", 1), port=520)
    assert route(engine, "10.9.0.0/24") is None and engine.drops["source_port"] == 1
    learn(engine, 1.0, ("10.9.0.0/24", 1), port=5520)
    assert route(engine, "10.9.0.0/24").metric == 2
