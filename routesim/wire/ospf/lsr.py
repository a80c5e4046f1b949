"""The Link State Request packet (RFC 2328 §A.3.4)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar

from routesim.wire._buffer import Reader, Writer
from routesim.wire.ospf._util import check_uint, enum_or_int, translate_truncation
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import PacketType
from routesim.wire.ospf.lsa import LsType

LS_REQUEST_LEN = 12


@dataclass(frozen=True)
class LsRequest:
    """One requested LSA, named by its key (§12.1); LS type is a 32-bit field here."""

    ls_type: LsType | int
    link_state_id: IPv4Address
    advertising_router: IPv4Address

    @property
    def key(self) -> tuple[int, IPv4Address, IPv4Address]:
        """Same shape as :attr:`LsaHeader.key`."""
        return (int(self.ls_type), self.link_state_id, self.advertising_router)


@dataclass(frozen=True)
class LinkStateRequest:
    """LSR body: a list of requested LSAs."""

    requests: tuple[LsRequest, ...] = ()

    TYPE: ClassVar[PacketType] = PacketType.LINK_STATE_REQUEST

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> LinkStateRequest:
        if len(data) % LS_REQUEST_LEN:
            raise OspfDecodeError(OspfDropReason.BAD_LENGTH, len(data), "LSR body not 12n bytes")
        r = Reader(data)
        return cls(
            tuple(
                LsRequest(enum_or_int(LsType, r.u32()), r.ipv4(), r.ipv4())
                for _ in range(len(data) // LS_REQUEST_LEN)
            )
        )

    def encode(self) -> bytes:
        w = Writer()
        for req in self.requests:
            w.u32(check_uint("ls_type", req.ls_type, 32))
            w.ipv4(req.link_state_id)
            w.ipv4(req.advertising_router)
        return w.getvalue()
