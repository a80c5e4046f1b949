"""What the oracle predicts for one router."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network


class NextHopMatch(enum.StrEnum):
    ALL = "all"  # the router must use exactly this set (ECMP protocols: OSPF, static)
    ANY = "any"  # one of them is enough (RIP and BGP keep a single best path)


@dataclass(frozen=True)
class ExpectedRoute:
    prefix: IPv4Network
    protocol: str  # connected | static | rip | ospf | ebgp | ibgp
    metric: int | None  # None: not predicted (e.g. static routes' metric is whatever was written)
    gateways: frozenset[IPv4Address | None]  # None stands for "directly connected"
    match: NextHopMatch = NextHopMatch.ALL
    detail: str = ""  # e.g. the AS path, shown in reports


@dataclass
class ExpectedTables:
    """Per router: prefix -> expected route; ``not_modeled`` lists (router, protocol, why)."""

    routes: dict[str, dict[IPv4Network, ExpectedRoute]] = field(default_factory=dict)
    not_modeled: list[tuple[str, str, str]] = field(default_factory=list)

    def for_router(self, name: str) -> dict[IPv4Network, ExpectedRoute]:
        return self.routes.setdefault(name, {})

    def offer(self, router: str, route: ExpectedRoute, distance: int) -> None:
        """Add a protocol's route unless a lower administrative distance already holds the prefix."""
        table = self.for_router(router)
        current = table.get(route.prefix)
        if current is None or distance < DISTANCE[current.protocol]:
            table[route.prefix] = route

    def unmodeled_protocols(self, router: str) -> set[str]:
        return {p for r, p, _ in self.not_modeled if r == router}


DISTANCE = {"connected": 0, "static": 1, "ebgp": 20, "ospf": 110, "rip": 120, "ibgp": 200}
