"""Build protocol engines from a router's configuration (the ``protocols`` part of its JSON).

Each factory turns the plain JSON the lab wrote into the engine's own frozen config and returns
``(engine, transport)`` where transport names the driver that carries its packets
(``udp-rip``, ``raw-ospf``, ``tcp-bgp``). New protocols add a factory here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface
from typing import Any

from routesim.proto.base import Engine, RouteProtocol
from routesim.router.config import RouterConfig

Factory = Callable[[RouterConfig, dict[str, Any], random.Random], tuple[Engine, str]]


def _rip(cfg: RouterConfig, section: dict[str, Any], rng: random.Random) -> tuple[Engine, str]:
    from routesim.proto.rip.config import RipAuth, RipConfig, RipInterface, RipTimers, SplitHorizon
    from routesim.proto.rip.engine import RipEngine

    t = cfg.timers
    timers = RipTimers(
        update=t.get("rip_update", 30.0),
        timeout=t.get("rip_timeout", 180.0),
        garbage=t.get("rip_garbage", 120.0),
        triggered_min=t.get("rip_triggered_min", 1.0),
        triggered_max=t.get("rip_triggered_max", 5.0),
    )
    ifaces = []
    for i in section.get("interfaces", []):
        auth = i.get("auth")
        ifaces.append(
            RipInterface(
                name=i["name"],
                address=IPv4Interface(i["address"]),
                metric=i.get("metric", 1),
                split_horizon=SplitHorizon(i.get("split_horizon", "poisoned_reverse")),
                passive=i.get("passive", False),
                auth=RipAuth(auth["mode"], auth["key"], auth.get("key_id", 1)) if auth else None,
                neighbors=tuple(IPv4Address(n) for n in i.get("neighbors", ())),
            )
        )
    config = RipConfig(
        router_id=str(cfg.router_id),
        interfaces=tuple(ifaces),
        timers=timers,
        redistribute=frozenset(RouteProtocol(p) for p in section.get("redistribute", ())),
        port=int(cfg.ports.get("rip", 520)),
    )
    return RipEngine(config, rng), "udp-rip"


def _ospf(cfg: RouterConfig, section: dict[str, Any], rng: random.Random) -> tuple[Engine, str]:
    from routesim.proto.ospf.config import OspfAuth, OspfConfig, OspfInterface, OspfTimers
    from routesim.proto.ospf.engine import OspfEngine

    t = cfg.timers
    ifaces = []
    for i in section.get("interfaces", []):
        auth = i.get("auth")
        ifaces.append(
            OspfInterface(
                name=i["name"],
                address=IPv4Interface(i["address"]),
                area=IPv4Address(i.get("area", "0.0.0.0")),
                cost=int(i.get("cost", 1)),
                network_type=i.get("network_type", "broadcast"),
                priority=int(i.get("priority", 1)),
                hello_interval=int(i.get("hello", t.get("ospf_hello", 10))),
                dead_interval=int(i.get("dead", t.get("ospf_dead", 40))),
                retransmit_interval=float(i.get("retransmit", t.get("ospf_retransmit", 5.0))),
                transmit_delay=int(i.get("transmit_delay", t.get("ospf_transmit_delay", 1))),
                passive=bool(i.get("passive", False)),
                expect_neighbors=bool(i.get("expect_neighbors", True)),
                auth=OspfAuth(auth["mode"], auth["key"], auth.get("key_id", 1)) if auth else None,
                mtu=int(i.get("mtu", 1500)),
            )
        )
    config = OspfConfig(
        router_id=cfg.router_id,
        interfaces=tuple(ifaces),
        timers=OspfTimers(
            spf_delay=t.get("ospf_spf_delay", 1.0),
            spf_short_delay=t.get("ospf_spf_short_delay", 1.0),
            spf_long_delay=t.get("ospf_spf_long_delay", 5.0),
            spf_time_to_learn=t.get("ospf_spf_time_to_learn", 1.0),
            spf_holddown=t.get("ospf_spf_holddown", 10.0),
            adjacency_hold=t.get("ospf_adjacency_hold", 0.0),
            min_ls_interval=t.get("ospf_min_ls_interval", 5.0),
            min_ls_arrival=t.get("ospf_min_ls_arrival", 1.0),
        ),
        redistribute=frozenset(RouteProtocol(p) for p in section.get("redistribute", ())),
        external_metric_type=int(section.get("external_metric_type", 2)),
        external_metric=int(section.get("external_metric", 20)),
    )
    return OspfEngine(config, rng), "raw-ospf"


def bgp_policy(d: dict[str, Any] | None):
    """A policy from the router config's JSON (see ``lab/routerconf.py``)."""
    from ipaddress import IPv4Network

    from routesim.proto.bgp.policy import AsPathMatch, Policy, PolicyRule, PrefixMatch

    if not d:
        return None

    def community(c) -> int:
        return (int(c[0]) << 16) | int(c[1])

    rules = []
    for r in d.get("rules", []):
        as_path = None
        if (
            r.get("as_path_regex")
            or r.get("as_path_contains") is not None
            or r.get("as_path_origin") is not None
        ):
            as_path = AsPathMatch(r.get("as_path_regex"), r.get("as_path_contains"), r.get("as_path_origin"))
        rules.append(
            PolicyRule(
                prefixes=tuple(PrefixMatch(IPv4Network(p), ge, le) for p, ge, le in r.get("prefixes", [])),
                as_path=as_path,
                community=community(r["community"]) if r.get("community") else None,
                action=r.get("action", "accept"),
                set_local_pref=r.get("set_local_pref"),
                set_med=r.get("set_med"),
                add_communities=tuple(community(c) for c in r.get("add_communities", [])),
                prepend=int(r.get("prepend", 0)),
            )
        )
    return Policy(tuple(rules), d.get("default", "accept"))


