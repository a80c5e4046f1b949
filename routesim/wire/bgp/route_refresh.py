"""ROUTE-REFRESH (RFC 2918 §3; the reserved octet is RFC 7313's Message Subtype).

RFC 7313 §5: a ROUTE-REFRESH whose length is not 23 gets ROUTE-REFRESH Message Error / Invalid
Message Length with the complete message as data. An unknown subtype is ignored by the receiver
(the FSM's job: the codec keeps the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from routesim.wire.bgp.errors import BgpError
from routesim.wire.bgp.framing import frame, message_body
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated
from routesim.wire.bgp.notification import ErrorCode, RouteRefreshSubcode


class RouteRefreshSubtype(IntEnum):
    """RFC 7313 §3."""

    NORMAL = 0
    BEGINNING_OF_ROUTE_REFRESH = 1
    END_OF_ROUTE_REFRESH = 2


@dataclass(frozen=True)
class RouteRefresh:
    afi: int = 1
    safi: int = 1
    subtype: int = RouteRefreshSubtype.NORMAL

    TYPE = 5

    @classmethod
    def decode(cls, data: bytes, negotiated: Negotiated = DEFAULT) -> RouteRefresh:
        """Decode one whole ROUTE-REFRESH message (header included)."""
        return cls.decode_body(message_body(data, cls.TYPE, negotiated.max_message_length), negotiated)

    @classmethod
    def decode_body(cls, body: bytes, negotiated: Negotiated = DEFAULT) -> RouteRefresh:
        if len(body) != 4:
            header = b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + b"\x05"
            raise BgpError(
                ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR,
                RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
                header + bytes(body),
                reason="route-refresh-length",
            )
        return cls(int.from_bytes(body[0:2], "big"), body[3], body[2])

    def encode_body(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return self.afi.to_bytes(2, "big") + bytes((self.subtype, self.safi))

    def encode(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return frame(self.TYPE, self.encode_body(negotiated))
