"""Batched kernel FIB writes: many RTM_NEWROUTE/RTM_DELROUTE messages in one netlink send.

pyroute2 awaits one request at a time (a second request on the same socket before the first is
answered gets EBUSY), which made FIB programming two thirds of a large OSPF router's CPU. Here each
burst of RIB changes becomes one ``sendmsg`` of concatenated route messages, every one asking for an
acknowledgement (``NLM_F_ACK``); the acknowledgements are read back and matched by sequence number,
so each change still gets its own result.

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

from routesim.rib.table import FibChange

RTM_NEWROUTE, RTM_DELROUTE = 24, 25
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_CREATE = 0x1, 0x4, 0x100, 0x400
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH = 1, 4, 5, 6, 9
RT_TABLE_MAIN, RTN_UNICAST, RTN_BLACKHOLE = 254, 1, 6
RT_SCOPE_UNIVERSE = 0
SOL_NETLINK, NETLINK_CAP_ACK = 270, 10

_NLMSGHDR = struct.Struct("=IHHII")
_RTMSG = struct.Struct("=BBBBBBBBI")
_RTA = struct.Struct("=HH")
_RTNH = struct.Struct("=HBBi")


def _attr(kind: int, payload: bytes) -> bytes:
    length = _RTA.size + len(payload)
    return _RTA.pack(length, kind) + payload + b"\0" * (-length % 4)


def route_message(
    change: FibChange, seq: int, protocol: int, priority: int, index_of: Callable[[str], int | None]
) -> bytes:
    """One RTM_NEWROUTE (replace) or RTM_DELROUTE for ``change``."""
    net = change.prefix
    route = change.route
    rtype = RTN_UNICAST
    attrs = [_attr(RTA_DST, net.network_address.packed), _attr(RTA_PRIORITY, struct.pack("=I", priority))]
    if route is None:
        kind, flags = RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK
    else:
        kind, flags = RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
        hops = sorted(route.next_hops, key=lambda h: (str(h.gateway or ""), h.interface or ""))
        if len(hops) == 1 and hops[0].interface == "blackhole":
            rtype = RTN_BLACKHOLE
        elif len(hops) == 1:
            h = hops[0]
            if h.gateway is not None:
                attrs.append(_attr(RTA_GATEWAY, h.gateway.packed))
            idx = index_of(h.interface) if h.interface else None
            if idx is not None:
                attrs.append(_attr(RTA_OIF, struct.pack("=i", idx)))
        else:
            nexthops = b""
            for h in hops:
                inner = _attr(RTA_GATEWAY, h.gateway.packed) if h.gateway is not None else b""
                idx = (index_of(h.interface) if h.interface else None) or 0
                nexthops += _RTNH.pack(_RTNH.size + len(inner), 0, 0, idx) + inner
            attrs.append(_attr(RTA_MULTIPATH, nexthops))
    body = _RTMSG.pack(
        socket.AF_INET, net.prefixlen, 0, 0, RT_TABLE_MAIN, protocol, RT_SCOPE_UNIVERSE, rtype, 0
    ) + b"".join(attrs)
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind, flags, seq, 0) + body


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

    def apply(self, changes: Sequence[FibChange]) -> list[int]:
        """Write ``changes``; return an errno per change (0 = done). Blocking but brief: the kernel
        answers route messages synchronously, so the acknowledgements are already queued."""
        if not changes:
            return []
        first = self._seq
        msgs = [
            route_message(c, first + i, self.protocol, self.priority, self._index_of)
            for i, c in enumerate(changes)
        ]
        self._seq += len(changes)
        results: dict[int, int] = {}
        # one sendmsg per ~64 KiB keeps each write within the socket buffer
        chunk: list[bytes] = []
        size = 0
        for m in msgs:
            chunk.append(m)
            size += len(m)
            if size > 60_000:
                self._sock.sendmsg(chunk)
                self._read_acks(results, first, len(changes))
                chunk, size = [], 0
        if chunk:
            self._sock.sendmsg(chunk)
        while len(results) < len(changes):
            if not self._read_acks(results, first, len(changes)):
                break
        return [results.get(first + i, errno.EIO) for i in range(len(changes))]

    def _read_acks(self, results: dict[int, int], first: int, count: int) -> bool:
        try:
            data = self._sock.recv(1 << 20, socket.MSG_DONTWAIT if results else 0)
        except BlockingIOError:
            return False
        off = 0
        while off + _NLMSGHDR.size <= len(data):
            length, kind, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, off)
            if kind == NLMSG_ERROR and first <= seq < first + count:
                (error,) = struct.unpack_from("=i", data, off + _NLMSGHDR.size)
                results[seq] = -error
            off += max(length + (-length % 4), _NLMSGHDR.size)
        return True

    def close(self) -> None:
        os.close(self._sock.detach())
