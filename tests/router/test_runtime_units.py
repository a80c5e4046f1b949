"""Runtime pieces without sockets: the FIB write's event-log entry, who is offered the RIB, and how
engine timers become loop timers."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, IPv4Network

from routesim.proto.base import ArmTimer, CancelTimer, NextHop, RibChanged, Route, RouteProtocol
from routesim.router.config import RouterConfig
from routesim.router.runtime import FIB_LOG_SAMPLE, Router


def _router(tmp_path) -> Router:
    cfg = RouterConfig("r1", IPv4Address("1.1.1.1"), None, (), event_log=str(tmp_path / "e.jsonl"))
    return Router(cfg)


def _in_loop(r: Router, body) -> None:
    """Run ``await body(loop)`` in a fresh event loop that ``r`` uses as its own."""

    async def run():
        r._loop = asyncio.get_running_loop()
        await body(r._loop)

    asyncio.run(run())


class FakeBatch:
    def apply(self, changes):
        return [0] * len(changes)


def test_a_large_fib_write_is_one_bounded_log_entry(tmp_path):
    r = _router(tmp_path)
    hop = frozenset({NextHop(IPv4Address("10.0.0.2"), "e0")})
    routes = [Route(IPv4Network((0x0A000000 + (i << 8), 24)), RouteProtocol.OSPF, 1, hop) for i in range(500)]

    async def body(loop):
        r._fib_batch = FakeBatch()
        r.rib.update("ospf", 0.0, upserts=routes)
        r._fib_dirty = True
        await r._sync_fib()

    _in_loop(r, body)
    (entry,) = [e for e in r.events.entries if e["kind"] == "fib"]
    assert entry["replaced"] == 500 and entry["deleted"] == 0
    assert entry["replace"] == [str(rt.prefix) for rt in routes[:FIB_LOG_SAMPLE]]
    assert r.counters["fib_installs"] == 500 and r.rib.fib_diff() == []
    r.events.close()


class Engine:
    def __init__(self, name, wants):
        self.name, self.seen = name, []
        if wants is not None:
            self.wants_rib = wants

    def handle(self, event, now):
        self.seen.append(event)
        return []


def test_the_rib_is_offered_only_to_engines_that_want_it(tmp_path):
    r = _router(tmp_path)
    engines = {"a": Engine("a", None), "b": Engine("b", True), "c": Engine("c", False)}
    r.engines = engines

    async def body(loop):
        r._offer_rib()

    _in_loop(r, body)
    assert [type(e) for e in engines["a"].seen] == [RibChanged]
    assert [type(e) for e in engines["b"].seen] == [RibChanged]
    assert engines["c"].seen == []
    r.events.close()


class BatchEngine:
    """Records each engine call: ``handle`` for one event, ``handle_batch`` for several."""

    def __init__(self):
        self.calls: list[list] = []

    def handle(self, event, now):
        self.calls.append([event])
        return []

    def handle_batch(self, events, now):
        self.calls.append(list(events))
        return []


def test_timers_due_at_the_same_instant_reach_the_engine_as_one_call(tmp_path):
    r = _router(tmp_path)
    eng = r.engines["ospf"] = BatchEngine()

    async def body(loop):
        t = loop.time() + 0.05
        r._perform(
            "ospf", [ArmTimer(("hello", "e0"), t), ArmTimer(("hello", "e1"), t), ArmTimer("spf", t + 0.03)]
        )
        r._perform("ospf", [ArmTimer(("hello", "e2"), t), ArmTimer(("hello", "e3"), t)])
        r._perform("ospf", [CancelTimer(("hello", "e3")), ArmTimer(("hello", "e1"), t + 0.01)])  # e1 moves
        assert len(r._timer_groups) == 3 and len(r._timers) == 4
        handle = r._timer_groups["ospf", t + 0.03][0]
        r._perform("ospf", [ArmTimer("spf", t + 0.03)])  # the same instant again: nothing to do
        assert r._timer_groups["ospf", t + 0.03][0] is handle and not handle.cancelled()
        await asyncio.sleep(0.12)

    _in_loop(r, body)
    assert [[e.key for e in call] for call in eng.calls] == [
        [("hello", "e0"), ("hello", "e2")],  # one call for the two still due together
        [("hello", "e1")],
        ["spf"],
    ]
    assert r._timers == {} and r._timer_groups == {}  # nothing left armed after firing
    r.events.close()


def test_cancelling_every_timer_of_an_instant_cancels_its_loop_timer(tmp_path):
    r = _router(tmp_path)
    eng = r.engines["ospf"] = BatchEngine()

    async def body(loop):
        t = loop.time() + 0.02
        r._perform("ospf", [ArmTimer("a", t), ArmTimer("b", t)])
        (handle, _keys) = r._timer_groups["ospf", t]
        r._perform("ospf", [CancelTimer("a"), CancelTimer("b"), CancelTimer("never-armed")])
        assert handle.cancelled() and r._timer_groups == {} and r._timers == {}
        await asyncio.sleep(0.05)

    _in_loop(r, body)
    assert eng.calls == []
    r.events.close()
