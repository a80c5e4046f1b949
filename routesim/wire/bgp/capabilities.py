"""Capabilities Optional Parameter (RFC 5492) and the capabilities the codec understands.

Decoded: Multiprotocol (RFC 4760 §8), Route Refresh (RFC 2918 §2, code 2, and the pre-standard Cisco
code 128), 4-octet AS (RFC 6793 §3), Extended Message (RFC 8654, presence only). Everything else
(Graceful Restart, ADD-PATH, Enhanced Route Refresh, LLGR, FQDN, ...) is an opaque
``UnknownCapability`` that re-encodes to the same bytes. RFC 5492 §3: a speaker ignores capabilities
it does not understand, so an unknown one is never an error here; the FSM may still refuse a
capability it requires with ``unsupported_capability_error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from routesim.wire.bgp.errors import BgpError
from routesim.wire.bgp.notification import ErrorCode, OpenSubcode


class CapabilityCode(IntEnum):
    """IANA capability codes (those named in this codebase)."""

    MULTIPROTOCOL = 1
    ROUTE_REFRESH = 2
    EXTENDED_NEXT_HOP = 5
    EXTENDED_MESSAGE = 6
    GRACEFUL_RESTART = 64
    FOUR_OCTET_AS = 65
    ADD_PATH = 69
    ENHANCED_ROUTE_REFRESH = 70
    LONG_LIVED_GRACEFUL_RESTART = 71
    FQDN = 73
    ROUTE_REFRESH_CISCO = 128


@dataclass(frozen=True)
class Multiprotocol:
    """RFC 4760 §8: AFI (2), reserved (1), SAFI (1)."""

    afi: int = 1
    safi: int = 1

    CODE = CapabilityCode.MULTIPROTOCOL

    def encode_value(self) -> bytes:
        return self.afi.to_bytes(2, "big") + bytes((0, self.safi))


@dataclass(frozen=True)
class RouteRefreshCapability:
    """RFC 2918 §2 (empty value). ``cisco=True`` is the pre-standard code 128 FRR still sends."""

    cisco: bool = False

    @property
    def CODE(self) -> CapabilityCode:
        return CapabilityCode.ROUTE_REFRESH_CISCO if self.cisco else CapabilityCode.ROUTE_REFRESH

    def encode_value(self) -> bytes:
        return b""


@dataclass(frozen=True)
class FourOctetAs:
    """RFC 6793 §3: the speaker's 4-octet AS number."""

    asn: int

    CODE = CapabilityCode.FOUR_OCTET_AS

    def encode_value(self) -> bytes:
        return self.asn.to_bytes(4, "big")


@dataclass(frozen=True)
class ExtendedMessage:
    """RFC 8654 §3 (empty value)."""

    CODE = CapabilityCode.EXTENDED_MESSAGE

    def encode_value(self) -> bytes:
        return b""


@dataclass(frozen=True)
class UnknownCapability:
    """Any other capability, kept as its code and raw value (e.g. Graceful Restart, RFC 4724)."""

    code: int
    value: bytes = b""

    @property
    def CODE(self) -> int:
        return self.code

    def encode_value(self) -> bytes:
        return self.value


Capability = Multiprotocol | RouteRefreshCapability | FourOctetAs | ExtendedMessage | UnknownCapability


def _open_error(subcode: int, data: bytes, reason: str) -> BgpError:
    return BgpError(ErrorCode.OPEN_MESSAGE_ERROR, subcode, data, reason=reason)


def decode_capability(code: int, value: bytes) -> Capability:
    """One capability from its code and value. A known code with the wrong value length is an OPEN
    error (RFC 5492 leaves the subcode open; we use Unspecific with the capability as data)."""
    expected = {
        CapabilityCode.MULTIPROTOCOL: 4,
        CapabilityCode.ROUTE_REFRESH: 0,
        CapabilityCode.ROUTE_REFRESH_CISCO: 0,
        CapabilityCode.FOUR_OCTET_AS: 4,
        CapabilityCode.EXTENDED_MESSAGE: 0,
    }.get(code)
    if expected is None:
        return UnknownCapability(code, bytes(value))
    if len(value) != expected:
        raise _open_error(
            OpenSubcode.UNSPECIFIC, bytes((code, len(value))) + bytes(value), "capability-length"
        )
    if code == CapabilityCode.MULTIPROTOCOL:
        return Multiprotocol(int.from_bytes(value[0:2], "big"), value[3])
    if code == CapabilityCode.FOUR_OCTET_AS:
        asn = int.from_bytes(value, "big")
        if asn == 0:  # RFC 7607 §2: AS 0 in the capability is a Bad Peer AS
            raise _open_error(OpenSubcode.BAD_PEER_AS, b"", "as-zero")
        return FourOctetAs(asn)
    if code == CapabilityCode.EXTENDED_MESSAGE:
        return ExtendedMessage()
    return RouteRefreshCapability(cisco=code == CapabilityCode.ROUTE_REFRESH_CISCO)


def decode_capabilities(value: bytes) -> list[Capability]:
    """The capabilities inside one Capabilities Optional Parameter (RFC 5492 §4)."""
    out: list[Capability] = []
    pos = 0
    while pos < len(value):
        if pos + 2 > len(value) or pos + 2 + value[pos + 1] > len(value):
            raise _open_error(OpenSubcode.UNSPECIFIC, bytes(value[pos:]), "capability-overrun")
        code, length = value[pos], value[pos + 1]
        out.append(decode_capability(code, value[pos + 2 : pos + 2 + length]))
        pos += 2 + length
    return out


def encode_capability(cap: Capability) -> bytes:
    value = cap.encode_value()
    if len(value) > 255:
        raise ValueError(f"capability {cap!r} value is {len(value)} octets, more than 255")
    return bytes((int(cap.CODE), len(value))) + value


def unsupported_capability_error(caps: list[Capability]) -> BgpError:
    """RFC 5492 §5: the NOTIFICATION for capabilities we require but the peer lacks (or refuse):
    OPEN Message Error / Unsupported Capability, data = the capabilities, encoded."""
    return _open_error(
        OpenSubcode.UNSUPPORTED_CAPABILITY,
        b"".join(encode_capability(c) for c in caps),
        "unsupported-capability",
    )
