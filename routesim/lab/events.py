"""Scripted events: change a running lab, wait for it to converge again, measure what happened.

For each event of the topology's ``events:`` list the player

1. waits until the event is due (``wait`` after the previous event, or after the previous
   convergence with ``after: converged``);
2. snapshots every router's counters and event-log position and starts the continuous probes
   (a ping every 10 ms from each host of an ``expect: reach`` entry to its target);
3. applies the event (link down/up, impairment, crash/restart/stop/start, static add/remove) and
   updates the *world*: the topology as it now is, with failed links and nodes left out;
4. waits for convergence against the oracle recomputed for that world, until the next event is
   due or the timeout;
5. measures: convergence time = last RIB change anywhere (routers' own timestamps) minus the
   event's time, routers and routes that changed, messages sent per protocol and type (counter
   deltas), probe loss, and the merged timeline of RIB, interface and session changes.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.lab.convergence import ConvergenceResult, wait_converged
from routesim.oracle import ExpectedTables, expected_tables
from routesim.topology.model import EventSpec, Impairment, NodeKind, StaticRoute, Topology


class EventError(RuntimeError):
    pass


@dataclass
class World:
    """The lab as it is now, for the oracle."""

    topo: Topology
    down_links: set[str] = field(default_factory=set)
    down_nodes: set[str] = field(default_factory=set)

    def expected(self) -> ExpectedTables:
        return expected_tables(self.topo, down_links=self.down_links, down_nodes=self.down_nodes)


@dataclass
class ProbeResult:
    source: str
    target: str
    sent: int
    received: int
    interval: float

    @property
    def lost(self) -> int:
        return max(0, self.sent - self.received)

    @property
    def loss_pct(self) -> float:
        return 100.0 * self.lost / self.sent if self.sent else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "loss_pct": round(self.loss_pct, 2),
            "outage_ms_estimate": round(self.lost * self.interval * 1000, 1),
        }


@dataclass
class EventResult:
    index: int
    spec: EventSpec
    description: str
    applied_at: float
    convergence: ConvergenceResult | None = None
    convergence_seconds: float | None = None
    changed_routers: list[str] = field(default_factory=list)
    routes_changed: int = 0
    messages: dict[str, dict[str, int]] = field(default_factory=dict)  # node -> counter -> delta
    probes: list[ProbeResult] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    #: reachability checks run in the state this event led to (paths not judged, RTTs shown)
    reach: list[dict[str, Any]] = field(default_factory=list)
    #: the next event was due (``wait`` without ``after: converged``) before this one converged:
    #: shown, but not a failure, since the script itself cut the wait short
    superseded: bool = False

    @property
    def ok(self) -> bool:
        if self.error or self.convergence is None:
            return False
        return self.convergence.converged or self.superseded

    def to_json(self) -> dict[str, Any]:
        conv = self.convergence
        return {
            "index": self.index,
            "action": self.spec.action,
            "args": self.spec.args,
            "description": self.description,
            "applied_at": self.applied_at,
            "converged": bool(conv and conv.converged),
            "convergence_seconds": self.convergence_seconds,
            "failures": conv.failures if conv else [],
            "reason": conv.reason if conv else self.error,
            "changed_routers": self.changed_routers,
            "routes_changed": self.routes_changed,
            "messages": self.messages,
            "probes": [p.to_json() for p in self.probes],
            "timeline": self.timeline,
            "error": self.error,
            "superseded": self.superseded,
            "reach": self.reach,
        }


class Probes:
    """Continuous pings (every ``interval`` s) from hosts to their expected targets."""

    _STATS = re.compile(r"(\d+) packets transmitted, (\d+) received")

    def __init__(self, lab, pairs: list[tuple[str, str]], interval: float = 0.01) -> None:
        self.lab = lab
        self.pairs = pairs
        self.interval = interval
        self.procs: list[tuple[str, str, subprocess.Popen]] = []

    def start(self) -> None:
        from routesim.lab import netns as nsx

        for src, dst in self.pairs:
            argv = nsx.netns_argv(
                self.lab.names.netns(src), ["ping", "-n", "-q", "-i", str(self.interval), "-W", "1", dst]
            )
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.procs.append((src, dst, p))

    def stop(self) -> list[ProbeResult]:
        out = []
        for src, dst, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            try:
                text, _ = p.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                text, _ = p.communicate()
            m = self._STATS.search(text or "")
            sent, recv = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
            out.append(ProbeResult(src, dst, sent, recv, self.interval))
        self.procs = []
        return out


def _numeric_leaves(d: Any, prefix: str = "") -> dict[str, int]:
    out: dict[str, int] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_numeric_leaves(v, f"{prefix}{k}." if prefix or k else ""))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[prefix.rstrip(".")] = int(d)
    return out


class EventPlayer:
    def __init__(
        self, lab, *, timeout: float = 60.0, progress: Callable[[str], None] = lambda m: None
    ) -> None:
        self.lab = lab
        self.world = World(lab.topo)
        self.timeout = timeout
        self.progress = progress
        self.results: list[EventResult] = []
        self._seq: dict[str, int] = {}

    # --- helpers ---------------------------------------------------------------------------

    def _live_routesim(self) -> list[str]:
        return [
            n.name
            for n in self.world.topo.routers
            if n.kind is NodeKind.ROUTESIM and n.name not in self.world.down_nodes
        ]

    def _mark_logs(self) -> None:
        for name in self._live_routesim():
            try:
                evs = self.lab.inspect(name, "events", since=self._seq.get(name, 0))
            except (OSError, RuntimeError, ValueError):
                continue
            if evs:
                self._seq[name] = evs[-1]["seq"]

    def _collect_timeline(self, since_wall: float) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for name in self._live_routesim():
            try:
                evs = self.lab.inspect(name, "events", since=self._seq.get(name, 0))
            except (OSError, RuntimeError, ValueError):
                continue
            for e in evs:
                if e["t"] >= since_wall and e["kind"] in (
                    "rib",
                    "iface",
                    "session",
                    "log",
                    "status",
                    "config",
                ):
                    entries.append(e)
            if evs:
                self._seq[name] = evs[-1]["seq"]
        entries.sort(key=lambda e: (e["t"], e["node"], e["seq"]))
        return entries

    def _counters(self) -> dict[str, dict[str, int]]:
        out = {}
        for name in self._live_routesim():
            try:
                out[name] = _numeric_leaves(self.lab.inspect(name, "counters"))
            except (OSError, RuntimeError, ValueError):
                pass
        return out

    def _link_id(self, ref: Any) -> tuple[str, bool]:
        """(link id or LAN name, is_lan)."""
        topo = self.world.topo
        if isinstance(ref, str):
            return ref, any(lan.name == ref for lan in topo.lans)
        a, b = ref
        for link in topo.links:
            if set(link.nodes) == {a, b}:
                return link.id, False
        raise EventError(f"no link joins {a} and {b}")

    def _probe_pairs(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if getattr(self.lab, "mode", "netns") == "loopback":
            return pairs  # no hosts' data plane in loopback mode
        for e in self.lab.topo.expect:
            if e.kind == "reach" and e.source not in self.world.down_nodes:
                src = self.lab.topo.node(e.source)
                if not src.is_router:
                    pairs.append((e.source, str(e.target)))
        return pairs

    # --- actions ---------------------------------------------------------------------------

    def apply(self, spec: EventSpec, *, world_only: bool = False) -> str:
        """Carry out ``spec`` on the lab and update the world; ``world_only`` replays only the world
        edit (re-attaching to a kept lab whose earlier events are in its state directory)."""
        lab = _NoLab() if world_only else self.lab
        world, a, args = self.world, spec.action, spec.args
        if a in ("link_down", "link_up"):
            lid, is_lan = self._link_id(args)
            up = a == "link_up"
            if is_lan:
                lan = next(x for x in world.topo.lans if x.name == lid)
                for m in lan.members:
                    lab.set_lan_member_state(lid, m.node, up)
            else:
                lab.set_link_state(lid, up)
            (world.down_links.discard if up else world.down_links.add)(lid)
            return f"{'restore' if up else 'fail'} {'LAN' if is_lan else 'link'} {lid} ({_ref(args)})"
        if a == "link_cost":
            lid, is_lan = self._link_id(args["link"])
            if is_lan:
                raise EventError("link_cost on a LAN is not supported; change a member's cost instead")
            link = next(x for x in world.topo.links if x.id == lid)
            c = args["cost"]
            costs = {
                ep.node: int(c[ep.node]) if isinstance(c, dict) else int(c)
                for ep in (link.a, link.b)
                if not isinstance(c, dict) or ep.node in c
            }
            for ep in (link.a, link.b):
                if ep.node in costs:
                    lab.set_cost(ep.node, ep.iface, costs[ep.node])
            world.topo = _replace_cost(world.topo, link, costs)
            return f"cost of link {lid} ({_ref(args['link'])}): " + ", ".join(
                f"{n} {v}" for n, v in costs.items()
            )
        if a == "link_impair":
            lid, _ = self._link_id(args["link"])
            link = next(x for x in world.topo.links if x.id == lid)
            imp = _impairment(args, link.impairment)
            who = args.get("from")
            lab.set_impairment(lid, imp, from_node=who)
            if who is None:
                world.topo = _replace_link(world.topo, lid, impairment=imp)
                return f"impair link {lid} ({_ref(args['link'])}): {_fmt_imp(imp)}"
            return f"impair link {lid}, frames sent by {who} only: {_fmt_imp(imp)}"
        if a in ("crash", "stop", "restart", "start"):
            names = args if isinstance(args, list) else [args]
            for n in names:
                if a == "crash":
                    lab.crash(n)
                    world.down_nodes.add(n)
                elif a == "stop":
                    lab.stop_node(n)
                    world.down_nodes.add(n)
                else:
                    lab.start_node(n)
                    world.down_nodes.discard(n)
                    self._seq.pop(n, None)  # a new process: its event log starts again at 1
            verb = {
                "crash": "crash (SIGKILL)",
                "stop": "stop gracefully",
                "restart": "restart",
                "start": "start",
            }[a]
            return f"{verb} {', '.join(names)}"
        if a in ("static_add", "static_remove"):
            node = args["node"]
            prefix = IPv4Network(args["prefix"])
            st = _static_from_args(world.topo, node, args) if a == "static_add" else None
            lab.static_change(node, a, prefix, st)
            world.topo = _replace_statics(world.topo, node, prefix, st)
            return f"{'add' if st else 'remove'} static {prefix} on {node}" + (
                f" via {st.next_hop}" if st and st.next_hop else ""
            )
        if a == "bgp_reset":
            node, peer = (args[0], args[1]) if isinstance(args, list) else (args, None)
            address = None
            if peer is not None:
                bgp = world.topo.node(node).protocol("bgp")
                match = [n for n in bgp.neighbors if n.node == peer or n.name == str(peer)] if bgp else []
                if not match:
                    raise EventError(f"{node} has no BGP neighbor {peer}")
                address = str(match[0].address)
            lab.bgp_command(node, "bgp_reset", peer=address)
            return f"reset BGP session{'s' if peer is None else ''} of {node}" + (
                f" with {peer}" if peer else ""
            )
        if a in ("announce", "withdraw"):
            node, prefix = args["node"], IPv4Network(args["prefix"])
            lab.bgp_command(node, "bgp_announce" if a == "announce" else "bgp_withdraw", prefix=str(prefix))
            world.topo = _replace_announce(world.topo, node, prefix, add=a == "announce")
            return f"{a} {prefix} from {node}"
        raise EventError(f"event {a!r} is not supported by this version of routesim yet")

    # --- playing ---------------------------------------------------------------------------

    def play_all(
        self,
        events: tuple[EventSpec, ...],
        converged_at: float,
        on_result: Callable[[EventResult], None] | None = None,
    ) -> list[EventResult]:
        """Play the script. Events with neither ``wait`` nor ``after`` join the previous one: they are
        applied together and measured as one step (a simultaneous failure of two links, say)."""
        groups: list[list[EventSpec]] = []
        for spec in events:
            if groups and spec.wait == 0 and spec.after is None:
                groups[-1].append(spec)
            else:
                groups.append([spec])
        prev_applied = prev_converged = converged_at
        for i, group in enumerate(groups):
            first = group[0]
            base = prev_converged if first.after == "converged" else prev_applied
            self._sleep_until(base + first.wait)
            nxt = groups[i + 1][0] if i + 1 < len(groups) else None
            res = self.play(i, group, next_spec=nxt)
            self.results.append(res)
            if on_result is not None and (nxt is None or nxt.after == "converged"):
                on_result(res)  # e.g. ping/traceroute in the new state, before the next event
            prev_applied = res.applied_at
            conv = res.convergence
            if conv and conv.converged:
                prev_converged = max(conv.last_change or res.applied_at, res.applied_at)
            else:
                prev_converged = time.time()
        return self.results

    def _sleep_until(self, due: float) -> None:
        while True:
            left = due - time.time()
            if left <= 0:
                return
            self.lab.check_alive()
            time.sleep(min(left, 0.2))

    def play(
        self, index: int, specs: EventSpec | list[EventSpec], next_spec: EventSpec | None = None
    ) -> EventResult:
        group = specs if isinstance(specs, list) else [specs]
        spec = group[0]
        self._mark_logs()
        before = self._counters()
        probes = Probes(self.lab, self._probe_pairs())
        probes.start()
        applied = time.time()
        descs = []
        try:
            for sp in group:
                descs.append(self.apply(sp))
        except (EventError, KeyError, OSError, RuntimeError) as e:
            probes.stop()
            return EventResult(index, spec, f"{sp.action} {_ref(sp.args)}", applied, error=str(e))
        desc = "; ".join(descs)
        self.progress(f"event {index + 1}: {desc}")
        budget = self.timeout
        if next_spec is not None and next_spec.after != "converged":
            budget = max(0.5, next_spec.wait)
        res = EventResult(index, spec, desc, applied)
        timed_next = next_spec is not None and next_spec.after != "converged"
        res.convergence = wait_converged(
            self.lab, self.world.expected(), since=applied, timeout=budget, skip=self.world.down_nodes
        )
        res.superseded = timed_next and not res.convergence.converged
        res.probes = probes.stop()
        res.timeline = self._collect_timeline(applied)
        ribs = [e for e in res.timeline if e["kind"] == "rib"]
        res.routes_changed = len(ribs)
        res.changed_routers = sorted({e["node"] for e in ribs})
        res.convergence_seconds = round(max(e["t"] for e in ribs) - applied, 4) if ribs else 0.0
        after = self._counters()
        for node, cs in after.items():
            delta = {k: v - before.get(node, {}).get(k, 0) for k, v in cs.items()}
            delta = {k: v for k, v in delta.items() if v}
            if delta:
                res.messages[node] = delta
        return res


# --- world edits -------------------------------------------------------------------------------


def _ref(args: Any) -> str:
    if isinstance(args, list):
        return "-".join(str(x) for x in args)
    if isinstance(args, dict):
        return ", ".join(f"{k}={v}" for k, v in args.items())
    return str(args)


def _impairment(args: dict[str, Any], old: Impairment) -> Impairment:
    from routesim.topology.values import parse_duration, parse_loss, parse_rate

    kw = {}
    if "delay" in args:
        kw["delay"] = parse_duration(args["delay"])
    if "jitter" in args:
        kw["jitter"] = parse_duration(args["jitter"])
    if "loss" in args:
        kw["loss"] = parse_loss(args["loss"])
    if "rate" in args:
        kw["rate"] = parse_rate(args["rate"]) if args["rate"] not in (None, 0) else None
    return dataclasses.replace(old, **kw)


def _fmt_imp(imp: Impairment) -> str:
    parts = []
    if imp.delay:
        parts.append(f"delay {imp.delay * 1000:g} ms")
    if imp.jitter:
        parts.append(f"jitter {imp.jitter * 1000:g} ms")
    if imp.loss:
        parts.append(f"loss {imp.loss * 100:g}%")
    if imp.rate:
        parts.append(f"rate {imp.rate / 1e6:g} Mbit/s")
    return ", ".join(parts) or "none"


def _replace_link(topo: Topology, lid: str, **kw: Any) -> Topology:
    links = tuple(dataclasses.replace(lk, **kw) if lk.id == lid else lk for lk in topo.links)
    return dataclasses.replace(topo, links=links, _index={})


def _static_from_args(topo: Topology, node: str, args: dict[str, Any]) -> StaticRoute:
    via = args.get("via")
    nh = None
    if via is not None:
        try:
            nh = IPv4Address(via)
        except ValueError:
            me = topo.node(node)
            peer = topo.node(via)
            for i in me.interfaces:
                for j in peer.interfaces:
                    if j.address.ip in i.network:
                        nh = j.address.ip
                        break
                if nh:
                    break
            if nh is None:
                raise EventError(f"{node} shares no subnet with {via}") from None
    return StaticRoute(
        IPv4Network(args["prefix"]),
        nh,
        args.get("dev"),
        int(args.get("distance", 1)),
        int(args.get("metric", 0)),
        blackhole=bool(args.get("blackhole", False)),
    )


def _replace_statics(topo: Topology, node: str, prefix: IPv4Network, st: StaticRoute | None) -> Topology:
    nodes = []
    for n in topo.nodes:
        if n.name == node:
            statics = tuple(s for s in n.static if s.prefix != prefix) + ((st,) if st else ())
            n = dataclasses.replace(n, static=statics)
        nodes.append(n)
    return dataclasses.replace(topo, nodes=tuple(nodes), _index={})


def _replace_cost(topo: Topology, link, costs: dict[str, int]) -> Topology:
    """The topology with new per-direction costs on ``link``: the link's endpoints, the interfaces,
    and the RIP metric / OSPF cost each protocol derives from them."""
    eps = {}
    for ep in (link.a, link.b):
        eps[ep.node] = dataclasses.replace(ep, cost=costs[ep.node]) if ep.node in costs else ep
    links = tuple(
        dataclasses.replace(lk, a=eps[lk.a.node], b=eps[lk.b.node]) if lk.id == link.id else lk
        for lk in topo.links
    )
    nodes = []
    for n in topo.nodes:
        if n.name in costs:
            ep = eps[n.name]
            cost = costs[n.name]
            ifaces = tuple(
                dataclasses.replace(i, cost=cost) if i.name == ep.iface else i for i in n.interfaces
            )
            protos = []
            for k, v in n.protocols:
                if k == "rip" and v is not None and ep.iface in v.interfaces:
                    v = dataclasses.replace(
                        v, metrics=tuple((i, cost if i == ep.iface else m) for i, m in v.metrics)
                    )
                elif k == "ospf" and v is not None:
                    v = dataclasses.replace(
                        v,
                        interfaces=tuple(
                            dataclasses.replace(i, cost=cost) if i.name == ep.iface else i
                            for i in v.interfaces
                        ),
                    )
                protos.append((k, v))
            n = dataclasses.replace(n, interfaces=ifaces, protocols=tuple(protos))
        nodes.append(n)
    return dataclasses.replace(topo, nodes=tuple(nodes), links=links, _index={})


def _replace_announce(topo: Topology, node: str, prefix: IPv4Network, *, add: bool) -> Topology:
    nodes = []
    for n in topo.nodes:
        if n.name == node:
            bgp = n.protocol("bgp")
            if bgp is None:
                raise EventError(f"{node} does not run BGP")
            announce = tuple(p for p in bgp.announce if p != prefix) + ((prefix,) if add else ())
            bgp = dataclasses.replace(bgp, announce=announce)
            n = dataclasses.replace(n, protocols=tuple((k, bgp if k == "bgp" else v) for k, v in n.protocols))
        nodes.append(n)
    return dataclasses.replace(topo, nodes=tuple(nodes), _index={})


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class _NoLab:
    """Swallows the lab side of an event (see ``EventPlayer.apply(world_only=True)``)."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


WORLD_FILE = "events.json"


def load_history(player: EventPlayer) -> list[dict[str, Any]]:
    """Replay, on the world only, the events already applied to a kept lab (``routesim event``)."""
    import json

    path = player.lab.state_dir / WORLD_FILE
    history = json.loads(path.read_text()) if path.exists() else []
    for h in history:
        player.apply(EventSpec(h["action"], h["args"]), world_only=True)
    return history


def save_history(player: EventPlayer, history: list[dict[str, Any]]) -> None:
    import json

    (player.lab.state_dir / WORLD_FILE).write_text(json.dumps(history, indent=1, default=str))
