"""OSPF oracle: the routing table RFC 2328 §16 converges to, computed from the model with networkx.

The model says which link-state database a converged OSPF domain holds; this module rebuilds it
as graphs and runs the §16 calculation on them, without reading a single LSA:

* **Areas** (§3): a router belongs to the areas of its OSPF interfaces that are up, plus its
  loopback's area (the loopback /32 is a stub host route of cost 0, §12.4.1.1). Routers that are
  down (crashed, stopped), and routers or interfaces without OSPF, are in no area.
* **Intra-area graph** per area (§16.1): a directed graph of router vertices. A p2p link whose two
  ends run OSPF in that area, neither passive, gives one edge each way weighted by the sending
  interface's cost. A LAN is a *transit network* vertex ``lan:<name>`` when at least two of its
  members run OSPF on it, non-passive, in that area and at least one has a non-zero priority (so a
  DR can be elected and adjacencies form, §9.4/§10.4): member -> network costs the member's
  interface cost, network -> member costs 0 (a network-LSA's links, §16.1). Who is DR does not
  change a route, so the DR election is not modeled.
* **Prefixes** (§12.4.1): every OSPF interface's subnet is attached where its router-LSA puts it:
  a transit LAN's subnet to the network vertex (cost 0); otherwise (p2p links by *both* ends, §12.4.1.1;
  passive interfaces; stubs; LANs that are not transit) to the router with the interface's cost.
  A prefix's cost is the least of ``d(vertex) + cost`` over its attachments, and equal-cost ones
  merge their next hops (§16.1 stage 2).
* **Next hops** (§16.1.1): the full ECMP set. The first hop to a neighbor over a p2p link is the
  neighbor's address; across a transit LAN the root is attached to, the next router's address on
  that LAN; further on, next hops are inherited.
* **Inter-area** (§12.4.3, §16.2): an area border router (attached to more than one area)
  summarises each of its intra-area routes into the other areas (not back into the area of the
  route or of its next hops) and its inter-area routes into non-backbone areas only, at its own
  cost. A router examines the summaries of its area's ABRs (an ABR: the backbone's only), at cost
  ``d(ABR) + summary cost``; intra-area routes always win (§16.2 (3)).
* **AS-external** (§12.4.4, §16.4): a router with ``redistribute`` announces the RIB routes of
  those sources (connected/static, from the already computed connected and static tables) except
  the subnets of its OSPF interfaces and its loopback; it is then an ASBR, reached intra-area or
  through ASBR-summaries (type 4) like any summarised destination. Type 1: cost = d(ASBR) + metric;
  type 2: metric = the external metric (the route's reported metric), ties broken by d(ASBR), next
  hops toward the nearest ASBR(s). Type 1 beats type 2, intra/inter-area beats both (§11).

Limits: no virtual links, stub/NSSA areas, area ranges, forwarding addresses or NBMA; the mixed
case where the root reaches a directly attached LAN at equal cost both directly and through
another router is not distinguished (RFC 2328 §16.1.1 is ambiguous there).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

import networkx as nx

from routesim.oracle.connected import up_interfaces
from routesim.oracle.expected import ExpectedRoute, ExpectedTables, NextHopMatch
from routesim.oracle.graph import is_up, lan_node
from routesim.oracle.registry import register
from routesim.topology.model import OspfSettings, Topology

BACKBONE = IPv4Address(0)
DISTANCE = 110
DIRECT = None  # next hop "on the attached network itself" (a None gateway in ExpectedRoute)

#: A destination of the §11 routing table: a prefix, or ("asbr", router name) for an AS boundary router.
Dest = Hashable


@dataclass(frozen=True)
class _Route:
    cost: int
    hops: frozenset[IPv4Address | None]
    kind: str  # "intra" | "inter"
    area: IPv4Address  # the area whose calculation produced it
    hop_areas: frozenset[IPv4Address]  # areas of the next hops' interfaces (summary split horizon)


def _merge(table: dict[Dest, _Route], dest: Dest, new: _Route) -> None:
    cur = table.get(dest)
    if cur is None or new.cost < cur.cost:
        table[dest] = new
    elif new.cost == cur.cost:
        table[dest] = _Route(cur.cost, cur.hops | new.hops, cur.kind, cur.area, cur.hop_areas | new.hop_areas)


class _Domain:
    """The converged link-state database of the whole OSPF domain, as graphs."""

    def __init__(self, topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
        self.topo = topo
        self.ospf: dict[str, OspfSettings] = {}
        for n in topo.routers:
            s = n.protocol("ospf")
            if isinstance(s, OspfSettings) and is_up(graph, n.name):
                self.ospf[n.name] = s
        self.up_ifaces = {r: {i.name for i in up_interfaces(topo, graph, r)} for r in self.ospf}
        #: area -> directed graph (edge data: cost, gateway)
        self.graphs: dict[IPv4Address, nx.DiGraph] = {}
        #: area -> prefix -> [(vertex, cost)]
        self.attach: dict[IPv4Address, dict[IPv4Network, list[tuple[str, int]]]] = {}
        #: router -> areas it is attached to
        self.areas: dict[str, set[IPv4Address]] = {}
        self._build()
        #: router -> prefixes it announces in AS-external-LSAs; a non-empty list makes it an ASBR
        self.ext = {r: self.externals(r, tables) for r in self.ospf}

    def oi(self, router: str, iface: str):
        """The router's OSPF settings of an up interface, or None."""
        s = self.ospf.get(router)
        if s is None or iface not in self.up_ifaces[router]:
            return None
        return s.interface(iface)

    def _g(self, area: IPv4Address) -> nx.DiGraph:
        return self.graphs.setdefault(area, nx.DiGraph())

    def _stub(self, area: IPv4Address, prefix: IPv4Network, vertex: str, cost: int) -> None:
        self.attach.setdefault(area, {}).setdefault(prefix, []).append((vertex, cost))

    def _build(self) -> None:
        topo = self.topo
        for r, s in self.ospf.items():
            areas = {s.loopback_area}
            node = topo.node(r)
            for iface in node.interfaces:
                oi = self.oi(r, iface.name)
                if oi is not None:
                    areas.add(oi.area)
            self.areas[r] = areas
            for a in areas:
                self._g(a).add_node(r, kind="router")
            if node.loopback is not None:  # §12.4.1.1: the loopback as a host route of cost 0
                self._stub(s.loopback_area, node.loopback.network, r, 0)
        transit: set[tuple[str, str]] = set()  # (router, iface) that are on a transit LAN
        for lan in topo.lans:
            members = []
            for m in lan.members:
                oi = self.oi(m.node, m.iface)
                if oi is not None and not oi.passive:
                    members.append((m, oi))
            for area in {oi.area for _, oi in members}:
                ms = [(m, oi) for m, oi in members if oi.area == area]
                if len(ms) < 2 or not any(oi.priority > 0 for _, oi in ms):
                    continue  # no DR, no adjacency: every member advertises a stub (§12.4.1.2)
                g, net = self._g(area), lan_node(lan.name)
                g.add_node(net, kind="network")
                for m, oi in ms:
                    g.add_edge(m.node, net, cost=oi.cost, gateway=DIRECT)
                    g.add_edge(net, m.node, cost=0, gateway=m.address.ip)
                    transit.add((m.node, m.iface))
                self._stub(area, lan.subnet, net, 0)
        for link in topo.links:
            ea, eb = link.a, link.b
            oa, ob = self.oi(ea.node, ea.iface), self.oi(eb.node, eb.iface)
            if oa is None or ob is None or oa.passive or ob.passive or oa.area != ob.area:
                continue
            g = self._g(oa.area)
            g.add_edge(ea.node, eb.node, cost=oa.cost, gateway=eb.address.ip)
            g.add_edge(eb.node, ea.node, cost=ob.cost, gateway=ea.address.ip)
        for r in self.ospf:
            for iface in topo.node(r).interfaces:
                oi = self.oi(r, iface.name)
                if oi is not None and (r, iface.name) not in transit:
                    self._stub(oi.area, iface.network, r, oi.cost)

    # -- §16.1 ------------------------------------------------------------------------------
    def spf(self, area: IPv4Address, root: str) -> tuple[dict[str, int], dict[str, frozenset]]:
        """Distances and §16.1.1 next-hop sets from ``root`` to every vertex of ``area``."""
        g = self.graphs[area]
        pred, dist = nx.dijkstra_predecessor_and_distance(g, root, weight="cost")
        hops: dict[str, frozenset] = {root: frozenset()}
        order = sorted(dist, key=lambda v: (dist[v], 0 if v.startswith("lan:") else 1))
        for v in order:
            if v == root:
                continue
            out: set = set()
            for p in pred[v]:
                if p == root:
                    out.add(g.edges[p, v]["gateway"])
                elif g.nodes[p].get("kind") == "network":
                    gw = g.edges[p, v]["gateway"]
                    out.update(gw if h is DIRECT else h for h in hops[p])
                else:
                    out.update(hops[p])
            hops[v] = frozenset(out)
        return dist, hops

    def intra(self, router: str) -> tuple[dict[Dest, _Route], dict[IPv4Address, dict[str, _Route]]]:
        """The router's intra-area routes (prefixes and ASBRs) and its routes to every router per area."""
        table: dict[Dest, _Route] = {}
        routers: dict[IPv4Address, dict[str, _Route]] = {}
        for area in sorted(self.areas[router]):
            dist, hops = self.spf(area, router)
            here = frozenset({area})
            routers[area] = {
                v: _Route(d, hops[v], "intra", area, here)
                for v, d in dist.items()
                if v != router and not v.startswith("lan:")
            }
            for prefix, places in self.attach.get(area, {}).items():
                for vertex, cost in places:
                    if vertex in dist:
                        hop = frozenset({DIRECT}) if vertex == router else hops[vertex]
                        _merge(table, prefix, _Route(dist[vertex] + cost, hop, "intra", area, here))
            for z, rr in routers[area].items():
                if self.ext.get(z):
                    _merge(table, ("asbr", z), rr)
        return table, routers

    # -- §12.4.4 ------------------------------------------------------------------------------
    def externals(self, router: str, tables: ExpectedTables) -> list[IPv4Network]:
        s = self.ospf[router]
        if not s.redistribute:
            return []
        node = self.topo.node(router)
        ospf_nets = {i.network for i in node.interfaces if s.interface(i.name) is not None}
        if node.loopback is not None:
            ospf_nets.add(node.loopback.network)
        return sorted(
            p
            for p, r in tables.for_router(router).items()
            if r.protocol in s.redistribute and p not in ospf_nets
        )


