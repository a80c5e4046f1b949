"""The routing table calculation (RFC 2328 §16): pure functions over LSAs, no engine state.

* :func:`intra_area` — §16.1 Dijkstra over the router- and network-LSAs of one area, with equal-cost
  next hops merged at every vertex, next hops computed per §16.1.1 (a directly connected transit
  network gives an interface; a router reached over one gives its address on that network, read from
  its router-LSA; a point-to-point neighbor gives the neighbor's address), then stub networks
  (§16.1 stage 2). Vertices are ``("router", Router ID)`` and ``("network", DR address)``; the
  candidate list pops equal distances network-first (§16.1 (3)).
* :func:`inter_area` — §16.2 summary-LSAs (an ABR examines only the backbone's).
* :func:`external` — §16.4 AS-external-LSAs, type 1 before type 2, forwarding address resolved
  through intra/inter-area routes.
* :func:`calculate` — all three, as the engine calls it.

Intra-area routes are preferred to inter-area to external (§11); equal paths are merged into one
route with several next hops (ECMP). TOS metrics other than 0 are ignored.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from routesim.proto.base import NextHop
from routesim.proto.ospf.lsdb import LsaKey
from routesim.wire.ospf import (
    AsbrSummaryLsa,
    AsExternalLsa,
    Lsa,
    LsType,
    NetworkLsa,
    RouterLinkType,
    RouterLsa,
    RouterLsaFlags,
    SummaryLsa,
)
from routesim.wire.ospf.lsa import LS_INFINITY, UNSPECIFIED_ADDRESS

BACKBONE = IPv4Address(0)
Vertex = tuple[str, IPv4Address]


@dataclass(frozen=True)
class SpfRoute:
    """A routing table entry for a network (§11). For ``ext2`` ``cost`` is the type 2 metric and
    ``forward_cost`` the distance to the ASBR/forwarding address; otherwise ``forward_cost`` is 0."""

    prefix: IPv4Network
    cost: int
    next_hops: frozenset[NextHop]
    path_type: str  # "intra" | "inter" | "ext1" | "ext2"
    area: IPv4Address | None
    forward_cost: int = 0


@dataclass(frozen=True)
class RouterRoute:
    """A routing table entry for a router (ABR or ASBR) of §11: reached in ``area``."""

    router_id: IPv4Address
    cost: int
    next_hops: frozenset[NextHop]
    area: IPv4Address
    flags: RouterLsaFlags
    path_type: str = "intra"


@dataclass(frozen=True)
class LocalView:
    """What SPF needs to know about the calculating router itself (§16.1.1 next hops)."""

    router_id: IPv4Address
    #: our interface address -> interface name
    iface_by_address: Mapping[IPv4Address, str]
    #: (interface, neighbor Router ID) -> neighbor address, for point-to-point next hops
    p2p_neighbors: Mapping[tuple[str, IPv4Address], IPv4Address]

    def iface_for_prefix(self, prefix: IPv4Network) -> str | None:
        for addr, name in self.iface_by_address.items():
            if addr in prefix:
                return name
        return None


def _network_index(lsas: Mapping[LsaKey, Lsa]) -> dict[IPv4Address, NetworkLsa]:
    out: dict[IPv4Address, NetworkLsa] = {}
    for key, lsa in lsas.items():
        if key[0] == LsType.NETWORK and isinstance(lsa, NetworkLsa):
            current = out.get(key[1])
            if current is None or lsa.header.ls_sequence_number > current.header.ls_sequence_number:
                out[key[1]] = lsa
    return out


def intra_area(
    area: IPv4Address, lsas: Mapping[LsaKey, Lsa], me: LocalView
) -> tuple[dict[IPv4Network, SpfRoute], dict[IPv4Address, RouterRoute]]:
    """§16.1 for one area: routes to its networks and to every router reachable in it."""
    networks = _network_index(lsas)

    def router_lsa(rid: IPv4Address) -> RouterLsa | None:
        lsa = lsas.get((LsType.ROUTER, rid, rid))
        return lsa if isinstance(lsa, RouterLsa) else None

    root: Vertex = ("router", me.router_id)
    if router_lsa(me.router_id) is None:
        return {}, {}
    dist: dict[Vertex, int] = {root: 0}
    hops: dict[Vertex, set[NextHop]] = {root: set()}
    done: dict[Vertex, int] = {}
    heap: list[tuple[int, int, IPv4Address, str]] = [(0, 1, me.router_id, "router")]

    def relax(w: Vertex, cost: int, nh: set[NextHop]) -> None:
        if w in done:
            return
        if w not in dist or cost < dist[w]:
            dist[w], hops[w] = cost, set(nh)
            heapq.heappush(heap, (cost, 0 if w[0] == "network" else 1, w[1], w[0]))
        elif cost == dist[w]:
            hops[w] |= nh

    while heap:
        d, _, ident, kind = heapq.heappop(heap)
        v: Vertex = (kind, ident)
        if v in done or d != dist[v]:
            continue
        done[v] = d
        if kind == "router":
            rl = router_lsa(ident)
            assert rl is not None
            for link in rl.links:
                if link.type == RouterLinkType.POINT_TO_POINT:
                    wl = router_lsa(link.link_id)
                    if wl is None or not any(
                        x.type == RouterLinkType.POINT_TO_POINT and x.link_id == ident for x in wl.links
                    ):
                        continue
                    nh = hops[v]
                    if v == root:
                        iface = me.iface_by_address.get(link.link_data)
                        if iface is None:
                            continue
                        gw = me.p2p_neighbors.get((iface, link.link_id)) or next(
                            x.link_data
                            for x in wl.links
                            if x.type == RouterLinkType.POINT_TO_POINT and x.link_id == ident
                        )
                        nh = {NextHop(gw, iface)}
                    relax(("router", link.link_id), d + link.metric, nh)
                elif link.type == RouterLinkType.TRANSIT:
                    net = networks.get(link.link_id)
                    if net is None or ident not in net.attached_routers:
                        continue
                    nh = hops[v]
                    if v == root:
                        iface = me.iface_by_address.get(link.link_data)
                        if iface is None:
                            continue
                        nh = {NextHop(None, iface)}
                    relax(("network", link.link_id), d + link.metric, nh)
        else:
            net = networks[ident]
            direct = all(h.gateway is None for h in hops[v])
            for rid in net.attached_routers:
                wl = router_lsa(rid)
                if wl is None:
                    continue
                back = [x for x in wl.links if x.type == RouterLinkType.TRANSIT and x.link_id == ident]
                if not back:
                    continue
                if direct:  # §16.1.1: a router on a network the root is attached to
                    nh = {NextHop(back[0].link_data, h.interface) for h in hops[v]}
                else:
                    nh = hops[v]
                relax(("router", rid), d, nh)

    routes: dict[IPv4Network, SpfRoute] = {}

    def add(prefix: IPv4Network, cost: int, nh: set[NextHop]) -> None:
        cur = routes.get(prefix)
        if cur is None or cost < cur.cost:
            routes[prefix] = SpfRoute(prefix, cost, frozenset(nh), "intra", area)
        elif cost == cur.cost:
            routes[prefix] = SpfRoute(prefix, cost, cur.next_hops | nh, "intra", area)

    routers: dict[IPv4Address, RouterRoute] = {}
    for (kind, ident), d in done.items():
        if kind == "network":
            net = networks[ident]
            add(
                IPv4Network((int(ident) & int(net.network_mask), str(net.network_mask))),
                d,
                hops[(kind, ident)],
            )
            continue
        rl = router_lsa(ident)
        assert rl is not None
        if ident != me.router_id:
            routers[ident] = RouterRoute(ident, d, frozenset(hops[(kind, ident)]), area, rl.flags)
        for link in rl.links:  # §16.1 stage 2: stub networks
            if link.type != RouterLinkType.STUB:
                continue
            prefix = IPv4Network((int(link.link_id) & int(link.link_data), str(link.link_data)))
            if ident == me.router_id:
                iface = me.iface_for_prefix(prefix)
                if iface is None:
                    continue
                add(prefix, link.metric, {NextHop(None, iface)})
            else:
                add(prefix, d + link.metric, hops[(kind, ident)])
    return routes, routers


def inter_area(
    area: IPv4Address,
    lsas: Mapping[LsaKey, Lsa],
    me: LocalView,
    intra: Mapping[IPv4Network, SpfRoute],
    area_routers: Mapping[IPv4Address, RouterRoute],
    routes: dict[IPv4Network, SpfRoute],
    asbrs: dict[IPv4Address, RouterRoute],
) -> None:
    """§16.2: summary-LSAs of ``area`` into ``routes`` (networks) and ``asbrs`` (type 4)."""
    for key, lsa in lsas.items():
        if key[0] not in (LsType.SUMMARY_NETWORK, LsType.SUMMARY_ASBR) or not isinstance(lsa, SummaryLsa):
            continue
        if lsa.metric >= LS_INFINITY or lsa.header.advertising_router == me.router_id:  # (1), (2)
            continue
        br = area_routers.get(lsa.header.advertising_router)  # (4)
        if br is None or not br.flags & RouterLsaFlags.B:
            continue
        cost = br.cost + lsa.metric
        if isinstance(lsa, AsbrSummaryLsa):
            rid = lsa.header.link_state_id
            if rid == me.router_id:
                continue
            cur = asbrs.get(rid)
            if cur is not None and cur.path_type == "intra":
                continue
            if cur is None or cost < cur.cost:
                asbrs[rid] = RouterRoute(rid, cost, br.next_hops, area, RouterLsaFlags.E, "inter")
            elif cost == cur.cost:
                asbrs[rid] = RouterRoute(
                    rid, cost, cur.next_hops | br.next_hops, area, RouterLsaFlags.E, "inter"
                )
            continue
        mask = lsa.network_mask
        prefix = IPv4Network((int(lsa.header.link_state_id) & int(mask), str(mask)))
        if prefix in intra:  # (3): an intra-area path always wins
            continue
        cur = routes.get(prefix)
        if cur is None or cost < cur.cost:
            routes[prefix] = SpfRoute(prefix, cost, br.next_hops, "inter", area)
        elif cost == cur.cost:
            routes[prefix] = SpfRoute(prefix, cost, cur.next_hops | br.next_hops, "inter", area)


def _lookup(routes: Mapping[IPv4Network, SpfRoute], addr: IPv4Address) -> SpfRoute | None:
    best = None
    for prefix, r in routes.items():
        if addr in prefix and r.path_type in ("intra", "inter"):
            if best is None or prefix.prefixlen > best.prefix.prefixlen:
                best = r
    return best


def external(
    lsas: Mapping[LsaKey, Lsa],
    me: LocalView,
    routes: dict[IPv4Network, SpfRoute],
    asbrs: Mapping[IPv4Address, RouterRoute],
) -> None:
    """§16.4: AS-external routes; type 1 (cost = X + metric) beats type 2 (metric, then X)."""
    internal = dict(routes)
    for key, lsa in lsas.items():
        if key[0] != LsType.AS_EXTERNAL or not isinstance(lsa, AsExternalLsa):
            continue
        if lsa.metric >= LS_INFINITY or lsa.header.advertising_router == me.router_id:  # (1), (2)
            continue
        asbr = asbrs.get(lsa.header.advertising_router)  # (3)
        if asbr is None:
            continue
        if lsa.forwarding_address != UNSPECIFIED_ADDRESS:
            via = _lookup(internal, lsa.forwarding_address)
            if via is None:
                continue
            x, nh = via.cost, via.next_hops
        else:
            x, nh = asbr.cost, asbr.next_hops
        mask = lsa.network_mask
        prefix = IPv4Network((int(lsa.header.link_state_id) & int(mask), str(mask)))
        if prefix in internal:  # intra- and inter-area paths are always preferred (§11)
            continue
        if lsa.e_bit:
            new = SpfRoute(prefix, lsa.metric, nh, "ext2", asbr.area, forward_cost=x)
            rank = (1, lsa.metric, x)
        else:
            new = SpfRoute(prefix, x + lsa.metric, nh, "ext1", asbr.area)
            rank = (0, x + lsa.metric, 0)
        cur = routes.get(prefix)
        if cur is not None:
            cur_rank = (1, cur.cost, cur.forward_cost) if cur.path_type == "ext2" else (0, cur.cost, 0)
            if rank > cur_rank:
                continue
            if rank == cur_rank:
                new = SpfRoute(
                    prefix, new.cost, cur.next_hops | nh, new.path_type, new.area, new.forward_cost
                )
        routes[prefix] = new


def calculate(
    areas: Mapping[IPv4Address, Mapping[LsaKey, Lsa]],
    external_lsas: Mapping[LsaKey, Lsa],
    me: LocalView,
) -> tuple[dict[IPv4Network, SpfRoute], dict[IPv4Address, RouterRoute]]:
    """The whole §16: per-area SPF, inter-area (backbone only on an ABR), then AS-external.

    Returns the network routes and the routes to AS boundary routers (intra before inter-area).
    """
    routes: dict[IPv4Network, SpfRoute] = {}
    area_routers: dict[IPv4Address, dict[IPv4Address, RouterRoute]] = {}
    asbrs: dict[IPv4Address, RouterRoute] = {}
    for area in sorted(areas):
        nets, routers = intra_area(area, areas[area], me)
        area_routers[area] = routers
        for prefix, r in nets.items():
            cur = routes.get(prefix)
            if cur is None or r.cost < cur.cost:
                routes[prefix] = r
            elif r.cost == cur.cost:
                routes[prefix] = SpfRoute(prefix, r.cost, cur.next_hops | r.next_hops, "intra", cur.area)
        for rid, rr in routers.items():
            if not rr.flags & RouterLsaFlags.E:
                continue
            cur = asbrs.get(rid)
            if cur is None or rr.cost < cur.cost:
                asbrs[rid] = rr
            elif rr.cost == cur.cost:
                asbrs[rid] = RouterRoute(rid, rr.cost, cur.next_hops | rr.next_hops, cur.area, rr.flags)
    intra = dict(routes)
    abr = len(areas) > 1
    examined = [BACKBONE] if abr and BACKBONE in areas else sorted(areas)
    for area in examined:
        inter_area(area, areas[area], me, intra, area_routers[area], routes, asbrs)
    external(external_lsas, me, routes, asbrs)
    return routes, asbrs
