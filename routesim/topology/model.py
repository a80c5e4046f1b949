"""The resolved topology: frozen dataclasses in which every name, address and timer is decided.

The loader (:mod:`routesim.topology.loader`) turns YAML into these values; nothing downstream
(oracle, lab, router configs, reports) guesses an address or a name. Every automatic value of the
YAML format can also be given explicitly, and the model does not care which it was.

Naming rules (decided here, documented in ``docs/topology.md``):

* a node's namespace is ``<lab prefix>-<node>``; interfaces inside it need no prefix because
  they live and die with the namespace;
* a point-to-point interface is named after the node at the other end (``telecom1``), a LAN
  interface after the LAN (``lan1``), a stub network ``stub0``, ``stub1``...; a second link to the
  same peer gets ``-1``, ``-2`` appended. Every name fits Linux's 15 characters or the loader
  rejects the topology.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any


class NodeKind(enum.StrEnum):
    ROUTESIM = "routesim"
    BIRD = "bird"
    FRR = "frr"
    GOBGP = "gobgp"
    HOST = "host"

    @property
    def is_router(self) -> bool:
        return self is not NodeKind.HOST


class IfaceKind(enum.StrEnum):
    P2P = "p2p"
    LAN = "lan"
    STUB = "stub"


@dataclass(frozen=True)
class SourcePos:
    """Where a value came from in the YAML file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Impairment:
    """Per-direction link emulation: delay and jitter in seconds, loss as a fraction, rate in bit/s."""

    delay: float = 0.0
    jitter: float = 0.0
    loss: float = 0.0
    rate: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.delay or self.jitter or self.loss or self.rate)


@dataclass(frozen=True)
class Interface:
    """One interface of one node."""

    node: str
    name: str
    kind: IfaceKind
    address: IPv4Interface
    link: str  # id of the Link or name of the Lan; "" for a stub
    peer: str | None = None  # the node at the other end of a p2p link
    peer_address: IPv4Address | None = None
    cost: int = 1  # OSPF cost / RIP metric of this interface (outgoing direction)
    mtu: int = 1500

    @property
    def network(self) -> IPv4Network:
        return self.address.network


@dataclass(frozen=True)
class Endpoint:
    node: str
    iface: str
    address: IPv4Interface
    cost: int


@dataclass(frozen=True)
class Link:
    """A point-to-point link (a veth pair, or a pair through the link emulator when impaired)."""

    id: str  # "l<index>", stable in file order
    a: Endpoint
    b: Endpoint
    subnet: IPv4Network
    impairment: Impairment = Impairment()
    pos: SourcePos | None = None
    implicit: bool = False  # added by the loader to join a host to its gateway router

    def endpoint(self, node: str) -> Endpoint:
        if node == self.a.node:
            return self.a
        if node == self.b.node:
            return self.b
        raise KeyError(node)

    def other(self, node: str) -> Endpoint:
        return self.b if node == self.a.node else self.a

    @property
    def nodes(self) -> tuple[str, str]:
        return (self.a.node, self.b.node)


@dataclass(frozen=True)
class Lan:
    """A broadcast segment: a bridge in the lab's switch namespace, one port per member."""

    name: str
    subnet: IPv4Network
    members: tuple[Endpoint, ...]
    impairment: Impairment = Impairment()
    pos: SourcePos | None = None


@dataclass(frozen=True)
class StaticRoute:
    prefix: IPv4Network
    next_hop: IPv4Address | None = None
    interface: str | None = None
    distance: int = 1
    metric: int = 0
    pos: SourcePos | None = None
    blackhole: bool = False  # drop traffic (no next hop, no interface)


