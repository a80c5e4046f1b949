"""The neighbor state machine (RFC 2328 §10.3), adjacency rules (§10.4), Database Description
exchange (§10.6, §10.8) and Link State Requests (§10.7, §10.9).

The machine is the table :data:`NEIGHBOR_FSM`: ``(state, event) -> (action, next state)``; a next
state of ``None`` means the action decides (adjacency decisions, ExchangeDone) or, for the "no
change" rows, that the state stays. A missing pair is an event the state ignores: §10.3 lists every
transition, and the ones it does not list (say ExchangeDone in Full) cannot happen here. FRR's
``ospf_nsm.c`` and BIRD's ``neighbor.c`` have the same shape.

:func:`set_state` is the only place a neighbor's state changes: it emits the ``SessionEvent`` and
trace line, fires NeighborChange on broadcast interfaces when 2-Way is crossed (§9.2), starts the
ExStart negotiation on entry (§10.8: new DD sequence number, master, empty I|M|MS packet), clears the
lists when the adjacency goes below ExStart, and asks for router-/network-LSA re-origination when
Full is entered or left (§12.4).

DD exchange (§10.8): the master (the higher Router ID) retransmits its last DD every RxmtInterval
until the slave echoes the sequence number; the slave never retransmits on a timer but answers a
duplicate of the master's last packet with its own last packet. Every LSA header newer than our copy
goes on the Link State Request list, and requests go out while the exchange is still running.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from routesim.proto.base import SessionEvent
from routesim.proto.ospf.interface import NO_ROUTER, Interface, InterfaceEvent, interface_event
from routesim.proto.ospf.lsdb import LsaKey, compare_instances, scope_of
from routesim.wire.ospf import (
    DatabaseDescription,
    DdFlags,
    LinkStateRequest,
    LsaHeader,
    LsRequest,
    LsType,
    Options,
)
from routesim.wire.ospf.header import ALL_SPF_ROUTERS

if TYPE_CHECKING:
    from routesim.proto.ospf.engine import OspfEngine
    from routesim.wire.ospf import Lsa

#: Room the IP header and the OSPF header take from the interface MTU (+16 for an MD5 digest).
PACKET_OVERHEAD = 20 + 24 + 16
NO_OPTIONS = Options(0)


class NeighborState(enum.IntEnum):
    """§10.1 neighbor states, ordered so that ``>=`` reads as in the RFC ("2-Way or greater")."""

    DOWN = 0
    ATTEMPT = 1
    INIT = 2
    TWO_WAY = 3
    EX_START = 4
    EXCHANGE = 5
    LOADING = 6
    FULL = 7

    @property
    def label(self) -> str:
        return {
            NeighborState.TWO_WAY: "2-Way",
            NeighborState.EX_START: "ExStart",
        }.get(self, self.name.capitalize())


class NeighborEvent(enum.Enum):
    """§10.2 neighbor events."""

    HELLO_RECEIVED = "HelloReceived"
    START = "Start"
    TWO_WAY_RECEIVED = "2-WayReceived"
    NEGOTIATION_DONE = "NegotiationDone"
    EXCHANGE_DONE = "ExchangeDone"
    BAD_LS_REQ = "BadLSReq"
    LOADING_DONE = "LoadingDone"
    ADJ_OK = "AdjOK?"
    SEQ_NUMBER_MISMATCH = "SeqNumberMismatch"
    ONE_WAY = "1-WayReceived"
    KILL_NBR = "KillNbr"
    INACTIVITY_TIMER = "InactivityTimer"
    LL_DOWN = "LLDown"


N, V = NeighborState, NeighborEvent
_ALL = tuple(NeighborState)
_TWO_WAY_PLUS = (N.TWO_WAY, N.EX_START, N.EXCHANGE, N.LOADING, N.FULL)
_SYNCING = (N.EXCHANGE, N.LOADING, N.FULL)

#: §10.3 as a table. Actions are the functions of :data:`_ACTIONS`.
NEIGHBOR_FSM: dict[tuple[NeighborState, NeighborEvent], tuple[str, NeighborState | None]] = {
    (N.DOWN, V.START): ("start", N.ATTEMPT),  # NBMA only: never raised by this engine
    (N.ATTEMPT, V.HELLO_RECEIVED): ("inactivity", N.INIT),
    (N.DOWN, V.HELLO_RECEIVED): ("inactivity", N.INIT),
    **{(s, V.HELLO_RECEIVED): ("inactivity", None) for s in (N.INIT, *_TWO_WAY_PLUS)},
    (N.INIT, V.TWO_WAY_RECEIVED): ("adjacency", None),
    **{(s, V.TWO_WAY_RECEIVED): ("none", None) for s in _TWO_WAY_PLUS},
    (N.EX_START, V.NEGOTIATION_DONE): ("summary", N.EXCHANGE),
    (N.EXCHANGE, V.EXCHANGE_DONE): ("exchange_done", None),
    (N.LOADING, V.LOADING_DONE): ("none", N.FULL),
    (N.TWO_WAY, V.ADJ_OK): ("adjacency", None),
    **{(s, V.ADJ_OK): ("keep_adjacency", None) for s in (N.EX_START, *_SYNCING)},
    **{(s, V.SEQ_NUMBER_MISMATCH): ("none", N.EX_START) for s in _SYNCING},
    **{(s, V.BAD_LS_REQ): ("none", N.EX_START) for s in _SYNCING},
    **{(s, ev): ("none", N.DOWN) for s in _ALL for ev in (V.KILL_NBR, V.LL_DOWN, V.INACTIVITY_TIMER)},
    **{(s, V.ONE_WAY): ("none", N.INIT) for s in _TWO_WAY_PLUS},
    (N.INIT, V.ONE_WAY): ("none", None),
}


@dataclass
class Neighbor:
    """§10 neighbor data structure (one per neighbor per interface)."""

    router_id: IPv4Address
    address: IPv4Address
    iface: str
    state: NeighborState = NeighborState.DOWN
    priority: int = 0
    dr: IPv4Address = NO_ROUTER
    bdr: IPv4Address = NO_ROUTER
    options: Options = NO_OPTIONS  # from the last Hello
    dd_options: Options = NO_OPTIONS  # from the DD that ended ExStart (§10.6 checks DDs against it)
    since: float = 0.0
    # Database exchange (§10.8)
    master: bool = False
    dd_seq: int = 0
    last_rx_dd: tuple[int, int, int] | None = None  # (flags, options, seq): duplicate detection
    last_tx_dd: DatabaseDescription | None = None
    db_summary: list[LsaHeader] = field(default_factory=list)
    ls_requests: dict[LsaKey, LsaHeader] = field(default_factory=dict)
    lsr_sent: set[LsaKey] = field(default_factory=set)
    retransmit: dict[LsaKey, Lsa] = field(default_factory=dict)
    #: when each LSA on ``retransmit`` is due again: RxmtInterval after it was last sent (§13.6)
    retransmit_due: dict[LsaKey, float] = field(default_factory=dict)
    # Deadlines (named timers are derived from these, see engine.py)
    inactivity_at: float | None = None
    dd_rxmt_at: float | None = None
    lsr_rxmt_at: float | None = None
    lsu_rxmt_at: float | None = None
    # Appendix D.4.3: last cryptographic sequence number accepted from this neighbor
    crypto_seq: int | None = None

    def declares_dr(self) -> bool:
        return self.dr == self.address

    def declares_bdr(self) -> bool:
        return self.bdr == self.address


def should_be_adjacent(ifc: Interface, nbr: Neighbor) -> bool:
    """§10.4: always on point-to-point; on broadcast only when one side is DR or Backup DR."""
    if not ifc.broadcast:
        return True
    return ifc.is_dr_or_backup() or nbr.address in (ifc.dr, ifc.bdr)


def neighbor_event(eng: OspfEngine, ifc: Interface, nbr: Neighbor, event: NeighborEvent, now: float) -> None:
    """Run ``event`` through :data:`NEIGHBOR_FSM` (ignored if the table has no cell for it)."""
    cell = NEIGHBOR_FSM.get((nbr.state, event))
    if cell is None:
        eng.counters["nsm_ignored"] += 1
        return
    action, new = cell
    decided = _ACTIONS[action](eng, ifc, nbr, now)
    target = new if new is not None else decided
    if target is not None:
        set_state(eng, ifc, nbr, target, event.value, now)


def set_state(
    eng: OspfEngine, ifc: Interface, nbr: Neighbor, new: NeighborState, reason: str, now: float
) -> None:
    """The one neighbor state change, with every entry and exit effect (see module docstring)."""
    old = nbr.state
    if old == new and new != N.EX_START:
        return
    nbr.state, nbr.since = new, now
    if old != new:
        eng.emit(SessionEvent("ospf", str(nbr.router_id), old.label, new.label, reason))
    if new <= N.EX_START:
        _clear_lists(nbr)
        eng.maxage_check_due = True  # retransmission lists emptied: MaxAge LSAs may go (§14)
    if new == N.DOWN:
        nbr.inactivity_at = None
        ifc.neighbors.pop(nbr.address, None)
    if new == N.EX_START:
        _start_negotiation(eng, ifc, nbr, now)
    if (old == N.FULL) != (new == N.FULL):
        eng.originate_soon()
        eng.schedule_spf(now)
    elif eng.hold_since is not None:
        eng.originate_soon()  # an adjacency held for may have given up: origination.adjacency_hold
    crossed = (old >= N.TWO_WAY) != (new >= N.TWO_WAY)
    if crossed and ifc.broadcast:
        interface_event(eng, ifc, InterfaceEvent.NEIGHBOR_CHANGE, now)
    if old in (N.EXCHANGE, N.LOADING) or new in (N.EXCHANGE, N.LOADING):
        eng.maxage_check_due = True  # §14: MaxAge LSAs wait for no neighbor in Exchange/Loading


def _clear_lists(nbr: Neighbor) -> None:
    nbr.db_summary.clear()
    nbr.ls_requests.clear()
    nbr.lsr_sent.clear()
    nbr.retransmit.clear()
    nbr.retransmit_due.clear()
    nbr.last_tx_dd = nbr.last_rx_dd = None
    nbr.dd_rxmt_at = nbr.lsr_rxmt_at = nbr.lsu_rxmt_at = None


# --- actions of the table ---------------------------------------------------------------------


def _a_none(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    return None


def _a_inactivity(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    """Start or restart the Inactivity Timer (RouterDeadInterval)."""
    nbr.inactivity_at = now + ifc.cfg.dead_interval
    return None


def _a_adjacency(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    """2-WayReceived in Init, AdjOK? in 2-Way: ExStart if an adjacency should form (§10.4)."""
    if should_be_adjacent(ifc, nbr):
        return N.EX_START
    return N.TWO_WAY if nbr.state == N.INIT else None


def _a_keep_adjacency(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    """AdjOK? in ExStart or later: drop back to 2-Way if the adjacency is no longer wanted."""
    return None if should_be_adjacent(ifc, nbr) else N.TWO_WAY


def _a_summary(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    """NegotiationDone: the Database summary list, MaxAge LSAs to the retransmission list (§10.3)."""
    maxage = eng.lsdb.maxage
    for scope in (ifc.cfg.area, None):
        for key, entry in eng.lsdb.scope(scope):
            current = entry.current(now, maxage)
            if current.header.age >= maxage:
                nbr.retransmit[key] = current
                nbr.retransmit_due[key] = now + ifc.cfg.retransmit_interval
            else:
                nbr.db_summary.append(current.header)
    if nbr.retransmit and nbr.lsu_rxmt_at is None:
        nbr.lsu_rxmt_at = now + ifc.cfg.retransmit_interval
    return None


def _a_exchange_done(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    """ExchangeDone: Loading while requests remain, else Full (§10.3)."""
    if not nbr.master:
        nbr.dd_rxmt_at = None
    return N.LOADING if nbr.ls_requests else N.FULL


def _a_start(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> NeighborState | None:
    nbr.inactivity_at = now + ifc.cfg.dead_interval
    return None


_ACTIONS = {
    "none": _a_none,
    "start": _a_start,
    "inactivity": _a_inactivity,
    "adjacency": _a_adjacency,
    "keep_adjacency": _a_keep_adjacency,
    "summary": _a_summary,
    "exchange_done": _a_exchange_done,
}


# --- Database Description (§10.6, §10.8) -------------------------------------------------------


def _unicast_dst(ifc: Interface, nbr: Neighbor) -> IPv4Address:
    """§8.1: on point-to-point networks everything goes to AllSPFRouters; else unicast."""
    return ALL_SPF_ROUTERS if not ifc.broadcast else nbr.address


def _start_negotiation(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> None:
    """ExStart entry (§10.3): bump the DD sequence number, claim master, send I|M|MS."""
    nbr.dd_seq = (nbr.dd_seq + 1) & 0xFFFFFFFF if nbr.dd_seq else eng.rng.randrange(1, 1 << 31)
    nbr.master = True
    flags = DdFlags.I | DdFlags.M | DdFlags.MS
    _send_dd(eng, ifc, nbr, DatabaseDescription(ifc.cfg.mtu, eng.options, flags, nbr.dd_seq), now)
    nbr.dd_rxmt_at = now + ifc.cfg.retransmit_interval


def _send_dd(eng: OspfEngine, ifc: Interface, nbr: Neighbor, dd: DatabaseDescription, now: float) -> None:
    nbr.last_tx_dd = dd
    eng.send(ifc, _unicast_dst(ifc, nbr), dd)


def _next_dd(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> DatabaseDescription:
    """The next DD of the exchange: as many summary headers as fit the MTU (§10.8)."""
    room = max(1, (ifc.cfg.mtu - PACKET_OVERHEAD - 8) // 20)
    chunk, nbr.db_summary = nbr.db_summary[:room], nbr.db_summary[room:]
    flags = DdFlags(0)
    if nbr.master:
        flags |= DdFlags.MS
    if nbr.db_summary:
        flags |= DdFlags.M
    return DatabaseDescription(ifc.cfg.mtu, eng.options, flags, nbr.dd_seq, tuple(chunk))


def receive_dd(eng: OspfEngine, ifc: Interface, nbr: Neighbor, dd: DatabaseDescription, now: float) -> None:
    """§10.6: receiving a Database Description packet."""
    if dd.interface_mtu > ifc.cfg.mtu:
        # §10.6: "If the Interface MTU field ... is larger than the router can accept ... rejected"
        eng.drop("mtu-mismatch")
        return
    if nbr.state == N.INIT:
        neighbor_event(eng, ifc, nbr, V.TWO_WAY_RECEIVED, now)
    if nbr.state in (N.DOWN, N.ATTEMPT, N.INIT, N.TWO_WAY):
        eng.drop("dd-wrong-state")
        return
    signature = (int(dd.flags), int(dd.options), dd.dd_sequence_number)
    duplicate = nbr.last_rx_dd == signature
    if nbr.state == N.EX_START:
        init_all = DdFlags.I | DdFlags.M | DdFlags.MS
        if (dd.flags & init_all) == init_all and not dd.lsa_headers and nbr.router_id > eng.router_id:
            nbr.master, nbr.dd_seq = False, dd.dd_sequence_number
            nbr.dd_rxmt_at = None
        elif (
            not dd.flags & (DdFlags.I | DdFlags.MS)
            and dd.dd_sequence_number == nbr.dd_seq
            and nbr.router_id < eng.router_id
        ):
            nbr.master = True
        else:
            # §10.6: anything else is ignored in ExStart (typically the peer's own I|M|MS when we
            # are the master); the negotiation continues by retransmission.
            eng.counters["dd_ignored"] += 1
            if (dd.flags & init_all) == init_all and nbr.master and nbr.router_id < eng.router_id:
                _answer_soon(ifc, nbr, now)
            return
        nbr.dd_options = dd.options
        neighbor_event(eng, ifc, nbr, V.NEGOTIATION_DONE, now)
        _accept_dd(eng, ifc, nbr, dd, signature, now)
        return
    if nbr.state == N.EXCHANGE:
        if duplicate:
            _duplicate_dd(eng, ifc, nbr)
            return
        if bool(dd.flags & DdFlags.MS) == nbr.master or dd.flags & DdFlags.I or dd.options != nbr.dd_options:
            neighbor_event(eng, ifc, nbr, V.SEQ_NUMBER_MISMATCH, now)
            return
        expected = nbr.dd_seq if nbr.master else (nbr.dd_seq + 1) & 0xFFFFFFFF
        if dd.dd_sequence_number != expected:
            neighbor_event(eng, ifc, nbr, V.SEQ_NUMBER_MISMATCH, now)
            return
        _accept_dd(eng, ifc, nbr, dd, signature, now)
        return
    # Loading or Full: only duplicates are legal (§10.6).
    if duplicate:
        _duplicate_dd(eng, ifc, nbr)
    else:
        neighbor_event(eng, ifc, nbr, V.SEQ_NUMBER_MISMATCH, now)


def _answer_soon(ifc: Interface, nbr: Neighbor, now: float) -> None:
    """The neighbor's own I|M|MS reached us, the master-to-be, in ExStart: it has just entered
    ExStart itself, so ours may have reached it earlier, in 2-Way or Init, and been ignored
    (§10.6): on a LAN the DR and BDR often start their adjacency a few milliseconds apart. §10.8
    retransmits the master's packet every RxmtInterval; this one retransmission comes after an
    eighth of it unless the neighbor answers first (when ours crossed its packet, the answer is
    already on its way and nothing more is sent). The DR-BDR adjacency of a LAN forms ~1.75 s
    sooner in ``fast`` (RxmtInterval 2 s), ~4.4 s sooner with the RFC's 5 s."""
    soon = now + ifc.cfg.retransmit_interval / 8
    if nbr.dd_rxmt_at is None or nbr.dd_rxmt_at > soon:
        nbr.dd_rxmt_at = soon


