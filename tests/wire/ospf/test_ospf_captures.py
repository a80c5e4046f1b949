"""Decode every OSPF packet captured between BIRD and FRR, compare with tshark, re-encode exactly."""

from __future__ import annotations

import shutil
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from ospf_testutil import CORPUS, Captured

from routesim.wire.ospf import (
    AuType,
    CryptographicAuth,
    DatabaseDescription,
    Hello,
    LinkStateAck,
    LinkStateRequest,
    LinkStateUpdate,
    NetworkLsa,
    NullAuth,
    PacketType,
    RouterLsa,
    SimplePasswordAuth,
    decode_packet,
    encode_packet,
    fletcher_checksum,
)

IDS = [c.name for c in CORPUS]
LSU_CORPUS = [c for c in CORPUS if c.name.endswith("-lsu")]
# the shared reference pcaps: beside the repository (as CI lays it out), else the workplace copy
CAPTURES = next(
    (p for p in (Path(__file__).resolve().parents[3].parent / "shared" / "captures",) if p.is_dir()),
    Path("/work/shared/captures"),
)
#: The keys BIRD was configured with for the bird-auth-* captures (see extract_captures.py).
BIRD_MD5 = CryptographicAuth(key_id=7, key=b"routesim-key")
BIRD_PASSWORD = SimplePasswordAuth(b"s3cret")


def _auth_for(cap: Captured) -> NullAuth | SimplePasswordAuth | CryptographicAuth:
    if cap.name.startswith("bird-auth-md5"):
        return BIRD_MD5
    if cap.name.startswith("bird-auth-simple"):
        return BIRD_PASSWORD
    return NullAuth()


def test_corpus_covers_every_packet_type() -> None:
    assert len(CORPUS) >= 50
    types = {decode_packet(c.data).header.type for c in CORPUS}
    assert types == set(PacketType)


@pytest.mark.parametrize("cap", CORPUS, ids=IDS)
def test_reencode_identical(cap: Captured) -> None:
    auth = _auth_for(cap)
    packet = decode_packet(cap.data, auth=auth)  # verifies BIRD's password / MD5 digest
    assert packet.encode() == cap.data
    # Building from scratch recomputes length and checksum (or digest): must match what was sent.
    seq = packet.header.crypto_sequence_number if isinstance(auth, CryptographicAuth) else 0
    rebuilt = encode_packet(
        packet.header.router_id, packet.header.area_id, packet.body, auth=auth, crypto_seq=seq
    )
    assert rebuilt == cap.data
    assert len(packet.trailer) == (16 if isinstance(auth, CryptographicAuth) else 0)


def test_corpus_has_authenticated_packets() -> None:
    autypes = {decode_packet(c.data).header.autype for c in CORPUS}
    assert autypes == set(AuType)


@pytest.mark.parametrize("cap", LSU_CORPUS, ids=[c.name for c in LSU_CORPUS])
def test_lsas_checksums_and_seal(cap: Captured) -> None:
    body = decode_packet(cap.data).body
    assert isinstance(body, LinkStateUpdate)
    for lsa in body.lsas:
        assert lsa.checksum_ok
        assert fletcher_checksum(lsa.raw) == lsa.header.ls_checksum
        assert isinstance(lsa, RouterLsa | NetworkLsa)
        resealed = lsa.sealed()
        assert resealed == lsa
        assert resealed.raw == lsa.raw


def _int(v: str) -> int:
    return int(v, 16) if v.startswith("0x") else int(v)


def _addrs(values: list[str]) -> list[IPv4Address]:
    return [IPv4Address(v) for v in values]


