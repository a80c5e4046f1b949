"""The BGP finite state machine of RFC 4271 §8 as a table.

``TRANSITIONS[(state, event)] = (action, next_state)``. ``session.py`` executes the action (its one
state-change function owns the timers and the trace line); this module only says what happens.
Events keep their RFC 4271 §8.1 numbers and names. Missing cells are deliberate, per state
(``OTHER``):

* Idle: "any other event ... does not cause change in the state" (§8.2.2) -> ignored;
* Connect, Active: any other event -> drop the connection, Idle (§8.2.2);
* OpenSent, OpenConfirm, Established: any other event -> NOTIFICATION Finite State Machine Error
  with the RFC 6608 subcode of the state, Idle.

Choices within the RFC's freedom (all named in the package docstring):

* The optional events we raise are 4/5 (passive starts) and 13 (IdleHoldTimer_Expires: the automatic
  restart after a session went to Idle; §8.1.1 optional attribute IdleHoldTimer). DelayOpen (12, 20)
  and the collision events 15/16 of the §8.1.3 TCP model are not used: the driver reports whole TCP
  connections (``TcpUp`` = Tcp_CR_Acked for ours, TcpConnectionConfirmed for the peer's).
* A failed outgoing connection in Connect goes to Active and waits for the ConnectRetryTimer, as
  §8.2.2 does with DelayOpen running, instead of Idle.
* A NOTIFICATION received in OpenSent closes the connection without answering with an FSM error
  (§8.2.2 lists event 25 among "any other event"; answering a NOTIFICATION helps nobody).
* A header or OPEN error in Established sends that error's NOTIFICATION (§6.1, §6.2), not 5/3.
"""

from __future__ import annotations

import enum
from enum import IntEnum

from routesim.wire.bgp import FsmSubcode


class BgpState(enum.StrEnum):
    """RFC 4271 §8.2.2 states; the values are what logs and the inspection model print."""

    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPEN_SENT = "OpenSent"
    OPEN_CONFIRM = "OpenConfirm"
    ESTABLISHED = "Established"


class BgpEvent(IntEnum):
    """RFC 4271 §8.1.2-§8.1.5 event numbers."""

    MANUAL_START = 1
    MANUAL_STOP = 2
    AUTOMATIC_START = 3
    MANUAL_START_WITH_PASSIVE_TCP_ESTABLISHMENT = 4
    AUTOMATIC_START_WITH_PASSIVE_TCP_ESTABLISHMENT = 5
    AUTOMATIC_START_WITH_DAMP_PEER_OSCILLATIONS = 6
    AUTOMATIC_START_WITH_DAMP_PEER_OSCILLATIONS_AND_PASSIVE_TCP_ESTABLISHMENT = 7
    AUTOMATIC_STOP = 8
    CONNECT_RETRY_TIMER_EXPIRES = 9
    HOLD_TIMER_EXPIRES = 10
    KEEPALIVE_TIMER_EXPIRES = 11
    DELAY_OPEN_TIMER_EXPIRES = 12
    IDLE_HOLD_TIMER_EXPIRES = 13
    TCP_CONNECTION_VALID = 14
    TCP_CR_INVALID = 15
    TCP_CR_ACKED = 16
    TCP_CONNECTION_CONFIRMED = 17
    TCP_CONNECTION_FAILS = 18
    BGP_OPEN = 19
    BGP_OPEN_WITH_DELAY_OPEN_TIMER_RUNNING = 20
    BGP_HEADER_ERR = 21
    BGP_OPEN_MSG_ERR = 22
    OPEN_COLLISION_DUMP = 23
    NOTIF_MSG_VER_ERR = 24
    NOTIF_MSG = 25
    KEEPALIVE_MSG = 26
    UPDATE_MSG = 27
    UPDATE_MSG_ERR = 28


