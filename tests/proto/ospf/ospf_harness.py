"""In-memory network and fake clock for OSPF engines (h11 ConnectionPair / aioquic roundtrip style).

``Net`` owns the clock (``now`` starts at 0.0), every engine's armed timers and the packets in
flight; ``run(until)`` jumps from deadline to deadline. A ``Segment`` is a point-to-point link or a
LAN: multicast ``Send``s reach every other member (224.0.0.6 only members that joined it through
``JoinGroup``), unicast ones only the member owning the destination address. ``Net.drop`` is a
predicate ``(now, sender, receiver, packet) -> bool`` that loses chosen packets.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from typing import Any

from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    Event,
    PacketIn,
    RoutesChanged,
    Send,
    SessionEvent,
    TimerFired,
)
from routesim.proto.ospf import JoinGroup, LeaveGroup, OspfConfig, OspfEngine, OspfInterface, OspfTimers
from routesim.wire.ospf import OspfPacket, decode_packet
from routesim.wire.ospf.header import ALL_D_ROUTERS

FAST = dict(hello_interval=1, dead_interval=4, retransmit_interval=2.0, transmit_delay=1)
FAST_TIMERS = OspfTimers(
    spf_delay=0.2,
    min_ls_interval=1.0,
    min_ls_arrival=0.5,
    spf_short_delay=0.2,
    spf_long_delay=1.0,
    spf_time_to_learn=1.0,
    spf_holddown=3.0,
)


def iface(name: str, address: str, **kw: Any) -> OspfInterface:
    return OspfInterface(name, IPv4Interface(address), **{**FAST, **kw})


def engine(router_id: str, *ifaces: OspfInterface, seed: int = 1, **cfg: Any) -> OspfEngine:
    cfg.setdefault("timers", FAST_TIMERS)
    config = OspfConfig(IPv4Address(router_id), tuple(ifaces), **cfg)
    return OspfEngine(config, random.Random(seed), strict=True)


@dataclass
class Segment:
    members: list[tuple[str, str]]  # (router, iface)
    delay: float = 0.01
    up: bool = True


Drop = Callable[[float, str, str, OspfPacket], bool]


@dataclass
class Net:
    engines: dict[str, OspfEngine] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    now: float = 0.0
    timers: dict[str, dict[Any, float]] = field(default_factory=dict)
    queue: list[tuple[float, int, str, PacketIn]] = field(default_factory=list)
    trace: list[tuple[float, str, Any]] = field(default_factory=list)
    groups: set[tuple[str, str]] = field(default_factory=set)  # (router, iface) in AllDRouters
    drop: Drop | None = None
    dropped: list[tuple[float, str, str, OspfPacket]] = field(default_factory=list)
    _seq: int = 0

    def add(self, name: str, eng: OspfEngine) -> OspfEngine:
        self.engines[name] = eng
        self.timers[name] = {}
        return eng

    def link(self, *members: tuple[str, str], delay: float = 0.01) -> Segment:
        seg = Segment(list(members), delay)
        self.segments.append(seg)
        return seg

    def start(self) -> None:
        for name, eng in self.engines.items():
            self.apply(name, eng.start(self.now))

    def feed(self, router: str, event: Event) -> list[Action]:
        actions = self.engines[router].handle(event, self.now)
        self.apply(router, actions)
        return actions

    def apply(self, router: str, actions: list[Any]) -> None:
        for action in actions:
            self.trace.append((self.now, router, action))
            if isinstance(action, ArmTimer):
                self.timers[router][action.key] = action.at
            elif isinstance(action, CancelTimer):
                self.timers[router].pop(action.key, None)
            elif isinstance(action, JoinGroup):
                self.groups.add((router, action.iface))
            elif isinstance(action, LeaveGroup):
                self.groups.discard((router, action.iface))
            elif isinstance(action, Send):
                self._transmit(router, action)

    def _address(self, router: str, ifname: str) -> IPv4Address:
        cfg = self.engines[router].config.interface(ifname)
        assert cfg is not None
        return cfg.address.ip

    def _transmit(self, router: str, send: Send) -> None:
        for seg in self.segments:
            if (router, send.iface) not in seg.members or not seg.up:
                continue
            src = self._address(router, send.iface)
            for peer, peer_if in seg.members:
                if (peer, peer_if) == (router, send.iface):
                    continue
                if send.dst == ALL_D_ROUTERS and (peer, peer_if) not in self.groups:
                    continue
                if not send.dst.is_multicast and send.dst != self._address(peer, peer_if):
                    continue
                if self.drop is not None:
                    pkt = decode_packet(send.data)
                    if self.drop(self.now, router, peer, pkt):
                        self.dropped.append((self.now, router, peer, pkt))
                        continue
                ev = PacketIn(peer_if, src, send.data, dst=send.dst)
                self._seq += 1
                heapq.heappush(self.queue, (self.now + seg.delay, self._seq, peer, ev))

    def next_time(self) -> float | None:
        times = [at for t in self.timers.values() for at in t.values()]
        if self.queue:
            times.append(self.queue[0][0])
        return min(times) if times else None

    def run(self, until: float, max_steps: int = 500_000) -> None:
        """Process every packet and timer due up to ``until`` (the clock ends at ``until``)."""
        for _ in range(max_steps):
            t = self.next_time()
            if t is None or t > until:
                self.now = until
                return
            self.now = max(self.now, t)
            if self.queue and self.queue[0][0] <= t:
                _, _, router, ev = heapq.heappop(self.queue)
                self.feed(router, ev)
                continue
            router, key = next((r, k) for r, ts in self.timers.items() for k, at in ts.items() if at == t)
            del self.timers[router][key]
            self.feed(router, TimerFired(key))
        raise AssertionError(f"no quiescence after {max_steps} steps at t={self.now}")

    def run_for(self, seconds: float) -> None:
        self.run(self.now + seconds)

    # --- views ---------------------------------------------------------------------------------

    def states(self, router: str) -> dict[str, str]:
        """neighbor Router ID -> state label."""
        return {n["router_id"]: n["state"] for n in self.engines[router].inspect(self.now)["neighbors"]}

    def iface_state(self, router: str, ifname: str) -> dict[str, Any]:
        return next(i for i in self.engines[router].inspect(self.now)["interfaces"] if i["name"] == ifname)

    def routes(self, router: str) -> dict[str, Any]:
        return {str(p): r for p, r in self.engines[router].routes.items()}

    def session_events(self, router: str | None = None) -> list[tuple[float, str, SessionEvent]]:
        return [(t, r, a) for t, r, a in self.trace if isinstance(a, SessionEvent) and router in (None, r)]

    def rib_changes(self, router: str) -> list[RoutesChanged]:
        return [a for _, r, a in self.trace if r == router and isinstance(a, RoutesChanged)]


def hops(route: Any) -> set[tuple[str | None, str | None]]:
    return {(str(h.gateway) if h.gateway else None, h.interface) for h in route.next_hops}


def attr(route: Any, name: str) -> Any:
    return dict(route.attrs)[name]
