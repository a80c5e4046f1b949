"""BGP engine configuration: frozen values built by the lab from the resolved topology.

Timers are seconds (floats, so the ``fast`` profile's 1 s / 3 s fit); the Hold Time sent in OPEN is
rounded to whole seconds (RFC 4271 §4.2). Per-neighbour values of ``None`` fall back to the
instance-wide ones in :class:`BgpConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from routesim.proto.base import RouteProtocol
from routesim.proto.bgp.policy import Policy

Relationship = Literal["customer", "peer", "provider"]


@dataclass(frozen=True)
class BgpNeighbor:
    """One configured peer. ``ebgp`` is derived from ``remote_as`` and the local AS (see ``BgpConfig``)."""

    address: IPv4Address
    remote_as: int
    local_address: IPv4Address | None = None
    description: str = ""
    passive: bool = False
    next_hop_self: bool = False
    route_reflector_client: bool = False
    hold_time: float | None = None
    keepalive: float | None = None
    connect_retry: float | None = None
    #: MinRouteAdvertisementIntervalTimer (RFC 4271 §9.2.1.1), seconds: after an UPDATE to this peer,
    #: further advertisements and withdrawals wait this long (jittered x[0.75, 1], §10). 0: no limit.
    min_route_advertisement: float = 0.0
    #: Carried for the runtime (TCP_MD5SIG, RFC 2385); the engine never looks at it.
    md5_password: str | None = None
    #: RFC 4486 §4: Cease / Maximum Number of Prefixes Reached (6/1) above this many accepted prefixes.
    max_prefix: int | None = None
    #: Carried for the runtime (RFC 5082 GTSM); the engine never looks at it.
    ttl_security: bool = False
    import_policy: Policy | None = None
    export_policy: Policy | None = None
    relationship: Relationship | None = None
    #: Advertise the RFC 6793 capability; False makes this session behave as a 2-octet ("OLD") speaker.
    four_octet_as: bool = True
    #: Set by ``BgpConfig`` from the two AS numbers; leave it alone.
    ebgp: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.remote_as < 2**32:
            raise ValueError(f"neighbor {self.address}: remote_as {self.remote_as} out of range")
        if self.relationship not in (None, "customer", "peer", "provider"):
            raise ValueError(f"neighbor {self.address}: unknown relationship {self.relationship!r}")
        if self.hold_time is not None and self.hold_time != 0 and self.hold_time < 3:
            raise ValueError(f"neighbor {self.address}: hold time must be 0 or >= 3 s (RFC 4271 §4.2)")
        if not self.min_route_advertisement >= 0:
            raise ValueError(
                f"neighbor {self.address}: min_route_advertisement {self.min_route_advertisement} < 0"
            )

    @property
    def name(self) -> str:
        return self.description or str(self.address)


@dataclass(frozen=True)
class BgpConfig:
    """The whole BGP instance of one router."""

    asn: int
    router_id: IPv4Address
    neighbors: tuple[BgpNeighbor, ...] = ()
    #: Prefixes we originate (ORIGIN IGP) while the RIB holds a covering non-BGP route.
    announce: tuple[IPv4Network, ...] = ()
    #: Originate ``announce`` unconditionally (no covering route needed).
    announce_always: bool = False
    #: RIB protocols whose selected routes we originate (ORIGIN INCOMPLETE).
    redistribute: frozenset[RouteProtocol] = frozenset()
    hold_time: float = 180.0
    keepalive: float = 60.0
    connect_retry: float = 120.0
    #: Delay before an automatic restart after a session went to Idle (RFC 4271 §8.1.1 IdleHoldTimer).
    idle_hold_time: float = 1.0
    #: The "large value" of the hold timer while waiting for the peer's OPEN (RFC 4271 §8.2.2: 4 min).
    open_hold_time: float = 240.0
    #: RFC 4456 CLUSTER_ID (default: the router ID).
    cluster_id: IPv4Address | None = None
    #: Hand best routes to the RIB (the ingest benchmark turns this off).
    install_routes: bool = True
    #: Default LOCAL_PREF for routes learned over eBGP (RFC 4271 §9.1.1 degree of preference).
    default_local_pref: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.asn < 2**32:
            raise ValueError(f"AS {self.asn} out of range")
        seen: set[IPv4Address] = set()
        for n in self.neighbors:
            if n.address in seen:
                raise ValueError(f"neighbor {n.address} configured twice")
            seen.add(n.address)
            object.__setattr__(n, "ebgp", n.remote_as != self.asn)
            if not n.four_octet_as and self.asn > 0xFFFF:
                raise ValueError(f"AS {self.asn} needs the 4-octet AS capability toward {n.address}")
        if self.hold_time != 0 and self.hold_time < 3:
            raise ValueError("hold time must be 0 or >= 3 s (RFC 4271 §4.2)")

    def neighbor(self, address: IPv4Address) -> BgpNeighbor | None:
        return next((n for n in self.neighbors if n.address == address), None)

    @property
    def effective_cluster_id(self) -> IPv4Address:
        return self.cluster_id or self.router_id
