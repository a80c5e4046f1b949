"""The ``gobgp`` node kind: GoBGP 3.10 ``gobgpd`` with a ``gobgpd.toml`` generated from the model.

Files in the node's work directory D: ``gobgpd.toml`` (generated, deterministic), ``gobgpd.log``
(its stdout/stderr, JSON lines).

How it runs (/work/shared/notes/peers.md):

* ``ip netns exec NS gobgpd -t toml -f D/gobgpd.toml --api-hosts 127.0.0.1:PORT --pprof-disable``;
  gobgpd does not daemonize: it is our child, tracked by (pid, start time) and reaped on stop.
  The gRPC API listens on 127.0.0.1 *inside the node's namespace*; PORT is per node
  (:func:`api_port`) so two instances never collide even in one namespace.
* ``gobgpd -d`` (dry run) parses the TOML: :meth:`GobgpRouter.check_config`.
* GoBGP cannot originate prefixes from its config: after start, every ``announce`` prefix is added
  with ``gobgp -p PORT global rib add P origin igp`` inside the namespace. GoBGP has no RIB of
  other protocols to check against, so it announces them unconditionally (``announce_always`` is
  implied).
* Zebra integration is off: a GoBGP node has **no kernel FIB** for BGP (its routes are read with
  ``gobgp global rib -j``; hosts behind it are not reachable through it). The node's ``static``
  routes are installed with ``ip route`` at start (so that iBGP between loopbacks can work); the
  lab's namespace teardown removes them.

Supported per neighbour: ``peer-as``, ``local-address`` (transport), ``auth-password`` (RFC 2385
MD5), ``passive-mode``, ``ebgp-multihop`` (eBGP between loopbacks), ``ttl-security`` (RFC 5082,
``ttl-min 255`` on a shared link), route reflector client and cluster ID (RFC 4456), timers (hold,
keepalive, connect retry, MRAI), ``prefix-limit`` (max_prefix), relationships (LOCAL_PREF,
valley-free export and the large-community markers of bgp.py, as global policies:
:func:`gobgp_relationship_policies`). Refused with :class:`ExternalConfigError`: import/export
policies, ``next_hop_self`` on iBGP, ``redistribute`` (no zebra), ``four_octet_as: false`` (GoBGP
always offers RFC 6793).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import zlib
from ipaddress import IPv4Address
from pathlib import Path

from routesim.topology.model import Node, StaticRoute, Topology

from . import bgp, parse
from .base import (
    ExternalConfigError,
    ExternalRouterError,
    ProcRef,
    config_header,
    kernel_fib,
    kernel_interfaces,
    run,
    stop_processes,
)

API_PORT_BASE = 50051


def api_port(node: Node) -> int:
    """The node's gRPC API port (deterministic, per node)."""
    return API_PORT_BASE + zlib.crc32(node.name.encode()) % 1000


def _q(value: object) -> str:
    """A TOML basic string (JSON's escaping is valid TOML)."""
    return json.dumps(str(value))


