"""Path attribute helpers: propagation rules, AS_PATH arithmetic, flags on the wire."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from routesim.wire.bgp import (
    ATTRIBUTES,
    NO_ADVERTISE,
    NO_EXPORT,
    NO_EXPORT_SUBCONFED,
    AsPath,
    AsPathSegment,
    AttrFlags,
    AttrType,
    Communities,
    ErrorHandling,
    MpUnreachNlri,
    Negotiated,
    Origin,
    Prefix,
    SegmentType,
    UnknownAttribute,
    Update,
    attributes_for_propagation,
    decode_message,
    encode_prefixes,
)
from routesim.wire.bgp.attributes import encode_attribute

NEG4 = Negotiated(four_octet_as=True)


def test_unknown_optional_transitive_gets_partial_and_non_transitive_is_dropped() -> None:
    attrs = (
        Origin(0),
        UnknownAttribute(200, 0xC0, b"\x01"),
        UnknownAttribute(201, 0x80, b"\x02"),
        UnknownAttribute(202, 0xE0, b"\x03"),
    )
    assert attributes_for_propagation(attrs) == (
        Origin(0),
        UnknownAttribute(200, 0xE0, b"\x01"),
        UnknownAttribute(202, 0xE0, b"\x03"),
    )
    assert encode_attribute(attributes_for_propagation(attrs)[1])[0] & AttrFlags.PARTIAL


def test_well_known_community_values() -> None:
    assert (NO_EXPORT, NO_ADVERTISE, NO_EXPORT_SUBCONFED) == (0xFFFFFF01, 0xFFFFFF02, 0xFFFFFF03)
    assert str(Communities((NO_EXPORT, 65001 << 16 | 7))) == "65535:65281 65001:7"


def test_as_path_arithmetic() -> None:
    p = AsPath(
        (
            AsPathSegment(SegmentType.AS_CONFED_SEQUENCE, (65000,)),
            AsPathSegment(SegmentType.AS_SEQUENCE, (1, 2)),
            AsPathSegment(SegmentType.AS_SET, (3, 4, 5)),
        )
    )
    assert p.path_length() == 3  # confed 0, sequence 2, set 1
    assert p.first_as == 1
    assert str(p) == "(65000) 1 2 {3 4 5}"
    assert AsPath().prepend(7) == AsPath.from_asns(7)
    assert AsPath.from_asns(1, 2).prepend(7) == AsPath.from_asns(7, 1, 2)
    assert AsPath((AsPathSegment(SegmentType.AS_SET, (1,)),)).prepend(7).segments[0].asns == (7,)
    assert AsPath.from_asns().first_as is None


def test_long_as_sequence_is_split_into_255_as_segments() -> None:
    long = AsPath.from_asns(*range(1, 301))
    decoded = decode_message(Update(attributes=(Origin(0), long)).encode(NEG4), NEG4).as_path
    assert [len(s.asns) for s in decoded.segments] == [255, 45]
    assert decoded.asns == long.asns


def test_extended_length_is_chosen_for_long_values_and_kept_when_received() -> None:
    big = UnknownAttribute(200, 0xC0, b"\x00" * 300)
    wire = encode_attribute(big)
    assert wire[0] == 0xD0 and wire[2:4] == (300).to_bytes(2, "big")
    ext_origin = b"\x50\x01\x00\x01\x00"
    u = decode_message(
        b"\xff" * 16 + (19 + 4 + len(ext_origin)).to_bytes(2, "big") + b"\x02\x00\x00\x00\x05" + ext_origin
    )
    assert u.origin == Origin(0) and u.origin.wire_flags == 0x50
    assert u.encode().endswith(ext_origin)


def test_table_rows_say_the_rfc_7606_handling() -> None:
    assert ATTRIBUTES[AttrType.ORIGIN].malformed == ErrorHandling.TREAT_AS_WITHDRAW
    assert ATTRIBUTES[AttrType.AGGREGATOR].malformed == ErrorHandling.ATTRIBUTE_DISCARD
    assert ATTRIBUTES[AttrType.ATOMIC_AGGREGATE].malformed == ErrorHandling.ATTRIBUTE_DISCARD
    assert ATTRIBUTES[AttrType.COMMUNITIES].flags == AttrFlags.OPTIONAL | AttrFlags.TRANSITIVE
    assert ATTRIBUTES[AttrType.MULTI_EXIT_DISC].flags == AttrFlags.OPTIONAL


def test_prefix_helpers_and_our_own_bad_prefix() -> None:
    p = Prefix.from_network("192.0.2.0/24")
    assert str(p) == "192.0.2.0/24" and str(p.network) == "192.0.2.0/24"
    assert encode_prefixes([Prefix(0, 0)]) == b"\x00"
    with pytest.raises(ValueError):
        encode_prefixes([Prefix(int(IPv4Address("192.0.2.1")), 24)])


def test_end_of_rib_markers() -> None:
    assert decode_message(Update().encode()).is_end_of_rib
    mp_eor = decode_message(Update(attributes=(MpUnreachNlri(1, 1),)).encode())
    assert not mp_eor.is_end_of_rib and mp_eor.mp_unreach == MpUnreachNlri(1, 1)
    assert mp_eor.withdrawn_prefixes() == ()