def _duplicate_dd(eng: OspfEngine, ifc: Interface, nbr: Neighbor) -> None:
    """§10.6: the master discards duplicates; the slave repeats its last packet."""
    eng.counters["dd_duplicates"] += 1
    if not nbr.master and nbr.last_tx_dd is not None:
        eng.send(ifc, _unicast_dst(ifc, nbr), nbr.last_tx_dd)


def _accept_dd(
    eng: OspfEngine,
    ifc: Interface,
    nbr: Neighbor,
    dd: DatabaseDescription,
    signature: tuple[int, int, int],
    now: float,
) -> None:
    """§10.6 "accepted" processing, then the next step of §10.8 for master or slave."""
    nbr.last_rx_dd = signature
    for header in dd.lsa_headers:
        if header.ls_type not in (1, 2, 3, 4, 5):
            neighbor_event(eng, ifc, nbr, V.SEQ_NUMBER_MISMATCH, now)
            return
        entry = eng.lsdb.get(scope_of(header.ls_type, ifc.cfg.area), header.key)
        if entry is None or compare_instances(header, entry.header(now, eng.lsdb.maxage)) > 0:
            nbr.ls_requests[header.key] = header
    more_from_peer = bool(dd.flags & DdFlags.M)
    if nbr.master:
        sent_last = nbr.last_tx_dd is not None and not nbr.last_tx_dd.flags & (DdFlags.M | DdFlags.I)
        if sent_last and not more_from_peer:
            nbr.dd_rxmt_at = None
            neighbor_event(eng, ifc, nbr, V.EXCHANGE_DONE, now)
        else:
            nbr.dd_seq = (nbr.dd_seq + 1) & 0xFFFFFFFF
            _send_dd(eng, ifc, nbr, _next_dd(eng, ifc, nbr, now), now)
            nbr.dd_rxmt_at = now + ifc.cfg.retransmit_interval
    else:
        nbr.dd_seq = dd.dd_sequence_number
        reply = _next_dd(eng, ifc, nbr, now)
        _send_dd(eng, ifc, nbr, reply, now)
        if not more_from_peer and not reply.flags & DdFlags.M:
            neighbor_event(eng, ifc, nbr, V.EXCHANGE_DONE, now)
    if nbr.state in (N.EXCHANGE, N.LOADING):
        send_lsr(eng, ifc, nbr, now)


