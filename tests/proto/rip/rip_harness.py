"""In-memory links and a fake clock for RIP engines (h11 ConnectionPair / aioquic roundtrip style).

``Net`` owns the clock (``now`` starts at 0.0), every engine's armed timers and the packets in
flight; ``step()`` jumps to the next deadline. Multicast Sends reach every other end of the link,
unicast ones only the end whose address matches.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    Event,
    Log,
    PacketIn,
    RoutesChanged,
    Send,
    TimerFired,
)
from routesim.proto.rip import RipConfig, RipEngine, RipInterface, RipTimers
from routesim.wire.rip import RIP_PORT, Command, RipPacket


def make_engine(
    name: str,
    ifaces: list[tuple[str, str]],
    *,
    seed: int = 1,
    timers: RipTimers | None = None,
    **iface_kw: Any,
) -> RipEngine:
    cfg = RipConfig(
        router_id=name,
        interfaces=tuple(RipInterface(n, IPv4Interface(a), **iface_kw) for n, a in ifaces),
        timers=timers or RipTimers(),
    )
    return RipEngine(cfg, random.Random(seed))


def sends(actions: list[Action]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def decoded(actions: list[Action], command: Command | None = None) -> list[tuple[Send, RipPacket]]:
    out = [(s, RipPacket.decode(s.data)) for s in sends(actions)]
    return [(s, p) for s, p in out if command is None or p.command == command]


def advertised(actions: list[Action], iface: str | None = None) -> dict[str, int]:
    """prefix -> metric over every Response sent (on ``iface`` if given)."""
    return {
        str(e.prefix): e.metric
        for s, p in decoded(actions, Command.RESPONSE)
        if iface is None or s.iface == iface
        for e in p.entries
    }


def timers_of(actions: list[Action]) -> dict[Any, float]:
    return {a.key: a.at for a in actions if isinstance(a, ArmTimer)}


def rib_changes(actions: list[Action]) -> list[RoutesChanged]:
    return [a for a in actions if isinstance(a, RoutesChanged)]


@dataclass
class End:
    router: str
    iface: str
    address: IPv4Address


@dataclass
class Link:
    a: End
    b: End
    delay: float = 0.01
    up: bool = True
    #: router -> time until which everything it sends on this link is lost
    lose_from: dict[str, float] = field(default_factory=dict)


@dataclass
class Net:
    engines: dict[str, RipEngine] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    now: float = 0.0
    timers: dict[str, dict[Any, float]] = field(default_factory=dict)
    queue: list[tuple[float, int, str, PacketIn]] = field(default_factory=list)
    trace: list[tuple[float, str, Action]] = field(default_factory=list)
    _seq: int = 0

    def add(self, engine: RipEngine) -> RipEngine:
        self.engines[engine.config.router_id] = engine
        self.timers[engine.config.router_id] = {}
        return engine

    def connect(self, a: tuple[str, str], b: tuple[str, str], delay: float = 0.01) -> Link:
        ends = []
        for router, iface in (a, b):
            cfg = self.engines[router].config.interface(iface)
            assert cfg is not None
            ends.append(End(router, iface, cfg.address.ip))
        link = Link(ends[0], ends[1], delay)
        self.links.append(link)
        return link

    def start(self) -> None:
        for name, engine in self.engines.items():
            self.apply(name, engine.start(self.now))

    def feed(self, router: str, event: Event) -> list[Action]:
        actions = self.engines[router].handle(event, self.now)
        self.apply(router, actions)
        return actions

    def apply(self, router: str, actions: list[Action]) -> None:
        for action in actions:
            self.trace.append((self.now, router, action))
            if isinstance(action, ArmTimer):
                self.timers[router][action.key] = action.at
            elif isinstance(action, CancelTimer):
                self.timers[router].pop(action.key, None)
            elif isinstance(action, Send):
                self._transmit(router, action)

    def _transmit(self, router: str, send: Send) -> None:
        for link in self.links:
            for me, peer in ((link.a, link.b), (link.b, link.a)):
                if me.router != router or me.iface != send.iface or not link.up:
                    continue
                if send.dst is not None and not send.dst.is_multicast and send.dst != peer.address:
                    continue
                if self.now < link.lose_from.get(router, float("-inf")):
                    continue
                pkt = PacketIn(peer.iface, me.address, send.data, dst=send.dst, src_port=RIP_PORT)
                self._seq += 1
                heapq.heappush(self.queue, (self.now + link.delay, self._seq, peer.router, pkt))

    def next_time(self) -> float | None:
        candidates = [at for t in self.timers.values() for at in t.values()]
        if self.queue:
            candidates.append(self.queue[0][0])
        return min(candidates, default=None)

    def step(self) -> None:
        due = self.next_time()
        assert due is not None
        self.now = max(self.now, due)
        if self.queue and self.queue[0][0] <= self.now:
            _, _, router, pkt = heapq.heappop(self.queue)
            self.feed(router, pkt)
            return
        for router, armed in self.timers.items():
            for key, at in sorted(armed.items(), key=lambda kv: kv[1]):
                if at <= self.now:
                    del armed[key]
                    self.feed(router, TimerFired(key))
                    return

    def run_until(self, t: float) -> None:
        while (nt := self.next_time()) is not None and nt <= t:
            self.step()
        self.now = max(self.now, t)

    def table(self, router: str) -> dict[str, tuple[int, str | None]]:
        """prefix -> (metric, next hop) of the router's RIP table."""
        return {
            str(r.prefix): (r.metric, str(r.next_hop) if r.next_hop else None)
            for r in self.engines[router].table
        }

    def metric_log(self, router: str, prefix: str, since: float = 0.0) -> list[int]:
        """The sequence of new metrics the router logged for ``prefix``."""
        out = []
        for t, r, a in self.trace:
            if r == router and t >= since and isinstance(a, Log) and dict(a.fields).get("prefix") == prefix:
                new = dict(a.fields).get("new_metric")
                if new is not None:
                    out.append(new)
        return out


def net_of(prefix: str) -> IPv4Network:
    return IPv4Network(prefix)
