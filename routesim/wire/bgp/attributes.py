"""Path attributes (RFC 4271 §4.3, §5): typed values, one table, and their RFC 7606 error handling.

Every known attribute is a frozen dataclass with ``TYPE_CODE``, ``FLAGS`` (the Optional/Transitive
bits it must carry), ``decode_value(value, negotiated)`` and ``encode_value(negotiated)``.
``ATTRIBUTES`` maps type code -> ``AttrSpec(cls, flags, decode, encode, malformed)``, where
``malformed`` is the RFC 7606 §7 reaction when that attribute is malformed (or its flags are wrong,
RFC 7606 §3 c):

| code | attribute | module | malformed -> |
| --- | --- | --- | --- |
| 1 | ORIGIN | RFC 4271 §5.1.1 | treat-as-withdraw (7606 §7.1) |
| 2 | AS_PATH | RFC 4271 §5.1.2, RFC 6793 | treat-as-withdraw (§7.2) |
| 3 | NEXT_HOP | RFC 4271 §5.1.3 | treat-as-withdraw (§7.3) |
| 4 | MULTI_EXIT_DISC | RFC 4271 §5.1.4 | treat-as-withdraw (§7.4) |
| 5 | LOCAL_PREF | RFC 4271 §5.1.5 | treat-as-withdraw (§7.5) |
| 6 | ATOMIC_AGGREGATE | RFC 4271 §5.1.6 | attribute discard (§7.6) |
| 7 | AGGREGATOR | RFC 4271 §5.1.7, RFC 6793 | attribute discard (§7.7) |
| 8 | COMMUNITIES | RFC 1997 | treat-as-withdraw (§7.8) |
| 14/15 | MP_(UN)REACH_NLRI | RFC 4760 (IPv4 unicast/multicast) | AFI/SAFI disable (§7.11, §5.3) |
| 17 | AS4_PATH | RFC 6793 §3 | attribute discard (RFC 6793 §6) |
| 18 | AS4_AGGREGATOR | RFC 6793 §3 | attribute discard (RFC 6793 §6) |

Any other code is an ``UnknownAttribute`` (flags, code, raw value) when optional; an unknown
well-known attribute is Unrecognized Well-known Attribute (3/2, session reset). Flags keep the
Extended Length and Partial bits the peer used (``wire_flags``, not part of equality) so that
re-encoding is byte-identical; ``attributes_for_propagation`` sets Partial on unknown transitive
attributes and drops unknown non-transitive ones (RFC 4271 §5).

AS numbers are 2 or 4 octets in AS_PATH and AGGREGATOR according to ``Negotiated.four_octet_as``;
``as4.py`` builds and merges AS4_PATH/AS4_AGGREGATOR for 2-octet peers (RFC 6793 §4.2).

Speed: ``decode_attributes`` keeps the attributes it decoded by their raw bytes (``_DECODED``, one
bounded table per AS number width), so the NEXT_HOP, ORIGIN, MED and communities that recur across a
full table are decoded once and shared (they are immutable); a bad attribute is never cached, so
every error is found and reported as before.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from ipaddress import IPv4Address
from typing import Any, ClassVar

from routesim.wire.bgp.errors import BgpError, ErrorHandling
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated
from routesim.wire.bgp.nlri import InvalidPrefix, Prefix, decode_prefixes, encode_prefixes
from routesim.wire.bgp.notification import ErrorCode, UpdateSubcode


class AttrFlags(IntFlag):
    """RFC 4271 §4.3 Attribute Flags (the low four bits are unused: sent 0, ignored)."""

    OPTIONAL = 0x80
    TRANSITIVE = 0x40
    PARTIAL = 0x20
    EXTENDED_LENGTH = 0x10


WELL_KNOWN = AttrFlags.TRANSITIVE
OPTIONAL_TRANSITIVE = AttrFlags.OPTIONAL | AttrFlags.TRANSITIVE
OPTIONAL_NON_TRANSITIVE = AttrFlags.OPTIONAL


class AttrType(IntEnum):
    ORIGIN = 1
    AS_PATH = 2
    NEXT_HOP = 3
    MULTI_EXIT_DISC = 4
    LOCAL_PREF = 5
    ATOMIC_AGGREGATE = 6
    AGGREGATOR = 7
    COMMUNITIES = 8
    ORIGINATOR_ID = 9
    CLUSTER_LIST = 10
    MP_REACH_NLRI = 14
    MP_UNREACH_NLRI = 15
    EXTENDED_COMMUNITIES = 16
    AS4_PATH = 17
    AS4_AGGREGATOR = 18
    LARGE_COMMUNITY = 32


class MalformedAttribute(Exception):
    """Raised by ``decode_value``: the subcode to report; the update decoder adds data and handling."""

    def __init__(self, subcode: int, reason: str, *, with_data: bool = True) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason
        self.with_data = with_data


def _length_error(name: str, got: int) -> MalformedAttribute:
    return MalformedAttribute(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, f"{name}-length-{got}")


@dataclass(frozen=True)
class PathAttribute:
    """Base of the known attributes. ``wire_flags``: the flags octet received (or to send) when it
    differs from the default (Extended Length or Partial set); ignored by ``==``."""

    TYPE_CODE: ClassVar[int] = 0
    FLAGS: ClassVar[int] = 0
    wire_flags: int | None = field(default=None, kw_only=True, compare=False, repr=False)

    @property
    def type_code(self) -> int:
        return self.TYPE_CODE

    @property
    def flags(self) -> int:
        return self.FLAGS if self.wire_flags is None else self.wire_flags

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> Any:
        raise NotImplementedError

    def encode_value(self, negotiated: Negotiated) -> bytes:
        raise NotImplementedError


class OriginType(IntEnum):
    IGP = 0
    EGP = 1
    INCOMPLETE = 2


_ORIGIN_TYPES = tuple(OriginType)


@dataclass(frozen=True)
class Origin(PathAttribute):
    TYPE_CODE = AttrType.ORIGIN
    FLAGS = WELL_KNOWN
    value: int = OriginType.IGP

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> Origin:
        if len(value) != 1:
            raise _length_error("origin", len(value))
        if value[0] > 2:  # RFC 4271 §6.3: Invalid ORIGIN Attribute
            raise MalformedAttribute(UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, "origin-value")
        return cls(_ORIGIN_TYPES[value[0]])

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return bytes((self.value,))


class SegmentType(IntEnum):
    """RFC 4271 §4.3 (1, 2) and RFC 5065 §3 (3, 4)."""

    AS_SET = 1
    AS_SEQUENCE = 2
    AS_CONFED_SEQUENCE = 3
    AS_CONFED_SET = 4


_CONFED = (SegmentType.AS_CONFED_SEQUENCE, SegmentType.AS_CONFED_SET)
_new = object.__new__
_set = object.__setattr__
#: Segment type octet -> member (index 0 unused), without an enum call per segment.
_SEGMENT_TYPES = (None, *SegmentType)
#: count -> ``unpack_from`` of that many 4- or 2-octet AS numbers (RFC 6793 §4: width by session).
_UNPACK_AS4 = tuple(struct.Struct(f">{n}I").unpack_from for n in range(256))
_UNPACK_AS2 = tuple(struct.Struct(f">{n}H").unpack_from for n in range(256))


@dataclass(frozen=True, slots=True)
class AsPathSegment:
    type: int
    asns: tuple[int, ...]

    def __str__(self) -> str:
        inner = " ".join(str(a) for a in self.asns)
        return {
            SegmentType.AS_SET: "{%s}",
            SegmentType.AS_CONFED_SEQUENCE: "(%s)",
            SegmentType.AS_CONFED_SET: "[%s]",
        }.get(self.type, "%s") % inner


@dataclass(frozen=True)
class AsPath(PathAttribute):
    """AS_PATH: segments of 2- or 4-octet AS numbers (RFC 4271 §4.3, RFC 6793 §4)."""

    TYPE_CODE = AttrType.AS_PATH
    FLAGS = WELL_KNOWN
    MALFORMED_SUBCODE: ClassVar[int] = UpdateSubcode.MALFORMED_AS_PATH
    segments: tuple[AsPathSegment, ...] = ()

    @classmethod
    def from_asns(cls, *asns: int) -> AsPath:
        """One AS_SEQUENCE (the common case), or the empty path."""
        return cls((AsPathSegment(SegmentType.AS_SEQUENCE, tuple(asns)),) if asns else ())

    @property
    def asns(self) -> tuple[int, ...]:
        """Every AS number in order, sets and confederation segments included (for loop checks)."""
        return tuple(a for seg in self.segments for a in seg.asns)

    def path_length(self) -> int:
        """RFC 4271 §9.1.2.2 a: an AS_SET counts 1; confederation segments count 0 (RFC 5065 §5.3)."""
        total = 0
        for seg in self.segments:
            if seg.type == SegmentType.AS_SEQUENCE:
                total += len(seg.asns)
            elif seg.type == SegmentType.AS_SET:
                total += 1
        return total

    @property
    def first_as(self) -> int | None:
        """The neighbour AS: the first AS of a leading AS_SEQUENCE (RFC 4271 §9.1.2.2 c)."""
        for seg in self.segments:
            if seg.type == SegmentType.AS_SEQUENCE and seg.asns:
                return seg.asns[0]
            if seg.type not in _CONFED:
                return None
        return None

    def prepend(self, asn: int) -> AsPath:
        """RFC 4271 §5.1.2: prepend our AS as the leftmost entry of the first AS_SEQUENCE."""
        segs = self.segments
        if segs and segs[0].type == SegmentType.AS_SEQUENCE and len(segs[0].asns) < 255:
            return AsPath((AsPathSegment(SegmentType.AS_SEQUENCE, (asn, *segs[0].asns)), *segs[1:]))
        return AsPath((AsPathSegment(SegmentType.AS_SEQUENCE, (asn,)), *segs))

    def __str__(self) -> str:
        return " ".join(str(s) for s in self.segments)

    @classmethod
    def _width(cls, negotiated: Negotiated) -> int:
        return 4 if negotiated.four_octet_as else 2

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> AsPath:
        width = cls._width(negotiated)
        unpack = _UNPACK_AS4 if width == 4 else _UNPACK_AS2
        segments = []
        pos, end = 0, len(value)
        confed_ok = cls.TYPE_CODE != AttrType.AS4_PATH
        while pos < end:
            # RFC 7606 §7.2: unknown type, zero-length or overrunning segment -> malformed.
            if end - pos < 2:
                raise cls._malformed("segment-header")
            stype, count = value[pos], value[pos + 1]
            if not 1 <= stype <= 4 or (stype >= 3 and not confed_ok):
                raise cls._malformed("segment-type")
            if count == 0:
                raise cls._malformed("segment-empty")
            stop = pos + 2 + count * width
            if stop > end:
                raise cls._malformed("segment-overrun")
            segments.append(AsPathSegment(_SEGMENT_TYPES[stype], unpack[count](value, pos + 2)))
            pos = stop
        # cls(segments), without the frozen __init__'s generic setattr for the default wire_flags
        # (read from the class until decode_attributes sets it): one AS_PATH per UPDATE received.
        path = _new(cls)
        _set(path, "segments", tuple(segments))
        return path

    @classmethod
    def _malformed(cls, reason: str) -> MalformedAttribute:
        # RFC 4271 §6.3: Malformed AS_PATH carries no data; AS4_PATH is an optional attribute (3/9).
        return MalformedAttribute(
            cls.MALFORMED_SUBCODE, reason, with_data=cls.MALFORMED_SUBCODE != UpdateSubcode.MALFORMED_AS_PATH
        )

    def encode_value(self, negotiated: Negotiated) -> bytes:
        width = self._width(negotiated)
        limit = 1 << (8 * width)
        out = bytearray()
        for seg in self.segments:
            asns = seg.asns
            for chunk_start in range(0, max(len(asns), 1), 255):  # RFC 4271 §5.1.2: <= 255 per segment
                chunk = asns[chunk_start : chunk_start + 255]
                out += bytes((seg.type, len(chunk)))
                for asn in chunk:
                    if not 0 <= asn < limit:
                        raise ValueError(f"AS {asn} does not fit {width} octets (use as4.for_old_speaker)")
                    out += asn.to_bytes(width, "big")
        return bytes(out)


@dataclass(frozen=True)
class As4Path(AsPath):
    """AS4_PATH (RFC 6793 §3): always 4-octet, never confederation segments."""

    TYPE_CODE = AttrType.AS4_PATH
    FLAGS = OPTIONAL_TRANSITIVE
    MALFORMED_SUBCODE = UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR

    @classmethod
    def _width(cls, negotiated: Negotiated) -> int:
        return 4


_BAD_NEXT_HOP_FIRST_OCTET = frozenset((0, *range(224, 256)))


@dataclass(frozen=True)
class NextHop(PathAttribute):
    TYPE_CODE = AttrType.NEXT_HOP
    FLAGS = WELL_KNOWN
    address: IPv4Address

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> NextHop:
        if len(value) != 4:
            raise _length_error("next-hop", len(value))
        # RFC 4271 §6.3 syntactic check: a unicast host address. 0/8, multicast and 240/4 (with the
        # limited broadcast) are refused; 127/8 is allowed because loopback labs use it.
        if value[0] in _BAD_NEXT_HOP_FIRST_OCTET:
            raise MalformedAttribute(UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE, "next-hop-address")
        return cls(IPv4Address(bytes(value)))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return self.address.packed


@dataclass(frozen=True)
class MultiExitDisc(PathAttribute):
    TYPE_CODE = AttrType.MULTI_EXIT_DISC
    FLAGS = OPTIONAL_NON_TRANSITIVE
    value: int

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> MultiExitDisc:
        if len(value) != 4:
            raise _length_error("med", len(value))
        return cls(int.from_bytes(value, "big"))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return self.value.to_bytes(4, "big")


@dataclass(frozen=True)
class LocalPref(PathAttribute):
    TYPE_CODE = AttrType.LOCAL_PREF
    FLAGS = WELL_KNOWN
    value: int

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> LocalPref:
        if len(value) != 4:
            raise _length_error("local-pref", len(value))
        return cls(int.from_bytes(value, "big"))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return self.value.to_bytes(4, "big")


@dataclass(frozen=True)
class AtomicAggregate(PathAttribute):
    TYPE_CODE = AttrType.ATOMIC_AGGREGATE
    FLAGS = WELL_KNOWN

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> AtomicAggregate:
        if len(value) != 0:
            raise _length_error("atomic-aggregate", len(value))
        return cls()

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return b""


@dataclass(frozen=True)
class Aggregator(PathAttribute):
    """AGGREGATOR: AS (2 or 4 octets by session, RFC 6793 §4) and the aggregating speaker's ID."""

    TYPE_CODE = AttrType.AGGREGATOR
    FLAGS = OPTIONAL_TRANSITIVE
    asn: int
    address: IPv4Address

    @classmethod
    def _width(cls, negotiated: Negotiated) -> int:
        return 4 if negotiated.four_octet_as else 2

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> Aggregator:
        width = cls._width(negotiated)
        if len(value) != width + 4:
            raise _length_error("aggregator", len(value))
        asn = int.from_bytes(value[:width], "big")
        if asn == 0:  # RFC 7607 §2: AS 0 in AGGREGATOR is malformed
            raise MalformedAttribute(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, "aggregator-as-zero")
        return cls(asn, IPv4Address(bytes(value[width:])))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        width = self._width(negotiated)
        if self.asn >= 1 << (8 * width):
            raise ValueError(f"AS {self.asn} does not fit {width} octets (use as4.for_old_speaker)")
        return self.asn.to_bytes(width, "big") + self.address.packed


