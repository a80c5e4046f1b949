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

import functools
import heapq
import struct
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
from routesim.wire.ospf._util import address
from routesim.wire.ospf.lsa import LS_INFINITY, LSA_HEADER_LEN, UNSPECIFIED_ADDRESS

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


_LINK = struct.Struct("!IIBBH")  # Link ID, Link Data, Type, # TOS, metric (§A.4.2)
_P2P, _TRANSIT, _STUB = (
    int(RouterLinkType.POINT_TO_POINT),
    int(RouterLinkType.TRANSIT),
    int(RouterLinkType.STUB),
)


class _RouterView:
    """What SPF reads of one router-LSA, as integers, built once per LSA instance (see :func:`_view`)."""

    __slots__ = ("flags", "p2p", "p2p_back", "stubs", "transit", "transit_back")

    def __init__(self, lsa: RouterLsa) -> None:
        """Read from the LSA's bytes (§A.4.2), which :func:`~routesim.wire.ospf.decode_lsa` has
        checked already: no ``RouterLink`` objects are built for the calculation."""
        raw = lsa.raw
        self.flags = RouterLsaFlags(raw[LSA_HEADER_LEN])
        #: (neighbor Router ID, our interface address, metric) per point-to-point link
        self.p2p: list[tuple[int, int, int]] = []
        #: (DR address, our interface address, metric) per transit link
        self.transit: list[tuple[int, int, int]] = []
        #: (network, mask, metric) per stub link
        self.stubs: list[tuple[int, int, int]] = []
        #: neighbor Router ID -> the link data (our address) of the first point-to-point link to it
        self.p2p_back: dict[int, int] = {}
        #: DR address -> the link data of the first transit link to that network
        self.transit_back: dict[int, int] = {}
        count = int.from_bytes(raw[LSA_HEADER_LEN + 2 : LSA_HEADER_LEN + 4], "big")
        pos = LSA_HEADER_LEN + 4
        for _ in range(count):
            lid, ldata, kind, tos_count, metric = _LINK.unpack_from(raw, pos)
            pos += 12 + 4 * tos_count
            if kind == _P2P:
                self.p2p.append((lid, ldata, metric))
                self.p2p_back.setdefault(lid, ldata)
            elif kind == _TRANSIT:
                self.transit.append((lid, ldata, metric))
                self.transit_back.setdefault(lid, ldata)
            elif kind == _STUB:
                self.stubs.append((lid & ldata, ldata, metric))


class _NetworkView:
    __slots__ = ("attached", "mask")

    def __init__(self, lsa: NetworkLsa) -> None:
        self.mask = int(lsa.network_mask)
        self.attached = tuple(int(r) for r in lsa.attached_routers)


def _view(lsa: Lsa) -> _RouterView | _NetworkView:
    """The integer view of a router- or network-LSA, kept on the (immutable) LSA itself: an LSA
    stays in the database across many SPF runs, and building ``IPv4Address`` hashes and ints of its
    links again for every run dominated the calculation."""
    view = lsa.__dict__.get("_spf_view")
    if view is None:
        view = _RouterView(lsa) if isinstance(lsa, RouterLsa) else _NetworkView(lsa)  # type: ignore[arg-type]
        lsa.__dict__["_spf_view"] = view
    return view


class _Prefix(IPv4Network):
    """An ``IPv4Network`` that computes its hash and text once (like ``shared_address``).

    Equal to, and hashing like, the plain ``IPv4Network`` of the same prefix (so either finds the
    other in a dict): only faster, since a routing table's prefixes are hashed in every dict they
    pass through (SPF, the RIB, the FIB diff) and printed in every log line, and ``ipaddress``
    recomputes both each time.
    """

    def __init__(self, address: object, strict: bool = True) -> None:
        super().__init__(address, strict)
        self._hash = IPv4Network.__hash__(self)
        self._text = IPv4Network.__str__(self)

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"IPv4Network('{self._text}')"

    def __reduce__(self):  # pickle/copy as a plain network
        return (IPv4Network, (self._text,))


@functools.lru_cache(maxsize=1 << 16)
def _prefix(network: int, mask: int) -> IPv4Network:
    """One shared ``IPv4Network`` per prefix: cheap to build, and equal routes of consecutive runs
    compare by identity."""
    return _Prefix((network, str(IPv4Address(mask))))


@functools.lru_cache(maxsize=1 << 16)
def _next_hop(gateway: int | None, iface: str | None) -> NextHop:
    """One shared :class:`NextHop` per (gateway, interface), for the same reason as :func:`_prefix`."""
    return NextHop(address(gateway) if gateway is not None else None, iface)


