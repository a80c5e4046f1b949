"""The interface state machine (RFC 2328 §9.3), DR/BDR election (§9.4) and the Wait timer.

The machine is the table :data:`INTERFACE_FSM`: ``(state, event) -> (action, next state)``, a next
state of ``None`` meaning "the action decides" (InterfaceUp picks Waiting, DROther or
Point-to-point; the election picks DR, Backup or DROther). A pair missing from the table is an
event the state ignores (§9.3 lists no transition for it). :func:`set_state` is the one place that
changes an interface's state: it logs "old -> new (reason)", joins or leaves AllDRouters (§9.4 /
``actions.py``), and marks the router-LSA for re-origination.

:func:`elect` is the pure election of §9.4 over :class:`Candidate` values, including the second
round when the calculating router itself becomes, or stops being, DR or Backup DR (step 4).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from routesim.proto.base import Log
from routesim.proto.ospf.actions import JoinGroup, LeaveGroup
from routesim.proto.ospf.config import OspfInterface
from routesim.wire.ospf import LsaHeader
from routesim.wire.ospf.header import ALL_D_ROUTERS

if TYPE_CHECKING:
    from routesim.proto.ospf.engine import OspfEngine
    from routesim.proto.ospf.neighbor import Neighbor

NO_ROUTER = IPv4Address(0)


class InterfaceState(enum.IntEnum):
    """§9.1 interface states (ordered as the RFC lists them)."""

    DOWN = 0
    LOOPBACK = 1
    WAITING = 2
    POINT_TO_POINT = 3
    DR_OTHER = 4
    BACKUP = 5
    DR = 6

    @property
    def label(self) -> str:
        return {
            InterfaceState.POINT_TO_POINT: "PointToPoint",
            InterfaceState.DR_OTHER: "DROther",
        }.get(self, self.name.capitalize() if self != InterfaceState.DR else "DR")


class InterfaceEvent(enum.Enum):
    """§9.2 interface events."""

    INTERFACE_UP = "InterfaceUp"
    WAIT_TIMER = "WaitTimer"
    BACKUP_SEEN = "BackupSeen"
    NEIGHBOR_CHANGE = "NeighborChange"
    LOOP_IND = "LoopInd"
    UNLOOP_IND = "UnloopInd"
    INTERFACE_DOWN = "InterfaceDown"


S, E = InterfaceState, InterfaceEvent
_ALL = tuple(InterfaceState)

#: §9.3 as a table. Actions: "up" (start Hello; p2p -> Point-to-point, broadcast -> Waiting with the
#: Wait timer, or DROther when ineligible), "elect" (§9.4), "reset" (every neighbor KillNbr, variables
#: reset, timers stopped).
INTERFACE_FSM: dict[tuple[InterfaceState, InterfaceEvent], tuple[str, InterfaceState | None]] = {
    (S.DOWN, E.INTERFACE_UP): ("up", None),
    (S.WAITING, E.BACKUP_SEEN): ("elect", None),
    (S.WAITING, E.WAIT_TIMER): ("elect", None),
    (S.DR_OTHER, E.NEIGHBOR_CHANGE): ("elect", None),
    (S.BACKUP, E.NEIGHBOR_CHANGE): ("elect", None),
    (S.DR, E.NEIGHBOR_CHANGE): ("elect", None),
    (S.LOOPBACK, E.UNLOOP_IND): ("none", S.DOWN),
    **{(s, E.INTERFACE_DOWN): ("reset", S.DOWN) for s in _ALL if s != S.DOWN},
    **{(s, E.LOOP_IND): ("reset", S.LOOPBACK) for s in _ALL if s != S.LOOPBACK},
}


@dataclass(frozen=True)
class Candidate:
    """A router as §9.4 sees it: its Router ID, interface address, priority, and declarations."""

    router_id: IPv4Address
    address: IPv4Address
    priority: int
    dr: IPv4Address = NO_ROUTER
    bdr: IPv4Address = NO_ROUTER

    @property
    def rank(self) -> tuple[int, IPv4Address]:
        """§9.4 (2)/(3): highest priority, then highest Router ID."""
        return (self.priority, self.router_id)


def _round(cands: list[Candidate]) -> tuple[IPv4Address, IPv4Address]:
    eligible = [c for c in cands if c.priority > 0]
    # §9.4 (2): the BDR among routers not declaring themselves DR; declared BDRs first.
    pool = [c for c in eligible if c.dr != c.address]
    declared = [c for c in pool if c.bdr == c.address]
    pool = declared or pool
    bdr = max(pool, key=lambda c: c.rank).address if pool else NO_ROUTER
    # §9.4 (3): the DR among routers declaring themselves DR; if none, the new BDR.
    declared = [c for c in eligible if c.dr == c.address]
    dr = max(declared, key=lambda c: c.rank).address if declared else bdr
    return dr, bdr


def elect(me: Candidate, others: list[Candidate]) -> tuple[IPv4Address, IPv4Address]:
    """DR and BDR per §9.4; ``me`` carries the interface's current DR/BDR as its declarations."""
    dr, bdr = _round([me, *others])
    was = (me.dr == me.address, me.bdr == me.address)
    now_is = (dr == me.address, bdr == me.address)
    if was != now_is:
        # §9.4 (4): our own role changed; redo (2) and (3) with our declarations updated.
        me = Candidate(me.router_id, me.address, me.priority, dr, bdr)
        dr, bdr = _round([me, *others])
    return dr, bdr


