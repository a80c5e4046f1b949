"""YAML -> a validated, fully resolved :class:`~routesim.topology.model.Topology`.

The load runs in phases, collecting every problem it can before giving up (a phase skips items an
earlier phase rejected, so one mistake rarely reports twice):

1. compose the YAML with positions (:mod:`.yamlpos`); check the top-level keys;
2. ``name``, ``timers``, ``addressing``;
3. ``nodes`` (kinds, ASNs, loopbacks, stub networks), then ``links`` and ``lans``;
4. hosts' gateways: a host that shares no link or LAN with its gateway router gets an implicit
   link ``[gateway, host]`` appended after the written links;
5. addressing: explicit subnets and loopbacks are reserved first (and must not overlap), then
   loopbacks (routers in file order), p2p subnets (links in order) and LAN subnets (LANs in
   order) take the next free block of their pool that overlaps nothing already taken;
6. interface names, interfaces, links, LANs;
7. static routes, protocol sections (RIP typed in :mod:`.rip`, OSPF in :mod:`.ospf`, then the
   OSPF checks across both ends of each segment; BGP typed in :mod:`.bgp` with the sessions
   checked from both ends),
   gateway addresses, ``expect`` and ``events``.

``docs/topology.md`` is the user's reference for every rule here.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path as FsPath
from typing import Any

from routesim.topology import timers as timers_mod
from routesim.topology.bgp import parse_bgp
from routesim.topology.errors import Path, Problem, ProblemSink, TopologyError, format_path, unknown
from routesim.topology.model import (
    Addressing,
    Endpoint,
    EventSpec,
    Expect,
    IfaceKind,
    Impairment,
    Interface,
    Lan,
    Link,
    Node,
    NodeKind,
    SourcePos,
    StaticRoute,
    Timers,
    Topology,
)
from routesim.topology.ospf import check_ospf_adjacencies, parse_ospf
from routesim.topology.rip import parse_rip
from routesim.topology.values import (
    check_ifname,
    parse_address,
    parse_duration,
    parse_iface_address,
    parse_int,
    parse_loss,
    parse_network,
    parse_rate,
)
from routesim.topology.yamlpos import Document, compose_document

TOP_KEYS = ("name", "description", "timers", "addressing", "nodes", "links", "lans", "events", "expect")
ADDRESSING_KEYS = ("loopback", "p2p", "p2p_prefixlen", "lan", "lan_prefixlen")
ROUTER_KEYS = ("kind", "asn", "router_id", "loopback", "networks", "static", "rip", "ospf", "bgp")
HOST_KEYS = ("kind", "gateway")
NODE_KEYS = (*ROUTER_KEYS, "gateway")
PROTOCOLS = ("rip", "ospf", "bgp")
IMPAIR_KEYS = ("delay", "jitter", "loss", "rate")
LINK_KEYS = ("endpoints", "subnet", "addresses", "cost", "ifnames", "mtu", *IMPAIR_KEYS)
LAN_KEYS = ("name", "members", "subnet", "addresses", "cost", "mtu", *IMPAIR_KEYS)
STATIC_KEYS = ("prefix", "via", "dev", "blackhole", "distance", "metric")
EVENT_KEYS = ("after", "wait")
ACTIONS = (
    "link_down",
    "link_up",
    "link_cost",
    "link_impair",
    "crash",
    "restart",
    "stop",
    "start",
    "bgp_reset",
    "announce",
    "withdraw",
    "static_add",
    "static_remove",
)
LAB_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LAB_NAME_MAX = 16
NODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
NODE_NAME_MAX = 63
MAX_COST = 65535  # OSPF interface output cost is 16 bits (RFC 2328 App. C.3)
_STATIC_SHORT = re.compile(
    r"^\s*(?P<prefix>\S+)\s+(?:via\s+(?P<via>\S+)(?:\s+dev\s+(?P<dev2>\S+))?|dev\s+(?P<dev>\S+)|(?P<bh>blackhole))"
    r"(?:\s+distance\s+(?P<distance>\d+))?\s*$"
)


def load_topology(path: str | FsPath) -> Topology:
    """Load and resolve the topology file at ``path``; raise :class:`TopologyError` if invalid."""
    p = FsPath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise TopologyError([_problem_at(str(path), f"cannot read the file: {e.strerror or e}")]) from e
    except UnicodeDecodeError as e:
        raise TopologyError([_problem_at(str(path), f"the file is not UTF-8: {e}")]) from e
    return load_topology_text(text, filename=str(path))


def load_topology_text(text: str, filename: str = "<string>") -> Topology:
    """Load and resolve a topology given as text; ``filename`` is used in messages and the default name."""
    return _Loader(text, filename).run()


def _problem_at(filename: str, message: str) -> Problem:
    return Problem(SourcePos(filename, 1, 1), "(top)", message)


def _type_name(v: Any) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"a boolean ({v})"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, int | float):
        return f"a number ({v})"
    return f"a string ({v!r})"


def default_lab_name(filename: str) -> str:
    """The file stem, lower-cased, other characters -> '-', at most 16 characters; else ``lab``."""
    stem = FsPath(filename).stem.lower()
    name = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:LAB_NAME_MAX].strip("-")
    return name or "lab"


# ---------------------------------------------------------------------------------------------
# Intermediate, mutable state of the load


@dataclass
class _NodeSpec:
    name: str
    path: Path
    kind: NodeKind = NodeKind.ROUTESIM
    asn: int | None = None
    router_id: IPv4Address | None = None
    loopback: IPv4Address | None = None
    networks: list[tuple[IPv4Network, Path]] = field(default_factory=list)
    gateway_node: str | None = None
    gateway_addr: IPv4Address | None = None
    protocols: list[str] = field(default_factory=list)
    ports: list[_Seg] = field(default_factory=list)

    @property
    def is_router(self) -> bool:
        return self.kind.is_router


@dataclass
class _Seg:
    """A link, LAN or stub network while it is being resolved."""

    kind: IfaceKind
    id: str  # "l3", LAN name, "" for stubs
    path: Path
    members: list[str]
    subnet: IPv4Network | None = None
    explicit_subnet: bool = False
    explicit_addr: dict[str, tuple[IPv4Address, int | None, Path]] = field(default_factory=dict)
    addr: dict[str, IPv4Address] = field(default_factory=dict)
    cost: dict[str, int] = field(default_factory=dict)
    fixed_names: dict[str, tuple[str, Path]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    mtu: int = 1500
    impairment: Impairment = field(default_factory=Impairment)
    implicit: bool = False
    ok: bool = True


@dataclass
class _Block:
    start: int
    end: int
    net: IPv4Network
    label: str
    pos: SourcePos
    loopback_of: str | None = None


class _Space:
    """Disjoint, sorted address blocks already taken (explicit first, then automatic)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.blocks: list[_Block] = []

    def overlapping(self, start: int, end: int) -> _Block | None:
        i = bisect.bisect_right(self.starts, end) - 1
        if i >= 0 and self.blocks[i].end >= start:
            return self.blocks[i]
        return None

    def add(self, block: _Block) -> None:
        i = bisect.bisect_left(self.starts, block.start)
        self.starts.insert(i, block.start)
        self.blocks.insert(i, block)

    def first_within(self, net: IPv4Network) -> _Block | None:
        start, end = int(net.network_address), int(net.broadcast_address)
        i = bisect.bisect_left(self.starts, start)
        for b in self.blocks[max(i - 1, 0) : i + 1]:
            if b.end >= start and b.start <= end:
                return b
        return None


