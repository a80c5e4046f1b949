"""One BGP connection's FSM instance: framing, OPEN negotiation, timers and NOTIFICATIONs.

RFC 4271 §8: "a BGP implementation MUST maintain a separate FSM for each configured peer"; during a
connection collision (§6.8) a second connection runs a second FSM until one is dumped. So each
:class:`Session` is one FSM instance bound to at most one connection; the engine keeps a primary
session per peer (it also lives in Idle/Connect/Active, without a connection) and, during a
collision, a secondary one.

The session executes the cells of ``fsm.TRANSITIONS``; :meth:`Session._set_state` is the one
state-change function (trace line, leaving-Idle/entering-Idle side effects, the owner's hook).

Timers (named deadlines ``("bgp", peer, session_id, name)``):

* ``connect_retry`` — ConnectRetryTimer, jittered by a factor in [0.75, 1] (RFC 4271 §10);
* ``hold`` — HoldTimer: the large value (``open_hold_time``, §8.2.2: 4 minutes) in OpenSent, then
  the negotiated hold time, ``min(ours, theirs)`` (§4.2); zero disables it and the keepalives. The
  deadline is data (``last_rx + hold``): receiving a message does not re-arm the driver's timer, the
  expiry handler re-arms to the true deadline when it fired early (BIRD style, one action per hold
  period instead of one per UPDATE);
* ``keepalive`` — KeepaliveTimer: configured keepalive, at most a third of the negotiated hold
  (§4.4, §10), counted from the last message we sent;
* ``idle_hold`` — the optional IdleHoldTimer (§8.1.1): automatic restart after falling to Idle;
* ``mrai`` — MinRouteAdvertisementIntervalTimer (§9.2.1.1), armed by the engine in Established after
  an UPDATE went out (``arm_mrai``); its expiry hands back to the engine, which sends what waited.
  Cancelled with every other timer when the session leaves Established.

OPEN checks done here (after the codec's §6.2 syntax checks): peer AS against the configuration
(2/2), BGP Identifier equal to ours on iBGP (2/3, RFC 6286 §2.2), no common AFI/SAFI with IPv4
unicast (2/7 Unsupported Capability, RFC 5492 §5). Unacceptable Hold Time 1-2 s (2/6) and
unsupported version (2/1) come from the codec.
"""

from __future__ import annotations

import random
from collections import Counter
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from routesim.proto.base import Action, ArmTimer, CancelTimer, CloseConnection, Log, OpenConnection, Send
from routesim.proto.bgp.fsm import FSM_ERROR_SUBCODE, BgpEvent, BgpState, FsmAction, transition
from routesim.wire.bgp import (
    DEFAULT,
    BgpError,
    CeaseSubcode,
    ErrorCode,
    ErrorHandling,
    Framer,
    MessageType,
    Multiprotocol,
    Negotiated,
    Notification,
    Open,
    OpenSubcode,
    RouteRefresh,
    RouteRefreshCapability,
    Update,
    unsupported_capability_error,
)
from routesim.wire.bgp.keepalive import KEEPALIVE_BYTES
from routesim.wire.bgp.lean import decode_lean
from routesim.wire.bgp.negotiated import IPV4_UNICAST
from routesim.wire.bgp.notification import describe

if TYPE_CHECKING:
    from routesim.proto.bgp.config import BgpConfig, BgpNeighbor
    from routesim.proto.bgp.engine import BgpEngine

MESSAGE_NAMES = {int(t): t.name.lower() for t in MessageType}
#: UpdateMsg in Established processes the UPDATE and stays there (RFC 4271 §8.2.2, event 27).
_UPDATE_CELL_IS_PROCESS = transition(BgpState.ESTABLISHED, BgpEvent.UPDATE_MSG) == (
    FsmAction.PROCESS_UPDATE,
    BgpState.ESTABLISHED,
)
#: FsmAction -> the Session method that carries it out.
_ACTION_METHODS = {a: "_do_" + a.name.lower() for a in FsmAction}


