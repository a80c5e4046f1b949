"""The typed ``bgp:`` section of a router (BGP-4, RFC 4271) -> :class:`BgpSettings`.

Accepted form (``docs/topology.md``, "BGP", is the reference)::

    asn: 64500                      # on the node: required when bgp is configured
    bgp:
      announce: [203.0.113.0/24]    # originated (ORIGIN IGP) while a non-BGP route covers it
      announce_always: false        # true: originate even without a covering route
      redistribute: [connected]     # connected | static | ospf | rip (ORIGIN INCOMPLETE)
      cluster_id: 10.255.0.9        # route reflector cluster ID (default: the router ID)
      neighbors:
        telecom1: {relationship: provider}    # by node name
        10.9.9.9: {remote_as: 65001}          # by address (a peer outside the model, or a choice)

Sessions by node name: different ASNs make an eBGP session over the one link or LAN the two
routers share (``multihop: true``: between loopbacks instead); the same ASN an iBGP session between
loopbacks (update-source loopback). By address: ``remote_as`` is required, our ``local_address`` is
our address on the connected subnet containing the peer's, else our loopback.

Checks per router (:func:`parse_bgp`): ``asn`` present; unknown keys and neighbour names with "did
you mean"; the peer is a router with ``bgp`` and an ``asn``; ``remote_as`` matches the peer's
``asn`` when both are known; the session is configured on both sides when the peer is in the model
(routesim, BIRD and FRR nodes all need their half); relationships agree (customer <-> provider,
peer <-> peer, or absent on one side) and only on eBGP; route reflector clients only over iBGP;
eBGP by name needs exactly one shared link or LAN; ``announce`` prefixes are valid networks; MD5
keys at most 80 octets (Linux ``TCP_MD5SIG_MAXKEYLEN``, RFC 2385) and equal on both ends; hold
time 0 or at least 3 s (RFC 4271 §4.2) with keepalive shorter; ``ttl_security`` (RFC 5082) only
toward a directly connected address; ASNs 1..4294967295 (RFC 6793). ``four_octet_as: false`` with
an ASN above 65535 is allowed: the OPEN then carries AS_TRANS (23456, RFC 6793 §4.2.2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.topology.errors import Problem, unknown
from routesim.topology.model import (
    WELL_KNOWN_COMMUNITIES,
    BgpNeighborSettings,
    BgpPolicyRuleSettings,
    BgpPolicySettings,
    BgpSettings,
    IfaceKind,
    Interface,
    Node,
    Timers,
)
from routesim.topology.values import parse_address, parse_duration, parse_network
from routesim.topology.yamlpos import ProtoSection

KEYS = ("announce", "announce_always", "redistribute", "cluster_id", "neighbors")
NEIGHBOR_KEYS = (
    "remote_as",
    "relationship",
    "next_hop_self",
    "route_reflector_client",
    "passive",
    "md5",
    "ttl_security",
    "max_prefix",
    "hold_time",
    "keepalive",
    "four_octet_as",
    "multihop",
    "import",
    "export",
)
RULE_KEYS = ("match", "action", "set")
MATCH_KEYS = ("prefix", "ge", "le", "as_path", "origin_as", "community")
SET_KEYS = ("local_pref", "med", "communities", "prepend")
POLICY_KEYS = ("rules", "default")
RELATIONSHIPS = ("customer", "peer", "provider")
#: our relationship value -> the value the other side must write (what we are to them)
COUNTERPART = {"customer": "provider", "provider": "customer", "peer": "peer"}
REDISTRIBUTE = ("connected", "static", "ospf", "rip")
MD5_MAX = 80  # Linux TCP_MD5SIG_MAXKEYLEN (RFC 2385 sets no limit)
ASN_MAX = 2**32 - 1  # RFC 6793: four-octet AS numbers
U32 = 2**32 - 1
PREPEND_MAX = 16
_CONTAINS = re.compile(r"^_(\d+)_$")
_COMMUNITY = re.compile(r"^(\d+):(\d+)$")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_community(v: Any) -> tuple[int, int]:
    """``"65000:1"`` or a well-known name (``no-export``, ``no-advertise``, ``no-export-subconfed``)."""
    if isinstance(v, str):
        if v.lower() in WELL_KNOWN_COMMUNITIES:
            return WELL_KNOWN_COMMUNITIES[v.lower()]
        m = _COMMUNITY.match(v.strip())
        if m and int(m[1]) <= 0xFFFF and int(m[2]) <= 0xFFFF:
            return int(m[1]), int(m[2])
    names = ", ".join(WELL_KNOWN_COMMUNITIES)
    raise ValueError(f"bad community {v!r}; expected ASN:VALUE (each 0..65535) or one of {names}")


class _Ctx:
    """Problems of one router's section."""

    def __init__(self, sec: ProtoSection) -> None:
        self.sec = sec
        self.out: list[Problem] = []

    def err(self, rel: tuple, message: str, *, at_key: bool = False) -> None:
        self.out.append(self.sec.problem(rel, message, at_key=at_key))

    def keys(self, rel: tuple, m: dict, allowed: tuple[str, ...], what: str) -> None:
        for k in m:
            if k not in allowed:
                self.err((*rel, k), unknown(what, k, allowed), at_key=True)

    def boolean(self, rel: tuple, v: Any, default: bool = False) -> bool:
        if v is None:
            return default
        if not isinstance(v, bool):
            self.err(rel, f"{rel[-1]} must be true or false, got {v!r}")
            return default
        return v

    def integer(self, rel: tuple, v: Any, lo: int, hi: int) -> int | None:
        if not _is_int(v) or not lo <= v <= hi:
            self.err(rel, f"{rel[-1]} must be an integer in {lo}..{hi}, got {v!r}")
            return None
        return v

    def parsed(self, rel: tuple, fn, v: Any):
        try:
            return fn(v)
        except ValueError as e:
            self.err(rel, str(e))
            return None


