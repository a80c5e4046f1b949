"""The topology as a networkx graph: what every protocol oracle starts from.

Nodes are the model's nodes plus one pseudo-node per LAN (``lan:<name>``). Each directed edge
``u -> v`` carries the outgoing interface of ``u`` (``iface``), the address of ``v`` on that
segment (``gateway``) and ``u``'s interface cost (``cost``); a LAN pseudo-node's outgoing edges cost
0, as an OSPF network-LSA's do (RFC 2328 §16.1).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from routesim.topology.model import Topology


def lan_node(name: str) -> str:
    return f"lan:{name}"


def build_graph(
    topo: Topology, *, down_links: Iterable[str] = (), down_nodes: Iterable[str] = ()
) -> nx.DiGraph:
    """Directed multigraph-free view of the lab; parallel links keep the cheapest edge per direction.

    ``down_links`` (link ids or LAN names) are left out. ``down_nodes`` (crashed or stopped
    routers) stay in the graph with ``down=True``: their links keep carrier, so their neighbours
    keep the connected subnets, but no protocol routes through them or learns from them
    (:func:`is_up`). The events machinery recomputes the oracle this way after a failure.
    """
    down_l, down_n = set(down_links), set(down_nodes)
    g = nx.DiGraph(down_links=down_l)
    for n in topo.nodes:
        g.add_node(n.name, kind=str(n.kind), down=n.name in down_n)

    def add(u: str, v: str, **data) -> None:
        old = g.get_edge_data(u, v)
        if old is None or data["cost"] < old["cost"]:
            g.add_edge(u, v, **data)

    for link in topo.links:
        if link.id in down_l:
            continue
        a, b = link.a, link.b
        add(a.node, b.node, iface=a.iface, gateway=b.address.ip, cost=a.cost, link=link.id)
        add(b.node, a.node, iface=b.iface, gateway=a.address.ip, cost=b.cost, link=link.id)
    for lan in topo.lans:
        if lan.name in down_l:
            continue
        ln = lan_node(lan.name)
        g.add_node(ln, kind="lan", subnet=lan.subnet)
        for m in lan.members:
            g.add_edge(m.node, ln, iface=m.iface, gateway=None, cost=m.cost, link=lan.name)
            g.add_edge(ln, m.node, iface=None, gateway=m.address.ip, cost=0, link=lan.name)
    return g


def is_up(graph: nx.DiGraph, node: str) -> bool:
    """A node that runs (not crashed or stopped)."""
    return node in graph and not graph.nodes[node].get("down", False)