@dataclass(frozen=True)
class Timers:
    """Protocol timers in seconds. ``profile`` is ``rfc``, ``fast`` or ``custom``."""

    profile: str = "rfc"
    rip_update: float = 30.0
    rip_timeout: float = 180.0
    rip_garbage: float = 120.0
    rip_triggered_min: float = 1.0
    rip_triggered_max: float = 5.0
    ospf_hello: float = 10.0
    ospf_dead: float = 40.0
    ospf_retransmit: float = 5.0
    ospf_transmit_delay: float = 1.0
    ospf_spf_delay: float = 0.2
    ospf_spf_short_delay: float = 0.2
    ospf_spf_long_delay: float = 2.0
    ospf_spf_time_to_learn: float = 1.0
    ospf_spf_holddown: float = 10.0
    ospf_adjacency_hold: float = 0.0
    ospf_min_ls_interval: float = 5.0
    ospf_min_ls_arrival: float = 1.0
    bgp_keepalive: float = 60.0
    bgp_hold: float = 180.0
    bgp_connect_retry: float = 120.0
    bgp_min_route_advertisement_ebgp: float = 30.0
    bgp_min_route_advertisement_ibgp: float = 5.0

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class SplitHorizon(enum.StrEnum):
    """RIP split horizon mode (RFC 2453 §3.4.3)."""

    POISONED = "poisoned"  # split horizon with poisoned reverse: advertise back with metric 16
    SIMPLE = "simple"  # omit routes learned on the interface from updates sent on it
    OFF = "off"


@dataclass(frozen=True)
class RipAuthSettings:
    """RIPv2 authentication: ``simple`` (RFC 2453 §4.1, 16-octet password) or ``md5`` (RFC 2082)."""

    mode: str  # "simple" | "md5"
    key: str
    key_id: int = 1  # md5 only


@dataclass(frozen=True)
class RipInterfaceOverrides:
    """Per-interface settings from ``rip.interfaces: {name: {...}}``; None = inherit."""

    split_horizon: SplitHorizon | None = None
    passive: bool | None = None
    metric: int | None = None


@dataclass(frozen=True)
class RipSettings:
    """The resolved ``rip:`` section of a router (see docs/topology.md, "RIP")."""

    interfaces: tuple[str, ...]  # interfaces RIP runs on (resolved names, node order)
    passive: frozenset[str] = frozenset()  # receive only, never send (stubs always passive)
    split_horizon: SplitHorizon = SplitHorizon.POISONED
    per_interface: tuple[tuple[str, RipInterfaceOverrides], ...] = ()
    redistribute: tuple[str, ...] = ()  # "connected", "static"
    auth: RipAuthSettings | None = None
    neighbors: tuple[IPv4Address, ...] = ()  # unicast neighbours (also sent updates directly)
    metrics: tuple[tuple[str, int], ...] = ()  # resolved metric (1..15) added on each RIP interface

    def overrides(self, iface: str) -> RipInterfaceOverrides:
        for name, o in self.per_interface:
            if name == iface:
                return o
        return RipInterfaceOverrides()

    def split_horizon_for(self, iface: str) -> SplitHorizon:
        return self.overrides(iface).split_horizon or self.split_horizon

    def is_passive(self, iface: str) -> bool:
        return iface in self.passive

    def metric_for(self, iface: str) -> int:
        for name, m in self.metrics:
            if name == iface:
                return m
        raise KeyError(iface)


OSPF_BACKBONE = IPv4Address(0)


@dataclass(frozen=True)
class OspfAuthSettings:
    """OSPFv2 authentication (RFC 2328 Appendix D): ``simple`` (D.3, a password of at most 8
    octets) or ``md5`` (D.3 cryptographic authentication, keyed MD5, a key of at most 16 octets
    with a one-octet ``key_id``). The same key is used on every OSPF interface of the router."""

    mode: str  # "simple" | "md5"
    key: str
    key_id: int = 1  # md5 only


@dataclass(frozen=True)
class OspfIfaceSettings:
    """One interface OSPF runs on, every value resolved (see docs/topology.md, "OSPF").

    * ``area``: the area ID (the router's ``area`` default unless overridden);
    * ``cost``: interface output cost 1..65535 (RFC 2328 §C.3); default: the model interface's cost
      (the link's ``cost``, default 1);
    * ``priority``: Router Priority 0..255 on broadcast networks (0: never DR, §9.4);
    * ``passive``: no Hellos sent or accepted, the subnet still advertised as a stub network
      (stub interfaces are always passive);
    * ``network_type``: ``point-to-point`` (default on p2p links) or ``broadcast`` (LANs, stubs,
      and p2p links that ask for it);
    * ``hello``/``dead``/``retransmit``/``transmit_delay``: HelloInterval, RouterDeadInterval,
      RxmtInterval, InfTransDelay in seconds (§C.3), defaults from the timers profile.
    """

    name: str
    area: IPv4Address
    cost: int
    priority: int = 1
    passive: bool = False
    network_type: str = "broadcast"  # "broadcast" | "point-to-point"
    hello: float = 10.0
    dead: float = 40.0
    retransmit: float = 5.0
    transmit_delay: float = 1.0