@dataclass(frozen=True)
class As4Aggregator(Aggregator):
    TYPE_CODE = AttrType.AS4_AGGREGATOR
    FLAGS = OPTIONAL_TRANSITIVE

    @classmethod
    def _width(cls, negotiated: Negotiated) -> int:
        return 4


#: RFC 1997 well-known communities (NOPEER: RFC 3765).
NO_EXPORT = 0xFFFFFF01
NO_ADVERTISE = 0xFFFFFF02
NO_EXPORT_SUBCONFED = 0xFFFFFF03
NOPEER = 0xFFFFFF04


def community(asn: int, value: int) -> int:
    """``community(65000, 1)`` -> the 32-bit value written ``65000:1``."""
    return (asn << 16) | value


def format_community(value: int) -> str:
    return f"{value >> 16}:{value & 0xFFFF}"


@dataclass(frozen=True)
class Communities(PathAttribute):
    TYPE_CODE = AttrType.COMMUNITIES
    FLAGS = OPTIONAL_TRANSITIVE
    values: tuple[int, ...] = ()

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> Communities:
        if not value or len(value) % 4:  # RFC 7606 §7.8: a non-zero multiple of four
            raise _length_error("communities", len(value))
        n = len(value) >> 2
        return cls(_UNPACK_AS4[n](value) if n < 256 else struct.unpack(f">{n}I", value))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return b"".join(v.to_bytes(4, "big") for v in self.values)

    def __str__(self) -> str:
        return " ".join(format_community(v) for v in self.values)


