"""The BGP-4 engine (RFC 4271): sessions, Adj-RIBs, the decision process and propagation.

Every public entry point (``start``, ``handle``, ``stop`` and the admin calls) starts a per-call
output list and ends in :meth:`BgpEngine._finish`, which turns the prefixes whose best route changed
during the call into one ``RoutesChanged`` and one batch of UPDATEs per peer (RFC 4271 §9.2: the
Update-Send process; grouped by attribute set and packed with ``pack_updates``).

Route flow: ``TcpData`` -> ``Session`` (framing, FSM) -> :meth:`session_update` (RFC 7606 handling,
AS4 merge, loop and RR checks, import policy: Adj-RIB-In; an ordinary UPDATE, which ``wire.bgp.lean``
decodes straight to prefix keys and values, takes :meth:`session_lean_update` to the same place) -> :meth:`_decide` per prefix (Phase 2,
§9.1.2: usable routes only, ``decision.best_path``; Loc-RIB) -> :meth:`_finish` (RIB output and Phase
3, §9.1.3: export rules and policy per peer; Adj-RIB-Out diff). A peer with a
MinRouteAdvertisementIntervalTimer (§9.2.1.1) running only notes the changed prefixes; the timer's
expiry (:meth:`session_mrai_expired`) diffs and sends them together.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections import Counter
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network
from typing import Any, NamedTuple

from routesim.proto.base import (
    Action,
    CloseConnection,
    Event,
    Log,
    NextHop,
    RibChanged,
    Route,
    RouteProtocol,
    RoutesChanged,
    SessionEvent,
    TcpDown,
    TcpUp,
    TimerFired,
)
from routesim.proto.bgp.adj_rib import AdjRibIn, AdjRibOut, key_network, key_str, network_key
from routesim.proto.bgp.collision import close_locally_initiated
from routesim.proto.bgp.config import BgpConfig, BgpNeighbor
from routesim.proto.bgp.decision import BestPathReason, Candidate, best_path
from routesim.proto.bgp.events import TcpData
from routesim.proto.bgp.fsm import BgpEvent, BgpState
from routesim.proto.bgp.path import Interner, PathAttrs, new_path_attrs
from routesim.proto.bgp.policy import (
    DEFAULT_RULE,
    LOCAL_PREF_RELATIONSHIP,
    RELATIONSHIP_LOCAL_PREF,
    Policy,
    valley_free,
)
from routesim.proto.bgp.session import Session, max_prefix_data
from routesim.wire.bgp import (
    AS_TRANS,
    CeaseSubcode,
    ErrorHandling,
    MpReachNlri,
    MpUnreachNlri,
    OriginType,
    Prefix,
    Update,
    for_old_speaker,
    from_old_speaker,
    pack_updates,
)
from routesim.wire.bgp.lean import LeanUpdate
from routesim.wire.bgp.notification import describe

_BGP = (RouteProtocol.EBGP, RouteProtocol.IBGP)
_MASKS = tuple((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF for n in range(33))
_MISSING: Any = object()
_MP_TYPES = frozenset((MpReachNlri, MpUnreachNlri))

#: Rows returned by ``inspect`` for each table before it says ``truncated`` (use ``inspect_table``).
INSPECT_LIMIT = 2000

_COUNTERS = (
    "updates_received",
    "updates_sent",
    "prefixes_received",
    "withdrawals_received",
    "treat_as_withdraw",
    "attribute_discard",
    "rejected_loop",
    "rejected_policy",
    "rejected_next_hop",
    "notifications_sent",
    "notifications_received",
    "bad_messages",
    "route_refresh_received",
    "route_refresh_sent",
    "max_prefix",
)


class Resolution(NamedTuple):
    """How a BGP next hop is reached (RFC 4271 §9.1.2.1): the IGP route's next hops and metric."""

    next_hops: frozenset[NextHop]
    cost: int
    via: IPv4Network


class _Source:
    """Something with an Adj-RIB-In the decision process reads: a peer, or our own routes."""

    local = False
    ebgp = False
    relationship: str | None = None

    def __init__(self) -> None:
        self.rib_in = AdjRibIn()

    @property
    def routes(self) -> dict[int, PathAttrs]:
        return self.rib_in.routes


class LocalSource(_Source):
    """Routes we originate (``announce``, ``redistribute``)."""

    local = True
    name = "local"
    relationship = "self"

    def __init__(self, router_id: IPv4Address) -> None:
        super().__init__()
        self.address = router_id
        self.address_int = 0
        self.router_id_int = int(router_id)


