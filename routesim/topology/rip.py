"""The typed ``rip:`` section of a router (RIPv2, RFC 2453).

Accepted forms::

    rip: true                      # RIP on every interface, defaults below
    rip: {}                        # same
    rip:
      interfaces: all | [r2, lan1] | {r2: {split_horizon: simple, passive: true, metric: 3}, lan1: {}}
      passive: [lan1]              # receive only (stub interfaces are always passive)
      split_horizon: poisoned      # poisoned (default) | simple | off    (RFC 2453 §3.4.3)
      redistribute: [connected, static]
      auth: {mode: md5, key: secret, key_id: 1}   # or {mode: simple, key: secret} (RFC 2453 §4.1, RFC 2082)
      neighbors: [10.0.0.2]        # unicast neighbours, each on a subnet of a RIP interface

``interfaces: all`` means every interface of the router, stubs included (their networks are then
advertised as directly connected RIP routes; they are passive since nobody can answer there). The
metric a RIP interface adds is its ``metric`` override, else the interface's cost, and must be
1..15 (RFC 2453 §3.6: 16 is infinity).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address
from typing import Any

from routesim.topology.errors import Problem, unknown
from routesim.topology.model import (
    IfaceKind,
    Interface,
    RipAuthSettings,
    RipInterfaceOverrides,
    RipSettings,
    SplitHorizon,
)
from routesim.topology.yamlpos import ProtoSection, interface_checker, open_section, select_interfaces

KEYS = ("interfaces", "passive", "split_horizon", "redistribute", "auth", "neighbors")
IFACE_KEYS = ("split_horizon", "passive", "metric")
AUTH_KEYS = ("mode", "key", "key_id")
REDISTRIBUTE = ("connected", "static")
RIP_INFINITY = 16  # RFC 2453 §3.6
AUTH_KEY_MAX = 16  # RFC 2453 §4.1 (simple password) and RFC 2082 §3.1 (MD5 key) are 16 octets


def _split_horizon(sec: ProtoSection, rel: tuple, out: list[Problem]) -> SplitHorizon | None:
    v = sec.value
    for part in rel:
        v = v[part]
    if v is False:  # YAML 1.1 reads a bare `off` as false
        return SplitHorizon.OFF
    try:
        return SplitHorizon(v)
    except ValueError:
        choices = [m.value for m in SplitHorizon]
        out.append(sec.problem(rel, f"bad split_horizon {v!r}; expected one of {', '.join(choices)}"))
        return None


def parse_rip(sec: ProtoSection, interfaces: Sequence[Interface]) -> tuple[RipSettings | None, list[Problem]]:
    """Parse and validate ``sec`` against the router's resolved ``interfaces``."""
    out: list[Problem] = []
    v: Any = open_section(sec, "rip", KEYS, out)
    if v is None:
        return None, out
    names = [i.name for i in interfaces]
    by_name = {i.name: i for i in interfaces}
    check_name = interface_checker(sec, interfaces, out)

    per_iface: dict[str, RipInterfaceOverrides] = {}
    selected, raw_settings = select_interfaces(sec, v, names, check_name, out)
    for name, ov in raw_settings.items():
        rel = ("interfaces", name)
        for k in ov:
            if k not in IFACE_KEYS:
                out.append(sec.problem((*rel, k), unknown("rip interface key", k, IFACE_KEYS), at_key=True))
        sh = _split_horizon(sec, (*rel, "split_horizon"), out) if "split_horizon" in ov else None
        passive = ov.get("passive")
        if passive is not None and not isinstance(passive, bool):
            out.append(sec.problem((*rel, "passive"), "passive must be true or false"))
            passive = None
        metric = ov.get("metric")
        if metric is not None and (
            not isinstance(metric, int) or isinstance(metric, bool) or not 1 <= metric < RIP_INFINITY
        ):
            out.append(
                sec.problem((*rel, "metric"), f"RIP metric must be 1..15 (RFC 2453 §3.6), got {metric!r}")
            )
            metric = None
        per_iface[name] = RipInterfaceOverrides(split_horizon=sh, passive=passive, metric=metric)

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
                sec.problem(("passive", j), f"interface '{name}' is passive but RIP does not run on it")
            )
        passive.add(name)
    for name, ov in per_iface.items():
        if ov.passive is True:
            passive.add(name)
        elif ov.passive is False:
            passive.discard(name)

    split_horizon = SplitHorizon.POISONED
    if "split_horizon" in v:
        split_horizon = _split_horizon(sec, ("split_horizon",), out) or split_horizon

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

    auth = None
    if (a := v.get("auth")) is not None:
        auth = _auth(sec, a, out)

    neighbors: list[IPv4Address] = []
    nb = v.get("neighbors", [])
    if not isinstance(nb, list):
        out.append(sec.problem(("neighbors",), "neighbors must be a list of addresses"))
        nb = []
    for j, addr in enumerate(nb):
        try:
            ip = IPv4Address(addr) if isinstance(addr, str) else None
        except ValueError:
            ip = None
        if ip is None:
            out.append(sec.problem(("neighbors", j), f"bad IPv4 address {addr!r}"))
            continue
        if not any(ip in by_name[n].network and ip != by_name[n].address.ip for n in selected):
            out.append(
                sec.problem(("neighbors", j), f"neighbor {ip} is not on the subnet of a RIP interface")
            )
            continue
        neighbors.append(ip)

    metrics: list[tuple[str, int]] = []
    for n in selected:
        ov = per_iface.get(n)
        m = ov.metric if ov is not None and ov.metric is not None else by_name[n].cost
        if not 1 <= m < RIP_INFINITY and (ov is None or ov.metric is None):
            out.append(
                sec.problem(
                    ("interfaces",),
                    f"interface '{n}' has cost {m}, not a RIP metric (1..15); set rip.interfaces.{n}.metric",
                )
            )
            continue
        metrics.append((n, m))

    order = {n: k for k, n in enumerate(names)}
    selected.sort(key=order.__getitem__)
    settings = RipSettings(
        interfaces=tuple(selected),
        passive=frozenset(passive),
        split_horizon=split_horizon,
        per_interface=tuple(sorted(per_iface.items(), key=lambda kv: order[kv[0]])),
        redistribute=tuple(redistribute),
        auth=auth,
        neighbors=tuple(neighbors),
        metrics=tuple(sorted(metrics, key=lambda kv: order[kv[0]])),
    )
    return settings, out


