"""The contract between sans-IO protocol engines and whoever drives them.

An engine never touches a socket, the event loop or the clock. The driver (``router/`` on real
sockets, a test with a fake clock, later ``sim/`` in virtual time) feeds it *events*, each with
``now`` (float seconds on a monotonic clock), and carries out the *actions* it returns::

    actions = engine.handle(PacketIn(iface="eth0", src=..., data=b"..."), now=12.5)
    for action in actions:
        match action:
            case Send(): ...          # put bytes on the wire
            case ArmTimer(): ...      # (re)arm the named deadline; same key replaces
            case CancelTimer(): ...
            case RoutesChanged(): ... # hand the protocol's candidate routes to the RIB
            case Log(): ...           # structured event log line

Timers are named deadlines (``ArmTimer(key, at)``): arming a key again replaces its deadline, and
the driver calls ``engine.handle(TimerFired(key), now)`` when it is due. Randomness (jitter,
sequence numbers) comes from a ``random.Random`` given to the engine's constructor.

Routes handed to the RIB are :class:`Route` values; ``RoutesChanged`` carries the protocol's whole
changed set (``upserts`` replace the candidate for the prefix, ``withdrawals`` remove it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any
from typing import Protocol as TypingProtocol


class RouteProtocol(enum.StrEnum):
    """Where a RIB candidate comes from. Values are what the inspection model prints."""

    CONNECTED = "connected"
    STATIC = "static"
    RIP = "rip"
    OSPF = "ospf"
    EBGP = "ebgp"
    IBGP = "ibgp"


#: Administrative distances (FRR's defaults, DESIGN.md): lower wins before any metric is compared.
ADMIN_DISTANCE: dict[RouteProtocol, int] = {
    RouteProtocol.CONNECTED: 0,
    RouteProtocol.STATIC: 1,
    RouteProtocol.EBGP: 20,
    RouteProtocol.OSPF: 110,
    RouteProtocol.RIP: 120,
    RouteProtocol.IBGP: 200,
}


@dataclass(frozen=True, order=True)
class NextHop:
    """One way out: a gateway address (None for directly connected) and/or an interface name."""

    gateway: IPv4Address | None = None
    interface: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"gateway": str(self.gateway) if self.gateway else None, "interface": self.interface}


@dataclass(frozen=True)
class Route:
    """A candidate route a protocol offers the RIB.

    ``next_hops`` holds more than one entry for ECMP. ``attrs`` carries protocol details shown by
    the inspection model (RIP route tag, OSPF path type, BGP AS path...), never used by the RIB.
    """

    prefix: IPv4Network
    protocol: RouteProtocol
    metric: int
    next_hops: frozenset[NextHop]
    distance: int | None = None  # None: ADMIN_DISTANCE[protocol]
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def admin_distance(self) -> int:
        return ADMIN_DISTANCE[self.protocol] if self.distance is None else self.distance


# --- events (inputs) -------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketIn:
    """A datagram received on ``iface`` from ``src`` (for TCP: a chunk of the session's stream)."""

    iface: str
    src: IPv4Address
    data: bytes
    dst: IPv4Address | None = None
    src_port: int | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class TimerFired:
    key: Any


@dataclass(frozen=True)
class InterfaceUp:
    iface: str


@dataclass(frozen=True)
class InterfaceDown:
    iface: str


@dataclass(frozen=True)
class TcpUp:
    """A TCP connection to ``peer`` is established (``conn`` names it for later Send/close)."""

    peer: IPv4Address
    conn: Any
    local: IPv4Address | None = None
    passive: bool = False


@dataclass(frozen=True)
class TcpDown:
    peer: IPv4Address
    conn: Any
    reason: str = ""


@dataclass(frozen=True)
class RibChanged:
    """The router's selected routes changed (for redistribution and next-hop resolution)."""

    routes: tuple[Route, ...]


Event = PacketIn | TimerFired | InterfaceUp | InterfaceDown | TcpUp | TcpDown | RibChanged


# --- actions (outputs) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Send ``data`` out of ``iface`` to ``dst`` (``conn`` set for a TCP session instead)."""

    data: bytes
    iface: str | None = None
    dst: IPv4Address | None = None
    dst_port: int | None = None
    conn: Any = None


@dataclass(frozen=True)
class ArmTimer:
    key: Any
    at: float


@dataclass(frozen=True)
class CancelTimer:
    key: Any


@dataclass(frozen=True)
class RoutesChanged:
    upserts: tuple[Route, ...] = ()
    withdrawals: tuple[tuple[IPv4Network, RouteProtocol], ...] = ()


@dataclass(frozen=True)
class OpenConnection:
    """Ask the driver to open a TCP connection to ``peer`` (port given by the driver's mapping)."""

    peer: IPv4Address
    local: IPv4Address | None = None


@dataclass(frozen=True)
class CloseConnection:
    conn: Any


@dataclass(frozen=True)
class SessionEvent:
    """An adjacency or session changed state (goes to the event log and the convergence check)."""

    protocol: str
    peer: str
    old: str
    new: str
    reason: str = ""


@dataclass(frozen=True)
class Log:
    message: str
    level: str = "info"
    fields: tuple[tuple[str, Any], ...] = field(default=())


Action = Send | ArmTimer | CancelTimer | RoutesChanged | OpenConnection | CloseConnection | SessionEvent | Log


class Engine(TypingProtocol):
    """What the router runtime needs from a protocol engine."""

    name: str

    def start(self, now: float) -> list[Action]: ...

    def handle(self, event: Event, now: float) -> list[Action]: ...

    def inspect(self, now: float) -> dict[str, Any]:
        """The protocol's part of the inspection model (JSON-ready)."""
        ...

    def stop(self, now: float) -> list[Action]: ...


# An engine may also set ``wants_rib = False`` when it has no use for ``RibChanged`` (OSPF without
# redistribution): the runtime then does not build the RIB's route list for it after every change.


def handle_all(engine: Engine, events: list[Event], now: float) -> list[Action]:
    """Several events that arrived together (packets read in one go), in order.

    An engine may define ``handle_batch(events, now)`` to do its end-of-call work once for all of
    them (OSPF floods what the batch installed in one LSU per interface and re-arms its timers
    once); otherwise each goes through ``handle``.
    """
    batch = getattr(engine, "handle_batch", None)
    if batch is not None:
        return batch(events, now)
    out: list[Action] = []
    for event in events:
        out += engine.handle(event, now)
    return out