@dataclass
class Interface:
    """The runtime part of an OSPF interface (§9)."""

    cfg: OspfInterface
    state: InterfaceState = InterfaceState.DOWN
    dr: IPv4Address = NO_ROUTER
    bdr: IPv4Address = NO_ROUTER
    neighbors: dict[IPv4Address, Neighbor] = field(default_factory=dict)
    hello_at: float | None = None
    wait_at: float | None = None
    ack_at: float | None = None
    #: Delayed acknowledgments (§13.5), sent together when ``ack_at`` passes.
    delayed_acks: list[LsaHeader] = field(default_factory=list)
    #: Link is administratively/physically up (InterfaceUp seen and no InterfaceDown since).
    link_up: bool = True

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def address(self) -> IPv4Address:
        return self.cfg.address.ip

    @property
    def broadcast(self) -> bool:
        return self.cfg.network_type == "broadcast"

    @property
    def active(self) -> bool:
        """Sends and receives OSPF packets (up and not passive)."""
        return self.state != InterfaceState.DOWN and not self.cfg.passive

    def is_dr_or_backup(self) -> bool:
        return self.state in (InterfaceState.DR, InterfaceState.BACKUP)


def interface_event(eng: OspfEngine, ifc: Interface, event: InterfaceEvent, now: float) -> None:
    """Run ``event`` through :data:`INTERFACE_FSM`."""
    cell = INTERFACE_FSM.get((ifc.state, event))
    if cell is None:
        return
    action, new = cell
    if action == "up":
        new = _up(eng, ifc, now)
    elif action == "elect":
        _elect(eng, ifc, now, event)
        return
    elif action == "reset":
        _reset(eng, ifc, now)
    assert new is not None
    set_state(eng, ifc, new, event.value, now)


def set_state(eng: OspfEngine, ifc: Interface, new: InterfaceState, reason: str, now: float) -> None:
    """The one interface state change: trace line, AllDRouters membership, LSA re-origination."""
    old = ifc.state
    if old == new:
        return
    ifc.state = new
    eng.emit(
        Log(
            f"ospf interface {ifc.name}: {old.label} -> {new.label} ({reason})",
            fields=(("interface", ifc.name), ("old", old.label), ("new", new.label), ("reason", reason)),
        )
    )
    was_d, is_d = old in (S.DR, S.BACKUP), new in (S.DR, S.BACKUP)
    if is_d and not was_d and not ifc.cfg.passive:
        eng.emit(JoinGroup(ifc.name, ALL_D_ROUTERS))
    elif was_d and not is_d and not ifc.cfg.passive:
        eng.emit(LeaveGroup(ifc.name, ALL_D_ROUTERS))
    eng.originate_soon()


def _up(eng: OspfEngine, ifc: Interface, now: float) -> InterfaceState:
    if not ifc.cfg.passive:
        ifc.hello_at = now  # the first Hello goes out at once
    if ifc.cfg.network_type == "point-to-point":
        return S.POINT_TO_POINT
    if ifc.cfg.priority == 0 or ifc.cfg.passive:
        return S.DR_OTHER
    ifc.wait_at = now + ifc.cfg.dead_interval  # §9.3: Wait timer = RouterDeadInterval
    return S.WAITING


def _reset(eng: OspfEngine, ifc: Interface, now: float) -> None:
    from routesim.proto.ospf.neighbor import NeighborEvent, neighbor_event

    for nbr in list(ifc.neighbors.values()):
        neighbor_event(eng, ifc, nbr, NeighborEvent.KILL_NBR, now)
    ifc.neighbors.clear()
    ifc.dr = ifc.bdr = NO_ROUTER
    ifc.hello_at = ifc.wait_at = ifc.ack_at = None
    ifc.delayed_acks.clear()


def _elect(eng: OspfEngine, ifc: Interface, now: float, event: InterfaceEvent) -> None:
    """§9.4 and its consequences: new state, AdjOK? on every 2-Way+ neighbor when DR/BDR moved."""
    from routesim.proto.ospf.neighbor import NeighborEvent, NeighborState, neighbor_event

    ifc.wait_at = None
    me = Candidate(eng.router_id, ifc.address, ifc.cfg.priority, ifc.dr, ifc.bdr)
    others = [
        Candidate(n.router_id, n.address, n.priority, n.dr, n.bdr)
        for n in ifc.neighbors.values()
        if n.state >= NeighborState.TWO_WAY
    ]
    old = (ifc.dr, ifc.bdr)
    ifc.dr, ifc.bdr = elect(me, others)
    if ifc.dr == ifc.address:
        new = S.DR
    elif ifc.bdr == ifc.address:
        new = S.BACKUP
    else:
        new = S.DR_OTHER
    if (ifc.dr, ifc.bdr) != old:
        eng.emit(
            Log(
                f"ospf interface {ifc.name}: DR {ifc.dr} BDR {ifc.bdr} (was {old[0]}/{old[1]}, {event.value})",
                fields=(("interface", ifc.name), ("dr", str(ifc.dr)), ("bdr", str(ifc.bdr))),
            )
        )
    set_state(eng, ifc, new, event.value, now)
    if (ifc.dr, ifc.bdr) != old:
        for nbr in list(ifc.neighbors.values()):
            if nbr.state >= NeighborState.TWO_WAY:
                neighbor_event(eng, ifc, nbr, NeighborEvent.ADJ_OK, now)
        eng.originate_soon()
