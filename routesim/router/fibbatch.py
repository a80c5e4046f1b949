"""Batched kernel FIB writes: many RTM_NEWROUTE/RTM_DELROUTE messages in one netlink send.

pyroute2 awaits one request at a time (a second request on the same socket before the first is
answered gets EBUSY), which made FIB programming two thirds of a large OSPF router's CPU. Here each
burst of RIB changes becomes one ``sendmsg`` of concatenated route messages (per ~60 KiB chunk),
and each change still gets its own result: the kernel answers every failed request with an
``NLMSG_ERROR`` carrying its sequence number whether or not it asked for an acknowledgement
(netlink(7)), so only the last message of a chunk asks for one (``NLM_F_ACK``). rtnetlink handles
a chunk synchronously inside ``sendmsg``; once the last message's acknowledgement has been read,
every failure of the chunk has been too, and the requests not named succeeded. One read per chunk
instead of one per route (each acknowledgement is its own datagram).

Message layout (rtnetlink(7)): ``nlmsghdr`` + ``rtmsg`` + attributes ``RTA_DST``, ``RTA_PRIORITY``,
and either ``RTA_GATEWAY``/``RTA_OIF`` or ``RTA_MULTIPATH`` (a list of ``rtnexthop`` each carrying
its own ``RTA_GATEWAY``); blackhole routes have type ``RTN_BLACKHOLE`` and no next hop.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Callable, Sequence

from routesim.proto.base import NextHop
from routesim.rib.table import FibChange
from routesim.router.rtnl import (
    I32,
    NLM_F_ACK,
    NLM_F_CREATE,
    NLM_F_REPLACE,
    NLM_F_REQUEST,
    NLMSG_ERROR,
    NLMSGHDR,
    RTA,
    RTA_DST,
    RTA_GATEWAY,
    RTA_MULTIPATH,
    RTA_OIF,
    RTA_PRIORITY,
    RTM_DELROUTE,
    RTM_NEWROUTE,
    RTMSG,
    U32,
)

RT_TABLE_MAIN, RTN_UNICAST, RTN_BLACKHOLE = 254, 1, 6
RT_SCOPE_UNIVERSE = 0
SOL_NETLINK, NETLINK_CAP_ACK = 270, 10
_RTNH = struct.Struct("=HBBi")
#: a write of route messages is sent (and its answers read) once it passes this size
CHUNK_BYTES = 60_000


def _attr(kind: int, payload: bytes) -> bytes:
    length = RTA.size + len(payload)
    return RTA.pack(length, kind) + payload + b"\0" * (-length % 4)


def _hop_key(h: NextHop) -> tuple[int, str]:
    return (int(h.gateway) if h.gateway is not None else -1, h.interface or "")


def route_message(
    change: FibChange,
    seq: int,
    protocol: int,
    priority: int,
    index_of: Callable[[str], int | None],
    *,
    ack: bool = True,
) -> bytes:
    """One RTM_NEWROUTE (replace) or RTM_DELROUTE for ``change``; ``ack``: ask for NLM_F_ACK."""
    net = change.prefix
    route = change.route
    rtype = RTN_UNICAST
    attrs = [_attr(RTA_DST, net.network_address.packed), _attr(RTA_PRIORITY, U32.pack(priority))]
    if route is None:
        kind, flags = RTM_DELROUTE, NLM_F_REQUEST
    else:
        kind, flags = RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE
        hops = sorted(route.next_hops, key=_hop_key) if len(route.next_hops) > 1 else list(route.next_hops)
        if len(hops) == 1 and hops[0].interface == "blackhole":
            rtype = RTN_BLACKHOLE
        elif len(hops) == 1:
            h = hops[0]
            if h.gateway is not None:
                attrs.append(_attr(RTA_GATEWAY, h.gateway.packed))
            idx = index_of(h.interface) if h.interface else None
            if idx is not None:
                attrs.append(_attr(RTA_OIF, I32.pack(idx)))
        else:
            nexthops = b""
            for h in hops:
                inner = _attr(RTA_GATEWAY, h.gateway.packed) if h.gateway is not None else b""
                idx = (index_of(h.interface) if h.interface else None) or 0
                nexthops += _RTNH.pack(_RTNH.size + len(inner), 0, 0, idx) + inner
            attrs.append(_attr(RTA_MULTIPATH, nexthops))
    if ack:
        flags |= NLM_F_ACK
    body = RTMSG.pack(
        socket.AF_INET, net.prefixlen, 0, 0, RT_TABLE_MAIN, protocol, RT_SCOPE_UNIVERSE, rtype, 0
    ) + b"".join(attrs)
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, seq, 0) + body


class FibBatcher:
    """A netlink socket of this router's namespace that writes route changes in bursts."""

    def __init__(self, protocol: int, priority: int, index_of: Callable[[str], int | None]) -> None:
        self.protocol, self.priority, self._index_of = protocol, priority, index_of
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self._sock.bind((0, 0))
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        try:  # acknowledgements without a copy of each request (netlink(7) NETLINK_CAP_ACK)
            self._sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        except OSError:
            pass
        self._seq = 1
        self._buf = bytearray(1 << 16)
        self._view = memoryview(self._buf)

    def apply(self, changes: Sequence[FibChange]) -> list[int]:
        """Write ``changes``; return an errno per change (0 = done). Blocking but brief: the kernel
        handles route messages synchronously, so the answers are queued when ``sendmsg`` returns."""
        if not changes:
            return []
        first = self._seq
        self._seq += len(changes)
        errors: dict[int, int] = {}
        done = 0  # changes [0, done) are answered
        chunk: list[bytes] = []
        size = 0
        last = len(changes) - 1
        for i, c in enumerate(changes):
            # one acknowledgement per chunk of ~60 KiB: each write stays within the socket buffer
            barrier = i == last or size > CHUNK_BYTES
            m = route_message(c, first + i, self.protocol, self.priority, self._index_of, ack=barrier)
            chunk.append(m)
            size += len(m)
            if barrier:
                self._sock.sendmsg(chunk)
                chunk, size = [], 0
                if not self._read_until(first + i, first, errors):
                    break
                done = i + 1
        return [errors.get(first + i, 0) if i < done else errno.EIO for i in range(len(changes))]

    def _read_until(self, barrier: int, first: int, errors: dict[int, int]) -> bool:
        """Read answers until ``barrier``'s acknowledgement; note each failure since ``first``."""
        while True:
            try:
                n = self._sock.recv_into(self._buf)
            except OSError:
                return False
            data = self._view[:n]
            off = 0
            while off + NLMSGHDR.size <= n:
                length, kind, _flags, seq, _pid = NLMSGHDR.unpack_from(data, off)
                if kind == NLMSG_ERROR and first <= seq <= barrier:
                    (error,) = I32.unpack_from(data, off + NLMSGHDR.size)
                    if error:
                        errors[seq] = -error
                    if seq == barrier:
                        return True
                off += max(length + (-length % 4), NLMSGHDR.size)

    def close(self) -> None:
        os.close(self._sock.detach())
