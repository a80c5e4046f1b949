"""RIP oracle: distance-vector routes as RFC 2453 converges them, computed with Dijkstra.

A router advertises its directly connected RIP subnets (and, with ``redistribute``, its other
connected and its static routes) at metric 1; each receiver adds the metric of the interface the
route arrived on (RFC 2453 §3.9.2: ``metric = min(metric + cost, 16)``). So a router R reaches a
prefix originated by O with metric ``1 + d(R, O)`` where ``d`` sums, along the forwarding path, the
metric of each hop's outgoing interface, and 16 or more is unreachable (§3.6).

A hop ``u -> v`` exists when both interfaces run RIP and ``v``'s is not passive (it must send).
RIP keeps one next hop per prefix, so the expectation accepts any neighbour on a shortest path.
"""

from __future__ import annotations

from ipaddress import IPv4Network

import networkx as nx

from routesim.oracle.connected import up_interfaces
from routesim.oracle.expected import ExpectedRoute, ExpectedTables, NextHopMatch
from routesim.oracle.graph import is_up, lan_node
from routesim.oracle.registry import register
from routesim.topology.model import Topology

INFINITY = 16


def _rip_iface(topo: Topology, node: str, iface: str):
    n = topo.node(node)
    rip = n.protocol("rip") if n.is_router else None
    if rip is None or iface not in rip.interfaces:
        return None
    return rip


def rip_graph(topo: Topology, graph: nx.DiGraph) -> nx.DiGraph:
    """Forwarding-direction edges usable by RIP, weighted by the sender-side interface metric."""
    g = nx.DiGraph()
    live = {d["link"] for _, _, d in graph.edges(data=True)}

    def hop(u, ui, v, vi, gateway):
        ru, rv = _rip_iface(topo, u, ui), _rip_iface(topo, v, vi)
        if ru is None or rv is None or rv.is_passive(vi) or not is_up(graph, u) or not is_up(graph, v):
            return None
        return ru.metric_for(ui)

    for link in topo.links:
        if link.id not in live:
            continue
        for a, b in ((link.a, link.b), (link.b, link.a)):
            w = hop(a.node, a.iface, b.node, b.iface, b.address.ip)
            if w is not None:
                g.add_edge(a.node, b.node, weight=w, gateway=b.address.ip, iface=a.iface)
    for lan in topo.lans:
        if lan.name not in live:
            continue
        ln = lan_node(lan.name)
        for a in lan.members:
            for b in lan.members:
                if a.node == b.node:
                    continue
                w = hop(a.node, a.iface, b.node, b.iface, b.address.ip)
                if w is not None:
                    g.add_edge(a.node, b.node, weight=w, gateway=b.address.ip, iface=a.iface, via=ln)
    return g


def originated(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> dict[IPv4Network, set[str]]:
    """prefix -> RIP routers that advertise it at metric 1."""
    out: dict[IPv4Network, set[str]] = {}
    for node in topo.routers:
        rip = node.protocol("rip")
        if rip is None or not is_up(graph, node.name):
            continue
        ups = list(up_interfaces(topo, graph, node.name))
        for iface in ups:
            if iface.name in rip.interfaces:
                out.setdefault(iface.network, set()).add(node.name)
        mine = tables.for_router(node.name)
        if "connected" in rip.redistribute:
            for p, r in mine.items():
                if r.protocol == "connected":
                    out.setdefault(p, set()).add(node.name)
        if "static" in rip.redistribute:
            for p, r in mine.items():
                if r.protocol == "static":
                    out.setdefault(p, set()).add(node.name)
    return out


def rip_oracle(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
    g = rip_graph(topo, graph)
    sources = originated(topo, graph, tables)
    # distances from every router to every originator: reverse Dijkstra from each originator
    rev = g.reverse(copy=False)
    dist_to: dict[str, dict[str, int]] = {}
    for origin in {o for os_ in sources.values() for o in os_}:
        if origin in g:
            dist_to[origin] = nx.single_source_dijkstra_path_length(rev, origin, weight="weight")
        else:
            dist_to[origin] = {origin: 0}
    for node in topo.routers:
        if node.protocol("rip") is None or not is_up(graph, node.name):
            continue
        r = node.name
        for prefix, origins in sources.items():
            best = min((dist_to[o].get(r, INFINITY) for o in origins), default=INFINITY)
            metric = 1 + best
            if r in origins or metric >= INFINITY:
                continue
            gateways = set()
            for _, v, d in g.out_edges(r, data=True):
                dv = min((dist_to[o].get(v, INFINITY) for o in origins), default=INFINITY)
                if d["weight"] + dv == best:
                    gateways.add(d["gateway"])
            tables.offer(
                r,
                ExpectedRoute(prefix, "rip", metric, frozenset(gateways), NextHopMatch.ANY),
                distance=120,
            )


register("rip", rip_oracle)
