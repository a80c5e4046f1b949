"""Authentication (RFC 2328 Appendix D): simple password and keyed MD5, checked independently."""

from __future__ import annotations

import hashlib
import shutil
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from ospf_testutil import captured, tshark_fields, write_pcap

from routesim.wire.ospf import (
    AuType,
    CryptographicAuth,
    Hello,
    NullAuth,
    Options,
    OspfDecodeError,
    OspfDropReason,
    SimplePasswordAuth,
    crypto_sequence_acceptable,
    decode_packet,
    encode_packet,
)
from routesim.wire.ospf.checksum import ospf_packet_checksum

KEY = CryptographicAuth(key_id=7, key=b"routesim-key")
HELLO = Hello(
    network_mask=IPv4Address("255.255.255.0"),
    hello_interval=10,
    options=Options.E,
    router_priority=1,
    router_dead_interval=40,
    designated_router=IPv4Address("10.0.12.1"),
    backup_designated_router=IPv4Address("0.0.0.0"),
    neighbors=(IPv4Address("10.0.12.2"),),
)


def _md5_packet(seq: int = 1000) -> bytes:
    return encode_packet("10.0.12.1", "0.0.0.0", HELLO, auth=KEY, crypto_seq=seq)


def test_md5_layout_and_digest_checked_independently() -> None:
    data = _md5_packet()
    length = int.from_bytes(data[2:4], "big")
    assert length == 24 + 24  # header + Hello with one neighbor; the digest is outside the length
    assert len(data) == length + 16
    assert data[12:14] == b"\x00\x00"  # §D.4.3: checksum not computed
    assert data[14:16] == (2).to_bytes(2, "big")
    assert data[16:18] == b"\x00\x00"
    assert data[18] == 7  # key id
    assert data[19] == 16  # auth data length
    assert int.from_bytes(data[20:24], "big") == 1000
    expected = hashlib.md5(data[:length] + b"routesim-key" + bytes(16 - len(b"routesim-key"))).digest()
    assert data[length:] == expected


def test_md5_round_trip() -> None:
    packet = decode_packet(_md5_packet(), auth=KEY)
    assert packet.body == HELLO
    assert packet.header.autype == AuType.CRYPTOGRAPHIC
    assert packet.header.key_id == 7
    assert packet.header.auth_data_length == 16
    assert packet.header.crypto_sequence_number == 1000
    assert packet.digest is not None and len(packet.digest) == 16
    assert packet.encode() == _md5_packet()
    # Without a configured key the codec still frames it (digest present) but cannot verify it.
    assert decode_packet(_md5_packet()).body == HELLO


def test_md5_sequence_number_changes_digest() -> None:
    assert _md5_packet(1)[-16:] != _md5_packet(2)[-16:]


@pytest.mark.parametrize(
    ("name", "mangle", "auth", "reason"),
    [
        ("wrong key", lambda d: d, CryptographicAuth(7, b"other"), OspfDropReason.BAD_DIGEST),
        ("wrong key id", lambda d: d, CryptographicAuth(8, b"routesim-key"), OspfDropReason.AUTH_MISMATCH),
        ("tampered body", lambda d: d[:30] + bytes([d[30] ^ 1]) + d[31:], KEY, OspfDropReason.BAD_DIGEST),
        ("tampered seq", lambda d: d[:23] + bytes([d[23] ^ 1]) + d[24:], KEY, OspfDropReason.BAD_DIGEST),
        ("digest cut", lambda d: d[:-1], KEY, OspfDropReason.BAD_DIGEST),
        ("no digest", lambda d: d[:-16], KEY, OspfDropReason.BAD_DIGEST),
        ("configured simple", lambda d: d, SimplePasswordAuth(b"x"), OspfDropReason.AUTH_MISMATCH),
        ("configured null", lambda d: d, NullAuth(), OspfDropReason.AUTH_MISMATCH),
    ],
)
def test_md5_rejections(name: str, mangle, auth, reason: OspfDropReason) -> None:
    with pytest.raises(OspfDecodeError) as exc:
        decode_packet(mangle(_md5_packet()), auth=auth)
    assert exc.value.reason == reason


def test_crypto_sequence_non_decreasing() -> None:
    assert crypto_sequence_acceptable(None, 0)
    assert crypto_sequence_acceptable(5, 5)
    assert crypto_sequence_acceptable(5, 6)
    assert not crypto_sequence_acceptable(5, 4)


def test_simple_password_round_trip_and_checksum() -> None:
    auth = SimplePasswordAuth(b"s3cret")
    data = encode_packet("10.0.12.1", "0.0.0.0", HELLO, auth=auth)
    assert data[14:16] == b"\x00\x01"
    assert data[16:24] == b"s3cret\x00\x00"
    assert int.from_bytes(data[12:14], "big") == ospf_packet_checksum(data)
    # The checksum excludes the authentication field (§A.3.1): another password, same checksum.
    assert data[12:14] == encode_packet("10.0.12.1", "0.0.0.0", HELLO, auth=SimplePasswordAuth(b"zz"))[12:14]
    assert decode_packet(data, auth=auth).body == HELLO
    with pytest.raises(OspfDecodeError) as exc:
        decode_packet(data, auth=SimplePasswordAuth(b"s3cre"))
    assert exc.value.reason == OspfDropReason.AUTH_MISMATCH


def test_null_auth_configured_accepts_captured_packet() -> None:
    cap = captured("hello")
    assert decode_packet(cap.data, auth=NullAuth()).encode() == cap.data
    with pytest.raises(OspfDecodeError) as exc:
        decode_packet(cap.data, auth=KEY)
    assert exc.value.reason == OspfDropReason.AUTH_MISMATCH


def test_auth_config_validation() -> None:
    with pytest.raises(ValueError):
        SimplePasswordAuth(b"123456789")
    with pytest.raises(ValueError):
        CryptographicAuth(1, bytes(17))
    with pytest.raises(ValueError):
        CryptographicAuth(256, b"k")
    with pytest.raises(ValueError):
        encode_packet("1.1.1.1", "0.0.0.0", HELLO, auth=KEY, crypto_seq=1 << 32)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_reads_our_md5_packet(tmp_path: Path) -> None:
    pcap = tmp_path / "md5.pcap"
    write_pcap(pcap, [_md5_packet(4242)])
    fields = ["ospf.auth.type", "ospf.auth.crypt.key_id", "ospf.auth.crypt.data_length"]
    fields += [
        "ospf.auth.crypt.seq_nbr",
        "ospf.auth.crypt.data",
        "ospf.hello.active_neighbor",
        "_ws.malformed",
    ]
    (row,) = tshark_fields(pcap, fields)
    assert row["ospf.auth.type"] == ["2"]
    assert row["ospf.auth.crypt.key_id"] == ["7"]
    assert row["ospf.auth.crypt.data_length"] == ["16"]
    assert row["ospf.auth.crypt.seq_nbr"] == ["4242"]
    assert bytes.fromhex(row["ospf.auth.crypt.data"][0].replace(":", "")) == _md5_packet(4242)[-16:]
    assert row["ospf.hello.active_neighbor"] == ["10.0.12.2"]
    assert "_ws.malformed" not in row
