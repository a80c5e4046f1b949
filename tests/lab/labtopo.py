"""Hand-built resolved topologies for lab tests (the YAML loader is not used here)."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network

from routesim.topology.model import (
    Addressing,
    Endpoint,
    IfaceKind,
    Impairment,
    Interface,
    Lan,
    Link,
    Node,
    NodeKind,
    Timers,
    Topology,
)


class TopoBuilder:
    """A tiny builder of resolved topologies (the YAML loader is not used by these tests)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kinds: dict[str, NodeKind] = {}
        self.loopbacks: dict[str, IPv4Interface | None] = {}
        self.ifaces: dict[str, list[Interface]] = {}
        self.gateways: dict[str, str] = {}
        self.links: list[Link] = []
        self.lans: list[Lan] = []

    def router(self, name: str, loopback: str) -> TopoBuilder:
        self.kinds[name] = NodeKind.ROUTESIM
        self.loopbacks[name] = IPv4Interface(loopback + "/32")
        self.ifaces[name] = []
        return self

    def host(self, name: str, gateway: str) -> TopoBuilder:
        self.kinds[name] = NodeKind.HOST
        self.loopbacks[name] = None
        self.ifaces[name] = []
        self.gateways[name] = gateway
        return self

    def link(self, a: str, b: str, subnet: str, impairment: Impairment | None = None) -> TopoBuilder:
        net = IPv4Network(subnet)
        hosts = list(net.hosts())
        lid = f"l{len(self.links)}"
        eps = []
        for node, peer, ip, pip in ((a, b, hosts[0], hosts[1]), (b, a, hosts[1], hosts[0])):
            addr = IPv4Interface(f"{ip}/{net.prefixlen}")
            taken = {i.name for i in self.ifaces[node]}
            name = peer
            k = 0
            while name in taken:  # a second link to the same peer: "-1", "-2"...
                k += 1
                name = f"{peer}-{k}"
            self.ifaces[node].append(
                Interface(node, name, IfaceKind.P2P, addr, lid, peer=peer, peer_address=pip)
            )
            eps.append(Endpoint(node, name, addr, 1))
        self.links.append(Link(lid, eps[0], eps[1], net, impairment or Impairment()))
        return self

    def lan(self, name: str, members: list[str], subnet: str) -> TopoBuilder:
        net = IPv4Network(subnet)
        hosts = list(net.hosts())
        eps = []
        for k, node in enumerate(members):
            addr = IPv4Interface(f"{hosts[k]}/{net.prefixlen}")
            self.ifaces[node].append(Interface(node, name, IfaceKind.LAN, addr, name))
            eps.append(Endpoint(node, name, addr, 1))
        self.lans.append(Lan(name, net, tuple(eps)))
        return self

    def stub(self, node: str, prefix: str) -> TopoBuilder:
        net = IPv4Network(prefix)
        k = sum(1 for i in self.ifaces[node] if i.kind is IfaceKind.STUB)
        addr = IPv4Interface(f"{next(net.hosts())}/{net.prefixlen}")
        self.ifaces[node].append(Interface(node, f"stub{k}", IfaceKind.STUB, addr, ""))
        return self

    def build(self) -> Topology:
        nodes = []
        for name, kind in self.kinds.items():
            gw = gw_node = None
            if name in self.gateways:
                gw_node = self.gateways[name]
                gw = next(i.peer_address for i in self.ifaces[name] if i.peer == gw_node)
            lo = self.loopbacks[name]
            nodes.append(
                Node(
                    name,
                    kind,
                    tuple(self.ifaces[name]),
                    router_id=lo.ip if lo else None,
                    loopback=lo,
                    gateway=gw,
                    gateway_node=gw_node,
                )
            )
        return Topology(
            self.name, "<test>", Timers(), Addressing(), tuple(nodes), tuple(self.links), tuple(self.lans)
        )


def small_topology(name: str = "t") -> Topology:
    """3 routers (r1-r2, r2-r3), a LAN of the three, a stub on r3 and a host behind r1."""
    return (
        TopoBuilder(name)
        .router("r1", "10.255.0.1")
        .router("r2", "10.255.0.2")
        .router("r3", "10.255.0.3")
        .host("h1", "r1")
        .link("r1", "r2", "10.0.0.0/30")
        .link("r2", "r3", "10.0.0.4/30")
        .link("h1", "r1", "10.0.1.0/30")
        .lan("lan1", ["r1", "r2", "r3"], "172.16.0.0/24")
        .stub("r3", "192.0.2.0/24")
        .build()
    )
