"""LSA bodies the captures lack (summary, ASBR-summary, AS-external, opaque): build, seal, decode,
and let tshark read them as an independent check."""

from __future__ import annotations

import dataclasses
import shutil
from ipaddress import IPv4Address as A
from pathlib import Path

import pytest
from ospf_testutil import tshark_fields, write_pcap

from routesim.wire.ospf import (
    AsbrSummaryLsa,
    AsExternalLsa,
    ExternalTosRoute,
    LinkStateUpdate,
    LsaHeader,
    LsType,
    NetworkLsa,
    Options,
    RouterLink,
    RouterLinkType,
    RouterLsa,
    RouterLsaFlags,
    SummaryLsa,
    TosMetric,
    UnknownLsa,
    decode_lsa,
    decode_packet,
    encode_packet,
    fletcher_checksum,
)
from routesim.wire.ospf.lsa import INITIAL_SEQUENCE_NUMBER, MAX_AGE


def _hdr(ls_type: int, lsid: str, adv: str = "10.0.0.1", seq: int = INITIAL_SEQUENCE_NUMBER) -> LsaHeader:
    return LsaHeader(1, Options.E, ls_type, A(lsid), A(adv), seq)


LSAS = [
    RouterLsa(
        _hdr(LsType.ROUTER, "10.0.0.1"),
        RouterLsaFlags.B | RouterLsaFlags.E,
        (
            RouterLink(A("10.0.0.2"), A("10.0.12.1"), RouterLinkType.POINT_TO_POINT, 10),
            RouterLink(A("10.0.12.0"), A("255.255.255.0"), RouterLinkType.STUB, 10, (TosMetric(8, 20),)),
            RouterLink(A("10.9.9.9"), A("10.0.99.1"), RouterLinkType.VIRTUAL, 65535),
        ),
    ),
    NetworkLsa(_hdr(LsType.NETWORK, "10.0.12.1"), A("255.255.255.0"), (A("10.0.0.1"), A("10.0.0.2"))),
    SummaryLsa(_hdr(LsType.SUMMARY_NETWORK, "10.5.0.0"), A("255.255.0.0"), 30, (TosMetric(2, 40),)),
    AsbrSummaryLsa(_hdr(LsType.SUMMARY_ASBR, "10.0.0.7"), A("0.0.0.0"), 0xFFFFFF),
    AsExternalLsa(_hdr(LsType.AS_EXTERNAL, "0.0.0.0"), A("0.0.0.0"), True, 1, A("0.0.0.0"), 0xC0000001),
    AsExternalLsa(
        _hdr(LsType.AS_EXTERNAL, "192.168.7.0", seq=0x7FFFFFFE),
        A("255.255.255.0"),
        False,
        20,
        A("10.0.12.9"),
        0,
        (ExternalTosRoute(True, 4, 50, A("10.0.12.8"), 77),),
    ),
    UnknownLsa(_hdr(LsType.OPAQUE_AREA, "1.0.0.1"), b"\x00\x01\x00\x04\x01\x02\x03\x04"),
    UnknownLsa(_hdr(200, "1.2.3.4"), b""),
]
IDS = [f"{type(lsa).__name__}-{i}" for i, lsa in enumerate(LSAS)]
EXPECTED_LEN = [24 + 12 + 16 + 12, 32, 32, 28, 36, 48, 28, 20]


@pytest.mark.parametrize(("lsa", "length"), list(zip(LSAS, EXPECTED_LEN, strict=True)), ids=IDS)
def test_seal_decode_round_trip(lsa, length: int) -> None:
    sealed = lsa.sealed()
    assert sealed.header.length == length == len(sealed.raw)
    assert sealed.checksum_ok
    assert sealed.header.ls_checksum == fletcher_checksum(sealed.raw)
    assert not lsa.checksum_ok  # unsealed: checksum field 0
    decoded = decode_lsa(sealed.raw + b"trailing bytes are not this LSA's")
    assert type(decoded) is type(lsa)
    assert decoded == sealed
    assert decoded.raw == sealed.raw
    assert decoded.encode() == sealed.raw


