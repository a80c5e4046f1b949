"""The router process: an asyncio runtime that drives sans-IO engines on real sockets.

Flow of one packet: a driver (``udp.py``) receives it -> ``engine.handle(PacketIn, now)`` ->
actions: ``Send`` goes back to a driver, ``ArmTimer``/``CancelTimer`` become ``loop.call_at``
handles keyed by ``(engine, key)`` (re-arming a key replaces it), ``RoutesChanged`` updates the
:class:`~routesim.rib.Rib`, whose selection changes are logged, applied to the kernel FIB over
netlink and offered back to every engine as :class:`RibChanged` (redistribution).

``now`` is ``loop.time()`` (monotonic seconds), the same clock the timers run on. Interface state
comes from netlink: admin-up *and* carrier; a change yields connected-route updates, static route
re-resolution and ``InterfaceUp``/``InterfaceDown`` to every engine.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import signal
import time
from ipaddress import IPv4Address
from typing import Any

from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    CloseConnection,
    Engine,
    Event,
    InterfaceDown,
    InterfaceUp,
    Log,
    OpenConnection,
    PacketIn,
    RibChanged,
    RoutesChanged,
    Send,
    SessionEvent,
    TimerFired,
    handle_all,
)
from routesim.rib import Rib, connected_routes, static_routes
from routesim.router.config import RouterConfig
from routesim.router.control import ControlServer
from routesim.router.engines import build_engines
from routesim.router.eventlog import EventLog

log = logging.getLogger("routesim.router")
#: gc thresholds once ready (defaults 700, 10, 10): measured -15% CPU loading a 1M-prefix BGP table.
GC_THRESHOLDS = (100_000, 50, 100)
#: prefixes named in a ``fib`` event-log entry (a full BGP table is one batch of a million)
FIB_LOG_SAMPLE = 50


def _row(route) -> dict[str, Any] | None:
    if route is None:
        return None
    return {
        "protocol": str(route.protocol),
        "metric": route.metric,
        "distance": route.admin_distance,
        "next_hops": [
            h.to_json()
            for h in sorted(route.next_hops, key=lambda h: (str(h.gateway or ""), h.interface or ""))
        ],
    }


class Router:
    def __init__(self, config: RouterConfig) -> None:
        self.cfg = config
        self.rib = Rib()
        self.events = EventLog(config.node, config.event_log or None, on_dirty=self._log_dirty)
        self.engines: dict[str, Engine] = {}
        self.transports: dict[str, str] = {}
        #: (engine, timer key) -> deadline; the keys of one engine due at the same instant share one
        #: loop timer and are handed to the engine together (``_timer_groups``, ``_fire``)
        self._timers: dict[tuple[str, Any], float] = {}
        self._timer_groups: dict[tuple[str, float], tuple[asyncio.TimerHandle, dict[Any, None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ipr_read = None  # pyroute2, for inspection only (created on first use)
        self._watcher = None
        self._fib_batch = None
        self._fib_task: asyncio.Future | None = None
        self._fib_dirty = False
        self._udp: dict[str, Any] = {}
        self._raw: dict[str, Any] = {}
        self._tcp: dict[str, Any] = {}
        self._stop = asyncio.Event()
        self.iface_up: dict[str, bool] = {}
        self.started_at = time.time()
        self.ready = False
        self.counters: dict[str, int] = {"fib_installs": 0, "fib_removals": 0, "fib_errors": 0}

    def _log_dirty(self) -> None:
        """The event log wrote an entry: flush it at the end of this turn of the loop (without a
        running loop, at once)."""
        loop = getattr(self, "_loop", None)
        if loop is not None and loop.is_running():
            loop.call_soon(self.events.flush)
        else:
            self.events.flush()

    # --- clock -----------------------------------------------------------------------------

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    # --- lifecycle -------------------------------------------------------------------------

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self._stop.set)
        control = ControlServer(self.cfg.control, self) if self.cfg.control else None
        try:
            if self.cfg.mode == "loopback":
                self.iface_up = {i.name: True for i in self.cfg.interfaces}
            else:
                await self._start_netlink()
            self._refresh_connected()
            if control:
                await control.start()
            for engine, transport in build_engines(self.cfg):
                self.engines[engine.name] = engine
                self.transports[engine.name] = transport
            await self._start_transports()
            for name, engine in self.engines.items():
                self._perform(name, engine.start(self.now()))
            self._offer_rib()
            self.ready = True
            self.events.add("status", self.now(), state="ready", pid=os.getpid())
            # A router holds large, long-lived tables (a BGP full table is millions of objects):
            # keep what exists now out of every future collection and collect the young
            # generation less often; cyclic garbage is rare here (refcounting frees the rest).
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            await self._stop.wait()
        finally:
            await self._shutdown(control)
        return 0

    async def _shutdown(self, control) -> None:
        try:
            await self._shutdown_steps(control)
        finally:
            self.events.add("status", self.now(), state="stopped")
            self.events.close()  # whatever failed above, the buffered log reaches the disk

    async def _shutdown_steps(self, control) -> None:
        self.ready = False
        now = self.now()
        for name, engine in list(self.engines.items()):
            try:
                self._perform(name, engine.stop(now), stopping=True)
            except Exception:
                log.exception("%s: stop failed", name)
        for h, _keys in self._timer_groups.values():
            h.cancel()
        self._timer_groups.clear()
        self._timers.clear()
        for port in [*self._udp.values(), *self._raw.values()]:
            port.close()
        for tcp in self._tcp.values():
            await tcp.stop()
        if control:
            await control.close()
        if self._watcher:
            self._watcher.close()
        if self._fib_task is not None and not self._fib_task.done():
            self._fib_task.cancel()  # the flush below removes whatever it was writing
        if self._fib_batch is not None:
            from routesim.router.netlink import flush_routes

            try:
                n = flush_routes(self.ifindex)
                self.events.add("fib", self.now(), action="flush", removed=n)
            except Exception:
                log.exception("FIB flush failed")
            self._fib_batch.close()
            self._fib_batch = None
        if self._ipr_read is not None:
            self._ipr_read.close()

    def request_stop(self) -> None:
        self._stop.set()

    # --- netlink ---------------------------------------------------------------------------

    async def _start_netlink(self) -> None:
        from routesim.router.fibbatch import FibBatcher
        from routesim.router.netlink import ROUTE_PRIORITY, RTPROT_ROUTESIM, LinkWatcher, flush_routes

        self._read_lock = asyncio.Lock()
        self._watcher = LinkWatcher(self._links_changed)
        states = self._watcher.start()
        self.iface_up = {i.name: bool(states.get(i.name) and states[i.name].up) for i in self.cfg.interfaces}
        if self.cfg.install_fib:
            self._fib_batch = FibBatcher(RTPROT_ROUTESIM, ROUTE_PRIORITY, self.ifindex)
            stale = flush_routes(self.ifindex)  # left by a crashed previous instance of this router
            if stale:
                self.events.add("fib", self.now(), action="flush-stale", removed=stale)

    def ifindex(self, name: str) -> int | None:
        st = self._watcher.states.get(name) if self._watcher else None
        return st.index if st else None

    def _links_changed(self, states) -> None:
        now = self.now()
        changed = []
        for conf in self.cfg.interfaces:
            st = states.get(conf.name)
            up = bool(st and st.up)
            if self.iface_up.get(conf.name) != up:
                self.iface_up[conf.name] = up
                changed.append((conf.name, up))
                self.events.add("iface", now, interface=conf.name, state="up" if up else "down")
        if not changed:
            return
        self._refresh_connected()
        for name, engine in self.engines.items():
            for iface, up in changed:
                self._perform(
                    name, engine.handle(InterfaceUp(iface) if up else InterfaceDown(iface), self.now())
                )
        for iface, up in changed:
            if not up:
                self._fast_external_fallover(iface)
        self._offer_rib()

    def _fast_external_fallover(self, iface: str) -> None:
        """A directly connected eBGP session over an interface that went down is torn down at once."""
        conf = next((c for c in self.cfg.interfaces if c.name == iface), None)
        if conf is None:
            return
        for name, tcp in self._tcp.items():
            for n in self.cfg.protocols.get(name, {}).get("neighbors", []):
                address = IPv4Address(n["address"])
                if n.get("ebgp", True) and not n.get("multihop") and address in conf.address.network:
                    if tcp.drop_peer(address, f"interface {iface} down (fast external fallover)"):
                        msg = f"bgp {address}: fast external fallover ({iface} down)"
                        self.events.add("log", self.now(), protocol=name, message=msg)

    # --- RIB -------------------------------------------------------------------------------

    def _refresh_connected(self) -> None:
        now = self.now()
        ifaces = [(i.name, i.address, self.iface_up.get(i.name, False)) for i in self.cfg.interfaces]
        if self.cfg.loopback is not None:
            ifaces.append(("lo", self.cfg.loopback, True))
        conn = connected_routes(ifaces)
        changes = self.rib.replace_source("connected", conn, now)
        changes += self.rib.replace_source("static", static_routes(self.cfg.static, conn), now)
        self._rib_changed(changes)

    def _rib_changed(self, changes) -> None:
        if not changes:
            return
        now = self.now()
        for prefix, old, new in changes:
            self.events.add("rib", now, prefix=str(prefix), old=_row(old), new=_row(new))
        if self._fib_batch is not None:
            self._fib_dirty = True
            if self._fib_task is None or self._fib_task.done():
                self._fib_task = asyncio.ensure_future(self._sync_fib())

    async def _sync_fib(self) -> None:
        """Drain the RIB's FIB diff: one batched netlink write per burst (``fibbatch.py``), each
        change acknowledged on its own; changes that arrive meanwhile re-run the loop."""
        while self._fib_dirty:
            self._fib_dirty = False
            changes = self.rib.fib_diff()
            if not changes or self._fib_batch is None:
                continue
            results = self._fib_batch.apply(changes)
            now = self.now()
            replaced: list[str] = []
            deleted: list[str] = []
            for change, err in zip(changes, results, strict=True):
                if err and not (change.route is None and err == errno.ESRCH):
                    self.counters["fib_errors"] += 1
                    self.events.add(
                        "fib", now, action="error", prefix=str(change.prefix), error=os.strerror(err)
                    )
                    if change.route is not None:
                        continue  # retried on the next change; a failed delete means it is gone
                self.rib.mark_installed(change)
                (deleted if change.route is None else replaced).append(str(change.prefix))
            self.counters["fib_installs"] += len(replaced)
            self.counters["fib_removals"] += len(deleted)
            if replaced or deleted:  # one entry per netlink batch, with a bounded sample
                self.events.add(
                    "fib",
                    now,
                    action="write",
                    replaced=len(replaced),
                    deleted=len(deleted),
                    replace=replaced[:FIB_LOG_SAMPLE],
                    delete=deleted[:FIB_LOG_SAMPLE],
                )
            await asyncio.sleep(0)  # let packets and timers in between bursts

    def _offer_rib(self) -> None:
        """Tell every engine the RIB's selected routes (redistribution, next-hop resolution)."""
        takers = [(n, e) for n, e in self.engines.items() if getattr(e, "wants_rib", True)]
        if not takers:
            return
        routes = tuple(self.rib.selected())
        for name, engine in takers:
            self._perform(name, engine.handle(RibChanged(routes), self.now()))

    # --- engines ---------------------------------------------------------------------------

    def feed(self, name: str, event: Event) -> None:
        self.feed_all(name, [event])

    def feed_all(self, name: str, events: list[Event]) -> None:
        """Events that arrived together, in one engine call where the engine can (``handle_all``)."""
        engine = self.engines.get(name)
        if engine is None or not events:
            return
        try:
            if len(events) == 1:
                actions = engine.handle(events[0], self.now())
            else:
                actions = handle_all(engine, events, self.now())
        except Exception:
            # An engine bug must not take the router down; it is logged with the event(s).
            what = type(events[0]).__name__ if len(events) == 1 else f"{len(events)} events"
            log.exception("%s: engine failed on %s", name, what)
            self.events.add(
                "log", self.now(), protocol=name, level="error", message=f"engine error on {what}"
            )
            return
        self._perform(name, actions)

    def _perform(self, name: str, actions: list[Action], *, stopping: bool = False) -> None:
        rib_dirty = False
        for a in actions:
            if isinstance(a, Send):
                self._send(name, a)
            elif isinstance(a, ArmTimer):
                if stopping:
                    continue
                self._arm(name, a.key, a.at)
            elif isinstance(a, CancelTimer):
                self._disarm(name, a.key)
            elif isinstance(a, RoutesChanged):
                changes = self.rib.update(
                    name, self.now(), upserts=a.upserts, withdrawals=[p for p, _ in a.withdrawals]
                )
                if changes:
                    self._rib_changed(changes)
                    rib_dirty = True
            elif isinstance(a, SessionEvent):
                self.events.add(
                    "session",
                    self.now(),
                    protocol=a.protocol,
                    peer=a.peer,
                    old=a.old,
                    new=a.new,
                    reason=a.reason,
                )
            elif isinstance(a, OpenConnection):
                tcp = self._tcp.get(name)
                if tcp is not None and not stopping:
                    tcp.open(a.peer, a.local)
            elif isinstance(a, CloseConnection):
                tcp = self._tcp.get(name)
                if tcp is not None:
                    tcp.close(a.conn)
            elif type(a).__name__ in ("JoinGroup", "LeaveGroup"):
                port = self._raw.get(a.iface)
                if port is not None:
                    (port.join if type(a).__name__ == "JoinGroup" else port.leave)(a.group)
            elif isinstance(a, Log):
                self.events.add(
                    "log", self.now(), protocol=name, level=a.level, message=a.message, **dict(a.fields)
                )
        if rib_dirty and not stopping:
            self._loop.call_soon(self._offer_rib)

    def _arm(self, name: str, key: Any, at: float) -> None:
        """Arm (or move) one timer of an engine. Timers of the same engine due at the same instant
        (the Hello timers of its interfaces, which keep their phase: RFC 2328 §4.4) share one loop
        timer, so they cost one engine call, not one each."""
        if self._timers.get((name, key)) == at:
            return  # armed for that instant already
        self._disarm(name, key)
        self._timers[name, key] = at
        group = self._timer_groups.get((name, at))
        if group is None:
            handle = self._loop.call_at(at, self._fire, name, at)
            group = self._timer_groups[name, at] = (handle, {})
        group[1][key] = None

    def _disarm(self, name: str, key: Any) -> None:
        at = self._timers.pop((name, key), None)
        if at is None:
            return
        group = self._timer_groups.get((name, at))
        if group is not None:
            group[1].pop(key, None)
            if not group[1]:
                group[0].cancel()
                del self._timer_groups[name, at]

    def _fire(self, name: str, at: float) -> None:
        group = self._timer_groups.pop((name, at), None)
        if group is None:
            return
        for key in group[1]:
            self._timers.pop((name, key), None)
        self.feed_all(name, [TimerFired(key) for key in group[1]])

    # --- transports ------------------------------------------------------------------------

    async def _start_transports(self) -> None:
        from routesim.router.udp import LoopbackUdpPort, UdpPort, open_rip_socket

        for name, transport in self.transports.items():
            if transport == "raw-ospf":
                self._start_raw(name)
            if transport == "tcp-bgp":
                await self._start_tcp(name)
            if transport != "udp-rip":
                continue
            own = {i.address.ip for i in self.cfg.interfaces}
            section = self.cfg.protocols.get(name, {})
            port_no = int(self.cfg.ports.get("rip", 520))
            for iface in section.get("interfaces", []):
                conf = next(c for c in self.cfg.interfaces if c.name == iface["name"])
                if self.cfg.mode == "loopback":
                    assert conf.bind is not None
                    port = LoopbackUdpPort(conf.name, conf.bind, port_no, conf.peers, self._udp_deliver(name))
                    await port.start()
                    self._udp[conf.name] = port
                    continue
                idx = self.ifindex(conf.name)
                if idx is None:
                    raise RuntimeError(f"{self.cfg.node}: interface {conf.name} not found")
                sock = open_rip_socket(conf.name, idx, conf.address, port_no)
                port = UdpPort(conf.name, sock, self._udp_deliver(name), own)
                await port.start()
                self._udp[conf.name] = port

    def _start_raw(self, name: str) -> None:
        from routesim.router.raw import RawPort

        for iface in self.cfg.protocols.get(name, {}).get("interfaces", []):
            if iface.get("passive") or iface["name"] == "lo":
                continue
            conf = next(c for c in self.cfg.interfaces if c.name == iface["name"])
            idx = self.ifindex(conf.name)
            if idx is None:
                raise RuntimeError(f"{self.cfg.node}: interface {conf.name} not found")
            port = RawPort(conf.name, idx, conf.address, self._raw_deliver(name))
            port.start()
            self._raw[conf.name] = port

    async def _start_tcp(self, name: str) -> None:
        from routesim.router.tcp import BgpTransport, PeerOptions

        section = self.cfg.protocols.get(name, {})
        peers = {}
        for n in section.get("neighbors", []):
            single_hop = n.get("ebgp", True) and not n.get("multihop", False)
            if n.get("ttl_security"):
                opts = PeerOptions(n.get("md5"), 255, 254)
            else:
                opts = PeerOptions(n.get("md5"), 1 if single_hop else None)
            peers[IPv4Address(n["address"])] = opts
        if self.cfg.mode == "loopback":
            amap = {IPv4Address(m): IPv4Address(b) for m, b in self.cfg.addr_map.items()}
            rmap = {b: m for m, b in amap.items()}
            listen = sorted({amap[i.address.ip] for i in self.cfg.interfaces if i.address.ip in amap})
            if self.cfg.loopback is not None and self.cfg.loopback.ip in amap:
                listen.append(amap[self.cfg.loopback.ip])
            transport = BgpTransport(
                self._emitter(name),
                port=int(self.cfg.ports.get("bgp", 10179)),
                listen=listen,
                peers=peers,
                to_wire=lambda a: amap.get(a, a),
                from_wire=lambda a: rmap.get(a, a),
            )
        else:
            transport = BgpTransport(
                self._emitter(name),
                port=int(self.cfg.ports.get("bgp", 179)),
                listen=[IPv4Address("0.0.0.0")],
                peers=peers,
            )
        await transport.start()
        self._tcp[name] = transport

    def _emitter(self, name: str):
        def emit(event) -> None:
            self.feed(name, event)

        return emit

    def _raw_deliver(self, name: str):
        """Packets are queued and handed to the engine together on the next turn of the loop:
        everything every socket had ready in one epoll wake-up becomes one engine call."""
        queue: list[Event] = []

        def drain() -> None:
            events = queue[:]
            queue.clear()
            self.feed_all(name, events)

        def deliver(iface: str, src: IPv4Address, dst: IPv4Address, data: bytes, ttl: int) -> None:
            if not queue:
                self._loop.call_soon(drain)
            queue.append(PacketIn(iface=iface, src=src, data=data, dst=dst, ttl=ttl))

        return deliver

    def _udp_deliver(self, name: str):
        def deliver(iface: str, src: IPv4Address, port: int, data: bytes) -> None:
            self.feed(name, PacketIn(iface=iface, src=src, data=data, src_port=port))

        return deliver

    def _send(self, name: str, a: Send) -> None:
        if a.conn is not None:
            tcp = self._tcp.get(name)
            if tcp is not None:
                tcp.send(a.conn, a.data)
            return
        if self.transports.get(name) == "raw-ospf":
            port = self._raw.get(a.iface or "")
            if port is not None and a.dst is not None:
                port.send(a.data, a.dst)
            return
        if self.transports.get(name) == "udp-rip":
            port = self._udp.get(a.iface or "")
            if port is not None and a.dst is not None:
                port.send(a.data, a.dst, a.dst_port or 520)

    # --- commands (events on a running lab) ------------------------------------------------

    async def command(self, q: str, args: dict[str, Any]) -> Any:
        """Run-time changes: static routes, interface costs, BGP resets and announcements, and the
        loopback-mode link controls."""
        from dataclasses import replace
        from ipaddress import IPv4Address, IPv4Network

        from routesim.rib.sources import StaticSpec

        if q in ("iface_down", "iface_up"):
            # loopback mode has no carrier: a link failure is told to both ends of the link
            iface, up = args["interface"], q == "iface_up"
            if self.iface_up.get(iface) != up:
                self.iface_up[iface] = up
                port = self._udp.get(iface)
                if port is not None and hasattr(port, "up"):
                    port.up = up
                self.events.add("iface", self.now(), interface=iface, state="up" if up else "down")
                self._refresh_connected()
                for name, engine in self.engines.items():
                    ev = InterfaceUp(iface) if up else InterfaceDown(iface)
                    self._perform(name, engine.handle(ev, self.now()))
                self._offer_rib()
            return {"interface": iface, "up": up}
        if q in ("bgp_reset", "bgp_announce", "bgp_withdraw"):
            from ipaddress import IPv4Network

            engine = self.engines.get("bgp")
            if engine is None:
                raise KeyError("this router does not run BGP")
            now = self.now()
            if q == "bgp_reset":
                peers = [IPv4Address(args["peer"])] if args.get("peer") else list(engine.peers)
                for peer in peers:
                    self._perform("bgp", engine.reset_peer(peer, now))
                return {"reset": [str(p) for p in peers]}
            prefix = IPv4Network(args["prefix"])
            current = [p for p in engine.config.announce if p != prefix]
            if q == "bgp_announce":
                current.append(prefix)
            self._perform("bgp", engine.set_announce(current, now))
            self.events.add("config", now, command=q, prefix=str(prefix))
            return {"announce": [str(p) for p in current]}
        if q == "set_cost":
            iface, cost = args["interface"], int(args["cost"])
            now = self.now()
            self.cfg = replace(
                self.cfg,
                interfaces=tuple(
                    replace(i, cost=cost) if i.name == iface else i for i in self.cfg.interfaces
                ),
            )
            for name, engine in self.engines.items():
                if hasattr(engine, "set_cost"):
                    self._perform(name, engine.set_cost(iface, cost, now))
                elif hasattr(engine, "set_metric"):
                    self._perform(name, engine.set_metric(iface, cost, now))
            self.events.add("config", now, command=q, interface=iface, cost=cost)
            return {"interface": iface, "cost": cost}
        if q == "impair":
            port = self._udp.get(args["interface"])
            if port is None or not hasattr(port, "loss"):
                raise KeyError(f"no loopback-mode port on {args['interface']}")
            port.loss = float(args.get("loss", port.loss))
            port.delay = float(args.get("delay", port.delay))
            return {"interface": args["interface"], "loss": port.loss, "delay": port.delay}
        if q in ("static_add", "static_remove"):
            prefix = IPv4Network(args["prefix"])
            statics = [s for s in self.cfg.static if s.prefix != prefix]
            if q == "static_add":
                statics.append(
                    StaticSpec(
                        prefix,
                        IPv4Address(args["next_hop"]) if args.get("next_hop") else None,
                        args.get("interface"),
                        int(args.get("distance", 1)),
                        int(args.get("metric", 0)),
                        bool(args.get("blackhole", False)),
                    )
                )
            self.cfg = replace(self.cfg, static=tuple(statics))
            self.events.add("config", self.now(), command=q, prefix=str(prefix))
            self._refresh_connected()
            self._offer_rib()
            return {"static": len(statics)}
        raise KeyError(q)

    # --- inspection ------------------------------------------------------------------------

    async def inspect(self, what: str, args: dict[str, Any]) -> Any:
        now = self.now()
        if what == "status":
            return {
                "node": self.cfg.node,
                "kind": "routesim",
                "pid": os.getpid(),
                "ready": self.ready,
                "uptime": round(time.time() - self.started_at, 3),
                "router_id": str(self.cfg.router_id),
                "protocols": sorted(self.engines),
                "last_rib_change": self.events.last_rib_change,
                "rib_changes": self.events.rib_changes,
            }
        if what == "routes":
            return {"rib": self.rib.to_json(now), "fib": await self._kernel_fib()}
        if what == "interfaces":
            states = self._watcher.states if self._watcher else {}
            return [
                {
                    "name": st.name,
                    "index": st.index,
                    "state": "up" if st.admin_up else "down",
                    "carrier": st.carrier,
                    "mtu": st.mtu,
                    "mac": st.mac,
                    "addresses": list(st.addresses),
                }
                for st in sorted(states.values(), key=lambda s: s.index)
            ]
        if what == "events":
            return self.events.since(int(args.get("since", 0)))
        if what == "counters":
            out = {"router": dict(self.counters)}
            for name, engine in self.engines.items():
                out[name] = engine.inspect(now).get("counters", {})
            return out
        if what == "bgp_summary" and "bgp" in self.engines:
            # O(1) counts (prefixes accepted, Loc-RIB size): cheap to poll during a full-table load,
            # unlike "bgp", whose tables sort every prefix.
            return self.engines["bgp"].summary()  # type: ignore[attr-defined]
        if what in self.engines:
            return self.engines[what].inspect(now)
        if what == "neighbors":
            return {name: engine.inspect(now).get("neighbors", []) for name, engine in self.engines.items()}
        raise KeyError(what)

    async def _kernel_fib(self) -> list[dict[str, Any]]:
        from routesim.router.netlink import read_fib

        names = {st.index: st.name for st in (self._watcher.states.values() if self._watcher else ())}
        if self._watcher is None:  # loopback mode: no namespace of its own
            return []
        async with self._read_lock:
            if self._ipr_read is None:  # created on the first inspection, not at start
                from pyroute2 import AsyncIPRoute

                self._ipr_read = AsyncIPRoute()
                await self._ipr_read.setup_endpoint()
            try:
                return await asyncio.wait_for(read_fib(self._ipr_read, names), 2.0)
            except TimeoutError:
                # a netlink dump that never completes must not wedge inspection: start afresh
                log.warning("kernel FIB dump timed out; reopening the netlink socket")
                from pyroute2 import AsyncIPRoute

                self._ipr_read.close()
                self._ipr_read = AsyncIPRoute()
                await self._ipr_read.setup_endpoint()
                return await asyncio.wait_for(read_fib(self._ipr_read, names), 2.0)
