"""The typed ``ospf:`` section of a router (OSPFv2, RFC 2328).

Accepted forms::

    ospf: true                     # OSPF on every interface, all in area 0, defaults below
    ospf: {}                       # same
    ospf:
      area: 0                      # default area of every interface (integer or dotted quad)
      interfaces: all | [r2, lan1] | {r2: {area: 1, cost: 10, priority: 0, passive: true,
                                           network: point-to-point, hello: 2s, dead: 8s}}
      passive: [lan1]              # no Hellos sent or accepted; the subnet is still advertised
      priority: 1                  # default Router Priority on broadcast networks (0: never DR)
      redistribute: [connected, static]
      external_metric_type: 2      # 1 | 2 (RFC 2328 §16.4)
      external_metric: 20
      auth: {mode: md5, key: secret, key_id: 1}   # or {mode: simple, key: secret} (Appendix D)

``interfaces: all`` means every interface, stubs included (a stub is always passive: nobody can
answer there). Host-facing links are not passive unless listed. The network type defaults to
``point-to-point`` on p2p links and ``broadcast`` on LANs and stubs; ``point-to-point`` is refused on
a LAN or a stub. Hello/dead/retransmit/transmit-delay default to the timers profile
(``ospf_hello``, ``ospf_dead``, ``ospf_retransmit``, ``ospf_transmit_delay``); the cost to the
interface's model cost (the link's ``cost``, default 1).

The router's loopback /32 is always advertised as a stub host route of cost 0 in the loopback area:
``area`` when written, else the single area all the router's interfaces share, else the backbone.

Per router (:func:`parse_ospf`): unknown keys and interface names (with "did you mean"), area
format, cost 1..65535 and priority 0..255 (§C.3), whole-second hello/dead with dead > hello,
network type versus interface kind, key length (simple: 8 octets, §D.3; md5: 16), and an area
border router without a backbone interface (virtual links are not supported). Across routers
(:func:`check_ospf_adjacencies`): the two ends of a p2p link, or the non-passive members of a
LAN, that both run OSPF must agree on area, HelloInterval, RouterDeadInterval (the §10.5 Hello
checks) and network type, or no adjacency could ever form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address
from typing import Any

from routesim.topology.errors import Problem, unknown
from routesim.topology.model import (
    OSPF_BACKBONE,
    IfaceKind,
    Interface,
    Node,
    OspfAuthSettings,
    OspfIfaceSettings,
    OspfSettings,
    Timers,
)
from routesim.topology.values import parse_duration
from routesim.topology.yamlpos import ProtoSection, interface_checker, open_section, select_interfaces

KEYS = (
    "area",
    "interfaces",
    "passive",
    "priority",
    "redistribute",
    "external_metric_type",
    "external_metric",
    "auth",
)
IFACE_KEYS = ("area", "cost", "priority", "passive", "network", "hello", "dead")
AUTH_KEYS = ("mode", "key", "key_id")
REDISTRIBUTE = ("connected", "static")
NETWORK_TYPES = ("broadcast", "point-to-point")
AUTH_KEY_MAX = {"simple": 8, "md5": 16}  # RFC 2328 D.3: a 64-bit password; keyed MD5: 16 octets
LS_INFINITY = 0xFFFFFF  # RFC 2328 Appendix B


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_area(v: Any) -> IPv4Address:
    """An area ID: an integer 0..2^32-1 or a dotted quad (RFC 2328 §3: a 32-bit number)."""
    if _is_int(v) and 0 <= v <= 0xFFFFFFFF:
        return IPv4Address(v)
    if isinstance(v, str):
        text = v.strip()
        if text.isdigit() and int(text) <= 0xFFFFFFFF:
            return IPv4Address(int(text))
        try:
            return IPv4Address(text)
        except ValueError:
            pass
    raise ValueError(f"bad area {v!r}; expected an integer (0, 1, ...) or a dotted quad (0.0.0.1)")


def area_str(area: IPv4Address) -> str:
    return str(area)


def parse_ospf(
    sec: ProtoSection, interfaces: Sequence[Interface], timers: Timers, *, router: str = ""
) -> tuple[OspfSettings | None, list[Problem]]:
    """Parse and validate ``sec`` against the router's resolved ``interfaces``."""
    out: list[Problem] = []
    v: Any = open_section(sec, "ospf", KEYS, out)
    if v is None:
        return None, out
    names = [i.name for i in interfaces]
    by_name = {i.name: i for i in interfaces}
    check_name = interface_checker(sec, interfaces, out)

    def area_at(rel: tuple, raw: Any) -> IPv4Address | None:
        try:
            return parse_area(raw)
        except ValueError as e:
            out.append(sec.problem(rel, str(e)))
            return None

    def int_at(rel: tuple, raw: Any, lo: int, hi: int, what: str) -> int | None:
        if not _is_int(raw) or not lo <= raw <= hi:
            out.append(sec.problem(rel, f"{what} must be an integer in {lo}..{hi}, got {raw!r}"))
            return None
        return raw

    def seconds_at(rel: tuple, raw: Any, what: str) -> float | None:
        try:
            d = parse_duration(raw)
        except ValueError as e:
            out.append(sec.problem(rel, str(e)))
            return None
        if d != int(d) or not 1 <= d <= 65535:
            # RFC 2328 A.3.2: HelloInterval is 16 bits, RouterDeadInterval 32 bits, whole seconds
            out.append(sec.problem(rel, f"{what} must be a whole number of seconds in 1..65535, got {raw!r}"))
            return None
        return d

    area_written = "area" in v
    default_area = OSPF_BACKBONE
    if area_written:
        default_area = area_at(("area",), v["area"]) or OSPF_BACKBONE
    default_priority = 1
    if "priority" in v:
        default_priority = int_at(("priority",), v["priority"], 0, 255, "priority") or 0

    overrides: dict[str, dict[str, Any]] = {}
    selected, raw_settings = select_interfaces(sec, v, names, check_name, out)
    for name, ov in raw_settings.items():
        rel = ("interfaces", name)
        parsed: dict[str, Any] = {}
        for k, raw in ov.items():
            at = (*rel, k)
            if k not in IFACE_KEYS:
                out.append(sec.problem(at, unknown("ospf interface key", k, IFACE_KEYS), at_key=True))
            elif k == "area":
                parsed[k] = area_at(at, raw)
            elif k == "cost":
                parsed[k] = int_at(at, raw, 1, 65535, "OSPF interface cost (RFC 2328 §C.3)")
            elif k == "priority":
                parsed[k] = int_at(at, raw, 0, 255, "priority")
            elif k == "passive":
                if not isinstance(raw, bool):
                    out.append(sec.problem(at, "passive must be true or false"))
                else:
                    parsed[k] = raw
            elif k == "network":
                if raw not in NETWORK_TYPES:
                    out.append(sec.problem(at, unknown("network type", raw, NETWORK_TYPES)))
                elif raw == "point-to-point" and by_name[name].kind is not IfaceKind.P2P:
                    out.append(
                        sec.problem(
                            at,
                            f"interface '{name}' is a {by_name[name].kind.value} interface; "
                            "point-to-point is only for p2p links",
                        )
                    )
                else:
                    parsed[k] = raw
            else:  # hello, dead
                parsed[k] = seconds_at(at, raw, k)
        overrides[name] = {k: x for k, x in parsed.items() if x is not None}

    passive: set[str] = {n for n in selected if by_name[n].kind is IfaceKind.STUB}
    pv = v.get("passive", [])
    if not isinstance(pv, list):
        out.append(sec.problem(("passive",), "passive must be a list of interface names"))
        pv = []
    for j, name in enumerate(pv):
        if check_name(("passive", j), name) is None:
            continue
        if name not in selected:
            out.append(
                sec.problem(("passive", j), f"interface '{name}' is passive but OSPF does not run on it")
            )
        passive.add(name)
    for name, ov in overrides.items():
        if ov.get("passive") is True:
            passive.add(name)
        elif ov.get("passive") is False and by_name[name].kind is not IfaceKind.STUB:
            passive.discard(name)

    redistribute: list[str] = []
    rd = v.get("redistribute", [])
    if isinstance(rd, str):
        rd = [rd]
    if not isinstance(rd, list):
        out.append(sec.problem(("redistribute",), "redistribute must be a list"))
        rd = []
    for j, what in enumerate(rd):
        if what not in REDISTRIBUTE:
            out.append(sec.problem(("redistribute", j), unknown("redistribute source", what, REDISTRIBUTE)))
        elif what not in redistribute:
            redistribute.append(what)
    metric_type = 2
    if "external_metric_type" in v:
        raw = v["external_metric_type"]
        if raw not in (1, 2) or isinstance(raw, bool):
            out.append(sec.problem(("external_metric_type",), f"external_metric_type is 1 or 2, got {raw!r}"))
        else:
            metric_type = raw
    metric = 20
    if "external_metric" in v:
        m = int_at(("external_metric",), v["external_metric"], 0, LS_INFINITY - 1, "external_metric")
        metric = m if m is not None else metric

    auth = _auth(sec, v["auth"], out) if v.get("auth") is not None else None

    t = timers
    result: list[OspfIfaceSettings] = []
    order = {n: k for k, n in enumerate(names)}
    for name in sorted(selected, key=order.__getitem__):
        iface = by_name[name]
        ov = overrides.get(name, {})
        cost = ov.get("cost", iface.cost)
        if not 1 <= cost <= 65535:
            out.append(
                sec.problem(
                    ("interfaces",),
                    f"interface '{name}' has cost {cost}, not an OSPF cost (1..65535); "
                    f"set ospf.interfaces.{name}.cost",
                )
            )
            continue
        hello = ov.get("hello", t.ospf_hello)
        dead = ov.get("dead", t.ospf_dead)
        if dead <= hello:
            rel = ("interfaces", name, "dead" if "dead" in ov else "hello")
            out.append(
                sec.problem(rel, f"dead interval ({dead:g}s) must exceed the hello interval ({hello:g}s)")
            )
        default_type = "point-to-point" if iface.kind is IfaceKind.P2P else "broadcast"
        result.append(
            OspfIfaceSettings(
                name=name,
                area=ov.get("area", default_area),
                cost=cost,
                priority=ov.get("priority", default_priority),
                passive=name in passive,
                network_type=ov.get("network", default_type),
                hello=hello,
                dead=dead,
                retransmit=t.ospf_retransmit,
                transmit_delay=t.ospf_transmit_delay,
            )
        )

    iface_areas = {i.area for i in result}
    loopback_area = default_area
    if not area_written and len(iface_areas) == 1:
        loopback_area = next(iter(iface_areas))
    areas = iface_areas | {loopback_area}
    if len(areas) > 1 and OSPF_BACKBONE not in iface_areas:
        who = f"ABR {router}" if router else "this ABR"
        out.append(
            sec.problem(
                (),
                f"{who} has no backbone interface (areas {', '.join(str(a) for a in sorted(areas))}, "
                "counting its loopback's); virtual links are not supported",
            )
        )
    settings = OspfSettings(
        interfaces=tuple(result),
        redistribute=tuple(redistribute),
        external_metric_type=metric_type,
        external_metric=metric,
        auth=auth,
        loopback_area=loopback_area,
    )
    return settings, out