class FsmAction(enum.Enum):
    """What the session does for a cell; the comments give the RFC 4271 §8.2.2 wording."""

    IGNORE = "ignore"
    #: Idle + start: ConnectRetryCounter = 0, start ConnectRetryTimer, initiate the TCP connection.
    START = "start"
    #: Idle + passive start: ConnectRetryCounter = 0, listen only.
    START_PASSIVE = "start-passive"
    #: Idle + a connection from the peer: refuse it.
    REFUSE = "refuse"
    #: Connect/Active + ConnectRetryTimer expires: restart the timer, initiate a TCP connection.
    RETRY_CONNECT = "retry-connect"
    #: Connect + the TCP attempt failed: restart the ConnectRetryTimer, keep listening.
    CONNECT_FAILED = "connect-failed"
    #: OpenSent + connection lost: close it, restart the ConnectRetryTimer, listen (-> Active).
    CLOSE_AND_LISTEN = "close-and-listen"
    #: TCP up: stop the ConnectRetryTimer, send OPEN, set the HoldTimer to the large value.
    SEND_OPEN = "send-open"
    #: OpenSent + valid OPEN: send KEEPALIVE, set Keepalive/Hold timers from the negotiated hold.
    ACCEPT_OPEN = "accept-open"
    #: KeepaliveTimer expires: send KEEPALIVE, restart the timer.
    SEND_KEEPALIVE = "send-keepalive"
    #: KEEPALIVE received: restart the HoldTimer.
    RESTART_HOLD = "restart-hold"
    #: OpenConfirm + KEEPALIVE: restart the HoldTimer, the session is Established.
    ESTABLISH = "establish"
    #: Established + UPDATE: process it, restart the HoldTimer.
    PROCESS_UPDATE = "process-update"
    #: Manual stop: NOTIFICATION Cease / Administrative Shutdown (RFC 4486), drop, counter = 0.
    CEASE_ADMIN = "cease-admin"
    #: Automatic stop: NOTIFICATION Cease (the subcode the stop names, e.g. max-prefix 6/1).
    CEASE = "cease"
    #: HoldTimer expires: NOTIFICATION Hold Timer Expired (4/0).
    HOLD_EXPIRED = "hold-expired"
    #: Header/OPEN/UPDATE error: the NOTIFICATION the error carries.
    NOTIFY_ERROR = "notify-error"
    #: Collision: NOTIFICATION Cease / Connection Collision Resolution (6/7).
    COLLISION_DUMP = "collision-dump"
    #: Unexpected event: NOTIFICATION Finite State Machine Error (5/x, RFC 6608).
    FSM_ERROR = "fsm-error"
    #: Connection lost or NOTIFICATION received: drop the connection, no NOTIFICATION.
    DROP = "drop"


S, E, A = BgpState, BgpEvent, FsmAction

_STARTS = (E.MANUAL_START, E.AUTOMATIC_START)
_PASSIVE_STARTS = (
    E.MANUAL_START_WITH_PASSIVE_TCP_ESTABLISHMENT,
    E.AUTOMATIC_START_WITH_PASSIVE_TCP_ESTABLISHMENT,
)
_TCP_UP = (E.TCP_CR_ACKED, E.TCP_CONNECTION_CONFIRMED)