@dataclass(frozen=True)
class OspfSettings:
    """The resolved ``ospf:`` section of a router (see docs/topology.md, "OSPF").

    ``interfaces`` lists the interfaces OSPF runs on, in node order. The router's loopback /32 is
    always advertised too, as a stub host route of cost 0 in ``loopback_area`` (the runtime adds
    ``lo`` as a passive interface). ``redistribute`` names RIB sources (``connected``, ``static``)
    announced in AS-external-LSAs (§12.4.4) of ``external_metric_type`` 1 or 2 with
    ``external_metric``.
    """

    interfaces: tuple[OspfIfaceSettings, ...]
    redistribute: tuple[str, ...] = ()
    external_metric_type: int = 2
    external_metric: int = 20
    auth: OspfAuthSettings | None = None
    loopback_area: IPv4Address = OSPF_BACKBONE

    def interface(self, name: str) -> OspfIfaceSettings | None:
        return next((i for i in self.interfaces if i.name == name), None)

    @property
    def areas(self) -> tuple[IPv4Address, ...]:
        """Every area the router is attached to (its loopback's included), sorted."""
        return tuple(sorted({i.area for i in self.interfaces} | {self.loopback_area}))

    @property
    def is_abr(self) -> bool:
        return len(self.areas) > 1


#: Well-known communities (RFC 1997) by the names the YAML accepts, as (high, low) 16-bit halves.
WELL_KNOWN_COMMUNITIES = {
    "no-export": (0xFFFF, 0xFF01),
    "no-advertise": (0xFFFF, 0xFF02),
    "no-export-subconfed": (0xFFFF, 0xFF03),
}


@dataclass(frozen=True)
class BgpPolicyRuleSettings:
    """One import/export rule: every given match must hold (AND); the first matching rule wins.

    ``prefixes`` are ``(prefix, ge, le)`` with FRR prefix-list semantics (without ``ge``/``le`` the
    length must be exact), any of them matching; ``as_path_regex`` is a Python regex searched in the
    AS path written ``"4134 4837 64500"``; ``as_path_origin`` is the last AS of the path;
    ``community`` is ``(asn, value)``. ``prepend`` adds our AS that many extra times (export only).
    """

    prefixes: tuple[tuple[IPv4Network, int | None, int | None], ...] = ()
    as_path_regex: str | None = None
    as_path_contains: int | None = None
    as_path_origin: int | None = None
    community: tuple[int, int] | None = None
    action: str = "accept"  # accept | reject
    set_local_pref: int | None = None
    set_med: int | None = None
    add_communities: tuple[tuple[int, int], ...] = ()
    prepend: int = 0


@dataclass(frozen=True)
class BgpPolicySettings:
    """An ordered rule list; ``default`` (accept | reject) decides when no rule matches."""

    rules: tuple[BgpPolicyRuleSettings, ...] = ()
    default: str = "accept"


@dataclass(frozen=True)
class BgpNeighborSettings:
    """One BGP session as seen from this router, every address decided (see docs/topology.md, "BGP").

    ``relationship`` is what the NEIGHBOUR is to us (customer | peer | provider, Gao-Rexford);
    ``hold_time``/``keepalive`` None mean the timers profile's ``bgp_hold``/``bgp_keepalive``;
    ``multihop``: an eBGP session between loopbacks rather than over a shared link.
    """

    name: str  # the key as written: a node name or an address
    node: str | None  # the peer node when it is in the model
    address: IPv4Address  # the peer's address for the session
    local_address: IPv4Address  # our address on the session (update-source)
    remote_as: int
    ebgp: bool
    relationship: str | None = None  # customer | peer | provider
    next_hop_self: bool = False
    route_reflector_client: bool = False
    passive: bool = False
    md5: str | None = None
    ttl_security: bool = False  # RFC 5082 GTSM
    max_prefix: int | None = None
    hold_time: float | None = None
    keepalive: float | None = None
    four_octet_as: bool = True
    import_policy: BgpPolicySettings | None = None
    export_policy: BgpPolicySettings | None = None
    multihop: bool = False