def ospf_oracle(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
    dom = _Domain(topo, graph, tables)
    ext = dom.ext
    intra: dict[str, dict[Dest, _Route]] = {}
    reach: dict[str, dict[IPv4Address, dict[str, _Route]]] = {}
    for r in dom.ospf:
        intra[r], reach[r] = dom.intra(r)
    abrs = sorted(r for r in dom.ospf if len(dom.areas[r]) > 1)

    def summaries(abr: str, table: dict[Dest, _Route], into: IPv4Address) -> dict[Dest, int]:
        """§12.4.3: what ``abr`` announces into area ``into`` from its routing table."""
        out = {}
        for dest, rt in table.items():
            if rt.area == into or into in rt.hop_areas:
                continue
            if rt.kind == "inter" and into == BACKBONE:
                continue  # only intra-area routes are summarised into the backbone
            if dest == ("asbr", abr):
                continue
            out[dest] = rt.cost
        return out

    def examine(r: str, area: IPv4Address, table: dict[Dest, _Route], full: dict[str, dict]) -> None:
        """§16.2 for router ``r`` over the summaries in ``area`` (``full``: ABR -> its table)."""
        base = dict(table)
        for b, btable in full.items():
            br = reach[r].get(area, {}).get(b)
            if b == r or br is None or area not in dom.areas[b]:
                continue
            for dest, cost in summaries(b, btable, area).items():
                if dest in base or dest == ("asbr", r):
                    continue  # (3): an intra-area path always wins
                _merge(table, dest, _Route(br.cost + cost, br.hops, "inter", area, frozenset({area})))

    def examined_areas(r: str) -> list[IPv4Address]:
        areas = dom.areas[r]
        return [BACKBONE] if len(areas) > 1 and BACKBONE in areas else sorted(areas)

    # ABRs first (they examine the backbone, where only intra-area routes are summarised), then
    # everyone else with the ABRs' complete tables.
    final: dict[str, dict[Dest, _Route]] = {}
    for b in abrs:
        table = dict(intra[b])
        for area in examined_areas(b):
            examine(b, area, table, {x: intra[x] for x in abrs})
        final[b] = table
    for r in dom.ospf:
        if r in final:
            continue
        table = dict(intra[r])
        for area in examined_areas(r):
            examine(r, area, table, {x: final[x] for x in abrs})
        final[r] = table

    s_of = dom.ospf
    for r, table in final.items():
        routes: dict[IPv4Network, ExpectedRoute] = {}
        for dest, rt in table.items():
            if isinstance(dest, IPv4Network):
                detail = (
                    f"{rt.kind}-area {rt.area}"
                    if rt.kind == "intra"
                    else f"inter-area (summary in area {rt.area})"
                )
                routes[dest] = ExpectedRoute(dest, "ospf", rt.cost, rt.hops, NextHopMatch.ALL, detail)
        best: dict[IPv4Network, tuple[tuple, frozenset, str]] = {}
        for z, prefixes in ext.items():
            to_z = table.get(("asbr", z))
            if z == r or to_z is None:
                continue
            s = s_of[z]
            for p in prefixes:
                if p in routes:
                    continue  # §11: intra- and inter-area paths beat external ones
                if s.external_metric_type == 1:
                    rank = (0, to_z.cost + s.external_metric, 0)
                else:
                    rank = (1, s.external_metric, to_z.cost)
                cur = best.get(p)
                if cur is None or rank < cur[0]:
                    best[p] = (rank, to_z.hops, z)
                elif rank == cur[0]:
                    best[p] = (rank, cur[1] | to_z.hops, f"{cur[2]},{z}")
        for p, (rank, hops, z) in best.items():
            etype = "E1" if rank[0] == 0 else "E2"
            detail = f"external {etype} from {z}" + (f" (forward cost {rank[2]})" if rank[0] else "")
            routes[p] = ExpectedRoute(p, "ospf", rank[1], hops, NextHopMatch.ALL, detail)
        for p in sorted(routes):
            tables.offer(r, routes[p], distance=DISTANCE)


register("ospf", ospf_oracle)