def _auth(sec: ProtoSection, a: Any, out: list[Problem]) -> RipAuthSettings | None:
    if not isinstance(a, dict):
        out.append(sec.problem(("auth",), "auth must be a mapping {mode, key, key_id}"))
        return None
    ok = True
    for k in a:
        if k not in AUTH_KEYS:
            out.append(sec.problem(("auth", k), unknown("auth key", k, AUTH_KEYS), at_key=True))
            ok = False
    mode = a.get("mode")
    if mode not in ("simple", "md5"):
        out.append(sec.problem(("auth", "mode"), f"bad auth mode {mode!r}; expected simple or md5"))
        ok = False
    key = a.get("key")
    if not isinstance(key, str) or not key:
        out.append(sec.problem(("auth", "key"), "auth needs a key (a string)"))
        ok = False
    elif len(key.encode()) > AUTH_KEY_MAX:
        out.append(sec.problem(("auth", "key"), f"auth key is longer than {AUTH_KEY_MAX} octets"))
        ok = False
    key_id = a.get("key_id", 1)
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not 0 <= key_id <= 255:
        out.append(sec.problem(("auth", "key_id"), f"key_id must be 0..255 (RFC 2082 §3.2), got {key_id!r}"))
        ok = False
    elif "key_id" in a and mode == "simple":
        out.append(sec.problem(("auth", "key_id"), "key_id applies to md5 authentication only"))
        ok = False
    return RipAuthSettings(mode=mode, key=key, key_id=key_id) if ok else None
