"""Raw IP sockets for OSPF (IP protocol 89): one per interface.

RFC 2328 §8.1: packets go to AllSPFRouters 224.0.0.5 / AllDRouters 224.0.0.6 or unicast, with
TTL 1 and IP precedence Internetwork Control (TOS 0xC0); every non-passive interface listens to
224.0.0.5 from the moment it is up, and to 224.0.0.6 while the engine says so (``JoinGroup`` /
``LeaveGroup``). Each socket is bound to its device (``SO_BINDTODEVICE``) so the interface a
packet arrived on is known; a raw socket receives the IP header, which is parsed for the source and
destination and stripped before the engine sees the OSPF packet.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface

from routesim.wire.ospf import shared_address

log = logging.getLogger(__name__)

OSPF_PROTO = 89
ALL_SPF_ROUTERS = IPv4Address("224.0.0.5")


def drain(sock: socket.socket) -> int:
    """Discard what ``sock`` received before it was bound to its device, and return how many.

    A raw socket receives every protocol-89 packet of the namespace from its creation until
    ``SO_BINDTODEVICE`` takes effect; one queued in that window would be read as arriving on this
    interface. On a point-to-point link the network mask is not checked (§10.5), so a Hello from
    the neighbor on *another* link made a phantom neighbor here, stuck in Init until its dead
    interval (seen once in ~15 starts of a 5x5 grid, whose routers start while their neighbors
    already send Hellos). Dropping a Hello costs nothing: the next one comes a HelloInterval later.
    """
    n = 0
    while True:
        try:
            sock.recv(65535, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return n
        n += 1


class RawPort:
    """One interface's OSPF socket; packets go to ``deliver(iface, src, dst, payload, ttl)``."""

    def __init__(
        self,
        iface: str,
        ifindex: int,
        address: IPv4Interface,
        deliver: Callable[[str, IPv4Address, IPv4Address, bytes, int], None],
        *,
        listen: bool = True,
    ) -> None:
        self.iface = iface
        self.ifindex = ifindex
        self.address = address
        self._deliver = deliver
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, OSPF_PROTO)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        self.discarded = drain(s)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, self._mreqn(ALL_SPF_ROUTERS))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xC0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.setblocking(False)
        self._sock = s
        self.groups: set[IPv4Address] = set()
        self.sent = self.received = self.send_errors = 0
        self._dst_cache: dict[IPv4Address, tuple[str, int]] = {}
        if listen:
            self.join(ALL_SPF_ROUTERS)

    def _mreqn(self, group: IPv4Address) -> bytes:
        return struct.pack("4s4si", group.packed, self.address.ip.packed, self.ifindex)

    def join(self, group: IPv4Address) -> None:
        if group in self.groups:
            return
        try:
            self._sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, self._mreqn(group))
            self.groups.add(group)
        except OSError as e:
            log.warning("%s: join %s failed: %s", self.iface, group, e)

    def leave(self, group: IPv4Address) -> None:
        if group not in self.groups:
            return
        self.groups.discard(group)
        try:
            self._sock.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, self._mreqn(group))
        except OSError as e:
            log.debug("%s: leave %s failed: %s", self.iface, group, e)

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._sock.fileno(), self._readable)

    def _readable(self) -> None:
        while True:
            try:
                data = self._sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.debug("%s: receive failed: %s", self.iface, e)
                return
            if len(data) < 20 or data[0] >> 4 != 4:
                continue
            ihl = (data[0] & 0x0F) * 4
            ttl = data[8]
            src = shared_address(int.from_bytes(data[12:16], "big"))
            dst = shared_address(int.from_bytes(data[16:20], "big"))
            if src == self.address.ip:
                continue
            self.received += 1
            self._deliver(self.iface, src, dst, data[ihl:], ttl)

    def send(self, data: bytes, dst: IPv4Address) -> None:
        addr = self._dst_cache.get(dst)
        if addr is None:  # str(IPv4Address) costs more than the sendto syscall's argument parsing
            if len(self._dst_cache) > 1024:
                self._dst_cache.clear()
            addr = self._dst_cache[dst] = (str(dst), 0)
        try:
            self._sock.sendto(data, addr)
            self.sent += 1
        except OSError as e:  # interface down: the engine learns it from the link watcher
            self.send_errors += 1
            log.debug("%s: send to %s failed: %s", self.iface, dst, e)

    def close(self) -> None:
        try:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
        except RuntimeError:
            pass
        self._sock.close()
