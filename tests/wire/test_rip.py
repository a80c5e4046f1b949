"""RIPv2 codec: captured BIRD/FRR bytes, tshark cross-check, malformed corpus, hypothesis."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routesim.wire.rip import (
    AFI_AUTH,
    Command,
    Md5Auth,
    RipDecodeError,
    RipEntry,
    RipPacket,
    RipRouteError,
    SimplePasswordAuth,
    md5_digest,
    verify_md5,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "rip"
# the shared reference pcaps: beside the repository (as CI lays it out), else the workplace copy
CAPTURES = next(
    (p for p in (Path(__file__).resolve().parents[2].parent / "shared" / "captures",) if p.is_dir()),
    Path("/work/shared/captures"),
)
HEX_FILES = sorted(DATA.glob("*.hex"))
Z = IPv4Address(0)


def load_hex(path: Path) -> bytes:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# provenance: "), path
    return bytes.fromhex("".join(line for line in lines[1:] if not line.startswith("#")))


def test_corpus_present():
    assert len(HEX_FILES) >= 27


@pytest.mark.parametrize("path", HEX_FILES, ids=[p.stem for p in HEX_FILES])
def test_captured_packets_round_trip(path: Path):
    data = load_hex(path)
    packet = RipPacket.decode(data)
    assert packet.version == 2
    assert packet.encode() == data


# One table of expected decodes (h11 SIMPLE_CASES style); the tshark test below checks all of them.
EXPECTED = [
    ("rip-default-1", RipPacket(Command.REQUEST, 2, (RipEntry.whole_table(),))),
    (
        "rip-default-2",
        RipPacket(Command.RESPONSE, 2, (RipEntry(2, 0, IPv4Network("10.1.1.0/24"), Z, 1),)),
    ),
    (
        "rip-default-16",  # BIRD's poisoned reverse of FRR's route
        RipPacket(Command.RESPONSE, 2, (RipEntry(2, 0, IPv4Network("10.2.2.0/24"), Z, 16),)),
    ),
    (
        "rip-fast-25",
        RipPacket(
            Command.RESPONSE,
            2,
            (
                RipEntry(2, 0, IPv4Network("10.1.1.0/24"), Z, 1),
                RipEntry(2, 0, IPv4Network("10.2.2.0/24"), Z, 16),
            ),
        ),
    ),
    (
        "bird-auth-plain-2",
        RipPacket(
            Command.RESPONSE,
            2,
            (RipEntry(2, 0, IPv4Network("10.1.1.0/24"), Z, 1),),
            SimplePasswordAuth(b"s3cret".ljust(16, b"\0")),
        ),
    ),
    (
        "bird-auth-md5-2",
        RipPacket(
            Command.RESPONSE,
            2,
            (RipEntry(2, 0, IPv4Network("10.1.1.0/24"), Z, 1),),
            Md5Auth(7, 1795679621, bytes.fromhex("1fb22c49f3c501a8d2a77b94c4640e78"), 20),
        ),
    ),
]


@pytest.mark.parametrize(("stem", "expected"), EXPECTED, ids=[s for s, _ in EXPECTED])
def test_decode_matches_dataclass(stem: str, expected: RipPacket):
    data = load_hex(DATA / f"{stem}.hex")
    assert RipPacket.decode(data) == expected
    assert expected.encode() == data


@pytest.mark.parametrize("path", sorted(DATA.glob("bird-auth-md5-*.hex")), ids=lambda p: p.stem)
def test_bird_md5_digests_verify(path: Path):
    data = load_hex(path)
    assert verify_md5(data, "s3cret")
    assert not verify_md5(data, "s3creT")
    packet = RipPacket.decode(data)
    assert isinstance(packet.auth, Md5Auth)
    # Re-signing the decoded packet with the key reproduces BIRD's digest exactly.
    assert packet.sign("s3cret").encode() == data


def test_md5_digest_definition():
    """RFC 4822 §3.2.1: MD5(packet through the trailer header || key padded to 16)."""
    data = load_hex(DATA / "bird-auth-md5-2.hex")
    assert md5_digest(data, b"s3cret") == hashlib.md5(data[:48] + b"s3cret" + bytes(10)).digest()


def _tshark_rows(pcap: Path) -> list[list[str]]:
    fields = [
        "rip.command", "rip.version", "rip.family", "rip.route_tag", "rip.ip", "rip.netmask",
        "rip.next_hop", "rip.metric", "rip.auth.type", "rip.key_id", "rip.seq_num", "rip.digest_offset",
        "rip.authentication_data", "rip.auth.passwd", "udp.payload",
    ]  # fmt: skip
    cmd = ["tshark", "-r", str(pcap), "-Y", "rip", "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


PCAPS = [CAPTURES / "rip-default.pcap", CAPTURES / "rip-fast.pcap", *sorted(DATA.glob("*.pcap"))]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.parametrize("pcap", PCAPS, ids=lambda p: p.stem)
def test_fields_match_tshark(pcap: Path):
    if not pcap.exists():
        pytest.skip(f"{pcap} not present")
    rows = _tshark_rows(pcap)
    assert rows
    for cmd, ver, fam, tag, ip, mask, nh, metric, atype, key_id, seq, off, digest, passwd, payload in rows:
        data = bytes.fromhex(payload)
        packet = RipPacket.decode(data)
        assert packet.encode() == data
        assert int(cmd) == packet.command and int(ver) == packet.version
        routes = [e for e in packet.entries if e.afi == 2]
        assert [int(x) for x in fam.split(",") if int(x) != AFI_AUTH and x] == [e.afi for e in packet.entries]
        assert [int(x) for x in metric.split(",")] == [e.metric for e in packet.entries]
        assert [int(x) for x in tag.split(",")] == [e.route_tag for e in packet.entries]
        assert [str(IPv4Address(x)) for x in nh.split(",")] == [str(e.next_hop) for e in packet.entries]
        assert [x for x in ip.split(",") if x] == [str(e.prefix.network_address) for e in routes]
        assert [x for x in mask.split(",") if x] == [str(e.prefix.netmask) for e in packet.entries]
        if isinstance(packet.auth, Md5Auth):
            assert int(atype) == 3 and int(key_id) == packet.auth.key_id
            assert int(seq) == packet.auth.sequence and digest == packet.auth.digest.hex()
            assert int(off) == 4 + 20 * (1 + len(packet.entries))
        elif isinstance(packet.auth, SimplePasswordAuth):
            assert int(atype) == 2 and passwd == packet.auth.password.rstrip(b"\0").decode()
        else:
            assert atype == ""


# --- malformed corpus: (name, hex, expected class, reason) ----------------------------------

HDR_RESP = "02020000"
GOOD_RTE = "000200000a010100ffffff000000000000000001"
MALFORMED = [
    ("empty", "", RipDecodeError, "too_short"),
    ("three_bytes", "020200", RipDecodeError, "too_short"),
    ("version_0", "02000000" + GOOD_RTE, RipDecodeError, "version"),
    ("version_1", "02010000" + GOOD_RTE, RipDecodeError, "version"),
    ("command_0", "00020000" + GOOD_RTE, RipDecodeError, "command"),
    ("command_traceon", "03020000" + GOOD_RTE, RipDecodeError, "command"),
    ("command_255", "ff020000" + GOOD_RTE, RipDecodeError, "command"),
    ("truncated_entry", HDR_RESP + GOOD_RTE[:-2], RipDecodeError, "truncated"),
    ("trailing_byte", HDR_RESP + GOOD_RTE + "00", RipDecodeError, "truncated"),
    ("auth_type_1", HDR_RESP + "ffff0001" + "00" * 16 + GOOD_RTE, RipDecodeError, "auth_type"),
    ("auth_truncated", HDR_RESP + "ffff0002" + "00" * 10, RipDecodeError, "truncated"),
    ("md5_length_past_end", HDR_RESP + "ffff0003" + "00ff0714" + "00" * 12 + GOOD_RTE, RipDecodeError, "auth_length"),
    ("md5_length_small", HDR_RESP + "ffff0003" + "00100714" + "00" * 12 + "ffff0001" + "00" * 16,
     RipDecodeError, "auth_length"),
    ("md5_bad_trailer", HDR_RESP + "ffff0003" + "00180714" + "00" * 12 + "ffff0002" + "00" * 16,
     RipDecodeError, "auth_trailer"),
    ("md5_unaligned", HDR_RESP + "ffff0003" + "001a0714" + "00" * 12 + "0000" + "ffff0001" + "00" * 16,
     RipDecodeError, "truncated"),
    ("afi_7", HDR_RESP + "0007" + GOOD_RTE[4:], RipRouteError, "address_family"),
    ("afi_0_in_response", HDR_RESP + "0000" + GOOD_RTE[4:], RipRouteError, "address_family"),
    ("late_auth_entry", HDR_RESP + GOOD_RTE + "ffff0002" + "00" * 16, RipRouteError, "address_family"),
    ("metric_0", HDR_RESP + GOOD_RTE[:-8] + "00000000", RipRouteError, "metric"),
    ("metric_17", HDR_RESP + GOOD_RTE[:-8] + "00000011", RipRouteError, "metric"),
    ("metric_huge", HDR_RESP + GOOD_RTE[:-8] + "ffffffff", RipRouteError, "metric"),
    ("mask_noncontiguous", HDR_RESP + "000200000a010100ff00ff00" + "00" * 4 + "00000001", RipRouteError, "mask"),
    ("host_bits", HDR_RESP + "000200000a010101ffffff00" + "00" * 4 + "00000001", RipRouteError, "host_bits"),
    ("loopback_net", HDR_RESP + "000200007f000000ff000000" + "00" * 4 + "00000001", RipRouteError, "destination"),
    ("net_0", HDR_RESP + "0002000000010000ffff0000" + "00" * 4 + "00000001", RipRouteError, "destination"),
    ("multicast_dst", HDR_RESP + "00020000e0000000f0000000" + "00" * 4 + "00000001", RipRouteError, "destination"),
    ("class_e_dst", HDR_RESP + "00020000f0000000f0000000" + "00" * 4 + "00000001", RipRouteError, "destination"),
    ("multicast_next_hop", HDR_RESP + "000200000a010100ffffff00e0000009" + "00000001", RipRouteError, "next_hop"),
    ("request_metric_17", "01020000" + "0000000000000000000000000000000000000011", RipRouteError, "metric"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "hexdata", "cls", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed(name: str, hexdata: str, cls: type, reason: str):
    data = bytes.fromhex(hexdata)
    with pytest.raises(RipDecodeError) as info:
        RipPacket.decode(data)
    assert type(info.value) is cls
    assert info.value.reason == reason
    if cls is RipDecodeError:
        with pytest.raises(RipDecodeError):
            RipPacket.decode_lenient(data)


def test_lenient_keeps_good_entries():
    bad = "000200000a010101ffffff00" + "00" * 4 + "00000001"
    other = "000200000a020200ffffff00" + "00" * 4 + "00000002"
    packet, errors = RipPacket.decode_lenient(bytes.fromhex(HDR_RESP + GOOD_RTE + bad + other))
    assert [str(e.prefix) for e in packet.entries] == ["10.1.1.0/24", "10.2.2.0/24"]
    assert [(e.reason, e.index) for e in errors] == [("host_bits", 1)]


def test_default_route_and_header_only_request_are_valid():
    default = "00020000" + "00" * 12 + "00000001"
    assert RipPacket.decode(bytes.fromhex(HDR_RESP + default)).entries[0].prefix == IPv4Network("0.0.0.0/0")
    assert RipPacket.decode(bytes.fromhex("01020000")).entries == ()


def test_version_above_2_decodes_as_v2():
    assert RipPacket.decode(bytes.fromhex("02030000" + GOOD_RTE)).version == 3


def test_encode_enforces_25_entries():
    e = RipEntry.route(IPv4Network("10.0.0.0/24"), 1)
    assert len(RipPacket(Command.RESPONSE, entries=(e,) * 25).encode()) == 4 + 25 * 20
    with pytest.raises(ValueError):
        RipPacket(Command.RESPONSE, entries=(e,) * 26).encode()
    with pytest.raises(ValueError):  # the auth entry takes a slot (RFC 2453 §4.1)
        RipPacket(Command.RESPONSE, entries=(e,) * 25, auth=SimplePasswordAuth.from_key("x")).encode()
    signed = RipPacket(Command.RESPONSE, entries=(e,) * 24, auth=Md5Auth(1, 5)).sign("k")
    data = signed.encode()
    assert len(data) == 4 + 25 * 20 + 20 and verify_md5(data, "k")


def test_long_keys_are_our_error():
    with pytest.raises(ValueError):
        SimplePasswordAuth.from_key("x" * 17)
    with pytest.raises(ValueError):
        RipPacket(Command.RESPONSE, auth=Md5Auth(1, 1)).sign("x" * 17)


# --- hypothesis ---------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=600))
def test_any_bytes_decode_or_raise_typed_error(data: bytes):
    try:
        packet = RipPacket.decode(data)
    except RipDecodeError:
        return
    assert isinstance(packet, RipPacket)
    if len(packet.entries) <= 24:
        packet.encode()


@settings(max_examples=300)
@given(st.binary(min_size=4, max_size=4), st.lists(st.binary(min_size=20, max_size=20), max_size=5))
def test_structured_garbage_is_typed(header: bytes, entries: list[bytes]):
    data = bytes([2, 2]) + header[2:] + b"".join(entries)
    try:
        RipPacket.decode_lenient(data)
    except RipDecodeError:
        pass


def _valid_prefix(plen: int, addr: int) -> IPv4Network:
    net = IPv4Network((addr, plen), strict=False)
    first = int(net.network_address) >> 24
    if plen and (first in (0, 127) or first >= 224):
        net = IPv4Network((10 << 24 | (int(net.network_address) & 0xFFFFFF), max(plen, 8)), strict=False)
    return net


entries_st = st.builds(
    lambda plen, addr, tag, metric, nh: RipEntry.route(
        _valid_prefix(plen, addr), metric, route_tag=tag, next_hop=IPv4Address(nh)
    ),
    st.integers(0, 32),
    st.integers(0, 2**32 - 1),
    st.integers(0, 0xFFFF),
    st.integers(1, 16),
    st.sampled_from([0, 0x0A000001, 0xC0A80101]),
)
auth_st = st.one_of(
    st.none(),
    st.builds(lambda k: SimplePasswordAuth.from_key(k), st.binary(max_size=16)),
    st.builds(lambda kid, seq: Md5Auth(kid, seq), st.integers(0, 255), st.integers(0, 2**32 - 1)),
)


@settings(max_examples=300)
@given(st.lists(entries_st, max_size=24), auth_st, st.binary(min_size=1, max_size=16))
def test_round_trip_generated(entries: list[RipEntry], auth, key: bytes):
    packet = RipPacket(Command.RESPONSE, 2, tuple(entries), auth)
    if isinstance(auth, Md5Auth):
        packet = packet.sign(key)
    data = packet.encode()
    assert RipPacket.decode(data) == packet
    if isinstance(auth, Md5Auth):
        assert verify_md5(data, key)