def test_with_age_keeps_checksum_and_bytes() -> None:
    sealed = LSAS[0].sealed()
    aged = sealed.with_age(MAX_AGE)
    assert aged.header.ls_age == MAX_AGE
    assert aged.raw[2:] == sealed.raw[2:]
    assert aged.checksum_ok


def test_replace_recomputes_raw_from_fields() -> None:
    sealed = LSAS[2].sealed()
    bumped = dataclasses.replace(sealed, metric=31)
    assert bumped.raw != sealed.raw
    assert not bumped.checksum_ok
    assert bumped.sealed().checksum_ok
    assert decode_lsa(bumped.sealed().raw).metric == 31


def test_decoded_reserved_bits_survive_in_raw() -> None:
    # A reserved byte we do not model (router-LSA byte 21) stays in raw, so re-flooding is exact.
    sealed = LSAS[0].sealed()
    odd = bytearray(sealed.raw)
    odd[21] = 0x5A
    from routesim.wire.ospf.checksum import fill_lsa_checksum

    fill_lsa_checksum(odd)
    decoded = decode_lsa(bytes(odd))
    assert decoded.checksum_ok
    assert decoded.raw == bytes(odd)
    assert decoded.with_age(7).raw[2:] == bytes(odd)[2:]


def test_header_properties() -> None:
    h = dataclasses.replace(_hdr(LsType.ROUTER, "10.0.0.1"), ls_age=0x8000 | 12)
    assert h.do_not_age and h.age == 12
    assert h.key == (1, A("10.0.0.1"), A("10.0.0.1"))
    assert LsaHeader.decode(h.encode()) == h
    assert h.encode()[12:16] == b"\x80\x00\x00\x01"  # InitialSequenceNumber (§12.1.6)


def test_encode_rejects_out_of_range_fields() -> None:
    with pytest.raises(ValueError):
        SummaryLsa(_hdr(3, "10.0.0.0"), A("255.0.0.0"), 1 << 24)
    with pytest.raises(ValueError):
        _hdr(1, "1.1.1.1", seq=1 << 31).encode()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_reads_our_lsas(tmp_path: Path) -> None:
    sealed = tuple(lsa.sealed() for lsa in LSAS[:6])
    data = encode_packet("10.0.0.1", "0.0.0.1", LinkStateUpdate(sealed))
    assert decode_packet(data).body == LinkStateUpdate(sealed)
    pcap = tmp_path / "lsu.pcap"
    write_pcap(pcap, [data])
    fields = [
        "ospf.checksum",
        "ospf.ls.number_of_lsas",
        "ospf.lsa",
        "ospf.lsa.chksum",
        "ospf.lsa.length",
        "ospf.lsa.seqnum",
        "ospf.lsa.router.linktype",
        "ospf.lsa.asext.netmask",
        "ospf.lsa.asext.fwdaddr",
        "ospf.lsa.asext.extrttag",
        "ospf.lsa.network.attchrtr",
        "_ws.malformed",
        "_ws.expert",
    ]
    (row,) = tshark_fields(pcap, fields)
    assert "_ws.malformed" not in row
    assert "_ws.expert" not in row
    assert int(row["ospf.checksum"][0], 16) == int.from_bytes(data[12:14], "big")
    assert row["ospf.ls.number_of_lsas"] == ["6"]
    assert row["ospf.lsa"] == ["1", "2", "3", "4", "5", "5"]
    assert [int(v, 16) for v in row["ospf.lsa.chksum"]] == [lsa.header.ls_checksum for lsa in sealed]
    assert [int(v) for v in row["ospf.lsa.length"]] == [lsa.header.length for lsa in sealed]
    assert row["ospf.lsa.seqnum"][-1] == "0x7ffffffe"
    assert row["ospf.lsa.router.linktype"] == ["1", "3", "4"]
    assert row["ospf.lsa.asext.netmask"] == ["0.0.0.0", "255.255.255.0"]
    assert row["ospf.lsa.asext.fwdaddr"][:2] == ["0.0.0.0", "10.0.12.9"]
    assert row["ospf.lsa.network.attchrtr"] == ["10.0.0.1", "10.0.0.2"]