def _auth(sec: ProtoSection, a: Any, out: list[Problem]) -> OspfAuthSettings | None:
    if not isinstance(a, dict):
        out.append(sec.problem(("auth",), "auth must be a mapping {mode, key, key_id}"))
        return None
    ok = True
    for k in a:
        if k not in AUTH_KEYS:
            out.append(sec.problem(("auth", k), unknown("auth key", k, AUTH_KEYS), at_key=True))
            ok = False
    mode = a.get("mode")
    if not isinstance(mode, str) or mode not in AUTH_KEY_MAX:
        out.append(sec.problem(("auth", "mode"), f"bad auth mode {mode!r}; expected simple or md5"))
        return None
    key = a.get("key")
    if not isinstance(key, str) or not key:
        out.append(sec.problem(("auth", "key"), "auth needs a key (a string)"))
        ok = False
    elif len(key.encode()) > AUTH_KEY_MAX[mode]:
        rule = "RFC 2328 D.3: a 64-bit password" if mode == "simple" else "keyed MD5, RFC 2328 D.3"
        out.append(
            sec.problem(
                ("auth", "key"), f"{mode} auth key is longer than {AUTH_KEY_MAX[mode]} octets ({rule})"
            )
        )
        ok = False
    key_id = a.get("key_id", 1)
    if not _is_int(key_id) or not 0 <= key_id <= 255:
        out.append(sec.problem(("auth", "key_id"), f"key_id must be 0..255 (RFC 2328 D.3), got {key_id!r}"))
        ok = False
    elif "key_id" in a and mode == "simple":
        out.append(sec.problem(("auth", "key_id"), "key_id applies to md5 authentication only"))
        ok = False
    return OspfAuthSettings(mode=mode, key=key, key_id=key_id) if ok else None