def gobgp_config(node: Node, topo: Topology) -> str:
    """The whole ``gobgpd.toml`` for ``node`` (module docstring: what is supported)."""
    s = bgp.bgp_settings(node)
    if s is None:
        raise ExternalConfigError(f"node {node.name}: a gobgp node needs a bgp section")
    if node.router_id is None:
        raise ExternalConfigError(f"node {node.name}: BGP needs a router ID")
    for name, _ in node.protocols:
        if name != "bgp":
            raise ExternalConfigError(f"node {node.name}: a gobgp node runs BGP only, not {name!r}")
    if s.redistribute:
        raise ExternalConfigError(
            f"node {node.name}: redistribute is not supported on gobgp nodes (GoBGP has no zebra here)"
        )
    addresses = sorted(
        {str(i.address.ip) for i in node.interfaces} | ({str(node.loopback.ip)} if node.loopback else set()),
        key=lambda a: tuple(int(x) for x in a.split(".")),
    )
    out = [config_header(node, topo, "GoBGP 3.10 gobgpd").rstrip("\n"), ""]
    out += [
        "[global.config]",
        f"  as = {s.asn}",
        f"  router-id = {_q(node.router_id)}",
        "  port = 179",
        f"  local-address-list = [{', '.join(_q(a) for a in addresses)}]",
    ]
    for sess in bgp.sessions(node, topo):
        n = sess.neighbor
        where = f"node {node.name}: neighbor {n.name}"
        if n.import_policy is not None or n.export_policy is not None:
            raise ExternalConfigError(f"{where}: import/export policies are not supported on gobgp nodes")
        if n.next_hop_self and not sess.ebgp:
            raise ExternalConfigError(f"{where}: next_hop_self is not supported on gobgp nodes")
        if not n.four_octet_as:
            raise ExternalConfigError(
                f"{where}: four_octet_as false is not supported by GoBGP (it always offers RFC 6793)"
            )
        out += ["", "[[neighbors]]", "  [neighbors.config]"]
        out.append(f"    neighbor-address = {_q(sess.address)}")
        out.append(f"    peer-as = {sess.remote_as}")
        out.append(f"    description = {_q(n.name)}")
        if n.md5:
            out.append(f"    auth-password = {_q(n.md5)}")
        out += [
            "  [neighbors.timers.config]",
            f"    connect-retry = {sess.connect_retry}",
            f"    hold-time = {sess.hold}",
            f"    keepalive-interval = {sess.keepalive}",
            f"    minimum-advertisement-interval = {sess.advertisement_interval}",
            "  [neighbors.transport.config]",
            f"    local-address = {_q(sess.local_address)}",
            f"    passive-mode = {'true' if n.passive else 'false'}",
        ]
        if n.ttl_security:
            hops = bgp.MULTIHOP_TTL if sess.multihop else 1
            out += ["  [neighbors.ttl-security.config]", "    enabled = true", f"    ttl-min = {256 - hops}"]
        elif sess.multihop:
            out += ["  [neighbors.ebgp-multihop.config]", "    enabled = true"]
            out.append(f"    multihop-ttl = {bgp.MULTIHOP_TTL}")
        if n.route_reflector_client:
            cluster = s.cluster_id if s.cluster_id is not None else node.router_id
            out += [
                "  [neighbors.route-reflector.config]",
                "    route-reflector-client = true",
                f"    route-reflector-cluster-id = {_q(cluster)}",
            ]
        out += ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]"]
        out.append('      afi-safi-name = "ipv4-unicast"')
        if n.max_prefix is not None:
            out += ["    [neighbors.afi-safis.prefix-limit.config]", f"      max-prefixes = {n.max_prefix}"]
    out += gobgp_relationship_policies(node, topo)
    return "\n".join(out) + "\n"


def _markers(asn: int, classes: range | tuple[int, ...]) -> str:
    return ", ".join(_q(f"{asn}:{bgp.MARKER}:{c}") for c in classes)


