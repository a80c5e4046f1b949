"""Plain rtnetlink dumps for the router process: interfaces, their IPv4 addresses, our own routes.

A router reads its interfaces when it starts and whenever the kernel reports a change, and on start
and exit it removes the routes it installed. pyroute2 did that with three sockets, a request object
per message and a parser per attribute: about half of a 10x10 OSPF router's start-up CPU. Here a
dump is one request on a throwaway ``NETLINK_ROUTE`` socket, answered synchronously by the kernel
and parsed with ``struct`` (rtnetlink(7): ``ifinfomsg``, ``ifaddrmsg``, ``rtmsg``, each followed by
``rtattr`` attributes); the deletions go out in one batch through :class:`~routesim.router.fibbatch.FibBatcher`.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network

RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_DELROUTE = 16, 20, 24, 25
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_CREATE, NLM_F_DUMP = 0x1, 0x4, 0x100, 0x400, 0x300
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU = 1, 3, 4
IFA_ADDRESS = 1
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH, RTA_TABLE = 1, 4, 5, 6, 9, 15

# the message layouts (rtnetlink(7)); ``fibbatch.py`` writes routes with the same ones
NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
RTA = struct.Struct("=HH")
U32, I32 = struct.Struct("=I"), struct.Struct("=i")


class NetlinkError(OSError):
    pass


def dump(msg_type: int, body: bytes) -> Iterator[tuple[int, memoryview]]:
    """(message type, payload) of every answer to one ``NLM_F_DUMP`` request in this namespace."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        seq = 1
        sock.send(
            NLMSGHDR.pack(NLMSGHDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body
        )
        while True:
            data = memoryview(sock.recv(1 << 16))
            off = 0
            while off + NLMSGHDR.size <= len(data):
                length, kind, _flags, mseq, _pid = NLMSGHDR.unpack_from(data, off)
                if length < NLMSGHDR.size:
                    raise NetlinkError("malformed netlink message")
                payload = data[off + NLMSGHDR.size : off + length]
                off += (length + 3) & ~3
                if mseq != seq:
                    continue
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    (error,) = I32.unpack_from(payload)
                    if error:
                        raise NetlinkError(-error, f"netlink dump failed: errno {-error}")
                    continue
                yield kind, payload


def attrs(payload: memoryview, offset: int) -> dict[int, memoryview]:
    """The ``rtattr`` attributes after a fixed header of ``offset`` bytes (the last of each type)."""
    out: dict[int, memoryview] = {}
    while offset + RTA.size <= len(payload):
        length, kind = RTA.unpack_from(payload, offset)
        if length < RTA.size:
            break
        out[kind & 0x3FFF] = payload[offset + RTA.size : offset + length]  # without NLA_F_NESTED
        offset += (length + 3) & ~3
    return out


def _objects(
    request: int, reply: int, header: struct.Struct, filled: tuple[int, ...]
) -> Iterator[tuple[tuple, dict[int, memoryview]]]:
    """(header fields, attributes) of every ``reply`` message a dump ``request`` returns; the request
    carries ``header`` packed with ``filled`` (its family says what to dump)."""
    for kind, p in dump(request, header.pack(*filled)):
        if kind == reply:
            yield header.unpack_from(p), attrs(p, header.size)


def links() -> list[tuple[str, int, int, int, str | None]]:
    """(name, index, flags, MTU, MAC) of every interface."""
    out = []
    for (_family, _type, index, flags, _change), a in _objects(
        RTM_GETLINK, RTM_NEWLINK, IFINFOMSG, (socket.AF_UNSPEC, 0, 0, 0, 0)
    ):
        name = bytes(a.get(IFLA_IFNAME, b"")).split(b"\0", 1)[0].decode()
        mtu = U32.unpack(a[IFLA_MTU])[0] if len(a.get(IFLA_MTU, b"")) == 4 else 0
        mac = bytes(a[IFLA_ADDRESS]).hex(":") if IFLA_ADDRESS in a else None
        out.append((name, index, flags, mtu, mac))
    return out


def ipv4_addresses() -> list[tuple[int, str]]:
    """(interface index, ``address/prefixlen``) of every IPv4 address."""
    return [
        (index, f"{IPv4Address(bytes(a[IFA_ADDRESS]))}/{prefixlen}")
        for (family, prefixlen, _flags, _scope, index), a in _objects(
            RTM_GETADDR, RTM_NEWADDR, IFADDRMSG, (socket.AF_INET, 0, 0, 0, 0)
        )
        if family == socket.AF_INET and IFA_ADDRESS in a
    ]


def routes_of(protocol: int, table: int = 254) -> list[tuple[IPv4Network, int]]:
    """(prefix, metric) of every IPv4 route of ``protocol`` in ``table``."""
    out = []
    for (_family, dst_len, _src, _tos, rtm_table, proto, _scope, _type, _flags), a in _objects(
        RTM_GETROUTE, RTM_NEWROUTE, RTMSG, (socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
    ):
        if proto != protocol or (U32.unpack(a[RTA_TABLE])[0] if RTA_TABLE in a else rtm_table) != table:
            continue
        dst = IPv4Address(bytes(a[RTA_DST])) if RTA_DST in a else IPv4Address(0)
        metric = U32.unpack(a[RTA_PRIORITY])[0] if RTA_PRIORITY in a else 0
        out.append((IPv4Network((dst, dst_len)), metric))
    return out
