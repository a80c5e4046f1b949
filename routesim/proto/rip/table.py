"""The RIP routing table (RFC 2453 §3.6): one route per destination, expiries kept as data.

Each route stores its own ``expires`` (timeout, §3.8) and ``gc_at`` (garbage-collection) deadlines;
the engine arms a single sweep timer at :meth:`RipTable.next_deadline` and calls :meth:`due` when it
fires (BIRD ``rip_timer`` style) instead of keeping one timer per route.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from routesim.wire.rip import INFINITY


class RouteOrigin(enum.StrEnum):
    """Where a RIP table entry comes from."""

    RIP = "rip"  # learned from a neighbour's Response
    CONNECTED = "connected"  # the subnet of a RIP interface
    REDISTRIBUTED = "redistributed"  # imported from the RIB (static, connected, ...)


class RouteState(enum.StrEnum):
    VALID = "valid"
    #: Metric 16, kept for ``garbage`` seconds so that neighbours hear it is gone (RFC 2453 §3.8).
    GARBAGE = "garbage"


@dataclass(slots=True)
class RipRoute:
    """A mutable table entry, owned by the engine. ``source`` is the advertising neighbour."""

    prefix: IPv4Network
    metric: int
    origin: RouteOrigin
    next_hop: IPv4Address | None = None  # gateway; None for local routes
    source: IPv4Address | None = None  # neighbour that sent it; None for local routes
    iface: str | None = None
    route_tag: int = 0
    updated: float = 0.0  # last time it was learned or refreshed
    expires: float | None = None  # timeout deadline (RFC 2453 §3.8); None while local or in garbage
    gc_at: float | None = None  # deletion deadline once the metric is 16
    changed: bool = False  # the route change flag of RFC 2453 §3.10.1
    deletion_reason: str = ""

    @property
    def is_local(self) -> bool:
        return self.origin is not RouteOrigin.RIP

    @property
    def state(self) -> RouteState:
        return RouteState.GARBAGE if self.gc_at is not None else RouteState.VALID

    @property
    def reachable(self) -> bool:
        return self.metric < INFINITY


class RipTable:
    """Routes by prefix, iterated in prefix order so that updates are deterministic."""

    def __init__(self) -> None:
        self._routes: dict[IPv4Network, RipRoute] = {}

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[RipRoute]:
        return iter(
            sorted(self._routes.values(), key=lambda r: (r.prefix.network_address, r.prefix.prefixlen))
        )

    def get(self, prefix: IPv4Network) -> RipRoute | None:
        return self._routes.get(prefix)

    def put(self, route: RipRoute) -> None:
        self._routes[route.prefix] = route

    def remove(self, prefix: IPv4Network) -> None:
        self._routes.pop(prefix, None)

    def next_deadline(self) -> float | None:
        """The earliest timeout or garbage-collection deadline, or None when nothing can expire."""
        deadlines = [r.gc_at if r.gc_at is not None else r.expires for r in self._routes.values()]
        return min((d for d in deadlines if d is not None), default=None)

    def due(self, now: float) -> tuple[list[RipRoute], list[RipRoute]]:
        """Routes whose timeout has passed, and routes whose garbage collection has passed."""
        timed_out = [r for r in self if r.gc_at is None and r.expires is not None and r.expires <= now]
        collect = [r for r in self if r.gc_at is not None and r.gc_at <= now]
        return timed_out, collect
