"""Connected and static routes: what every router has before any protocol runs."""

from __future__ import annotations

from ipaddress import IPv4Network

import networkx as nx

from routesim.oracle.expected import ExpectedRoute, ExpectedTables, NextHopMatch
from routesim.oracle.graph import is_up
from routesim.topology.model import Topology


def up_interfaces(topo: Topology, graph: nx.DiGraph, node: str):
    """Interfaces of ``node`` whose link or LAN is not down (stubs are always up).

    Read from the graph's ``down_links`` rather than its edges: parallel links between two routers
    share one edge per direction in the graph, but each has its own interfaces and subnet."""
    if node not in graph:
        return
    down = graph.graph.get("down_links", set())
    for iface in topo.node(node).interfaces:
        if iface.kind == "stub" or iface.link not in down:
            yield iface


def connected_and_static(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
    for node in topo.routers:
        if not is_up(graph, node.name):
            continue
        table = tables.for_router(node.name)
        subnets: dict[IPv4Network, str] = {}
        for iface in up_interfaces(topo, graph, node.name):
            subnets.setdefault(iface.network, iface.name)
        if node.loopback is not None:
            subnets.setdefault(node.loopback.network, "lo")
        for net in subnets:
            table[net] = ExpectedRoute(net, "connected", None, frozenset({None}))
        for st in node.static:
            if st.prefix in subnets:
                continue
            if st.next_hop is not None:
                if not any(st.next_hop in net and net.prefixlen < 32 for net in subnets):
                    continue  # unresolvable: the router must not install it
                gw = frozenset({st.next_hop})
            else:
                gw = frozenset({None})
            prev = table.get(st.prefix)
            if prev is not None and prev.protocol == "static":
                gw = prev.gateways | gw
            table[st.prefix] = ExpectedRoute(st.prefix, "static", None, gw, NextHopMatch.ALL)
