"""The Link State Update packet (RFC 2328 §A.3.5).

LSAs are decoded by :func:`routesim.wire.ospf.lsa.decode_lsa` and re-encoded from their ``raw`` bytes,
so a flooded LSA leaves byte-identical to how it arrived (but for LS age, see ``LsaBase.with_age``).
An LSA with a bad LS checksum does not fail the packet: check ``lsa.checksum_ok`` (§13 (1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from routesim.wire._buffer import Reader, Writer
from routesim.wire.ospf._util import check_uint, translate_truncation
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import PacketType
from routesim.wire.ospf.lsa import Lsa, decode_lsa


@dataclass(frozen=True)
class LinkStateUpdate:
    """LSU body: ``# LSAs`` (derived from ``lsas`` on encode) and the LSAs."""

    lsas: tuple[Lsa, ...] = ()

    TYPE: ClassVar[PacketType] = PacketType.LINK_STATE_UPDATE

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> LinkStateUpdate:
        r = Reader(data)
        count = r.u32()
        lsas = []
        offset = 4
        for i in range(count):
            if offset >= len(data):
                raise OspfDecodeError(
                    OspfDropReason.BAD_LSA_COUNT, count, f"# LSAs {count}, only {i} present"
                )
            lsa = decode_lsa(data, offset)
            lsas.append(lsa)
            offset += lsa.header.length
        if offset != len(data):
            raise OspfDecodeError(
                OspfDropReason.BAD_LSA_COUNT, count, f"{len(data) - offset} bytes after {count} LSAs"
            )
        return cls(tuple(lsas))

    def encode(self) -> bytes:
        w = Writer()
        w.u32(check_uint("# LSAs", len(self.lsas), 32))
        for lsa in self.lsas:
            w.bytes(lsa.raw)
        return w.getvalue()