def intra_area(
    area: IPv4Address, lsas: Mapping[LsaKey, Lsa], me: LocalView
) -> tuple[dict[IPv4Network, SpfRoute], dict[IPv4Address, RouterRoute]]:
    """§16.1 for one area: routes to its networks and to every router reachable in it.

    Vertices are integers: a router is ``2 * Router ID + 1``, a transit network ``2 * DR address``;
    a vertex's next hops are a set of indexes into ``nh_list`` until the end.
    """
    routers: dict[int, _RouterView] = {}
    networks: dict[int, _NetworkView] = {}
    net_seq: dict[int, int] = {}
    router_type, network_type = LsType.ROUTER, LsType.NETWORK
    for key, lsa in lsas.items():
        if key[0] == router_type:
            if key[1] == key[2] and isinstance(lsa, RouterLsa):
                routers[int(key[1])] = _view(lsa)  # type: ignore[assignment]
        elif key[0] == network_type and isinstance(lsa, NetworkLsa):
            dr, seq = int(key[1]), lsa.header.ls_sequence_number
            if dr not in net_seq or seq > net_seq[dr]:  # two DRs claiming one address: the newest
                networks[dr], net_seq[dr] = _view(lsa), seq  # type: ignore[assignment]

    root_id = int(me.router_id)
    if root_id not in routers:
        return {}, {}
    iface_of = {int(a): name for a, name in me.iface_by_address.items()}
    p2p_gw = {(i, int(r)): int(a) for (i, r), a in me.p2p_neighbors.items()}
    nh_list: list[tuple[int | None, str | None]] = []
    nh_index: dict[tuple[int | None, str | None], int] = {}

    def hop(gateway: int | None, iface: str | None) -> int:
        i = nh_index.get((gateway, iface))
        if i is None:
            i = nh_index[(gateway, iface)] = len(nh_list)
            nh_list.append((gateway, iface))
        return i

    root = 2 * root_id + 1
    dist: dict[int, int] = {root: 0}
    hops: dict[int, set[int]] = {root: set()}
    done: dict[int, int] = {}
    # (distance, networks before routers at equal distance (§16.1 (3)), vertex)
    heap: list[tuple[int, int, int]] = [(0, 1, root)]
    push = heapq.heappush

    def relax(w: int, cost: int, nh: set[int], is_router: int) -> None:
        if w in done:
            return
        cur = dist.get(w)
        if cur is None or cost < cur:
            dist[w], hops[w] = cost, set(nh)
            push(heap, (cost, is_router, w))
        elif cost == cur:
            hops[w] |= nh

    while heap:
        d, is_router, v = heapq.heappop(heap)
        if v in done or d != dist[v]:
            continue
        done[v] = d
        ident = v >> 1
        if is_router:
            rv = routers[ident]
            for nbr, ldata, metric in rv.p2p:
                wv = routers.get(nbr)
                if wv is None or ident not in wv.p2p_back:
                    continue
                nh = hops[v]
                if v == root:
                    iface = iface_of.get(ldata)
                    if iface is None:
                        continue
                    gw = p2p_gw.get((iface, nbr))
                    if gw is None:
                        gw = wv.p2p_back[ident]
                    nh = {hop(gw, iface)}
                relax(2 * nbr + 1, d + metric, nh, 1)
            for dr, ldata, metric in rv.transit:
                net = networks.get(dr)
                if net is None or ident not in net.attached:
                    continue
                nh = hops[v]
                if v == root:
                    iface = iface_of.get(ldata)
                    if iface is None:
                        continue
                    nh = {hop(None, iface)}
                relax(2 * dr, d + metric, nh, 0)
        else:
            net = networks[ident]
            here = hops[v]
            direct = all(nh_list[h][0] is None for h in here)
            for rid in net.attached:
                wv = routers.get(rid)
                if wv is None:
                    continue
                back = wv.transit_back.get(ident)
                if back is None:
                    continue
                if direct:  # §16.1.1: a router on a network the root is attached to
                    nh = {hop(back, nh_list[h][1]) for h in here}
                else:
                    nh = here
                relax(2 * rid + 1, d, nh, 1)

    sets: dict[frozenset[int], frozenset[NextHop]] = {}

    def next_hops(nh: set[int] | frozenset[int]) -> frozenset[NextHop]:
        key = frozenset(nh)
        out = sets.get(key)
        if out is None:
            out = sets[key] = frozenset(_next_hop(*nh_list[i]) for i in key)
        return out

    best: dict[tuple[int, int], tuple[int, set[int]]] = {}

    def add(network: int, mask: int, cost: int, nh: set[int]) -> None:
        cur = best.get((network, mask))
        if cur is None or cost < cur[0]:
            best[(network, mask)] = (cost, set(nh))
        elif cost == cur[0]:
            cur[1].update(nh)

    own_ifaces = [(a, name) for a, name in iface_of.items()]
    area_routers: dict[IPv4Address, RouterRoute] = {}
    for v, d in done.items():
        ident = v >> 1
        if not v & 1:
            mask = networks[ident].mask
            add(ident & mask, mask, d, hops[v])
            continue
        rv = routers[ident]
        if ident != root_id:
            rid = address(ident)
            area_routers[rid] = RouterRoute(rid, d, next_hops(hops[v]), area, rv.flags)
        for network, mask, metric in rv.stubs:  # §16.1 stage 2: stub networks
            if ident == root_id:
                iface = next((name for a, name in own_ifaces if a & mask == network), None)
                if iface is None:
                    continue
                add(network, mask, metric, {hop(None, iface)})
            else:
                add(network, mask, d + metric, hops[v])
    routes = {}
    for (network, mask), (cost, nh) in best.items():
        prefix = _prefix(network, mask)
        routes[prefix] = SpfRoute(prefix, cost, next_hops(nh), "intra", area)
    return routes, area_routers


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
