"""The RFC 4271 §8 FSM: every state, the three timers, negotiated hold, unexpected messages."""

from __future__ import annotations

import itertools

import pytest
from bgp_harness import KEEPALIVE, Net, Raw, ip, make, nbr, two_ebgp

from routesim.proto.base import OpenConnection, SessionEvent, TcpDown, TcpUp
from routesim.proto.bgp import BgpEvent, BgpState, TcpData
from routesim.proto.bgp.fsm import OTHER, TRANSITIONS, FsmAction, describe_table, transition
from routesim.wire.bgp import Keepalive, Open, Update

PEER = "10.0.1.2"


def transitions(node_or_raw, peer: str) -> list[tuple[str, str]]:
    acts = node_or_raw.actions
    return [(a.old, a.new) for a in acts if isinstance(a, SessionEvent) and a.peer == peer]


def test_table_covers_every_state_and_missing_cells_are_deliberate():
    for state in BgpState:
        assert state in OTHER
        for event in BgpEvent:
            action, nxt = transition(state, event)
            assert isinstance(action, FsmAction) and isinstance(nxt, BgpState)
    assert transition(BgpState.IDLE, BgpEvent.KEEPALIVE_MSG) == (FsmAction.IGNORE, BgpState.IDLE)
    assert transition(BgpState.OPEN_SENT, BgpEvent.KEEPALIVE_MSG) == (FsmAction.FSM_ERROR, BgpState.IDLE)
    assert transition(BgpState.CONNECT, BgpEvent.BGP_OPEN) == (FsmAction.DROP, BgpState.IDLE)
    assert "OpenConfirm | 26 KEEPALIVE_MSG | establish | Established" in describe_table()
    assert len(TRANSITIONS) > 50


def test_session_walks_idle_connect_opensent_openconfirm_established():
    n = two_ebgp()
    n.start()
    n.run(0.5)
    seq = transitions(n.nodes["r1"], "10.0.0.2")
    assert seq[:2] == [("Idle", "Connect"), ("Connect", "OpenSent")]
    assert ("OpenSent", "OpenConfirm") in seq and seq[-1] == ("OpenConfirm", "Established")
    assert n.nodes["r1"].state("10.0.0.2") == n.nodes["r2"].state("10.0.0.1") == "Established"


def test_start_connects_at_once_and_arms_jittered_connect_retry():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002)], connect_retry=120.0))
    assert OpenConnection(ip(PEER), None) in r.actions
    deadlines = r.engine.peers[ip(PEER)].session.deadlines()
    assert 90.0 <= deadlines["connect_retry"] <= 120.0  # RFC 4271 §10: x [0.75, 1]
    assert r.state(PEER) == "Connect"


def test_connect_retry_after_refused_connection_goes_active_then_connect_again():
    n = two_ebgp()
    n.refuse.add(frozenset(("r1", "r2")))
    n.start("r1")
    n.run(0.1)
    node = n.nodes["r1"]
    assert node.state("10.0.0.2") == "Active"  # TCP failed in Connect -> Active (fsm.py choice)
    retry = node.engine.peers[ip("10.0.0.2")].session.deadlines()["connect_retry"]
    assert 3.75 <= retry <= 5.0
    opens = sum(isinstance(a, OpenConnection) for a in node.actions)
    n.run(retry)
    assert sum(isinstance(a, OpenConnection) for a in node.actions) == opens + 1
    assert ("Active", "Connect") in transitions(node, "10.0.0.2")


def test_passive_neighbor_waits_in_active_without_connecting():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    assert r.state(PEER) == "Active"
    assert not any(isinstance(a, OpenConnection) for a in r.actions)
    assert "connect_retry" not in r.engine.peers[ip(PEER)].session.deadlines()


def test_opensent_hold_timer_is_the_large_value_and_expiry_sends_4_0():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    r.connect(PEER)
    assert r.state(PEER) == "OpenSent"
    session = r.engine.peers[ip(PEER)].session
    assert session.deadlines()["hold"] == 240.0  # RFC 4271 §8.2.2: 4 minutes
    r.now = 240.0
    r.handle(__import__("routesim.proto.base", fromlist=["TimerFired"]).TimerFired(session._key("hold")))
    assert [(n.code, n.subcode) for n in r.notifications(PEER)] == [(4, 0)]
    assert r.state(PEER) == "Idle"


def test_negotiated_hold_is_the_minimum_and_keepalive_a_third():
    n = Net()
    n.add(
        "r1", make(65001, "1.1.1.1", [nbr("10.0.0.2", 65002)], hold_time=30.0, keepalive=10.0), ["10.0.0.1"]
    )
    n.add("r2", make(65002, "2.2.2.2", [nbr("10.0.0.1", 65001)], hold_time=9.0, keepalive=60.0), ["10.0.0.2"])
    n.start()
    n.run(0.5)
    for name, peer in (("r1", "10.0.0.2"), ("r2", "10.0.0.1")):
        s = n.nodes[name].engine.peers[ip(peer)].established
        assert s is not None and s.hold_time == 9.0 and s.keepalive_time == 3.0
    info = n.nodes["r1"].engine.inspect(n.now)["neighbors"][0]
    assert info["hold_time"] == 9.0 and info["state"] == "Established"


