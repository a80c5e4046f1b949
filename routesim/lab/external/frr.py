"""The ``frr`` node kind: FRR 8.4 daemons (zebra, staticd, ripd...) with per-daemon configs.

Files in the node's work directory D::

    zebra.conf staticd.conf <proto>d.conf     generated, deterministic, owned by frr
    <daemon>.pid <daemon>.log <daemon>.vty    written by the daemons; zserv.api: zebra's socket
    run/  tmp/                                bind-mounted over /run/frr and /var/tmp (see below)

Each routing protocol adds one daemon through :data:`DAEMON_CONFIGS` (``"rip" -> ("ripd",
frr_ripd_conf)``, ``"ospf" -> ("ospfd", frr_ospfd_conf)``; bgpd later), so a protocol issue touches
only its own function.

How the daemons run (measured with FRR 8.4.4, /work/shared/notes/peers.md):

* Every daemon but bgpd refuses to stay root: they drop to user ``frr``. D is chowned to frr and
  every parent of D must be searchable by others (checked, with a clear error).
* Compiled-in paths collide between instances (``/run/frr/ospfd-gr.json``,
  ``/var/tmp/frr/<daemon>.<pid>/``), so all daemons of a node start from one shell under
  ``unshare --mount --propagation private`` that bind-mounts D/run over /run/frr and D/tmp over
  /var/tmp, then ``ip netns exec NS <daemon> -d ...`` (which adds its own mount namespace for /sys
  on top, inheriting those binds). Daemonized, they keep that private mount namespace; nothing is
  written to the host's /run/frr or /var/tmp.
* ``<daemon> -C`` (dry run) *executes* the config: ``ip forwarding`` in zebra.conf would switch
  forwarding on in the caller's network namespace. :meth:`FrrRouter.check_config` therefore runs
  in a throwaway network namespace as well (``unshare --net``).
* A wrong line is skipped and only logged (``No such command on config line N``; ``-C`` exits 0
  too): the check and :meth:`FrrRouter.wait_ready` scan the output/logs and raise
  :class:`ExternalConfigError` naming the file and line.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import re
import shlex
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from routesim.topology.model import Node, OspfSettings, Topology

from . import bgp, parse
from .base import (
    ExternalConfigError,
    ExternalRouterError,
    ProcRef,
    check_dir_reachable,
    config_header,
    kernel_fib,
    kernel_interfaces,
    label_fib,
    read_pid_file,
    rip_config,
    run,
    stop_processes,
)

FRR_BIN_DIR = Path("/usr/lib/frr")
#: ripd refuses ``timers basic`` values below 5 s.
FRR_RIP_MIN_TIMER = 5


def _header(node: Node, topo: Topology, daemon: str) -> str:
    return config_header(node, topo, f"FRR 8.4 {daemon}", comment="!")


def frr_zebra_conf(node: Node, topo: Topology) -> str:
    """zebra learns addresses from the kernel (the lab configures them); it only needs forwarding."""
    return _header(node, topo, "zebra") + f"hostname {node.name}\nip forwarding\n!\n"


def frr_staticd_conf(node: Node, topo: Topology) -> str:
    """``ip route PREFIX (NEXTHOP [IFACE] | IFACE | blackhole) [DISTANCE]``.

    FRR static routes have no metric: ``StaticRoute.metric`` is not expressed.
    """
    lines = [_header(node, topo, "staticd") + f"hostname {node.name}"]
    for r in node.static:
        if r.next_hop is not None and r.interface:
            via = f"{r.next_hop} {r.interface}"
        elif r.next_hop is not None:
            via = str(r.next_hop)
        elif r.interface:
            via = r.interface
        else:
            via = "blackhole"
        distance = f" {r.distance}" if r.distance != 1 else ""
        lines.append(f"ip route {r.prefix} {via}{distance}")
    s = bgp.bgp_settings(node)
    if s is not None and s.announce_always:
        lines.append("! announce_always: keep the announced prefixes in the RIB (least preferred route)")
        for p in sorted(s.announce):
            lines.append(f"ip route {p} blackhole {bgp.ANNOUNCE_ALWAYS_DISTANCE}")
    lines.append("!")
    return "\n".join(lines) + "\n"


_FRR_SPLIT = {
    "none": "no ip rip split-horizon",
    "simple": "ip rip split-horizon",
    "poisoned": "ip rip split-horizon poisoned-reverse",
}


def frr_ripd_conf(node: Node, topo: Topology) -> str:
    """RIPv2 (RFC 2453) for ripd.

    * ``network IFACE`` enables RIP on an interface and advertises its network; ``redistribute``
      adds other sources (RFC 2453 §3.7); ``passive-interface`` for passive ones.
    * ``timers basic UPDATE TIMEOUT GARBAGE`` (RFC 2453 §3.8) clamped to FRR's minimum of 5 s each;
      a comment says so when a value was raised.
    * Split horizon per interface (§3.4.3); simple password (§4.1) or keyed MD5 with a key chain
      (RFC 2082).
    * An interface cost c > 1 becomes ``offset-list ... in c-1 IFACE`` (ripd always adds 1 itself).
    """
    cfg = rip_config(node)
    if cfg is None:
        return ""
    t = topo.timers
    model = (round(t.rip_update), round(t.rip_timeout), round(t.rip_garbage))
    timers = tuple(max(FRR_RIP_MIN_TIMER, v) for v in model)
    out = [_header(node, topo, "ripd") + f"hostname {node.name}", "!"]
    for i in cfg.interfaces:
        if i.auth.mode == "md5":
            out += [
                f"key chain rs-rip-{i.name}",
                f" key {i.auth.key_id}",
                f"  key-string {i.auth.key}",
                " exit",
                "exit",
                "!",
            ]
    for i in cfg.interfaces:
        out.append(f"interface {i.name}")
        out.append(f" {_FRR_SPLIT[i.split_horizon]}")
        if i.auth.mode == "plain":
            out.append(" ip rip authentication mode text")
            out.append(f" ip rip authentication string {i.auth.key}")
        elif i.auth.mode == "md5":
            out.append(" ip rip authentication mode md5")
            out.append(f" ip rip authentication key-chain rs-rip-{i.name}")
        out += ["exit", "!"]
    costly = [i for i in cfg.interfaces if i.cost > 1]
    if costly:
        out += ["access-list rs-rip-any seq 5 permit any", "!"]
    out += ["router rip", " version 2", " allow-ecmp"]
    if timers != model:
        out.append(
            f" ! timers raised to FRR's minimum of {FRR_RIP_MIN_TIMER} s (model: {model[0]} {model[1]} {model[2]})"
        )
    out.append(f" timers basic {timers[0]} {timers[1]} {timers[2]}")
    for i in cfg.interfaces:
        out.append(f" network {i.name}")
    for i in cfg.interfaces:
        if i.passive:
            out.append(f" passive-interface {i.name}")
    for a in cfg.neighbors:
        out.append(f" neighbor {a}")
    for r in cfg.redistribute:
        out.append(f" redistribute {r}")
    for i in costly:
        out.append(f" offset-list rs-rip-any in {min(i.cost - 1, 16)} {i.name}")
    out += ["exit", "!"]
    return "\n".join(out) + "\n"


def frr_ospfd_conf(node: Node, topo: Topology) -> str:
    """OSPFv2 (RFC 2328) for ospfd.

    * Per interface (``interface NAME``): ``ip ospf area``, ``ip ospf cost``, ``ip ospf network
      point-to-point`` (broadcast is the default), ``ip ospf hello-interval``, ``ip ospf
      dead-interval``, ``ip ospf retransmit-interval``, ``ip ospf transmit-delay``, ``ip ospf
      priority``; passive interfaces ``ip ospf passive`` (no Hellos, the subnet still advertised).
    * The loopback: ``interface lo`` with ``ip ospf area`` (FRR advertises a loopback's address
      as a host route of cost 0, §12.4.1.1) and passive.
    * Authentication (Appendix D): ``ip ospf authentication`` + ``ip ospf authentication-key`` or
      ``ip ospf authentication message-digest`` + ``ip ospf message-digest-key ID md5 KEY``.
    * ``redistribute SOURCE metric-type N metric M`` (§12.4.4); FRR skips connected subnets of
      OSPF interfaces itself.
    * ``timers throttle spf 0 50 1000`` so that SPF follows a change within 50 ms (FRR's default
      hold-down grows to 5 s, longer than a fast lab's convergence).
    """
    s = node.protocol("ospf")
    if s is None:
        return ""
    if not isinstance(s, OspfSettings):
        raise ExternalConfigError(
            f"node {node.name}: the ospf section is not resolved (load it with the loader)"
        )
    if node.router_id is None:
        raise ExternalConfigError(f"node {node.name}: OSPF needs a router ID")
    out = [_header(node, topo, "ospfd") + f"hostname {node.name}", "!"]
    for i in s.interfaces:
        out.append(f"interface {i.name}")
        out.append(f" ip ospf area {i.area}")
        out.append(f" ip ospf cost {i.cost}")
        if i.network_type == "point-to-point":
            out.append(" ip ospf network point-to-point")
        out.append(f" ip ospf hello-interval {round(i.hello)}")
        out.append(f" ip ospf dead-interval {round(i.dead)}")
        out.append(f" ip ospf retransmit-interval {max(1, round(i.retransmit))}")
        out.append(f" ip ospf transmit-delay {max(1, round(i.transmit_delay))}")
        out.append(f" ip ospf priority {i.priority}")
        if i.passive:
            out.append(" ip ospf passive")
        if s.auth is not None and s.auth.mode == "simple":
            out.append(" ip ospf authentication")
            out.append(f" ip ospf authentication-key {s.auth.key}")
        elif s.auth is not None:
            out.append(" ip ospf authentication message-digest")
            out.append(f" ip ospf message-digest-key {s.auth.key_id} md5 {s.auth.key}")
        out += ["exit", "!"]
    out += ["interface lo", f" ip ospf area {s.loopback_area}", " ip ospf passive", "exit", "!"]
    out += ["router ospf", f" ospf router-id {node.router_id}", " timers throttle spf 0 50 1000"]
    for r in s.redistribute:
        out.append(f" redistribute {r} metric-type {s.external_metric_type} metric {s.external_metric}")
    out += ["exit", "!"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------
# BGP

#: The route-map that marks what we originate (network, redistribute) with class 0 (bgp.py).
FRR_ORIGINATE_MAP = "rs-originate"
_FRR_POSIX_REGEX = re.compile(r"^[0-9 _^$.*+?()|\[\]-]*$")


def _frr_community(c: tuple[int, int]) -> str:
    return bgp.WELL_KNOWN.get(tuple(c), f"{c[0]}:{c[1]}")


def _frr_as_path_regex(kind: str, value: Any) -> str:
    if kind == "contains":
        return f"_{value}_"
    if kind == "origin":
        return f"_{value}$"
    if kind == "first":
        return f"^{value}_"
    if not _FRR_POSIX_REGEX.match(value):
        raise ExternalConfigError(
            f"as_path regex {value!r} uses Python-only syntax; FRR takes POSIX regexes of digits, "
            "spaces, ^ $ . * + ? ( ) | [ ] - _"
        )
    return value


def _frr_policy(
    lists: list[str], entries: list[str], policy: Any, name: str, prepend_asn: int, first: int
) -> None:
    """Append the prefix/as-path/community lists and route-map entries for one policy.

    Route-map entries are evaluated in sequence order and the first match decides (permit with its
    ``set`` lines, or deny), as the model's rules; the policy's default is entry 65000.
    """
    seq = first
    default = "accept"
    if policy is not None:
        for i, rule in enumerate(policy.rules, 1):
            matches = []
            ranges = bgp.prefix_ranges(rule)
            if ranges:
                pl = f"{name}-p{i}"
                for j, r in enumerate(ranges, 1):
                    bounds = ""
                    if not r.exact:
                        bounds = f" le {r.le}" if r.ge == r.prefix.prefixlen else f" ge {r.ge} le {r.le}"
                    lists.append(f"ip prefix-list {pl} seq {j * 5} permit {r.prefix}{bounds}")
                matches.append(f" match ip address prefix-list {pl}")
            path = bgp.as_path_match(rule)
            if path is not None:
                al = f"{name}-a{i}"
                lists.append(f"bgp as-path access-list {al} seq 5 permit {_frr_as_path_regex(*path)}")
                matches.append(f" match as-path {al}")
            if rule.community is not None:
                cl = f"{name}-c{i}"
                lists.append(
                    f"bgp community-list standard {cl} seq 5 permit {_frr_community(rule.community)}"
                )
                matches.append(f" match community {cl}")
            sets = []
            if rule.action != "reject":
                if rule.set_local_pref is not None:
                    sets.append(f" set local-preference {rule.set_local_pref}")
                if rule.set_med is not None:
                    sets.append(f" set metric {rule.set_med}")
                if rule.add_communities:
                    comms = " ".join(_frr_community(c) for c in rule.add_communities)
                    sets.append(f" set community {comms} additive")
                if rule.prepend:
                    sets.append(f" set as-path prepend {' '.join([str(prepend_asn)] * rule.prepend)}")
            verb = "deny" if rule.action == "reject" else "permit"
            entries += [f"route-map {name} {verb} {seq}", *matches, *sets, "exit", "!"]
            seq += 10
        default = policy.default
    entries += [f"route-map {name} {'permit' if default == 'accept' else 'deny'} 65000", "exit", "!"]


def frr_bgpd_conf(node: Node, topo: Topology) -> str:
    """BGP-4 (RFC 4271) for bgpd.

    * ``router bgp ASN`` with ``bgp router-id``, ``no bgp ebgp-requires-policy`` (RFC 8212 would
      block eBGP without a policy), ``no bgp default ipv4-unicast`` + ``neighbor X activate`` in
      ``address-family ipv4 unicast``, ``coalesce-time 0`` (no 1 s delay before the first UPDATE),
      ``bgp bestpath compare-routerid`` (the oracle's last tie-breaker, RFC 4271 §9.1.2.2 f),
      ``bgp cluster-id`` (RFC 4456);
    * per neighbour: ``remote-as``, ``update-source``, ``ebgp-multihop`` (eBGP between loopbacks),
      ``password`` (RFC 2385), ``ttl-security hops 1`` (RFC 5082; ``hops 64`` between loopbacks),
      ``timers K H``, ``timers connect R``, ``advertisement-interval`` (MRAI from the timers
      profile), ``passive``; in the address family ``next-hop-self``, ``route-reflector-client``,
      ``maximum-prefix N``, ``route-map ... in|out``;
    * ``four_octet_as: false`` has no FRR knob (bgpd always offers RFC 6793): refused;
    * ``network P`` for ``announce`` with import-check on (announced while the RIB has the prefix;
      ``announce_always`` adds a blackhole of distance 254 in staticd), ``redistribute SOURCE``;
    * policies and the relationship model as route-maps over prefix-lists, as-path access-lists,
      community lists and large-community lists (bgp.py: markers), one ``rs-<neighbour>-in|out``
      route-map per direction.
    """
    s = bgp.bgp_settings(node)
    if s is None:
        return ""
    if node.router_id is None:
        raise ExternalConfigError(f"node {node.name}: BGP needs a router ID")
    sessions = bgp.sessions(node, topo)
    rel = bgp.uses_relationships(node, topo)
    asn = s.asn
    lists: list[str] = []
    entries: list[str] = []
    maps: dict[str, tuple[str | None, str | None]] = {}
    if rel:
        for c in range(4):
            lists.append(
                f"bgp large-community-list standard rs-rel-all seq {5 + c * 5} permit {asn}:{bgp.MARKER}:{c}"
            )
        lists.append(f"bgp large-community-list standard rs-rel-pp seq 5 permit {asn}:{bgp.MARKER}:2")
        lists.append(f"bgp large-community-list standard rs-rel-pp seq 10 permit {asn}:{bgp.MARKER}:3")
        entries += [
            f"route-map {FRR_ORIGINATE_MAP} permit 10",
            f" set large-community {asn}:{bgp.MARKER}:0 additive",
            "exit",
            "!",
        ]
    for sess in sessions:
        n = sess.neighbor
        if not n.four_octet_as:
            raise ExternalConfigError(
                f"node {node.name}: neighbor {n.name}: four_octet_as false is not supported by FRR "
                "(bgpd always advertises the RFC 6793 capability)"
            )
        in_map = out_map = None
        need_in = n.import_policy is not None or (rel and sess.ebgp)
        if need_in:
            in_map = f"rs-{sess.ident}-in"
            if rel and sess.ebgp:
                cls = bgp.RELATIONSHIP_CLASS[n.relationship]
                entries += [
                    f"route-map {in_map} permit 1",
                    " set large-comm-list rs-rel-all delete",
                    " on-match next",
                    "exit",
                    "!",
                ]
                entries.append(f"route-map {in_map} permit 2")
                if n.relationship is not None:
                    entries.append(f" set local-preference {bgp.RELATIONSHIP_LOCAL_PREF[n.relationship]}")
                entries += [
                    f" set large-community {asn}:{bgp.MARKER}:{cls} additive",
                    " on-match next",
                    "exit",
                    "!",
                ]
            _frr_policy(lists, entries, n.import_policy, in_map, sess.remote_as, 10)
        valley = rel and n.relationship in ("peer", "provider")
        need_out = n.export_policy is not None or (rel and sess.ebgp)
        if need_out:
            out_map = f"rs-{sess.ident}-out"
            if valley:
                # valley-free: drop routes classed peer/provider; unmarked (from routesim over iBGP):
                # by LOCAL_PREF like routesim's engine (150 peer, 100 provider)
                entries += [f"route-map {out_map} deny 1", " match large-community rs-rel-pp", "exit", "!"]
                entries += [
                    f"route-map {out_map} permit 2",
                    " match large-community rs-rel-all",
                    " on-match goto 5",
                    "exit",
                    "!",
                ]
                entries += [f"route-map {out_map} deny 3", " match local-preference 150", "exit", "!"]
                entries += [f"route-map {out_map} deny 4", " match local-preference 100", "exit", "!"]
            if rel and sess.ebgp:
                entries += [
                    f"route-map {out_map} permit 5",
                    " set large-comm-list rs-rel-all delete",
                    " on-match next",
                    "exit",
                    "!",
                ]
            _frr_policy(lists, entries, n.export_policy, out_map, asn, 10)
        maps[sess.ident] = (in_map, out_map)

    out = [_header(node, topo, "bgpd") + f"hostname {node.name}", "!"]
    out += [*lists, "!"] if lists else []
    out += entries
    out += [f"router bgp {asn}", f" bgp router-id {node.router_id}", " no bgp ebgp-requires-policy"]
    out += [" no bgp default ipv4-unicast", " bgp network import-check", " coalesce-time 0"]
    out.append(" bgp bestpath compare-routerid")
    if s.cluster_id is not None:
        out.append(f" bgp cluster-id {s.cluster_id}")
    for sess in sessions:
        n, a = sess.neighbor, sess.address
        out.append(f" neighbor {a} remote-as {sess.remote_as}")
        out.append(f" neighbor {a} description {bgp.ident(n.name)}")
        out.append(f" neighbor {a} update-source {sess.local_address}")
        if n.ttl_security:
            out.append(f" neighbor {a} ttl-security hops {bgp.MULTIHOP_TTL if sess.multihop else 1}")
        elif sess.multihop:
            out.append(f" neighbor {a} ebgp-multihop {bgp.MULTIHOP_TTL}")
        if n.md5:
            out.append(f" neighbor {a} password {n.md5}")
        if n.passive:
            out.append(f" neighbor {a} passive")
        out.append(f" neighbor {a} timers {sess.keepalive} {sess.hold}")
        out.append(f" neighbor {a} timers connect {sess.connect_retry}")
        out.append(f" neighbor {a} advertisement-interval {sess.advertisement_interval}")
    out.append(" !")
    out.append(" address-family ipv4 unicast")
    originate = f" route-map {FRR_ORIGINATE_MAP}" if rel else ""
    for p in sorted(s.announce):
        out.append(f"  network {p}{originate}")
    for r in bgp.redistribute(node):
        out.append(f"  redistribute {r}{originate}")
    for sess in sessions:
        n, a = sess.neighbor, sess.address
        out.append(f"  neighbor {a} activate")
        if n.next_hop_self:
            out.append(f"  neighbor {a} next-hop-self")
        if n.route_reflector_client:
            out.append(f"  neighbor {a} route-reflector-client")
        if n.max_prefix is not None:
            out.append(f"  neighbor {a} maximum-prefix {n.max_prefix}")
        in_map, out_map = maps[sess.ident]
        if in_map:
            out.append(f"  neighbor {a} route-map {in_map} in")
        if out_map:
            out.append(f"  neighbor {a} route-map {out_map} out")
    out += [" exit-address-family", "exit", "!"]
    return "\n".join(out) + "\n"


#: Protocol name (as in ``node.protocols``) -> (daemon, config generator).
DAEMON_CONFIGS: dict[str, tuple[str, Callable[[Node, Topology], str]]] = {
    "rip": ("ripd", frr_ripd_conf),
    "ospf": ("ospfd", frr_ospfd_conf),
    "bgp": ("bgpd", frr_bgpd_conf),
}

#: Start order; zebra first (the others connect to its zserv.api).
DAEMON_ORDER = ("zebra", "staticd", "ripd", "ospfd", "bgpd")


def frr_configs(node: Node, topo: Topology) -> dict[str, str]:
    """daemon -> config text, for every daemon this node needs."""
    configs = {"zebra": frr_zebra_conf(node, topo), "staticd": frr_staticd_conf(node, topo)}
    for name, _ in node.protocols:
        if name not in DAEMON_CONFIGS:
            raise ExternalConfigError(f"node {node.name}: the FRR generator has no {name!r} daemon yet")
        daemon, gen = DAEMON_CONFIGS[name]
        configs[daemon] = gen(node, topo)
    return {d: configs[d] for d in sorted(configs, key=DAEMON_ORDER.index)}


def _frr_ids() -> tuple[int, int] | None:
    """uid/gid of user frr when we are root (the daemons switch to it), else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    except KeyError:
        return None


class FrrRouter:
    """One FRR instance: zebra + staticd + one daemon per routing protocol, sharing D."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.workdir: Path | None = None
        self.netns: str | None = None
        self.daemons: tuple[str, ...] = ()
        self._procs: dict[str, ProcRef] = {}

    def attach(self, netns: str, workdir: Path) -> None:
        """Inspect an FRR that another process started (``routesim show`` on a kept lab)."""
        self.workdir, self.netns = Path(workdir).resolve(), netns
        self.daemons = tuple(p.stem for p in sorted(self.workdir.glob("*.conf")))

    def _dir(self) -> Path:
        if self.workdir is None:
            raise ExternalRouterError(f"{self.node.name}: write_config() was not called")
        return self.workdir

    def conf_path(self, daemon: str) -> Path:
        return self._dir() / f"{daemon}.conf"

    def log_path(self, daemon: str) -> Path:
        return self._dir() / f"{daemon}.log"

    def write_config(self, workdir: Path, topo: Topology) -> list[Path]:
        d = Path(workdir).resolve()
        self.workdir = d
        configs = frr_configs(self.node, topo)
        self.daemons = tuple(configs)
        (d / "run").mkdir(parents=True, exist_ok=True)
        (d / "tmp").mkdir(exist_ok=True)
        os.chmod(d / "tmp", 0o1777)
        paths = []
        for daemon, text in configs.items():
            path = self.conf_path(daemon)
            path.write_text(text)
            paths.append(path)
        ids = _frr_ids()
        if ids is not None:
            for p in (d, d / "run", *paths):
                os.chown(p, *ids)
        os.chmod(d, 0o755)
        return paths

    # -- the private mount namespace -----------------------------------------------------------
    def _wrapped(self, body: list[str], *, own_netns: bool) -> list[str]:
        d = self._dir()
        script = [
            "set -e",
            "[ -d /run/frr ] || mkdir -p /run/frr",
            f"mount --bind {shlex.quote(str(d / 'run'))} /run/frr",
            f"mount --bind {shlex.quote(str(d / 'tmp'))} /var/tmp",
            *body,
        ]
        argv = ["unshare", "--mount", "--propagation", "private"]
        if own_netns:
            argv.append("--net")
        return [*argv, "sh", "-ec", "\n".join(script)]

    def _daemon_argv(self, daemon: str, *extra: str) -> list[str]:
        d = self._dir()
        return [
            str(FRR_BIN_DIR / daemon),
            "-f", str(self.conf_path(daemon)),
            "-i", str(d / f"{daemon}.pid"),
            "-z", str(d / "zserv.api"),
            "--vty_socket", str(d),
            "-P", "0",
            *extra,
        ]  # fmt: skip

    def check_config(self) -> None:
        """Run each daemon's dry run (``-C``) in a throwaway mount and network namespace."""
        check_dir_reachable(self._dir(), by_others=_frr_ids() is not None)
        for daemon in self.daemons:
            argv = self._daemon_argv(daemon, "-C", "--log", "stdout")
            proc = run(self._wrapped([shlex.join(argv) + " </dev/null"], own_netns=True), check=False)
            output = proc.stdout + proc.stderr
            self._raise_config_errors(daemon, output)
            if proc.returncode != 0:
                raise ExternalConfigError(
                    output.strip() or f"exit {proc.returncode}", path=self.conf_path(daemon)
                )

    def _raise_config_errors(self, daemon: str, text: str) -> None:
        errors = parse.frr_config_errors(text)
        if errors:
            line, what, command = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ExternalConfigError(
                f"{daemon}: {what}: {command!r}{more}", path=self.conf_path(daemon), line=line
            )

    def start(self, netns: str) -> list[int]:
        d = self._dir()
        self.netns = netns
        check_dir_reachable(d, by_others=_frr_ids() is not None)
        for daemon in self.daemons:
            for suffix in (".pid", ".log", ".vty", ".out"):
                (d / f"{daemon}{suffix}").unlink(missing_ok=True)
        (d / "zserv.api").unlink(missing_ok=True)
        body = []
        for daemon in self.daemons:
            argv = [
                "ip",
                "netns",
                "exec",
                netns,
                *self._daemon_argv(daemon, "-d", "--log", f"file:{self.log_path(daemon)}"),
            ]
            out = shlex.quote(str(d / f"{daemon}.out"))
            body.append(f"{shlex.join(argv)} </dev/null >{out} 2>&1")
        proc = run(self._wrapped(body, own_netns=False), check=False, timeout=20.0)
        if proc.returncode != 0:
            self.stop_started()
            raise ExternalRouterError(
                f"{self.node.name}: FRR start failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()}"
                f"\n{self._out_text()}"
            )
        deadline = time.monotonic() + 5.0
        pids = []
        for daemon in self.daemons:
            pid = read_pid_file(d / f"{daemon}.pid", deadline)
            ref = ProcRef.of(pid, daemon)
            if ref is None:
                self.stop_started()
                raise ExternalRouterError(f"{self.node.name}: {daemon} exited at once:\n{self._out_text()}")
            self._procs[daemon] = ref
            pids.append(pid)
        return pids

    def stop_started(self) -> None:
        """Stop whatever already wrote a PID file (after a failed start)."""
        for daemon in self.daemons:
            with contextlib.suppress(OSError, ValueError):
                ref = ProcRef.of(int((self._dir() / f"{daemon}.pid").read_text().strip()), daemon)
                if ref is not None:
                    self._procs.setdefault(daemon, ref)
        self.stop()

    def wait_ready(self, timeout: float) -> None:
        """Every daemon answers on its vty socket; then their logs are scanned for refused lines."""
        deadline = time.monotonic() + timeout
        pending = list(self.daemons)
        while pending:
            daemon = pending[0]
            ref = self._procs.get(daemon)
            if ref is None or not ref.alive():
                raise ExternalRouterError(
                    f"{self.node.name}: {daemon} is not running:\n{self._log_tail(daemon)}"
                )
            proc = run(
                ["vtysh", "--vty_socket", str(self._dir()), "-d", daemon, "-c", "show version"], check=False
            )
            if proc.returncode == 0 and "FRRouting" in proc.stdout:
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise ExternalRouterError(f"{self.node.name}: {daemon} not ready after {timeout} s")
            time.sleep(0.05)
        for daemon in self.daemons:
            self._raise_config_errors(daemon, self._read(self.log_path(daemon)))

    def stop(self) -> None:
        # Protocol daemons first, zebra last (it withdraws their kernel routes as it exits).
        order = sorted(self._procs, key=lambda d: -DAEMON_ORDER.index(d) if d in DAEMON_ORDER else 0)
        stop_processes([self._procs[d] for d in order if d != "zebra"])
        if "zebra" in self._procs:
            stop_processes([self._procs["zebra"]])
        self._procs = {}

    def vtysh(self, *commands: str) -> str:
        argv = ["vtysh", "--vty_socket", str(self._dir())]
        for c in commands:
            argv += ["-c", c]
        return run(argv).stdout

    def inspect(self, what: str) -> dict:
        if what == "routes":
            rib = parse.frr_routes(json.loads(self.vtysh("show ip route json") or "{}"))
            fib = label_fib(kernel_fib(self._netns()), rib)
            return {"rib": rib, "fib": fib}
        if what == "interfaces":
            return {"interfaces": kernel_interfaces(self._netns())}
        if what == "neighbors":
            neighbors: list[dict] = []
            if "ripd" in self.daemons:
                neighbors += parse.frr_rip_neighbors(self.vtysh("show ip rip status"))
            if "ospfd" in self.daemons:
                neighbors += parse.frr_ospf_neighbors(
                    json.loads(self.vtysh("show ip ospf neighbor json") or "{}")
                )
            for n in neighbors:
                if n["interface"] is None:
                    n["interface"] = self._iface_for(IPv4Address(n["neighbor"]))
            if "bgpd" in self.daemons:
                neighbors += parse.bgp_neighbor_rows(self.inspect("bgp"))
            return {"neighbors": neighbors}
        if what == "bgp":
            if "bgpd" not in self.daemons:
                raise ValueError(f"{self.node.name} does not run BGP")
            return parse.frr_bgp(
                json.loads(self.vtysh("show bgp summary json") or "{}"),
                json.loads(self.vtysh("show bgp neighbors json") or "{}"),
                json.loads(self.vtysh("show bgp ipv4 unicast json") or "{}"),
            )
        if what == "ospf":
            if "ospfd" not in self.daemons:
                raise ValueError(f"{self.node.name} does not run OSPF")
            return {
                "database": parse.frr_ospf_lsadb(
                    json.loads(self.vtysh("show ip ospf database json") or "{}")
                ),
                "neighbors": parse.frr_ospf_neighbors(
                    json.loads(self.vtysh("show ip ospf neighbor json") or "{}")
                ),
            }
        if what == "protocols":
            return {
                "protocols": [
                    {
                        "name": d,
                        "kind": d,
                        "state": "up" if d in self._procs and self._procs[d].alive() else "down",
                        "pid": self._procs[d].pid if d in self._procs else None,
                    }
                    for d in self.daemons
                ]
            }
        if what == "log":
            return {
                "log": [
                    {"source": d, "line": ln}
                    for d in self.daemons
                    for ln in self._read(self.log_path(d)).splitlines()
                ]
            }
        raise ValueError(f"unknown inspection {what!r}")

    def _iface_for(self, address: IPv4Address) -> str | None:
        for i in self.node.interfaces:
            if address in i.network:
                return i.name
        return None

    def _netns(self) -> str:
        if self.netns is None:
            raise ExternalRouterError(f"{self.node.name}: not started")
        return self.netns

    @staticmethod
    def _read(path: Path) -> str:
        with contextlib.suppress(OSError):
            return path.read_text(errors="replace")
        return ""

    def _log_tail(self, daemon: str, n: int = 20) -> str:
        lines = (self._read(self.log_path(daemon)) + self._read(self._dir() / f"{daemon}.out")).splitlines()
        return "\n".join(lines[-n:])

    def _out_text(self) -> str:
        return "\n".join(f"{d}: {self._read(self._dir() / f'{d}.out').strip()}" for d in self.daemons)
