"""BGP settings shared by the BIRD, FRR and GoBGP generators: sessions, timers, policies, relationships.

``node.protocol("bgp")`` holds the loader's ``BgpSettings`` (routesim.topology.model); the
generators read it only through this module, so that every kind decides alike:

* :func:`bgp_settings` -- the node's settings, or None;
* :func:`sessions` -- one resolved :class:`Session` per neighbour (timers from the settings or the
  lab's timers profile, ``multihop`` when an eBGP peer is not on a connected subnet, a config-safe
  identifier);
* :func:`rule_matches` -- the matches of one policy rule as plain values (prefix ranges with both
  bounds resolved, the AS-path match as "contains"/"origin"/a regex);
* :func:`uses_relationships` -- whether this node's AS runs the customer/peer/provider model.

Relationship model (Gao-Rexford, as routesim's engine: routesim.proto.bgp.policy):

* Import from an eBGP neighbour with a relationship sets LOCAL_PREF 200 (customer), 150 (peer) or
  100 (provider) *before* the import policy, which may override it.
* Export to a peer or provider carries only routes learned from customers and our own (valley-free).
* How the class travels inside the AS: on entering the AS at a BIRD/FRR/GoBGP router every route
  gets the BGP large community ``(ASN, 1000, class)`` (RFC 8092; class 0 own/unclassified,
  1 customer, 2 peer, 3 provider): large communities hold 4-octet ASNs, and the class survives an
  import policy that rewrites LOCAL_PREF. A route without the marker (from a routesim router over
  iBGP) is classified by its LOCAL_PREF like routesim's engine does (150 peer, 100 provider). Markers
  received from eBGP neighbours are removed on import and ours are removed on every eBGP export, so
  they never leave the AS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.topology.model import Node, Topology

from .base import ExternalConfigError

#: LOCAL_PREF on import by the neighbour's relationship (routesim.proto.bgp.policy).
RELATIONSHIP_LOCAL_PREF = {"customer": 200, "peer": 150, "provider": 100}
#: Large-community marker class by relationship (module docstring); 0 = our own / unclassified.
RELATIONSHIP_CLASS = {None: 0, "customer": 1, "peer": 2, "provider": 3}
MARKER = 1000
#: Well-known communities (RFC 1997) by the names FRR/BIRD print.
WELL_KNOWN = {(65535, 65281): "no-export", (65535, 65282): "no-advertise", (65535, 65283): "local-AS"}
#: The protocols ``redistribute`` accepts.
REDISTRIBUTE = ("connected", "static", "ospf", "rip")
#: Administrative distances (DESIGN.md), for BIRD's preferences and FRR's ``distance bgp``.
EBGP_DISTANCE, IBGP_DISTANCE = 20, 200
#: Distance of the blackhole that keeps an ``announce_always`` prefix in the RIB: worse than anything.
ANNOUNCE_ALWAYS_DISTANCE = 254
#: eBGP multihop TTL (and the GTSM hop budget on multihop sessions).
MULTIHOP_TTL = 64


def bgp_settings(node: Node) -> Any | None:
    """The node's ``BgpSettings`` or None; raw mappings are refused (load with the loader)."""
    s = node.protocol("bgp")
    if s is None:
        return None
    if isinstance(s, dict) or not hasattr(s, "neighbors") or not hasattr(s, "asn"):
        raise ExternalConfigError(
            f"node {node.name}: the bgp section is not resolved (load it with the loader)"
        )
    return s


@dataclass(frozen=True)
class Session:
    """One neighbour with every default resolved."""

    ident: str  # safe in BIRD protocol names and FRR list names: letters, digits, '_'
    neighbor: Any  # BgpNeighborSettings
    address: IPv4Address
    local_address: IPv4Address
    remote_as: int
    ebgp: bool
    multihop: bool  # the peer is not on a connected subnet
    hold: int
    keepalive: int
    connect_retry: int
    advertisement_interval: int

    @property
    def protocol_name(self) -> str:
        """BIRD protocol name: ``ebgp_<ident>``/``ibgp_<ident>`` (parse.bird_protocol_kind relies on it)."""
        return f"{'ebgp' if self.ebgp else 'ibgp'}_{self.ident}"