def gobgp_relationship_policies(node: Node, topo: Topology) -> list[str]:
    """The relationship model (bgp.py) as GoBGP global policies; [] when this AS does not use it.

    GoBGP applies policies to the global RIB (per-neighbour ``apply-policy`` is for route-server
    clients only), so every statement is scoped with a one-address neighbour set: on import the
    set is the route's source, on export its destination (GoBGP's NeighborCondition). Statements
    without ``route-disposition`` fall through to the next one.

    * import from an eBGP neighbour: remove foreign markers, then set LOCAL_PREF by relationship
      and add our marker (class 0 for a neighbour without relationship);
    * export to a peer or provider: reject routes marked peer/provider (valley-free); to every eBGP
      neighbour: remove our markers;
    * our own ``announce`` prefixes are added with marker class 0 (:meth:`GobgpRouter.wait_ready`).

    Deviation: an unmarked route learned over iBGP (from a routesim router) is not classified by
    its LOCAL_PREF here (GoBGP policies have no LOCAL_PREF condition): it is exported as if ours.
    """
    s = bgp.bgp_settings(node)
    if s is None or not bgp.uses_relationships(node, topo):
        return []
    asn = s.asn
    ebgp = [x for x in bgp.sessions(node, topo) if x.ebgp]
    out: list[str] = []
    for x in ebgp:
        out += ["", "[[defined-sets.neighbor-sets]]", f"  neighbor-set-name = {_q('rs-' + x.ident)}"]
        out.append(f"  neighbor-info-list = [{_q(x.address)}]")
    out += ["", "[[defined-sets.bgp-defined-sets.large-community-sets]]"]
    out += ['  large-community-set-name = "rs-rel-pp"', f"  large-community-list = [{_markers(asn, (2, 3))}]"]

    def statement(name: str, nset: str, extra: list[str]) -> list[str]:
        return [
            "",
            "  [[policy-definitions.statements]]",
            f"    name = {_q(name)}",
            "    [policy-definitions.statements.conditions.match-neighbor-set]",
            f"      neighbor-set = {_q(nset)}",
            *extra,
        ]

    remove = [
        "    [policy-definitions.statements.actions.bgp-actions.set-large-community]",
        '      options = "remove"',
        "      [policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]",
        f"        communities-list = [{_markers(asn, range(4))}]",
    ]
    out += ["", "[[policy-definitions]]", '  name = "rs-import"']
    for x in ebgp:
        rel = x.neighbor.relationship
        out += statement(f"import-{x.ident}-strip", f"rs-{x.ident}", remove)
        mark = []
        if rel is not None:
            mark += [
                "    [policy-definitions.statements.actions.bgp-actions]",
                f"      set-local-pref = {bgp.RELATIONSHIP_LOCAL_PREF[rel]}",
            ]
        mark += [
            "    [policy-definitions.statements.actions.bgp-actions.set-large-community]",
            '      options = "add"',
            "      [policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]",
            f"        communities-list = [{_markers(asn, (bgp.RELATIONSHIP_CLASS[rel],))}]",
        ]
        out += statement(f"import-{x.ident}-mark", f"rs-{x.ident}", mark)
    out += ["", "[[policy-definitions]]", '  name = "rs-export"']
    for x in ebgp:
        if x.neighbor.relationship in ("peer", "provider"):
            out += statement(
                f"export-{x.ident}-valley",
                f"rs-{x.ident}",
                [
                    "    [policy-definitions.statements.conditions.bgp-conditions.match-large-community-set]",
                    '      large-community-set = "rs-rel-pp"',
                    '      match-set-options = "any"',
                    "    [policy-definitions.statements.actions]",
                    '      route-disposition = "reject-route"',
                ],
            )
        out += statement(f"export-{x.ident}-strip", f"rs-{x.ident}", remove)
    out += [
        "",
        "[global.apply-policy.config]",
        '  import-policy-list = ["rs-import"]',
        '  default-import-policy = "accept-route"',
        '  export-policy-list = ["rs-export"]',
        '  default-export-policy = "accept-route"',
    ]
    return out


