"""The OSPFv2 engine (RFC 2328): sans-IO, fed events with ``now``, returning actions.

Every entry point (``start``, ``handle``, ``stop``) collects actions in ``self._out`` and ends in
:meth:`OspfEngine._finish`, which runs pending LSA origination (``origination.reconcile``), removes
MaxAge LSAs nobody needs any more (§14), and turns the deadlines kept as data on interfaces,
neighbors and the engine into ``ArmTimer``/``CancelTimer`` diffs. Timer keys:

* ``("ospf", "hello", iface)`` — next Hello (§9.5); ``("ospf", "wait", iface)`` — Wait timer (§9.3);
  ``("ospf", "ack", iface)`` — delayed acknowledgments (§13.5);
* ``("ospf", "inactivity"|"dd"|"lsr"|"lsu", iface, neighbor address)`` — Inactivity timer (§10.2),
  DD / LS Request / LS Update retransmission (§10.8, §10.9, §13.6);
* ``("ospf", "spf")`` — the routing calculation, delayed by the RFC 8405 back-off (``spf_backoff.py``);
* ``("ospf", "originate")`` — the end of a MinLSInterval hold-down (§12.4);
* ``("ospf", "age")`` — the next LSA to reach MaxAge (§14) or an own LSA to refresh (LSRefreshTime).

Packet checks of §8.2 that need state are here (:meth:`_on_packet`): unknown or passive interface,
packets from our own address or Router ID, Area ID, AllDRouters on a non-DR interface, unknown
neighbor, cryptographic sequence number; Hello parameter checks of §10.5 in :meth:`_on_hello`. Every
drop is counted by reason in ``self.drops``; nothing raises out of ``handle()`` (``strict=True``, for
tests, re-raises internal errors instead of counting them).
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
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
from routesim.proto.ospf import flooding, neighbor, origination
from routesim.proto.ospf.actions import LeaveGroup
from routesim.proto.ospf.config import OspfConfig
from routesim.proto.ospf.interface import (
    NO_ROUTER,
    Interface,
    InterfaceEvent,
    InterfaceState,
    interface_event,
)
from routesim.proto.ospf.lsdb import LsaKey, Lsdb, Scope
from routesim.proto.ospf.neighbor import Neighbor, NeighborEvent, NeighborState, neighbor_event
from routesim.proto.ospf.spf import LocalView, RouterRoute, SpfRoute, calculate
from routesim.proto.ospf.spf_backoff import SpfBackoff
from routesim.wire.ospf import (
    CryptographicAuth,
    DatabaseDescription,
    Hello,
    LinkStateAck,
    LinkStateRequest,
    LinkStateUpdate,
    Options,
    OspfDecodeError,
    OspfHeader,
    PacketType,
    crypto_sequence_acceptable,
    decode_packet,
    encode_packet,
)
from routesim.wire.ospf.header import ALL_D_ROUTERS, ALL_SPF_ROUTERS
from routesim.wire.ospf.packet import Body

_TIMER_EPSILON = 1e-9
_IFACE_TIMERS = ("hello", "wait", "ack")
_NEIGHBOR_TIMERS = ("inactivity", "dd", "lsr", "lsu")
_ENGINE_TIMERS = ("spf", "originate", "age")
#: a deadline that equals nothing: an owner's timers whose state holds it are compared again
_STALE = object()
_PACKET_NAMES = {
    PacketType.HELLO: "hello",
    PacketType.DATABASE_DESCRIPTION: "dd",
    PacketType.LINK_STATE_REQUEST: "lsr",
    PacketType.LINK_STATE_UPDATE: "lsu",
    PacketType.LINK_STATE_ACK: "lsack",
}


class OspfEngine:
    """One router's OSPFv2 instance. See ``routesim.proto.ospf`` for the map and the deviations."""

    name = "ospf"

    def __init__(self, config: OspfConfig, rng: random.Random, *, strict: bool = False) -> None:
        self.config = config
        self.rng = rng
        self.strict = strict
        self.router_id: IPv4Address = config.router_id
        self.options = Options.E
        self.ifaces: dict[str, Interface] = {i.name: Interface(i) for i in config.interfaces}
        self.own_addresses = frozenset(i.address.ip for i in config.interfaces)
        self.lsdb = Lsdb(config.timers.maxage, router_id=config.router_id)
        self.counters: Counter[str] = Counter()
        self.drops: Counter[str] = Counter()
        self.packets_in: Counter[str] = Counter()
        self.packets_out: Counter[str] = Counter()
        self.spf_routes: dict[IPv4Network, SpfRoute] = {}
        self.asbr_routes: dict[IPv4Address, RouterRoute] = {}
        self.routes: dict[IPv4Network, Route] = {}
        self.redistributed: frozenset[IPv4Network] = frozenset()
        self.last_originated: dict[tuple[Scope, LsaKey], float] = {}
        self.originate_at: float | None = None
        #: when the current adjacency hold began (``origination.adjacency_hold``), None if none
        self.hold_since: float | None = None
        self.hold_expired = False  # the current hold reached its bound (logged once)
        #: area -> the router-LSA :func:`origination.desired` built last (unsealed)
        self.router_lsa_memo: dict[IPv4Address, Any] = {}
        self.started_at = 0.0
        self.spf_at: float | None = None
        self.spf_backoff = SpfBackoff(config.timers)
        self.maxage_check_due = False
        self._originate_pending = False
        self._crypto_seq = 0
        self._armed: dict[Any, float] = {}
        #: (LSDB version, earliest aging/refresh deadline): both only change when the LSDB does,
        #: and scanning the whole LSDB after every event dominated the CPU of large areas.
        self._age_deadline: tuple[int, float | None] = (-1, None)
        self._out: list[Action] = []
        self._running = False
        #: id(owner) -> [owner, deadlines, key suffix, generation, kinds] as last armed (see _sync_timers)
        self._timer_state: dict[int, list[Any]] = {}
        self._timer_gen = 0
        self._timers_dirty = True
        #: (interface, destination) -> LSAs to flood at the end of this call (``flooding.queue_flood``).
        self.flood_queue: dict[tuple[str, IPv4Address], dict[LsaKey, Any]] = {}

    @property
    def wants_rib(self) -> bool:
        """The RIB matters only for redistribution (§12.4.4): without it, no ``RibChanged``."""
        return bool(self.config.redistribute)

    # --- helpers used by the other modules -----------------------------------------------------

    def emit(self, action: Action | Any) -> None:
        self._out.append(action)

    def drop(self, reason: str) -> None:
        self.drops[reason] += 1

    def originate_soon(self) -> None:
        """Ask for :func:`origination.reconcile` at the end of this call."""
        self._originate_pending = True

    def schedule_spf(self, now: float) -> None:
        """An LSDB or interface change: SPF after the RFC 8405 back-off delay, unless a run is
        pending already (the change joins it)."""
        delay = self.spf_backoff.event(now)
        if self.spf_at is None:
            self.spf_at = now + delay

    def send(self, ifc: Interface, dst: IPv4Address, body: Body) -> None:
        """Encode ``body`` with the interface's authentication and emit a ``Send``."""
        auth = ifc.cfg.wire_auth
        if isinstance(auth, CryptographicAuth):
            self._crypto_seq += 1
        data = encode_packet(self.router_id, ifc.cfg.area, body, auth=auth, crypto_seq=self._crypto_seq)
        self.packets_out[_PACKET_NAMES[body.TYPE]] += 1
        self.emit(Send(data, iface=ifc.name, dst=dst))

    # --- Engine protocol -----------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        """Bring every configured interface up (§9.3 InterfaceUp) and originate the router-LSAs."""
        self._running = True
        self.started_at = now
        self._out = []
        for ifc in self.ifaces.values():
            interface_event(self, ifc, InterfaceEvent.INTERFACE_UP, now)
        self.originate_soon()
        return self._finish(now)

    def set_cost(self, name: str, cost: int, now: float) -> list[Action]:
        """Change an interface's output cost at run time (``link_cost`` events): the router-LSA is
        originated again with the new metric (RFC 2328 §12.4: any change of its contents)."""
        ifc = self.ifaces.get(name)
        if ifc is None or not self._running:
            return []
        self._out = []
        ifc.cfg = dataclasses.replace(ifc.cfg, cost=cost)
        self.emit(Log(f"ospf interface {name}: cost {cost}"))
        self.originate_soon()
        return self._finish(now)

    def handle(self, event: Event, now: float) -> list[Action]:
        if not self._running:
            return []
        self._out = []
        self._dispatch(event, now)
        return self._finish(now)

    def handle_batch(self, events: list[Event], now: float) -> list[Action]:
        """Events that arrived together (the packets one socket read returned), each handled in
        order as by :meth:`handle`, with the end-of-call work done once: what the batch installed
        is flooded in one LSU per interface (§13.3 lets a router bundle LSAs), origination and timers
        are reconciled once."""
        if not self._running:
            return []
        self._out = []
        for event in events:
            self._dispatch(event, now)
        return self._finish(now)

    def _dispatch(self, event: Event, now: float) -> None:
        try:
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
                    self._on_rib(routes)
                case _:
                    pass
        except Exception as exc:
            if self.strict:
                raise
            self.drop("internal-error")
            self.emit(Log(f"ospf internal error: {exc!r}", level="error"))

    def stop(self, now: float) -> list[Action]:
        """Say goodbye with an empty-neighbor Hello (neighbors drop to Init at once, §10.5), leave
        AllDRouters, withdraw every route and cancel every timer."""
        if not self._running:
            return []
        self._out = []
        for ifc in self.ifaces.values():
            if ifc.active:
                self.send(ifc, ALL_SPF_ROUTERS, self._hello(ifc, goodbye=True))
            if ifc.is_dr_or_backup() and not ifc.cfg.passive:
                self.emit(LeaveGroup(ifc.name, ALL_D_ROUTERS))
        if self.routes:
            self.emit(RoutesChanged(withdrawals=tuple((p, RouteProtocol.OSPF) for p in sorted(self.routes))))
        self.routes = {}
        self._running = False
        self._out += [CancelTimer(k) for k in self._armed]
        self._armed = {}
        self._timer_state = {}
        self._timers_dirty = True
        return self._out

    def next_deadline(self) -> float | None:
        return min(self._armed.values(), default=None)

    # --- events --------------------------------------------------------------------------------

    def _on_interface(self, name: str, now: float, *, up: bool) -> None:
        ifc = self.ifaces.get(name)
        if ifc is None:
            return
        ifc.link_up = up
        if up and ifc.state == InterfaceState.DOWN:
            interface_event(self, ifc, InterfaceEvent.INTERFACE_UP, now)
        elif not up:
            interface_event(self, ifc, InterfaceEvent.INTERFACE_DOWN, now)
        self.originate_soon()
        self.schedule_spf(now)

    def _on_rib(self, routes: tuple[Route, ...]) -> None:
        """Redistribution (§12.4.4): the RIB's selected routes of the configured protocols."""
        wanted = frozenset(r.prefix for r in routes if r.protocol in self.config.redistribute)
        if wanted != self.redistributed:
            self.redistributed = wanted
            self.originate_soon()

    def _on_timer(self, key: Any, now: float) -> None:
        if not (isinstance(key, tuple) and len(key) >= 2 and key[0] == "ospf"):
            return
        # the fired timer left ``_armed``: whatever its handler does, its owner is re-checked
        self._armed.pop(key, None)
        kind = key[1]
        due = now + _TIMER_EPSILON
        if kind in _IFACE_TIMERS:
            ifc = self.ifaces.get(key[2])
            if ifc is None:
                return
            self._recheck(ifc)
            if kind == "hello" and ifc.hello_at is not None and ifc.hello_at <= due:
                ifc.hello_at = _next_beat(ifc.hello_at, ifc.cfg.hello_interval, now)
                if ifc.active:
                    self.send(ifc, ALL_SPF_ROUTERS, self._hello(ifc))
            elif kind == "wait" and ifc.wait_at is not None and ifc.wait_at <= due:
                interface_event(self, ifc, InterfaceEvent.WAIT_TIMER, now)
            elif kind == "ack" and ifc.ack_at is not None and ifc.ack_at <= due:
                flooding.send_delayed_acks(self, ifc, now)
        elif kind in _NEIGHBOR_TIMERS:
            ifc = self.ifaces.get(key[2])
            nbr = ifc.neighbors.get(key[3]) if ifc else None
            if ifc is None or nbr is None:
                return  # gone: _sync_timers drops the rest of its timers
            self._recheck(nbr)
            at = {
                "inactivity": nbr.inactivity_at,
                "dd": nbr.dd_rxmt_at,
                "lsr": nbr.lsr_rxmt_at,
                "lsu": nbr.lsu_rxmt_at,
            }[kind]
            if at is None or at > due:
                return
            if kind == "inactivity":
                neighbor_event(self, ifc, nbr, NeighborEvent.INACTIVITY_TIMER, now)
            elif kind == "dd":
                neighbor.dd_retransmit(self, ifc, nbr, now)
            elif kind == "lsr":
                neighbor.lsr_retransmit(self, ifc, nbr, now)
            else:
                flooding.lsu_retransmit(self, ifc, nbr, now)
        else:
            self._recheck(self)
            if kind == "spf" and self.spf_at is not None and self.spf_at <= due:
                self._run_spf(now)
            elif kind == "originate":
                self.originate_soon()
            elif kind == "age":
                flooding.age_database(self, now)
                self.originate_soon()

    # --- receiving (§8.2) ---------------------------------------------------------------------

    def _on_packet(self, ev: PacketIn, now: float) -> None:
        ifc = self.ifaces.get(ev.iface)
        if ifc is None:
            self.drop("unknown-interface")
            return
        if ifc.cfg.passive:
            self.drop("passive-interface")
            return
        if ifc.state == InterfaceState.DOWN:
            self.drop("interface-down")
            return
        if ev.src in self.own_addresses:
            self.drop("own-address")
            return
        try:
            pkt = decode_packet(ev.data, auth=ifc.cfg.wire_auth)
        except OspfDecodeError as err:
            self.drop(str(err.reason))
            return
        h = pkt.header
        self.packets_in[_PACKET_NAMES[PacketType(h.type)]] += 1
        if h.router_id == self.router_id:
            self.drop("own-router-id")
            return
        if h.area_id != ifc.cfg.area:
            self.drop("area-mismatch")
            return
        if ev.dst == ALL_D_ROUTERS and not ifc.is_dr_or_backup():
            self.drop("not-dr")
            return
        body = pkt.body
        if isinstance(body, Hello):
            self._on_hello(ifc, ev.src, h, body, now)
            return
        nbr = ifc.neighbors.get(ev.src)
        if nbr is None:
            self.drop("unknown-neighbor")
            return
        if nbr.router_id != h.router_id:
            self.drop("router-id-mismatch")
            return
        if not self._crypto_ok(ifc, nbr, h):
            return
        if isinstance(body, DatabaseDescription):
            neighbor.receive_dd(self, ifc, nbr, body, now)
        elif isinstance(body, LinkStateRequest):
            neighbor.receive_lsr(self, ifc, nbr, body, now)
        elif isinstance(body, LinkStateUpdate):
            flooding.receive_lsu(self, ifc, nbr, body, now)
        elif isinstance(body, LinkStateAck):
            flooding.receive_ack(self, ifc, nbr, body, now)

    def _crypto_ok(self, ifc: Interface, nbr: Neighbor, h: OspfHeader) -> bool:
        """Appendix D.4.3: the cryptographic sequence number never decreases per neighbor."""
        if not isinstance(ifc.cfg.wire_auth, CryptographicAuth):
            return True
        if not crypto_sequence_acceptable(nbr.crypto_seq, h.crypto_sequence_number):
            self.drop("crypto-sequence")
            return False
        nbr.crypto_seq = h.crypto_sequence_number
        return True

    def _on_hello(self, ifc: Interface, src: IPv4Address, h: OspfHeader, hello: Hello, now: float) -> None:
        """§10.5: parameter checks, neighbor creation, then the neighbor and interface events."""
        cfg = ifc.cfg
        if ifc.broadcast and hello.network_mask != cfg.address.netmask:
            self.drop("hello-mask-mismatch")
            return
        if hello.hello_interval != cfg.hello_interval:
            self.drop("hello-interval-mismatch")
            return
        if hello.router_dead_interval != cfg.dead_interval:
            self.drop("dead-interval-mismatch")
            return
        if not hello.options & Options.E:  # §10.5: E-bit must match (no stub areas here)
            self.drop("options-mismatch")
            return
        nbr = ifc.neighbors.get(src)
        if nbr is not None and nbr.router_id != h.router_id:
            neighbor_event(self, ifc, nbr, NeighborEvent.KILL_NBR, now)
            nbr = None
        new = nbr is None
        if nbr is None:
            nbr = Neighbor(h.router_id, src, ifc.name, since=now)
            ifc.neighbors[src] = nbr
        if not self._crypto_ok(ifc, nbr, h):
            if new:
                ifc.neighbors.pop(src, None)
            return
        old_priority, old_dr, old_bdr = nbr.priority, nbr.dr, nbr.bdr
        nbr.priority, nbr.options = hello.router_priority, hello.options
        nbr.dr, nbr.bdr = hello.designated_router, hello.backup_designated_router
        neighbor_event(self, ifc, nbr, NeighborEvent.HELLO_RECEIVED, now)
        if new and ifc.active:
            # A neighbor heard for the first time gets a Hello now (listing it) instead of at our
            # next HelloInterval: both sides see themselves listed, and two-way comes up to a
            # second sooner. §9.5 sets the periodic rate, it does not forbid an extra Hello; once
            # per new neighbor, like FRR's hello reply.
            self.counters["hello_replies"] += 1
            self.send(ifc, ALL_SPF_ROUTERS, self._hello(ifc))
        if self.router_id not in hello.neighbors:
            neighbor_event(self, ifc, nbr, NeighborEvent.ONE_WAY, now)
            return
        neighbor_event(self, ifc, nbr, NeighborEvent.TWO_WAY_RECEIVED, now)
        if not ifc.broadcast or ifc.neighbors.get(src) is not nbr:
            return
        waiting = ifc.state == InterfaceState.WAITING
        change = (not new and nbr.priority != old_priority) or False
        if nbr.declares_dr() and nbr.bdr == NO_ROUTER and waiting:
            interface_event(self, ifc, InterfaceEvent.BACKUP_SEEN, now)
        elif nbr.declares_dr() != (old_dr == src):
            change = True
        if nbr.declares_bdr() and ifc.state == InterfaceState.WAITING:
            interface_event(self, ifc, InterfaceEvent.BACKUP_SEEN, now)
        elif nbr.declares_bdr() != (old_bdr == src):
            change = True
        if change:
            interface_event(self, ifc, InterfaceEvent.NEIGHBOR_CHANGE, now)

    def _hello(self, ifc: Interface, *, goodbye: bool = False) -> Hello:
        """§9.5 Hello contents; the neighbor list holds every neighbor heard from (Init or later)."""
        neighbors = (
            ()
            if goodbye
            else tuple(sorted(n.router_id for n in ifc.neighbors.values() if n.state >= NeighborState.INIT))
        )
        return Hello(
            network_mask=ifc.cfg.address.netmask,
            hello_interval=ifc.cfg.hello_interval,
            options=self.options,
            router_priority=ifc.cfg.priority,
            router_dead_interval=ifc.cfg.dead_interval,
            designated_router=ifc.dr if ifc.broadcast else NO_ROUTER,
            backup_designated_router=ifc.bdr if ifc.broadcast else NO_ROUTER,
            neighbors=neighbors,
        )

    # --- routing calculation ---------------------------------------------------------------------

    def _run_spf(self, now: float) -> None:
        self.spf_at = None
        self.counters["spf_runs"] += 1
        up = [i for i in self.ifaces.values() if i.state != InterfaceState.DOWN]
        me = LocalView(
            self.router_id,
            {i.address: i.name for i in up},
            {
                (i.name, n.router_id): n.address
                for i in up
                if not i.broadcast
                for n in i.neighbors.values()
                if n.state == NeighborState.FULL
            },
        )
        areas = {a: self.lsdb.live(a, now) for a in sorted({i.cfg.area for i in up})}
        previous = self.spf_routes
        self.spf_routes, self.asbr_routes = calculate(areas, self.lsdb.live(None, now), me)
        # an unchanged SpfRoute keeps its Route object (building them all again dominated SPF runs);
        # only what changed is sorted (by prefix, as before: IPv4Network comparisons are slow)
        old = self.routes
        new: dict[IPv4Network, Route] = {}
        changed: list[IPv4Network] = []
        for p, r in self.spf_routes.items():
            before = old.get(p)
            if before is not None and previous.get(p) == r:
                new[p] = before
            else:
                new[p] = route = self._rib_route(r)
                if before != route:
                    changed.append(p)
        upserts = tuple(new[p] for p in sorted(changed, key=_prefix_order))
        gone = [p for p in old if p not in new]
        withdrawals = tuple((p, RouteProtocol.OSPF) for p in sorted(gone, key=_prefix_order))
        self.routes = new
        if upserts or withdrawals:
            self.emit(RoutesChanged(upserts=upserts, withdrawals=withdrawals))
        if origination.is_abr(self):  # summary-LSAs follow the routing table (§12.4.3); nothing
            self.originate_soon()  # else a router originates depends on it

    @staticmethod
    def _rib_route(r: SpfRoute) -> Route:
        attrs: tuple[tuple[str, Any], ...] = (
            ("path_type", r.path_type),
            ("area", str(r.area) if r.area is not None else None),
        )
        if r.path_type == "ext2":
            attrs += (("forward_cost", r.forward_cost),)
        return Route(r.prefix, RouteProtocol.OSPF, r.cost, r.next_hops, attrs=attrs)

    # --- end of every call ---------------------------------------------------------------------

    def _finish(self, now: float) -> list[Action]:
        for _ in range(8):  # origination can make more origination due (e.g. flushes); bounded
            if not (self._originate_pending or self.maxage_check_due):
                break
            if self._originate_pending:
                self._originate_pending = False
                origination.reconcile(self, now)
            if self.maxage_check_due:
                flooding.age_database(self, now)
        flooding.flush_floods(self)
        self._sync_timers(now)
        return self._out

    def _sync_timers(self, now: float) -> None:
        """Turn the deadlines kept on interfaces, neighbors and the engine into ArmTimer/CancelTimer.

        Each owner's deadlines are compared, as one tuple, with those armed after the previous call,
        so only the timers that changed are looked up and emitted (timer keys hold IPv4Addresses,
        whose hashing dominated when every key was rebuilt and diffed after every packet). After a
        timer fired, its owner's deadlines are compared with ``_armed`` again
        (:meth:`_recheck`); after :meth:`stop` (``_timers_dirty``), every owner's.
        """
        full, self._timers_dirty = self._timers_dirty, False
        self._timer_gen += 1
        changes: dict[Any, float | None] = {}
        for ifc in self.ifaces.values():
            self._sync_owner(
                ifc, (ifc.hello_at, ifc.wait_at, ifc.ack_at), _IFACE_TIMERS, (ifc.name,), changes, full
            )
            for nbr in ifc.neighbors.values():
                deadlines = (nbr.inactivity_at, nbr.dd_rxmt_at, nbr.lsr_rxmt_at, nbr.lsu_rxmt_at)
                self._sync_owner(nbr, deadlines, _NEIGHBOR_TIMERS, (ifc.name, nbr.address), changes, full)
        self._sync_owner(
            self, (self.spf_at, self.originate_at, self._age_at(now)), _ENGINE_TIMERS, (), changes, full
        )
        for ident, state in list(self._timer_state.items()):
            if state[3] != self._timer_gen:  # a neighbor that is gone: its timers go too
                for kind, at in zip(state[4], state[1], strict=True):
                    if at is not None:
                        changes.setdefault(("ospf", kind, *state[2]), None)
                del self._timer_state[ident]
        armed = self._armed
        for key, at in changes.items():
            if at is None:
                if armed.pop(key, None) is not None:
                    self._out.append(CancelTimer(key))
            elif armed.get(key) != at:
                armed[key] = at
                self._out.append(ArmTimer(key, at))

    def _recheck(self, owner: object) -> None:
        """One of ``owner``'s timers fired (and left ``_armed``): make :meth:`_sync_timers` compare
        every deadline of that interface, neighbor or engine with ``_armed`` again, as if it were
        new, so that a deadline the handler left as it was is armed again. Only that owner's:
        comparing every owner's after each Hello timer was the largest part of an idle router's
        engine time."""
        state = self._timer_state.get(id(owner))
        if state is None or state[0] is not owner:
            self._timers_dirty = True  # never synced: compare everything
            return
        state[1] = (_STALE,) * len(state[4])

    def _sync_owner(
        self,
        owner: object,
        deadlines: tuple[float | None, ...],
        kinds: tuple[str, ...],
        suffix: tuple[Any, ...],
        changes: dict[Any, float | None],
        full: bool,
    ) -> None:
        state = self._timer_state.get(id(owner))
        if state is not None and not full and state[1] == deadlines:
            state[3] = self._timer_gen
            return
        old = state[1] if state is not None else (None,) * len(deadlines)
        for kind, at, was in zip(kinds, deadlines, old, strict=True):
            if full or at != was:
                changes[("ospf", kind, *suffix)] = at
        # the state holds ``owner`` itself, so its id cannot be reused while the entry exists
        self._timer_state[id(owner)] = [owner, deadlines, suffix, self._timer_gen, kinds]

    def _age_at(self, now: float) -> float | None:
        """The ``("ospf", "age")`` deadline: next LSA to reach MaxAge or own LSA to refresh."""
        version, soonest = self._age_deadline
        if version != self.lsdb.version:
            ages = [
                t
                for t in (flooding.next_aging_deadline(self), origination.next_refresh(self))
                if t is not None
            ]
            soonest = min(ages) if ages else None
            self._age_deadline = (self.lsdb.version, soonest)
        if soonest is None:
            return None
        # never in the past: LS age has a granularity of one second anyway
        return max(soonest, now + 1.0) if soonest <= now else soonest

    # --- inspection ----------------------------------------------------------------------------

    def inspect(self, now: float) -> dict[str, Any]:
        """Neighbors, interfaces, LSDB, routes and counters as JSON-ready data."""
        maxage = self.lsdb.maxage
        return {
            "protocol": "ospf",
            "router_id": str(self.router_id),
            "neighbors": [
                {
                    "router_id": str(n.router_id),
                    "address": str(n.address),
                    "interface": ifc.name,
                    "state": n.state.label,
                    "priority": n.priority,
                    "dr": str(n.dr),
                    "bdr": str(n.bdr),
                    "dead_in": round(max(0.0, n.inactivity_at - now), 3) if n.inactivity_at else None,
                }
                for ifc in self.ifaces.values()
                for n in sorted(ifc.neighbors.values(), key=lambda n: n.router_id)
            ],
            "interfaces": [
                {
                    "name": ifc.name,
                    "state": ifc.state.label,
                    "cost": ifc.cfg.cost,
                    "dr": str(ifc.dr),
                    "bdr": str(ifc.bdr),
                    "network_type": ifc.cfg.network_type,
                    "area": str(ifc.cfg.area),
                    "hello": ifc.cfg.hello_interval,
                    "dead": ifc.cfg.dead_interval,
                    "passive": ifc.cfg.passive,
                }
                for ifc in self.ifaces.values()
            ],
            "database": [
                {
                    "area": str(scope) if scope is not None else None,
                    "type": key[0],
                    "lsid": str(key[1]),
                    "adv_router": str(key[2]),
                    "seq": f"{e.lsa.header.ls_sequence_number & 0xFFFFFFFF:#010x}",
                    "age": e.age(now, maxage),
                    "checksum": f"{e.lsa.header.ls_checksum:#06x}",
                }
                for scope, key, e in sorted(
                    self.lsdb, key=lambda t: (str(t[0]), t[1][0], int(t[1][1]), int(t[1][2]))
                )
            ],
            "routes": [
                {
                    "prefix": str(r.prefix),
                    "cost": r.cost,
                    "path_type": r.path_type,
                    "area": str(r.area) if r.area is not None else None,
                    "next_hops": [h.to_json() for h in sorted(r.next_hops, key=_nh_key)],
                }
                for r in sorted(self.spf_routes.values(), key=lambda r: r.prefix)
            ],
            "origination": {
                # a new router-/network-LSA waiting for adjacencies still forming (adjacency_hold)
                "adjacency_hold_in": (
                    round(max(0.0, self.hold_since + self.config.timers.adjacency_hold - now), 3)
                    if self.hold_since is not None
                    else None
                ),
                "next_in": round(max(0.0, self.originate_at - now), 3)
                if self.originate_at is not None
                else None,
            },
            "spf": {
                **self.spf_backoff.inspect(now),
                "next_run_in": round(max(0.0, self.spf_at - now), 3) if self.spf_at is not None else None,
            },
            "counters": {
                "drops": dict(sorted(self.drops.items())),
                "packets_in": dict(sorted(self.packets_in.items())),
                "packets_out": dict(sorted(self.packets_out.items())),
                "spf_runs": self.counters["spf_runs"],
                **{k: v for k, v in sorted(self.counters.items()) if k != "spf_runs"},
            },
        }


def _next_beat(last: float, interval: float, now: float) -> float:
    """The next firing of an interval timer that fired for ``last``: ``last + interval``, so that
    the time the firing took to handle does not add up into drift (RFC 2328 §4.4: "Interval timers
    should be implemented to avoid drift"); beats missed while the router was busy are skipped, not
    sent in a burst. The Hello timers of interfaces that came up together stay together: the
    router wakes once per HelloInterval for all of them."""
    nxt = last + interval
    if nxt <= now:
        nxt += interval * (int((now - nxt) // interval) + 1)
    return nxt


def _prefix_order(p: IPv4Network) -> tuple[int, int]:
    """The order of ``IPv4Network.__lt__`` (address, then mask) as a cheap sort key."""
    return (int(p.network_address), p.prefixlen)


def _nh_key(h: NextHop) -> tuple[int, str]:
    return (int(h.gateway) if h.gateway else 0, h.interface or "")
