"""Candidates a router derives from its own state: connected and static routes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from routesim.proto.base import NextHop, Route, RouteProtocol


@dataclass(frozen=True)
class StaticSpec:
    prefix: IPv4Network
    next_hop: IPv4Address | None = None
    interface: str | None = None
    distance: int = 1
    metric: int = 0
    blackhole: bool = False


def connected_routes(interfaces: Iterable[tuple[str, IPv4Interface, bool]]) -> list[Route]:
    """One connected route per up interface subnet (``name, address, up``); /32s on lo included."""
    routes: dict[IPv4Network, Route] = {}
    for name, address, up in interfaces:
        if not up:
            continue
        net = address.network
        nh = NextHop(None, name)
        old = routes.get(net)
        hops = (old.next_hops | {nh}) if old else frozenset({nh})
        routes[net] = Route(net, RouteProtocol.CONNECTED, 0, hops)
    return list(routes.values())


def static_routes(specs: Iterable[StaticSpec], connected: Iterable[Route]) -> list[Route]:
    """Static routes whose next hop is reachable now.

    A gateway must lie inside an up connected subnet (the interface is taken from it); a
    ``dev``-only route needs its interface up. Unresolvable statics are not candidates, exactly as
    FRR's staticd withholds them from zebra until the next hop resolves.
    """
    conn = list(connected)
    up_ifaces = {nh.interface for r in conn for nh in r.next_hops}
    out: dict[IPv4Network, Route] = {}
    for spec in specs:
        hop: NextHop | None = None
        if spec.blackhole:
            hop = NextHop(None, "blackhole")
        elif spec.next_hop is not None:
            for r in conn:
                if spec.next_hop in r.prefix and r.prefix.prefixlen < 32:
                    iface = spec.interface or sorted(nh.interface or "" for nh in r.next_hops)[0]
                    hop = NextHop(spec.next_hop, iface)
                    break
        elif spec.interface in up_ifaces:
            hop = NextHop(None, spec.interface)
        if hop is None:
            continue
        prev = out.get(spec.prefix)
        if prev is not None and (prev.admin_distance, prev.metric) < (spec.distance, spec.metric):
            continue
        if prev is not None and (prev.admin_distance, prev.metric) == (spec.distance, spec.metric):
            out[spec.prefix] = Route(
                spec.prefix, RouteProtocol.STATIC, spec.metric, prev.next_hops | {hop}, spec.distance
            )
        else:
            out[spec.prefix] = Route(
                spec.prefix, RouteProtocol.STATIC, spec.metric, frozenset({hop}), spec.distance
            )
    return list(out.values())