_PREFIX_AFI_SAFIS = frozenset({(1, 1), (1, 2)})


def _mp_error(reason: str) -> MalformedAttribute:
    return MalformedAttribute(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, reason)


@dataclass(frozen=True)
class MpReachNlri(PathAttribute):
    """MP_REACH_NLRI (RFC 4760 §3). For IPv4 unicast/multicast the NLRI is decoded into ``nlri`` and
    ``next_hop`` is an ``IPv4Address``; for other families both stay raw (``next_hop`` bytes,
    ``opaque_nlri``)."""

    TYPE_CODE = AttrType.MP_REACH_NLRI
    FLAGS = OPTIONAL_NON_TRANSITIVE
    afi: int
    safi: int
    next_hop: IPv4Address | bytes
    nlri: tuple[Prefix, ...] = ()
    opaque_nlri: bytes = b""

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> MpReachNlri:
        if len(value) < 5:
            raise _mp_error("mp-reach-short")
        afi, safi, nh_len = int.from_bytes(value[0:2], "big"), value[2], value[3]
        nlri_start = 4 + nh_len + 1  # + the reserved octet (RFC 4760 §3, ignored on receipt)
        if nlri_start > len(value):
            raise _mp_error("mp-reach-next-hop-length")
        raw_nh = bytes(value[4 : 4 + nh_len])
        if (afi, safi) not in _PREFIX_AFI_SAFIS:
            return cls(afi, safi, raw_nh, (), bytes(value[nlri_start:]))
        if nh_len != 4:  # RFC 7606 §7.11: next hop length inconsistent with the AFI/SAFI
            raise _mp_error("mp-reach-next-hop-length")
        try:
            nlri = decode_prefixes(value, nlri_start, len(value))
        except InvalidPrefix as exc:
            raise _mp_error("mp-reach-nlri") from exc
        return cls(afi, safi, IPv4Address(raw_nh), tuple(nlri))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        nh = self.next_hop.packed if isinstance(self.next_hop, IPv4Address) else self.next_hop
        body = encode_prefixes(self.nlri) + self.opaque_nlri
        return self.afi.to_bytes(2, "big") + bytes((self.safi, len(nh))) + nh + b"\x00" + body


