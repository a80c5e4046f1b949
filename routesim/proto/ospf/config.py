"""OSPF engine configuration: frozen values built by the lab from the resolved topology.

Nothing here parses YAML; ``topology/`` decides every value and the lab constructs these. Defaults
are the RFC 2328 Appendix C values (HelloInterval 10 s, RouterDeadInterval 40 s, RxmtInterval 5 s,
InfTransDelay 1 s) and Appendix B constants (MinLSInterval 5 s, MinLSArrival 1 s, LSRefreshTime
1800 s, MaxAge 3600 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from typing import Literal

from routesim.proto.base import RouteProtocol
from routesim.wire.ospf import Authentication, CryptographicAuth, NullAuth, SimplePasswordAuth

NetworkType = Literal["broadcast", "point-to-point"]
BACKBONE = IPv4Address(0)


@dataclass(frozen=True)
class OspfAuth:
    """Per-interface authentication (RFC 2328 Appendix D): simple password or keyed MD5."""

    mode: Literal["simple", "md5"]
    key: str
    key_id: int = 1

    def __post_init__(self) -> None:
        if self.mode not in ("simple", "md5"):
            raise ValueError(f"unknown OSPF auth mode {self.mode!r}")
        limit = 8 if self.mode == "simple" else 16
        if len(self.key.encode()) > limit:
            raise ValueError(f"OSPF {self.mode} keys are at most {limit} octets")
        if not 0 <= self.key_id <= 255:
            raise ValueError("key_id is one octet")

    def wire(self) -> Authentication:
        """The codec's authentication value for this configuration."""
        if self.mode == "simple":
            return SimplePasswordAuth(self.key.encode())
        return CryptographicAuth(self.key_id, self.key.encode())


@dataclass(frozen=True)
class OspfInterface:
    """One interface OSPF runs on (RFC 2328 §9 interface data structure, configured part)."""

    name: str
    address: IPv4Interface
    area: IPv4Address = BACKBONE
    cost: int = 10
    network_type: NetworkType = "broadcast"
    priority: int = 1
    hello_interval: int = 10
    dead_interval: int = 40
    retransmit_interval: float = 5.0
    transmit_delay: int = 1
    #: A passive interface sends and accepts no OSPF packets; its subnet is a stub link (§12.4.1).
    passive: bool = False
    #: False when no OSPF router is on the other side (a link to hosts): nothing to wait for there
    #: at start (``origination.adjacency_hold``); Hellos still go out.
    expect_neighbors: bool = True
    auth: OspfAuth | None = None
    mtu: int = 1500

    def __post_init__(self) -> None:
        if self.network_type not in ("broadcast", "point-to-point"):
            raise ValueError(f"{self.name}: unknown network type {self.network_type!r}")
        # §C.3: 1..65535; a loopback (passive /32) is advertised as a host route of cost 0 (§9.1)
        low = 0 if self.passive and self.address.network.prefixlen == 32 else 1
        if not low <= self.cost <= 0xFFFF:
            raise ValueError(f"{self.name}: interface output cost must be 1..65535 (§C.3)")
        if not 0 <= self.priority <= 255:
            raise ValueError(f"{self.name}: router priority is one octet")
        if self.hello_interval <= 0 or self.dead_interval <= self.hello_interval:
            raise ValueError(f"{self.name}: need 0 < hello_interval < dead_interval")

    @property
    def wire_auth(self) -> Authentication:
        return self.auth.wire() if self.auth else NullAuth()


@dataclass(frozen=True)
class OspfTimers:
    """Router-wide timers, seconds.

    SPF is scheduled by the back-off algorithm of RFC 8405 (``spf_backoff.py``): ``spf_delay`` is
    its INITIAL_SPF_DELAY (the wait after the first change of a quiet period), ``spf_short_delay``
    and ``spf_long_delay`` the waits while changes keep coming (SHORT_ and LONG_SPF_DELAY),
    ``spf_time_to_learn`` how long the short ones last (TIME_TO_LEARN_INTERVAL), ``spf_holddown``
    the quiet time that resets it (HOLDDOWN_INTERVAL). Changes during a wait join that run.

    ``adjacency_hold`` (0 = off, RFC 2328 as written) is the longest a new router- or network-LSA
    instance waits while adjacencies are still forming, so that one instance describes them all
    (``origination.adjacency_hold``).
    """

    spf_delay: float = 1.0
    min_ls_interval: float = 5.0
    min_ls_arrival: float = 1.0
    lsrefresh: int = 1800
    maxage: int = 3600
    spf_short_delay: float = 1.0
    spf_long_delay: float = 5.0
    spf_time_to_learn: float = 1.0
    spf_holddown: float = 10.0
    adjacency_hold: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.lsrefresh < self.maxage <= 3600:
            raise ValueError("need 0 < lsrefresh < maxage <= 3600")
        if min(self.spf_delay, self.spf_short_delay, self.spf_long_delay) < 0:
            raise ValueError("SPF delays must not be negative")
        if self.spf_time_to_learn <= 0 or self.spf_holddown <= 0:
            raise ValueError("spf_time_to_learn and spf_holddown must be positive")
        if self.adjacency_hold < 0:
            raise ValueError("adjacency_hold must not be negative")


@dataclass(frozen=True)
class OspfConfig:
    """The whole OSPF instance of one router."""

    router_id: IPv4Address
    interfaces: tuple[OspfInterface, ...]
    timers: OspfTimers = field(default_factory=OspfTimers)
    #: RIB protocols whose selected routes are announced in AS-external-LSAs (§12.4.4).
    redistribute: frozenset[RouteProtocol] = frozenset()
    external_metric_type: Literal[1, 2] = 2
    external_metric: int = 20

    def __post_init__(self) -> None:
        if self.external_metric_type not in (1, 2):
            raise ValueError("external_metric_type is 1 or 2")
        if not 0 <= self.external_metric < 0xFFFFFF:
            raise ValueError("external_metric must be below LSInfinity")
        if RouteProtocol.OSPF in self.redistribute:
            raise ValueError("OSPF cannot redistribute itself")

    def interface(self, name: str) -> OspfInterface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    @property
    def areas(self) -> tuple[IPv4Address, ...]:
        return tuple(sorted({i.area for i in self.interfaces}))