# ---------------------------------------------------------------------------------------------
# Policies


def _policy(c: _Ctx, rel: tuple, v: Any, *, export: bool, ebgp: bool = True) -> BgpPolicySettings | None:
    default = "accept"
    rules_v = v
    if isinstance(v, dict):
        c.keys(rel, v, POLICY_KEYS, "policy key")
        default = v.get("default", "accept")
        if default not in ("accept", "reject"):
            c.err((*rel, "default"), f"default must be accept or reject, got {default!r}")
            default = "accept"
        rules_v = v.get("rules", [])
        lrel = (*rel, "rules")
    else:
        lrel = rel
    if not isinstance(rules_v, list):
        c.err(lrel, "a policy is a list of rules or a mapping {rules: [...], default: accept|reject}")
        return None
    rules = []
    for j, r in enumerate(rules_v):
        rule = _rule(c, (*lrel, j), r, export=export, ebgp=ebgp)
        if rule is not None:
            rules.append(rule)
    return BgpPolicySettings(tuple(rules), default)


def _prefixes(c: _Ctx, rel: tuple, m: dict) -> list[tuple[IPv4Network, int | None, int | None]]:
    ge = c.integer((*rel, "ge"), m["ge"], 0, 32) if "ge" in m else None
    le = c.integer((*rel, "le"), m["le"], 0, 32) if "le" in m else None
    raw = m.get("prefix")
    if raw is None:
        if "ge" in m or "le" in m:
            c.err(rel, "ge/le need a prefix")
        return []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for j, item in enumerate(items):
        irel = (*rel, "prefix", j) if isinstance(raw, list) else (*rel, "prefix")
        ige, ile, p = ge, le, item
        if isinstance(item, dict):
            c.keys(irel, item, ("prefix", "ge", "le"), "prefix match key")
            p = item.get("prefix")
            ige = c.integer((*irel, "ge"), item["ge"], 0, 32) if "ge" in item else ge
            ile = c.integer((*irel, "le"), item["le"], 0, 32) if "le" in item else le
        net = c.parsed(irel, parse_network, p)
        if net is None:
            continue
        lo = ige if ige is not None else net.prefixlen
        hi = ile if ile is not None else (32 if ige is not None else net.prefixlen)
        if not net.prefixlen <= lo <= hi <= 32:
            c.err(irel, f"prefix match {net} ge {ige} le {ile}: need {net.prefixlen} <= ge <= le <= 32")
            continue
        out.append((net, ige, ile))
    return out


