"""MinRouteAdvertisementIntervalTimer (RFC 4271 §9.2.1.1): per-peer rate limiting of UPDATEs.

One engine (AS 65001) learns routes from E1 (AS 65002, no MRAI) and passes them to E2 (AS 65003)
whose ``min_route_advertisement`` is 30 s; the fake clock jumps straight to the timer's deadline.
"""

from __future__ import annotations

from typing import Any

import pytest
from bgp_harness import Raw, attrs, ip, make, nbr, pfx

from routesim.proto.base import ArmTimer, CancelTimer, Send, TcpDown, TimerFired
from routesim.proto.bgp import BgpNeighbor
from routesim.wire.bgp import RouteRefresh, Update

E1, E2 = "10.0.1.2", "10.0.2.2"
P, Q = "192.0.2.0/24", "198.51.100.0/24"
MRAI = 30.0


def hub(mrai: float = MRAI, *, establish_e2: bool = True) -> Raw:
    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [nbr(E1, 65002, passive=True), nbr(E2, 65003, passive=True, min_route_advertisement=mrai)],
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    if establish_e2:
        r.establish(E2, 65003, "3.3.3.3")
    return r


def mrai_timer(r: Raw, peer: str = E2, since: int = 0) -> tuple[Any, float] | None:
    """The peer's running MRAI timer (key, deadline), checked against the driver's ArmTimer."""
    deadline = r.engine.peers[ip(peer)].session.mrai_deadline
    if deadline is None:
        return None
    arms = [
        a for a in r.actions[since:] if isinstance(a, ArmTimer) and a.key[1] == peer and a.key[3] == "mrai"
    ]
    assert arms and arms[-1].at == deadline
    return arms[-1].key, deadline


def fire(r: Raw, peer: str = E2) -> None:
    timer = mrai_timer(r, peer)
    assert timer is not None, "no MRAI timer armed"
    key, at = timer
    r.now = at
    r.handle(TimerFired(key))


def updates(r: Raw, since: int) -> list[Update]:
    return [m for m in r.sent(E2, since) if isinstance(m, Update)]


def neighbor(r: Raw, peer: str = E2) -> dict[str, Any]:
    return next(n for n in r.engine.inspect(r.now)["neighbors"] if n["address"] == peer)


def test_first_update_after_established_is_immediate_and_arms_the_jittered_timer():
    r = hub(establish_e2=False)
    r.update(E1, [P], attrs(65002, next_hop=E1))
    r.now = 100.0
    before = len(r.actions)
    r.establish(E2, 65003, "3.3.3.3")
    [upd] = updates(r, before)
    assert upd.nlri == (pfx(P),) and upd.as_path.asns == (65001, 65002)
    timer = mrai_timer(r, since=before)
    assert timer is not None
    assert 100.0 + 0.75 * MRAI <= timer[1] <= 100.0 + MRAI  # RFC 4271 §10 jitter
    assert neighbor(r)["mrai"] == MRAI and neighbor(r)["mrai_pending"] == 0


def test_a_burst_of_changes_goes_out_once_at_expiry_with_the_final_route():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))  # the first advertisement: at once
    assert [u.nlri for u in updates(r, 0)] == [(pfx(P),)]
    before = len(r.actions)
    for last in (64500, 64501, 64502):
        r.now += 1.0
        r.update(E1, [P], attrs(65002, last, next_hop=E1))
    assert updates(r, before) == []  # held while the timer runs
    info = neighbor(r)
    assert info["mrai_pending"] == 1 and info["mrai_expires_in"] is not None
    fire(r)
    [upd] = updates(r, before)
    assert upd.nlri == (pfx(P),) and upd.as_path.asns == (65001, 65002, 64502)
    assert neighbor(r)["mrai_pending"] == 0


