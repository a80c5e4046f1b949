"""Whole OSPF packets: validation on receive (RFC 2328 §8.2) and building on send.

:func:`decode_packet` checks, in this order, what needs no interface or area state:

1. at least 24 bytes (``truncated``);
2. version 2 (``version``);
3. 24 <= packet length <= datagram length (``length``);
4. AuType 0/1/2 (``autype``);
5. the packet checksum (§A.3.1, ``checksum``), unless AuType is cryptographic (§D.4.3): then the
   digest (Auth Data Len bytes after ``packet length``) must be present (``digest``);
6. if the caller passes ``auth``: AuType equal to it, password / key id / MD5 digest (§D.4);
7. known packet type (``type``) and a body that fills ``packet length`` exactly.

Left to the engine (it has the state; every field it needs is on :class:`OspfHeader`): the IP
destination and source checks, source Router ID = own Router ID, Area ID vs interface area and
virtual links, the crypto sequence number (``auth.crypto_sequence_acceptable``), Hello mask /
HelloInterval / RouterDeadInterval / E-bit checks (§10.5), DD sequence logic (§10.6), and LS
checksums of LSAs in an LSU (``lsa.checksum_ok``, §13 (1)).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from routesim.wire.ospf._util import ipv4
from routesim.wire.ospf.auth import (
    Authentication,
    CryptographicAuth,
    NullAuth,
    authentication_field,
    md5_digest,
    verify_authentication,
)
from routesim.wire.ospf.checksum import ip_checksum, ospf_packet_checksum
from routesim.wire.ospf.dbd import DatabaseDescription
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import HEADER_LEN, OSPF_VERSION, AuType, OspfHeader, PacketType
from routesim.wire.ospf.hello import Hello
from routesim.wire.ospf.lsack import LinkStateAck
from routesim.wire.ospf.lsr import LinkStateRequest
from routesim.wire.ospf.lsu import LinkStateUpdate

#: The OSPF header up to the authentication field (§A.3.1).
_HEADER_START = struct.Struct("!BBHIIHH")

Body = Hello | DatabaseDescription | LinkStateRequest | LinkStateUpdate | LinkStateAck

#: Packet type -> body class (BIRD/FRR dispatch on the type byte the same way).
BODY_CLASSES: dict[int, type[Body]] = {
    PacketType.HELLO: Hello,
    PacketType.DATABASE_DESCRIPTION: DatabaseDescription,
    PacketType.LINK_STATE_REQUEST: LinkStateRequest,
    PacketType.LINK_STATE_UPDATE: LinkStateUpdate,
    PacketType.LINK_STATE_ACK: LinkStateAck,
}


@dataclass(frozen=True)
class OspfPacket:
    """A decoded packet. ``trailer`` is what the datagram held after ``packet length``: the MD5
    digest with cryptographic auth, possibly an LLS block (RFC 5613), which is kept but not parsed."""

    header: OspfHeader
    body: Body
    trailer: bytes = b""

    @classmethod
    def decode(cls, data: bytes, *, auth: Authentication | None = None) -> OspfPacket:
        return decode_packet(data, auth=auth)

    def encode(self) -> bytes:
        """The packet exactly as its fields say (header checksum and length as stored)."""
        return self.header.encode() + self.body.encode() + self.trailer

    @property
    def digest(self) -> bytes | None:
        """The appended MD5 digest with cryptographic auth, else None."""
        if self.header.autype != AuType.CRYPTOGRAPHIC:
            return None
        return self.trailer[: self.header.auth_data_length]


def decode_packet(data: bytes, *, auth: Authentication | None = None) -> OspfPacket:
    """Decode and validate one OSPF packet (the IP payload); raise ``OspfDecodeError`` on any fault.

    With ``auth`` None the authentication field is not compared with any configuration (but AuType
    must be known and the checksum or digest presence is still checked).
    """
    data = bytes(data)
    if len(data) < HEADER_LEN:
        raise OspfDecodeError(OspfDropReason.TRUNCATED, len(data), "shorter than the OSPF header")
    header = OspfHeader.decode(data)
    if header.version != OSPF_VERSION:
        raise OspfDecodeError(OspfDropReason.BAD_VERSION, header.version)
    if not HEADER_LEN <= header.packet_length <= len(data):
        raise OspfDecodeError(
            OspfDropReason.BAD_LENGTH, header.packet_length, f"datagram is {len(data)} bytes"
        )
    if not isinstance(header.autype, AuType):
        raise OspfDecodeError(OspfDropReason.UNKNOWN_AUTYPE, header.autype)
    packet, trailer = data[: header.packet_length], data[header.packet_length :]
    if header.autype == AuType.CRYPTOGRAPHIC:
        if len(trailer) < header.auth_data_length:
            raise OspfDecodeError(OspfDropReason.BAD_DIGEST, len(trailer), "digest missing after the packet")
    elif ospf_packet_checksum(packet) != header.checksum:
        raise OspfDecodeError(OspfDropReason.BAD_CHECKSUM, header.checksum)
    if auth is not None:
        verify_authentication(header, packet, trailer, auth)
    body_cls = BODY_CLASSES.get(header.type)
    if body_cls is None:
        raise OspfDecodeError(OspfDropReason.UNKNOWN_TYPE, header.type)
    return OspfPacket(header, body_cls.decode(packet[HEADER_LEN:]), trailer)


def encode_packet(
    router_id: IPv4Address | str | int,
    area_id: IPv4Address | str | int,
    body: Body,
    *,
    auth: Authentication = NullAuth(),  # noqa: B008 - frozen, so a shared default is safe
    crypto_seq: int = 0,
) -> bytes:
    """Build a whole packet: header with type, length, checksum and auth field, then the body, then
    the MD5 digest for cryptographic auth (§A.3.1, §D.4). ``crypto_seq`` is only used with MD5."""
    payload = body.encode()
    length = HEADER_LEN + len(payload)
    if length > 0xFFFF:
        raise ValueError(f"packet_length={length} does not fit in 16 bits")
    # the same bytes as OspfHeader(...).encode(), without building the dataclass
    fixed = (OSPF_VERSION, body.TYPE, length, int(ipv4(router_id)), int(ipv4(area_id)))
    authentication = authentication_field(auth, crypto_seq)
    if isinstance(auth, CryptographicAuth):
        packet = _HEADER_START.pack(*fixed, 0, auth.AUTYPE) + authentication + payload
        return packet + md5_digest(packet, auth.key)
    # the checksum excludes the authentication field (§A.3.1): sum the rest, then fill it in
    checksum = ip_checksum(_HEADER_START.pack(*fixed, 0, auth.AUTYPE) + payload)
    return _HEADER_START.pack(*fixed, checksum, auth.AUTYPE) + authentication + payload