def _rule(c: _Ctx, rel: tuple, r: Any, *, export: bool, ebgp: bool = True) -> BgpPolicyRuleSettings | None:
    if not isinstance(r, dict):
        c.err(rel, "a policy rule is a mapping {match: {...}, action: accept|reject, set: {...}}")
        return None
    c.keys(rel, r, RULE_KEYS, "policy rule key")
    action = r.get("action", "accept")
    if action not in ("accept", "reject"):
        c.err((*rel, "action"), f"action must be accept or reject, got {action!r}")
        return None
    kw: dict[str, Any] = {"action": action}
    m = r.get("match", {}) or {}
    mrel = (*rel, "match")
    if not isinstance(m, dict):
        c.err(mrel, "match must be a mapping")
        return None
    c.keys(mrel, m, MATCH_KEYS, "match key")
    kw["prefixes"] = tuple(_prefixes(c, mrel, m))
    if "as_path" in m:
        ap = m["as_path"]
        if _is_int(ap):
            ap = f"_{ap}_"
        if not isinstance(ap, str):
            c.err((*mrel, "as_path"), f"as_path must be a regex or '_ASN_', got {ap!r}")
        elif mm := _CONTAINS.match(ap):
            kw["as_path_contains"] = c.integer((*mrel, "as_path"), int(mm[1]), 1, ASN_MAX)
        else:
            try:
                re.compile(ap)
                kw["as_path_regex"] = ap
            except re.error as e:
                c.err((*mrel, "as_path"), f"bad as_path regex {ap!r}: {e}")
    if "origin_as" in m:
        kw["as_path_origin"] = c.integer((*mrel, "origin_as"), m["origin_as"], 1, ASN_MAX)
    if "community" in m:
        kw["community"] = c.parsed((*mrel, "community"), parse_community, m["community"])
    s = r.get("set", {}) or {}
    srel = (*rel, "set")
    if not isinstance(s, dict):
        c.err(srel, "set must be a mapping")
        return None
    c.keys(srel, s, SET_KEYS, "set key")
    if s and action == "reject":
        c.err(srel, "a reject rule sets nothing")
    if "local_pref" in s:
        if export and ebgp:
            c.err(
                (*srel, "local_pref"),
                "local_pref is not sent to eBGP peers (RFC 4271 §5.1.5); set it on import",
            )
        kw["set_local_pref"] = c.integer((*srel, "local_pref"), s["local_pref"], 0, U32)
    if "med" in s:
        kw["set_med"] = c.integer((*srel, "med"), s["med"], 0, U32)
    if "communities" in s:
        cs = s["communities"] if isinstance(s["communities"], list) else [s["communities"]]
        got = [c.parsed((*srel, "communities"), parse_community, x) for x in cs]
        kw["add_communities"] = tuple(x for x in got if x is not None)
    if "prepend" in s:
        if not export:
            c.err((*srel, "prepend"), "prepend applies to export policies (our AS, on the way out)")
        kw["prepend"] = c.integer((*srel, "prepend"), s["prepend"], 0, PREPEND_MAX) or 0
    return BgpPolicyRuleSettings(**{k: v for k, v in kw.items() if v is not None})


# ---------------------------------------------------------------------------------------------
# Sessions


def _shared(a: Node, b: Node) -> list[tuple[Interface, Interface]]:
    out = []
    for ia in a.interfaces:
        if ia.kind is IfaceKind.STUB:
            continue
        for ib in b.interfaces:
            if ib.link == ia.link and ib.kind is ia.kind:
                out.append((ia, ib))
    return out


def _lists(node: Node, raw: Any, peer: Node) -> bool:
    """Whether ``node``'s raw neighbors mapping has a session toward ``peer``."""
    if not isinstance(raw, dict):
        return False
    addrs = {str(i.address.ip) for i in peer.interfaces}
    if peer.loopback is not None:
        addrs.add(str(peer.loopback.ip))
    return any(k == peer.name or str(k) in addrs for k in raw)


def _raw_neighbors(sec: ProtoSection | None) -> dict:
    v = sec.value if sec is not None else None
    nb = v.get("neighbors") if isinstance(v, dict) else None
    return nb if isinstance(nb, dict) else {}


def _raw_opt(sec: ProtoSection | None, me: Node, key: str) -> Any:
    """The option ``key`` the peer section writes for its session toward ``me`` (None if none)."""
    for k, opts in _raw_neighbors(sec).items():
        addrs = {str(i.address.ip) for i in me.interfaces} | ({str(me.loopback.ip)} if me.loopback else set())
        if (k == me.name or str(k) in addrs) and isinstance(opts, dict):
            return opts.get(key)
    return None


