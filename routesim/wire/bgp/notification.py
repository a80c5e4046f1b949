"""NOTIFICATION message (RFC 4271 §4.5) and every error code/subcode the codec or the FSM sends.

Codes: RFC 4271 §4.5 and §6; OPEN subcode 7 from RFC 5492 §5; FSM subcodes from RFC 6608; Cease
subcodes from RFC 4486 (and 9 Hard Reset from RFC 8538); ROUTE-REFRESH error code 7 from RFC 7313.
The Cease data (e.g. an RFC 9003 shutdown communication) is kept opaque.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ErrorCode(IntEnum):
    """RFC 4271 §4.5 Error Code (7 from RFC 7313)."""

    MESSAGE_HEADER_ERROR = 1
    OPEN_MESSAGE_ERROR = 2
    UPDATE_MESSAGE_ERROR = 3
    HOLD_TIMER_EXPIRED = 4
    FINITE_STATE_MACHINE_ERROR = 5
    CEASE = 6
    ROUTE_REFRESH_MESSAGE_ERROR = 7


class MessageHeaderSubcode(IntEnum):
    """RFC 4271 §4.5 / §6.1."""

    UNSPECIFIC = 0
    CONNECTION_NOT_SYNCHRONIZED = 1
    BAD_MESSAGE_LENGTH = 2
    BAD_MESSAGE_TYPE = 3


class OpenSubcode(IntEnum):
    """RFC 4271 §4.5 / §6.2 (5 is deprecated; 7 is RFC 5492 §5)."""

    UNSPECIFIC = 0
    UNSUPPORTED_VERSION_NUMBER = 1
    BAD_PEER_AS = 2
    BAD_BGP_IDENTIFIER = 3
    UNSUPPORTED_OPTIONAL_PARAMETER = 4
    AUTHENTICATION_FAILURE = 5  # deprecated by RFC 4271
    UNACCEPTABLE_HOLD_TIME = 6
    UNSUPPORTED_CAPABILITY = 7


class UpdateSubcode(IntEnum):
    """RFC 4271 §4.5 / §6.3 (7 AS Routing Loop is deprecated)."""

    UNSPECIFIC = 0
    MALFORMED_ATTRIBUTE_LIST = 1
    UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE = 2
    MISSING_WELL_KNOWN_ATTRIBUTE = 3
    ATTRIBUTE_FLAGS_ERROR = 4
    ATTRIBUTE_LENGTH_ERROR = 5
    INVALID_ORIGIN_ATTRIBUTE = 6
    AS_ROUTING_LOOP = 7  # deprecated by RFC 4271
    INVALID_NEXT_HOP_ATTRIBUTE = 8
    OPTIONAL_ATTRIBUTE_ERROR = 9
    INVALID_NETWORK_FIELD = 10
    MALFORMED_AS_PATH = 11


class FsmSubcode(IntEnum):
    """RFC 6608 §3: which state received the unexpected message."""

    UNSPECIFIED = 0
    UNEXPECTED_MESSAGE_IN_OPEN_SENT = 1
    UNEXPECTED_MESSAGE_IN_OPEN_CONFIRM = 2
    UNEXPECTED_MESSAGE_IN_ESTABLISHED = 3


class CeaseSubcode(IntEnum):
    """RFC 4486 §3 (9 Hard Reset: RFC 8538)."""

    UNSPECIFIC = 0
    MAXIMUM_NUMBER_OF_PREFIXES_REACHED = 1
    ADMINISTRATIVE_SHUTDOWN = 2
    PEER_DECONFIGURED = 3
    ADMINISTRATIVE_RESET = 4
    CONNECTION_REJECTED = 5
    OTHER_CONFIGURATION_CHANGE = 6
    CONNECTION_COLLISION_RESOLUTION = 7
    OUT_OF_RESOURCES = 8
    HARD_RESET = 9


class RouteRefreshSubcode(IntEnum):
    """RFC 7313 §5."""

    RESERVED = 0
    INVALID_MESSAGE_LENGTH = 1


#: Error code -> its subcode enum (for names in logs); codes 4 has no subcodes.
SUBCODES: dict[int, type[IntEnum]] = {
    ErrorCode.MESSAGE_HEADER_ERROR: MessageHeaderSubcode,
    ErrorCode.OPEN_MESSAGE_ERROR: OpenSubcode,
    ErrorCode.UPDATE_MESSAGE_ERROR: UpdateSubcode,
    ErrorCode.FINITE_STATE_MACHINE_ERROR: FsmSubcode,
    ErrorCode.CEASE: CeaseSubcode,
    ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR: RouteRefreshSubcode,
}


def describe(code: int, subcode: int) -> str:
    """``"UPDATE_MESSAGE_ERROR/MALFORMED_AS_PATH"``; numbers where a value is not known."""
    try:
        code_name = ErrorCode(code).name
    except ValueError:
        return f"{code}/{subcode}"
    enum = SUBCODES.get(code)
    if enum is None:
        return code_name if subcode == 0 else f"{code_name}/{subcode}"
    try:
        return f"{code_name}/{enum(subcode).name}"
    except ValueError:
        return f"{code_name}/{subcode}"


@dataclass(frozen=True)
class Notification:
    """RFC 4271 §4.5: error code, error subcode and variable-length data."""

    code: int
    subcode: int = 0
    data: bytes = b""

    TYPE = 3

    @classmethod
    def decode(cls, data: bytes, negotiated: object = None) -> Notification:
        """Decode one whole NOTIFICATION message (header included)."""
        from routesim.wire.bgp.framing import message_body  # framing -> errors -> this module

        return cls.decode_body(message_body(data, cls.TYPE))

    @classmethod
    def decode_body(cls, body: bytes, negotiated: object = None) -> Notification:
        """Decode the body (after the 19-octet header). The framer guarantees >= 2 octets (§6.1)."""
        if len(body) < 2:
            from routesim.wire.bgp.errors import BgpError

            raise BgpError(
                ErrorCode.MESSAGE_HEADER_ERROR,
                MessageHeaderSubcode.BAD_MESSAGE_LENGTH,
                (19 + len(body)).to_bytes(2, "big"),
                reason="notification-length",
            )
        code = _enum_or_int(ErrorCode, body[0])
        enum = SUBCODES.get(code)
        subcode = _enum_or_int(enum, body[1]) if enum else body[1]
        return cls(code, subcode, bytes(body[2:]))

    def encode_body(self, negotiated: object = None) -> bytes:
        return bytes((self.code, self.subcode)) + self.data

    def encode(self, negotiated: object = None) -> bytes:
        length = 21 + len(self.data)
        if length > 4096:
            raise ValueError(f"NOTIFICATION of {length} octets exceeds 4096")
        return b"\xff" * 16 + length.to_bytes(2, "big") + b"\x03" + self.encode_body()

    def __str__(self) -> str:
        return f"NOTIFICATION {describe(self.code, self.subcode)}" + (
            f" data={self.data.hex()}" if self.data else ""
        )


def _enum_or_int(enum: type[IntEnum], value: int) -> int:
    try:
        return enum(value)
    except ValueError:
        return value