class Peer(_Source):
    """A configured neighbour: its primary session (and a colliding one), Adj-RIB-In and -Out."""

    def __init__(self, cfg: BgpNeighbor, session: Session, local_as: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.address = cfg.address
        self.address_int = int(cfg.address)
        self.name = cfg.name
        self.ebgp = cfg.remote_as != local_as
        self.relationship = cfg.relationship
        self.session = session
        self.other: Session | None = None
        self.rib_out = AdjRibOut()
        #: Prefix keys whose export waits for the MinRouteAdvertisementIntervalTimer (§9.2.1.1).
        self.mrai_pending: set[int] = set()
        self.established: Session | None = None
        self.router_id_int = 0
        self.updates_in = 0
        self.updates_out = 0
        self.flaps = 0
        self.last_error = ""
        self.last_state_change = 0.0

    def sessions(self) -> list[Session]:
        return [s for s in (self.session, self.other) if s is not None]


class BgpEngine:
    """One router's BGP-4 instance. See ``routesim.proto.bgp`` for the map and the contract."""

    name = "bgp"

    def __init__(self, config: BgpConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self.counters: Counter[str] = Counter(dict.fromkeys(_COUNTERS, 0))
        self.local = LocalSource(config.router_id)
        self.peers: dict[IPv4Address, Peer] = {}
        self._by_str: dict[str, Peer] = {}
        self._sid = 0
        for n in config.neighbors:
            peer = Peer(n, self._new_session(n, primary=True), config.asn)
            self.peers[n.address] = peer
            self._by_str[str(n.address)] = peer
        self._sources: list[_Source] = [self.local, *self.peers.values()]
        self._conns: dict[Any, Session] = {}
        #: Loc-RIB: prefix key -> the source of the best route (its attributes are in its Adj-RIB-In).
        self.loc: dict[int, _Source] = {}
        self._intern = Interner()
        self._intern_table = self._intern.table
        self._igp_routes: dict[IPv4Network, Route] = {}
        self._igp: dict[int, dict[int, Route]] = {}
        self._igp_lengths: list[int] = []
        self._nh_cache: dict[IPv4Address, Resolution | None] = {}
        #: (next hop object, resolvable) of the last lookup by ``_decide_many``; reset with the cache.
        self._last_nh: tuple[IPv4Address, bool] | None = None
        self._update_peer: tuple[Session, Peer] | None = None
        #: The last next hop found not to be our own address (a table shares one: skip comparing it).
        self._nh_not_local: tuple[IPv4Address, IPv4Address | None] | None = None
        self._export_cache: dict[tuple[int, int, int], tuple[PathAttrs, PathAttrs | None]] = {}
        self._out: list[Action] = []
        self._changed: dict[int, _Source | None] = {}
        self._running = False
        self._now = 0.0
        self._cluster_id = config.effective_cluster_id

    def _new_session(self, neighbor: BgpNeighbor, *, primary: bool) -> Session:
        self._sid += 1
        return Session(self, neighbor, self._sid, primary=primary, rng=self.rng)

    # --- Engine protocol ---------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        """Start every session (RFC 4271 §8.1.2 AutomaticStart, passive peers: event 5)."""
        self._running = True
        self._out, self._changed, self._now = [], {}, now
        self._refresh_local()
        for peer in self.peers.values():
            peer.last_state_change = now
            peer.session.event(peer.session.start_event(automatic=True), now)
        return self._finish(now)

    def handle(self, event: Event | TcpData, now: float) -> list[Action]:
        if not self._running:
            return [CloseConnection(event.conn)] if isinstance(event, TcpUp) else []
        self._out, self._changed, self._now = [], {}, now
        match event:
            case TcpData(conn=conn, data=data):
                session = self._conns.get(conn)
                if session is not None:
                    session.receive(data, now)
            case TimerFired(key=key):
                self._on_timer(key, now)
            case TcpUp():
                self._on_tcp_up(event, now)
            case TcpDown(conn=conn, peer=addr):
                self._on_tcp_down(addr, conn, now)
            case RibChanged(routes=routes):
                self._on_rib(routes)
            case _:
                pass
        return self._finish(now)

    def stop(self, now: float) -> list[Action]:
        """Cease / Administrative Shutdown to every peer (RFC 4486), withdraw our routes from the RIB."""
        if not self._running:
            return []
        self._out, self._changed, self._now = [], {}, now
        for peer in self.peers.values():
            for s in peer.sessions():
                s.automatic_restart = False
                s.event(BgpEvent.MANUAL_STOP, now, cease=(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, b""))
                s.cancel_timers()  # ManualStop in Idle is ignored (§8.2.2); the idle hold must go too
        actions = self._finish(now)
        self._running = False
        return actions

    # --- admin -------------------------------------------------------------------------------

    def _admin(self, address: IPv4Address, now: float, fn: Any) -> list[Action]:
        peer = self.peers.get(IPv4Address(address))
        if peer is None or not self._running:
            return []
        self._out, self._changed, self._now = [], {}, now
        fn(peer)
        return self._finish(now)

    def reset_peer(self, address: IPv4Address, now: float) -> list[Action]:
        """Cease / Administrative Reset (6/4), then start again at once (``bgp_reset`` events)."""

        def reset(peer: Peer) -> None:
            for s in peer.sessions():
                s.event(
                    BgpEvent.MANUAL_STOP, now, cease=(CeaseSubcode.ADMINISTRATIVE_RESET, b""), reason="reset"
                )
            peer.session.event(peer.session.start_event(automatic=False), now)

        return self._admin(address, now, reset)

    def shutdown_peer(self, address: IPv4Address, now: float) -> list[Action]:
        """Cease / Administrative Shutdown (6/2); the session stays Idle until ``enable_peer``."""

        def shut(peer: Peer) -> None:
            for s in peer.sessions():
                s.event(BgpEvent.MANUAL_STOP, now, cease=(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, b""))
                s.cancel_timers()

        return self._admin(address, now, shut)

    def enable_peer(self, address: IPv4Address, now: float) -> list[Action]:
        return self._admin(
            address, now, lambda p: p.session.event(p.session.start_event(automatic=False), now)
        )

    def set_announce(self, prefixes: Iterable[IPv4Network], now: float) -> list[Action]:
        """Replace the ``announce`` list at run time (``announce``/``withdraw`` events) and re-originate."""
        if not self._running:
            return []
        self.config = dataclasses.replace(self.config, announce=tuple(prefixes))
        self._out, self._changed, self._now = [], {}, now
        self._refresh_local()
        return self._finish(now)

    def request_route_refresh(self, address: IPv4Address, now: float) -> list[Action]:
        """Ask the peer to resend its Adj-RIB-Out (RFC 2918 §3)."""

        def refresh(peer: Peer) -> None:
            if peer.established is not None and peer.established.request_route_refresh(now):
                self.counters["route_refresh_sent"] += 1

        return self._admin(address, now, refresh)

    # --- hooks for Session -------------------------------------------------------------------

    def emit(self, action: Action) -> None:
        self._out.append(action)

    def connection_released(self, session: Session) -> None:
        self._conns.pop(session.conn, None)

    def session_changed(
        self, session: Session, old: BgpState, new: BgpState, reason: str, now: float
    ) -> None:
        peer = self.peers[session.peer]
        if session is peer.session:
            if new is BgpState.IDLE and peer.other is not None:
                # The colliding connection takes over (RFC 4271 §6.8); the dumped FSM is discarded.
                session.automatic_restart = False
                peer.session, peer.other = peer.other, None
                peer.session.primary = peer.session.automatic_restart = True
                new = peer.session.state
                reason = f"{reason}; kept the other connection"
            self._out.append(SessionEvent("bgp", str(peer.address), str(old), str(new), reason))
            peer.last_state_change = now
        elif new is BgpState.ESTABLISHED:
            # The colliding connection got there first: it becomes the peer's session, the other
            # one (still waiting for an OPEN) is dumped when its OPEN arrives (§6.8) or closes.
            previous = peer.session
            previous.automatic_restart = previous.primary = False
            session.automatic_restart = session.primary = True
            peer.session, peer.other = session, previous
            self._out.append(
                SessionEvent(
                    "bgp", str(peer.address), str(previous.state), str(new), f"{reason} (2nd connection)"
                )
            )
            peer.last_state_change = now
        else:
            self._log(f"bgp {peer.name}: colliding connection {old} -> {new} ({reason})")
            if new is BgpState.IDLE and peer.other is session:
                peer.other = None
        if session.state is BgpState.ESTABLISHED and old is not BgpState.ESTABLISHED:
            self._established(peer, session, now)
        elif old is BgpState.ESTABLISHED and peer.established is session:
            self._session_down(peer, reason)
        if session.last_error:
            peer.last_error = session.last_error

    def collision_check(self, session: Session, now: float) -> bool:
        """RFC 4271 §6.8 on receipt of an OPEN: False if ``session`` must be dumped."""
        peer = self.peers[session.peer]
        other = peer.other if session is peer.session else peer.session
        if other is None or other is session or other.conn is None:
            return True
        if other.state is BgpState.ESTABLISHED:
            return False
        if other.state is not BgpState.OPEN_CONFIRM:
            return True
        assert session.peer_open is not None
        close_local = close_locally_initiated(
            self.config.router_id, session.peer_open.bgp_identifier, self.config.asn, session.peer_open.asn
        )
        loser = session if session.initiated_locally == close_local else other
        self._log(
            f"bgp {peer.name}: connection collision, closing the connection initiated by "
            f"{'us' if close_local else 'the peer'}"
        )
        if loser is session:
            return False
        other.event(BgpEvent.OPEN_COLLISION_DUMP, now, reason="connection collision")
        return True

    def session_route_refresh(self, session: Session, now: float) -> None:
        """RFC 2918 §4: resend the whole Adj-RIB-Out.

        While the MinRouteAdvertisementIntervalTimer runs (RFC 4271 §9.2.1.1) the Adj-RIB-Out is
        re-sent as the peer has it; the changes held for the timer stay held."""
        peer = self.peers[session.peer]
        self.counters["route_refresh_received"] += 1
        if session.mrai_deadline is not None:
            self._resend_rib_out(peer, session)
            return
        peer.rib_out.routes.clear()
        self._export(peer, list(self.loc))

    def session_mrai_expired(self, session: Session, now: float) -> None:
        """RFC 4271 §9.2.1.1: the MinRouteAdvertisementIntervalTimer expired; what changed while it
        ran goes out now, diffed against the Adj-RIB-Out, so only each prefix's final state is sent
        ("the last route selected SHALL be advertised at the end of" the timer), and a route
        announced and withdrawn again meanwhile, which the peer never saw, is not sent at all."""
        peer = self.peers[session.peer]
        if peer.established is not session:
            return
        pending, peer.mrai_pending = peer.mrai_pending, set()
        if pending:
            self._export(peer, sorted(pending))

    def _update_peer_of(self, session: Session) -> Peer:
        memo = self._update_peer  # UPDATEs come in runs from one session: skip hashing its address
        if memo is not None and memo[0] is session:
            return memo[1]
        peer = self.peers[session.peer]
        self._update_peer = (session, peer)
        return peer

    def session_update(self, session: Session, update: Update, now: float) -> tuple[int, bytes] | None:
        """An UPDATE in Established (RFC 4271 §9, RFC 7606). Returns a Cease to send, if any."""
        peer = self._update_peer_of(session)
        peer.updates_in += 1
        self.counters["updates_received"] += 1
        if update.errors:
            self._update_errors(peer, update)
        if update.errors or not _MP_TYPES.isdisjoint(map(type, update.attributes)):
            withdrawn, announced = update.withdrawn_prefixes(), update.announced_prefixes()
        else:  # the common case, without the codec's per-message attribute index
            withdrawn, announced = update.withdrawn, update.nlri
        received = None
        if announced:
            attrs = update.attributes
            if not session.negotiated.four_octet_as:
                attrs = from_old_speaker(attrs)  # RFC 6793 §4.2.3
            try:
                received = PathAttrs.from_wire(
                    attrs, local_pref=self._import_local_pref(peer), external=peer.ebgp
                )
            except ValueError as exc:  # malformed ORIGINATOR_ID / CLUSTER_LIST: RFC 7606 §7.9-7.10
                self.counters["treat_as_withdraw"] += 1
                self._log(f"bgp {peer.name}: {exc}: treat-as-withdraw", "warning")
        return self._apply_update(
            peer,
            session,
            [(a << 6) | n for a, n in withdrawn],
            [(a << 6) | n for a, n in announced],
            received,
        )

    def session_lean_update(
        self, session: Session, update: LeanUpdate, now: float
    ) -> tuple[int, bytes] | None:
        """``session_update`` for an ordinary UPDATE (``wire.bgp.lean``: no errors, no MP, no
        attributes but ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES, 4-octet AS): the
        same outcome, without the ``Update`` and ``Prefix`` objects. An announcement alone from a
        peer without import policy (a full table's UPDATEs) is done here in one go."""
        memo = self._update_peer
        if memo is not None and memo[0] is session:
            peer = memo[1]
        else:
            peer = self._update_peer_of(session)
        peer.updates_in += 1
        counters = self.counters
        counters["updates_received"] += 1
        withdrawn, nlri, origin, as_path, next_hop, med, lp, communities = update
        if not nlri:
            return self._apply_update(peer, session, withdrawn, nlri, None)
        # What PathAttrs.from_wire makes of these attributes: over eBGP the received LOCAL_PREF is
        # ignored (RFC 4271 §5.1.5).
        if lp is None or peer.ebgp:
            lp = self._import_local_pref(peer)
        if withdrawn or peer.cfg.import_policy is not None:
            received = new_path_attrs(origin, as_path, next_hop, med, lp, communities, None, (), ())
            return self._apply_update(peer, session, withdrawn, nlri, received)
        # _apply_update's announcement without a policy, and _import_check, inlined (no
        # ORIGINATOR_ID or CLUSTER_LIST in a lean UPDATE: only the AS loop and next hop checks).
        counters["prefixes_received"] += len(nlri)
        rib_in = peer.rib_in
        rib_in.received_total += len(nlri)
        asn = self.config.asn
        segs = as_path.segments  # type: ignore[union-attr]
        accepted = None
        if asn in segs[0].asns if len(segs) == 1 else any(asn in seg.asns for seg in segs):
            counters["rejected_loop"] += 1  # RFC 4271 §9.1.2
        else:
            local = session.local_address
            memo = self._nh_not_local
            if memo is not None and memo[0] is next_hop and memo[1] is local:
                accepted = new_path_attrs(origin, as_path, next_hop, med, lp, communities, None, (), ())
            elif next_hop == local:  # §6.3: NEXT_HOP is our own address
                counters["rejected_next_hop"] += 1
            else:
                self._nh_not_local = (next_hop, local)
                accepted = new_path_attrs(origin, as_path, next_hop, med, lp, communities, None, (), ())
            if accepted is not None:
                accepted = self._intern_table.setdefault(accepted, accepted)
        if accepted is None:
            changed: list[int] = []
            self._import_accepted(peer, None, nlri, changed)
            if changed:
                self._decide_many(changed, peer)
        else:
            if rib_in.rejected:
                discard = rib_in.rejected.discard
                for key in nlri:
                    discard(key)
            routes = rib_in.routes
            for key in nlri:
                routes[key] = accepted
            last = self._last_nh
            if (
                len(self._sources) == 2
                and not self.local.rib_in.routes
                and last is not None
                and last[0] is next_hop
                and last[1]
            ):
                # _decide_many's case of a lone usable candidate, inlined: the peer's route wins.
                loc = self.loc
                changed_now = self._changed
                for key in nlri:
                    old = loc.get(key)
                    loc[key] = peer
                    if key not in changed_now:
                        changed_now[key] = old
            else:
                self._decide_many(nlri, peer, accepted)
        return self._max_prefix(peer) if peer.cfg.max_prefix is not None else None

    def _import_local_pref(self, peer: Peer) -> int | None:
        """§9.1.1 degree of preference: from eBGP the relationship's LOCAL_PREF or the default (a
        received LOCAL_PREF is ignored, §5.1.5); over iBGP the received one (default if missing)."""
        if peer.ebgp and peer.relationship is not None:
            return RELATIONSHIP_LOCAL_PREF[peer.relationship]
        return self.config.default_local_pref

    def _apply_update(
        self,
        peer: Peer,
        session: Session,
        withdrawn: list[int],
        announced: list[int],
        received: PathAttrs | None,
    ) -> tuple[int, bytes] | None:
        """Withdraw, import (``received`` None: malformed, treat-as-withdraw), decide, check the
        prefix limit. Prefixes are keys ``address << 6 | length``."""
        routes = peer.rib_in.routes
        changed: list[int] = []
        if withdrawn:
            self.counters["withdrawals_received"] += len(withdrawn)
            rejected = peer.rib_in.rejected
            for key in withdrawn:
                if routes.pop(key, None) is not None:
                    changed.append(key)
                elif rejected:
                    rejected.discard(key)
        if announced:
            self.counters["prefixes_received"] += len(announced)
            peer.rib_in.received_total += len(announced)
            self._import(peer, session, received, announced, changed)
        if changed:
            self._decide_many(changed, peer)
        return self._max_prefix(peer)

    def _max_prefix(self, peer: Peer) -> tuple[int, bytes] | None:
        limit = peer.cfg.max_prefix
        routes = peer.rib_in.routes
        if limit is not None and len(routes) > limit:
            # RFC 4271 §8.1.2 AutomaticStop with RFC 4486 Cease / Maximum Number of Prefixes Reached.
            self.counters["max_prefix"] += 1
            self._log(
                f"bgp {peer.name}: {len(routes)} prefixes exceed max-prefix {limit}",
                "warning",
                peer=str(peer.address),
            )
            return (CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED, max_prefix_data(limit))
        return None

    # --- import ------------------------------------------------------------------------------

    def _update_errors(self, peer: Peer, update: Update) -> None:
        for err in update.errors:
            if err.handling == ErrorHandling.TREAT_AS_WITHDRAW:
                self.counters["treat_as_withdraw"] += 1
            elif err.handling == ErrorHandling.ATTRIBUTE_DISCARD:
                self.counters["attribute_discard"] += 1
            self._log(
                f"bgp {peer.name}: UPDATE error {describe(err.code, err.subcode)} ({err.reason}): "
                f"{err.handling.name.lower().replace('_', '-')}",
                "warning",
                peer=str(peer.address),
                code=err.code,
                subcode=err.subcode,
            )

    def _import(
        self,
        peer: Peer,
        session: Session,
        received: PathAttrs | None,
        announced: list[int],
        changed: list[int],
    ) -> None:
        """Adj-RIB-In for the announced prefix keys: one attribute object for the whole UPDATE."""
        accepted = None if received is None else self._import_check(session, received)
        self._import_accepted(peer, accepted, announced, changed)

    def _import_accepted(
        self, peer: Peer, accepted: PathAttrs | None, announced: list[int], changed: list[int]
    ) -> None:
        """``_import`` after the checks: ``accepted`` None when loop, next hop or a malformed
        attribute rejected the UPDATE."""
        routes = peer.rib_in.routes
        rejected = peer.rib_in.rejected
        policy = peer.cfg.import_policy
        if accepted is not None and policy is not None and not policy.prefix_independent:
            for key in announced:
                out = self._apply_policy(
                    policy, key >> 6, key & 63, accepted, prepend_as=accepted.neighbor_as
                )
                old = routes.pop(key, None)
                if out is None:
                    self.counters["rejected_policy"] += 1
                    rejected.add(key)
                    if old is not None:
                        changed.append(key)
                else:
                    routes[key] = out
                    rejected.discard(key)
                    changed.append(key)
            return
        if accepted is not None and policy is not None:
            accepted = self._apply_policy(policy, 0, 0, accepted, prepend_as=accepted.neighbor_as)
            if accepted is None:
                self.counters["rejected_policy"] += len(announced)
        if accepted is None:
            for key in announced:
                if routes.pop(key, None) is not None:
                    changed.append(key)
                rejected.add(key)
            return
        if rejected:
            for key in announced:
                rejected.discard(key)
        for key in announced:
            routes[key] = accepted
        changed += announced

    def _import_check(self, session: Session, received: PathAttrs) -> PathAttrs | None:
        """Loop checks (RFC 4271 §9.1.2, RFC 4456 §8) and NEXT_HOP not ours (§6.3); the interned
        attributes when the route may be used."""
        if received.contains_as(self.config.asn):
            self.counters["rejected_loop"] += 1
            return None
        originator = received.originator_id  # (None == IPv4Address runs ipaddress's slow __eq__)
        if (
            originator is not None and originator == self.config.router_id
        ) or self._cluster_id in received.cluster_list:
            self.counters["rejected_loop"] += 1
            return None
        nh = received.next_hop
        if nh is not None:
            local = session.local_address
            memo = self._nh_not_local
            if memo is None or memo[0] is not nh or memo[1] is not local:
                if nh == local:
                    self.counters["rejected_next_hop"] += 1
                    return None
                self._nh_not_local = (nh, local)
        return self._intern(received)

    def _apply_policy(
        self, policy: Policy, address: int, length: int, attrs: PathAttrs, *, prepend_as: int | None
    ) -> PathAttrs | None:
        index = policy.decide(address, length, attrs)
        if not policy.accepts(index):
            return None
        if index == DEFAULT_RULE:
            return attrs
        return self._intern(policy.rules[index].apply(attrs, prepend_as))

    # --- decision (Phase 2, RFC 4271 §9.1.2) --------------------------------------------------

    def _resolve(self, nh: IPv4Address) -> Resolution | None:
        """Longest match of the next hop among non-BGP routes, default route excluded (§9.1.2.1)."""
        res = self._nh_cache.get(nh, _MISSING)
        if res is not _MISSING:
            return res
        address = int(nh)
        res = None
        for length in self._igp_lengths:
            route = self._igp[length].get(address & _MASKS[length])
            if route is not None:
                hops = frozenset(NextHop(h.gateway or nh, h.interface) for h in route.next_hops)
                res = Resolution(hops or frozenset({NextHop(nh, None)}), route.metric, route.prefix)
                break
        self._nh_cache[nh] = res
        return res

    def _candidates(self, key: int) -> list[Candidate]:
        out = []
        for src in self._sources:
            a = src.routes.get(key)
            if a is None:
                continue
            if src.local:
                cost = 0
            else:
                res = self._resolve(a.next_hop) if a.next_hop is not None else None
                if res is None:
                    continue
                cost = res.cost
            out.append(
                Candidate(
                    src,
                    src.local,
                    a.local_pref if a.local_pref is not None else self.config.default_local_pref,
                    a.path_length,
                    a.origin,
                    a.neighbor_as,
                    a.med or 0,
                    src.ebgp,
                    cost,
                    int(a.originator_id) if a.originator_id is not None else src.router_id_int,
                    len(a.cluster_list),
                    src.address_int,
                )
            )
        return out

    def _decide_many(self, keys: list[int], touched: _Source, same: PathAttrs | None = None) -> None:
        """``_decide`` for many keys of one source, fast when no other source has the prefix (the
        common case of a full table from one peer): usability is computed once per attribute set.
        ``same``: every key's route in ``touched`` is this attribute object (one UPDATE's)."""
        others = [s.rib_in.routes for s in self._sources if s is not touched and s.rib_in.routes]
        if len(others) > 2:
            for key in keys:
                self._decide(key)
            return
        loc = self.loc
        changed = self._changed
        if same is not None and not others and self._usable(same):
            for key in keys:  # the one candidate wins
                old = loc.get(key)
                loc[key] = touched
                if key not in changed:
                    changed[key] = old
            return
        routes = touched.rib_in.routes
        usable: dict[int, bool] = {}
        last_nh = self._last_nh  # usually one next hop for a whole table: skip ipaddress hashing
        last_a, last_ok = None, None  # the prefixes of one UPDATE share one attribute object
        for key in keys:
            if others and (key in others[0] or (len(others) > 1 and key in others[1])):
                self._decide(key)
                continue
            old = loc.get(key)
            a = routes.get(key)
            if a is not None:
                ok = last_ok if a is last_a else usable.get(id(a))
                if ok is None:
                    nh = a.next_hop
                    if nh is None:
                        ok = True
                    elif last_nh is not None and nh is last_nh[0]:
                        ok = last_nh[1]
                    else:
                        ok = self._resolve(nh) is not None
                        last_nh = self._last_nh = (nh, ok)
                    usable[id(a)] = ok
                last_a, last_ok = a, ok
                if not ok:
                    a = None
            if a is None:
                if old is None:
                    continue
                del loc[key]
            else:
                loc[key] = touched
            if key not in changed:
                changed[key] = old

    def _usable(self, attrs: PathAttrs) -> bool:
        """§9.1.2.1: the next hop resolves (or there is none: our own route)."""
        nh = attrs.next_hop
        if nh is None:
            return True
        last = self._last_nh  # usually one next hop for a whole table: skip ipaddress hashing
        if last is not None and nh is last[0]:
            return last[1]
        ok = self._resolve(nh) is not None
        self._last_nh = (nh, ok)
        return ok

    def _decide(self, key: int) -> None:
        """Re-run the decision for one prefix; note it in ``_changed`` if the best route changed."""
        old = self.loc.get(key)
        new = None
        count = 0
        nh_cache = self._nh_cache
        for src in self._sources:
            a = src.rib_in.routes.get(key)
            if a is None:
                continue
            nh = a.next_hop
            if nh is not None:
                res = nh_cache.get(nh, _MISSING)
                if res is _MISSING:
                    res = self._resolve(nh)
                if res is None:
                    continue
            count += 1
            new = src
        if count > 1:
            found = best_path(self._candidates(key))
            new = found[0].source if found else None  # type: ignore[assignment]
        if new is None:
            if old is None:
                return
            del self.loc[key]
        elif new is not old:
            self.loc[key] = new
        # Same winner: still re-emitted, since its attributes or the reason it won may have changed
        # (the Adj-RIB-Out diff keeps peers from seeing duplicates).
        if key not in self._changed:
            self._changed[key] = old

    def best(self, key: int) -> tuple[_Source, PathAttrs, BestPathReason] | None:
        """The Loc-RIB entry of a prefix key with the reason it won."""
        cands = self._candidates(key)
        found = best_path(cands)
        if found is None:
            return None
        src = found[0].source
        assert isinstance(src, _Source)
        return src, src.routes[key], found[1]

    # --- RIB input: next hops, announce, redistribute -------------------------------------------

    def _on_rib(self, routes: Iterable[Route]) -> None:
        igp = {r.prefix: r for r in routes if r.protocol not in _BGP}
        if igp == self._igp_routes:
            return
        self._igp_routes = igp
        by_len: dict[int, dict[int, Route]] = {}
        for prefix, route in igp.items():
            if prefix.prefixlen:  # the default route does not resolve next hops
                by_len.setdefault(prefix.prefixlen, {})[int(prefix.network_address)] = route
        self._igp = by_len
        self._igp_lengths = sorted(by_len, reverse=True)
        old = self._nh_cache
        self._nh_cache = {}
        self._last_nh = None
        moved = {nh for nh, res in old.items() if self._resolve(nh) != res}
        if moved:
            self._log(f"bgp: next-hop resolution changed for {', '.join(sorted(map(str, moved)))}")
            for src in self._sources:
                for key, a in list(src.routes.items()):
                    if a.next_hop in moved:
                        self._decide(key)
        self._refresh_local()

    def _covered(self, net: IPv4Network) -> bool:
        """A non-BGP route for ``net`` or a less specific one (not the default route) is in the RIB."""
        address = int(net.network_address)
        for length in self._igp_lengths:
            if length <= net.prefixlen and address & _MASKS[length] in self._igp[length]:
                return True
        return net.prefixlen == 0 and any(p.prefixlen == 0 for p in self._igp_routes)

    def _refresh_local(self) -> None:
        want: dict[int, PathAttrs] = {}
        redistribute = self.config.redistribute
        if redistribute:
            for prefix, route in self._igp_routes.items():
                if route.protocol in redistribute:
                    med = route.metric if route.protocol in (RouteProtocol.OSPF, RouteProtocol.RIP) else None
                    want[network_key(prefix)] = self._intern(PathAttrs(origin=OriginType.INCOMPLETE, med=med))
        for net in self.config.announce:
            if self.config.announce_always or self._covered(net):
                want[network_key(net)] = self._intern(PathAttrs(origin=OriginType.IGP))
        routes = self.local.routes
        for key in [k for k in routes if k not in want]:
            del routes[key]
            self._decide(key)
        for key, attrs in want.items():
            if routes.get(key) is not attrs:
                routes[key] = attrs
                self._decide(key)

    # --- sessions ------------------------------------------------------------------------------

    def _on_tcp_up(self, ev: TcpUp, now: float) -> None:
        peer = self.peers.get(ev.peer)
        if peer is None:
            self._log(f"bgp: connection from unconfigured {ev.peer} refused", "warning")
            self._out.append(CloseConnection(ev.conn))
            return
        event = BgpEvent.TCP_CONNECTION_CONFIRMED if ev.passive else BgpEvent.TCP_CR_ACKED
        primary = peer.session
        if primary.conn is None and primary.state in (BgpState.CONNECT, BgpState.ACTIVE):
            primary.bind(ev.conn, ev.local, initiated_locally=not ev.passive)
            self._conns[ev.conn] = primary
            primary.event(event, now)
            return
        if primary.conn is None or primary.state is BgpState.ESTABLISHED or peer.other is not None:
            # Idle refuses connections (§8.2.2); a newcomer against Established is closed (§6.8).
            self._log(f"bgp {peer.name}: connection refused in {primary.state}")
            self._out.append(CloseConnection(ev.conn))
            return
        other = self._new_session(peer.cfg, primary=False)
        other.state = BgpState.ACTIVE
        other.bind(ev.conn, ev.local, initiated_locally=not ev.passive)
        self._conns[ev.conn] = other
        peer.other = other
        self._log(f"bgp {peer.name}: second connection while {primary.state} (collision candidate)")
        other.event(event, now)

    def _on_tcp_down(self, address: IPv4Address, conn: Any, now: float) -> None:
        session = self._conns.get(conn)
        if session is None:
            peer = self.peers.get(address)
            if peer is not None and conn is None and peer.session.conn is None:
                peer.session.event(BgpEvent.TCP_CONNECTION_FAILS, now, reason="connect failed")
            return
        self._conns.pop(conn, None)
        session.conn = None  # already gone: nothing to close
        session.event(BgpEvent.TCP_CONNECTION_FAILS, now, reason="connection closed")

    def _on_timer(self, key: Any, now: float) -> None:
        if not (isinstance(key, tuple) and len(key) == 4 and key[0] == "bgp"):
            return
        peer = self._by_str.get(key[1])
        if peer is None:
            return
        for s in peer.sessions():
            if s.sid == key[2]:
                s.on_timer(key[3], now)
                return

    def _established(self, peer: Peer, session: Session, now: float) -> None:
        peer.established = session
        assert session.peer_open is not None
        peer.router_id_int = int(session.peer_open.bgp_identifier)
        self._export_cache.clear()
        peer.rib_out.routes.clear()
        peer.mrai_pending.clear()  # the first UPDATEs of a session go at once (no timer runs yet)
        self._log(f"bgp {peer.name}: session Established", peer=str(peer.address))
        self._export(peer, list(self.loc))

    def _session_down(self, peer: Peer, reason: str) -> None:
        """Leaving Established: forget the peer's routes (§8.2.2 "deletes all routes")."""
        session = peer.established
        peer.established = None
        peer.flaps += 1
        peer.rib_out.routes.clear()
        peer.mrai_pending.clear()  # nothing held survives the session, nor its timer
        if session is not None:
            session.cancel_mrai()
        self._export_cache.clear()
        for key in peer.rib_in.clear():
            self._decide(key)

    # --- export (Phase 3, RFC 4271 §9.1.3, §9.2) ---------------------------------------------

    def _export_attrs(self, peer: Peer, key: int, src: _Source, attrs: PathAttrs) -> PathAttrs | None:
        """What ``peer`` should hold for this prefix (None: nothing), with the caches."""
        policy = peer.cfg.export_policy
        ck = (id(attrs), id(src), id(peer))
        hit = self._export_cache.get(ck)
        if hit is not None and hit[0] is attrs:
            out = hit[1]
        else:
            out = self._export_transform(peer, src, attrs)
            if out is not None and policy is not None and policy.prefix_independent:
                out = self._apply_policy(policy, 0, 0, out, prepend_as=self.config.asn if peer.ebgp else None)
            if len(self._export_cache) > 100_000:
                self._export_cache.clear()
            self._export_cache[ck] = (attrs, out)
        if out is not None and policy is not None and not policy.prefix_independent:
            out = self._apply_policy(
                policy, key >> 6, key & 63, out, prepend_as=self.config.asn if peer.ebgp else None
            )
        return out

    def _export_transform(self, peer: Peer, src: _Source, attrs: PathAttrs) -> PathAttrs | None:
        """The propagation rules and attribute rewriting for one (route, target peer) pair."""
        if src is peer or attrs.no_advertise:
            return None
        session = peer.established
        if session is None:
            return None
        local_address = session.local_address or self.config.router_id
        reflected = not src.local and not src.ebgp
        if peer.ebgp:
            if attrs.no_export:  # RFC 1997
                return None
            if peer.cfg.remote_as != AS_TRANS and attrs.contains_as(
                peer.cfg.remote_as
            ):  # the peer would drop it (§9.1.2): don't send
                return None
        elif reflected:
            # RFC 4271 §9.1.1: iBGP-learned routes are not sent to iBGP peers, except by a route
            # reflector (RFC 4456 §6): from a client to everyone, from a non-client to clients only.
            assert isinstance(src, Peer)
            if not (src.cfg.route_reflector_client or peer.cfg.route_reflector_client):
                return None
        if peer.relationship is not None:
            source_rel = (
                src.relationship if not reflected else LOCAL_PREF_RELATIONSHIP.get(attrs.local_pref or -1)
            )
            if not valley_free(source_rel, peer.relationship):
                return None
        if peer.ebgp:
            # §5.1.2: prepend our AS; §5.1.3: NEXT_HOP = our address on the session; §5.1.4/5.1.5:
            # MED and LOCAL_PREF are not sent to external peers (MED only if the export policy sets it).
            return self._intern(
                PathAttrs(
                    origin=attrs.origin,
                    as_path=attrs.as_path.prepend(self.config.asn),
                    next_hop=local_address,
                    communities=attrs.communities,
                    extra=attrs.extra,
                )
            )
        if src.local or attrs.next_hop is None or (peer.cfg.next_hop_self and not reflected):
            next_hop = local_address
        else:
            next_hop = attrs.next_hop
        originator, clusters = None, ()
        if reflected:
            assert isinstance(src, Peer)
            originator = attrs.originator_id or IPv4Address(src.router_id_int)  # RFC 4456 §8
            clusters = (self._cluster_id, *attrs.cluster_list)
        return self._intern(
            PathAttrs(
                origin=attrs.origin,
                as_path=attrs.as_path,
                next_hop=next_hop,
                med=attrs.med,
                local_pref=attrs.local_pref
                if attrs.local_pref is not None
                else self.config.default_local_pref,
                communities=attrs.communities,
                originator_id=originator,
                cluster_list=clusters,
                extra=attrs.extra,
            )
        )

    def _export(self, peer: Peer, keys: Iterable[int]) -> None:
        """Diff ``keys`` against the peer's Adj-RIB-Out and send the UPDATEs (§9.2).

        Rate limiting (RFC 4271 §9.2.1.1, MinRouteAdvertisementIntervalTimer, the neighbour's
        ``min_route_advertisement``): "two UPDATE messages sent by a BGP speaker to a peer that
        advertise feasible routes and/or withdrawal of unfeasible routes to some common set of
        destinations MUST be separated by at least" the interval. One timer per peer (the RFC
        allows any technique that keeps that bound): after UPDATEs went out it runs, and while it
        runs the keys are only noted; at expiry (``session_mrai_expired``) they are diffed and sent
        together. Withdrawals wait too: RFC 4271 names them, unlike RFC 1771 §9.2.3.1, which
        exempted them. An interval of 0 sends at once, at the end of every engine call."""
        session = peer.established
        if session is None:
            return
        rib_out = peer.rib_out.routes
        if not rib_out and all(not s.rib_in.routes for s in self._sources if s is not peer):
            return  # every Loc-RIB route is the peer's own (a full table from one peer): nothing to send
        if session.mrai_deadline is not None:
            peer.mrai_pending.update(keys)
            return
        loc = self.loc
        announce: dict[PathAttrs, list[Prefix]] = {}
        withdraw: list[Prefix] = []
        export_attrs = self._export_attrs
        for key in keys:
            src = loc.get(key)
            if src is None or src is peer:
                out = None
            else:
                out = export_attrs(peer, key, src, src.rib_in.routes[key])
            if out is None:
                if rib_out and rib_out.pop(key, None) is not None:
                    withdraw.append(Prefix(key >> 6, key & 63))
            elif rib_out.get(key) is not out:
                rib_out[key] = out
                bucket = announce.get(out)
                if bucket is None:
                    announce[out] = bucket = []
                bucket.append(Prefix(key >> 6, key & 63))
        if not announce and not withdraw:
            return
        self._send_updates(peer, session, announce, withdraw)
        interval = peer.cfg.min_route_advertisement
        if interval > 0:
            # §10: jitter x[0.75, 1], a new value each time the timer is set (as ConnectRetryTimer).
            session.arm_mrai(self._now + interval * self.rng.uniform(0.75, 1.0))

    def _resend_rib_out(self, peer: Peer, session: Session) -> None:
        """The whole Adj-RIB-Out again, as the peer already has it (no diff, no timer)."""
        announce: dict[PathAttrs, list[Prefix]] = {}
        for key, out in peer.rib_out.routes.items():
            announce.setdefault(out, []).append(Prefix(key >> 6, key & 63))
        if announce:
            self._send_updates(peer, session, announce, [])

    def _send_updates(
        self, peer: Peer, session: Session, announce: dict[PathAttrs, list[Prefix]], withdraw: list[Prefix]
    ) -> None:
        """Withdrawals first, then one packed run of UPDATEs per attribute set, in one ``Send``."""
        negotiated = session.negotiated
        chunks: list[bytes] = []
        if withdraw:
            chunks += [u.encode(negotiated) for u in pack_updates((), (), withdraw, negotiated)]
        for out, prefixes in announce.items():
            assert out.next_hop is not None
            wire = out.to_wire(out.next_hop)
            if not negotiated.four_octet_as:
                wire = for_old_speaker(wire)  # RFC 6793 §4.2.2
            chunks += [u.encode(negotiated) for u in pack_updates(wire, prefixes, (), negotiated)]
        peer.updates_out += len(chunks)
        self.counters["updates_sent"] += len(chunks)
        session.send(b"".join(chunks), self._now, "update", len(chunks))

    # --- output --------------------------------------------------------------------------------

    def _finish(self, now: float) -> list[Action]:
        changed = self._changed
        self._changed = {}
        if changed:
            if self.config.install_routes:
                self._rib_output(changed)
            for peer in self.peers.values():
                if peer.established is not None:
                    self._export(peer, changed)
        out, self._out = self._out, []
        return out

    def _rib_output(self, changed: dict[int, _Source | None]) -> None:
        upserts: list[Route] = []
        withdrawals: list[tuple[IPv4Network, RouteProtocol]] = []
        tables = [s.rib_in.routes for s in self._sources if s.rib_in.routes]
        cache: dict[tuple[int, int], tuple[PathAttrs, Route]] = {}
        for key, old in changed.items():
            new = self.loc.get(key)
            if new is None or new.local:
                if old is not None and not old.local:
                    withdrawals.append(
                        (key_network(key), RouteProtocol.EBGP if old.ebgp else RouteProtocol.IBGP)
                    )
                continue
            reason = BestPathReason.ONLY
            if len(tables) > 1 and sum(1 for t in tables if key in t) > 1:
                found = self.best(key)
                if found is not None:
                    reason = found[2]
            attrs = new.rib_in.routes[key]
            ck = (id(attrs), id(new))
            hit = cache.get(ck)
            if hit is None or reason is not BestPathReason.ONLY:
                template = self._rib_route(new, attrs, reason)
                if reason is BestPathReason.ONLY:
                    cache[ck] = (attrs, template)
            else:
                template = hit[1]
            # One template per attribute set; only the prefix differs (dataclasses.replace is slow).
            route = object.__new__(Route)
            route.__dict__.update(template.__dict__)
            object.__setattr__(route, "prefix", key_network(key))
            upserts.append(route)
        if upserts or withdrawals:
            self._out.append(RoutesChanged(tuple(upserts), tuple(withdrawals)))

    def _rib_route(self, src: _Source, attrs: PathAttrs, reason: BestPathReason, key: int = 0) -> Route:
        """The RIB route for ``attrs`` (a template with prefix 0.0.0.0/0 unless ``key`` is given)."""
        assert attrs.next_hop is not None
        res = self._resolve(attrs.next_hop)
        assert res is not None
        return Route(
            key_network(key),
            RouteProtocol.EBGP if src.ebgp else RouteProtocol.IBGP,
            attrs.med or 0,
            res.next_hops,
            attrs=(
                ("as_path", attrs.as_path_str),
                ("local_pref", attrs.local_pref),
                ("origin", attrs.origin_name),
                ("next_hop", str(attrs.next_hop)),
                ("communities", attrs.community_str),
                ("peer", str(src.address)),
                ("reason", str(reason)),
            ),
        )

    def _log(self, message: str, level: str = "info", **fields: Any) -> None:
        self._out.append(Log(message, level, tuple(sorted(fields.items()))))

    # --- inspection ----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The earliest armed timer (a convenience for tests and the sim)."""
        times = [t for p in self.peers.values() for s in p.sessions() for t in s.deadlines().values()]
        return min(times, default=None)

    def _route_rows(self, keys: Iterable[int], limit: int | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for key in keys:
            best = self.best(key)
            for src in self._sources:
                a = src.routes.get(key)
                if a is None:
                    continue
                is_best = best is not None and best[0] is src
                usable = src.local or (a.next_hop is not None and self._resolve(a.next_hop) is not None)
                rows.append(
                    {
                        "prefix": key_str(key),
                        "best": is_best,
                        **a.to_json(),
                        "peer": "local" if src.local else str(src.address),
                        "reason": str(best[2]) if is_best and best is not None else None,
                        **({} if usable else {"unusable": "next hop unresolved"}),
                    }
                )
            if limit is not None and len(rows) >= limit:
                break
        return rows

    def inspect_table(
        self, which: str, peer: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """One table in full (or up to ``limit`` rows): ``routes`` (Loc-RIB with every candidate),
        ``rib_in`` or ``rib_out`` of ``peer``."""
        if which == "routes":
            all_keys = {k for s in self._sources for k in s.routes}
            keys = sorted(all_keys) if limit is None else heapq.nsmallest(limit, all_keys)
            return self._route_rows(keys, limit)
        p = self._by_str.get(peer or "")
        if p is None:
            return []
        table = p.rib_in.routes if which == "rib_in" else p.rib_out.routes
        rows = []
        for key in sorted(table) if limit is None else heapq.nsmallest(limit, table):
            rows.append({"prefix": key_str(key), **table[key].to_json()})
            if limit is not None and len(rows) >= limit:
                break
        return rows

    def summary(self) -> dict[str, Any]:
        """The counts of ``inspect()["summary"]`` alone: O(neighbours), never walks a table, so it
        can be polled while a full table arrives."""
        return {
            "asn": self.config.asn,
            "router_id": str(self.config.router_id),
            "cluster_id": str(self._cluster_id),
            "neighbors": len(self.peers),
            "established": sum(1 for p in self.peers.values() if p.established is not None),
            "prefixes_received": sum(p.rib_in.received for p in self.peers.values()),
            "prefixes_accepted": sum(p.rib_in.accepted for p in self.peers.values()),
            "loc_rib": len(self.loc),
            "attribute_sets": len(self._intern),
        }

    def inspect(self, now: float) -> dict[str, Any]:
        total = sum(len(s.routes) for s in self._sources)
        return {
            "protocol": "bgp",
            "summary": self.summary(),
            "neighbors": [self._neighbor_json(p, now) for p in self.peers.values()],
            "routes": self.inspect_table("routes", limit=INSPECT_LIMIT),
            "routes_truncated": total > INSPECT_LIMIT,
            "rib_in": {str(a): self.inspect_table("rib_in", str(a), INSPECT_LIMIT) for a in self.peers},
            "rib_out": {str(a): self.inspect_table("rib_out", str(a), INSPECT_LIMIT) for a in self.peers},
            "counters": dict(self.counters),
        }

    def _neighbor_json(self, p: Peer, now: float) -> dict[str, Any]:
        s = p.established or p.session
        msgs_in: Counter[str] = Counter()
        msgs_out: Counter[str] = Counter()
        for x in p.sessions():
            msgs_in.update(x.messages_in)
            msgs_out.update(x.messages_out)
        return {
            "address": str(p.address),
            "remote_as": p.cfg.remote_as,
            "description": p.cfg.description,
            "type": "ebgp" if p.ebgp else "ibgp",
            "state": str(p.session.state),
            "uptime": round(now - s.established_at, 3) if s.established_at is not None else None,
            "since": round(now - p.last_state_change, 3),
            "remote_id": str(s.remote_id) if s.remote_id else None,
            "local_address": str(s.local_address) if s.local_address else None,
            "messages_in": dict(msgs_in),
            "messages_out": dict(msgs_out),
            "updates_in": p.updates_in,
            "updates_out": p.updates_out,
            "prefixes_received": p.rib_in.received,
            "prefixes_accepted": p.rib_in.accepted,
            "prefixes_advertised": len(p.rib_out),
            "hold_time": s.hold_time if p.established is not None else None,
            "mrai": p.cfg.min_route_advertisement,
            "mrai_pending": len(p.mrai_pending),
            "mrai_expires_in": round(s.mrai_deadline - now, 3) if s.mrai_deadline is not None else None,
            "keepalive": s.keepalive_time if p.established is not None else None,
            "four_octet_as": s.negotiated.four_octet_as if p.established is not None else None,
            "route_reflector_client": p.cfg.route_reflector_client,
            "relationship": p.cfg.relationship,
            "flaps": p.flaps,
            "connect_retry_counter": p.session.connect_retry_counter,
            "last_error": p.last_error or None,
        }
