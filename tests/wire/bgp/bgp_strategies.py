"""Hypothesis strategies for BGP messages (shared by the round-trip and AS4 tests)."""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import strategies as st

from routesim.wire.bgp import (
    Aggregator,
    AsPath,
    AsPathSegment,
    AtomicAggregate,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    Prefix,
    SegmentType,
    UnknownAttribute,
    Update,
)
from routesim.wire.bgp.nlri import _MASKS

u32 = st.integers(0, 2**32 - 1)
prefixes = st.builds(lambda a, n: Prefix(a & _MASKS[n], n), u32, st.integers(0, 32))
unicast = st.builds(
    lambda first, rest: IPv4Address((first << 24) | rest), st.integers(1, 223), st.integers(0, 2**24 - 1)
)


def asns(four_octet: bool) -> st.SearchStrategy[int]:
    return st.integers(1, 2**32 - 1 if four_octet else 0xFFFF)


def segments(four_octet: bool, types: tuple[int, ...] = (1, 2, 3, 4)) -> st.SearchStrategy[AsPathSegment]:
    return st.builds(
        lambda t, a: AsPathSegment(SegmentType(t), tuple(a)),
        st.sampled_from(types),
        st.lists(asns(four_octet), min_size=1, max_size=8),
    )


def as_paths(four_octet: bool, types: tuple[int, ...] = (1, 2, 3, 4)) -> st.SearchStrategy[AsPath]:
    return st.builds(lambda s: AsPath(tuple(s)), st.lists(segments(four_octet, types), max_size=4))


def attributes(four_octet: bool) -> st.SearchStrategy[list]:
    optional = st.one_of(
        st.builds(MultiExitDisc, u32),
        st.builds(LocalPref, u32),
        st.just(AtomicAggregate()),
        st.builds(Aggregator, asns(four_octet), unicast),
        st.builds(lambda v: Communities(tuple(v)), st.lists(u32, min_size=1, max_size=6)),
        st.builds(lambda nh, p: MpReachNlri(1, 1, nh, tuple(p)), unicast, st.lists(prefixes, max_size=5)),
        st.builds(lambda p: MpUnreachNlri(1, 1, tuple(p)), st.lists(prefixes, max_size=5)),
        st.builds(
            UnknownAttribute,
            st.integers(19, 255).filter(lambda c: c not in (32,)),
            st.sampled_from([0x80, 0xC0, 0xE0]),
            st.binary(max_size=300),
        ),
    )
    return st.lists(optional, max_size=6, unique_by=lambda a: a.type_code)


@st.composite
def updates(draw: st.DrawFn, four_octet: bool) -> Update:
    nlri = tuple(draw(st.lists(prefixes, max_size=20)))
    withdrawn = tuple(draw(st.lists(prefixes, max_size=20)))
    attrs = draw(attributes(four_octet))
    has_mp = any(isinstance(a, MpReachNlri) for a in attrs)
    if nlri or has_mp or draw(st.booleans()):
        mandatory = [Origin(draw(st.integers(0, 2))), draw(as_paths(four_octet))]
        if nlri or draw(st.booleans()):
            mandatory.append(NextHop(draw(unicast)))
        attrs = mandatory + attrs
    order = draw(st.permutations(range(len(attrs))))
    return Update(withdrawn, tuple(attrs[i] for i in order), nlri)
