"""Several engines on in-memory links: convergence, failures, count-to-infinity (RFC 2453 §3.4)."""

from __future__ import annotations

import pytest
from rip_harness import Net, make_engine

from routesim.proto.base import InterfaceDown, RoutesChanged, Send
from routesim.proto.rip import SplitHorizon
from routesim.proto.rip.engine import TIMER_UPDATE
from routesim.wire.rip import Command, RipPacket


def line(split_horizon: SplitHorizon = SplitHorizon.POISONED_REVERSE, seed: int = 0) -> Net:
    """a --10.0.12.0/24-- b --10.0.23.0/24-- c, each with a passive stub 10.{1,2,3}.0.0/24."""
    net = Net()
    kw = {"split_horizon": split_horizon}
    net.add(make_engine("a", [("eth0", "10.0.12.1/24"), ("stub", "10.1.0.1/24")], seed=seed + 1, **kw))
    net.add(
        make_engine(
            "b",
            [("eth0", "10.0.12.2/24"), ("eth1", "10.0.23.2/24"), ("stub", "10.2.0.1/24")],
            seed=seed + 2,
            **kw,
        )
    )
    net.add(make_engine("c", [("eth0", "10.0.23.3/24"), ("stub", "10.3.0.1/24")], seed=seed + 3, **kw))
    net.connect(("a", "eth0"), ("b", "eth0"))
    net.connect(("b", "eth1"), ("c", "eth0"))
    net.start()
    return net


def rib(net: Net, router: str) -> dict[str, tuple[int, str]]:
    """Replay the router's RoutesChanged into a RIB view: prefix -> (metric, gateway)."""
    out: dict[str, tuple[int, str]] = {}
    for _, r, a in net.trace:
        if r == router and isinstance(a, RoutesChanged):
            for p, _proto in a.withdrawals:
                out.pop(str(p), None)
            for route in a.upserts:
                (nh,) = route.next_hops
                out[str(route.prefix)] = (route.metric, str(nh.gateway))
    return out


def test_line_converges_within_seconds():
    net = line()
    net.run_until(10.0)
    assert net.table("a")["10.3.0.0/24"] == (3, "10.0.12.2")
    assert net.table("a")["10.0.23.0/24"] == (2, "10.0.12.2")
    assert net.table("c")["10.1.0.0/24"] == (3, "10.0.23.2")
    assert rib(net, "a") == {
        "10.0.23.0/24": (2, "10.0.12.2"),
        "10.2.0.0/24": (2, "10.0.12.2"),
        "10.3.0.0/24": (3, "10.0.12.2"),
    }
    assert rib(net, "b") == {"10.1.0.0/24": (2, "10.0.12.1"), "10.3.0.0/24": (2, "10.0.23.3")}
    for name in "abc":  # nothing learned into the RIB is unreachable, and nothing was dropped
        assert net.engines[name].counters["bad_packets"] == 0


def test_triangle_reroutes_after_link_failure():
    net = Net()
    net.add(
        make_engine("a", [("ab", "10.0.12.1/24"), ("ac", "10.0.13.1/24"), ("stub", "10.1.0.1/24")], seed=1)
    )
    net.add(
        make_engine("b", [("ab", "10.0.12.2/24"), ("bc", "10.0.23.2/24"), ("stub", "10.2.0.1/24")], seed=2)
    )
    net.add(
        make_engine("c", [("ac", "10.0.13.3/24"), ("bc", "10.0.23.3/24"), ("stub", "10.3.0.1/24")], seed=3)
    )
    ab = net.connect(("a", "ab"), ("b", "ab"))
    net.connect(("a", "ac"), ("c", "ac"))
    net.connect(("b", "bc"), ("c", "bc"))
    net.start()
    net.run_until(40.0)
    assert net.table("a")["10.2.0.0/24"] == (2, "10.0.12.2")
    ab.up = False
    net.feed("a", InterfaceDown("ab"))
    net.feed("b", InterfaceDown("ab"))
    net.run_until(60.0)
    assert net.table("a")["10.2.0.0/24"] == (3, "10.0.13.3")
    assert rib(net, "a")["10.2.0.0/24"] == (3, "10.0.13.3")
    assert rib(net, "b")["10.1.0.0/24"] == (3, "10.0.23.3")


def _fail_b_c_with_lost_poison(net: Net) -> float:
    """Break b-c; b's triggered update announcing 10.3.0.0/24 at 16 is lost on its way to a."""
    net.run_until(60.0)
    assert net.table("a")["10.3.0.0/24"] == (3, "10.0.12.2")
    t = net.now
    ab, bc = net.links
    bc.up = False
    ab.lose_from["b"] = t + 0.5
    net.feed("b", InterfaceDown("eth1"))
    return t


def test_count_to_infinity_without_split_horizon():
    net = line(SplitHorizon.OFF)
    t = _fail_b_c_with_lost_poison(net)
    net.run_until(t + 400.0)
    # a still advertises 10.3.0.0/24 at 3 back to b; b believes it (4), a follows b (5), ...
    events = sorted(
        (when, new)
        for router in "ab"
        for when, r, a in net.trace
        if r == router
        and when >= t
        and getattr(a, "fields", None)
        and dict(a.fields).get("prefix") == "10.3.0.0/24"
        and (new := dict(a.fields).get("new_metric")) is not None
    )
    reachable = [m for _, m in events if m < 16]
    assert reachable == list(range(4, 16))  # counting to infinity, one step at a time
    assert net.metric_log("b", "10.3.0.0/24", since=t)[0] == 16
    assert "10.3.0.0/24" not in net.table("a") and "10.3.0.0/24" not in net.table("b")
    assert "10.3.0.0/24" not in rib(net, "a")


@pytest.mark.parametrize("mode", [SplitHorizon.POISONED_REVERSE, SplitHorizon.SIMPLE])
def test_split_horizon_prevents_the_count(mode):
    net = line(mode)
    t = _fail_b_c_with_lost_poison(net)
    net.run_until(t + 40.0)  # within one (jittered) update interval
    assert net.metric_log("b", "10.3.0.0/24", since=t) == [16]
    assert net.metric_log("a", "10.3.0.0/24", since=t) == [16]
    assert "10.3.0.0/24" not in rib(net, "a")


def test_poisoned_reverse_seen_on_the_wire():
    net = line()
    net.run_until(40.0)
    sent = [
        RipPacket.decode(a.data)
        for when, r, a in net.trace
        if r == "a" and isinstance(a, Send) and a.iface == "eth0" and when > 10.0
    ]
    back = {str(e.prefix): e.metric for p in sent if p.command == Command.RESPONSE for e in p.entries}
    assert back["10.3.0.0/24"] == 16 and back["10.1.0.0/24"] == 1


def test_runs_are_deterministic_per_seed():
    def fingerprint(seed: int):
        net = line(seed=seed)
        net.run_until(100.0)
        return [(round(w, 9), r, type(a).__name__) for w, r, a in net.trace]

    assert fingerprint(5) == fingerprint(5)
    assert fingerprint(5) != fingerprint(6)


def test_periodic_updates_keep_routes_alive_for_hours():
    net = line()
    net.run_until(4 * 3600.0)
    assert net.table("a")["10.3.0.0/24"] == (3, "10.0.12.2")
    assert net.engines["a"].counters["periodic_updates"] > 400
    assert net.timers["a"][TIMER_UPDATE] > 4 * 3600.0
