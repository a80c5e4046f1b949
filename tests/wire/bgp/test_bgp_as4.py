"""RFC 6793 §4.2: AS_PATH/AS4_PATH and AGGREGATOR/AS4_AGGREGATOR toward and from 2-octet speakers."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from bgp_strategies import as_paths, unicast
from hypothesis import given, settings
from hypothesis import strategies as st

from routesim.wire.bgp import (
    AS_TRANS,
    Aggregator,
    As4Aggregator,
    As4Path,
    AsPath,
    AsPathSegment,
    Negotiated,
    NextHop,
    Origin,
    SegmentType,
    Update,
    decode_message,
    for_old_speaker,
    from_old_speaker,
    merge_as_paths,
)
from routesim.wire.bgp.nlri import Prefix

SEQ, SET = SegmentType.AS_SEQUENCE, SegmentType.AS_SET
CSEQ = SegmentType.AS_CONFED_SEQUENCE
NEG2 = Negotiated(four_octet_as=False)
NEG4 = Negotiated(four_octet_as=True)
BIG = 4_200_000_000
NH = NextHop(IPv4Address("10.0.0.1"))
ADDR = IPv4Address("10.9.9.9")


def path(*segs: tuple[int, tuple[int, ...]]) -> AsPath:
    return AsPath(tuple(AsPathSegment(t, a) for t, a in segs))


def test_for_old_speaker_maps_to_as_trans_and_adds_as4_attributes() -> None:
    attrs = (Origin(0), AsPath.from_asns(65001, BIG, 65002), NH, Aggregator(BIG, ADDR))
    out = for_old_speaker(attrs)
    assert out == (
        Origin(0),
        AsPath.from_asns(65001, AS_TRANS, 65002),
        NH,
        Aggregator(AS_TRANS, ADDR),
        As4Path.from_asns(65001, BIG, 65002),
        As4Aggregator(BIG, ADDR),
    )
    wire = Update(attributes=out, nlri=(Prefix.from_network("10.0.0.0/8"),)).encode(NEG2)
    received = decode_message(wire, NEG2)
    assert received.errors == ()
    assert from_old_speaker(received.attributes) == attrs


def test_for_old_speaker_without_big_asns_adds_nothing() -> None:
    attrs = (Origin(0), AsPath.from_asns(65001, 65002), NH, Aggregator(65001, ADDR))
    assert for_old_speaker(attrs) == attrs


def test_confederation_segments_stay_out_of_as4_path() -> None:
    attrs = (path((CSEQ, (65000,)), (SEQ, (BIG,))),)
    out = for_old_speaker(attrs)
    assert out[1] == As4Path((AsPathSegment(SEQ, (BIG,)),))
    assert from_old_speaker(out) == attrs


def test_a_two_octet_speaker_prepended_itself() -> None:
    # AS_PATH has two more ASes than AS4_PATH: they are kept in front.
    merged = merge_as_paths(path((SEQ, (100, 200, AS_TRANS))), path((SEQ, (BIG,))))
    assert merged == path((SEQ, (100, 200, BIG)))


def test_as_path_shorter_than_as4_path_ignores_as4_path() -> None:
    as_path = path((SEQ, (AS_TRANS,)))
    assert merge_as_paths(as_path, path((SEQ, (BIG, 1, 2)))) == as_path


def test_as_set_counts_as_one() -> None:
    merged = merge_as_paths(path((SEQ, (100,)), (SET, (AS_TRANS, 300))), path((SET, (BIG, 300))))
    assert merged == path((SEQ, (100,)), (SET, (BIG, 300)))


def test_leading_confederation_segment_is_kept() -> None:
    merged = merge_as_paths(path((CSEQ, (65000, 65001)), (SEQ, (AS_TRANS,))), path((SEQ, (BIG,))))
    assert merged == path((CSEQ, (65000, 65001)), (SEQ, (BIG,)))


def test_aggregator_with_real_as_means_as4_attributes_are_ignored() -> None:
    attrs = (
        AsPath.from_asns(AS_TRANS),
        Aggregator(65005, ADDR),
        As4Path.from_asns(BIG),
        As4Aggregator(BIG, ADDR),
    )
    assert from_old_speaker(attrs) == (AsPath.from_asns(AS_TRANS), Aggregator(65005, ADDR))


def test_aggregator_as_trans_takes_as4_aggregator() -> None:
    attrs = (
        AsPath.from_asns(AS_TRANS),
        Aggregator(AS_TRANS, ADDR),
        As4Path.from_asns(BIG),
        As4Aggregator(BIG, ADDR),
    )
    assert from_old_speaker(attrs) == (AsPath.from_asns(BIG), Aggregator(BIG, ADDR))


def test_encoding_a_big_asn_for_a_two_octet_session_is_our_bug() -> None:
    with pytest.raises(ValueError, match=r"4 octets|2 octets"):
        Update(attributes=(AsPath.from_asns(BIG),)).encode(NEG2)


@settings(deadline=None)
@given(
    as_paths(four_octet=True, types=(1, 2)),
    unicast,
    st.integers(1, 2**32 - 1),
    st.lists(st.integers(1, 65535), max_size=3),
)
def test_old_speaker_transit_preserves_the_4_octet_path(
    as_path: AsPath, addr, agg_as: int, prepends: list
) -> None:
    """NEW -> OLD (which may prepend its own 2-octet ASes) -> NEW gives back the true path.

    The AGGREGATOR carries a 4-octet AS (so AS_TRANS on the wire): with a real 2-octet AS there,
    RFC 6793 §4.2.3 ignores AS4_PATH by design (see the test above)."""
    agg_as = max(agg_as, 0x10000)
    attrs = (Origin(0), as_path, NH, Aggregator(agg_as, addr))
    sent = for_old_speaker(attrs)
    received = decode_message(Update(attributes=sent).encode(NEG2), NEG2)
    assert received.errors == ()
    carried = list(received.attributes)
    for asn in prepends:  # the OLD speaker prepends to AS_PATH only (RFC 6793 §4.2.2 leaves AS4_PATH alone)
        carried[1] = carried[1].prepend(asn)
    expected_path = as_path
    for asn in prepends:
        expected_path = expected_path.prepend(asn)
    merged = from_old_speaker(tuple(carried))
    assert merged[1].path_length() == expected_path.path_length()
    assert merged[1].asns == expected_path.asns
    assert merged[3] == Aggregator(agg_as, addr)