def _block(net: IPv4Network, label: str, pos: SourcePos, loopback_of: str | None = None) -> _Block:
    return _Block(int(net.network_address), int(net.broadcast_address), net, label, pos, loopback_of)


# ---------------------------------------------------------------------------------------------


class _Loader:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.sink = ProblemSink()
        self.doc: Document
        self.nodes: dict[str, _NodeSpec] = {}
        self.links: list[_Seg] = []
        self.lans: list[_Seg] = []
        self.stubs: list[_Seg] = []
        self.space = _Space()
        self.addressing = Addressing()
        self.built: dict[str, tuple[Interface, ...]] = {}
        self.bad_loopback: set[str] = set()
        self.timer_values: Timers = Timers()
        self.ospf_sections: dict[str, Any] = {}
        self.bgp_sections: dict[str, Any] = {}

    # -- reporting helpers ----------------------------------------------------------------------
    def err(self, path: Path, message: str) -> None:
        self.sink.add(self.doc.pos(path), path, message)

    def err_key(self, path: Path, message: str) -> None:
        self.sink.add(self.doc.key_pos(path), path, message)

    def check_keys(self, path: Path, mapping: dict, allowed: tuple[str, ...], what: str) -> None:
        for k in mapping:
            if k not in allowed:
                self.err_key((*path, k), unknown(f"{what} key", k, allowed))

    def as_map(self, path: Path, v: Any, what: str) -> dict | None:
        if isinstance(v, dict):
            return v
        self.err(path, f"{what} must be a mapping, got {_type_name(v)}")
        return None

    def as_list(self, path: Path, v: Any, what: str) -> list | None:
        if isinstance(v, list):
            return v
        self.err(path, f"{what} must be a list, got {_type_name(v)}")
        return None

    def parse(self, path: Path, fn, v: Any, *args):
        """``fn(v, *args)``, turning its ValueError into a problem at ``path`` (None then)."""
        try:
            return fn(v, *args)
        except ValueError as e:
            self.err(path, str(e))
            return None

    def node_ref(self, path: Path, v: Any, *, routers_only: bool = False) -> str | None:
        names = lambda: [n for n, s in self.nodes.items() if s.is_router or not routers_only]  # noqa: E731
        if isinstance(v, str) and v in self.nodes:
            if routers_only and not self.nodes[v].is_router:
                self.err(path, f"'{v}' is a host, not a router; expected one of {', '.join(names())}")
                return None
            return v
        self.err(path, unknown("router" if routers_only else "node", v, names()))
        return None

    # -- the phases -----------------------------------------------------------------------------
    def run(self) -> Topology:
        doc = compose_document(self.text, self.filename, self.sink)
        if doc is None:
            self.sink.raise_if_any()
            raise AssertionError("unreachable")
        self.doc = doc
        top = doc.value
        if not isinstance(top, dict):
            what = "empty" if top is None else _type_name(top)
            self.err((), f"the topology must be a mapping with at least 'nodes:', got {what}")
            self.sink.raise_if_any()
        self.check_keys((), top, TOP_KEYS, "top-level")
        name = self.lab_name(top)
        description = top.get("description", "")
        if not isinstance(description, str):
            self.err(("description",), "description must be a string")
            description = ""
        timers = self.timers(top.get("timers", "rfc"))
        self.timer_values = timers
        if "addressing" in top:
            self.addressing = self.parse_addressing(top["addressing"])
        self.parse_nodes(top.get("nodes"))
        self.parse_links(top.get("links", []))
        self.parse_lans(top.get("lans", []))
        self.resolve_gateways()
        self.allocate()
        self.name_interfaces()
        self.build_interfaces()
        nodes = self.build_nodes()
        for p in check_ospf_adjacencies(nodes, self.ospf_sections):
            self.sink.add(p.pos, p.path, p.message)
        nodes, bgp_problems = parse_bgp(nodes, self.bgp_sections, self.timer_values)
        for p in bgp_problems:
            self.sink.add(p.pos, p.path, p.message)
        links, lans = self.build_segments()
        expect = self.parse_expect(top.get("expect", []), links)
        events = self.parse_events(top.get("events", []), links, lans)
        self.sink.raise_if_any()
        return Topology(
            name=name,
            source=self.filename,
            timers=timers,
            addressing=self.addressing,
            nodes=tuple(nodes),
            links=tuple(links),
            lans=tuple(lans),
            events=tuple(events),
            expect=tuple(expect),
            description=description,
        )

    def lab_name(self, top: dict) -> str:
        if "name" not in top:
            return default_lab_name(self.filename)
        v = top["name"]
        if not isinstance(v, str) or not LAB_NAME.match(v) or len(v) > LAB_NAME_MAX:
            self.err(
                ("name",),
                f"bad lab name {v!r}: use lower-case letters, digits and '-', starting with a letter or "
                f"digit, at most {LAB_NAME_MAX} characters",
            )
            return default_lab_name(self.filename)
        return v

    def timers(self, v: Any) -> Timers:
        path: Path = ("timers",)
        profiles = tuple(timers_mod.PROFILES)
        if isinstance(v, str):
            if v not in timers_mod.PROFILES:
                self.err(path, unknown("timers profile", v, profiles))
                return timers_mod.RFC
            return timers_mod.PROFILES[v]
        if not isinstance(v, dict):
            self.err(path, f"timers must be a profile name ({', '.join(profiles)}) or a mapping")
            return timers_mod.RFC
        self.check_keys(path, v, ("profile", *timers_mod.FIELDS), "timers")
        base_name = v.get("profile", "rfc")
        if not isinstance(base_name, str) or base_name not in timers_mod.PROFILES:
            self.err((*path, "profile"), unknown("timers profile", base_name, profiles))
            base_name = "rfc"
        overrides = {}
        for k, raw in v.items():
            if k in timers_mod.FIELDS:
                d = self.parse((*path, k), parse_duration, raw)
                if d is not None:
                    overrides[k] = d
        t = timers_mod.with_overrides(timers_mod.PROFILES[base_name], overrides)
        for fname, message in timers_mod.check(t):
            self.err((*path, fname) if fname in v else path, message)
        return t

    def parse_addressing(self, v: Any) -> Addressing:
        path: Path = ("addressing",)
        m = self.as_map(path, v, "addressing")
        if m is None:
            return Addressing()
        self.check_keys(path, m, ADDRESSING_KEYS, "addressing")
        d = Addressing()
        values: dict[str, Any] = {}
        for k in ("loopback", "p2p", "lan"):
            if k in m:
                net = self.parse((*path, k), parse_network, m[k])
                if net is not None:
                    values[k] = net
        if "p2p_prefixlen" in m:
            if m["p2p_prefixlen"] in (30, 31) and not isinstance(m["p2p_prefixlen"], bool):
                values["p2p_prefixlen"] = m["p2p_prefixlen"]
            else:
                self.err(
                    (*path, "p2p_prefixlen"), f"p2p_prefixlen must be 30 or 31, got {m['p2p_prefixlen']!r}"
                )
        if "lan_prefixlen" in m:
            plen = self.parse((*path, "lan_prefixlen"), parse_int, m["lan_prefixlen"], 8, 30, "lan_prefixlen")
            if plen is not None:
                values["lan_prefixlen"] = plen
        d = Addressing(**{**d.__dict__, **values})
        for k, plen in (("p2p", d.p2p_prefixlen), ("lan", d.lan_prefixlen)):
            pool = getattr(d, k)
            if pool.prefixlen > plen:
                self.err((*path, k), f"the {k} pool {pool} is smaller than one /{plen}")
        return d

    # -- nodes ----------------------------------------------------------------------------------
    def parse_nodes(self, v: Any) -> None:
        path: Path = ("nodes",)
        if v is None:
            self.err(path, "the topology needs 'nodes:' with at least one node")
            return
        m = self.as_map(path, v, "nodes")
        if m is None:
            return
        for name in m:
            if not NODE_NAME.match(name) or len(name) > NODE_NAME_MAX:
                self.err_key(
                    (*path, name),
                    f"bad node name '{name}': start with a letter, then letters, digits, '-' or '_' "
                    f"(at most {NODE_NAME_MAX} characters)",
                )
                continue
            self.nodes[name] = _NodeSpec(name, (*path, name))
        for name, spec in self.nodes.items():
            self.parse_node(spec, m[name])

    def parse_node(self, spec: _NodeSpec, v: Any) -> None:
        path = spec.path
        if v is None:
            v = {}
        m = self.as_map(path, v, f"node '{spec.name}'")
        if m is None:
            return
        if "kind" in m:
            try:
                spec.kind = NodeKind(m["kind"])
            except ValueError:
                self.err((*path, "kind"), unknown("kind", m["kind"], [k.value for k in NodeKind]))
        if not spec.is_router:
            for k in m:
                if k in PROTOCOLS:
                    self.err_key(
                        (*path, k),
                        f"a host runs no routing protocol; remove '{k}' (or make '{spec.name}' a router "
                        "with kind: routesim, bird or frr)",
                    )
                elif k in ROUTER_KEYS and k not in HOST_KEYS:
                    self.err_key(
                        (*path, k), f"'{k}' is for routers; a host takes only {', '.join(HOST_KEYS)}"
                    )
                elif k not in HOST_KEYS:
                    self.err_key((*path, k), unknown("host key", k, HOST_KEYS))
            if "gateway" not in m:
                self.err_key(path, f"host '{spec.name}' needs a gateway: a router name or an address")
            else:
                self.parse_gateway(spec, m["gateway"])
            return
        if spec.kind is NodeKind.GOBGP:
            for k in m:
                if k in PROTOCOLS and k != "bgp":
                    self.err_key(
                        (*path, k), f"a gobgp node runs BGP only; remove '{k}' (or use kind: bird or frr)"
                    )
            if "bgp" not in m:
                self.err_key(path, f"gobgp node '{spec.name}' needs a bgp section")
        for k in m:
            if k == "gateway":
                self.err_key((*path, k), "'gateway' applies to hosts (kind: host) only")
            elif k not in ROUTER_KEYS:
                self.err_key((*path, k), unknown("node key", k, NODE_KEYS))
        if "asn" in m:
            spec.asn = self.parse((*path, "asn"), parse_int, m["asn"], 1, 2**32 - 1, "asn")
        if "loopback" in m:
            lp = (*path, "loopback")
            got = self.parse(lp, parse_iface_address, m["loopback"])
            if got is not None:
                if got[1] not in (None, 32):
                    self.err(lp, f"a loopback is a single address: write {got[0]} or {got[0]}/32")
                else:
                    spec.loopback = got[0]
        if "router_id" in m:
            spec.router_id = self.parse((*path, "router_id"), parse_address, m["router_id"])
        if "networks" in m:
            lst = self.as_list((*path, "networks"), m["networks"], "networks")
            for i, raw in enumerate(lst or []):
                net = self.parse((*path, "networks", i), parse_network, raw)
                if net is not None:
                    spec.networks.append((net, (*path, "networks", i)))
        for proto in PROTOCOLS:
            if proto not in m:
                continue
            val = m[proto]
            if proto in ("rip", "ospf") and val is False:
                continue
            if proto not in ("rip", "ospf") and not isinstance(val, dict) and val is not None:
                self.err((*path, proto), f"the {proto} section must be a mapping, got {_type_name(val)}")
                continue
            spec.protocols.append(proto)
        if "static" in m:
            self.as_list((*path, "static"), m["static"], "static")

    def parse_gateway(self, spec: _NodeSpec, v: Any) -> None:
        gp = (*spec.path, "gateway")
        if isinstance(v, str) and re.fullmatch(r"[0-9./]+", v):
            spec.gateway_addr = self.parse(gp, parse_address, v)
        elif isinstance(v, str) and v in self.nodes and not self.nodes[v].is_router:
            self.err(gp, f"gateway '{v}' is a host, not a router")
        elif isinstance(v, str) and v in self.nodes:
            spec.gateway_node = v
        else:
            routers = [n for n, s in self.nodes.items() if s.is_router]
            self.err(gp, unknown("gateway router", v, routers))

    # -- links and LANs -------------------------------------------------------------------------
    def parse_impairment(self, path: Path, m: dict) -> Impairment:
        kw: dict[str, Any] = {}
        for k, fn in (
            ("delay", parse_duration),
            ("jitter", parse_duration),
            ("loss", parse_loss),
            ("rate", parse_rate),
        ):
            if k in m:
                val = self.parse((*path, k), fn, m[k])
                if val is not None:
                    kw[k] = val
        return Impairment(**kw)

    def parse_members(self, path: Path, v: Any, seg: _Seg) -> None:
        seen: set[str] = set()
        for j, who in enumerate(v):
            name = self.node_ref((*path, j), who)
            if name is None:
                seg.ok = False
            elif name in seen:
                self.err((*path, j), f"'{name}' is listed twice")
                seg.ok = False
            else:
                seen.add(name)
                seg.members.append(name)

    def parse_seg_common(self, path: Path, m: dict, seg: _Seg) -> None:
        """subnet, addresses, cost, mtu and impairment, shared by links and LANs."""
        if "subnet" in m:
            net = self.parse((*path, "subnet"), parse_network, m["subnet"])
            if net is None:
                seg.ok = False
            elif net.prefixlen > 31 or (seg.kind is IfaceKind.LAN and net.prefixlen > 30):
                self.err(
                    (*path, "subnet"), f"subnet {net} is too small for {len(seg.members) or 2} addresses"
                )
                seg.ok = False
            else:
                seg.subnet, seg.explicit_subnet = net, True
        if "addresses" in m:
            ap = (*path, "addresses")
            am = self.as_map(ap, m["addresses"], "addresses")
            for who, raw in (am or {}).items():
                if who not in seg.members:
                    self.err_key((*ap, who), unknown("member", who, seg.members))
                    continue
                got = self.parse((*ap, who), parse_iface_address, raw)
                if got is None:
                    seg.ok = False
                else:
                    seg.explicit_addr[who] = (got[0], got[1], (*ap, who))
        cost = m.get("cost", 1)
        if isinstance(cost, dict):
            for who in cost:
                if who not in seg.members:
                    self.err_key((*path, "cost", who), unknown("member", who, seg.members))
            for who in seg.members:
                c = self.parse((*path, "cost", who), parse_int, cost.get(who, 1), 1, MAX_COST, "cost")
                seg.cost[who] = c or 1
        else:
            c = self.parse((*path, "cost"), parse_int, cost, 1, MAX_COST, "cost")
            seg.cost = dict.fromkeys(seg.members, c or 1)
        if "mtu" in m:
            seg.mtu = self.parse((*path, "mtu"), parse_int, m["mtu"], 68, 65535, "mtu") or 1500
        seg.impairment = self.parse_impairment(path, m)

    def parse_links(self, v: Any) -> None:
        lst = self.as_list(("links",), v, "links") if v is not None else []
        for i, raw in enumerate(lst or []):
            path: Path = ("links", i)
            seg = _Seg(IfaceKind.P2P, f"l{i + 1}", path, [])
            if isinstance(raw, list):
                m: dict = {"endpoints": raw}
                ep_path: Path = path
            elif isinstance(raw, dict):
                m = raw
                self.check_keys(path, m, LINK_KEYS, "link")
                if "endpoints" not in m:
                    self.err(path, "a link needs endpoints: [node, node]")
                    continue
                ep_path = (*path, "endpoints")
            else:
                self.err(path, f"a link is [node, node] or a mapping with endpoints, got {_type_name(raw)}")
                continue
            eps = m["endpoints"]
            if not isinstance(eps, list):
                self.err(ep_path, f"endpoints must be a list of two nodes, got {_type_name(eps)}")
                continue
            if len(eps) != 2:
                self.err(ep_path, f"a link joins exactly two nodes, got {len(eps)}; use lans: for more")
                continue
            for j, who in enumerate(eps):
                name = self.node_ref((*ep_path, j), who)
                if name is None:
                    seg.ok = False
                seg.members.append(name or "")
            if seg.ok and seg.members[0] == seg.members[1]:
                self.err(ep_path, f"link from '{seg.members[0]}' to itself")
                seg.ok = False
            if not seg.ok:
                continue
            self.parse_seg_common(path, m, seg)
            if "ifnames" in m:
                ip = (*path, "ifnames")
                im = self.as_map(ip, m["ifnames"], "ifnames")
                for who, nm in (im or {}).items():
                    if who not in seg.members:
                        self.err_key((*ip, who), unknown("endpoint", who, seg.members))
                    elif not isinstance(nm, str):
                        self.err((*ip, who), f"an interface name must be a string, got {_type_name(nm)}")
                    else:
                        seg.fixed_names[who] = (nm, (*ip, who))
            self.links.append(seg)

    def parse_lans(self, v: Any) -> None:
        lst = self.as_list(("lans",), v, "lans") if v is not None else []
        names: dict[str, Path] = {}
        for i, raw in enumerate(lst or []):
            path: Path = ("lans", i)
            m = self.as_map(path, raw, "a LAN")
            if m is None:
                continue
            self.check_keys(path, m, LAN_KEYS, "LAN")
            name = m.get("name", f"lan{i + 1}")
            if not isinstance(name, str) or (why := check_ifname(name)) is not None:
                self.err(
                    (*path, "name"),
                    f"bad LAN name {name!r}: {why if isinstance(name, str) else 'not a string'}",
                )
                continue
            if name in names:
                self.err(
                    (*path, "name"), f"duplicate LAN name '{name}' (first at {self.doc.pos(names[name])})"
                )
                continue
            names[name] = (*path, "name")
            seg = _Seg(IfaceKind.LAN, name, path, [])
            members = m.get("members")
            mp = (*path, "members")
            if not isinstance(members, list):
                self.err(mp if "members" in m else path, "a LAN needs members: [node, node, ...]")
                continue
            self.parse_members(mp, members, seg)
            if len(members) < 2:
                self.err(mp, f"a LAN needs at least 2 members, got {len(members)}")
                continue
            if not seg.ok:
                continue
            self.parse_seg_common(path, m, seg)
            self.lans.append(seg)

    def resolve_gateways(self) -> None:
        """Hosts' gateway routers; an implicit link where host and router share no segment."""
        for spec in self.nodes.values():
            gw = spec.gateway_node
            if spec.is_router or gw is None:
                continue
            if any(spec.name in s.members and gw in s.members for s in (*self.links, *self.lans)):
                continue
            path = (*spec.path, "gateway")
            seg = _Seg(IfaceKind.P2P, f"l{self._next_link_number()}", path, [gw, spec.name])
            seg.cost = {gw: 1, spec.name: 1}
            seg.implicit = True
            self.links.append(seg)

    def _next_link_number(self) -> int:
        written = self.doc.value.get("links") or []
        n = len(written) if isinstance(written, list) else 0
        return n + 1 + sum(1 for s in self.links if s.implicit)

    # -- addresses ------------------------------------------------------------------------------
    def allocate(self) -> None:
        routers = [s for s in self.nodes.values() if s.is_router]
        # 1. explicit reservations, in file order, must not overlap one another
        explicit: list[tuple[IPv4Network, Path, str | None, _Seg | None]] = []
        for spec in routers:
            if spec.loopback is not None:
                explicit.append((IPv4Network(spec.loopback), (*spec.path, "loopback"), spec.name, None))
            for i, (net, npath) in enumerate(spec.networks):
                stub = _Seg(IfaceKind.STUB, "", npath, [spec.name], net, True)
                stub.fixed_names[spec.name] = (f"stub{i}", npath)
                stub.cost = {spec.name: 1}
                self.stubs.append(stub)
                explicit.append((net, npath, None, stub))
        for seg in (*self.links, *self.lans):
            self.derive_subnet(seg)
            if seg.ok and seg.subnet is not None:
                where = (*seg.path, "subnet") if "subnet" in self._raw(seg) else seg.path
                explicit.append((seg.subnet, where, None, seg))
        explicit.sort(key=lambda e: (self.doc.pos(e[1]).line, self.doc.pos(e[1]).column))
        for net, path, lo_of, owner in explicit:
            if not self.reserve(net, path, lo_of) and owner is not None:
                owner.ok = False
        # 2. loopbacks, routers in file order
        lo_pool = self.addressing.loopback
        cursor = int(lo_pool.network_address) + (1 if lo_pool.prefixlen < 31 else 0)
        last = int(lo_pool.broadcast_address) - (1 if lo_pool.prefixlen < 31 else 0)
        for spec in routers:
            if spec.loopback is not None:
                continue
            got = self.next_free(cursor, last, 32)
            if got is None:
                self.pool_exhausted(spec.path, "loopback", lo_pool, 32, "give it a loopback:")
                cursor = last + 1
                continue
            spec.loopback = IPv4Address(got)
            cursor = got + 1
            self.space.add(
                _block(IPv4Network(spec.loopback), format_path(spec.path), self.doc.pos(spec.path), spec.name)
            )
        # 3. p2p subnets (links in order), then LAN subnets (LANs in order)
        for pool_name, segs, plen in (
            ("p2p", self.links, self.addressing.p2p_prefixlen),
            ("lan", self.lans, self.addressing.lan_prefixlen),
        ):
            pool: IPv4Network = getattr(self.addressing, pool_name)
            cursor, last = int(pool.network_address), int(pool.broadcast_address)
            for seg in segs:
                if not seg.ok or seg.subnet is not None:
                    continue
                got = self.next_free(cursor, last, plen)
                if got is None:
                    self.pool_exhausted(seg.path, pool_name, pool, plen, "give it a subnet:")
                    seg.ok = False
                    cursor = last + 1
                    continue
                seg.subnet = IPv4Network((got, plen))
                cursor = got + (1 << (32 - plen))
                self.space.add(_block(seg.subnet, format_path(seg.path), self.doc.pos(seg.path)))
        # 4. addresses inside each subnet
        taken: dict[IPv4Address, Path] = {}
        for spec in routers:
            if spec.loopback is not None:
                taken.setdefault(spec.loopback, (*spec.path, "loopback"))
        for seg in (*self.links, *self.lans, *self.stubs):
            if seg.ok and seg.subnet is not None:
                self.assign_addresses(seg, taken)

    def _raw(self, seg: _Seg) -> dict:
        if seg.implicit:
            return {}
        raw = self.doc.value[seg.path[0]][seg.path[1]]
        return raw if isinstance(raw, dict) else {}

    def derive_subnet(self, seg: _Seg) -> None:
        """A subnet from addresses written with a prefix length when ``subnet:`` is absent."""
        if seg.subnet is not None or not seg.explicit_addr or not seg.ok:
            return
        derived: IPv4Network | None = None
        for who, (addr, plen, apath) in seg.explicit_addr.items():
            if plen is None:
                self.err(apath, f"give the link a subnet: or write the address with its length ({addr}/30)")
                seg.ok = False
                return
            net = IPv4Interface(f"{addr}/{plen}").network
            if derived is not None and net != derived:
                self.err(apath, f"{addr}/{plen} is not in {derived}, the subnet of the other addresses")
                seg.ok = False
                return
            derived = net
            del who
        if derived is not None and derived.prefixlen > 31:
            self.err(seg.path, f"subnet {derived} is too small for a link")
            seg.ok = False
            return
        seg.subnet, seg.explicit_subnet = derived, True

    def reserve(self, net: IPv4Network, path: Path, loopback_of: str | None) -> bool:
        start, end = int(net.network_address), int(net.broadcast_address)
        other = self.space.overlapping(start, end)
        if other is not None:
            if loopback_of is not None:
                self.bad_loopback.add(loopback_of)
            if loopback_of is not None and other.loopback_of is not None:
                self.err(
                    path,
                    f"duplicate loopback {net.network_address} (already {other.loopback_of}'s loopback, at {other.pos})",
                )
            else:
                what = f"loopback {net.network_address}" if loopback_of else f"{net}"
                self.err(path, f"{what} overlaps {other.net} ({other.label}, at {other.pos})")
            return False
        self.space.add(_block(net, format_path(path), self.doc.pos(path), loopback_of))
        return True

    def next_free(self, cursor: int, last: int, plen: int) -> int | None:
        size = 1 << (32 - plen)
        c = (cursor + size - 1) // size * size
        while c + size - 1 <= last:
            b = self.space.overlapping(c, c + size - 1)
            if b is None:
                return c
            c = (b.end + 1 + size - 1) // size * size
        return None

    def pool_exhausted(self, path: Path, name: str, pool: IPv4Network, plen: int, hint: str) -> None:
        msg = (
            f"no free /{plen} left in the {name} pool {pool} (addressing.{name}); enlarge the pool or {hint}"
        )
        blocker = self.space.first_within(pool)
        if blocker is not None and blocker.net.supernet_of(pool):
            msg += f"; {blocker.net} ({blocker.label}, at {blocker.pos}) covers the whole pool"
        self.err(path, msg)

    def assign_addresses(self, seg: _Seg, taken: dict[IPv4Address, Path]) -> None:
        net = seg.subnet
        assert net is not None
        small = net.prefixlen >= 31
        first = int(net.network_address) + (0 if small else 1)
        last = int(net.broadcast_address) - (0 if small else 1)
        if seg.kind is IfaceKind.STUB:
            seg.addr[seg.members[0]] = IPv4Address(first)
            return
        if last - first + 1 < len(seg.members):
            self.err(
                seg.path, f"subnet {net} has {last - first + 1} addresses for {len(seg.members)} members"
            )
            seg.ok = False
            return
        for who, (addr, plen, apath) in seg.explicit_addr.items():
            if plen is not None and plen != net.prefixlen:
                self.err(
                    apath,
                    f"{addr}/{plen} does not match the subnet {net}; write {addr} or {addr}/{net.prefixlen}",
                )
                seg.ok = False
            elif addr not in net:
                self.err(apath, f"address {addr} is outside the subnet {net}")
                seg.ok = False
            elif not small and addr == net.network_address:
                self.err(
                    apath,
                    f"{addr} is the network address of {net}; use {net.network_address + 1} to {net.broadcast_address - 1}",
                )
                seg.ok = False
            elif not small and addr == net.broadcast_address:
                self.err(
                    apath,
                    f"{addr} is the broadcast address of {net}; use {net.network_address + 1} to {net.broadcast_address - 1}",
                )
                seg.ok = False
            elif addr in taken:
                self.err(
                    apath,
                    f"duplicate address {addr} (already used by {format_path(taken[addr])}, at {self.doc.pos(taken[addr])})",
                )
                seg.ok = False
            else:
                taken[addr] = apath
                seg.addr[who] = addr
        if not seg.ok:
            return
        used = {int(a) for a in seg.addr.values()}
        nxt = first
        for who in seg.members:
            if who in seg.addr:
                continue
            while nxt in used:
                nxt += 1
            seg.addr[who] = IPv4Address(nxt)
            used.add(nxt)
            taken.setdefault(seg.addr[who], seg.path)

    # -- interfaces -----------------------------------------------------------------------------
    def name_interfaces(self) -> None:
        """Fixed names (ifnames, LAN names, stubN) first, then p2p names after the peer."""
        for seg in (*self.links, *self.lans, *self.stubs):
            if not seg.ok:
                continue
            for who in seg.members:
                self.nodes[who].ports.append(seg)
        for spec in self.nodes.values():
            used: dict[str, Path] = {"lo": ()}
            for seg in spec.ports:
                if seg.kind is IfaceKind.LAN:
                    fixed: tuple[str, Path] | None = (seg.id, (*seg.path, "name"))
                else:
                    fixed = seg.fixed_names.get(spec.name)
                if fixed is None:
                    continue
                nm, npath = fixed
                if (why := check_ifname(nm)) is not None:
                    self.err(npath, f"{why} (on node '{spec.name}')")
                elif nm in used:
                    where = (
                        f" (also {format_path(used[nm])}, at {self.doc.pos(used[nm])})" if used[nm] else ""
                    )
                    self.err(npath, f"duplicate interface name '{nm}' on node '{spec.name}'{where}")
                else:
                    used[nm] = npath
                    seg.names[spec.name] = nm
            for seg in spec.ports:
                if spec.name in seg.names or seg.kind is not IfaceKind.P2P or spec.name in seg.fixed_names:
                    continue
                peer = seg.members[1] if seg.members[0] == spec.name else seg.members[0]
                nm, k = peer, 0
                while nm in used:
                    k += 1
                    nm = f"{peer}-{k}"
                if (why := check_ifname(nm)) is not None:
                    self.err(
                        seg.path,
                        f"{why}: automatic name on '{spec.name}' for its link to '{peer}'; set ifnames",
                    )
                    continue
                used[nm] = seg.path
                seg.names[spec.name] = nm

    def build_interfaces(self) -> None:
        for spec in self.nodes.values():
            out = []
            for seg in spec.ports:
                if spec.name not in seg.names or spec.name not in seg.addr or seg.subnet is None:
                    continue
                peer = peer_addr = None
                if seg.kind is IfaceKind.P2P:
                    peer = seg.members[1] if seg.members[0] == spec.name else seg.members[0]
                    peer_addr = seg.addr.get(peer)
                out.append(
                    Interface(
                        node=spec.name,
                        name=seg.names[spec.name],
                        kind=seg.kind,
                        address=IPv4Interface((seg.addr[spec.name], seg.subnet.prefixlen)),
                        link=seg.id,
                        peer=peer,
                        peer_address=peer_addr,
                        cost=seg.cost.get(spec.name, 1),
                        mtu=seg.mtu,
                    )
                )
            self.built[spec.name] = tuple(out)

    def build_segments(self) -> tuple[list[Link], list[Lan]]:
        def ep(seg: _Seg, who: str) -> Endpoint:
            assert seg.subnet is not None
            return Endpoint(
                who, seg.names[who], IPv4Interface((seg.addr[who], seg.subnet.prefixlen)), seg.cost[who]
            )

        def complete(seg: _Seg) -> bool:
            return (
                seg.ok
                and seg.subnet is not None
                and all(w in seg.names and w in seg.addr for w in seg.members)
            )

        links = [
            Link(
                seg.id,
                ep(seg, seg.members[0]),
                ep(seg, seg.members[1]),
                seg.subnet,
                seg.impairment,
                self.doc.pos(seg.path),
                seg.implicit,
            )
            for seg in self.links
            if complete(seg)
        ]
        lans = [
            Lan(
                seg.id,
                seg.subnet,
                tuple(ep(seg, w) for w in seg.members),
                seg.impairment,
                self.doc.pos(seg.path),
            )
            for seg in self.lans
            if complete(seg)
        ]
        return links, lans  # type: ignore[arg-type]

    # -- nodes, statics, protocols --------------------------------------------------------------
    def shared(self, a: str, b: str) -> list[tuple[Interface, Interface]]:
        """(a's interface, b's interface) pairs on segments both are on, in a's interface order."""
        out = []
        for ia in self.built.get(a, ()):
            if ia.kind is IfaceKind.STUB:
                continue
            for ib in self.built.get(b, ()):
                if ib.link == ia.link and ib.kind is ia.kind:
                    out.append((ia, ib))
        return out

    def build_nodes(self) -> list[Node]:
        seen_rid: dict[IPv4Address, str] = {}
        nodes = []
        for spec in self.nodes.values():
            ifaces = self.built.get(spec.name, ())
            static = ()
            protocols: list[tuple[str, Any]] = []
            gateway = None
            rid = None
            if spec.is_router:
                rid = spec.router_id or spec.loopback
                if rid is not None and not (spec.router_id is None and spec.name in self.bad_loopback):
                    if rid in seen_rid:
                        where = (*spec.path, "router_id") if spec.router_id else (*spec.path, "loopback")
                        self.err(
                            where, f"duplicate router ID {rid} (also the router ID of '{seen_rid[rid]}')"
                        )
                    seen_rid[rid] = spec.name
                static = self.parse_static(spec, ifaces)
                for proto in spec.protocols:
                    sec = self.doc.section((*spec.path, proto))
                    if proto == "rip":
                        settings, problems = parse_rip(sec, ifaces)
                        for p in problems:
                            self.sink.add(p.pos, p.path, p.message)
                        protocols.append(("rip", settings))
                    elif proto == "ospf":
                        ospf, problems = parse_ospf(sec, ifaces, self.timer_values, router=spec.name)
                        for p in problems:
                            self.sink.add(p.pos, p.path, p.message)
                        if ospf is not None:
                            self.ospf_sections[spec.name] = sec
                            protocols.append(("ospf", ospf))
                    else:  # bgp: typed by parse_bgp once every router's section is known
                        if sec.value is None:
                            sec = type(sec)({}, sec.path, sec.filename, sec.pos_of, sec.key_pos_of)
                        self.bgp_sections[spec.name] = sec
                        protocols.append((proto, sec))
            else:
                gateway = self.host_gateway(spec, ifaces)
            nodes.append(
                Node(
                    name=spec.name,
                    kind=spec.kind,
                    interfaces=ifaces,
                    router_id=rid,
                    loopback=IPv4Interface(spec.loopback) if spec.loopback and spec.is_router else None,
                    asn=spec.asn,
                    networks=tuple(n for n, _ in spec.networks),
                    static=static,
                    gateway=gateway,
                    gateway_node=spec.gateway_node if gateway is not None else None,
                    protocols=tuple(protocols),
                    pos=self.doc.key_pos(spec.path),
                )
            )
        return nodes

    def host_gateway(self, spec: _NodeSpec, ifaces: tuple[Interface, ...]) -> IPv4Address | None:
        gp = (*spec.path, "gateway")
        if spec.gateway_node is not None:
            pairs = self.shared(spec.name, spec.gateway_node)
            return pairs[0][1].address.ip if pairs else None
        if spec.gateway_addr is None:
            return None
        addr = spec.gateway_addr
        for other in self.nodes.values():
            for i in self.built.get(other.name, ()):
                if i.address.ip != addr:
                    continue
                if not other.is_router:
                    self.err(gp, f"gateway {addr} belongs to host '{other.name}', not a router")
                    return None
                if not any(h.network == i.network for h in ifaces):
                    self.err(gp, f"gateway {addr} ({other.name}) is not on a subnet of '{spec.name}'")
                    return None
                spec.gateway_node = other.name
                return addr
        nets = ", ".join(str(i.network) for i in ifaces) or "none"
        self.err(
            gp, f"gateway {addr} is no router's address on a subnet of '{spec.name}' (its subnets: {nets})"
        )
        return None

    def parse_static(self, spec: _NodeSpec, ifaces: tuple[Interface, ...]) -> tuple[StaticRoute, ...]:
        raw = self.doc.value["nodes"][spec.name]
        lst = raw.get("static") if isinstance(raw, dict) else None
        if not isinstance(lst, list):
            return ()
        out = []
        for i, item in enumerate(lst):
            path: Path = (*spec.path, "static", i)
            if isinstance(item, str):
                m = _STATIC_SHORT.match(item)
                if m is None:
                    self.err(path, f"bad static route {item!r}; expected 'PREFIX via ADDR|NODE', 'PREFIX dev IFACE' "
                             "or 'PREFIX blackhole', optionally followed by 'distance N'")  # fmt: skip
                    continue
                d = {"prefix": m["prefix"]}
                if m["via"]:
                    d["via"] = m["via"]
                if m["dev"] or m["dev2"]:
                    d["dev"] = m["dev"] or m["dev2"]
                if m["bh"]:
                    d["blackhole"] = True
                if m["distance"]:
                    d["distance"] = int(m["distance"])
                sub = dict.fromkeys(d, path)
            elif isinstance(item, dict):
                self.check_keys(path, item, STATIC_KEYS, "static route")
                d = item
                sub = {k: (*path, k) for k in d}
            else:
                self.err(path, f"a static route is a mapping or a string, got {_type_name(item)}")
                continue
            route = self.static_route(spec, ifaces, path, d, sub)
            if route is not None:
                out.append(route)
        return tuple(out)

    def static_route(self, spec, ifaces, path, d, sub) -> StaticRoute | None:
        if "prefix" not in d:
            self.err(path, "a static route needs a prefix")
            return None
        prefix = self.parse(sub["prefix"], parse_network, d["prefix"])
        blackhole = d.get("blackhole", False)
        if not isinstance(blackhole, bool):
            self.err(sub["blackhole"], "blackhole must be true or false")
            return None
        has_via, has_dev = "via" in d, "dev" in d
        if blackhole and (has_via or has_dev):
            self.err(path, "a blackhole route has no via or dev")
            return None
        if not (blackhole or has_via or has_dev):
            self.err(
                path, "a static route needs via (an address or a node), dev (an interface) or blackhole: true"
            )
            return None
        distance = (
            self.parse(sub["distance"], parse_int, d["distance"], 1, 255, "distance")
            if "distance" in d
            else 1
        )
        metric = (
            self.parse(sub["metric"], parse_int, d["metric"], 0, 2**32 - 1, "metric") if "metric" in d else 0
        )
        names = [i.name for i in ifaces]
        dev = None
        if has_dev:
            dev = d["dev"]
            if dev not in names:
                self.err(sub["dev"], unknown("interface", dev, names) + f" (interfaces of '{spec.name}')")
                return None
        next_hop = None
        if has_via:
            next_hop, dev2 = self.static_via(spec, ifaces, sub["via"], d["via"], dev)
            if next_hop is None:
                return None
            dev = dev or dev2
        if prefix is None or distance is None or metric is None:
            return None
        return StaticRoute(prefix, next_hop, dev, distance, metric, self.doc.pos(path), blackhole)

    def static_via(self, spec, ifaces, vpath, via, dev):
        if isinstance(via, str) and re.fullmatch(r"[0-9.]+", via):
            addr = self.parse(vpath, parse_address, via)
            if addr is None:
                return None, None
            for i in ifaces:
                if addr in i.network and (dev is None or i.name == dev):
                    if addr == i.address.ip:
                        self.err(vpath, f"next hop {addr} is '{spec.name}''s own address")
                        return None, None
                    return addr, i.name
            nets = ", ".join(str(i.network) for i in ifaces) or "none"
            self.err(
                vpath, f"next hop {addr} is not on a connected subnet of '{spec.name}' (connected: {nets})"
            )
            return None, None
        if not isinstance(via, str) or via not in self.nodes:
            self.err(vpath, unknown("node", via, list(self.nodes)))
            return None, None
        if via == spec.name:
            self.err(vpath, f"'{spec.name}' cannot be its own next hop")
            return None, None
        pairs = [p for p in self.shared(spec.name, via) if dev is None or p[0].name == dev]
        if not pairs:
            self.err(
                vpath,
                f"'{spec.name}' and '{via}' share no link or LAN; a static next hop must be directly connected",
            )
            return None, None
        return pairs[0][1].address.ip, pairs[0][0].name

    # -- expect and events ----------------------------------------------------------------------
    def target(self, path: Path, v: Any) -> tuple[IPv4Address | None, str | None]:
        if isinstance(v, str) and re.fullmatch(r"[0-9./]+", v):
            return self.parse(path, parse_address, v), None
        name = self.node_ref(path, v)
        if name is None:
            return None, None
        spec = self.nodes[name]
        if spec.is_router:
            return spec.loopback, name
        ifaces = self.built.get(name, ())
        if not ifaces:
            self.err(path, f"host '{name}' has no address")
            return None, None
        return ifaces[0].address.ip, name

    def parse_expect(self, v: Any, links: list[Link]) -> list[Expect]:
        lst = self.as_list(("expect",), v, "expect") if v is not None else []
        out = []
        for i, item in enumerate(lst or []):
            path: Path = ("expect", i)
            m = self.as_map(path, item, "an expect entry")
            if m is None:
                continue
            kinds = [k for k in m if k in ("reach", "unreachable")]
            self.check_keys(path, m, ("reach", "unreachable"), "expect")
            if len(kinds) != 1:
                self.err(path, "an expect entry has exactly one of reach: or unreachable:")
                continue
            kind = kinds[0]
            kp = (*path, kind)
            body = self.as_map(kp, m[kind], kind)
            if body is None:
                continue
            allowed = ("from", "to", "via") if kind == "reach" else ("from", "to")
            self.check_keys(kp, body, allowed, kind)
            if "from" not in body or "to" not in body:
                self.err(kp, f"{kind} needs from: (a node) and to: (an address or a node)")
                continue
            src = self.node_ref((*kp, "from"), body["from"])
            target, target_node = self.target((*kp, "to"), body["to"])
            via = None
            if "via" in body:
                vl = self.as_list((*kp, "via"), body["via"], "via")
                refs = [self.node_ref((*kp, "via", j), w) for j, w in enumerate(vl or [])]
                via = tuple(r for r in refs if r is not None) if vl is not None and None not in refs else None
            if src is None or target is None:
                continue
            out.append(Expect(kind, src, target, target_node, via, kind == "reach", self.doc.pos(path)))
        return out

    def link_ref(self, path: Path, v: Any, links: list[Link], lans: list[Lan]) -> None:
        ids = [lk.id for lk in links] + [la.name for la in lans]
        if isinstance(v, str):
            if v not in ids:
                self.err(path, unknown("link", v, ids))
            return
        if isinstance(v, list) and len(v) == 2:
            a = self.node_ref((*path, 0), v[0])
            b = self.node_ref((*path, 1), v[1])
            if a and b:
                found = [lk.id for lk in links if set(lk.nodes) == {a, b}]
                if not found:
                    self.err(path, f"no link joins '{a}' and '{b}'")
                elif len(found) > 1:
                    self.err(
                        path, f"'{a}' and '{b}' share {len(found)} links ({', '.join(found)}); name one by id"
                    )
            return
        self.err(path, f"a link is [node, node] or a link id (l1, l2, ...) or LAN name, got {_type_name(v)}")

    def parse_events(self, v: Any, links: list[Link], lans: list[Lan]) -> list[EventSpec]:
        lst = self.as_list(("events",), v, "events") if v is not None else []
        out = []
        for i, item in enumerate(lst or []):
            path: Path = ("events", i)
            m = self.as_map(path, item, "an event")
            if m is None:
                continue
            actions = [k for k in m if k in ACTIONS]
            for k in m:
                if k not in ACTIONS and k not in EVENT_KEYS:
                    self.err_key((*path, k), unknown("event key or action", k, (*EVENT_KEYS, *ACTIONS)))
            if len(actions) > 1:
                self.err(path, f"an event has exactly one action, got {len(actions)} ({', '.join(actions)})")
                continue
            if not actions:
                if all(k in EVENT_KEYS for k in m):
                    self.err(path, f"an event needs an action: one of {', '.join(ACTIONS)}")
                continue
            action = actions[0]
            after = m.get("after")
            if after is not None and after != "converged":
                self.err((*path, "after"), f"after must be 'converged' (or absent), got {after!r}")
            wait = self.parse((*path, "wait"), parse_duration, m["wait"]) if "wait" in m else 0.0
            self.check_event_args((*path, action), action, m[action], links, lans)
            out.append(EventSpec(action, m[action], after, wait or 0.0, self.doc.pos(path)))
        return out

    def check_event_args(
        self, path: Path, action: str, args: Any, links: list[Link], lans: list[Lan]
    ) -> None:
        if action in ("link_down", "link_up"):
            self.link_ref(path, args, links, lans)
        elif action in ("link_cost", "link_impair"):
            m = self.as_map(path, args, action)
            if m is None:
                return
            if "link" not in m:
                self.err(path, f"{action} needs link: [node, node] or a link id")
            else:
                self.link_ref((*path, "link"), m["link"], links, lans)
            if action == "link_cost":
                self.check_keys(path, m, ("link", "cost"), action)
                c = m.get("cost")
                if isinstance(c, dict):
                    for who, cv in c.items():
                        self.parse((*path, "cost", who), parse_int, cv, 1, MAX_COST, "cost")
                else:
                    self.parse((*path, "cost"), parse_int, c, 1, MAX_COST, "cost")
            else:
                self.check_keys(path, m, ("link", "from", *IMPAIR_KEYS), action)
                self.parse_impairment(path, m)
                if "from" in m:
                    # one direction only: the frames that node sends on the link
                    who = self.node_ref((*path, "from"), m["from"])
                    ref = m.get("link")
                    if who and isinstance(ref, list) and who not in ref:
                        self.err((*path, "from"), f"'{who}' is not an end of link {ref}")
        elif action in ("crash", "restart", "stop", "start"):
            names = args if isinstance(args, list) else [args]
            for j, n in enumerate(names):
                self.node_ref((*path, j) if isinstance(args, list) else path, n)
        elif action == "bgp_reset":
            if isinstance(args, list):
                if len(args) != 2:
                    self.err(path, "bgp_reset takes a node or a pair [node, peer]")
                for j, n in enumerate(args[:2]):
                    self.node_ref((*path, j), n, routers_only=True)
            else:
                self.node_ref(path, args, routers_only=True)
        else:  # announce, withdraw, static_add, static_remove
            m = self.as_map(path, args, action)
            if m is None:
                return
            if "node" not in m or "prefix" not in m:
                self.err(path, f"{action} needs node: and prefix:")
                return
            self.node_ref((*path, "node"), m["node"], routers_only=True)
            self.parse((*path, "prefix"), parse_network, m["prefix"])
