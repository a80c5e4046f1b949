"""Loopback mode (``routesim run --mode loopback``): a lab without namespaces, root or kernel FIB.

Every interface of the model gets an address of its own in 127.0.0.0/8, which Linux routes to
``lo`` as a whole, so any process may bind it without configuring anything. Routers bind those
addresses on non-privileged ports and translate at their edge: what an engine sends to a multicast
group on an interface goes, unicast, to the loopback address of every neighbour on that link, and
a packet from a neighbour's loopback address reaches the engine as coming from the neighbour's
model address. Engines, RIBs and the oracle therefore see exactly the addresses of the topology.

Address plan: interfaces in model order (node by node, interface by interface) take 127.1.0.1,
127.1.0.2, ... (127.<1+i//65536>.<i//256%256>.<i%256>, skipping .0 and .255 host octets).

Port mapping (documented in docs/architecture.md):

=========  ============  ===============
protocol   real port     loopback mode
=========  ============  ===============
RIP        UDP 520       UDP 10520
BGP        TCP 179       TCP 10179
=========  ============  ===============

OSPF needs raw IP sockets (CAP_NET_RAW) and multicast; it is not available in loopback mode.
There are no hosts' data planes either: ``expect`` checks are skipped, and link failures are
emulated by the routers themselves (the interface is treated as down at both ends).
"""

from __future__ import annotations

from ipaddress import IPv4Address

from routesim.topology.model import Topology

PORTS = {"rip": 10520, "bgp": 10179}


def loopback_plan(topo: Topology) -> dict[tuple[str, str], IPv4Address]:
    """(node, interface) -> its 127.x address."""
    plan = {}
    i = 0
    for node in topo.nodes:
        for iface in node.interfaces:
            while True:
                i += 1
                a, b, c = 1 + i // 65536, (i // 256) % 256, i % 256
                if c not in (0, 255):
                    break
            plan[(node.name, iface.name)] = IPv4Address(f"127.{a}.{b}.{c}")
    # routers' loopbacks too (iBGP sessions between loopbacks), after every interface
    for node in topo.nodes:
        if node.loopback is not None:
            while True:
                i += 1
                a, b, c = 1 + i // 65536, (i // 256) % 256, i % 256
                if c not in (0, 255):
                    break
            plan[(node.name, "lo")] = IPv4Address(f"127.{a}.{b}.{c}")
    return plan


def neighbours(topo: Topology, node: str, iface: str) -> list[tuple[str, str]]:
    """(node, interface) of everyone on the segment of ``node``'s ``iface``."""
    me = topo.node(node).iface(iface)
    out = []
    for link in topo.links:
        if link.id == me.link:
            other = link.other(node)
            out.append((other.node, other.iface))
    for lan in topo.lans:
        if lan.name == me.link:
            out += [(m.node, m.iface) for m in lan.members if m.node != node]
    return out
