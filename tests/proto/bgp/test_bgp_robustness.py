"""Hostile input never crashes the engine; session corner cases (second connection, stop)."""

from __future__ import annotations

from bgp_harness import KEEPALIVE, Raw, attrs, ip, make, nbr, net
from hypothesis import given, settings
from hypothesis import strategies as st

from routesim.proto.base import RoutesChanged, SessionEvent, TcpDown, TcpUp
from routesim.proto.bgp import TcpData
from routesim.wire.bgp import Open

PEER, OTHER = "10.0.1.2", "10.0.2.2"


def established() -> Raw:
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True), nbr(OTHER, 65003, passive=True)]))
    r.establish(PEER, 65002, "2.2.2.2")
    r.establish(OTHER, 65003, "3.3.3.3")
    return r


messages = st.one_of(
    st.binary(max_size=200),
    st.tuples(st.integers(1, 6), st.binary(max_size=120)).map(
        lambda tb: b"\xff" * 16 + (19 + len(tb[1])).to_bytes(2, "big") + bytes((tb[0],)) + tb[1]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(messages, min_size=1, max_size=4))
def test_random_bytes_never_raise(chunks):
    r = established()
    for chunk in chunks:
        r.send(PEER, chunk)
    assert r.state(PEER) in ("Established", "Idle")
    assert r.state(OTHER) == "Established"
    for note in r.notifications(PEER):
        assert 1 <= note.code <= 7


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=60), st.integers(0, 59))
def test_random_update_bodies_are_handled(body, cut):
    r = established()
    msg = b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body
    r.send(PEER, msg[:cut])
    r.send(PEER, msg[cut:])
    assert r.state(PEER) in ("Established", "Idle")


def test_connection_lost_in_opensent_goes_active():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    conn = r.connect(PEER)
    r.handle(TcpDown(ip(PEER), conn))
    assert r.state(PEER) == "Active"  # RFC 4271 §8.2.2 OpenSent, event 18


def test_second_connection_established_first_takes_over():
    r = Raw(make(65001, "1.1.1.1", [nbr(PEER, 65002, passive=True)]))
    first = r.connect(PEER)  # the peer never answers on this one
    r.handle(TcpUp(ip(PEER), "second", ip("10.0.1.1"), passive=True))
    r.handle(TcpData("second", Open.for_speaker(65002, 90, ip("2.2.2.2")).encode() + KEEPALIVE.encode()))
    assert r.state(PEER) == "Established"
    events = [a for a in r.actions if isinstance(a, SessionEvent)]
    assert (events[-1].old, events[-1].new) == ("OpenSent", "Established")
    # Now the first connection's OPEN arrives: it collides with Established and is dumped (6/7).
    acts = r.handle(TcpData(first, Open.for_speaker(65002, 90, ip("2.2.2.2")).encode()))
    assert r.state(PEER) == "Established"
    sent = [a for a in acts if getattr(a, "conn", None) == first and type(a).__name__ == "Send"]
    assert sent and sent[0].data[19:21] == b"\x06\x07"


def test_stop_withdraws_every_learned_route():
    r = established()
    r.update(PEER, ["192.0.2.0/24"], attrs(65002, next_hop=PEER))
    assert net("192.0.2.0/24") in r.rib
    acts = r._apply(r.engine.stop(5.0))
    assert any(isinstance(a, RoutesChanged) and a.withdrawals for a in acts)
    assert r.rib == {}
    assert r.engine.handle(TcpUp(ip(PEER), "late", None), 6.0)[0].conn == "late"  # closed after stop


def test_shutdown_keeps_the_peer_idle_until_enabled():
    r = established()
    r._apply(r.engine.shutdown_peer(ip(PEER), 1.0))
    assert [(x.code, x.subcode) for x in r.notifications(PEER)] == [(6, 2)]
    assert r.state(PEER) == "Idle" and r.engine.peers[ip(PEER)].session.deadlines() == {}
    r._apply(r.engine.enable_peer(ip(PEER), 2.0))
    assert r.state(PEER) == "Active"