def _bgp(cfg: RouterConfig, section: dict[str, Any], rng: random.Random) -> tuple[Engine, str]:
    from ipaddress import IPv4Network

    from routesim.proto.bgp.config import BgpConfig, BgpNeighbor
    from routesim.proto.bgp.engine import BgpEngine

    t = cfg.timers
    asn = int(section["asn"])
    # MinRouteAdvertisementIntervalTimer per session type (RFC 4271 §9.2.1.1); absent: no limit.
    mrai = {
        True: float(t.get("bgp_min_route_advertisement_ebgp", 0.0)),
        False: float(t.get("bgp_min_route_advertisement_ibgp", 0.0)),
    }
    neighbors = tuple(
        BgpNeighbor(
            address=IPv4Address(n["address"]),
            remote_as=int(n["remote_as"]),
            local_address=IPv4Address(n["local_address"]) if n.get("local_address") else None,
            description=n.get("description", ""),
            passive=bool(n.get("passive", False)),
            next_hop_self=bool(n.get("next_hop_self", False)),
            route_reflector_client=bool(n.get("route_reflector_client", False)),
            hold_time=n.get("hold_time"),
            keepalive=n.get("keepalive"),
            min_route_advertisement=mrai[int(n["remote_as"]) != asn],
            md5_password=n.get("md5"),
            max_prefix=n.get("max_prefix"),
            ttl_security=bool(n.get("ttl_security", False)),
            import_policy=bgp_policy(n.get("import")),
            export_policy=bgp_policy(n.get("export")),
            relationship=n.get("relationship"),
            four_octet_as=bool(n.get("four_octet_as", True)),
        )
        for n in section.get("neighbors", [])
    )
    config = BgpConfig(
        asn=asn,
        router_id=cfg.router_id,
        neighbors=neighbors,
        announce=tuple(IPv4Network(p) for p in section.get("announce", ())),
        announce_always=bool(section.get("announce_always", False)),
        redistribute=frozenset(RouteProtocol(p) for p in section.get("redistribute", ())),
        hold_time=float(t.get("bgp_hold", 180.0)),
        keepalive=float(t.get("bgp_keepalive", 60.0)),
        connect_retry=float(t.get("bgp_connect_retry", 120.0)),
        cluster_id=IPv4Address(section["cluster_id"]) if section.get("cluster_id") else None,
        install_routes=bool(section.get("install_routes", True)),
    )
    return BgpEngine(config, rng), "tcp-bgp"


FACTORIES: dict[str, Factory] = {"rip": _rip, "ospf": _ospf, "bgp": _bgp}


def build_engines(cfg: RouterConfig) -> list[tuple[Engine, str]]:
    out = []
    for name, section in cfg.protocols.items():
        factory = FACTORIES.get(name)
        if factory is None:
            raise ValueError(f"{cfg.node}: protocol {name!r} is not implemented by routesim routers yet")
        out.append(factory(cfg, section, random.Random(f"{cfg.seed}:{cfg.node}:{name}")))
    return out