def ident(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    return out if out[:1].isalpha() else f"n{out}"


def _seconds(value: float) -> int:
    return max(0, round(value))


def sessions(node: Node, topo: Topology) -> tuple[Session, ...]:
    """Resolve every neighbour of ``node`` (timers: neighbour value, else the profile's)."""
    s = bgp_settings(node)
    if s is None:
        return ()
    t = topo.timers
    connected = [i.network for i in node.interfaces]
    out = []
    seen: set[str] = set()
    for n in s.neighbors:
        hold = n.hold_time if n.hold_time is not None else t.bgp_hold
        keep = n.keepalive if n.keepalive is not None else t.bgp_keepalive
        if hold and not 3 <= hold <= 65535:
            raise ExternalConfigError(
                f"node {node.name}: neighbor {n.name}: hold time {hold:g} (RFC 4271 §4.2: 0 or >= 3)"
            )
        name = ident(n.name)
        if name in seen:
            raise ExternalConfigError(f"node {node.name}: two BGP neighbours map to the identifier {name!r}")
        seen.add(name)
        multihop = n.ebgp and (
            bool(getattr(n, "multihop", False)) or not any(n.address in net for net in connected)
        )
        out.append(
            Session(
                ident=name,
                neighbor=n,
                address=n.address,
                local_address=n.local_address,
                remote_as=n.remote_as,
                ebgp=n.ebgp,
                multihop=multihop,
                hold=_seconds(hold),
                keepalive=max(1, _seconds(keep)) if hold else 0,
                connect_retry=max(1, _seconds(t.bgp_connect_retry)),
                advertisement_interval=_seconds(
                    t.bgp_min_route_advertisement_ebgp if n.ebgp else t.bgp_min_route_advertisement_ibgp
                ),
            )
        )
    return tuple(out)


def uses_relationships(node: Node, topo: Topology) -> bool:
    """True when a router of this node's AS (this one included) has a neighbour with a relationship."""
    s = bgp_settings(node)
    if s is None:
        return False
    for other in topo.nodes:
        try:
            o = bgp_settings(other)
        except ExternalConfigError:
            continue
        if o is not None and o.asn == s.asn and any(n.relationship for n in o.neighbors):
            return True
    return False


@dataclass(frozen=True)
class PrefixRange:
    prefix: IPv4Network
    ge: int  # resolved: prefix length <= ge <= le <= 32
    le: int

    @property
    def exact(self) -> bool:
        return self.ge == self.le == self.prefix.prefixlen


def prefix_ranges(rule: Any) -> tuple[PrefixRange, ...]:
    """FRR prefix-list semantics: no bounds = exact; ``ge`` alone = up to /32; ``le`` alone = from the length."""
    out = []
    for prefix, ge, le in rule.prefixes:
        n = prefix.prefixlen
        lo = ge if ge is not None else n
        hi = le if le is not None else (32 if ge is not None else n)
        if not n <= lo <= hi <= 32:
            raise ExternalConfigError(f"prefix match {prefix} ge {ge} le {le}: need length <= ge <= le <= 32")
        out.append(PrefixRange(prefix, lo, hi))
    return tuple(out)


#: The FRR/Cisco-style shorthands every generator can express: ``_N_`` contains N, ``_N$`` N is the
#: origin (last AS), ``^N_`` N is the neighbour (first AS).
_SHORTHANDS = (
    (re.compile(r"^_(\d+)_$"), "contains"),
    (re.compile(r"^_(\d+)\$$"), "origin"),
    (re.compile(r"^\^(\d+)_$"), "first"),
)


def as_path_match(rule: Any) -> tuple[str, Any] | None:
    """("contains" | "origin" | "first", N) | ("regex", text) | None (shorthands: :data:`_SHORTHANDS`)."""
    if rule.as_path_contains is not None:
        return ("contains", int(rule.as_path_contains))
    if rule.as_path_origin is not None:
        return ("origin", int(rule.as_path_origin))
    if rule.as_path_regex:
        for pattern, kind in _SHORTHANDS:
            m = pattern.match(rule.as_path_regex)
            if m:
                return (kind, int(m[1]))
        return ("regex", rule.as_path_regex)
    return None


def redistribute(node: Node) -> tuple[str, ...]:
    s = bgp_settings(node)
    out = tuple(sorted({str(r).lower() for r in (s.redistribute if s else ())}))
    for r in out:
        if r not in REDISTRIBUTE:
            raise ExternalConfigError(f"node {node.name}: cannot redistribute {r!r} into BGP")
    return out