@pytest.mark.parametrize("cap", CORPUS, ids=IDS)
def test_fields_match_tshark(cap: Captured) -> None:
    t = cap.tshark
    packet = decode_packet(cap.data)
    h, body = packet.header, packet.body
    assert int(h.type) == _int(t["ospf.msg"][0])
    assert h.packet_length == _int(t["ospf.packet_length"][0])
    assert h.router_id == IPv4Address(t["ospf.srcrouter"][0])
    assert h.area_id == IPv4Address(t["ospf.area_id"][0])
    assert h.checksum == _int(t["ospf.checksum"][0])
    assert int(h.autype) == _int(t["ospf.auth.type"][0])
    if h.autype == AuType.SIMPLE_PASSWORD:
        assert h.authentication.rstrip(b"\0").decode() == t["ospf.auth.simple"][0]
    if h.autype == AuType.CRYPTOGRAPHIC:
        assert h.key_id == _int(t["ospf.auth.crypt.key_id"][0])
        assert h.auth_data_length == _int(t["ospf.auth.crypt.data_length"][0])
        assert h.crypto_sequence_number == _int(t["ospf.auth.crypt.seq_nbr"][0])
        assert packet.digest == bytes.fromhex(t["ospf.auth.crypt.data"][0])

    options: list[int] = []
    lsa_headers = []
    if isinstance(body, Hello):
        assert body.network_mask == IPv4Address(t["ospf.hello.network_mask"][0])
        assert body.hello_interval == _int(t["ospf.hello.hello_interval"][0])
        assert body.router_priority == _int(t["ospf.hello.router_priority"][0])
        assert body.router_dead_interval == _int(t["ospf.hello.router_dead_interval"][0])
        assert body.designated_router == IPv4Address(t["ospf.hello.designated_router"][0])
        assert body.backup_designated_router == IPv4Address(t["ospf.hello.backup_designated_router"][0])
        assert list(body.neighbors) == _addrs(t.get("ospf.hello.active_neighbor", []))
        options.append(body.options)
    elif isinstance(body, DatabaseDescription):
        assert body.interface_mtu == _int(t["ospf.db.interface_mtu"][0])
        assert body.dd_sequence_number == _int(t["ospf.db.dd_sequence"][0])
        assert int(body.flags) == _int(t["ospf.dbd"][0])
        options.append(body.options)
        lsa_headers = list(body.lsa_headers)
    elif isinstance(body, LinkStateRequest):
        assert [int(r.ls_type) for r in body.requests] == [_int(v) for v in t["ospf.lsa"]]
        assert [r.link_state_id for r in body.requests] == _addrs(t["ospf.link_state_id"])
        assert [r.advertising_router for r in body.requests] == _addrs(t["ospf.advrouter"])
    elif isinstance(body, LinkStateAck):
        lsa_headers = list(body.lsa_headers)
    else:
        assert isinstance(body, LinkStateUpdate)
        assert len(body.lsas) == _int(t["ospf.ls.number_of_lsas"][0])
        lsa_headers = [lsa.header for lsa in body.lsas]
        routers = [lsa for lsa in body.lsas if isinstance(lsa, RouterLsa)]
        links = [link for lsa in routers for link in lsa.links]
        assert [len(r.links) for r in routers] == [_int(v) for v in t.get("ospf.lsa.number_of_links", [])]
        assert [int(r.flags) for r in routers] == [_int(v) for v in t.get("ospf.v2.router.lsa.flags", [])]
        assert [int(x.type) for x in links] == [_int(v) for v in t.get("ospf.lsa.router.linktype", [])]
        assert [x.link_id for x in links] == _addrs(t.get("ospf.lsa.router.linkid", []))
        assert [x.link_data for x in links] == _addrs(t.get("ospf.lsa.router.linkdata", []))
        assert [x.metric for x in links] == [_int(v) for v in t.get("ospf.lsa.router.metric0", [])]
        networks = [lsa for lsa in body.lsas if isinstance(lsa, NetworkLsa)]
        assert [n.network_mask for n in networks] == _addrs(t.get("ospf.lsa.network.netmask", []))
        attached = [a for n in networks for a in n.attached_routers]
        assert attached == _addrs(t.get("ospf.lsa.network.attchrtr", []))

    options += [lh.options for lh in lsa_headers]
    assert [int(o) for o in options] == [_int(v) for v in t.get("ospf.v2.options", [])]
    if not isinstance(body, LinkStateRequest):
        assert [int(lh.ls_type) for lh in lsa_headers] == [_int(v) for v in t.get("ospf.lsa", [])]
        assert [lh.ls_age for lh in lsa_headers] == [_int(v) for v in t.get("ospf.lsa.age", [])]
        assert [lh.link_state_id for lh in lsa_headers] == _addrs(t.get("ospf.lsa.id", []))
        assert [lh.advertising_router for lh in lsa_headers] == _addrs(t.get("ospf.advrouter", []))
        # tshark prints the unsigned wire value; ours is signed (RFC 2328 §12.1.6).
        assert [lh.ls_sequence_number & 0xFFFFFFFF for lh in lsa_headers] == [
            _int(v) for v in t.get("ospf.lsa.seqnum", [])
        ]
        assert [lh.ls_checksum for lh in lsa_headers] == [_int(v) for v in t.get("ospf.lsa.chksum", [])]
        assert [lh.length for lh in lsa_headers] == [_int(v) for v in t.get("ospf.lsa.length", [])]


@pytest.mark.skipif(
    not CAPTURES.is_dir() or shutil.which("tshark") is None, reason="needs /work/shared/captures and tshark"
)
def test_corpus_holds_every_captured_ospf_packet() -> None:
    from extract_captures import frame_payloads

    corpus = {c.data for c in CORPUS}
    pcaps = sorted(CAPTURES.glob("ospf-*.pcap"))
    assert pcaps
    for pcap in pcaps:
        payloads = frame_payloads(pcap)
        assert payloads, pcap
        for number, payload in payloads.items():
            assert payload in corpus, f"{pcap.name} frame {number} missing: rerun extract_captures.py"
            decode_packet(payload)
