"""The router process's configuration: a JSON file written by the lab from the resolved model.

The router never reads the topology YAML: the lab decides everything and hands each router only
what it needs (its interfaces, static routes, protocol settings, timers, where to put its control
socket and logs). This keeps ``router/`` independent of ``topology/`` as DESIGN.md layers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from routesim.rib.sources import StaticSpec


@dataclass(frozen=True)
class IfaceConf:
    name: str
    address: IPv4Interface
    cost: int = 1
    kind: str = "p2p"
    #: loopback mode: the 127.x address this interface binds, and its neighbours on the segment
    #: as (model address, 127.x address) pairs
    bind: IPv4Address | None = None
    peers: tuple[tuple[IPv4Address, IPv4Address], ...] = ()


@dataclass(frozen=True)
class RouterConfig:
    node: str
    router_id: IPv4Address
    loopback: IPv4Interface | None
    interfaces: tuple[IfaceConf, ...]
    static: tuple[StaticSpec, ...] = ()
    protocols: dict[str, Any] = field(default_factory=dict)
    timers: dict[str, float] = field(default_factory=dict)
    control: str = ""
    event_log: str = ""
    mode: str = "netns"  # netns | loopback
    install_fib: bool = True
    seed: int = 0
    #: loopback mode only: protocol -> port offset mapping (documented in docs/architecture.md)
    ports: dict[str, int] = field(default_factory=dict)
    #: loopback mode only: every model address of the lab -> its 127.x address (BGP sessions)
    addr_map: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "router_id": str(self.router_id),
            "loopback": str(self.loopback) if self.loopback else None,
            "interfaces": [
                {
                    "name": i.name,
                    "address": str(i.address),
                    "cost": i.cost,
                    "kind": i.kind,
                    "bind": str(i.bind) if i.bind else None,
                    "peers": [[str(m), str(b)] for m, b in i.peers],
                }
                for i in self.interfaces
            ],
            "static": [
                {
                    "prefix": str(s.prefix),
                    "next_hop": str(s.next_hop) if s.next_hop else None,
                    "interface": s.interface,
                    "distance": s.distance,
                    "metric": s.metric,
                    "blackhole": s.blackhole,
                }
                for s in self.static
            ],
            "protocols": self.protocols,
            "timers": self.timers,
            "control": self.control,
            "event_log": self.event_log,
            "mode": self.mode,
            "install_fib": self.install_fib,
            "seed": self.seed,
            "ports": self.ports,
            "addr_map": self.addr_map,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RouterConfig:
        return cls(
            node=d["node"],
            router_id=IPv4Address(d["router_id"]),
            loopback=IPv4Interface(d["loopback"]) if d.get("loopback") else None,
            interfaces=tuple(
                IfaceConf(
                    i["name"],
                    IPv4Interface(i["address"]),
                    i.get("cost", 1),
                    i.get("kind", "p2p"),
                    IPv4Address(i["bind"]) if i.get("bind") else None,
                    tuple((IPv4Address(m), IPv4Address(b)) for m, b in i.get("peers", ())),
                )
                for i in d["interfaces"]
            ),
            static=tuple(
                StaticSpec(
                    IPv4Network(s["prefix"]),
                    IPv4Address(s["next_hop"]) if s.get("next_hop") else None,
                    s.get("interface"),
                    s.get("distance", 1),
                    s.get("metric", 0),
                    s.get("blackhole", False),
                )
                for s in d.get("static", ())
            ),
            protocols=d.get("protocols", {}),
            timers=d.get("timers", {}),
            control=d.get("control", ""),
            event_log=d.get("event_log", ""),
            mode=d.get("mode", "netns"),
            install_fib=d.get("install_fib", True),
            seed=d.get("seed", 0),
            ports=d.get("ports", {}),
            addr_map=d.get("addr_map", {}),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> RouterConfig:
        return cls.from_json(json.loads(Path(path).read_text()))