def _neighbor(
    c: _Ctx,
    me: Node,
    key: Any,
    opts: Any,
    nodes: Mapping[str, Node],
    sections: Mapping[str, ProtoSection],
    timers: Timers,
) -> BgpNeighborSettings | None:
    rel = ("neighbors", key)
    if opts is None:
        opts = {}
    if not isinstance(opts, dict):
        c.err(rel, f"neighbor options must be a mapping, got {opts!r}")
        return None
    c.keys(rel, opts, NEIGHBOR_KEYS, "neighbor key")
    asn = me.asn or 0
    o = lambda k: (*rel, k)  # noqa: E731
    remote_as = c.integer(o("remote_as"), opts["remote_as"], 1, ASN_MAX) if "remote_as" in opts else None
    multihop = c.boolean(o("multihop"), opts.get("multihop"))
    peer: Node | None = None
    address = local = None
    key_s = str(key)
    if key_s in nodes:
        peer = nodes[key_s]
        if peer.name == me.name:
            c.err(rel, f"'{me.name}' cannot be its own BGP neighbor", at_key=True)
            return None
        if not peer.is_router:
            c.err(rel, f"'{peer.name}' is a host, not a router; BGP neighbors are routers", at_key=True)
            return None
        if peer.name not in sections:
            c.err(rel, f"'{peer.name}' has no bgp section; configure bgp on it too", at_key=True)
            return None
        if peer.asn is None:
            c.err(rel, f"'{peer.name}' has no asn", at_key=True)
            return None
        if remote_as is not None and remote_as != peer.asn:
            c.err(o("remote_as"), f"remote_as {remote_as} differs from '{peer.name}''s asn {peer.asn}")
        remote_as = peer.asn
        ebgp = remote_as != asn
        if ebgp and not multihop:
            pairs = _shared(me, peer)
            if len(pairs) != 1:
                n = len(pairs)
                why = "share no link or LAN" if n == 0 else f"share {n} links"
                c.err(
                    rel,
                    f"'{me.name}' and '{peer.name}' {why}; an eBGP session by name needs exactly one "
                    "(or multihop: true to peer between loopbacks, or the peer's address as the key)",
                    at_key=True,
                )
                return None
            local, address = pairs[0][0].address.ip, pairs[0][1].address.ip
        else:
            if me.loopback is None or peer.loopback is None:
                return None  # a loopback problem is reported where it was written
            local, address = me.loopback.ip, peer.loopback.ip
        if not _lists(peer, _raw_neighbors(sections[peer.name]), me):
            c.err(
                rel,
                f"{me.name} lists {peer.name} as a neighbor but {peer.name} does not list {me.name}",
                at_key=True,
            )
    else:
        try:
            address = parse_address(key_s)
        except ValueError:
            names = [n for n in sections if n != me.name]
            c.err(rel, unknown("BGP neighbor (a router with bgp, or an address)", key_s, names), at_key=True)
            return None
        if remote_as is None:
            c.err(rel, f"neighbor {address} is given by address: it needs remote_as", at_key=True)
            return None
        owner = next(
            (
                n
                for n in nodes.values()
                if (n.loopback is not None and n.loopback.ip == address)
                or any(i.address.ip == address for i in n.interfaces)
            ),
            None,
        )
        if owner is not None:
            if owner.name == me.name:
                c.err(rel, f"{address} is '{me.name}''s own address", at_key=True)
                return None
            if owner.is_router:
                peer = owner
                if owner.asn is not None and owner.asn != remote_as:
                    c.err(
                        o("remote_as"), f"remote_as {remote_as} differs from '{owner.name}''s asn {owner.asn}"
                    )
                if owner.name in sections and not _lists(owner, _raw_neighbors(sections[owner.name]), me):
                    c.err(
                        rel,
                        f"{me.name} lists {owner.name} ({address}) as a neighbor but {owner.name} does not "
                        f"list {me.name}",
                        at_key=True,
                    )
        ebgp = remote_as != asn
        local = next((i.address.ip for i in me.interfaces if address in i.network), None)
        if local is None:
            if me.loopback is None:
                return None
            local = me.loopback.ip
    rel_v = opts.get("relationship")
    relationship = None
    if rel_v is not None:
        if rel_v not in RELATIONSHIPS:
            c.err(o("relationship"), unknown("relationship", rel_v, RELATIONSHIPS))
        elif not ebgp:
            c.err(o("relationship"), "relationship applies to eBGP sessions (the neighbor is in our AS)")
        else:
            relationship = rel_v
            theirs = _raw_opt(sections.get(peer.name), me, "relationship") if peer is not None else None
            if theirs in RELATIONSHIPS and theirs != COUNTERPART[rel_v]:
                c.err(
                    o("relationship"),
                    f"'{me.name}' says {peer.name} is its {rel_v} but {peer.name} says {me.name} is its "
                    f"{theirs}; expected {COUNTERPART[rel_v]} there (or nothing)",
                )
    rr_client = c.boolean(o("route_reflector_client"), opts.get("route_reflector_client"))
    if rr_client and ebgp:
        c.err(o("route_reflector_client"), "route reflection (RFC 4456) is for iBGP neighbors only")
    md5 = opts.get("md5")
    if md5 is not None:
        if not isinstance(md5, str) or not md5:
            c.err(o("md5"), "md5 must be a non-empty string")
            md5 = None
        elif len(md5.encode()) > MD5_MAX:
            c.err(
                o("md5"), f"md5 key is {len(md5.encode())} octets; at most {MD5_MAX} (TCP_MD5SIG_MAXKEYLEN)"
            )
            md5 = None
    if peer is not None and peer.name in sections:
        theirs = _raw_opt(sections[peer.name], me, "md5")
        if (md5 or None) != (theirs if isinstance(theirs, str) else None) and (md5 or theirs):
            c.err(o("md5") if md5 else rel, f"md5 keys of {me.name} and {peer.name} differ (RFC 2385)")
    ttl = c.boolean(o("ttl_security"), opts.get("ttl_security"))
    if ttl and not any(address in i.network for i in me.interfaces):
        c.err(o("ttl_security"), f"ttl_security (RFC 5082) needs a directly connected peer; {address} is not")
    max_prefix = c.integer(o("max_prefix"), opts["max_prefix"], 1, U32) if "max_prefix" in opts else None
    hold = c.parsed(o("hold_time"), parse_duration, opts["hold_time"]) if "hold_time" in opts else None
    keepalive = c.parsed(o("keepalive"), parse_duration, opts["keepalive"]) if "keepalive" in opts else None
    if hold is not None and (hold != int(hold) or (hold != 0 and not 3 <= hold <= 65535)):
        why = f"hold_time must be 0 or 3..65535 whole seconds (RFC 4271 §4.2), got {hold:g}s"
        c.err(o("hold_time"), why)
        hold = None
    eff_hold = hold if hold is not None else timers.bgp_hold
    eff_ka = keepalive if keepalive is not None else timers.bgp_keepalive
    if (hold is not None or keepalive is not None) and eff_hold and not 0 < eff_ka < eff_hold:
        where = o("keepalive") if keepalive is not None else o("hold_time")
        c.err(
            where, f"keepalive ({eff_ka:g}s) must be positive and shorter than the hold time ({eff_hold:g}s)"
        )
    imp = _policy(c, o("import"), opts["import"], export=False) if "import" in opts else None
    exp = _policy(c, o("export"), opts["export"], export=True, ebgp=ebgp) if "export" in opts else None
    if remote_as is None or address is None or local is None:
        return None
    return BgpNeighborSettings(
        name=key_s,
        node=peer.name if peer is not None else None,
        address=address,
        local_address=local,
        remote_as=remote_as,
        ebgp=ebgp,
        relationship=relationship,
        next_hop_self=c.boolean(o("next_hop_self"), opts.get("next_hop_self")),
        route_reflector_client=rr_client,
        passive=c.boolean(o("passive"), opts.get("passive")),
        md5=md5,
        ttl_security=ttl,
        max_prefix=max_prefix,
        hold_time=hold,
        keepalive=keepalive,
        four_octet_as=c.boolean(o("four_octet_as"), opts.get("four_octet_as"), True),
        import_policy=imp,
        export_policy=exp,
        multihop=multihop,
    )


