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
                auth=OspfAuth(auth["mode"], auth["key"], auth.get("key_id", 1)) if auth else None,
                mtu=int(i.get("mtu", 1500)),
            )
        )
    config = OspfConfig(
        router_id=cfg.router_id,
        interfaces=tuple(ifaces),
        timers=OspfTimers(
            spf_delay=t.get("ospf_spf_delay", 1.0),
            min_ls_interval=t.get("ospf_min_ls_interval", 5.0),
            min_ls_arrival=t.get("ospf_min_ls_arrival", 1.0),
        ),
        redistribute=frozenset(RouteProtocol(p) for p in section.get("redistribute", ())),
        external_metric_type=int(section.get("external_metric_type", 2)),
        external_metric=int(section.get("external_metric", 20)),
    )
    return OspfEngine(config, rng), "raw-ospf"


FACTORIES: dict[str, Factory] = {"rip": _rip, "ospf": _ospf}


def build_engines(cfg: RouterConfig) -> list[tuple[Engine, str]]:
    out = []
    for name, section in cfg.protocols.items():
        factory = FACTORIES.get(name)
        if factory is None:
            raise ValueError(f"{cfg.node}: protocol {name!r} is not implemented by routesim routers yet")
        out.append(factory(cfg, section, random.Random(f"{cfg.seed}:{cfg.node}:{name}")))
    return out
