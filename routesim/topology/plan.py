"""The addressing plan of a resolved topology, as rich tables (``routesim check``) or JSON.

``format_plan(topo)`` returns the renderables to print in order: a summary line, the node table
(kind, router ID, loopback, AS, protocols) and the interface table (node, name, address, peer, link,
cost, MTU, impairment). ``plan_as_dict(topo)`` is the same content as plain JSON-able values.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from routesim.topology.model import Impairment, Interface, Topology


def _impairment(imp: Impairment) -> str:
    if not imp.active:
        return ""
    parts = []
    if imp.delay:
        parts.append(f"delay {imp.delay * 1000:g}ms")
    if imp.jitter:
        parts.append(f"jitter {imp.jitter * 1000:g}ms")
    if imp.loss:
        parts.append(f"loss {imp.loss * 100:g}%")
    if imp.rate:
        parts.append(f"rate {_rate(imp.rate)}")
    return ", ".join(parts)


def _rate(bits: int) -> str:
    for unit, div in (("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bits % div == 0:
            return f"{bits // div}{unit}"
    return f"{bits}bit"


def _impairments(topo: Topology) -> dict[str, Impairment]:
    out = {lk.id: lk.impairment for lk in topo.links}
    out.update({lan.name: lan.impairment for lan in topo.lans})
    return out


def _peer(topo: Topology, i: Interface) -> str:
    if i.peer is not None:
        return f"{i.peer} ({i.peer_address})" if i.peer_address else i.peer
    for lan in topo.lans:
        if lan.name == i.link:
            return ", ".join(m.node for m in lan.members if m.node != i.node)
    return ""


def format_plan(topo: Topology) -> list[Any]:
    """Renderables for the console: a title line, the node table, the interface table."""
    title = Text.assemble(
        ("lab ", "bold"),
        (topo.name, "bold cyan"),
        f"  ({topo.source})  timers: {topo.timers.profile}  nodes: {len(topo.nodes)}  "
        f"links: {len(topo.links)}  LANs: {len(topo.lans)}",
    )
    nodes = Table(title="Nodes", title_justify="left")
    for col in ("node", "kind", "router ID", "loopback", "AS", "protocols", "gateway"):
        nodes.add_column(col)
    for n in topo.nodes:
        nodes.add_row(
            n.name,
            n.kind.value,
            str(n.router_id or ""),
            str(n.loopback or ""),
            str(n.asn or ""),
            ", ".join(k for k, _ in n.protocols),
            f"{n.gateway} ({n.gateway_node})" if n.gateway else "",
        )
    imps = _impairments(topo)
    ifaces = Table(title="Interfaces", title_justify="left")
    for col in ("node", "interface", "address", "peer", "link", "cost", "mtu", "impairment"):
        ifaces.add_column(col, justify="right" if col in ("cost", "mtu") else "left")
    for n in topo.nodes:
        for i in n.interfaces:
            ifaces.add_row(
                n.name,
                i.name,
                str(i.address),
                _peer(topo, i),
                i.link or "(stub)",
                str(i.cost),
                str(i.mtu),
                _impairment(imps.get(i.link, Impairment())),
            )
    return [title, nodes, ifaces]


def plan_as_dict(topo: Topology) -> dict[str, Any]:
    """The plan as JSON-able values (addresses as strings, durations in seconds)."""
    imps = _impairments(topo)

    def imp(x: Impairment) -> dict[str, Any]:
        return {"delay": x.delay, "jitter": x.jitter, "loss": x.loss, "rate": x.rate}

    return {
        "name": topo.name,
        "source": topo.source,
        "timers": topo.timers.as_dict(),
        "nodes": [
            {
                "name": n.name,
                "kind": n.kind.value,
                "router_id": str(n.router_id) if n.router_id else None,
                "loopback": str(n.loopback) if n.loopback else None,
                "asn": n.asn,
                "protocols": [k for k, _ in n.protocols],
                "gateway": str(n.gateway) if n.gateway else None,
                "gateway_node": n.gateway_node,
                "interfaces": [
                    {
                        "name": i.name,
                        "kind": i.kind.value,
                        "address": str(i.address),
                        "peer": i.peer,
                        "peer_address": str(i.peer_address) if i.peer_address else None,
                        "link": i.link or None,
                        "cost": i.cost,
                        "mtu": i.mtu,
                        "impairment": imp(imps.get(i.link, Impairment())),
                    }
                    for i in n.interfaces
                ],
            }
            for n in topo.nodes
        ],
        "links": [
            {"id": lk.id, "nodes": list(lk.nodes), "subnet": str(lk.subnet), "implicit": lk.implicit}
            for lk in topo.links
        ],
        "lans": [
            {"name": la.name, "subnet": str(la.subnet), "members": [m.node for m in la.members]}
            for la in topo.lans
        ],
    }
