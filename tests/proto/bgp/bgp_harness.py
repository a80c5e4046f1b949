"""In-memory TCP and a fake clock for BGP engines (h11 ConnectionPair / aioquic roundtrip style).

``Net`` owns the clock (``now`` starts at 0.0), every engine's armed timers, and a FIFO of deliveries.
``OpenConnection`` from A to an address owned by B becomes ``TcpUp`` on both sides (A active, B
passive) with a fresh integer ``conn``; ``Send(conn)`` becomes ``TcpData`` on the other end;
``CloseConnection`` becomes ``TcpDown`` at the other end. Deliveries take ``delay`` seconds (0 by
default) and keep their order. ``run(until)`` jumps from event to event.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    CloseConnection,
    Log,
    NextHop,
    OpenConnection,
    RibChanged,
    Route,
    RouteProtocol,
    RoutesChanged,
    Send,
    SessionEvent,
    TcpDown,
    TcpUp,
    TimerFired,
)
from routesim.proto.bgp import BgpConfig, BgpEngine, BgpNeighbor, TcpData
from routesim.wire.bgp import Framer, Negotiated, Notification, decode_message

FOUR = Negotiated(four_octet_as=True)


def ip(s: str) -> IPv4Address:
    return IPv4Address(s)


def net(s: str) -> IPv4Network:
    return IPv4Network(s)


def connected(prefix: str, iface: str = "eth0") -> Route:
    return Route(net(prefix), RouteProtocol.CONNECTED, 0, frozenset({NextHop(None, iface)}))


def igp(prefix: str, gateway: str, metric: int = 10, iface: str = "eth0") -> Route:
    return Route(net(prefix), RouteProtocol.OSPF, metric, frozenset({NextHop(ip(gateway), iface)}))


def make(asn: int, router_id: str, neighbors: list[BgpNeighbor], **kw: Any) -> BgpConfig:
    kw.setdefault("hold_time", 9.0)
    kw.setdefault("keepalive", 3.0)
    kw.setdefault("connect_retry", 5.0)
    return BgpConfig(asn=asn, router_id=ip(router_id), neighbors=tuple(neighbors), **kw)


def nbr(address: str, remote_as: int, **kw: Any) -> BgpNeighbor:
    return BgpNeighbor(address=ip(address), remote_as=remote_as, **kw)


@dataclass
class Node:
    name: str
    engine: BgpEngine
    addresses: set[IPv4Address]
    timers: dict[Any, float] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    rib: dict[IPv4Network, Route] = field(default_factory=dict)
    igp_routes: list[Route] = field(default_factory=list)

    def logs(self) -> list[str]:
        return [a.message for a in self.actions if isinstance(a, Log)]

    def session_events(self) -> list[SessionEvent]:
        return [a for a in self.actions if isinstance(a, SessionEvent)]

    def state(self, peer: str) -> str:
        return str(self.engine.peers[ip(peer)].session.state)


class Net:
    def __init__(self, delay: float = 0.0) -> None:
        self.now = 0.0
        self.delay = delay
        self.nodes: dict[str, Node] = {}
        self.owner: dict[IPv4Address, str] = {}
        self.conns: dict[int, tuple[str, str]] = {}  # conn -> (initiator, acceptor)
        self.closed: set[int] = set()
        self.cut: set[frozenset[str]] = set()  # pairs whose data is silently dropped
        self.refuse: set[frozenset[str]] = set()  # pairs whose connection attempts fail
        self._queue: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self._conn_ids = itertools.count(1)
        self.wire: list[tuple[float, str, str, bytes]] = []  # (time, from, to, bytes)

    def add(
        self,
        name: str,
        config: BgpConfig,
        addresses: list[str],
        *,
        seed: int = 1,
        igp_routes: list[Route] | None = None,
    ) -> Node:
        node = Node(name, BgpEngine(config, random.Random(seed)), {ip(a) for a in addresses})
        node.igp_routes = list(igp_routes or [])
        self.nodes[name] = node
        for a in node.addresses:
            self.owner[a] = name
        return node

    def start(self, *names: str) -> None:
        for name in names or list(self.nodes):
            node = self.nodes[name]
            if node.igp_routes:
                self._apply(node, node.engine.start(self.now))
                self.deliver(name, RibChanged(tuple(node.igp_routes)))
            else:
                self._apply(node, node.engine.start(self.now))

    def set_igp(self, name: str, routes: list[Route]) -> None:
        node = self.nodes[name]
        node.igp_routes = list(routes)
        self.deliver(name, RibChanged(tuple(routes) + tuple(node.rib.values())))

    def deliver(self, name: str, event: Any) -> list[Action]:
        node = self.nodes[name]
        actions = node.engine.handle(event, self.now)
        self._apply(node, actions)
        return actions

    def call(self, name: str, method: str, *args: Any) -> list[Action]:
        node = self.nodes[name]
        actions = getattr(node.engine, method)(*args, self.now)
        self._apply(node, actions)
        return actions

    def _push(self, at: float, name: str, event: Any) -> None:
        heapq.heappush(self._queue, (at, next(self._seq), name, event))

    def _local_toward(self, src: str, dst: str) -> IPv4Address | None:
        """Our address as the other side has it configured (its neighbour address for us)."""
        for n in self.nodes[dst].engine.config.neighbors:
            if self.owner.get(n.address) == src:
                return n.address
        return None

    def _apply(self, node: Node, actions: list[Action]) -> None:
        node.actions += actions
        for a in actions:
            if isinstance(a, ArmTimer):
                node.timers[a.key] = a.at
            elif isinstance(a, CancelTimer):
                node.timers.pop(a.key, None)
            elif isinstance(a, RoutesChanged):
                for p, _ in a.withdrawals:
                    node.rib.pop(p, None)
                for r in a.upserts:
                    node.rib[r.prefix] = r
            elif isinstance(a, OpenConnection):
                dst = self.owner.get(a.peer)
                if dst is None or frozenset((node.name, dst)) in self.refuse | self.cut:
                    self._push(self.now + self.delay, node.name, TcpDown(a.peer, None, "refused"))
                    continue
                conn = next(self._conn_ids)
                self.conns[conn] = (node.name, dst)
                local = self._local_toward(node.name, dst) or next(iter(node.addresses))
                self._push(self.now + self.delay, node.name, TcpUp(a.peer, conn, local, passive=False))
                self._push(self.now + self.delay, dst, TcpUp(local, conn, a.peer, passive=True))
            elif isinstance(a, Send) and a.conn is not None:
                if a.conn in self.closed:
                    continue
                other = self._other(a.conn, node.name)
                self.wire.append((self.now, node.name, other, a.data))
                if frozenset((node.name, other)) in self.cut:
                    continue
                self._push(self.now + self.delay, other, TcpData(a.conn, a.data))
            elif isinstance(a, CloseConnection):
                if a.conn in self.closed or a.conn not in self.conns:
                    continue
                self.closed.add(a.conn)
                other = self._other(a.conn, node.name)
                peer_addr = self._local_toward(node.name, other) or next(iter(node.addresses))
                self._push(self.now + self.delay, other, TcpDown(peer_addr, a.conn, "closed by peer"))

    def _other(self, conn: int, name: str) -> str:
        a, b = self.conns[conn]
        return b if name == a else a

    def next_time(self) -> float | None:
        times = [t for n in self.nodes.values() for t in n.timers.values()]
        if self._queue:
            times.append(self._queue[0][0])
        return min(times, default=None)

    def step(self) -> bool:
        t = self.next_time()
        if t is None:
            return False
        self.now = max(self.now, t)
        if self._queue and self._queue[0][0] <= t:
            _, _, name, event = heapq.heappop(self._queue)
            self.deliver(name, event)
            return True
        for node in self.nodes.values():
            for key, at in sorted(node.timers.items(), key=lambda kv: kv[1]):
                if at <= t:
                    del node.timers[key]
                    self.deliver(node.name, TimerFired(key))
                    return True
        return True

    def run(self, until: float, max_steps: int = 100_000) -> None:
        for _ in range(max_steps):
            t = self.next_time()
            if t is None or t > until:
                break
            self.step()
        self.now = max(self.now, until)

    def settle(self, max_steps: int = 100_000) -> None:
        """Deliver everything in flight (timers not fired)."""
        for _ in range(max_steps):
            if not self._queue:
                return
            _, _, name, event = heapq.heappop(self._queue)
            self.now = max(self.now, _)
            self.deliver(name, event)

    def messages(self, src: str, dst: str) -> list[Any]:
        framer = Framer()
        out = []
        for _, a, b, data in self.wire:
            if a == src and b == dst:
                out += [decode_message(m, FOUR) for m in framer.feed(data)]
        return out

    def notifications(self, src: str) -> list[Notification]:
        out = []
        for _, a, _, data in self.wire:
            if a == src:
                framer = Framer()
                out += [Notification.decode(m) for m in framer.feed(data) if m[18] == 3]
        return out


def two_ebgp(*, hold: float = 9.0, keepalive: float = 3.0, **kw: Any) -> Net:
    """r1 (AS 65001, 10.0.0.1) -- r2 (AS 65002, 10.0.0.2) on 10.0.0.0/30."""
    n = Net()
    n.add(
        "r1",
        make(65001, "1.1.1.1", [nbr("10.0.0.2", 65002, **kw)], hold_time=hold, keepalive=keepalive),
        ["10.0.0.1"],
        igp_routes=[connected("10.0.0.0/30")],
    )
    n.add(
        "r2",
        make(65002, "2.2.2.2", [nbr("10.0.0.1", 65001, **kw)], hold_time=hold, keepalive=keepalive),
        ["10.0.0.2"],
        igp_routes=[connected("10.0.0.0/30")],
    )
    return n


# --- one engine driven byte by byte ----------------------------------------------------------

from routesim.wire.bgp import (  # noqa: E402
    KEEPALIVE,
    AsPath,
    Attribute,
    LocalPref,
    MultiExitDisc,
    Open,
    Origin,
    Prefix,
    Update,
)
from routesim.wire.bgp import NextHop as NextHopAttr  # noqa: E402


def pfx(s: str) -> Prefix:
    return Prefix.from_network(s)


def attrs(
    *asns: int,
    next_hop: str,
    origin: int = 0,
    med: int | None = None,
    lp: int | None = None,
    extra: tuple[Attribute, ...] = (),
) -> tuple[Attribute, ...]:
    out: list[Attribute] = [Origin(origin), AsPath.from_asns(*asns), NextHopAttr(ip(next_hop))]
    if med is not None:
        out.append(MultiExitDisc(med))
    if lp is not None:
        out.append(LocalPref(lp))
    return (*out, *extra)


class Raw:
    """One engine under test; its peers are played by the test, which writes and reads raw BGP bytes.

    Neighbour ``10.0.N.2`` sits on the connected subnet ``10.0.N.0/24`` (we are ``10.0.N.1``).
    """

    def __init__(self, config: BgpConfig, igp_routes: list[Route] | None = None) -> None:
        self.engine = BgpEngine(config, random.Random(1))
        self.now = 0.0
        self.actions: list[Action] = []
        self.rib: dict[IPv4Network, Route] = {}
        self.neg: dict[IPv4Address, Negotiated] = {}
        self.conn: dict[IPv4Address, str] = {}
        self._apply(self.engine.start(0.0))
        routes = igp_routes
        if routes is None:
            routes = [connected(f"{n.address.exploded.rsplit('.', 1)[0]}.0/24") for n in config.neighbors]
        self.igp = list(routes)
        self.handle(RibChanged(tuple(routes)))

    def _apply(self, actions: list[Action]) -> list[Action]:
        self.actions += actions
        for a in actions:
            if isinstance(a, RoutesChanged):
                for p, _ in a.withdrawals:
                    self.rib.pop(p, None)
                for r in a.upserts:
                    self.rib[r.prefix] = r
        return actions

    def handle(self, event: Any) -> list[Action]:
        return self._apply(self.engine.handle(event, self.now))

    def local_for(self, peer: IPv4Address) -> IPv4Address:
        return IPv4Address(int(peer) - 1)

    def connect(self, peer: str) -> str:
        p = ip(peer)
        conn = f"c-{peer}"
        self.conn[p] = conn
        self.handle(TcpUp(p, conn, self.local_for(p), passive=True))
        return conn

    def establish(
        self, peer: str, asn: int, router_id: str, *, four_octet: bool = True, hold: int = 90
    ) -> str:
        conn = self.connect(peer)
        op = Open.for_speaker(asn, hold, ip(router_id), four_octet_as=four_octet)
        self.handle(TcpData(conn, op.encode() + KEEPALIVE.encode()))
        self.neg[ip(peer)] = Negotiated(
            four_octet_as=four_octet, internal=asn == self.engine.config.asn, route_refresh=True
        )
        assert str(self.engine.peers[ip(peer)].session.state) == "Established", self.logs()[-3:]
        return conn

    def send(self, peer: str, data: bytes) -> list[Action]:
        return self.handle(TcpData(self.conn[ip(peer)], data))

    def update(
        self,
        peer: str,
        nlri: list[str] = (),
        attributes: tuple[Attribute, ...] = (),
        withdrawn: list[str] = (),
    ) -> list[Action]:
        u = Update(tuple(pfx(w) for w in withdrawn), attributes, tuple(pfx(n) for n in nlri))
        return self.send(peer, u.encode(self.neg[ip(peer)]))

    def sent(self, peer: str, since: int = 0) -> list[Any]:
        """Messages the engine sent to ``peer`` (decoded with the session's encoding)."""
        conn = self.conn.get(ip(peer))
        neg = self.neg.get(ip(peer), Negotiated())
        framer = Framer()
        out = []
        for a in self.actions[since:]:
            if isinstance(a, Send) and a.conn == conn:
                out += [decode_message(m, neg) for m in framer.feed(a.data)]
        return out

    def advertised(self, peer: str, since: int = 0) -> dict[str, Update]:
        """prefix -> the last UPDATE announcing it to ``peer`` (withdrawn prefixes removed)."""
        table: dict[str, Update] = {}
        for m in self.sent(peer, since):
            if isinstance(m, Update):
                for w in m.withdrawn:
                    table.pop(str(w), None)
                for p in m.nlri:
                    table[str(p)] = m
        return table

    def notifications(self, peer: str) -> list[Notification]:
        return [m for m in self.sent(peer) if isinstance(m, Notification)]

    def logs(self) -> list[str]:
        return [a.message for a in self.actions if isinstance(a, Log)]

    def best(self, prefix: str):
        from routesim.proto.bgp.adj_rib import network_key

        return self.engine.best(network_key(net(prefix)))

    def state(self, peer: str) -> str:
        return str(self.engine.peers[ip(peer)].session.state)
