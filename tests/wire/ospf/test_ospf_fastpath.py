"""The fast paths of the codec agree with the plain definitions: the IP checksum folded over one
integer (RFC 1071), Fletcher sums via running totals (RFC 905 B), router-LSA bodies decoded on first
access, ``with_age`` patching two bytes (§12.1.7), and ``encode_packet`` packing the header itself."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address as A

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ospf_testutil import CORPUS

from routesim.wire._buffer import Reader
from routesim.wire.ospf import (
    Hello,
    LinkStateUpdate,
    Options,
    OspfDecodeError,
    OspfHeader,
    RouterLsa,
    decode_lsa,
    decode_packet,
    encode_packet,
)
from routesim.wire.ospf.checksum import _fletcher_sums, ip_checksum, ospf_packet_checksum
from routesim.wire.ospf.header import AuType, PacketType


def _rfc1071(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _fletcher_stepwise(data: bytes) -> tuple[int, int]:
    c0 = c1 = 0
    for byte in data:
        c0 = (c0 + byte) % 255
        c1 = (c1 + c0) % 255
    return c0, c1


@given(st.binary(max_size=1600))
def test_ip_checksum_matches_rfc1071_word_sum(data: bytes) -> None:
    assert ip_checksum(data) == _rfc1071(data)


@pytest.mark.parametrize("data", [b"", b"\x00" * 10, b"\xff" * 10, b"\xff\xff\x00\x01", b"\x80"])
def test_ip_checksum_edge_values(data: bytes) -> None:
    assert ip_checksum(data) == _rfc1071(data)


@given(st.binary(max_size=600))
def test_fletcher_sums_match_the_stepwise_definition(data: bytes) -> None:
    assert _fletcher_sums(data) == _fletcher_stepwise(data)


def _router_lsas() -> list[RouterLsa]:
    out = []
    for cap in CORPUS:
        body = decode_packet(cap.data).body
        if isinstance(body, LinkStateUpdate):
            out += [lsa for lsa in body.lsas if isinstance(lsa, RouterLsa)]
    return out


ROUTER_LSAS = _router_lsas()


def test_corpus_has_router_lsas() -> None:
    assert len(ROUTER_LSAS) >= 2


@pytest.mark.parametrize("index", range(min(6, len(ROUTER_LSAS))))
def test_lazy_router_lsa_body_equals_eager_decode(index: int) -> None:
    lsa = decode_lsa(ROUTER_LSAS[index].raw)
    assert "links" not in vars(lsa)  # not built yet
    aged = lsa.with_age(lsa.header.ls_age + 1)
    eager = RouterLsa.decode_body(lsa.header, Reader(lsa.raw, 20))
    assert (lsa.flags, lsa.links) == (eager.flags, eager.links)
    assert (aged.flags, aged.links) == (eager.flags, eager.links)
    assert aged.raw[2:] == lsa.raw[2:] and aged.header.ls_age == lsa.header.ls_age + 1
    # a constructed copy re-encodes to the same bytes (the interop LSDB check relies on it)
    assert RouterLsa(lsa.header, lsa.flags, lsa.links).raw == lsa.raw
    assert lsa == RouterLsa(lsa.header, lsa.flags, lsa.links)
    assert dataclasses.replace(lsa, flags=lsa.flags).raw == lsa.raw


def test_router_lsa_with_a_short_body_still_fails_at_decode() -> None:
    from routesim.wire.ospf.checksum import fill_lsa_checksum

    raw = bytearray(ROUTER_LSAS[0].raw)
    raw[22:24] = (int.from_bytes(raw[22:24], "big") + 1).to_bytes(2, "big")  # one link more than present
    fill_lsa_checksum(raw)
    with pytest.raises(OspfDecodeError):
        decode_lsa(bytes(raw))


def test_encode_packet_matches_the_header_dataclass() -> None:
    hello = Hello(A("255.255.255.0"), 10, Options.E, 1, 40, A(0), A(0), (A("2.2.2.2"),))
    data = encode_packet("1.1.1.1", "0.0.0.1", hello)
    header = OspfHeader(2, PacketType.HELLO, 24 + 24, A("1.1.1.1"), A("0.0.0.1"), 0, AuType.NULL, bytes(8))
    plain = header.encode() + hello.encode()
    checksum = ospf_packet_checksum(plain)
    assert data == plain[:12] + checksum.to_bytes(2, "big") + plain[14:]
    assert decode_packet(data).body == hello
