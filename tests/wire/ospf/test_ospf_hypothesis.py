"""Property tests: any bytes decode to a packet or OspfDecodeError; generated packets round-trip."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ospf_testutil import CORPUS, with_checksum

from routesim.wire.ospf import (
    AsbrSummaryLsa,
    AsExternalLsa,
    CryptographicAuth,
    DatabaseDescription,
    DdFlags,
    ExternalTosRoute,
    Hello,
    LinkStateAck,
    LinkStateRequest,
    LinkStateUpdate,
    LsaHeader,
    LsRequest,
    NetworkLsa,
    NullAuth,
    Options,
    OspfDecodeError,
    RouterLink,
    RouterLsa,
    RouterLsaFlags,
    SimplePasswordAuth,
    SummaryLsa,
    TosMetric,
    UnknownLsa,
    decode_lsa,
    decode_packet,
    encode_packet,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
ipv4 = u32.map(IPv4Address)
options = u8.map(Options)
seq = st.integers(-(1 << 31), (1 << 31) - 1)
small = {"max_size": 4}

lsa_headers = st.builds(LsaHeader, u16, options, u8, ipv4, ipv4, seq, u16, u16)


def _header_for(ls_type: int) -> st.SearchStrategy[LsaHeader]:
    return st.builds(LsaHeader, u16, options, st.just(ls_type), ipv4, ipv4, seq)


router_lsas = st.builds(
    RouterLsa,
    _header_for(1),
    u8.map(RouterLsaFlags),
    st.lists(
        st.builds(
            RouterLink, ipv4, ipv4, u8, u16, st.lists(st.builds(TosMetric, u8, u16), **small).map(tuple)
        ),
        **small,
    ).map(tuple),
)
network_lsas = st.builds(NetworkLsa, _header_for(2), ipv4, st.lists(ipv4, **small).map(tuple))
summary_tos = st.lists(st.builds(TosMetric, u8, u24), **small).map(tuple)
summary_lsas = st.builds(SummaryLsa, _header_for(3), ipv4, u24, summary_tos)
asbr_lsas = st.builds(AsbrSummaryLsa, _header_for(4), ipv4, u24, summary_tos)
external_lsas = st.builds(
    AsExternalLsa,
    _header_for(5),
    ipv4,
    st.booleans(),
    u24,
    ipv4,
    u32,
    st.lists(st.builds(ExternalTosRoute, st.booleans(), st.integers(0, 127), u24, ipv4, u32), **small).map(
        tuple
    ),
)
unknown_lsas = st.builds(UnknownLsa, st.integers(6, 255).flatmap(_header_for), st.binary(max_size=40))


@st.composite
def lsas(draw: st.DrawFn):
    lsa = draw(st.one_of(router_lsas, network_lsas, summary_lsas, asbr_lsas, external_lsas, unknown_lsas))
    lsa = lsa.sealed()
    if draw(st.booleans()):  # sometimes a wrong checksum: still decodes, checksum_ok False
        wrong = draw(u16.filter(lambda c: c != lsa.header.ls_checksum))
        lsa = dataclasses.replace(lsa, header=dataclasses.replace(lsa.header, ls_checksum=wrong))
    return lsa


bodies = st.one_of(
    st.builds(Hello, ipv4, u16, options, u8, u32, ipv4, ipv4, st.lists(ipv4, max_size=6).map(tuple)),
    st.builds(
        DatabaseDescription, u16, options, u8.map(DdFlags), u32, st.lists(lsa_headers, **small).map(tuple)
    ),
    st.builds(LinkStateRequest, st.lists(st.builds(LsRequest, u32, ipv4, ipv4), **small).map(tuple)),
    st.builds(LinkStateUpdate, st.lists(lsas(), **small).map(tuple)),
    st.builds(LinkStateAck, st.lists(lsa_headers, **small).map(tuple)),
)
auths = st.one_of(
    st.just(NullAuth()),
    st.builds(SimplePasswordAuth, st.binary(max_size=8)),
    st.builds(CryptographicAuth, u8, st.binary(max_size=16)),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(router_id=ipv4, area_id=ipv4, body=bodies, auth=auths, crypto_seq=u32)
def test_generated_packets_round_trip(router_id, area_id, body, auth, crypto_seq) -> None:
    data = encode_packet(router_id, area_id, body, auth=auth, crypto_seq=crypto_seq)
    packet = decode_packet(data, auth=auth)
    assert packet.body == body
    assert packet.header.router_id == router_id and packet.header.area_id == area_id
    assert packet.encode() == data
    if isinstance(body, LinkStateUpdate):
        for sent, got in zip(body.lsas, packet.body.lsas, strict=True):
            assert got.raw == sent.raw
            assert got.checksum_ok == sent.checksum_ok


def _check_any(data: bytes) -> None:
    try:
        packet = decode_packet(data)
    except OspfDecodeError:
        return
    # Whatever is accepted re-encodes to exactly the same bytes.
    assert packet.encode() == data


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_typed_error(data: bytes) -> None:
    _check_any(data)


@settings(max_examples=500)
@given(st.binary(min_size=24, max_size=120))
def test_any_bytes_with_good_header_fields(tail: bytes) -> None:
    # Force version 2, a plausible length and a valid checksum so the body decoders get exercised.
    data = (
        b"\x02" + bytes([tail[0] % 7]) + len(tail).to_bytes(2, "big") + tail[4:14] + b"\x00\x00" + tail[16:]
    )
    _check_any(with_checksum(data))


@settings(max_examples=500)
@given(
    index=st.integers(0, len(CORPUS) - 1),
    edits=st.lists(st.tuples(st.integers(0, 300), u8), min_size=1, max_size=4),
    cut=st.integers(0, 300),
    fix=st.booleans(),
)
def test_mutated_captures(index: int, edits: list[tuple[int, int]], cut: int, fix: bool) -> None:
    data = bytearray(CORPUS[index].data)
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    out = bytes(data[: max(cut, 24)]) if cut < len(data) else bytes(data)
    _check_any(with_checksum(out) if fix and len(out) >= 24 else out)


@settings(max_examples=500)
@given(st.binary(max_size=120))
def test_any_bytes_as_lsa(data: bytes) -> None:
    try:
        lsa = decode_lsa(data)
    except OspfDecodeError:
        return
    assert lsa.raw == data[: lsa.header.length]
    assert lsa.encode() == lsa.raw