TRANSITIONS: dict[tuple[BgpState, BgpEvent], tuple[FsmAction, BgpState]] = {
    # Idle (§8.2.2)
    **{(S.IDLE, e): (A.START, S.CONNECT) for e in _STARTS},
    **{(S.IDLE, e): (A.START_PASSIVE, S.ACTIVE) for e in _PASSIVE_STARTS},
    **{(S.IDLE, e): (A.REFUSE, S.IDLE) for e in _TCP_UP},
    # Connect
    **{(S.CONNECT, e): (A.IGNORE, S.CONNECT) for e in (*_STARTS, *_PASSIVE_STARTS)},
    (S.CONNECT, E.MANUAL_STOP): (A.DROP, S.IDLE),
    (S.CONNECT, E.CONNECT_RETRY_TIMER_EXPIRES): (A.RETRY_CONNECT, S.CONNECT),
    **{(S.CONNECT, e): (A.SEND_OPEN, S.OPEN_SENT) for e in _TCP_UP},
    (S.CONNECT, E.TCP_CONNECTION_FAILS): (A.CONNECT_FAILED, S.ACTIVE),
    # Active
    **{(S.ACTIVE, e): (A.IGNORE, S.ACTIVE) for e in (*_STARTS, *_PASSIVE_STARTS)},
    (S.ACTIVE, E.MANUAL_STOP): (A.DROP, S.IDLE),
    (S.ACTIVE, E.CONNECT_RETRY_TIMER_EXPIRES): (A.RETRY_CONNECT, S.CONNECT),
    **{(S.ACTIVE, e): (A.SEND_OPEN, S.OPEN_SENT) for e in _TCP_UP},
    (S.ACTIVE, E.TCP_CONNECTION_FAILS): (A.DROP, S.IDLE),
    # OpenSent
    **{(S.OPEN_SENT, e): (A.IGNORE, S.OPEN_SENT) for e in (*_STARTS, *_PASSIVE_STARTS)},
    (S.OPEN_SENT, E.MANUAL_STOP): (A.CEASE_ADMIN, S.IDLE),
    (S.OPEN_SENT, E.AUTOMATIC_STOP): (A.CEASE, S.IDLE),
    (S.OPEN_SENT, E.HOLD_TIMER_EXPIRES): (A.HOLD_EXPIRED, S.IDLE),
    (S.OPEN_SENT, E.TCP_CONNECTION_FAILS): (A.CLOSE_AND_LISTEN, S.ACTIVE),
    (S.OPEN_SENT, E.BGP_OPEN): (A.ACCEPT_OPEN, S.OPEN_CONFIRM),
    (S.OPEN_SENT, E.BGP_HEADER_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.OPEN_SENT, E.BGP_OPEN_MSG_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.OPEN_SENT, E.OPEN_COLLISION_DUMP): (A.COLLISION_DUMP, S.IDLE),
    (S.OPEN_SENT, E.NOTIF_MSG_VER_ERR): (A.DROP, S.IDLE),
    (S.OPEN_SENT, E.NOTIF_MSG): (A.DROP, S.IDLE),
    # OpenConfirm
    **{(S.OPEN_CONFIRM, e): (A.IGNORE, S.OPEN_CONFIRM) for e in (*_STARTS, *_PASSIVE_STARTS)},
    (S.OPEN_CONFIRM, E.MANUAL_STOP): (A.CEASE_ADMIN, S.IDLE),
    (S.OPEN_CONFIRM, E.AUTOMATIC_STOP): (A.CEASE, S.IDLE),
    (S.OPEN_CONFIRM, E.HOLD_TIMER_EXPIRES): (A.HOLD_EXPIRED, S.IDLE),
    (S.OPEN_CONFIRM, E.KEEPALIVE_TIMER_EXPIRES): (A.SEND_KEEPALIVE, S.OPEN_CONFIRM),
    (S.OPEN_CONFIRM, E.TCP_CONNECTION_FAILS): (A.DROP, S.IDLE),
    (S.OPEN_CONFIRM, E.NOTIF_MSG): (A.DROP, S.IDLE),
    (S.OPEN_CONFIRM, E.NOTIF_MSG_VER_ERR): (A.DROP, S.IDLE),
    (S.OPEN_CONFIRM, E.BGP_HEADER_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.OPEN_CONFIRM, E.BGP_OPEN_MSG_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.OPEN_CONFIRM, E.OPEN_COLLISION_DUMP): (A.COLLISION_DUMP, S.IDLE),
    (S.OPEN_CONFIRM, E.KEEPALIVE_MSG): (A.ESTABLISH, S.ESTABLISHED),
    # Established
    **{(S.ESTABLISHED, e): (A.IGNORE, S.ESTABLISHED) for e in (*_STARTS, *_PASSIVE_STARTS)},
    (S.ESTABLISHED, E.MANUAL_STOP): (A.CEASE_ADMIN, S.IDLE),
    (S.ESTABLISHED, E.AUTOMATIC_STOP): (A.CEASE, S.IDLE),
    (S.ESTABLISHED, E.HOLD_TIMER_EXPIRES): (A.HOLD_EXPIRED, S.IDLE),
    (S.ESTABLISHED, E.KEEPALIVE_TIMER_EXPIRES): (A.SEND_KEEPALIVE, S.ESTABLISHED),
    (S.ESTABLISHED, E.TCP_CONNECTION_FAILS): (A.DROP, S.IDLE),
    (S.ESTABLISHED, E.NOTIF_MSG_VER_ERR): (A.DROP, S.IDLE),
    (S.ESTABLISHED, E.NOTIF_MSG): (A.DROP, S.IDLE),
    (S.ESTABLISHED, E.KEEPALIVE_MSG): (A.RESTART_HOLD, S.ESTABLISHED),
    (S.ESTABLISHED, E.UPDATE_MSG): (A.PROCESS_UPDATE, S.ESTABLISHED),
    (S.ESTABLISHED, E.UPDATE_MSG_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.ESTABLISHED, E.BGP_HEADER_ERR): (A.NOTIFY_ERROR, S.IDLE),
    (S.ESTABLISHED, E.BGP_OPEN_MSG_ERR): (A.NOTIFY_ERROR, S.IDLE),
}

#: The deliberate default of each state for events without a cell (see the module docstring).
OTHER: dict[BgpState, tuple[FsmAction, BgpState]] = {
    S.IDLE: (A.IGNORE, S.IDLE),
    S.CONNECT: (A.DROP, S.IDLE),
    S.ACTIVE: (A.DROP, S.IDLE),
    S.OPEN_SENT: (A.FSM_ERROR, S.IDLE),
    S.OPEN_CONFIRM: (A.FSM_ERROR, S.IDLE),
    S.ESTABLISHED: (A.FSM_ERROR, S.IDLE),
}

#: RFC 6608 §3: the FSM Error subcode names the state that got the unexpected event.
FSM_ERROR_SUBCODE: dict[BgpState, int] = {
    S.OPEN_SENT: FsmSubcode.UNEXPECTED_MESSAGE_IN_OPEN_SENT,
    S.OPEN_CONFIRM: FsmSubcode.UNEXPECTED_MESSAGE_IN_OPEN_CONFIRM,
    S.ESTABLISHED: FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED,
}


def transition(state: BgpState, event: BgpEvent) -> tuple[FsmAction, BgpState]:
    """The cell for ``(state, event)``, or the state's deliberate default."""
    return TRANSITIONS.get((state, event)) or OTHER[state]


def describe_table() -> str:
    """The table as Markdown (docs generate the state diagram from this, as h11 does)."""
    lines = ["| state | event | action | next |", "| --- | --- | --- | --- |"]
    for (state, event), (action, nxt) in TRANSITIONS.items():
        lines.append(f"| {state} | {event.value} {event.name} | {action.value} | {nxt} |")
    for state, (action, nxt) in OTHER.items():
        lines.append(f"| {state} | any other | {action.value} | {nxt} |")
    return "\n".join(lines)
