"""The RIPv2 engine (RFC 2453): sans-IO, fed events with ``now``, returning actions.

Every public entry point (``start``, ``handle``, ``stop``) collects its output in a per-call
:class:`_Out` and ends in :meth:`RipEngine._finish`, which turns the route changes into one
``RoutesChanged``, sends a due triggered update, and re-arms the three timers:

* ``("rip", "update")`` — the periodic full update, every ``update`` seconds +/- jitter (§3.8);
* ``("rip", "triggered")`` — the end of a triggered-update damping interval (§3.10.1);
* ``("rip", "sweep")`` — the earliest route timeout or garbage deadline (routes keep theirs as data).

All route changes go through :meth:`RipEngine._set_route`, the one place that logs "old -> new",
sets the route change flag, starts the deletion process and tells the RIB.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    Event,
    InterfaceDown,
    InterfaceUp,
    Log,
    NextHop,
    PacketIn,
    RibChanged,
    Route,
    RouteProtocol,
    RoutesChanged,
    Send,
    TimerFired,
)
from routesim.proto.rip import auth as rip_auth
from routesim.proto.rip.config import RipConfig, RipInterface, SplitHorizon
from routesim.proto.rip.table import RipRoute, RipTable, RouteOrigin
from routesim.wire.rip import (
    INFINITY,
    RIP_MULTICAST,
    Command,
    Md5Auth,
    RipDecodeError,
    RipEntry,
    RipPacket,
)

TIMER_UPDATE = ("rip", "update")
TIMER_TRIGGERED = ("rip", "triggered")
TIMER_SWEEP = ("rip", "sweep")

#: Metric of locally originated routes (connected subnets of RIP interfaces, redistributed routes).
#: The receiver adds its interface cost (§3.9.2), as BIRD and FRR do (FRR ``default-metric 1``).
LOCAL_METRIC = 1

_COUNTERS = (
    "requests_sent",
    "requests_received",
    "responses_sent",
    "responses_received",
    "periodic_updates",
    "triggered_updates",
    "triggered_suppressed",
    "bad_packets",
    "bad_routes",
    "auth_failures",
)


@dataclass
class Neighbor:
    """A router heard on a RIP interface (inspection, per-neighbour counters, RFC 4822 sequence)."""

    address: IPv4Address
    iface: str
    last_heard: float
    packets: int = 0
    bad_packets: int = 0
    bad_routes: int = 0
    auth_failures: int = 0
    last_sequence: int | None = None


@dataclass
class _Iface:
    cfg: RipInterface
    up: bool = True


@dataclass
class _Out:
    """What one engine call produces, before ``_finish`` turns it into actions."""

    actions: list[Action] = field(default_factory=list)
    upserts: dict[IPv4Network, Route] = field(default_factory=dict)
    withdrawals: set[IPv4Network] = field(default_factory=set)


class RipEngine:
    """One router's RIPv2 instance. See ``routesim.proto.rip`` for the map and the deviations."""

    name = "rip"

    def __init__(self, config: RipConfig, rng: random.Random) -> None:
        self.config = config
        self.timers = config.timers
        self.rng = rng
        self.table = RipTable()
        self.neighbors: dict[IPv4Address, Neighbor] = {}
        self.counters: Counter[str] = Counter(dict.fromkeys(_COUNTERS, 0))
        self.drops: Counter[str] = Counter()
        self.route_errors: Counter[str] = Counter()
        self.auth_failure_reasons: Counter[str] = Counter()
        self._ifaces = {i.name: _Iface(i) for i in config.interfaces}
        self._own = {i.address.ip for i in config.interfaces}
        self._redistributed: set[IPv4Network] = set()
        self._next_update: float | None = None
        self._update_armed: float | None = None
        self._trigger_pending = False
        self._trigger_hold_until = float("-inf")
        self._trigger_armed: float | None = None
        self._sweep_armed: float | None = None
        self._sequence = 0
        self._running = False
        self._out = _Out()

    # --- Engine protocol -------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        """Originate connected subnets, send a whole-table Request everywhere (§3.9.1), arm updates."""
        self._running = True
        self._out = _Out()
        for st in self._ifaces.values():
            self._originate_connected(now, st.cfg)
            self._send_request(now, st)
        self._schedule_update(now)
        return self._finish(now)

    def set_metric(self, name: str, metric: int, now: float) -> list[Action]:
        """Change an interface's metric at run time (``link_cost`` events). Routes learned on it take
        the new metric with the neighbour's next update (RFC 2453 §3.9.2: same gateway, new metric)."""
        st = self._ifaces.get(name)
        if st is None or not 1 <= metric <= 15:
            return []
        st.cfg = dataclasses.replace(st.cfg, metric=metric)
        return [Log(f"rip interface {name}: metric {metric}")]

    def handle(self, event: Event, now: float) -> list[Action]:
        if not self._running:
            return []
        self._out = _Out()
        match event:
            case PacketIn():
                self._on_packet(event, now)
            case TimerFired(key=key):
                self._on_timer(key, now)
            case InterfaceUp(iface=name):
                self._on_interface(name, now, up=True)
            case InterfaceDown(iface=name):
                self._on_interface(name, now, up=False)
            case RibChanged(routes=routes):
                self._on_rib(routes, now)
            case _:
                pass
        return self._finish(now)

    def stop(self, now: float) -> list[Action]:
        """Stop; with ``poison_on_stop`` first advertise every route with metric 16.

        RFC 2453 requires nothing here and BIRD/FRR send nothing, leaving neighbours to time the routes
        out (180 s). A final poisoned update is what §3.10.1 does for any route that becomes unreachable,
        and lets a lab see a stopped router's routes withdrawn within one link delay.
        """
        if not self._running:
            return []
        self._out = _Out()
        if self.config.poison_on_stop:
            entries = [RipEntry.route(r.prefix, INFINITY, route_tag=r.route_tag) for r in self.table]
            for st in self._ifaces.values():
                if st.up and not st.cfg.passive and entries:
                    self._send_response(now, st, entries, None, self.config.port)
        for route in self.table:
            if not route.is_local and route.reachable:
                self._out.withdrawals.add(route.prefix)
        self._running = False
        self._next_update = self._update_armed = self._trigger_armed = self._sweep_armed = None
        self._trigger_pending = False
        actions = self._out.actions
        if self._out.withdrawals:
            actions.append(
                RoutesChanged(
                    withdrawals=tuple((p, RouteProtocol.RIP) for p in sorted(self._out.withdrawals))
                )
            )
        actions += [CancelTimer(TIMER_UPDATE), CancelTimer(TIMER_TRIGGERED), CancelTimer(TIMER_SWEEP)]
        return actions

    def inspect(self, now: float) -> dict[str, Any]:
        """Routes, neighbours, interfaces and counters as JSON-ready data."""
        return {
            "protocol": "rip",
            "router_id": self.config.router_id,
            "routes": [
                {
                    "prefix": str(r.prefix),
                    "metric": r.metric,
                    "next_hop": str(r.next_hop) if r.next_hop else None,
                    "source": str(r.source) if r.source else "local",
                    "origin": str(r.origin),
                    "interface": r.iface,
                    "age": round(now - r.updated, 3),
                    "state": str(r.state),
                    "route_tag": r.route_tag,
                    "expires_in": None if r.expires is None else round(r.expires - now, 3),
                    "gc_in": None if r.gc_at is None else round(r.gc_at - now, 3),
                    "deletion_reason": r.deletion_reason or None,
                }
                for r in self.table
            ],
            "neighbors": [
                {
                    "address": str(n.address),
                    "interface": n.iface,
                    "last_heard": round(now - n.last_heard, 3),
                    "packets": n.packets,
                    "bad_packets": n.bad_packets,
                    "bad_routes": n.bad_routes,
                    "auth_failures": n.auth_failures,
                }
                for n in sorted(self.neighbors.values(), key=lambda n: n.address)
            ],
            "interfaces": [
                {
                    "name": st.cfg.name,
                    "address": str(st.cfg.address),
                    "up": st.up,
                    "metric": st.cfg.metric,
                    "passive": st.cfg.passive,
                    "split_horizon": st.cfg.split_horizon.value,
                    "auth": st.cfg.auth.mode if st.cfg.auth else None,
                }
                for st in self._ifaces.values()
            ],
            "counters": {
                **{k: self.counters[k] for k in _COUNTERS},
                "drops": dict(sorted(self.drops.items())),
                "bad_route_reasons": dict(sorted(self.route_errors.items())),
                "auth_failure_reasons": dict(sorted(self.auth_failure_reasons.items())),
            },
            "next_update_in": None if self._next_update is None else round(self._next_update - now, 3),
        }

    def next_deadline(self) -> float | None:
        """The earliest armed timer (a convenience for tests and the sim)."""
        armed = [t for t in (self._next_update, self._trigger_armed, self._sweep_armed) if t is not None]
        return min(armed, default=None)

    # --- route changes ---------------------------------------------------------------------

    def _set_route(
        self,
        now: float,
        prefix: IPv4Network,
        metric: int,
        *,
        origin: RouteOrigin,
        reason: str,
        next_hop: IPv4Address | None = None,
        source: IPv4Address | None = None,
        iface: str | None = None,
        route_tag: int = 0,
    ) -> None:
        """The one state-change function for the table: adopt, or start deleting, a route."""
        old = self.table.get(prefix)
        if metric >= INFINITY:
            # RFC 2453 §3.8 deletion process; started only when the metric first becomes 16 (§3.9.2).
            if old is None or old.gc_at is not None:
                return
            was, old_metric = f"metric {old.metric} via {old.next_hop or 'local'}", old.metric
            old.metric = INFINITY
            old.expires = None
            old.gc_at = now + self.timers.garbage
            old.changed = True
            old.deletion_reason = reason
            if not old.is_local:
                self._out.withdrawals.add(prefix)
                self._out.upserts.pop(prefix, None)
            self._log(
                prefix, was, "metric 16 (unreachable)", reason, old_metric=old_metric, new_metric=INFINITY
            )
            self._trigger_pending = True
            return
        was = "none" if old is None else f"metric {old.metric} via {old.next_hop or 'local'}"
        route = RipRoute(
            prefix,
            metric,
            origin,
            next_hop=next_hop,
            source=source,
            iface=iface,
            route_tag=route_tag,
            updated=now,
            expires=None if origin is not RouteOrigin.RIP else now + self.timers.timeout,
            changed=True,
        )
        self.table.put(route)
        if route.is_local:
            if old is not None and not old.is_local and old.reachable:
                self._out.withdrawals.add(prefix)
                self._out.upserts.pop(prefix, None)
        else:
            self._out.upserts[prefix] = self._rib_route(route)
            self._out.withdrawals.discard(prefix)
        old_metric = None if old is None else old.metric
        self._log(
            prefix,
            was,
            f"metric {metric} via {next_hop or 'local'}",
            reason,
            old_metric=old_metric,
            new_metric=metric,
        )
        self._trigger_pending = True

    def _rib_route(self, route: RipRoute) -> Route:
        return Route(
            route.prefix,
            RouteProtocol.RIP,
            route.metric,
            frozenset({NextHop(route.next_hop, route.iface)}),
            attrs=(("tag", route.route_tag), ("source", str(route.source))),
        )

    def _log(self, prefix: IPv4Network, was: str, now_is: str, reason: str, **fields: Any) -> None:
        self._out.actions.append(
            Log(
                f"rip {prefix}: {was} -> {now_is} ({reason})",
                fields=(("prefix", str(prefix)), ("reason", reason), *sorted(fields.items())),
            )
        )

    def _originate_connected(self, now: float, cfg: RipInterface) -> None:
        self._set_route(
            now,
            cfg.address.network,
            LOCAL_METRIC,
            origin=RouteOrigin.CONNECTED,
            reason="connected",
            iface=cfg.name,
        )

    # --- input: packets --------------------------------------------------------------------

    def _drop(self, reason: str, nbr: Neighbor | None = None) -> None:
        self.counters["bad_packets"] += 1
        self.drops[reason] += 1
        if nbr is not None:
            nbr.bad_packets += 1

    def _on_packet(self, ev: PacketIn, now: float) -> None:
        st = self._ifaces.get(ev.iface)
        if st is None:
            self._drop("unknown_interface")
            return
        if not st.up:
            self._drop("interface_down")
            return
        if ev.src in self._own:
            # RFC 2453 §3.9.2: our own multicasts may loop back to us.
            self._drop("own_address")
            return
        connected = ev.src in st.cfg.address.network
        nbr = self._neighbor(ev.src, st.cfg.name, now) if connected else None
        try:
            packet, route_errors = RipPacket.decode_lenient(ev.data)
        except RipDecodeError as exc:
            self._drop(exc.reason, nbr)
            return
        last_seq = nbr.last_sequence if nbr is not None else None
        why = rip_auth.check(packet, ev.data, st.cfg.auth, last_seq)
        if why is not None:
            self.counters["auth_failures"] += 1
            self.auth_failure_reasons[why] += 1
            if nbr is not None:
                nbr.auth_failures += 1
            return
        if nbr is not None:
            if isinstance(packet.auth, Md5Auth) and packet.auth.sequence:
                nbr.last_sequence = max(nbr.last_sequence or 0, packet.auth.sequence)
            nbr.last_heard = now
            nbr.packets += 1
        if packet.command == Command.REQUEST:
            self.counters["requests_received"] += 1
            self._on_request(st, ev, packet, now)
            return
        self.counters["responses_received"] += 1
        # RFC 2453 §3.9.2: Responses must come from port 520 and from a directly connected neighbour.
        if ev.src_port is not None and ev.src_port != self.config.port:
            self._drop("source_port", nbr)
            return
        if nbr is None:
            self._drop("not_connected")
            return
        for err in route_errors:
            self.counters["bad_routes"] += 1
            self.route_errors[err.reason] += 1
            nbr.bad_routes += 1
        for entry in packet.entries:
            self._on_entry(st, ev.src, entry, now)

    def _neighbor(self, src: IPv4Address, iface: str, now: float) -> Neighbor:
        nbr = self.neighbors.get(src)
        if nbr is None:
            nbr = self.neighbors[src] = Neighbor(src, iface, now)
        elif now - nbr.last_heard > self.timers.timeout:
            nbr.last_sequence = None  # a neighbour silent that long may have restarted (RFC 4822)
        nbr.iface = iface
        return nbr

    def _on_entry(self, st: _Iface, src: IPv4Address, entry: RipEntry, now: float) -> None:
        """RFC 2453 §3.9.2 for one (already validated) entry."""
        cfg = st.cfg
        metric = min(entry.metric + cfg.metric, INFINITY)
        # RFC 2453 §4.4: a next hop not on the receiving subnet (or ours) is treated as 0.0.0.0.
        nh = entry.next_hop
        if int(nh) == 0 or nh not in cfg.address.network or nh in self._own:
            nh = src
        prefix = entry.prefix
        learned = {
            "origin": RouteOrigin.RIP,
            "next_hop": nh,
            "source": src,
            "iface": cfg.name,
            "route_tag": entry.route_tag,
        }
        old = self.table.get(prefix)
        if old is None:
            if metric < INFINITY:
                self._set_route(now, prefix, metric, reason=f"new from {src}", **learned)
            return
        if old.is_local and old.reachable:
            return  # our own origination always wins over what neighbours tell us
        same = old.source == src
        if same and old.gc_at is None:
            old.expires = now + self.timers.timeout
            old.updated = now
        if (same and metric != old.metric) or metric < old.metric:
            why = "unreachable" if metric >= INFINITY else ("update" if same else "better")
            self._set_route(now, prefix, metric, reason=f"{why} from {src}", **learned)
        elif same and metric < INFINITY and (nh != old.next_hop or entry.route_tag != old.route_tag):
            self._set_route(now, prefix, metric, reason=f"next hop/tag from {src}", **learned)
        elif (
            not same
            and metric == old.metric
            and metric < INFINITY
            and old.expires is not None
            and now >= old.expires - self.timers.timeout / 2
        ):
            # RFC 2453 §3.9.2 heuristic: an equal route replaces one at least halfway to its timeout.
            self._set_route(now, prefix, metric, reason=f"equal from {src}, old route ageing", **learned)

    def _on_request(self, st: _Iface, ev: PacketIn, packet: RipPacket, now: float) -> None:
        """RFC 2453 §3.9.1: answer unicast to the requester's address and port."""
        port = ev.src_port or self.config.port
        if st.cfg.passive and port == self.config.port:
            return  # a passive interface sends no updates; diagnostic queries still get answers
        if not packet.entries:
            return  # "If there are no entries, no response is given."
        if len(packet.entries) == 1 and packet.entries[0].is_whole_table:
            # Whole table: normal output processing, split horizon included.
            entries = self._entries_for(st, changed_only=False)
        else:
            # Specific entries: answered as they are in the table, no split horizon.
            entries = []
            for e in packet.entries:
                route = self.table.get(e.prefix)
                metric = route.metric if route is not None else INFINITY
                tag = route.route_tag if route is not None else e.route_tag
                entries.append(RipEntry(e.afi, tag, e.prefix, e.next_hop, metric))
        if entries:
            self._send_response(now, st, entries, ev.src, port)

    # --- input: timers, interfaces, RIB ----------------------------------------------------

    def _on_timer(self, key: Any, now: float) -> None:
        if key == TIMER_UPDATE:
            self._periodic_update(now)
        elif key == TIMER_TRIGGERED:
            self._trigger_armed = None  # _finish sends the pending update now that damping is over
        elif key == TIMER_SWEEP:
            self._sweep_armed = None
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        """RFC 2453 §3.8: timeout -> metric 16 + garbage timer; garbage timer -> delete."""
        timed_out, collect = self.table.due(now)
        for route in timed_out:
            self._set_route(now, route.prefix, INFINITY, origin=route.origin, reason="timeout")
        for route in collect:
            self.table.remove(route.prefix)
            self._out.actions.append(
                Log(
                    f"rip {route.prefix}: deleted (garbage collection)",
                    fields=(("prefix", str(route.prefix)),),
                )
            )

    def _on_interface(self, name: str, now: float, *, up: bool) -> None:
        st = self._ifaces.get(name)
        if st is None or st.up == up:
            return
        st.up = up
        self._out.actions.append(
            Log(f"rip interface {name} {'up' if up else 'down'}", fields=(("interface", name),))
        )
        if up:
            self._originate_connected(now, st.cfg)
            self._send_request(now, st)
            return
        for route in self.table:
            if route.iface == name and route.origin is not RouteOrigin.REDISTRIBUTED:
                self._set_route(
                    now, route.prefix, INFINITY, origin=route.origin, reason=f"interface {name} down"
                )

    def _on_rib(self, routes: tuple[Route, ...], now: float) -> None:
        """Redistribution: ``routes`` is the RIB's whole selected set; export the configured protocols."""
        connected = {st.cfg.address.network for st in self._ifaces.values()}
        wanted = {
            r.prefix: r
            for r in routes
            if r.protocol in self.config.redistribute
            and r.protocol is not RouteProtocol.RIP
            and r.prefix not in connected
        }
        for prefix in sorted(wanted):
            cur = self.table.get(prefix)
            if cur is None or not cur.is_local or not cur.reachable:
                self._set_route(
                    now,
                    prefix,
                    LOCAL_METRIC,
                    origin=RouteOrigin.REDISTRIBUTED,
                    reason=f"redistributed {wanted[prefix].protocol}",
                )
        for prefix in sorted(self._redistributed - wanted.keys()):
            cur = self.table.get(prefix)
            if cur is not None and cur.origin is RouteOrigin.REDISTRIBUTED:
                self._set_route(now, prefix, INFINITY, origin=cur.origin, reason="no longer in the RIB")
        self._redistributed = set(wanted)

    # --- output ----------------------------------------------------------------------------

    def _entries_for(self, st: _Iface, *, changed_only: bool) -> list[RipEntry]:
        """RFC 2453 §3.10 output processing for one interface, with split horizon (§3.4.3)."""
        mode = st.cfg.split_horizon
        entries = []
        for route in self.table:
            if changed_only and not route.changed:
                continue
            metric = route.metric
            if not route.is_local and route.iface == st.cfg.name:
                if mode is SplitHorizon.SIMPLE:
                    continue
                if mode is SplitHorizon.POISONED_REVERSE:
                    metric = INFINITY
            entries.append(RipEntry.route(route.prefix, metric, route_tag=route.route_tag))
        return entries

    def _destinations(self, st: _Iface) -> tuple[IPv4Address, ...]:
        return st.cfg.neighbors or (RIP_MULTICAST,)

    def _next_sequence(self, now: float) -> int:
        self._sequence = min(max(self._sequence + 1, int(now)), 0xFFFFFFFF)
        return self._sequence

    def _send(self, now: float, st: _Iface, packet: RipPacket, dst: IPv4Address, port: int) -> None:
        data = rip_auth.seal(packet, st.cfg.auth, self._next_sequence(now))
        self._out.actions.append(Send(data, iface=st.cfg.name, dst=dst, dst_port=port))

    def _send_request(self, now: float, st: _Iface) -> None:
        if not st.up or st.cfg.passive:
            return
        for dst in self._destinations(st):
            self._send(
                now, st, RipPacket(Command.REQUEST, entries=(RipEntry.whole_table(),)), dst, self.config.port
            )
            self.counters["requests_sent"] += 1

    def _send_response(
        self, now: float, st: _Iface, entries: list[RipEntry], dst: IPv4Address | None, port: int
    ) -> None:
        """Send ``entries`` in messages of at most 25 (24 with authentication) entries (RFC 2453 §4)."""
        per = RipPacket.max_entries(authenticated=st.cfg.auth is not None)
        targets = self._destinations(st) if dst is None else (dst,)
        for i in range(0, len(entries), per):
            packet = RipPacket(Command.RESPONSE, entries=tuple(entries[i : i + per]))
            for target in targets:
                self._send(now, st, packet, target, port)
                self.counters["responses_sent"] += 1

    def _update_all(self, now: float, *, changed_only: bool) -> None:
        for st in self._ifaces.values():
            if not st.up or st.cfg.passive:
                continue
            entries = self._entries_for(st, changed_only=changed_only)
            if entries:
                self._send_response(now, st, entries, None, self.config.port)
        for route in self.table:
            route.changed = False
        self._trigger_pending = False

    def _schedule_update(self, now: float) -> None:
        """RFC 2453 §3.8: the 30 s timer is offset by a random amount each time it is set."""
        jitter = self.timers.update_jitter
        self._next_update = now + self.timers.update * (1 + self.rng.uniform(-jitter, jitter))

    def _periodic_update(self, now: float) -> None:
        self.counters["periodic_updates"] += 1
        self._update_all(now, changed_only=False)
        self._schedule_update(now)

    def _finish(self, now: float) -> list[Action]:
        """Send a triggered update if one is due, then emit RIB changes and (re)armed timers."""
        out = self._out
        if self._trigger_pending and self._trigger_armed is None:
            if now >= self._trigger_hold_until:
                # RFC 2453 §3.10.1: send only the changed routes, then damp for 1-5 s.
                self.counters["triggered_updates"] += 1
                self._update_all(now, changed_only=True)
                self._trigger_hold_until = now + self.rng.uniform(
                    self.timers.triggered_min, self.timers.triggered_max
                )
            elif self._next_update is not None and self._next_update <= self._trigger_hold_until:
                # Suppressed: a regular update is due before the damping ends; it carries the changes.
                self.counters["triggered_suppressed"] += 1
                self._trigger_pending = False
            else:
                self._trigger_armed = self._trigger_hold_until
                out.actions.append(ArmTimer(TIMER_TRIGGERED, self._trigger_armed))
        if out.upserts or out.withdrawals:
            out.actions.append(
                RoutesChanged(
                    upserts=tuple(out.upserts[p] for p in sorted(out.upserts)),
                    withdrawals=tuple((p, RouteProtocol.RIP) for p in sorted(out.withdrawals)),
                )
            )
        if self._next_update != self._update_armed and self._next_update is not None:
            self._update_armed = self._next_update
            out.actions.append(ArmTimer(TIMER_UPDATE, self._next_update))
        sweep = self.table.next_deadline()
        if sweep != self._sweep_armed:
            self._sweep_armed = sweep
            out.actions.append(CancelTimer(TIMER_SWEEP) if sweep is None else ArmTimer(TIMER_SWEEP, sweep))
        return out.actions