def test_withdrawals_wait_for_the_timer_too():
    """RFC 4271 §9.2.1.1 rate-limits "advertisement and/or withdrawal" (RFC 1771 exempted withdrawals)."""
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    before = len(r.actions)
    r.update(E1, withdrawn=[P])
    assert updates(r, before) == []
    fire(r)
    [upd] = updates(r, before)
    assert upd.withdrawn == (pfx(P),) and upd.nlri == ()


def test_announced_and_withdrawn_during_the_wait_is_never_sent():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    before = len(r.actions)
    r.update(E1, [Q], attrs(65002, next_hop=E1))
    r.update(E1, withdrawn=[Q])
    fire(r)
    assert updates(r, before) == []  # the peer never saw Q: nothing to withdraw either
    assert mrai_timer(r) is None  # nothing sent at expiry: the timer is not restarted


def test_several_prefixes_held_go_out_together_and_a_quiet_interval_frees_the_next_change():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    before = len(r.actions)
    r.update(E1, [Q], attrs(65002, next_hop=E1))
    r.update(E1, withdrawn=[P])
    fire(r)
    sent = updates(r, before)
    assert [(u.withdrawn, u.nlri) for u in sent] == [((pfx(P),), ()), ((), (pfx(Q),))]
    assert len([a for a in r.actions[before:] if isinstance(a, Send) and a.conn == r.conn[ip(E2)]]) == 1
    fire(r)  # the timer restarted with that send; nothing waits when it expires
    assert mrai_timer(r) is None
    before = len(r.actions)
    r.now += 100.0
    r.update(E1, [P], attrs(65002, next_hop=E1))
    assert [u.nlri for u in updates(r, before)] == [(pfx(P),)]  # no timer running: at once


def test_session_down_cancels_the_timer_and_forgets_what_it_held():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    key, _ = mrai_timer(r)
    r.update(E1, [P], attrs(65002, 64500, next_hop=E1))
    assert neighbor(r)["mrai_pending"] == 1
    before = len(r.actions)
    r.handle(TcpDown(ip(E2), r.conn[ip(E2)]))
    assert CancelTimer(key) in r.actions[before:]
    assert mrai_timer(r) is None and neighbor(r)["mrai_pending"] == 0
    # A stale expiry (the driver raced the cancel) does nothing.
    r.handle(TimerFired(key))
    # The next session starts afresh: its first UPDATE goes at once, with the current route.
    r.now = 50.0
    r.handle(TimerFired(("bgp", E2, key[2], "idle_hold")))  # automatic restart (passive: Active)
    before = len(r.actions)
    r.establish(E2, 65003, "3.3.3.3")
    [upd] = updates(r, before)
    assert upd.nlri == (pfx(P),) and upd.as_path.asns == (65001, 65002, 64500)


def test_route_refresh_while_held_resends_what_the_peer_has_and_keeps_the_change_held():
    r = hub()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    r.update(E1, [P], attrs(65002, 64500, next_hop=E1))
    before = len(r.actions)
    r.send(E2, RouteRefresh().encode())
    [upd] = updates(r, before)
    assert upd.as_path.asns == (65001, 65002)  # the Adj-RIB-Out as sent
    fire(r)
    assert updates(r, before)[-1].as_path.asns == (65001, 65002, 64500)


def test_interval_zero_sends_every_change_at_once_and_arms_no_timer():
    r = hub(mrai=0.0)
    before = len(r.actions)
    for last in (64500, 64501, 64502):
        r.update(E1, [P], attrs(65002, last, next_hop=E1))
    assert [u.as_path.asns[-1] for u in updates(r, before)] == [64500, 64501, 64502]
    assert mrai_timer(r) is None
    assert neighbor(r)["mrai"] == 0 and neighbor(r)["mrai_pending"] == 0


def test_negative_interval_is_rejected():
    with pytest.raises(ValueError, match="min_route_advertisement"):
        BgpNeighbor(address=ip(E2), remote_as=65003, min_route_advertisement=-1.0)
