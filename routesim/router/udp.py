"""UDP sockets for RIP: one per interface, bound to the device and to port 520.

Each socket (RFC 2453 §3.9 / §4: port 520, group 224.0.0.9) is bound with ``SO_BINDTODEVICE``
so the engine learns which interface a packet came in on, joins 224.0.0.9 on that interface, sends
multicast out of it with TTL 1 and multicast loopback off (we must never hear ourselves). The
sockets are wrapped with asyncio-dgram.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface

import asyncio_dgram

log = logging.getLogger(__name__)

RIP_GROUP = "224.0.0.9"


def open_rip_socket(iface: str, ifindex: int, address: IPv4Interface, port: int = 520) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("0.0.0.0", port))
    mreqn = struct.pack("4s4si", socket.inet_aton(RIP_GROUP), socket.inet_aton(str(address.ip)), ifindex)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xC0)  # precedence Internetwork Control
    s.setblocking(False)
    return s


class UdpPort:
    """One interface's RIP socket; received datagrams go to ``deliver(iface, src, port, data)``."""

    def __init__(
        self,
        iface: str,
        sock: socket.socket,
        deliver: Callable[[str, IPv4Address, int, bytes], None],
        own: set[IPv4Address],
    ) -> None:
        self.iface = iface
        self._sock = sock
        self._deliver = deliver
        self._own = own
        self._stream: asyncio_dgram.aio.DatagramStream | None = None
        self._task: asyncio.Task | None = None
        self.sent = 0
        self.send_errors = 0

    async def start(self) -> None:
        self._stream = await asyncio_dgram.from_socket(self._sock)
        self._task = asyncio.create_task(self._reader(), name=f"udp-{self.iface}")

    async def _reader(self) -> None:
        assert self._stream is not None
        while True:
            try:
                data, (host, port) = await self._stream.recv()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("%s: receive failed: %s", self.iface, e)
                await asyncio.sleep(0.1)
                continue
            src = IPv4Address(host)
            if src in self._own:
                continue
            self._deliver(self.iface, src, port, data)

    def send(self, data: bytes, dst: IPv4Address, port: int) -> None:
        try:
            self._sock.sendto(data, (str(dst), port))
            self.sent += 1
        except OSError as e:  # interface down (ENETUNREACH/ENODEV): the engine will be told separately
            self.send_errors += 1
            log.debug("%s: send to %s failed: %s", self.iface, dst, e)

    def close(self) -> None:
        if self._task:
            self._task.cancel()
        if self._stream is not None:
            self._stream.close()
        else:
            self._sock.close()


class LoopbackUdpPort(UdpPort):
    """Loopback mode: one interface's socket on its 127.x address; model addresses at the edge.

    Multicast sends become unicast to every neighbour of the segment; a datagram from a
    neighbour's 127.x address is delivered as coming from its model address; anything else is
    dropped (and counted), like a packet from off-link.
    """

    def __init__(
        self,
        iface: str,
        bind: IPv4Address,
        port: int,
        peers: tuple[tuple[IPv4Address, IPv4Address], ...],
        deliver: Callable[[str, IPv4Address, int, bytes], None],
    ) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((str(bind), port))
        s.setblocking(False)
        super().__init__(iface, s, self._from_loopback, set())
        self._inner = deliver
        self._port = port
        self._to_loop = {m: b for m, b in peers}
        self._to_model = {b: m for m, b in peers}
        self.up = True
        self.foreign = 0
        #: loopback mode's link emulation, applied to what this interface sends
        self.loss = 0.0
        self.delay = 0.0
        self.dropped = 0
        import random

        self._rng = random.Random(f"{iface}:{bind}")

    def _from_loopback(self, iface: str, src: IPv4Address, port: int, data: bytes) -> None:
        model = self._to_model.get(src)
        if model is None or not self.up:
            self.foreign += 1
            return
        self._inner(iface, model, port, data)

    def send(self, data: bytes, dst: IPv4Address, port: int) -> None:
        if not self.up:
            self.send_errors += 1
            return
        targets = list(self._to_loop.values()) if dst.is_multicast else [self._to_loop.get(dst)]
        for t in targets:
            if t is None:
                self.send_errors += 1
                continue
            if self.loss and self._rng.random() < self.loss:
                self.dropped += 1
                continue
            out_port = self._port if port == 520 else port
            if self.delay:
                asyncio.get_running_loop().call_later(self.delay, UdpPort.send, self, data, t, out_port)
            else:
                super().send(data, t, out_port)
