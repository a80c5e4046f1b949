"""Protocol oracles register here; :func:`expected_tables` runs them in ``_ORDER``.

The IGPs come first: the BGP oracle reads their routes (covering routes for ``announce``, next-hop
resolution and IGP costs, session reachability between loopbacks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import networkx as nx

from routesim.oracle.connected import connected_and_static
from routesim.oracle.expected import ExpectedTables
from routesim.oracle.graph import build_graph
from routesim.topology.model import Topology

#: protocol section name -> function(topo, graph, tables) adding that protocol's routes.
OracleFn = Callable[[Topology, nx.DiGraph, ExpectedTables], None]
_REGISTRY: dict[str, OracleFn] = {}
_ORDER = ("ospf", "rip", "bgp")


def register(protocol: str, fn: OracleFn) -> OracleFn:
    _REGISTRY[protocol] = fn
    return fn


def _load_builtin() -> None:
    # Protocol oracles live in their own modules and register on import; a missing module simply
    # leaves its protocol "not modeled".
    import importlib

    for name in _ORDER:
        try:
            importlib.import_module(f"routesim.oracle.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"routesim.oracle.{name}":
                raise


def expected_tables(
    topo: Topology, *, down_links: Iterable[str] = (), down_nodes: Iterable[str] = ()
) -> ExpectedTables:
    _load_builtin()
    graph = build_graph(topo, down_links=down_links, down_nodes=down_nodes)
    tables = ExpectedTables()
    connected_and_static(topo, graph, tables)
    configured = {name for n in topo.routers for name, _ in n.protocols}
    for proto in _ORDER:
        if proto not in configured:
            continue
        fn = _REGISTRY.get(proto)
        if fn is None:
            for n in topo.routers:
                if n.protocol(proto) is not None:
                    tables.not_modeled.append((n.name, _rib_name(proto), "no oracle for this protocol yet"))
            continue
        fn(topo, graph, tables)
    return tables


def _rib_name(proto: str) -> str:
    return {"bgp": "bgp"}.get(proto, proto)
