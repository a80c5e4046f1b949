"""The 24-byte OSPFv2 packet header (RFC 2328 §A.3.1) and the codes shared by all packets.

``OspfHeader`` is a plain mirror of the wire fields; building a header for sending (length,
checksum, authentication field) is :func:`routesim.wire.ospf.packet.encode_packet`'s job, and
validating a received one is :func:`routesim.wire.ospf.packet.decode_packet`'s.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar

from routesim.wire._buffer import Writer
from routesim.wire.ospf._util import CodeCache, address, check_uint, fast_new
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason

OSPF_VERSION = 2
HEADER_LEN = 24
#: IP protocol number of OSPF (RFC 2328 §A.1) and its multicast groups.
IP_PROTOCOL_OSPF = 89
ALL_SPF_ROUTERS = IPv4Address("224.0.0.5")
ALL_D_ROUTERS = IPv4Address("224.0.0.6")


class PacketType(enum.IntEnum):
    """OSPF packet types (RFC 2328 §A.3.1)."""

    HELLO = 1
    DATABASE_DESCRIPTION = 2
    LINK_STATE_REQUEST = 3
    LINK_STATE_UPDATE = 4
    LINK_STATE_ACK = 5


class AuType(enum.IntEnum):
    """Authentication types (RFC 2328 Appendix D)."""

    NULL = 0
    SIMPLE_PASSWORD = 1
    CRYPTOGRAPHIC = 2


class Options(enum.IntFlag):
    """The Options field (RFC 2328 §A.2, with later bits from RFC 5250, 3101, 5613, 4915, 4576).

    Unknown bits are kept (IntFlag boundary KEEP) so a decoded value re-encodes unchanged.
    """

    MT = 0x01  # RFC 4915 multi-topology (was the T bit of RFC 1583)
    E = 0x02  # AS-external-LSAs are flooded (not a stub area)
    MC = 0x04  # MOSPF (RFC 1584)
    NP = 0x08  # NSSA type-7 handling (RFC 3101)
    L = 0x10  # LLS data block present (RFC 5613); EA in RFC 2328
    DC = 0x20  # demand circuits (RFC 1793)
    O = 0x40  # opaque LSAs (RFC 5250)  # noqa: E741
    DN = 0x80  # down bit (RFC 4576)


_PACKET_TYPES = CodeCache(PacketType)
_AUTYPES = CodeCache(AuType)
_HEADER = struct.Struct("!BBHIIHH")


@dataclass(frozen=True)
class OspfHeader:
    """The common header of every OSPF packet, fields in wire order (RFC 2328 §A.3.1).

    ``type`` is a :class:`PacketType` when known, else the raw byte. ``authentication`` is the raw
    64-bit field; with cryptographic auth, use :attr:`key_id`, :attr:`auth_data_length` and
    :attr:`crypto_sequence_number` (§D.3).
    """

    version: int
    type: PacketType | int
    packet_length: int
    router_id: IPv4Address
    area_id: IPv4Address
    checksum: int
    autype: AuType | int
    authentication: bytes

    LENGTH: ClassVar[int] = HEADER_LEN

    @classmethod
    def decode(cls, data: bytes) -> OspfHeader:
        """Parse the first 24 bytes of ``data`` without validating them (see ``decode_packet``)."""
        if len(data) < HEADER_LEN:
            raise OspfDecodeError(OspfDropReason.TRUNCATED, len(data), "shorter than the OSPF header")
        version, type_, length, router_id, area_id, checksum, autype = _HEADER.unpack_from(data)
        return fast_new(
            cls,
            version=version,
            type=_PACKET_TYPES[type_],
            packet_length=length,
            router_id=address(router_id),
            area_id=address(area_id),
            checksum=checksum,
            autype=_AUTYPES[autype],
            authentication=bytes(data[16:24]),
        )

    def encode(self) -> bytes:
        if len(self.authentication) != 8:
            raise ValueError("the authentication field is 8 bytes")
        w = Writer()
        w.u8(check_uint("version", self.version, 8))
        w.u8(check_uint("type", self.type, 8))
        w.u16(check_uint("packet_length", self.packet_length, 16))
        w.ipv4(self.router_id)
        w.ipv4(self.area_id)
        w.u16(check_uint("checksum", self.checksum, 16))
        w.u16(check_uint("autype", self.autype, 16))
        w.bytes(self.authentication)
        return w.getvalue()

    @property
    def key_id(self) -> int:
        """Cryptographic auth: the Key ID (§D.3)."""
        return self.authentication[2]

    @property
    def auth_data_length(self) -> int:
        """Cryptographic auth: length of the digest appended after the packet (16 for MD5)."""
        return self.authentication[3]

    @property
    def crypto_sequence_number(self) -> int:
        """Cryptographic auth: the non-decreasing sequence number (§D.4.3)."""
        return int.from_bytes(self.authentication[4:8], "big")
