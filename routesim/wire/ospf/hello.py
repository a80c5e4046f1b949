"""The Hello packet (RFC 2328 §A.3.2).

The codec only frames it; the checks of §10.5 (network mask on broadcast/NBMA, HelloInterval,
RouterDeadInterval, E-bit vs area type) are the engine's, which gets every field here.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar

from routesim.wire._buffer import Reader, Writer
from routesim.wire.ospf._util import address, check_uint, translate_truncation
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import Options, PacketType


@dataclass(frozen=True)
class Hello:
    """Hello body, fields in wire order; ``neighbors`` are Router IDs seen within RouterDeadInterval."""

    network_mask: IPv4Address
    hello_interval: int
    options: Options
    router_priority: int
    router_dead_interval: int
    designated_router: IPv4Address
    backup_designated_router: IPv4Address
    neighbors: tuple[IPv4Address, ...] = ()

    TYPE: ClassVar[PacketType] = PacketType.HELLO
    FIXED_LEN: ClassVar[int] = 20

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> Hello:
        """Decode a Hello body (exactly the bytes after the 24-byte header, up to packet length)."""
        r = Reader(data)
        fixed = (
            address(r.u32()),
            r.u16(),
            Options(r.u8()),
            r.u8(),
            r.u32(),
            address(r.u32()),
            address(r.u32()),
        )
        if r.remaining % 4:
            raise OspfDecodeError(OspfDropReason.BAD_LENGTH, len(data), "Hello neighbor list not 4n bytes")
        return cls(*fixed, neighbors=tuple(address(r.u32()) for _ in range(r.remaining // 4)))

    def encode(self) -> bytes:
        w = Writer()
        w.ipv4(self.network_mask)
        w.u16(check_uint("hello_interval", self.hello_interval, 16))
        w.u8(check_uint("options", self.options, 8))
        w.u8(check_uint("router_priority", self.router_priority, 8))
        w.u32(check_uint("router_dead_interval", self.router_dead_interval, 32))
        w.ipv4(self.designated_router)
        w.ipv4(self.backup_designated_router)
        for n in self.neighbors:
            w.ipv4(n)
        return w.getvalue()