def _one(
    me: Node,
    sec: ProtoSection,
    nodes: Mapping[str, Node],
    sections: Mapping[str, ProtoSection],
    timers: Timers,
) -> tuple[BgpSettings | None, list[Problem]]:
    c = _Ctx(sec)
    v: Any = sec.value
    if v is True or v is None:
        v = {}
    if not isinstance(v, dict):
        c.err((), f"bgp must be a mapping, got {v!r}")
        return None, c.out
    c.keys((), v, KEYS, "bgp key")
    if me.asn is None:
        c.err((), f"'{me.name}' runs BGP but has no asn; add asn: (1..{ASN_MAX}) to the node")
    announce = []
    av = v.get("announce", [])
    items = av if isinstance(av, list) else [av]
    for j, p in enumerate(items):
        net = c.parsed(("announce", j) if isinstance(av, list) else ("announce",), parse_network, p)
        if net is not None and net not in announce:
            announce.append(net)
    redistribute: list[str] = []
    rd = v.get("redistribute", [])
    rd = [rd] if isinstance(rd, str) else rd
    if not isinstance(rd, list):
        c.err(("redistribute",), "redistribute must be a list")
        rd = []
    for j, what in enumerate(rd):
        if what not in REDISTRIBUTE:
            c.err(("redistribute", j), unknown("redistribute source", what, REDISTRIBUTE))
        elif what not in redistribute:
            redistribute.append(what)
    cluster_id = c.parsed(("cluster_id",), parse_address, v["cluster_id"]) if "cluster_id" in v else None
    neighbors = []
    nb = v.get("neighbors", {}) or {}
    if not isinstance(nb, dict):
        c.err(("neighbors",), "neighbors must be a mapping {node or address: {options}}")
        nb = {}
    seen: dict[IPv4Address, str] = {}
    for key, opts in nb.items():
        n = _neighbor(c, me, key, opts, nodes, sections, timers)
        if n is None:
            continue
        if n.address in seen:
            c.err(
                ("neighbors", key),
                f"duplicate session to {n.address} (also '{seen[n.address]}')",
                at_key=True,
            )
            continue
        seen[n.address] = str(key)
        neighbors.append(n)
    if me.asn is None:
        return None, c.out
    return (
        BgpSettings(
            asn=me.asn,
            neighbors=tuple(neighbors),
            announce=tuple(announce),
            announce_always=c.boolean(("announce_always",), v.get("announce_always")),
            redistribute=tuple(redistribute),
            cluster_id=cluster_id,
        ),
        c.out,
    )


