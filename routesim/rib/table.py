"""One router's RIB: candidates per prefix from every source, one selected route, FIB diffs.

Selection (DESIGN.md, BIRD ``rte_better``): lowest administrative distance first, then lowest
metric; a remaining tie between sources is broken by source name so the result never depends on
arrival order. Equal-cost multipath lives inside one candidate (a protocol hands over all its
equal-cost next hops); the RIB does not merge next hops of different protocols.

The FIB diff says what the kernel table must change: ``(prefix, route)`` to install or replace, and
``(prefix, None)`` to remove. Connected routes are never installed (the kernel adds them itself when
an address is configured), so a prefix whose winner is connected is a removal if we had installed
something for it before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

from routesim.proto.base import Route, RouteProtocol


@dataclass(frozen=True)
class FibChange:
    prefix: IPv4Network
    route: Route | None  # None: remove our route for the prefix


@dataclass
class _Entry:
    candidates: dict[str, Route] = field(default_factory=dict)
    selected: Route | None = None
    selected_source: str | None = None
    since: float = 0.0


def _prefix_order(p: IPv4Network) -> tuple[int, int]:
    """``IPv4Network``'s own order (address, then mask) as a cheap sort key: its ``__lt__`` is slow."""
    return (int(p.network_address), p.prefixlen)


def _key(source: str, route: Route) -> tuple[int, int, str]:
    return (route.admin_distance, route.metric, source)


class Rib:
    """Candidates keyed by ``(prefix, source)``; ``source`` is e.g. ``connected``, ``static``, ``rip``."""

    def __init__(self) -> None:
        self._entries: dict[IPv4Network, _Entry] = {}
        self._installed: dict[IPv4Network, Route] = {}
        #: prefixes whose selection changed since they were last installed (or whose install failed):
        #: the FIB diff looks only at these, not at the whole table.
        self._fib_pending: set[IPv4Network] = set()

    # --- updates ---------------------------------------------------------------------------

    def update(
        self,
        source: str,
        now: float,
        upserts: tuple[Route, ...] | list[Route] = (),
        withdrawals: tuple[IPv4Network, ...] | list[IPv4Network] = (),
    ) -> list[tuple[IPv4Network, Route | None, Route | None]]:
        """Apply one source's changes; return ``(prefix, old_selected, new_selected)`` per change."""
        touched: set[IPv4Network] = set()
        for route in upserts:
            entry = self._entries.setdefault(route.prefix, _Entry())
            if entry.candidates.get(source) != route:
                entry.candidates[source] = route
                touched.add(route.prefix)
        for prefix in withdrawals:
            entry = self._entries.get(prefix)
            if entry is not None and entry.candidates.pop(source, None) is not None:
                touched.add(prefix)
        changes = []
        for prefix in sorted(touched, key=_prefix_order):
            entry = self._entries[prefix]
            old = entry.selected
            best = min(entry.candidates.items(), key=lambda kv: _key(*kv), default=None)
            entry.selected, entry.selected_source = (best[1], best[0]) if best else (None, None)
            if entry.selected != old:
                entry.since = now
                changes.append((prefix, old, entry.selected))
                self._fib_pending.add(prefix)
            if not entry.candidates:
                del self._entries[prefix]
        return changes

    def replace_source(self, source: str, routes: list[Route], now: float):
        """Make ``routes`` the complete set of ``source``'s candidates (withdrawing the rest)."""
        new = {r.prefix: r for r in routes}
        stale = [p for p, e in self._entries.items() if source in e.candidates and p not in new]
        return self.update(source, now, upserts=list(new.values()), withdrawals=stale)

    # --- FIB -------------------------------------------------------------------------------

    def fib_diff(self) -> list[FibChange]:
        """What the kernel must change so it holds exactly our non-connected selected routes:
        installs and replacements in prefix order, then removals in prefix order.

        Only prefixes whose selection changed since they were last marked installed are looked at
        (a large table is not re-sorted for every burst of changes); a change stays pending until
        :meth:`mark_installed`, so a failed write is offered again by the next diff.
        """
        installs: list[FibChange] = []
        removals: list[FibChange] = []
        done = []
        for p in sorted(self._fib_pending, key=_prefix_order):
            entry = self._entries.get(p)
            route = entry.selected if entry is not None else None
            if route is not None and route.protocol is RouteProtocol.CONNECTED:
                route = None
            have = self._installed.get(p)
            if route is not None:
                if have != route:
                    installs.append(FibChange(p, route))
                else:
                    done.append(p)
            elif have is not None:
                removals.append(FibChange(p, None))
            else:
                done.append(p)
        self._fib_pending.difference_update(done)
        return installs + removals

    def mark_installed(self, change: FibChange) -> None:
        if change.route is None:
            self._installed.pop(change.prefix, None)
        else:
            self._installed[change.prefix] = change.route
        entry = self._entries.get(change.prefix)
        now = entry.selected if entry is not None else None
        if now is not None and now.protocol is RouteProtocol.CONNECTED:
            now = None
        if now == change.route:
            self._fib_pending.discard(change.prefix)

    @property
    def installed(self) -> dict[IPv4Network, Route]:
        return dict(self._installed)

    # --- queries ---------------------------------------------------------------------------

    def selected(self) -> list[Route]:
        """Every selected route, in prefix order."""
        return [
            self._entries[p].selected  # type: ignore[misc]
            for p in sorted(self._entries, key=_prefix_order)
            if self._entries[p].selected is not None
        ]

    def lookup(self, prefix: IPv4Network) -> Route | None:
        entry = self._entries.get(prefix)
        return entry.selected if entry else None

    def longest_match(self, address) -> Route | None:
        """The selected route covering ``address`` with the longest prefix (for next-hop resolution)."""
        best = None
        for prefix, entry in self._entries.items():
            if entry.selected is not None and address in prefix:
                if best is None or prefix.prefixlen > best.prefix.prefixlen:
                    best = entry.selected
        return best

    def to_json(self, now: float) -> list[dict[str, Any]]:
        rows = []
        for prefix, entry in sorted(self._entries.items()):
            for source, route in sorted(entry.candidates.items(), key=lambda kv: _key(*kv)):
                rows.append(
                    {
                        "prefix": str(prefix),
                        "protocol": str(route.protocol),
                        "distance": route.admin_distance,
                        "metric": route.metric,
                        "selected": route is entry.selected and source == entry.selected_source,
                        "next_hops": [nh.to_json() for nh in sorted(route.next_hops, key=_nh_key)],
                        "age": round(now - entry.since, 3) if route is entry.selected else None,
                        "attrs": {k: _plain(v) for k, v in route.attrs},
                    }
                )
        return rows


def _nh_key(nh) -> tuple[str, str]:
    return (str(nh.gateway or ""), nh.interface or "")


def _plain(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)
