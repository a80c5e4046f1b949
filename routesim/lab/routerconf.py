"""Turn one node of the resolved model into the router process's JSON configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routesim.lab.loopback import PORTS, loopback_plan, neighbours
from routesim.rib.sources import StaticSpec
from routesim.router.config import IfaceConf, RouterConfig
from routesim.topology.model import Node, Topology

_SPLIT = {
    "poisoned": "poisoned_reverse",
    "poisoned_reverse": "poisoned_reverse",
    "simple": "simple",
    "off": "off",
}


def rip_section(node: Node) -> dict[str, Any] | None:
    """The ``rip`` part of a router config from the node's typed RIP settings."""
    rip = node.protocol("rip")
    if rip is None:
        return None
    ifaces = []
    for name in rip.interfaces:
        iface = node.iface(name)
        auth = rip.auth
        ifaces.append(
            {
                "name": name,
                "address": str(iface.address),
                "metric": rip.metric_for(name),
                "split_horizon": _SPLIT[str(rip.split_horizon_for(name))],
                "passive": rip.is_passive(name) or iface.kind == "stub",
                "auth": {"mode": auth.mode, "key": auth.key, "key_id": auth.key_id} if auth else None,
                "neighbors": [str(n) for n in rip.neighbors if n in iface.network],
            }
        )
    return {"interfaces": ifaces, "redistribute": list(rip.redistribute)}


def ospf_section(node: Node) -> dict[str, Any] | None:
    """The ``ospf`` part of a router config from the node's typed OSPF settings.

    The loopback is added as a passive interface ``lo`` (a host route of cost 0, RFC 2328 §9.1)
    in the settings' ``loopback_area``.
    """
    ospf = node.protocol("ospf")
    if ospf is None:
        return None
    auth = ospf.auth
    auth_json = {"mode": auth.mode, "key": auth.key, "key_id": auth.key_id} if auth else None
    ifaces = []
    for i in ospf.interfaces:
        iface = node.iface(i.name)
        ifaces.append(
            {
                "name": i.name,
                "address": str(iface.address),
                "area": str(i.area),
                "cost": i.cost,
                "network_type": i.network_type,
                "priority": i.priority,
                "hello": i.hello,
                "dead": i.dead,
                "retransmit": i.retransmit,
                "transmit_delay": i.transmit_delay,
                "passive": i.passive,
                "auth": auth_json,
                "mtu": iface.mtu,
            }
        )
    if node.loopback is not None:
        ifaces.append(
            {
                "name": "lo",
                "address": str(node.loopback),
                "area": str(ospf.loopback_area),
                "cost": 0,
                "network_type": "broadcast",
                "passive": True,
            }
        )
    return {
        "interfaces": ifaces,
        "redistribute": list(ospf.redistribute),
        "external_metric_type": ospf.external_metric_type,
        "external_metric": ospf.external_metric,
    }


def router_config(
    node: Node, topo: Topology, state_dir: Path, *, seed: int = 0, mode: str = "netns"
) -> RouterConfig:
    """The router's JSON config; ``mode="loopback"`` adds 127.x binds, peers and the port mapping."""
    protocols: dict[str, Any] = {}
    rip = rip_section(node)
    if rip is not None:
        protocols["rip"] = rip
    ospf = ospf_section(node)
    if ospf is not None:
        protocols["ospf"] = ospf
    ndir = state_dir / "nodes" / node.name
    plan = loopback_plan(topo) if mode == "loopback" else None
    assert node.router_id is not None
    return RouterConfig(
        node=node.name,
        router_id=node.router_id,
        loopback=node.loopback,
        interfaces=tuple(_iface(topo, node, i, plan) for i in node.interfaces),
        static=tuple(
            StaticSpec(
                s.prefix,
                s.next_hop,
                s.interface,
                s.distance,
                s.metric,
                s.blackhole,
            )
            for s in node.static
        ),
        protocols=protocols,
        timers=topo.timers.as_dict(),
        control=str(ndir / "control.sock"),
        event_log=str(ndir / "events.jsonl"),
        seed=seed,
        mode=mode,
        install_fib=mode != "loopback",
        ports=dict(PORTS) if mode == "loopback" else {},
    )


def _iface(topo: Topology, node: Node, i, plan) -> IfaceConf:
    if plan is None:
        return IfaceConf(i.name, i.address, i.cost, str(i.kind))
    peers = tuple(
        (topo.node(n).iface(f).address.ip, plan[(n, f)]) for n, f in neighbours(topo, node.name, i.name)
    )
    return IfaceConf(i.name, i.address, i.cost, str(i.kind), plan[(node.name, i.name)], peers)