@dataclass(frozen=True)
class MpUnreachNlri(PathAttribute):
    """MP_UNREACH_NLRI (RFC 4760 §4); empty ``withdrawn`` is an End-of-RIB marker (RFC 4724 §2)."""

    TYPE_CODE = AttrType.MP_UNREACH_NLRI
    FLAGS = OPTIONAL_NON_TRANSITIVE
    afi: int
    safi: int
    withdrawn: tuple[Prefix, ...] = ()
    opaque_withdrawn: bytes = b""

    @classmethod
    def decode_value(cls, value: bytes, negotiated: Negotiated) -> MpUnreachNlri:
        if len(value) < 3:
            raise _mp_error("mp-unreach-short")
        afi, safi = int.from_bytes(value[0:2], "big"), value[2]
        if (afi, safi) not in _PREFIX_AFI_SAFIS:
            return cls(afi, safi, (), bytes(value[3:]))
        try:
            withdrawn = decode_prefixes(value, 3, len(value))
        except InvalidPrefix as exc:
            raise _mp_error("mp-unreach-nlri") from exc
        return cls(afi, safi, tuple(withdrawn))

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return (
            self.afi.to_bytes(2, "big")
            + bytes((self.safi,))
            + encode_prefixes(self.withdrawn)
            + self.opaque_withdrawn
        )


