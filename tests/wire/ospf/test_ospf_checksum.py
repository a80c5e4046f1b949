"""Checksum vectors: IP one's complement (RFC 1071, §A.3.1) and the LSA Fletcher checksum (§12.1.7)."""

from __future__ import annotations

import pytest
from ospf_testutil import CORPUS

from routesim.wire.ospf import LinkStateUpdate, decode_packet
from routesim.wire.ospf.checksum import (
    fill_lsa_checksum,
    fletcher_checksum,
    fletcher_verify,
    ip_checksum,
    ospf_packet_checksum,
    set_lsa_checksum,
)


def _captured_lsas() -> list[tuple[str, bytes]]:
    out = []
    seen = set()
    for cap in CORPUS:
        body = decode_packet(cap.data).body
        if isinstance(body, LinkStateUpdate):
            for i, lsa in enumerate(body.lsas):
                if lsa.raw[2:] not in seen:
                    seen.add(lsa.raw[2:])
                    out.append((f"{cap.name}#{i}", lsa.raw))
    return out


LSAS = _captured_lsas()


def test_rfc1071_example() -> None:
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement), checksum 220d.
    assert ip_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert ip_checksum(b"\x01") == ~0x0100 & 0xFFFF


def test_packet_checksum_ignores_auth_field_and_checksum_field() -> None:
    data = CORPUS[0].data
    assert ospf_packet_checksum(data) == int.from_bytes(data[12:14], "big")
    scribbled = data[:12] + b"\xde\xad" + data[14:16] + b"passwd!!" + data[24:]
    assert ospf_packet_checksum(scribbled) == ospf_packet_checksum(data)
    assert ospf_packet_checksum(data[:30] + bytes([data[30] ^ 1]) + data[31:]) != ospf_packet_checksum(data)


def test_there_are_distinct_lsa_vectors() -> None:
    assert len(LSAS) >= 8


@pytest.mark.parametrize(("name", "raw"), LSAS, ids=[n for n, _ in LSAS])
def test_fletcher_matches_captured_checksum(name: str, raw: bytes) -> None:
    stored = int.from_bytes(raw[16:18], "big")
    assert fletcher_checksum(raw) == stored
    assert fletcher_verify(raw)
    # Computing from a zeroed field gives the same; so does the in-place variant.
    zeroed = raw[:16] + b"\x00\x00" + raw[18:]
    assert set_lsa_checksum(zeroed) == raw
    buf = bytearray(zeroed)
    assert fill_lsa_checksum(buf) == stored
    assert bytes(buf) == raw


@pytest.mark.parametrize(("name", "raw"), LSAS[:4], ids=[n for n, _ in LSAS[:4]])
def test_fletcher_excludes_age_and_detects_corruption(name: str, raw: bytes) -> None:
    aged = (3600).to_bytes(2, "big") + raw[2:]
    assert fletcher_verify(aged)
    assert fletcher_checksum(aged) == fletcher_checksum(raw)
    for offset in (2, 3, 8, 15, 16, 19, len(raw) - 1):
        corrupt = raw[:offset] + bytes([raw[offset] ^ 0x01]) + raw[offset + 1 :]
        assert not fletcher_verify(corrupt), offset


def test_fletcher_zero_field_never_valid_and_never_computed() -> None:
    zero = bytes(20)
    assert not fletcher_verify(zero)
    assert fletcher_checksum(zero) != 0
    assert fletcher_verify(set_lsa_checksum(zero))


def test_fletcher_rejects_short_input() -> None:
    with pytest.raises(ValueError):
        fletcher_checksum(b"\x00" * 17)
    assert not fletcher_verify(b"\x00" * 17)
