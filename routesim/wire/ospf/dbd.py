"""The Database Description packet (RFC 2328 §A.3.3).

Sequence-number, flag and MTU checks of §10.6 are the engine's; the codec gives it the fields.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from routesim.wire._buffer import Reader, Writer
from routesim.wire.ospf._util import check_uint, translate_truncation
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import Options, PacketType
from routesim.wire.ospf.lsa import LSA_HEADER_LEN, LsaHeader


class DdFlags(enum.IntFlag):
    """The I/M/MS bits (§A.3.3); R is the out-of-band resync bit of RFC 4811."""

    MS = 0x01  # master
    M = 0x02  # more
    I = 0x04  # init  # noqa: E741
    R = 0x08  # OOB resync (RFC 4811)


@dataclass(frozen=True)
class DatabaseDescription:
    """DD body: MTU, options, flags, sequence number (unsigned), then LSA headers."""

    interface_mtu: int
    options: Options
    flags: DdFlags
    dd_sequence_number: int
    lsa_headers: tuple[LsaHeader, ...] = ()

    TYPE: ClassVar[PacketType] = PacketType.DATABASE_DESCRIPTION
    FIXED_LEN: ClassVar[int] = 8

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> DatabaseDescription:
        r = Reader(data)
        fixed = (r.u16(), Options(r.u8()), DdFlags(r.u8()), r.u32())
        if r.remaining % LSA_HEADER_LEN:
            raise OspfDecodeError(OspfDropReason.BAD_LENGTH, len(data), "DD LSA headers not 20n bytes")
        headers = tuple(LsaHeader._read(r) for _ in range(r.remaining // LSA_HEADER_LEN))
        return cls(*fixed, lsa_headers=headers)

    def encode(self) -> bytes:
        w = Writer()
        w.u16(check_uint("interface_mtu", self.interface_mtu, 16))
        w.u8(check_uint("options", self.options, 8))
        w.u8(check_uint("flags", self.flags, 8))
        w.u32(check_uint("dd_sequence_number", self.dd_sequence_number, 32))
        for h in self.lsa_headers:
            w.bytes(h.encode())
        return w.getvalue()