@dataclass(frozen=True)
class UnknownAttribute:
    """An optional attribute we do not implement, kept as flags, code and raw value (RFC 4271 §5)."""

    type_code: int
    flags: int
    value: bytes = b""

    @property
    def transitive(self) -> bool:
        return bool(self.flags & AttrFlags.TRANSITIVE)

    def for_propagation(self) -> UnknownAttribute | None:
        """RFC 4271 §5: pass an unrecognized optional transitive attribute on with Partial set;
        quietly drop a non-transitive one."""
        if not self.transitive:
            return None
        return UnknownAttribute(self.type_code, self.flags | AttrFlags.PARTIAL, self.value)

    def encode_value(self, negotiated: Negotiated) -> bytes:
        return self.value


Attribute = PathAttribute | UnknownAttribute


@dataclass(frozen=True)
class AttrSpec:
    """One row of the attribute table (BIRD's ``bgp_attr_table``)."""

    cls: type[PathAttribute]
    flags: int
    decode: Callable[[bytes, Negotiated], PathAttribute]
    encode: Callable[[Any, Negotiated], bytes]
    malformed: ErrorHandling


def _spec(cls: type[PathAttribute], malformed: ErrorHandling) -> tuple[int, AttrSpec]:
    return cls.TYPE_CODE, AttrSpec(cls, cls.FLAGS, cls.decode_value, cls.encode_value, malformed)


