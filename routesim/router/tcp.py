"""TCP for BGP (port 179): a listener, outgoing connections, and the engine's connection handles.

The engine asks for connections (``OpenConnection(peer, local)``) and names them by an opaque
``conn`` handle; this driver turns sockets into ``TcpUp``/``TcpData``/``TcpDown`` events and carries
``Send(conn=...)`` / ``CloseConnection``. Per-peer socket options:

* TCP MD5 signatures (RFC 2385, Linux ``TCP_MD5SIG``): the key is set on the listening socket for
  the peer's address before any SYN can arrive, and on the outgoing socket before ``connect``; a
  segment without (or with a wrong) signature is silently dropped by the kernel;
* TTL: eBGP on a shared link sends with TTL 1 (RFC 4271's single-hop default); GTSM (RFC 5082)
  sends with TTL 255 and accepts only TTL >= 254 (``IP_MINTTL``); iBGP and multihop use the
  default TTL;
* ``TCP_NODELAY``: messages go out when the engine sends them.

In loopback mode the driver binds 127.x addresses and translates them to and from the model's
addresses with the router's address map, so the engine sees only the topology's addresses.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

log = logging.getLogger(__name__)

TCP_MD5SIG = 14
IP_MINTTL = 21


def md5sig(peer: IPv4Address, key: str | None) -> bytes:
    """``struct tcp_md5sig`` for ``peer`` (an empty key removes it)."""
    k = (key or "").encode()
    if len(k) > 80:
        raise ValueError("TCP MD5 keys are at most 80 octets")
    addr = struct.pack("<H", socket.AF_INET) + struct.pack("!H", 0) + peer.packed
    addr = addr.ljust(128, b"\0")
    return addr + struct.pack("=BBHI", 0, 0, len(k), 0) + k.ljust(80, b"\0")


@dataclass(frozen=True)
class PeerOptions:
    md5: str | None = None
    ttl: int | None = None  # 1 for single-hop eBGP, 255 for GTSM, None for the default
    min_ttl: int | None = None  # 254 with GTSM


class BgpTransport:
    def __init__(
        self,
        emit: Callable[[Any], None],
        *,
        port: int,
        listen: list[IPv4Address],
        peers: dict[IPv4Address, PeerOptions],
        to_wire: Callable[[IPv4Address], IPv4Address] = lambda a: a,
        from_wire: Callable[[IPv4Address], IPv4Address] = lambda a: a,
    ) -> None:
        self._emit = emit
        self.port = port
        self.listen = listen
        self.peers = peers
        self._to_wire, self._from_wire = to_wire, from_wire
        self._servers: list[asyncio.AbstractServer] = []
        self._conns: dict[int, tuple[asyncio.StreamWriter, IPv4Address, asyncio.Task]] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        self.accepted = self.refused = self.connect_failures = 0

    # --- listening -------------------------------------------------------------------------

    async def start(self) -> None:
        for addr in self.listen:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            for peer, opts in self.peers.items():
                if opts.md5:
                    s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(self._to_wire(peer), opts.md5))
            s.bind((str(addr), self.port))
            s.listen(64)
            s.setblocking(False)
            self._servers.append(await asyncio.start_server(self._accepted, sock=s))

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, _ = writer.get_extra_info("peername")
        local_host, _ = writer.get_extra_info("sockname")
        peer = self._from_wire(IPv4Address(host))
        opts = self.peers.get(peer)
        if opts is None:
            self.refused += 1
            writer.close()
            return
        self.accepted += 1
        self._tune(writer.get_extra_info("socket"), opts)
        self._register(reader, writer, peer, self._from_wire(IPv4Address(local_host)), passive=True)

    # --- connecting ------------------------------------------------------------------------

    def open(self, peer: IPv4Address, local: IPv4Address | None) -> None:
        task = asyncio.ensure_future(self._connect(peer, local))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, peer: IPv4Address, local: IPv4Address | None) -> None:
        from routesim.proto.base import TcpDown

        opts = self.peers.get(peer, PeerOptions())
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            if opts.md5:
                s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(self._to_wire(peer), opts.md5))
            self._tune(s, opts)
            if local is not None:
                s.bind((str(self._to_wire(local)), 0))
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(loop.sock_connect(s, (str(self._to_wire(peer)), self.port)), 10.0)
            reader, writer = await asyncio.open_connection(sock=s)
        except (OSError, TimeoutError) as e:
            s.close()
            self.connect_failures += 1
            log.debug("connect to %s failed: %s", peer, e)
            self._emit(TcpDown(peer, None, reason=str(e) or type(e).__name__))
            return
        local_host, _ = writer.get_extra_info("sockname")
        self._register(reader, writer, peer, self._from_wire(IPv4Address(local_host)), passive=False)

    @staticmethod
    def _tune(sock: socket.socket | None, opts: PeerOptions) -> None:
        if sock is None:
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if opts.ttl is not None:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, opts.ttl)
        if opts.min_ttl is not None:
            sock.setsockopt(socket.IPPROTO_IP, IP_MINTTL, opts.min_ttl)

    # --- connections -----------------------------------------------------------------------

    def _register(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: IPv4Address,
        local: IPv4Address,
        *,
        passive: bool,
    ) -> None:
        from routesim.proto.base import TcpUp

        conn = next(self._ids)
        writer._routesim_reader = reader  # type: ignore[attr-defined]  (for the graceful close)
        task = asyncio.ensure_future(self._reader(conn, reader, peer))
        self._conns[conn] = (writer, peer, task)
        self._emit(TcpUp(peer, conn, local, passive))

    async def _reader(self, conn: int, reader: asyncio.StreamReader, peer: IPv4Address) -> None:
        from routesim.proto.base import TcpDown
        from routesim.proto.bgp.events import TcpData

        reason = "closed by peer"
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                self._emit(TcpData(conn, data))
                if conn not in self._conns:
                    return  # the engine closed it while handling the data
        except asyncio.CancelledError:
            return
        except OSError as e:
            reason = str(e)
        if self._conns.pop(conn, None) is not None:
            self._emit(TcpDown(peer, conn, reason=reason))

    def drop_peer(self, peer: IPv4Address, reason: str) -> int:
        """Fail every connection to ``peer`` now (fast external fallover: the link is gone, so
        waiting for the hold timer would only delay the inevitable). The engine gets ``TcpDown``."""
        from routesim.proto.base import TcpDown

        dropped = 0
        for conn, (writer, p, task) in list(self._conns.items()):
            if p != peer:
                continue
            del self._conns[conn]
            task.cancel()
            transport = writer.transport
            if transport is not None:
                transport.abort()
            self._emit(TcpDown(peer, conn, reason=reason))
            dropped += 1
        return dropped

    def send(self, conn: Any, data: bytes) -> None:
        entry = self._conns.get(conn)
        if entry is None:
            return
        try:
            entry[0].write(data)
        except (OSError, RuntimeError) as e:
            log.debug("send on %s failed: %s", conn, e)

    def close(self, conn: Any) -> None:
        """Close gracefully: FIN after what was written (a NOTIFICATION, say), then discard what the
        peer still sends until its FIN. Closing a socket with unread data would make the kernel
        answer with a RST, which a capture shows as a reset connection."""
        entry = self._conns.pop(conn, None)
        if entry is None:
            return
        writer, _, task = entry
        task.cancel()
        linger = asyncio.ensure_future(self._linger(writer, task))
        self._tasks.add(linger)
        linger.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _linger(writer: asyncio.StreamWriter, reader_task: asyncio.Task) -> None:
        try:
            await asyncio.wait_for(writer.drain(), 1.0)
            if writer.can_write_eof():
                writer.write_eof()
            reader = getattr(writer, "_routesim_reader", None)
            if reader is not None:
                deadline = asyncio.get_running_loop().time() + 2.0
                while asyncio.get_running_loop().time() < deadline:
                    chunk = await asyncio.wait_for(reader.read(1 << 16), 2.0)
                    if not chunk:
                        break
        except (OSError, TimeoutError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except (OSError, RuntimeError):
                pass

    async def stop(self) -> None:
        for conn in list(self._conns):
            entry = self._conns.get(conn)
            if entry is not None:
                try:
                    await asyncio.wait_for(entry[0].drain(), 0.5)
                except (OSError, TimeoutError, RuntimeError):
                    pass
            self.close(conn)
        for srv in self._servers:
            srv.close()
        for t in list(self._tasks):
            t.cancel()