class GobgpRouter:
    """One gobgpd, our child process inside the node's namespace."""

    binary = "gobgpd"
    client = "gobgp"

    def __init__(self, node: Node) -> None:
        self.node = node
        self.port = api_port(node)
        self.workdir: Path | None = None
        self.netns: str | None = None
        self.topo: Topology | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._procs: list[ProcRef] = []

    def attach(self, netns: str, workdir: Path) -> None:
        """Inspect a gobgpd that another process started (``routesim show`` on a kept lab)."""
        self.workdir, self.netns = Path(workdir).resolve(), netns

    def _dir(self) -> Path:
        if self.workdir is None:
            raise ExternalRouterError(f"{self.node.name}: write_config() was not called")
        return self.workdir

    @property
    def conf_path(self) -> Path:
        return self._dir() / "gobgpd.toml"

    @property
    def log_path(self) -> Path:
        return self._dir() / "gobgpd.log"

    def write_config(self, workdir: Path, topo: Topology) -> list[Path]:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.topo = topo
        self.conf_path.write_text(gobgp_config(self.node, topo))
        return [self.conf_path]

    def check_config(self) -> None:
        proc = run([self.binary, "-d", "-t", "toml", "-f", str(self.conf_path)], check=False)
        if proc.returncode != 0:
            raise ExternalConfigError(
                parse.gobgp_log_error(proc.stdout + proc.stderr) or f"exit {proc.returncode}",
                path=self.conf_path,
            )

    def _static_argv(self, r: StaticRoute) -> list[str]:
        argv = ["ip", "-n", self._netns(), "route", "replace"]
        if r.blackhole or (r.next_hop is None and not r.interface):
            return [*argv, "blackhole", str(r.prefix), "proto", "static"]
        argv.append(str(r.prefix))
        if r.next_hop is not None:
            argv += ["via", str(r.next_hop)]
        if r.interface:
            argv += ["dev", r.interface]
        return [*argv, "proto", "static", "metric", str(r.metric)]

    def start(self, netns: str) -> list[int]:
        """Install the node's static routes (gobgpd has no zebra: ``ip route``), then start gobgpd."""
        self.netns = netns
        for r in self.node.static:
            run(self._static_argv(r))
        argv = [
            "ip", "netns", "exec", netns, self.binary,
            "-t", "toml", "-f", str(self.conf_path),
            "--api-hosts", f"127.0.0.1:{self.port}", "--pprof-disable",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self._popen = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        ref = ProcRef.of(self._popen.pid, "gobgpd")
        if ref is None or self._popen.poll() is not None:
            raise ExternalRouterError(f"{self.node.name}: gobgpd exited at once:\n{self._log_tail()}")
        self._procs = [ref]
        return [self._popen.pid]

    def gobgp(self, *args: str, check: bool = True) -> str:
        argv = ["ip", "netns", "exec", self._netns(), self.client, "-p", str(self.port), *args]
        return run(argv, check=check).stdout

    def wait_ready(self, timeout: float) -> None:
        """The API answers; then the ``announce`` prefixes are added to the global RIB."""
        deadline = time.monotonic() + timeout
        while True:
            if self._popen is None or self._popen.poll() is not None:
                raise ExternalRouterError(f"{self.node.name}: gobgpd died; log:\n{self._log_tail()}")
            proc = run(
                ["ip", "netns", "exec", self._netns(), self.client, "-p", str(self.port), "global", "-j"],
                check=False,
            )
            if proc.returncode == 0 and proc.stdout.strip().startswith("{"):
                break
            if time.monotonic() > deadline:
                raise ExternalRouterError(f"{self.node.name}: gobgpd not ready after {timeout} s")
            time.sleep(0.05)
        s = bgp.bgp_settings(self.node)
        marker = []
        if s is not None and self.topo is not None and bgp.uses_relationships(self.node, self.topo):
            marker = ["large-community", f"{s.asn}:{bgp.MARKER}:0"]
        for p in sorted(s.announce if s else ()):
            self.gobgp("global", "rib", "add", "-a", "ipv4", str(p), "origin", "igp", *marker)

    def stop(self) -> None:
        stop_processes(self._procs)
        self._procs = []
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=2.0)
            self._popen = None

    def inspect(self, what: str) -> dict:
        if what == "routes":
            fib = kernel_fib(self._netns())
            connected = [
                {
                    "prefix": f["prefix"],
                    "protocol": f["protocol"],
                    "distance": 0 if f["protocol"] == "connected" else 1,
                    "metric": f["metric"] if f["protocol"] == "static" else 0,
                    "selected": True,
                    "next_hops": f["next_hops"],
                    "attrs": {"type": f["type"]} if "type" in f else {},
                }
                for f in fib
                if f["protocol"] in ("connected", "static")
            ]
            if self.node.loopback is not None:  # on lo, so in the local table, not the main one
                connected.append(
                    {
                        "prefix": str(self.node.loopback.network),
                        "protocol": "connected",
                        "distance": 0,
                        "metric": 0,
                        "selected": True,
                        "next_hops": [{"gateway": None, "interface": "lo"}],
                        "attrs": {},
                    }
                )
            learned = parse.gobgp_rib(self._rib_json(), self._ibgp_peers())
            for r in learned:
                for hop in r["next_hops"]:
                    hop["interface"] = self._iface_for(hop["gateway"])
            return {"rib": connected + learned, "fib": fib}
        if what == "interfaces":
            return {"interfaces": kernel_interfaces(self._netns())}
        if what == "neighbors":
            return {"neighbors": parse.bgp_neighbor_rows(self.inspect("bgp"))}
        if what == "bgp":
            return parse.gobgp_bgp(
                json.loads(self.gobgp("global", "-j") or "{}"),
                json.loads(self.gobgp("neighbor", "-j") or "[]"),
                self._rib_json(),
            )
        if what == "protocols":
            alive = any(p.alive() for p in self._procs)
            pid = self._procs[0].pid if self._procs else None
            return {
                "protocols": [
                    {"name": "gobgpd", "kind": "bgp", "state": "up" if alive else "down", "pid": pid}
                ]
            }
        if what == "log":
            return {"log": [{"source": "gobgpd", "line": ln} for ln in self._log_lines()]}
        raise ValueError(f"unknown inspection {what!r}")

    def _rib_json(self) -> dict:
        return json.loads(self.gobgp("global", "rib", "-a", "ipv4", "-j") or "{}")

    def _iface_for(self, gateway: str | None) -> str | None:
        if gateway is None:
            return None
        address = IPv4Address(gateway)
        return next((i.name for i in self.node.interfaces if address in i.network), None)

    def _ibgp_peers(self) -> set[str]:
        s = bgp.bgp_settings(self.node)
        return {str(n.address) for n in (s.neighbors if s else ()) if not n.ebgp}

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