_H = ErrorHandling
#: Type code -> (flags, decoder, encoder, RFC 7606 handling when malformed).
ATTRIBUTES: dict[int, AttrSpec] = dict(
    (
        _spec(Origin, _H.TREAT_AS_WITHDRAW),
        _spec(AsPath, _H.TREAT_AS_WITHDRAW),
        _spec(NextHop, _H.TREAT_AS_WITHDRAW),
        _spec(MultiExitDisc, _H.TREAT_AS_WITHDRAW),
        _spec(LocalPref, _H.TREAT_AS_WITHDRAW),
        _spec(AtomicAggregate, _H.ATTRIBUTE_DISCARD),
        _spec(Aggregator, _H.ATTRIBUTE_DISCARD),
        _spec(Communities, _H.TREAT_AS_WITHDRAW),
        _spec(MpReachNlri, _H.AFI_SAFI_DISABLE),
        _spec(MpUnreachNlri, _H.AFI_SAFI_DISABLE),
        _spec(As4Path, _H.ATTRIBUTE_DISCARD),
        _spec(As4Aggregator, _H.ATTRIBUTE_DISCARD),
    )
)


def _update_error(subcode: int, data: bytes, handling: ErrorHandling, reason: str) -> BgpError:
    return BgpError(ErrorCode.UPDATE_MESSAGE_ERROR, subcode, data, handling=handling, reason=reason)


#: Decoded attributes by their raw bytes (flags, type, length, value), one table per AS number width:
#: the same ORIGIN, NEXT_HOP, MED, COMMUNITIES (and often AS_PATH) recur across a table's UPDATEs,
#: and the objects are immutable, so each distinct attribute is decoded once. Bounded: emptied when
#: full. MP_(UN)REACH_NLRI (which carry NLRI) are never cached.
_DECODED: tuple[dict[bytes, PathAttribute], dict[bytes, PathAttribute]] = ({}, {})
_DECODED_LIMIT = 16384
_OPTIONAL, _TRANSITIVE, _PARTIAL, _EXTENDED = 0x80, 0x40, 0x20, 0x10


