"""RFC 8405 SPF back-off: the state machine alone, then what it does to an engine's SPF runs."""

from __future__ import annotations

import pytest
from ospf_harness import Net, engine, iface

from routesim.proto.base import InterfaceDown, InterfaceUp
from routesim.proto.ospf.config import OspfTimers
from routesim.proto.ospf.spf_backoff import BackoffState, SpfBackoff

T = OspfTimers(
    spf_delay=0.05, spf_short_delay=0.2, spf_long_delay=2.0, spf_time_to_learn=1.0, spf_holddown=5.0
)


def test_first_event_of_a_quiet_period_gets_the_initial_delay_then_short_then_long():
    b = SpfBackoff(T)
    assert b.state(0.0) is BackoffState.QUIET
    assert b.event(10.0) == 0.05  # transition 1: QUIET -> SHORT_WAIT
    assert b.state(10.0) is BackoffState.SHORT_WAIT
    assert b.event(10.5) == 0.2  # transition 2
    assert b.state(11.0) is BackoffState.LONG_WAIT  # transition 3: TIME_TO_LEARN after the first
    assert b.event(11.2) == 2.0  # transition 4
    assert b.event(15.0) == 2.0  # every event restarts the holddown
    assert b.state(19.9) is BackoffState.LONG_WAIT
    assert b.state(20.0) is BackoffState.QUIET  # transition 5: HOLDDOWN without an event
    assert b.event(20.0) == 0.05


def test_holddown_expiring_in_short_wait_goes_back_to_quiet():
    b = SpfBackoff(OspfTimers(spf_time_to_learn=10.0, spf_holddown=2.0))
    b.event(0.0)
    assert b.state(1.9) is BackoffState.SHORT_WAIT
    assert b.state(2.0) is BackoffState.QUIET  # transition 6


@pytest.mark.parametrize(
    "kw",
    [{"spf_delay": -1.0}, {"spf_long_delay": -0.1}, {"spf_time_to_learn": 0.0}, {"spf_holddown": 0.0}],
)
def test_bad_back_off_timers_are_refused(kw):
    with pytest.raises(ValueError):
        OspfTimers(**kw)


def _pair(timers: OspfTimers) -> Net:
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("e0", "10.0.12.1/24"), timers=timers))
    net.add(
        "r2",
        engine(
            "2.2.2.2", iface("e0", "10.0.12.2/24"), iface("lo", "10.2.0.1/24", passive=True), timers=timers
        ),
    )
    net.link(("r1", "e0"), ("r2", "e0"))
    net.start()
    net.run_for(15)
    assert "10.2.0.0/24" in net.routes("r1")
    return net


def test_a_flapping_stub_makes_spf_back_off_and_a_lone_change_after_quiet_is_fast():
    timers = OspfTimers(
        spf_delay=0.05,
        min_ls_interval=0.1,
        min_ls_arrival=0.0,
        spf_short_delay=0.2,
        spf_long_delay=2.0,
        spf_time_to_learn=0.5,
        spf_holddown=4.0,
    )
    net = _pair(timers)
    r1 = net.engines["r1"]
    before = r1.counters["spf_runs"]
    # r2's stub flaps every 100 ms for 6 s: r1 gets a new router-LSA every time
    t0 = net.now
    for i in range(60):
        net.feed("r2", InterfaceDown("lo") if i % 2 == 0 else InterfaceUp("lo"))
        net.run_for(0.1)
    runs = r1.counters["spf_runs"] - before
    # without back-off an SPF every ~0.15 s (40 runs); with it: 1 initial, a few short, then one per
    # LONG_SPF_DELAY
    assert 3 <= runs <= 8, runs
    assert r1.inspect(net.now)["spf"]["state"] == "long-wait"
    # quiet for the holddown: the next change is computed after the initial delay
    net.run_for(6)
    assert r1.inspect(net.now)["spf"]["state"] == "quiet"
    n = r1.counters["spf_runs"]
    net.feed("r2", InterfaceDown("lo"))
    t1 = net.now
    net.run(t1 + 0.5)
    assert r1.counters["spf_runs"] == n + 1
    assert "10.2.0.0/24" not in net.routes("r1")
    assert net.now - t0 > 6