#: RFC 4486 §4: data of Cease / Maximum Number of Prefixes Reached: AFI (2), SAFI (1), limit (4).
def max_prefix_data(limit: int) -> bytes:
    return (1).to_bytes(2, "big") + b"\x01" + min(limit, 2**32 - 1).to_bytes(4, "big")


class Session:
    """One FSM instance (RFC 4271 §8), optionally bound to a TCP connection ``conn``."""

    def __init__(
        self, owner: BgpEngine, neighbor: BgpNeighbor, sid: int, *, primary: bool, rng: random.Random
    ) -> None:
        self.owner = owner
        self.config: BgpConfig = owner.config
        self.neighbor = neighbor
        self.sid = sid
        self.primary = primary
        self.rng = rng
        self.state = BgpState.IDLE
        self.conn: Any = None
        self.initiated_locally = False
        self.local_address: IPv4Address | None = neighbor.local_address
        self.framer = Framer()
        self.negotiated: Negotiated = DEFAULT
        self.our_open: Open | None = None
        self.peer_open: Open | None = None
        self.hold_time = 0.0  # the current HoldTimer interval (0: off)
        self.keepalive_time = 0.0
        self.last_rx = 0.0
        self.last_tx = 0.0
        self.connect_retry_counter = 0
        self.automatic_restart = primary
        self.established_at: float | None = None
        self.last_error = ""
        self.messages_in: Counter[str] = Counter()
        self.messages_out: Counter[str] = Counter()
        self._armed: dict[str, float] = {}
        self._pending_update: Update | None = None
        self._pending_error: BgpError | None = None
        self._cease: tuple[int, bytes] = (CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, b"")

    # --- small helpers ---------------------------------------------------------------------

    @property
    def peer(self) -> IPv4Address:
        return self.neighbor.address

    @property
    def remote_id(self) -> IPv4Address | None:
        return self.peer_open.bgp_identifier if self.peer_open else None

    @property
    def remote_as(self) -> int:
        return self.peer_open.asn if self.peer_open else self.neighbor.remote_as

    def _emit(self, action: Action) -> None:
        self.owner.emit(action)

    def _key(self, name: str) -> tuple[str, str, int, str]:
        return ("bgp", str(self.peer), self.sid, name)

    def _arm(self, name: str, at: float) -> None:
        if self._armed.get(name) != at:
            self._armed[name] = at
            self._emit(ArmTimer(self._key(name), at))

    def _cancel(self, name: str) -> None:
        if self._armed.pop(name, None) is not None:
            self._emit(CancelTimer(self._key(name)))

    def _log(self, message: str, level: str = "info", **fields: Any) -> None:
        self._emit(
            Log(
                f"bgp {self.neighbor.name} ({self.peer}): {message}",
                level,
                (("peer", str(self.peer)), *sorted(fields.items())),
            )
        )

    def send(self, data: bytes, now: float, mtype: str, count: int = 1) -> None:
        """Put ``data`` (``count`` messages of type ``mtype``) on the connection."""
        if self.conn is None:
            return
        self._emit(Send(data, conn=self.conn))
        self.messages_out[mtype] += count
        self.last_tx = now

    def cancel_timers(self) -> None:
        for name in list(self._armed):
            self._cancel(name)

    def deadlines(self) -> dict[str, float]:
        return dict(self._armed)

    @property
    def mrai_deadline(self) -> float | None:
        """When the running MinRouteAdvertisementIntervalTimer expires (None: not running)."""
        return self._armed.get("mrai")

    def arm_mrai(self, at: float) -> None:
        self._arm("mrai", at)

    def cancel_mrai(self) -> None:
        self._cancel("mrai")

    # --- timers ----------------------------------------------------------------------------

    def connect_retry_interval(self) -> float:
        base = self.neighbor.connect_retry or self.config.connect_retry
        return base * self.rng.uniform(0.75, 1.0)  # RFC 4271 §10 jitter

    def on_timer(self, name: str, now: float) -> None:
        armed = self._armed.pop(name, None)
        if name == "connect_retry":
            self.event(BgpEvent.CONNECT_RETRY_TIMER_EXPIRES, now)
        elif name == "hold":
            if self.hold_time <= 0:
                return
            deadline = self.last_rx + self.hold_time
            if now < deadline:
                self._arm("hold", deadline)
            else:
                self.event(BgpEvent.HOLD_TIMER_EXPIRES, now)
        elif name == "keepalive":
            if self.keepalive_time <= 0:
                return
            deadline = self.last_tx + self.keepalive_time
            if now < deadline:
                self._arm("keepalive", deadline)
            else:
                self.event(BgpEvent.KEEPALIVE_TIMER_EXPIRES, now)
        elif name == "idle_hold" and self.state == BgpState.IDLE:
            self.event(self.start_event(automatic=True), now)
        elif name == "mrai" and armed is not None and self.state is BgpState.ESTABLISHED:
            self.owner.session_mrai_expired(self, now)  # (a stale expiry, already cancelled, is dropped)

    def start_event(self, *, automatic: bool) -> BgpEvent:
        if self.neighbor.passive:
            return (
                BgpEvent.AUTOMATIC_START_WITH_PASSIVE_TCP_ESTABLISHMENT
                if automatic
                else BgpEvent.MANUAL_START_WITH_PASSIVE_TCP_ESTABLISHMENT
            )
        return BgpEvent.AUTOMATIC_START if automatic else BgpEvent.MANUAL_START

    # --- the FSM ---------------------------------------------------------------------------

    def event(
        self,
        event: BgpEvent,
        now: float,
        *,
        error: BgpError | None = None,
        update: Update | None = None,
        cease: tuple[int, bytes] | None = None,
        reason: str = "",
    ) -> None:
        """Run the table's cell for ``event`` in the current state."""
        state = self.state
        action, nxt = transition(state, event)
        if action is FsmAction.IGNORE:
            return
        self._pending_error, self._pending_update = error, update
        if cease is not None:
            self._cease = cease
        why = reason or event.name.lower()
        getattr(self, _ACTION_METHODS[action])(now, event)
        if self.state is state:  # the action did not already move us (it may, e.g. on max-prefix)
            if nxt is BgpState.IDLE and state is not BgpState.IDLE:
                self._to_idle(now, why, manual=event is BgpEvent.MANUAL_STOP)
            elif nxt is not state:
                self._set_state(nxt, why, now)

    def _set_state(self, new: BgpState, reason: str, now: float) -> None:
        """The one state-change function: trace line and the owner's hook (routes, SessionEvent)."""
        old = self.state
        if old is new:
            return
        self.state = new
        if new is BgpState.ESTABLISHED:
            self.established_at = now
        self.owner.session_changed(self, old, new, reason, now)
        if old is BgpState.ESTABLISHED:
            self.established_at = None

    def _to_idle(self, now: float, reason: str, *, manual: bool) -> None:
        """Leave for Idle: release resources, drop the connection (§8.2.2), maybe restart later."""
        self.cancel_timers()
        self._release()
        self.connect_retry_counter = 0 if manual else self.connect_retry_counter + 1
        self._set_state(BgpState.IDLE, reason, now)
        self.peer_open = None
        if self.automatic_restart and not manual:
            self._arm("idle_hold", now + self.config.idle_hold_time)

    def _release(self) -> None:
        """Close the connection (if still open) and forget what was negotiated on it."""
        if self.conn is not None:
            self._emit(CloseConnection(self.conn))
            self.owner.connection_released(self)
        self.conn = None
        self.framer = Framer()
        self.negotiated = DEFAULT
        self.hold_time = self.keepalive_time = 0.0
        self._cancel("hold")
        self._cancel("keepalive")

    # --- actions (one per FsmAction) ---------------------------------------------------------

    def _do_start(self, now: float, event: BgpEvent) -> None:
        self.connect_retry_counter = 0
        self._cancel("idle_hold")
        self._arm("connect_retry", now + self.connect_retry_interval())
        self._emit(OpenConnection(self.peer, self.neighbor.local_address))

    def _do_start_passive(self, now: float, event: BgpEvent) -> None:
        # A passive peer never initiates, so no ConnectRetryTimer (FRR/BIRD "passive").
        self.connect_retry_counter = 0
        self._cancel("idle_hold")

    def _do_refuse(self, now: float, event: BgpEvent) -> None:
        pass  # the engine closes the connection it did not bind

    def _do_retry_connect(self, now: float, event: BgpEvent) -> None:
        self._arm("connect_retry", now + self.connect_retry_interval())
        if not self.neighbor.passive:
            self._emit(OpenConnection(self.peer, self.neighbor.local_address))

    def _do_connect_failed(self, now: float, event: BgpEvent) -> None:
        self._arm("connect_retry", now + self.connect_retry_interval())

    def _do_close_and_listen(self, now: float, event: BgpEvent) -> None:
        self._release()
        if not self.neighbor.passive:
            self._arm("connect_retry", now + self.connect_retry_interval())

    def _do_send_open(self, now: float, event: BgpEvent) -> None:
        self._cancel("connect_retry")
        hold = self.neighbor.hold_time if self.neighbor.hold_time is not None else self.config.hold_time
        self.our_open = Open.for_speaker(
            self.config.asn,
            round(hold),
            self.config.router_id,
            four_octet_as=self.neighbor.four_octet_as,
        )
        self.last_rx = now
        self.send(self.our_open.encode(), now, "open")
        self.hold_time = self.config.open_hold_time
        self._arm("hold", now + self.hold_time)

    def _do_accept_open(self, now: float, event: BgpEvent) -> None:
        assert self.our_open is not None and self.peer_open is not None
        self.negotiated = Negotiated.from_opens(self.our_open, self.peer_open)
        self.framer.max_length = self.negotiated.max_message_length
        hold = min(self.our_open.hold_time, self.peer_open.hold_time)  # RFC 4271 §4.2
        self.hold_time = float(hold)
        if hold:
            ka = self.neighbor.keepalive if self.neighbor.keepalive is not None else self.config.keepalive
            self.keepalive_time = min(ka, hold / 3) if ka > 0 else hold / 3
        else:
            self.keepalive_time = 0.0
        self.send(KEEPALIVE_BYTES, now, "keepalive")
        self._log(
            f"OPEN accepted: AS {self.peer_open.asn}, id {self.peer_open.bgp_identifier}, hold {hold}s"
            f" (peer {self.peer_open.hold_time}s), 4-octet AS {self.negotiated.four_octet_as}",
            hold_time=hold,
        )
        if hold:
            self._arm("hold", self.last_rx + self.hold_time)
            self._arm("keepalive", now + self.keepalive_time)
        else:
            self._cancel("hold")
            self._cancel("keepalive")

    def _do_send_keepalive(self, now: float, event: BgpEvent) -> None:
        self.send(KEEPALIVE_BYTES, now, "keepalive")
        if self.keepalive_time > 0:
            self._arm("keepalive", now + self.keepalive_time)

    def _do_restart_hold(self, now: float, event: BgpEvent) -> None:
        pass  # last_rx was set when the message arrived; the hold handler uses it

    def _do_establish(self, now: float, event: BgpEvent) -> None:
        pass  # the owner's hook on entering Established sends the table

    def _do_process_update(self, now: float, event: BgpEvent) -> None:
        update = self._pending_update
        if update is None:
            return
        stop = self.owner.session_update(self, update, now)
        if stop is not None:
            self.event(BgpEvent.AUTOMATIC_STOP, now, cease=stop, reason="max-prefix")

    def _notify(self, note: Notification, now: float, why: str) -> None:
        self.send(note.encode(), now, "notification")
        self.last_error = f"sent {describe(note.code, note.subcode)}"
        self.owner.counters["notifications_sent"] += 1
        self._log(
            f"NOTIFICATION sent: {describe(note.code, note.subcode)} ({why})"
            + (f" data={note.data.hex()}" if note.data else ""),
            "warning",
            code=int(note.code),
            subcode=int(note.subcode),
        )

    def _do_cease_admin(self, now: float, event: BgpEvent) -> None:
        subcode, data = self._cease
        self._notify(Notification(ErrorCode.CEASE, subcode, data), now, "stop")

    def _do_cease(self, now: float, event: BgpEvent) -> None:
        subcode, data = self._cease
        self._notify(Notification(ErrorCode.CEASE, subcode, data), now, "automatic stop")

    def _do_hold_expired(self, now: float, event: BgpEvent) -> None:
        self._notify(Notification(ErrorCode.HOLD_TIMER_EXPIRED, 0), now, "hold timer expired")

    def _do_notify_error(self, now: float, event: BgpEvent) -> None:
        err = self._pending_error
        if err is not None:
            self._notify(err.notification(), now, err.reason or event.name.lower())

    def _do_collision_dump(self, now: float, event: BgpEvent) -> None:
        note = Notification(ErrorCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION)
        self._notify(note, now, "connection collision")

    def _do_fsm_error(self, now: float, event: BgpEvent) -> None:
        sub = FSM_ERROR_SUBCODE.get(self.state, 0)
        self._notify(Notification(ErrorCode.FINITE_STATE_MACHINE_ERROR, sub), now, event.name.lower())

    def _do_drop(self, now: float, event: BgpEvent) -> None:
        pass  # _to_idle closes the connection

    # --- connection input --------------------------------------------------------------------

    def bind(self, conn: Any, local: IPv4Address | None, *, initiated_locally: bool) -> None:
        self.conn = conn
        self.initiated_locally = initiated_locally
        if local is not None:
            self.local_address = local

    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the connection: frame, decode with the session's ``Negotiated``, feed the FSM."""
        lean_updates = 0
        try:
            messages, error = self.framer.split(data)
            for msg in messages:
                if self.conn is None:
                    return  # an earlier message of this chunk closed the session
                if msg[18] == 2 and self.state is BgpState.ESTABLISHED and _UPDATE_CELL_IS_PROCESS:
                    # The table's cell (process the UPDATE, stay Established) for an UPDATE that
                    # ``decode_lean`` finds ordinary; anything else takes ``_message``.
                    lean = decode_lean(msg, self.negotiated)
                    if lean is not None:
                        lean_updates += 1
                        self.last_rx = now
                        stop = self.owner.session_lean_update(self, lean, now)
                        if stop is not None:
                            self.event(BgpEvent.AUTOMATIC_STOP, now, cease=stop, reason="max-prefix")
                        continue
                self._message(msg, now)
            if error is not None:
                raise error
        except BgpError as exc:
            if self.conn is not None:
                self.owner.counters["bad_messages"] += 1
                self.event(BgpEvent.BGP_HEADER_ERR, now, error=exc, reason=exc.reason)
        finally:
            if lean_updates:
                self.messages_in["update"] += lean_updates

    def _message(self, msg: bytes, now: float) -> None:
        mtype = msg[18]
        self.messages_in[MESSAGE_NAMES.get(mtype) or str(mtype)] += 1
        self.last_rx = now
        if mtype == MessageType.UPDATE:
            if self.state is not BgpState.ESTABLISHED:
                self.event(BgpEvent.UPDATE_MSG, now)
                return
            try:
                update = Update.decode(msg, self.negotiated)
            except BgpError as exc:
                self.event(BgpEvent.UPDATE_MSG_ERR, now, error=exc, reason=exc.reason)
                return
            if update.errors and update.handling >= ErrorHandling.AFI_SAFI_DISABLE:
                # RFC 7606 §5.3: an IPv4-only speaker cannot disable the family: reset the session.
                worst = max(update.errors, key=lambda e: e.handling)
                self.event(BgpEvent.UPDATE_MSG_ERR, now, error=worst, reason=worst.reason)
                return
            if _UPDATE_CELL_IS_PROCESS:  # the table's cell, without the generic dispatch per UPDATE
                self._pending_error, self._pending_update = None, update
                self._do_process_update(now, BgpEvent.UPDATE_MSG)
            else:
                self.event(BgpEvent.UPDATE_MSG, now, update=update)
        elif mtype == MessageType.KEEPALIVE:
            self.event(BgpEvent.KEEPALIVE_MSG, now)
        elif mtype == MessageType.OPEN:
            self._on_open(msg, now)
        elif mtype == MessageType.NOTIFICATION:
            self._on_notification(msg, now)
        elif mtype == MessageType.ROUTE_REFRESH:
            self._on_route_refresh(msg, now)

    def _on_open(self, msg: bytes, now: float) -> None:
        try:
            received = Open.decode(msg)
        except BgpError as exc:
            self.event(BgpEvent.BGP_OPEN_MSG_ERR, now, error=exc, reason=exc.reason)
            return
        if self.state is not BgpState.OPEN_SENT:
            self.event(BgpEvent.BGP_OPEN, now)  # a second OPEN: FSM error (5/2 or 5/3)
            return
        err = self._check_open(received)
        if err is not None:
            self.event(BgpEvent.BGP_OPEN_MSG_ERR, now, error=err, reason=err.reason)
            return
        self.peer_open = received
        if not self.owner.collision_check(self, now):
            self.event(BgpEvent.OPEN_COLLISION_DUMP, now, reason="connection collision")
            return
        self.event(BgpEvent.BGP_OPEN, now)

    def _check_open(self, received: Open) -> BgpError | None:
        """The OPEN checks that need our configuration (RFC 4271 §6.2, RFC 6286, RFC 5492)."""
        # A session configured as a 2-octet speaker sees only My AS (AS_TRANS for a 4-octet AS,
        # RFC 6793 §4.2.1), as a real OLD speaker would.
        peer_as = received.asn if self.neighbor.four_octet_as else received.my_as
        if peer_as != self.neighbor.remote_as:
            return BgpError(ErrorCode.OPEN_MESSAGE_ERROR, OpenSubcode.BAD_PEER_AS, reason="peer-as")
        if received.asn == self.config.asn and received.bgp_identifier == self.config.router_id:
            return BgpError(
                ErrorCode.OPEN_MESSAGE_ERROR, OpenSubcode.BAD_BGP_IDENTIFIER, reason="own-identifier"
            )
        mp = received.multiprotocol
        if mp and IPV4_UNICAST not in mp:
            return unsupported_capability_error([Multiprotocol(1, 1)])
        return None

    def _on_notification(self, msg: bytes, now: float) -> None:
        try:
            note = Notification.decode(msg)
        except BgpError:
            note = Notification(0, 0)
        self.last_error = f"received {describe(note.code, note.subcode)}"
        self.owner.counters["notifications_received"] += 1
        self._log(
            f"NOTIFICATION received: {describe(note.code, note.subcode)}"
            + (f" data={note.data.hex()}" if note.data else ""),
            "warning",
            code=int(note.code),
            subcode=int(note.subcode),
        )
        if (
            note.code == ErrorCode.OPEN_MESSAGE_ERROR
            and note.subcode == OpenSubcode.UNSUPPORTED_VERSION_NUMBER
        ):
            self.event(BgpEvent.NOTIF_MSG_VER_ERR, now, reason="notification received")
        else:
            self.event(
                BgpEvent.NOTIF_MSG, now, reason=f"notification received {describe(note.code, note.subcode)}"
            )

    def _on_route_refresh(self, msg: bytes, now: float) -> None:
        if self.state is not BgpState.ESTABLISHED:
            self.event(BgpEvent.UPDATE_MSG, now)  # unexpected before Established: FSM error
            return
        try:
            rr = RouteRefresh.decode(msg, self.negotiated)
        except BgpError as exc:
            self.event(BgpEvent.UPDATE_MSG_ERR, now, error=exc, reason=exc.reason)
            return
        if (rr.afi, rr.safi) != IPV4_UNICAST or not self.negotiated.route_refresh:
            self._log(f"ROUTE-REFRESH for AFI {rr.afi} SAFI {rr.safi} ignored")
            return
        self.owner.session_route_refresh(self, now)

    def request_route_refresh(self, now: float) -> bool:
        """Send ROUTE-REFRESH (RFC 2918 §3) if the capability was negotiated."""
        if self.state is not BgpState.ESTABLISHED or not self.negotiated.route_refresh:
            return False
        self.send(RouteRefresh().encode(self.negotiated), now, "route_refresh")
        return True


__all__ = ["RouteRefreshCapability", "Session", "max_prefix_data"]