def decode_attributes(
    data: bytes, start: int, end: int, negotiated: Negotiated = DEFAULT
) -> tuple[list[Attribute], list[BgpError], set[int]]:
    """Decode the Path Attributes field ``data[start:end]`` (RFC 4271 §4.3, §6.3; RFC 7606).

    Returns ``(attributes, errors, seen)``: the attributes kept, in wire order; the errors found
    (handling below SESSION_RESET); and every type code met, malformed or not (so that a malformed
    mandatory attribute is not reported missing as well). Raises ``BgpError`` for session-reset
    cases: an unrecognized well-known attribute (3/2) and a repeated MP_(UN)REACH_NLRI (3/1).
    """
    attrs: list[Attribute] = []
    errors: list[BgpError] = []
    seen: set[int] = set()
    table = ATTRIBUTES
    cache = _DECODED[1 if negotiated.four_octet_as else 0]
    if type(data) is not bytes:  # slices of it are the cache's keys
        data = bytes(data)
    pos = start
    while pos < end:
        if end - pos < 3:
            # RFC 7606 §4: the attribute header overruns the field -> treat-as-withdraw.
            errors.append(
                _update_error(
                    UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
                    data[pos:end],
                    _H.TREAT_AS_WITHDRAW,
                    "attribute-header-overrun",
                )
            )
            break
        flags, code = data[pos], data[pos + 1]
        if flags & _EXTENDED:
            if end - pos < 4:
                errors.append(
                    _update_error(
                        UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
                        data[pos:end],
                        _H.TREAT_AS_WITHDRAW,
                        "attribute-header-overrun",
                    )
                )
                break
            vstart = pos + 4
            vend = vstart + ((data[pos + 2] << 8) | data[pos + 3])
        else:
            vstart = pos + 3
            vend = vstart + data[pos + 2]
        if vend > end:
            # RFC 7606 §4: an attribute length overrunning the Path Attributes field -> treat-as-withdraw.
            errors.append(
                _update_error(
                    UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
                    data[pos:end],
                    _H.TREAT_AS_WITHDRAW,
                    "attribute-length-overrun",
                )
            )
            break
        whole = data[pos:vend]
        pos = vend
        if code in seen:
            if code == 14 or code == 15:  # RFC 7606 §3 g (MP_REACH_NLRI, MP_UNREACH_NLRI)
                raise _update_error(
                    UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, b"", _H.SESSION_RESET, "duplicate-mp-attribute"
                )
            # RFC 7606 §3 g: discard all but the first (RFC 4271 §6.3 would reset with 3/1).
            errors.append(
                _update_error(
                    UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, b"", _H.ATTRIBUTE_DISCARD, f"duplicate-{code}"
                )
            )
            continue
        seen.add(code)
        attr = cache.get(whole)
        if attr is not None:  # decoded before: flags and value already checked
            attrs.append(attr)
            continue
        spec = table.get(code)
        if spec is None:
            if not flags & _OPTIONAL:  # RFC 4271 §6.3
                raise _update_error(
                    UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                    whole,
                    _H.SESSION_RESET,
                    f"unrecognized-well-known-{code}",
                )
            attrs.append(UnknownAttribute(code, flags & 0xF0, bytes(data[vstart:vend])))
            continue
        # RFC 4271 §6.3 / §4.3: Optional and Transitive bits must match the type; Partial only on
        # optional transitive attributes. RFC 7606 §3 c: handled like a malformed attribute.
        if (flags & 0xC0) != spec.flags or (flags & _PARTIAL and spec.flags != OPTIONAL_TRANSITIVE):
            errors.append(
                _update_error(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, whole, spec.malformed, f"flags-{code}")
            )
            continue
        try:
            attr = spec.decode(data[vstart:vend], negotiated)
        except MalformedAttribute as exc:
            errors.append(
                _update_error(exc.subcode, whole if exc.with_data else b"", spec.malformed, exc.reason)
            )
            continue
        if flags & 0x30:
            object.__setattr__(attr, "wire_flags", flags & 0xF0)
        if code != 14 and code != 15:
            if len(cache) >= _DECODED_LIMIT:
                cache.clear()
            cache[whole] = attr
        attrs.append(attr)
    return attrs, errors, seen


def encode_attribute(attr: Attribute, negotiated: Negotiated = DEFAULT) -> bytes:
    """Flags, type, length (1 or 2 octets) and value. Extended Length is set when the value needs it
    or when ``wire_flags``/``flags`` asked for it."""
    value = attr.encode_value(negotiated)
    flags = attr.flags & 0xF0
    n = len(value)
    if n > 255:
        flags |= AttrFlags.EXTENDED_LENGTH
    if n > 0xFFFF:
        raise ValueError(f"attribute {attr.type_code} value of {n} octets")
    if flags & AttrFlags.EXTENDED_LENGTH:
        return bytes((flags, attr.type_code, n >> 8, n & 0xFF)) + value
    return bytes((flags, attr.type_code, n)) + value


def encode_attributes(
    attrs: tuple[Attribute, ...] | list[Attribute], negotiated: Negotiated = DEFAULT
) -> bytes:
    return b"".join([encode_attribute(a, negotiated) for a in attrs])


def attributes_for_propagation(attrs: tuple[Attribute, ...] | list[Attribute]) -> tuple[Attribute, ...]:
    """RFC 4271 §5 / §9.1.4: what passes on to another peer: unknown optional transitive attributes
    get the Partial bit, unknown non-transitive ones are dropped. Known attributes are unchanged
    (the engine rewrites NEXT_HOP, AS_PATH, MED, LOCAL_PREF itself)."""
    out: list[Attribute] = []
    for attr in attrs:
        if isinstance(attr, UnknownAttribute):
            passed = attr.for_propagation()
            if passed is not None:
                out.append(passed)
        else:
            out.append(attr)
    return tuple(out)
