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


def _ospf_speaker_beyond(topo: Topology | None, node: Node, name: str) -> bool:
    """Whether another router runs OSPF, not passive, on the link or LAN of ``node``'s interface
    ``name`` (a link to hosts only has nobody to wait for: ``origination.adjacency_hold``)."""
    if topo is None:
        return True
    iface = node.iface(name)
    if not iface.link:
        return False
    for other in topo.routers:
        ospf = other.protocol("ospf") if other.name != node.name else None
        if ospf is None:
            continue
        active = {i.name for i in ospf.interfaces if not i.passive}
        if any(oi.link == iface.link and oi.name in active for oi in other.interfaces):
            return True
    return False


def ospf_section(node: Node, topo: Topology | None = None) -> dict[str, Any] | None:
    """The ``ospf`` part of a router config from the node's typed OSPF settings.

    The loopback is added as a passive interface ``lo`` (a host route of cost 0, RFC 2328 §9.1)
    in the settings' ``loopback_area``. With ``topo``, each interface says whether an OSPF router
    is beyond it (``expect_neighbors``).
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
                "expect_neighbors": _ospf_speaker_beyond(topo, node, i.name),
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


def _policy_json(pol) -> dict[str, Any] | None:
    if pol is None:
        return None
    return {
        "rules": [
            {
                "prefixes": [[str(p), ge, le] for p, ge, le in r.prefixes],
                "as_path_regex": r.as_path_regex,
                "as_path_contains": r.as_path_contains,
                "as_path_origin": r.as_path_origin,
                "community": list(r.community) if r.community else None,
                "action": r.action,
                "set_local_pref": r.set_local_pref,
                "set_med": r.set_med,
                "add_communities": [list(c) for c in r.add_communities],
                "prepend": r.prepend,
            }
            for r in pol.rules
        ],
        "default": pol.default,
    }


def bgp_section(node: Node) -> dict[str, Any] | None:
    """The ``bgp`` part of a router config from the node's typed BGP settings."""
    bgp = node.protocol("bgp")
    if bgp is None:
        return None
    neighbors = []
    for n in bgp.neighbors:
        neighbors.append(
            {
                "address": str(n.address),
                "remote_as": n.remote_as,
                "local_address": str(n.local_address),
                "description": n.name,
                "ebgp": n.ebgp,
                "multihop": n.ebgp and bool(getattr(n, "multihop", False)),
                "passive": n.passive,
                "next_hop_self": n.next_hop_self,
                "route_reflector_client": n.route_reflector_client,
                "hold_time": n.hold_time,
                "keepalive": n.keepalive,
                "md5": n.md5,
                "max_prefix": n.max_prefix,
                "ttl_security": n.ttl_security,
                "relationship": n.relationship,
                "four_octet_as": n.four_octet_as,
                "import": _policy_json(n.import_policy),
                "export": _policy_json(n.export_policy),
            }
        )
    return {
        "asn": bgp.asn,
        "neighbors": neighbors,
        "announce": [str(p) for p in bgp.announce],
        "announce_always": bgp.announce_always,
        "redistribute": list(bgp.redistribute),
        "cluster_id": str(bgp.cluster_id) if bgp.cluster_id else None,
    }


def router_config(
    node: Node, topo: Topology, state_dir: Path, *, seed: int = 0, mode: str = "netns"
) -> RouterConfig:
    """The router's JSON config; ``mode="loopback"`` adds 127.x binds, peers and the port mapping."""
    protocols: dict[str, Any] = {}
    rip = rip_section(node)
    if rip is not None:
        protocols["rip"] = rip
    ospf = ospf_section(node, topo)
    if ospf is not None:
        protocols["ospf"] = ospf
    bgp = bgp_section(node)
    if bgp is not None:
        protocols["bgp"] = bgp
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
        addr_map=_addr_map(topo, plan) if plan is not None else {},
    )


def _addr_map(topo: Topology, plan) -> dict[str, str]:
    """Every model address of the lab -> its 127.x address (loopbacks included)."""
    out = {str(topo.node(n).iface(i).address.ip): str(a) for (n, i), a in plan.items() if i != "lo"}
    out.update({str(topo.node(n).loopback.ip): str(a) for (n, i), a in plan.items() if i == "lo"})
    return out


def _iface(topo: Topology, node: Node, i, plan) -> IfaceConf:
    if plan is None:
        return IfaceConf(i.name, i.address, i.cost, str(i.kind))
    peers = tuple(
        (topo.node(n).iface(f).address.ip, plan[(n, f)]) for n, f in neighbours(topo, node.name, i.name)
    )
    return IfaceConf(i.name, i.address, i.cost, str(i.kind), plan[(node.name, i.name)], peers)