def _half(peer: BgpSettings, me: str, nb: BgpNeighborSettings) -> BgpNeighborSettings | None:
    """The peer's half of the session ``nb``: the one toward our session address, else its only one."""
    halves = [x for x in peer.neighbors if x.node == me]
    exact = [x for x in halves if x.address == nb.local_address]
    return exact[0] if exact else halves[0] if len(halves) == 1 else None


def parse_bgp(
    nodes: Sequence[Node], sections: Mapping[str, ProtoSection], timers: Timers
) -> tuple[list[Node], list[Problem]]:
    """Type every router's ``bgp`` section (``sections``: router name -> its section).

    Returns the nodes with ``("bgp", BgpSettings)`` in place of the raw section, and the problems
    (sessions are checked from both ends, so each needs every router's section at hand).
    """
    index = {n.name: n for n in nodes}
    problems: list[Problem] = []
    out = []
    typed: dict[str, BgpSettings] = {}
    for node in nodes:
        sec = sections.get(node.name)
        if sec is None:
            out.append(node)
            continue
        settings, ps = _one(node, sec, index, sections, timers)
        problems.extend(ps)
        if settings is not None:
            typed[node.name] = settings
        protocols = tuple(
            (k, settings if k == "bgp" else v) for k, v in node.protocols if k != "bgp" or settings
        )
        out.append(replace(node, protocols=protocols))
    for name, s in typed.items():
        for nb in s.neighbors:
            back = _half(typed[nb.node], name, nb) if nb.node in typed else None
            if back is None or (nb.address, nb.local_address) == (back.local_address, back.address):
                continue
            problems.append(
                sections[name].problem(
                    ("neighbors", nb.name),
                    f"{name} connects to {nb.node} at {nb.address} from {nb.local_address} but {nb.node} "
                    f"expects {back.local_address} from {back.address}; write multihop alike on both sides",
                    at_key=True,
                )
            )
    return out, problems