def check_ospf_adjacencies(nodes: Sequence[Node], sections: Mapping[str, ProtoSection]) -> list[Problem]:
    """Ends of one segment that both run OSPF (not passive) but could never become adjacent.

    RFC 2328 §10.5: a Hello is dropped when HelloInterval or RouterDeadInterval differ from the
    receiving interface's, and §8.2 drops packets of another area; a network type mismatch forms
    a lopsided adjacency whose routes never compute. Each problem names both ends.
    """
    out: list[Problem] = []
    segments: dict[tuple[str, str], list[tuple[Node, OspfIfaceSettings]]] = {}
    for node in nodes:
        ospf = node.protocol("ospf") if node.is_router else None
        if not isinstance(ospf, OspfSettings):
            continue
        for iface in node.interfaces:
            if iface.kind is IfaceKind.STUB:
                continue
            oi = ospf.interface(iface.name)
            if oi is None or oi.passive:
                continue
            segments.setdefault((iface.kind.value, iface.link), []).append((node, oi))
    for (_, _link), members in segments.items():
        if len(members) < 2:
            continue
        first_node, first = members[0]
        for node, oi in members[1:]:
            for what, attr, fmt in (
                ("area", "area", str),
                ("hello interval", "hello", lambda x: f"{x:g}s"),
                ("dead interval", "dead", lambda x: f"{x:g}s"),
                ("network type", "network_type", str),
            ):
                a, b = getattr(first, attr), getattr(oi, attr)
                if a != b:
                    out.append(_mismatch(sections, what, attr, fmt, (first_node, first), (node, oi)))
    return out


def _mismatch(sections: Mapping[str, ProtoSection], what: str, attr: str, fmt, one, two) -> Problem:
    """The problem, placed where one end wrote the value explicitly (else at the second end)."""
    key = {"network_type": "network"}.get(attr, attr)

    def written(end) -> tuple | None:
        node, oi = end
        sec = sections[node.name]
        for rel in (("interfaces", oi.name, key), (key,)):
            if rel in sec.pos_of and (rel[0] == "interfaces" or attr in ("area", "priority")):
                return rel
        return None

    here, there = two, one
    rel = written(two)
    if rel is None and (rel := written(one)) is not None:
        here, there = one, two
    (node, oi), (other, ooi) = here, there
    return sections[node.name].problem(
        rel or (),
        f"OSPF {what} mismatch: {node.name}.{oi.name} has {fmt(getattr(oi, attr))} but "
        f"{other.name}.{ooi.name} has {fmt(getattr(ooi, attr))}; they could never become adjacent",
    )
