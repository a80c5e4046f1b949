"""The Link State Acknowledgment packet (RFC 2328 §A.3.6): a list of LSA headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from routesim.wire._buffer import Reader
from routesim.wire.ospf._util import translate_truncation
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import PacketType
from routesim.wire.ospf.lsa import LSA_HEADER_LEN, LsaHeader


@dataclass(frozen=True)
class LinkStateAck:
    """LSAck body: the headers of the LSAs acknowledged."""

    lsa_headers: tuple[LsaHeader, ...] = ()

    TYPE: ClassVar[PacketType] = PacketType.LINK_STATE_ACK

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> LinkStateAck:
        if len(data) % LSA_HEADER_LEN:
            raise OspfDecodeError(OspfDropReason.BAD_LENGTH, len(data), "LSAck body not 20n bytes")
        r = Reader(data)
        return cls(tuple(LsaHeader._read(r) for _ in range(len(data) // LSA_HEADER_LEN)))

    def encode(self) -> bytes:
        return b"".join(h.encode() for h in self.lsa_headers)