@dataclass(frozen=True)
class BgpSettings:
    """The resolved ``bgp:`` section of a router (see docs/topology.md, "BGP")."""

    asn: int
    neighbors: tuple[BgpNeighborSettings, ...]
    announce: tuple[IPv4Network, ...] = ()
    announce_always: bool = False
    redistribute: tuple[str, ...] = ()  # connected | static | ospf | rip
    cluster_id: IPv4Address | None = None  # route reflector cluster id (default: the router ID)

    def neighbor(self, name: str) -> BgpNeighborSettings | None:
        """The session whose key is ``name`` or whose peer node is ``name``."""
        return next((n for n in self.neighbors if n.name == name or n.node == name), None)


@dataclass(frozen=True)
class Node:
    name: str
    kind: NodeKind
    interfaces: tuple[Interface, ...]
    router_id: IPv4Address | None  # None for hosts
    loopback: IPv4Interface | None  # /32 on lo; None for hosts
    asn: int | None = None
    networks: tuple[IPv4Network, ...] = ()  # stub prefixes this router owns
    static: tuple[StaticRoute, ...] = ()
    gateway: IPv4Address | None = None  # hosts: the default gateway's address
    gateway_node: str | None = None
    #: Protocol sections as written in YAML (validated for shape by each protocol's own parser):
    #: {"rip": {...}, "ospf": {...}, "bgp": {...}}. Absent protocol = not configured.
    protocols: tuple[tuple[str, Any], ...] = ()
    pos: SourcePos | None = None

    def iface(self, name: str) -> Interface:
        for i in self.interfaces:
            if i.name == name:
                return i
        raise KeyError(name)

    def protocol(self, name: str) -> Any:
        for k, v in self.protocols:
            if k == name:
                return v
        return None

    @property
    def is_router(self) -> bool:
        return self.kind.is_router


@dataclass(frozen=True)
class Expect:
    """An ``expect:`` check. ``kind`` is ``reach`` (ping/traceroute from a host) for now."""

    kind: str
    source: str
    target: IPv4Address
    target_node: str | None = None
    via: tuple[str, ...] | None = None
    reachable: bool = True
    pos: SourcePos | None = None


@dataclass(frozen=True)
class EventSpec:
    """A scripted event, kept as written for the events machinery (timing resolved later)."""

    action: str
    args: Any
    after: str | None = None  # "converged" or None (after the previous event)
    wait: float = 0.0
    pos: SourcePos | None = None


@dataclass(frozen=True)
class Addressing:
    loopback: IPv4Network = IPv4Network("10.255.0.0/24")  # noqa: RUF009 (immutable)
    p2p: IPv4Network = IPv4Network("10.0.0.0/16")  # noqa: RUF009 (immutable)
    p2p_prefixlen: int = 30
    lan: IPv4Network = IPv4Network("172.16.0.0/16")  # noqa: RUF009 (immutable)
    lan_prefixlen: int = 24


@dataclass(frozen=True)
class Topology:
    name: str
    source: str
    timers: Timers
    addressing: Addressing
    nodes: tuple[Node, ...]
    links: tuple[Link, ...] = ()
    lans: tuple[Lan, ...] = ()
    events: tuple[EventSpec, ...] = ()
    expect: tuple[Expect, ...] = ()
    description: str = ""
    _index: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({n.name: n for n in self.nodes})

    def node(self, name: str) -> Node:
        return self._index[name]

    @property
    def routers(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_router)

    @property
    def hosts(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if not n.is_router)

    def owner_of(self, address: IPv4Address) -> tuple[Node, Interface | None] | None:
        """The node (and interface, None for the loopback) that holds ``address``."""
        for n in self.nodes:
            if n.loopback is not None and n.loopback.ip == address:
                return n, None
            for i in n.interfaces:
                if i.address.ip == address:
                    return n, i
        return None