def test_keepalive_cadence_follows_the_keepalive_interval():
    n = two_ebgp(hold=9.0, keepalive=3.0)
    n.start()
    n.run(0.5)
    start = n.now
    n.run(start + 20.0)
    times = [t for t, a, _, data in n.wire if a == "r1" and data == Keepalive().encode() and t > start]
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert len(times) >= 6 and set(gaps) == {3.0}
    assert n.nodes["r1"].state("10.0.0.2") == "Established"


def test_hold_timer_expiry_sends_4_0_and_restarts_after_idle_hold():
    n = two_ebgp(hold=9.0, keepalive=3.0)
    n.start()
    n.run(0.5)
    n.cut.add(frozenset(("r1", "r2")))
    cut_at = n.now
    n.run(cut_at + 9.5)
    r1 = n.nodes["r1"]
    assert (4, 0) in [(x.code, x.subcode) for x in n.notifications("r1")]
    assert ("Established", "Idle") in transitions(r1, "10.0.0.2")
    n.cut.clear()
    n.run(n.now + 6.0)  # within one ConnectRetry interval (5 s x [0.75, 1])
    assert r1.state("10.0.0.2") == "Established"  # automatic restart (IdleHoldTimer, event 13)


def test_hold_time_zero_means_no_keepalives_and_no_hold_timer():
    n = two_ebgp(hold=0.0)
    n.start()
    n.run(0.5)
    s = n.nodes["r1"].engine.peers[ip("10.0.0.2")].established
    assert s is not None and s.hold_time == 0 and s.keepalive_time == 0
    assert s.deadlines() == {}
    sent = len(n.wire)
    n.run(1000.0)
    assert len(n.wire) == sent and n.nodes["r1"].state("10.0.0.2") == "Established"


@pytest.mark.parametrize(
    ("setup", "message", "subcode"),
    [
        ("opensent", Keepalive().encode(), 1),
        ("openconfirm", Update().encode(), 2),
        ("established", Open.for_speaker(65002, 90, ip("2.2.2.2")).encode(), 3),
    ],
)
def test_unexpected_message_is_fsm_error_with_rfc6608_subcode(setup, message, subcode):
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    conn = r.connect(PEER)
    if setup != "opensent":
        r.handle(TcpData(conn, Open.for_speaker(65002, 90, ip("2.2.2.2")).encode()))
    if setup == "established":
        r.handle(TcpData(conn, KEEPALIVE.encode()))
    r.handle(TcpData(conn, message))
    assert [(x.code, x.subcode) for x in r.notifications(PEER)] == [(5, subcode)]
    assert r.state(PEER) == "Idle"


def test_notification_received_drops_to_idle_and_is_logged_by_name():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    r.establish(PEER, 65002, "2.2.2.2")
    from routesim.wire.bgp import Notification

    r.send(PEER, Notification(6, 2).encode())
    assert r.state(PEER) == "Idle"
    assert any("NOTIFICATION received: CEASE/ADMINISTRATIVE_SHUTDOWN" in m for m in r.logs())
    assert r.engine.inspect(1.0)["neighbors"][0]["last_error"] == "received CEASE/ADMINISTRATIVE_SHUTDOWN"


def test_tcp_down_in_established_goes_idle_and_idle_refuses_connections():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)], idle_hold_time=5.0))
    conn = r.establish(PEER, 65002, "2.2.2.2")
    r.handle(TcpDown(ip(PEER), conn, "reset"))
    assert r.state(PEER) == "Idle"
    acts = r.handle(TcpUp(ip(PEER), "late", ip("10.0.1.1"), passive=True))
    assert any(getattr(a, "conn", None) == "late" and type(a).__name__ == "CloseConnection" for a in acts)


def test_unknown_peer_connection_is_refused():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    acts = r.handle(TcpUp(ip("10.9.9.9"), "x", ip("10.9.9.1"), passive=True))
    assert [type(a).__name__ for a in acts if type(a).__name__ == "CloseConnection"] == ["CloseConnection"]


def test_stop_sends_cease_admin_shutdown_and_reset_sends_admin_reset():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    r.establish(PEER, 65002, "2.2.2.2")
    r._apply(r.engine.reset_peer(ip(PEER), 1.0))
    assert [(x.code, x.subcode) for x in r.notifications(PEER)] == [(6, 4)]
    assert r.state(PEER) == "Active"  # passive peer restarted at once
    r.establish(PEER, 65002, "2.2.2.2")
    r._apply(r.engine.stop(2.0))
    assert [(x.code, x.subcode) for x in r.notifications(PEER)][-1] == (6, 2)


def test_every_fsm_action_has_a_session_method():
    from routesim.proto.bgp.session import _ACTION_METHODS, Session

    for action in FsmAction:
        if action is FsmAction.IGNORE:  # handled before dispatch
            continue
        assert callable(getattr(Session, _ACTION_METHODS[action]))
