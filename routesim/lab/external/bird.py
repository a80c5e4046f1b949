"""The ``bird`` node kind: BIRD 2.0 with a ``bird.conf`` generated from the model.

Generated file (one per node, in the node's work directory D)::

    router id; log "D/bird.log" all;
    protocol device                      interface discovery
    protocol direct  direct1             connected routes of every model interface and lo
    protocol kernel  kernel1             export to the namespace's main table
    protocol static  static1             node.static
    <one section per routing protocol>   PROTOCOL_SECTIONS: "rip", "ospf"; BGP adds its own

Each protocol section is produced by a small function ``bird_<proto>_section(node, topo) -> str``
registered in :data:`PROTOCOL_SECTIONS`; a protocol the node runs but no function covers is a
loud :class:`ExternalConfigError`, never a silently missing section.

Preferences: BIRD prefers the *higher* preference and its defaults rank OSPF (150) above eBGP
(100), unlike FRR and routesim (DESIGN.md: connected 0, static 1, eBGP 20, OSPF 110, RIP 120,
iBGP 200, lower wins). Every channel and static route therefore gets ``preference = 255 -
distance`` so that all three kinds choose alike, and the parser reads ``distance = 255 -
preference`` back. BGP sections must follow the same rule and be named ``ebgp_*``/``ibgp_*``.

Kernel protocol: ``export`` everything except device routes (the kernel owns the connected routes;
exporting them only produces "Netlink: File exists" sync errors), ``learn off`` and ``import none``
(routes added by others are not BIRD's business), ``merge paths yes`` (ECMP becomes one multipath
kernel route, as routesim installs it), ``metric 0`` (BIRD's routes carry kernel priority 0, like
the connected routes, so a newer BIRD route replaces the older one instead of stacking beside it
with another priority).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from routesim.topology.model import Node, OspfSettings, Topology

from . import bgp, parse
from .base import (
    ExternalConfigError,
    ExternalRouterError,
    ProcRef,
    RipConfig,
    config_header,
    kernel_fib,
    kernel_interfaces,
    label_fib,
    read_pid_file,
    rip_config,
    run,
    stop_processes,
)

#: Administrative distances (DESIGN.md, FRR's defaults). Lower wins.
DISTANCE = {"connected": 0, "static": 1, "ebgp": 20, "ospf": 110, "rip": 120, "ibgp": 200}


def bird_preference(distance: int) -> int:
    """BIRD preference for an administrative distance (higher preference wins in BIRD)."""
    return 255 - distance


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bird_global_section(node: Node, topo: Topology, workdir: Path) -> str:
    if node.router_id is None:
        raise ExternalConfigError(f"node {node.name}: a BIRD router needs a router ID")
    return f"router id {node.router_id};\nlog {_quote(str(workdir / 'bird.log'))} all;\n"


def bird_device_section(node: Node, topo: Topology) -> str:
    return "protocol device device1 {\n  scan time 10;\n}\n"


def bird_direct_section(node: Node, topo: Topology) -> str:
    names = ["lo", *sorted(i.name for i in node.interfaces)]
    return (
        "# Connected routes of every model interface (stubs included) and of the loopback on lo;\n"
        "# 127.0.0.0/8 is not a route of the lab (FRR's zebra ignores it too).\n"
        "protocol direct direct1 {\n"
        "  ipv4 {\n"
        f"    preference {bird_preference(DISTANCE['connected'])};\n"
        "    import filter { if net ~ [ 127.0.0.0/8+ ] then reject; accept; };\n"
        "  };\n"
        f"  interface {', '.join(_quote(n) for n in names)};\n"
        "}\n"
    )


def bird_kernel_section(node: Node, topo: Topology) -> str:
    return (
        "# Everything but device routes goes to the main table (module docstring: why metric 0).\n"
        "protocol kernel kernel1 {\n"
        "  ipv4 {\n"
        "    import none;\n"
        "    export filter { if source = RTS_DEVICE then reject; accept; };\n"
        "  };\n"
        "  merge paths yes;\n"
        "  learn off;\n"
        "  metric 0;\n"
        "}\n"
    )


def bird_static_section(node: Node, topo: Topology) -> str:
    if not node.static:
        return ""
    lines = [
        "protocol static static1 {",
        f"  ipv4 {{ preference {bird_preference(DISTANCE['static'])}; }};",
    ]
    for r in node.static:
        if r.next_hop is not None and r.interface:
            via = f"via {r.next_hop}%{r.interface}"
        elif r.next_hop is not None:
            via = f"via {r.next_hop}"
        elif r.interface:
            via = f"via {_quote(r.interface)}"
        else:
            via = "blackhole"
        extra = ""
        if r.distance != DISTANCE["static"]:
            extra = f" {{ preference = {bird_preference(r.distance)}; }}"
        lines.append(f"  route {r.prefix} {via}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_BIRD_SPLIT = {
    "none": ("no", "no"),
    "simple": ("yes", "no"),
    "poisoned": ("yes", "yes"),
}
_BIRD_SOURCES = {
    "connected": "source = RTS_DEVICE",
    "rip": "source = RTS_RIP",
    "static": "source = RTS_STATIC",
    "ospf": "source ~ [ RTS_OSPF, RTS_OSPF_IA, RTS_OSPF_EXT1, RTS_OSPF_EXT2 ]",
    "bgp": "source = RTS_BGP",
}


def _seconds(value: float, minimum: int = 1) -> int:
    return max(minimum, round(value))


def bird_rip_section(node: Node, topo: Topology) -> str:
    """RIPv2 (RFC 2453) on the configured interfaces.

    * The networks of RIP interfaces are advertised like any RIP router does (the direct routes of
      those interfaces are exported); ``redistribute`` adds other sources (RFC 2453 §3.7).
    * Timers from ``topo.timers`` (RFC 2453 §3.8: update, timeout, garbage-collection); BIRD has
      no setting for the triggered-update delay (it uses 1-5 s, §3.10.1).
    * Split horizon: none / simple / with poisoned reverse (§3.4.3).
    * Authentication: simple password (§4.1) or keyed MD5 with a key ID (RFC 2082).
    * The interface ``cost`` is BIRD's per-interface ``metric``, added on receipt (§3.9.2).
    * Unicast neighbours are not supported by BIRD 2.0 RIP: they are listed in a comment only.
    """
    cfg = rip_config(node)
    if cfg is None:
        return ""
    t = topo.timers
    update, timeout, garbage = _seconds(t.rip_update), _seconds(t.rip_timeout), _seconds(t.rip_garbage)
    out = [_bird_rip_export_filter(cfg)]
    out.append("protocol rip rip1 {")
    out.append(
        f"  ipv4 {{ preference {bird_preference(DISTANCE['rip'])}; import all; export filter rs_rip_export; }};"
    )
    out.append("  ecmp yes;")
    for a in cfg.neighbors:
        out.append(f"  # unicast neighbour {a}: not supported by BIRD 2.0 RIP, multicast is used")
    for i in cfg.interfaces:
        split, poison = _BIRD_SPLIT[i.split_horizon]
        out.append(f"  interface {_quote(i.name)} {{")
        out.append("    version 2;")
        out.append("    mode multicast;")
        out.append(f"    metric {i.cost};")
        out.append(f"    passive {'yes' if i.passive else 'no'};")
        out.append(f"    split horizon {split};")
        out.append(f"    poison reverse {poison};")
        out.append(f"    update time {update};")
        out.append(f"    timeout time {timeout};")
        out.append(f"    garbage time {garbage};")
        if i.auth.mode == "plain":
            out.append("    authentication plaintext;")
            out.append(f"    password {_quote(i.auth.key)};")
        elif i.auth.mode == "md5":
            out.append("    authentication cryptographic;")
            out.append(f"    password {_quote(i.auth.key)} {{ id {i.auth.key_id}; algorithm keyed md5; }};")
        else:
            out.append("    authentication none;")
        out.append("  };")
    out.append("}")
    return "\n".join(out) + "\n"


def _bird_rip_export_filter(cfg: RipConfig) -> str:
    lines = ["filter rs_rip_export {", "  if source = RTS_RIP then accept;"]
    nets = sorted({i.network for i in cfg.interfaces})
    if nets:
        lines.append(f"  if source = RTS_DEVICE && net ~ [ {', '.join(str(n) for n in nets)} ] then accept;")
    for r in cfg.redistribute:
        lines.append(f"  if {_BIRD_SOURCES[r]} then accept;  # redistribute {r}")
    lines.append("  reject;")
    lines.append("}")
    return "\n".join(lines)


#: BIRD refuses OSPF dead/wait/retransmit intervals below 2 s (peers.md).
BIRD_OSPF_MIN = 2


def ospf_settings(node: Node) -> OspfSettings | None:
    s = node.protocol("ospf")
    if s is None:
        return None
    if not isinstance(s, OspfSettings):
        raise ExternalConfigError(
            f"node {node.name}: the ospf section is not resolved (load it with the loader)"
        )
    return s


def bird_ospf_section(node: Node, topo: Topology) -> str:
    """OSPFv2 (RFC 2328) as ``protocol ospf v2 ospf1``.

    * One ``area`` block per area; each interface with ``type ptp|broadcast``, ``cost``,
      ``priority``, ``hello``, ``dead``, ``wait`` (= dead, as RFC 2328 §9.4 and FRR; BIRD's default
      is 4x hello), ``retransmit`` (BIRD's minimum 2 s), ``transmit delay``; passive interfaces are
      ``stub yes`` (no Hellos, the subnet still advertised, §12.4.1).
    * The loopback: ``interface "lo" <loopback>/32 { stub yes; }`` in the loopback area (a host
      route; the address pattern keeps 127.0.0.1/8 out).
    * Authentication (Appendix D): ``simple`` with ``password``, or ``cryptographic`` with
      ``password "K" { id N; algorithm keyed md5; }``.
    * Export: only the ``redistribute`` sources, as type 1 (``ospf_metric1``) or type 2
      (``ospf_metric2``) externals (§12.4.4); OSPF interface subnets and the loopback are not
      re-announced as externals, like routesim's engine and FRR do.
    * ``preference 145`` (255 - 110) and ``ecmp yes`` (every equal-cost next hop, §16.1.1).
    """
    s = ospf_settings(node)
    if s is None:
        return ""
    if node.loopback is None:
        raise ExternalConfigError(f"node {node.name}: OSPF needs a loopback")
    out = [_bird_ospf_export_filter(node, s)]
    out.append("protocol ospf v2 ospf1 {")
    out.append(
        f"  ipv4 {{ preference {bird_preference(DISTANCE['ospf'])}; import all; export filter rs_ospf_export; }};"
    )
    out.append("  ecmp yes;")
    out.append("  tick 1;")
    for area in s.areas:
        out.append(f"  area {area} {{")
        for i in s.interfaces:
            if i.area != area:
                continue
            dead = max(BIRD_OSPF_MIN, round(i.dead))
            retransmit = max(BIRD_OSPF_MIN, round(i.retransmit))
            out.append(f"    interface {_quote(i.name)} {{")
            out.append(f"      type {'ptp' if i.network_type == 'point-to-point' else 'broadcast'};")
            out.append(f"      cost {i.cost};")
            out.append(f"      priority {i.priority};")
            out.append(f"      hello {round(i.hello)};")
            out.append(f"      dead {dead};")
            out.append(f"      wait {dead};")
            if retransmit != round(i.retransmit):
                out.append(
                    f"      # retransmit raised to BIRD's minimum of {BIRD_OSPF_MIN} s (model {i.retransmit:g})"
                )
            out.append(f"      retransmit {retransmit};")
            out.append(f"      transmit delay {max(1, round(i.transmit_delay))};")
            if i.passive:
                out.append("      stub yes;")
            if s.auth is not None and s.auth.mode == "simple":
                out.append("      authentication simple;")
                out.append(f"      password {_quote(s.auth.key)};")
            elif s.auth is not None:
                out.append("      authentication cryptographic;")
                out.append(
                    f"      password {_quote(s.auth.key)} {{ id {s.auth.key_id}; algorithm keyed md5; }};"
                )
            out.append("    };")
        if area == s.loopback_area:
            out.append(f'    interface "lo" {node.loopback.network} {{ stub yes; }};')
        out.append("  };")
    out.append("}")
    return "\n".join(out) + "\n"


def _bird_ospf_export_filter(node: Node, s: OspfSettings) -> str:
    lines = ["filter rs_ospf_export {"]
    own = sorted({node.iface(i.name).network for i in s.interfaces} | {node.loopback.network})
    lines.append(f"  if net ~ [ {', '.join(str(n) for n in own)} ] then reject;  # OSPF's own networks")
    metric = f"ospf_metric{s.external_metric_type} = {s.external_metric}"
    for r in s.redistribute:
        lines.append(f"  if {_BIRD_SOURCES[r]} then {{ {metric}; accept; }}  # redistribute {r}")
    lines.append("  reject;")
    lines.append("}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# BGP


def _bird_prefix_set(ranges: tuple[bgp.PrefixRange, ...]) -> str:
    items = []
    for r in ranges:
        items.append(str(r.prefix) if r.exact else f"{r.prefix}{{{r.ge},{r.le}}}")
    return "[ " + ", ".join(items) + " ]"


def _bird_rule_condition(rule: Any) -> str | None:
    """The rule's matches ANDed as a BIRD expression; None when the rule matches everything."""
    parts = []
    ranges = bgp.prefix_ranges(rule)
    if ranges:
        parts.append(f"net ~ {_bird_prefix_set(ranges)}")
    path = bgp.as_path_match(rule)
    if path is not None:
        kind, value = path
        if kind == "contains":
            parts.append(f"bgp_path ~ [= * {value} * =]")
        elif kind == "origin":
            parts.append(f"bgp_path.last = {value}")
        elif kind == "first":
            parts.append(f"bgp_path.first = {value}")
        else:
            raise ExternalConfigError("as_path regex not supported by the BIRD generator")
    if rule.community is not None:
        a, b = rule.community
        parts.append(f"({a},{b}) ~ bgp_community")
    return " && ".join(f"({p})" for p in parts) if parts else None


def _bird_rule_sets(rule: Any, prepend_asn: int) -> list[str]:
    out = []
    if rule.set_local_pref is not None:
        out.append(f"bgp_local_pref = {rule.set_local_pref};")
    if rule.set_med is not None:
        out.append(f"bgp_med = {rule.set_med};")
    for a, b in rule.add_communities:
        out.append(f"bgp_community.add(({a},{b}));")
    out += [f"bgp_path.prepend({prepend_asn});"] * rule.prepend
    return out


def _bird_policy(policy: Any, prepend_asn: int, indent: str = "  ") -> list[str]:
    """First matching rule decides; then the policy's default (RFC-free: routesim.proto.bgp.policy)."""
    out = []
    default = "accept"
    if policy is not None:
        for rule in policy.rules:
            cond = _bird_rule_condition(rule)
            if rule.action == "reject":
                body = "reject;"
            else:
                body = " ".join([*_bird_rule_sets(rule, prepend_asn), "accept;"])
            out.append(f"{indent}{body}" if cond is None else f"{indent}if {cond} then {{ {body} }}")
            if cond is None:
                return out
        default = policy.default
    out.append(f"{indent}{'accept' if default == 'accept' else 'reject'};")
    return out


def _bird_marker_set(asn: int, classes: tuple[int, ...]) -> str:
    return "[ " + ", ".join(f"({asn}, {bgp.MARKER}, {c})" for c in classes) + " ]"


def _bird_bgp_filters(node: Node, topo: Topology, s: Any, sess: bgp.Session) -> str:
    """Import and export filters of one session (module docstring of bgp.py: the relationship model)."""
    n = sess.neighbor
    asn = s.asn
    rel = bgp.uses_relationships(node, topo)
    all_markers = f"[ ({asn}, {bgp.MARKER}, *) ]"
    imp = [f"filter rs_bgp_in_{sess.ident} {{"]
    if rel and sess.ebgp:
        imp.append(f"  bgp_large_community.delete({all_markers});  # markers are ours only")
        if n.relationship is not None:
            imp.append(
                f"  bgp_local_pref = {bgp.RELATIONSHIP_LOCAL_PREF[n.relationship]};  # {n.relationship}"
            )
        imp.append(
            f"  bgp_large_community.add(({asn}, {bgp.MARKER}, {bgp.RELATIONSHIP_CLASS[n.relationship]}));"
        )
    imp += _bird_policy(n.import_policy, sess.remote_as)
    imp.append("}")

    exp = [f"filter rs_bgp_out_{sess.ident} {{"]
    exp.append("  if source = RTS_BGP then {")
    if rel and n.relationship in ("peer", "provider"):
        exp.append("    # valley-free: routes from peers and providers go to customers only")
        exp.append(f"    if bgp_large_community ~ {_bird_marker_set(asn, (2, 3))} then reject;")
        exp.append(
            f'    if proto ~ "ibgp_*" && !(bgp_large_community ~ {all_markers})'
            " && bgp_local_pref ~ [ 100, 150 ] then reject;"
        )
    exp.append("  } else {")
    origin = []
    announce = tuple(s.announce)
    if announce:
        origin.append(f"net ~ [ {', '.join(str(p) for p in sorted(announce))} ]")
    for r in bgp.redistribute(node):
        origin.append(_BIRD_SOURCES[r])
    if origin:
        exp.append(f"    if !({' || '.join(f'({o})' for o in origin)}) then reject;")
    else:
        exp.append("    reject;")
    if rel and origin:
        exp.append(f"    bgp_large_community.add(({asn}, {bgp.MARKER}, 0));")
    exp.append("  }")
    if rel and sess.ebgp:
        exp.append(f"  bgp_large_community.delete({all_markers});")
    exp += _bird_policy(n.export_policy, asn)
    exp.append("}")
    return "\n".join(imp) + "\n" + "\n".join(exp)


def bird_bgp_section(node: Node, topo: Topology) -> str:
    """BGP-4 (RFC 4271) as one ``protocol bgp`` per neighbour, named ``ebgp_<n>``/``ibgp_<n>``.

    * ``local as``, ``neighbor ADDR as N``, ``source address`` (the session's local address),
      ``direct`` for eBGP on a shared link, ``multihop`` for iBGP and eBGP between loopbacks
      (``gateway recursive``: the next hop resolves through the IGP);
    * ``hold time``/``keepalive time``/``connect retry time`` from the neighbour or the timers
      profile (``bgp_hold``/``bgp_keepalive``/``bgp_connect_retry``); BIRD has no MRAI setting;
    * ``password`` (RFC 2385 TCP MD5), ``ttl security yes`` (RFC 5082 GTSM), ``passive on``,
      ``enable as4`` (RFC 6793), ``rr client`` + ``rr cluster id`` (RFC 4456), ``next hop self``,
      ``import limit N action disable`` (max_prefix);
    * channel ``preference`` 235 on eBGP and 55 on iBGP sessions (255 - distance 20/200);
    * filters: the relationship model and the neighbour's import/export policies
      (:func:`_bird_bgp_filters`); announce = export of the matching non-BGP route when one is in
      the table (the prefix is "covered"); ``announce_always`` adds a ``static_announce`` blackhole
      of preference 1 (distance 254) so that the prefix is always there.
    """
    s = bgp.bgp_settings(node)
    if s is None:
        return ""
    if node.router_id is None:
        raise ExternalConfigError(f"node {node.name}: BGP needs a router ID")
    out = []
    if s.announce_always and s.announce:
        out.append("# announce_always: keep the announced prefixes in the table (least preferred route)")
        out.append("protocol static static_announce {")
        out.append(f"  ipv4 {{ preference {bird_preference(bgp.ANNOUNCE_ALWAYS_DISTANCE)}; }};")
        for p in sorted(s.announce):
            out.append(f"  route {p} blackhole;")
        out.append("}")
        out.append("")
    for sess in bgp.sessions(node, topo):
        n = sess.neighbor
        if not n.four_octet_as and max(s.asn, sess.remote_as) > 0xFFFF:
            raise ExternalConfigError(
                f"node {node.name}: neighbor {n.name}: four_octet_as false with a 4-octet ASN is not "
                "supported by BIRD (it refuses the session rather than use AS_TRANS, RFC 6793 §4.2.2)"
            )
        out.append(_bird_bgp_filters(node, topo, s, sess))
        out.append("")
        out.append(f"protocol bgp {sess.protocol_name} {{")
        out.append(f"  description {_quote(f'{n.name} AS{sess.remote_as}')};")
        out.append(f"  local {sess.local_address} as {s.asn};")
        out.append(f"  neighbor {sess.address} as {sess.remote_as};")
        out.append(f"  source address {sess.local_address};")
        if sess.ebgp and not sess.multihop:
            out.append("  direct;")
        else:
            out.append(f"  multihop {bgp.MULTIHOP_TTL if sess.ebgp else 64};")
        if sess.hold:
            out.append(f"  hold time {sess.hold};")
            out.append(f"  startup hold time {sess.hold};")
            out.append(f"  keepalive time {sess.keepalive};")
        else:
            out.append("  hold time 0;")
        out.append(f"  connect retry time {sess.connect_retry};")
        out.append(f"  error wait time 1, {max(2, sess.connect_retry)};")
        if n.passive:
            out.append("  passive on;")
        if n.md5:
            out.append(f"  password {_quote(n.md5)};")
        if n.ttl_security:
            out.append("  ttl security yes;")
        out.append(f"  enable as4 {'yes' if n.four_octet_as else 'no'};")
        if n.route_reflector_client:
            out.append("  rr client;")
        if not sess.ebgp and s.cluster_id is not None:
            out.append(f"  rr cluster id {s.cluster_id};")
        distance = bgp.EBGP_DISTANCE if sess.ebgp else bgp.IBGP_DISTANCE
        out.append("  ipv4 {")
        out.append(f"    preference {bird_preference(distance)};")
        out.append(f"    import filter rs_bgp_in_{sess.ident};")
        out.append(f"    export filter rs_bgp_out_{sess.ident};")
        if n.max_prefix is not None:
            out.append(f"    import limit {n.max_prefix} action disable;")
        if n.next_hop_self:
            out.append("    next hop self;")
        out.append("  };")
        out.append("}")
        out.append("")
    return "\n".join(out)


#: Protocol name (as in ``node.protocols``) -> section generator.
PROTOCOL_SECTIONS: dict[str, Callable[[Node, Topology], str]] = {
    "rip": bird_rip_section,
    "ospf": bird_ospf_section,
    "bgp": bird_bgp_section,
}

#: Order of protocol sections in the file (deterministic whatever the YAML order).
PROTOCOL_ORDER = ("rip", "ospf", "bgp")


def bird_config(node: Node, topo: Topology, workdir: Path) -> str:
    """The whole ``bird.conf`` text for ``node`` (deterministic: depends only on the arguments)."""
    wanted = [name for name, _ in node.protocols]
    for name in wanted:
        if name not in PROTOCOL_SECTIONS:
            raise ExternalConfigError(f"node {node.name}: the BIRD generator has no {name!r} section yet")
    order = sorted(wanted, key=lambda p: (PROTOCOL_ORDER.index(p) if p in PROTOCOL_ORDER else 99, p))
    parts = [
        config_header(node, topo, "BIRD 2.0"),
        bird_global_section(node, topo, workdir),
        bird_device_section(node, topo),
        bird_direct_section(node, topo),
        bird_kernel_section(node, topo),
        bird_static_section(node, topo),
        *(PROTOCOL_SECTIONS[p](node, topo) for p in order),
    ]
    return "\n".join(p for p in parts if p)


class BirdRouter:
    """One BIRD instance: ``bird -c D/bird.conf -s D/bird.ctl -P D/bird.pid`` in the namespace."""

    binary = "bird"
    client = "birdc"

    def __init__(self, node: Node) -> None:
        self.node = node
        self.workdir: Path | None = None
        self.netns: str | None = None
        self._procs: list[ProcRef] = []

    def attach(self, netns: str, workdir: Path) -> None:
        """Inspect a BIRD that another process started (``routesim show`` on a kept lab)."""
        self.workdir, self.netns = Path(workdir).resolve(), netns

    # paths
    def _dir(self) -> Path:
        if self.workdir is None:
            raise ExternalRouterError(f"{self.node.name}: write_config() was not called")
        return self.workdir

    @property
    def conf_path(self) -> Path:
        return self._dir() / "bird.conf"

    @property
    def ctl_path(self) -> Path:
        return self._dir() / "bird.ctl"

    @property
    def log_path(self) -> Path:
        return self._dir() / "bird.log"

    def write_config(self, workdir: Path, topo: Topology) -> list[Path]:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(bird_config(self.node, topo, self.workdir))
        return [self.conf_path]

    def check_config(self) -> None:
        proc = run([self.binary, "-p", "-c", str(self.conf_path)], check=False)
        if proc.returncode != 0:
            raise _bird_error(self.conf_path, (proc.stderr or proc.stdout).strip())

    def start(self, netns: str) -> list[int]:
        self.netns = netns
        pid_path = self._dir() / "bird.pid"
        for stale in (self.ctl_path, pid_path):
            stale.unlink(missing_ok=True)
        proc = run(
            [
                "ip", "netns", "exec", netns, self.binary,
                "-c", str(self.conf_path), "-s", str(self.ctl_path), "-P", str(pid_path),
            ],
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise _bird_error(self.conf_path, (proc.stderr or proc.stdout).strip())
        pid = read_pid_file(pid_path, time.monotonic() + 5.0)
        ref = ProcRef.of(pid, "bird")
        if ref is None:
            raise ExternalRouterError(
                f"{self.node.name}: bird (pid {pid}) exited at once; see {self.log_path}"
            )
        self._procs = [ref]
        return [pid]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not any(p.alive() for p in self._procs):
                raise ExternalRouterError(f"{self.node.name}: bird died; log:\n{self._log_tail()}")
            out = run([self.client, "-s", str(self.ctl_path), "show", "status"], check=False).stdout
            if "Daemon is up and running" in out:
                return
            if time.monotonic() > deadline:
                raise ExternalRouterError(f"{self.node.name}: bird not ready after {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_processes(self._procs)
        self._procs = []
        if self.workdir is not None:
            self.ctl_path.unlink(missing_ok=True)

    def birdc(self, *command: str) -> str:
        return run([self.client, "-s", str(self.ctl_path), *command]).stdout

    def inspect(self, what: str) -> dict:
        if what == "routes":
            rib = parse.bird_routes(self.birdc("show", "route", "all"))
            fib = label_fib(kernel_fib(self._netns()), rib)
            return {"rib": rib, "fib": fib}
        if what == "interfaces":
            return {"interfaces": kernel_interfaces(self._netns())}
        if what == "neighbors":
            neighbors: list[dict] = []
            if rip_config(self.node) is not None:
                neighbors += parse.bird_rip_neighbors(self.birdc("show", "rip", "neighbors"))
            if ospf_settings(self.node) is not None:
                neighbors += parse.bird_ospf_neighbors(self.birdc("show", "ospf", "neighbors"))
            if bgp.bgp_settings(self.node) is not None:
                neighbors += parse.bgp_neighbor_rows(self.inspect("bgp"))
            return {"neighbors": neighbors}
        if what == "bgp":
            s = bgp.bgp_settings(self.node)
            if s is None:
                raise ValueError(f"{self.node.name} does not run BGP")
            return parse.bird_bgp(
                self.birdc("show", "protocols", "all"),
                self.birdc("show", "route", "all"),
                s.asn,
                str(self.node.router_id),
                {str(p) for p in s.announce},
                set(bgp.redistribute(self.node)),
            )
        if what == "ospf":
            if ospf_settings(self.node) is None:
                raise ValueError(f"{self.node.name} does not run OSPF")
            return {
                "database": parse.bird_ospf_lsadb(self.birdc("show", "ospf", "lsadb")),
                "neighbors": parse.bird_ospf_neighbors(self.birdc("show", "ospf", "neighbors")),
            }
        if what == "protocols":
            return {"protocols": parse.bird_protocols(self.birdc("show", "protocols"))}
        if what == "log":
            return {"log": [{"source": "bird", "line": ln} for ln in self._log_lines()]}
        raise ValueError(f"unknown inspection {what!r}")

    def _netns(self) -> str:
        if self.netns is None:
            raise ExternalRouterError(f"{self.node.name}: not started")
        return self.netns

    def _log_lines(self) -> list[str]:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace").splitlines()
        return []

    def _log_tail(self, n: int = 20) -> str:
        return "\n".join(self._log_lines()[-n:])


def _bird_error(path: Path, message: str) -> ExternalConfigError:
    """BIRD says ``bird: /D/bird.conf:12:37 syntax error, ...``: keep the line number."""
    line = None
    marker = f"{path}:"
    if marker in message:
        rest = message.split(marker, 1)[1]
        head = rest.split(":", 1)[0]
        if head.isdigit():
            line = int(head)
    return ExternalConfigError(message, path=path, line=line)
