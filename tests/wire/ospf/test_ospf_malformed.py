"""Malformed-input corpus: each case is a captured packet with one fault and the reason it must give."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ospf_testutil import CORPUS, patch, set_length, with_checksum

from routesim.wire.errors import DecodeError
from routesim.wire.ospf import (
    LinkStateUpdate,
    NetworkLsa,
    OspfDecodeError,
    OspfDropReason,
    RouterLsa,
    UnknownLsa,
    decode_lsa,
    decode_packet,
)
from routesim.wire.ospf.checksum import set_lsa_checksum

BY_NAME = {c.name: c.data for c in CORPUS}
HELLO = BY_NAME["bcast-default-f018-hello"]  # one neighbor, 48 bytes
DD = BY_NAME["bcast-default-f033-dd"]  # one LSA header, 52 bytes
LSR = BY_NAME["bcast-default-f036-lsr"]  # one request, 36 bytes
LSU = BY_NAME["bcast-default-f039-lsu"]  # router 28..76, router 76..124, network 124..156
LSACK = BY_NAME["bcast-default-f047-lsack"]  # two headers, 64 bytes


def _grow(data: bytes, extra: bytes) -> bytes:
    """Append bytes inside the packet (packet length grows with them)."""
    return set_length(data + extra, len(data) + len(extra))


def _cut(data: bytes, length: int) -> bytes:
    return set_length(data[:length], length)


def _lsu_lsa(data: bytes, start: int, end: int, new_lsa: bytes) -> bytes:
    """Replace the LSA at [start, end) by ``new_lsa`` and fix the packet length and checksum."""
    out = data[:start] + new_lsa + data[end:]
    return set_length(out, len(out))


def _reseal(lsa: bytes) -> bytes:
    return set_lsa_checksum(lsa)


CASES: list[tuple[str, Callable[[], bytes], OspfDropReason]] = [
    ("empty", lambda: b"", OspfDropReason.TRUNCATED),
    ("header cut", lambda: HELLO[:23], OspfDropReason.TRUNCATED),
    ("version 3", lambda: patch(HELLO, 0, b"\x03"), OspfDropReason.BAD_VERSION),
    ("version 0", lambda: patch(HELLO, 0, b"\x00"), OspfDropReason.BAD_VERSION),
    ("length < header", lambda: patch(HELLO, 2, (23).to_bytes(2, "big")), OspfDropReason.BAD_LENGTH),
    ("length > datagram", lambda: patch(HELLO, 2, (52).to_bytes(2, "big")), OspfDropReason.BAD_LENGTH),
    ("unknown autype", lambda: patch(HELLO, 14, b"\x00\x03"), OspfDropReason.UNKNOWN_AUTYPE),
    ("bad checksum", lambda: patch(HELLO, 12, b"\x12\x34", fix_checksum=False), OspfDropReason.BAD_CHECKSUM),
    ("body bit flip", lambda: patch(HELLO, 30, b"\x00", fix_checksum=False), OspfDropReason.BAD_CHECKSUM),
    ("type 0", lambda: patch(HELLO, 1, b"\x00"), OspfDropReason.UNKNOWN_TYPE),
    ("type 6", lambda: patch(HELLO, 1, b"\x06"), OspfDropReason.UNKNOWN_TYPE),
    ("md5 without digest", lambda: patch(HELLO, 14, b"\x00\x02\x00\x00\x01\x10"), OspfDropReason.BAD_DIGEST),
    ("hello body cut", lambda: _cut(HELLO, 34), OspfDropReason.TRUNCATED),
    ("hello neighbor cut", lambda: _cut(HELLO, 46), OspfDropReason.BAD_LENGTH),
    ("hello 2 stray bytes", lambda: _grow(HELLO, b"\x00\x00"), OspfDropReason.BAD_LENGTH),
    ("dd fixed part cut", lambda: _cut(DD, 30), OspfDropReason.TRUNCATED),
    ("dd lsa header cut", lambda: _cut(DD, 42), OspfDropReason.BAD_LENGTH),
    ("lsr 13 bytes", lambda: _grow(LSR, b"\x00"), OspfDropReason.BAD_LENGTH),
    ("lsack 30 bytes", lambda: _cut(LSACK, 54), OspfDropReason.BAD_LENGTH),
    ("lsu count cut", lambda: _cut(LSU, 26), OspfDropReason.TRUNCATED),
    ("lsu count too high", lambda: patch(LSU, 24, (4).to_bytes(4, "big")), OspfDropReason.BAD_LSA_COUNT),
    ("lsu count too low", lambda: patch(LSU, 24, (2).to_bytes(4, "big")), OspfDropReason.BAD_LSA_COUNT),
    ("lsu count huge", lambda: patch(LSU, 24, b"\xff\xff\xff\xff"), OspfDropReason.BAD_LSA_COUNT),
    ("lsa header cut", lambda: _cut(LSU, 124 + 10), OspfDropReason.TRUNCATED),
    ("lsa length 19", lambda: patch(LSU, 124 + 18, (19).to_bytes(2, "big")), OspfDropReason.BAD_LSA_LENGTH),
    ("lsa length 0", lambda: patch(LSU, 28 + 18, b"\x00\x00"), OspfDropReason.BAD_LSA_LENGTH),
    ("lsa past packet", lambda: patch(LSU, 124 + 18, (36).to_bytes(2, "big")), OspfDropReason.BAD_LSA_LENGTH),
    (
        "router-lsa links past its length (checksum good)",
        lambda: _lsu_lsa(
            LSU, 28, 76, _reseal(LSU[28:46] + LSU[46:48] + LSU[48:50] + b"\x00\x03" + LSU[52:76])
        ),
        OspfDropReason.BAD_LSA_LENGTH,
    ),
    (
        "router-lsa bytes after links (checksum good)",
        lambda: _lsu_lsa(LSU, 28, 76, _reseal(LSU[28:46] + (52).to_bytes(2, "big") + LSU[48:76] + bytes(4))),
        OspfDropReason.BAD_LSA_LENGTH,
    ),
    (
        "network-lsa body not 4n (checksum good)",
        lambda: _lsu_lsa(
            LSU, 124, 156, _reseal(LSU[124:142] + (34).to_bytes(2, "big") + LSU[144:156] + b"\0\0")
        ),
        OspfDropReason.BAD_LSA_LENGTH,
    ),
]


@pytest.mark.parametrize(("name", "make", "reason"), CASES, ids=[c[0] for c in CASES])
def test_malformed(name: str, make: Callable[[], bytes], reason: OspfDropReason) -> None:
    data = make()
    with pytest.raises(OspfDecodeError) as exc:
        decode_packet(data)
    assert exc.value.reason == reason, str(exc.value)
    assert isinstance(exc.value, DecodeError)
    assert isinstance(exc.value.reason, str)


def test_fixtures_are_what_the_cases_assume() -> None:
    body = decode_packet(LSU).body
    assert isinstance(body, LinkStateUpdate)
    assert [type(lsa) for lsa in body.lsas] == [RouterLsa, RouterLsa, NetworkLsa]
    assert [lsa.header.length for lsa in body.lsas] == [48, 48, 32]
    for data in (HELLO, DD, LSR, LSACK):
        decode_packet(data)


def test_bad_lsa_checksum_is_not_a_packet_error() -> None:
    # §13 (1): only the LSA is discarded; the flooding code sees checksum_ok False.
    data = patch(LSU, 76 + 30, b"\x99")  # a byte inside the second router-LSA's links
    body = decode_packet(data).body
    assert isinstance(body, LinkStateUpdate)
    assert [lsa.checksum_ok for lsa in body.lsas] == [True, False, True]
    assert isinstance(body.lsas[1], RouterLsa)
    assert body.encode() == data[24:]


def test_corrupt_body_with_bad_checksum_decodes_opaque() -> None:
    lsa = LSU[28:76]
    broken = lsa[:22] + b"\x00\x09" + lsa[24:]  # 9 links: body does not fit, checksum now wrong
    decoded = decode_lsa(broken)
    assert isinstance(decoded, UnknownLsa)
    assert not decoded.checksum_ok
    assert decoded.raw == broken
    # Same corruption with a resealed checksum is a sender bug: decode error.
    with pytest.raises(OspfDecodeError) as exc:
        decode_lsa(set_lsa_checksum(broken))
    assert exc.value.reason == OspfDropReason.BAD_LSA_LENGTH


def test_trailing_bytes_after_packet_length_are_kept() -> None:
    # e.g. an RFC 5613 LLS block: outside packet length, not in the checksum, kept verbatim.
    packet = decode_packet(HELLO + b"\xff\xf6\x00\x03")
    assert packet.trailer == b"\xff\xf6\x00\x03"
    assert packet.encode() == HELLO + b"\xff\xf6\x00\x03"
    assert with_checksum(HELLO) == HELLO
