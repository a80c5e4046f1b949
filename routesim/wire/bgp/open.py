"""OPEN message (RFC 4271 §4.2) with Capabilities Optional Parameters (RFC 5492).

Checks done here, in RFC 4271 §6.2 order (each an OPEN Message Error, session reset):

- version != 4 -> 2/1 Unsupported Version Number, data = 2-octet largest supported version (4);
- My Autonomous System 0 (or 4-octet AS capability 0) -> 2/2 Bad Peer AS (RFC 7607 §2);
- Hold Time 1 or 2 -> 2/6 Unacceptable Hold Time (§4.2: zero or at least three);
- BGP Identifier 0.0.0.0 -> 2/3 Bad BGP Identifier (RFC 6286 §2.2: any non-zero value is valid);
- an Optional Parameter other than Capabilities (type 2) -> 2/4 Unsupported Optional Parameter
  (this includes RFC 9072 extended parameters, which we do not support);
- parameter lengths that do not add up -> 2/0 Unspecific, data = the parameters field.

Left to the FSM (it knows the configuration): the peer AS against the configured one (2/2), the
identifier against ours (2/3, and collision detection), and refusing capabilities (2/7, see
``capabilities.unsupported_capability_error``).

FRR puts each capability in its own Optional Parameter and BIRD puts all in one; ``parameter_layout``
records how many capabilities each parameter held so that re-encoding is byte-identical (``None``:
all in one parameter). It does not take part in equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from routesim.wire.bgp.capabilities import (
    Capability,
    CapabilityCode,
    ExtendedMessage,
    FourOctetAs,
    Multiprotocol,
    RouteRefreshCapability,
    decode_capabilities,
    encode_capability,
)
from routesim.wire.bgp.errors import BgpError
from routesim.wire.bgp.framing import frame, message_body
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated
from routesim.wire.bgp.notification import ErrorCode, OpenSubcode

BGP_VERSION = 4
#: RFC 6793 §9: the 2-octet stand-in for a 4-octet AS number.
AS_TRANS = 23456
PARAM_CAPABILITIES = 2


def _open_error(subcode: int, data: bytes = b"", reason: str = "") -> BgpError:
    return BgpError(ErrorCode.OPEN_MESSAGE_ERROR, subcode, data, reason=reason)


@dataclass(frozen=True, kw_only=True)
class Open:
    """RFC 4271 §4.2. ``my_as`` is the 2-octet field (AS_TRANS for a 4-octet AS); see ``asn``."""

    version: int = BGP_VERSION
    my_as: int
    hold_time: int
    bgp_identifier: IPv4Address
    capabilities: tuple[Capability, ...] = ()
    parameter_layout: tuple[int, ...] | None = field(default=None, compare=False, repr=False)

    TYPE = 1

    @classmethod
    def for_speaker(
        cls,
        asn: int,
        hold_time: int,
        bgp_identifier: IPv4Address,
        *,
        capabilities: tuple[Capability, ...] = (Multiprotocol(1, 1), RouteRefreshCapability()),
        four_octet_as: bool = True,
    ) -> Open:
        """An OPEN for our side: adds the RFC 6793 capability and AS_TRANS when needed."""
        if asn > 0xFFFF and not four_octet_as:
            raise ValueError(f"AS {asn} needs the 4-octet AS capability")
        caps = tuple(capabilities) + ((FourOctetAs(asn),) if four_octet_as else ())
        return cls(
            my_as=asn if asn <= 0xFFFF else AS_TRANS,
            hold_time=hold_time,
            bgp_identifier=bgp_identifier,
            capabilities=caps,
        )

    # -- derived views -------------------------------------------------------------------------

    @property
    def four_octet_as(self) -> int | None:
        """The AS from the RFC 6793 capability, or None if the speaker did not send it."""
        for cap in self.capabilities:
            if isinstance(cap, FourOctetAs):
                return cap.asn
        return None

    @property
    def asn(self) -> int:
        """The speaker's real AS number (RFC 6793 §4.1: the capability wins over My AS)."""
        four = self.four_octet_as
        return self.my_as if four is None else four

    @property
    def multiprotocol(self) -> set[tuple[int, int]]:
        return {(c.afi, c.safi) for c in self.capabilities if isinstance(c, Multiprotocol)}

    @property
    def route_refresh(self) -> bool:
        return any(isinstance(c, RouteRefreshCapability) for c in self.capabilities)

    @property
    def extended_message(self) -> bool:
        return any(isinstance(c, ExtendedMessage) for c in self.capabilities)

    def capability(self, code: int) -> Capability | None:
        for cap in self.capabilities:
            if code == cap.CODE:
                return cap
        return None

    # -- codec ---------------------------------------------------------------------------------

    @classmethod
    def decode(cls, data: bytes, negotiated: Negotiated = DEFAULT) -> Open:
        """Decode one whole OPEN message (header included)."""
        return cls.decode_body(message_body(data, cls.TYPE, negotiated.max_message_length), negotiated)

    @classmethod
    def decode_body(cls, body: bytes, negotiated: Negotiated = DEFAULT) -> Open:
        if len(body) < 10:
            raise BgpError(
                ErrorCode.MESSAGE_HEADER_ERROR, 2, (19 + len(body)).to_bytes(2, "big"), reason="open-length"
            )
        version = body[0]
        if version != BGP_VERSION:
            raise _open_error(
                OpenSubcode.UNSUPPORTED_VERSION_NUMBER, BGP_VERSION.to_bytes(2, "big"), "version"
            )
        my_as = int.from_bytes(body[1:3], "big")
        hold_time = int.from_bytes(body[3:5], "big")
        identifier = IPv4Address(bytes(body[5:9]))
        opt_len = body[9]
        params = bytes(body[10:])
        if my_as == 0:
            raise _open_error(OpenSubcode.BAD_PEER_AS, b"", "as-zero")
        if hold_time in (1, 2):
            raise _open_error(OpenSubcode.UNACCEPTABLE_HOLD_TIME, b"", "hold-time")
        if int(identifier) == 0:
            raise _open_error(OpenSubcode.BAD_BGP_IDENTIFIER, b"", "identifier-zero")
        if opt_len != len(params):
            raise _open_error(OpenSubcode.UNSPECIFIC, params, "optional-parameters-length")
        caps: list[Capability] = []
        layout: list[int] = []
        pos = 0
        while pos < opt_len:
            if pos + 2 > opt_len or pos + 2 + params[pos + 1] > opt_len:
                raise _open_error(OpenSubcode.UNSPECIFIC, params, "optional-parameter-overrun")
            ptype, plen = params[pos], params[pos + 1]
            if ptype != PARAM_CAPABILITIES:
                raise _open_error(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, b"", "optional-parameter")
            found = decode_capabilities(params[pos + 2 : pos + 2 + plen])
            caps.extend(found)
            layout.append(len(found))
            pos += 2 + plen
        return cls(
            version=version,
            my_as=my_as,
            hold_time=hold_time,
            bgp_identifier=identifier,
            capabilities=tuple(caps),
            parameter_layout=None if len(layout) == 1 and layout[0] else tuple(layout),
        )

    def encode_body(self, negotiated: Negotiated = DEFAULT) -> bytes:
        groups: list[tuple[Capability, ...]]
        layout = self.parameter_layout
        if layout is not None and sum(layout) == len(self.capabilities):
            groups, pos = [], 0
            for count in layout:
                groups.append(self.capabilities[pos : pos + count])
                pos += count
        else:
            groups = [self.capabilities] if self.capabilities else []
        params = b""
        for group in groups:
            value = b"".join(encode_capability(c) for c in group)
            if len(value) > 255:
                raise ValueError("capabilities do not fit one optional parameter; set parameter_layout")
            params += bytes((PARAM_CAPABILITIES, len(value))) + value
        if len(params) > 255:
            raise ValueError("optional parameters longer than 255 octets (RFC 9072 not supported)")
        return (
            bytes((self.version,))
            + self.my_as.to_bytes(2, "big")
            + self.hold_time.to_bytes(2, "big")
            + self.bgp_identifier.packed
            + bytes((len(params),))
            + params
        )

    def encode(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return frame(self.TYPE, self.encode_body(negotiated))


__all__ = ["AS_TRANS", "BGP_VERSION", "CapabilityCode", "Open"]