def dd_retransmit(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> None:
    """The master's RxmtInterval timer in ExStart/Exchange: send the last DD again (§10.8)."""
    if nbr.state in (N.EX_START, N.EXCHANGE) and nbr.master and nbr.last_tx_dd is not None:
        eng.counters["dd_retransmits"] += 1
        eng.send(ifc, _unicast_dst(ifc, nbr), nbr.last_tx_dd)
        nbr.dd_rxmt_at = now + ifc.cfg.retransmit_interval
    else:
        nbr.dd_rxmt_at = None


# --- Link State Requests (§10.7, §10.9) --------------------------------------------------------


def send_lsr(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float, *, again: bool = False) -> None:
    """Send the next batch of requests unless one is still unanswered (§10.9)."""
    if not nbr.ls_requests:
        nbr.lsr_sent.clear()
        nbr.lsr_rxmt_at = None
        return
    if nbr.lsr_sent & nbr.ls_requests.keys() and not again:
        return
    room = max(1, (ifc.cfg.mtu - PACKET_OVERHEAD) // 12)
    keys = list(nbr.ls_requests)[:room]
    nbr.lsr_sent = set(keys)
    eng.send(ifc, _unicast_dst(ifc, nbr), LinkStateRequest(tuple(LsRequest(*k) for k in keys)))
    nbr.lsr_rxmt_at = now + ifc.cfg.retransmit_interval


def lsr_retransmit(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> None:
    if nbr.state in (N.EXCHANGE, N.LOADING) and nbr.ls_requests:
        eng.counters["lsr_retransmits"] += 1
        send_lsr(eng, ifc, nbr, now, again=True)
    else:
        nbr.lsr_rxmt_at = None


def request_satisfied(eng: OspfEngine, ifc: Interface, nbr: Neighbor, key: LsaKey, now: float) -> None:
    """An LSU brought what we asked for: next batch, or LoadingDone when nothing is left (§10.9)."""
    nbr.ls_requests.pop(key, None)
    if nbr.lsr_sent & nbr.ls_requests.keys():
        return
    if nbr.ls_requests:
        send_lsr(eng, ifc, nbr, now)
    else:
        nbr.lsr_sent.clear()
        nbr.lsr_rxmt_at = None
        if nbr.state == N.LOADING:
            neighbor_event(eng, ifc, nbr, V.LOADING_DONE, now)


def receive_lsr(eng: OspfEngine, ifc: Interface, nbr: Neighbor, lsr: LinkStateRequest, now: float) -> None:
    """§10.7: answer with the requested LSAs; an unknown one is BadLSReq."""
    if nbr.state < N.EXCHANGE:
        eng.drop("lsr-wrong-state")
        return
    lsas: list[Lsa] = []
    for req in lsr.requests:
        if req.ls_type not in tuple(LsType)[:5]:
            neighbor_event(eng, ifc, nbr, V.BAD_LS_REQ, now)
            return
        entry = eng.lsdb.get(scope_of(req.ls_type, ifc.cfg.area), req.key)
        if entry is None:
            neighbor_event(eng, ifc, nbr, V.BAD_LS_REQ, now)
            return
        lsas.append(entry.current(now, eng.lsdb.maxage))
    from routesim.proto.ospf.flooding import send_lsas

    send_lsas(eng, ifc, _unicast_dst(ifc, nbr), lsas)
