"""Helpers for external-router tests: hand-built nodes, private namespaces.

Namespaces are named ``rs-xt<N>-<node>`` and always deleted (with every process we started) in
finalizers. Work directories live under /tmp with mode 0755 so that FRR's daemons, running as user
frr, can reach them (pytest's tmp_path sits under a 0700 directory).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest

from routesim.topology.model import (
    Addressing,
    IfaceKind,
    Interface,
    Node,
    NodeKind,
    RipAuthSettings,
    RipSettings,
    SplitHorizon,
    StaticRoute,
    Timers,
    Topology,
)

IS_ROOT = os.geteuid() == 0
HAVE_BIRD = shutil.which("bird") is not None and shutil.which("birdc") is not None
HAVE_FRR = Path("/usr/lib/frr/zebra").exists() and shutil.which("vtysh") is not None

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root to build network namespaces")
needs_bird = pytest.mark.skipif(not HAVE_BIRD, reason="bird/birdc not installed")
needs_frr = pytest.mark.skipif(not HAVE_FRR, reason="FRR (/usr/lib/frr/zebra, vtysh) not installed")

FAST = Timers(profile="fast", rip_update=5.0, rip_timeout=15.0, rip_garbage=10.0)


def p2p(node: str, name: str, addr: str, peer: str, peer_addr: str, cost: int = 1) -> Interface:
    return Interface(
        node,
        name,
        IfaceKind.P2P,
        IPv4Interface(addr),
        "l0",
        peer=peer,
        peer_address=IPv4Address(peer_addr),
        cost=cost,
    )


def stub(node: str, name: str, addr: str) -> Interface:
    return Interface(node, name, IfaceKind.STUB, IPv4Interface(addr), "")


def router(
    name: str,
    kind: NodeKind,
    loopback: str,
    interfaces: tuple[Interface, ...],
    *,
    static: tuple[StaticRoute, ...] = (),
    rip: object | None = None,
) -> Node:
    lo = IPv4Interface(loopback + "/32")
    return Node(
        name,
        kind,
        interfaces,
        router_id=lo.ip,
        loopback=lo,
        static=static,
        protocols=(("rip", rip),) if rip is not None else (),
    )


def topology(*nodes: Node, timers: Timers = FAST, name: str = "xt") -> Topology:
    return Topology(name, "<test>", timers, Addressing(), tuple(nodes))


def rip_settings(
    interfaces: tuple[str, ...],
    *,
    passive: frozenset[str] = frozenset(),
    split_horizon: SplitHorizon = SplitHorizon.POISONED,
    redistribute: tuple[str, ...] = (),
    auth: RipAuthSettings | None = None,
) -> RipSettings:
    return RipSettings(
        interfaces=interfaces,
        passive=passive,
        split_horizon=split_horizon,
        redistribute=redistribute,
        auth=auth,
        metrics=tuple((i, 1) for i in interfaces),
    )


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check)


class Namespaces:
    """Creates ``rs-xt<N>-<node>`` namespaces and veths; :meth:`cleanup` removes all of them."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.created: list[str] = []

    def ns(self, node: str) -> str:
        name = f"rs-{self.tag}-{node}"
        sh("ip", "netns", "add", name)
        self.created.append(name)
        sh("ip", "-n", name, "link", "set", "dev", "lo", "up")
        sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        return name

    def veth(self, ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
        """A veth pair with one end in each namespace (created inside ns_a: no host interface)."""
        sh("ip", "-n", ns_a, "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
        sh("ip", "-n", ns_a, "link", "set", "dev", if_a, "up")
        sh("ip", "-n", ns_b, "link", "set", "dev", if_b, "up")

    def addr(self, ns: str, dev: str, cidr: str) -> None:
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev)

    def configure(self, ns: str, node: Node) -> None:
        """Give the namespace the node's addresses: loopback on lo, stubs as a veth pair in ns."""
        if node.loopback is not None:
            self.addr(ns, "lo", str(node.loopback))
        for i in node.interfaces:
            if i.kind is IfaceKind.STUB:
                peer = f"{i.name}p"[:15]
                sh("ip", "-n", ns, "link", "add", i.name, "type", "veth", "peer", "name", peer)
                sh("ip", "-n", ns, "link", "set", "dev", i.name, "up")
                sh("ip", "-n", ns, "link", "set", "dev", peer, "up")
            self.addr(ns, i.name, str(i.address))

    def cleanup(self) -> None:
        for name in reversed(self.created):
            sh("ip", "netns", "del", name, check=False)
        self.created.clear()
