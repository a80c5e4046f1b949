"""Real BIRD/FRR/GoBGP/ExaBGP messages (tests/data/bgp/*.hex, from /work/shared/captures):
decode every one, compare with what tshark shows, and re-encode to identical bytes."""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from bgp_testutil import CAPTURES_DIR, DATA_DIR, load_hex

from routesim.wire.bgp import (
    AsPath,
    CeaseSubcode,
    Communities,
    ErrorCode,
    FourOctetAs,
    Framer,
    Keepalive,
    MultiExitDisc,
    Multiprotocol,
    Negotiated,
    NextHop,
    Notification,
    Open,
    Origin,
    OriginType,
    Prefix,
    RouteRefreshCapability,
    UnknownCapability,
    Update,
    community,
    decode_message,
)

NEG = Negotiated(four_octet_as=True)
HEX_FILES = sorted(DATA_DIR.glob("bgp-*.hex"))
CORPUS = [
    pytest.param(raw, id=f"{path.stem}-{i}")
    for path in HEX_FILES
    for i, (_direction, raw) in enumerate(load_hex(path))
]


def test_corpus_present() -> None:
    assert len(HEX_FILES) == 6
    assert len(CORPUS) == 64
    for path in HEX_FILES:
        assert path.read_text().startswith("# provenance: ")


@pytest.mark.parametrize("raw", CORPUS)
def test_decode_and_reencode_identical(raw: bytes) -> None:
    message = decode_message(raw, NEG)
    assert message.encode(NEG) == raw
    if isinstance(message, Update):
        assert message.errors == ()


def _messages(name: str) -> list[tuple[str, object]]:
    return [(d, decode_message(raw, NEG)) for d, raw in load_hex(DATA_DIR / f"{name}.hex")]


def test_frr_open_one_capability_per_parameter_with_cisco_route_refresh() -> None:
    opens = [m for d, m in _messages("bgp-frr-default") if isinstance(m, Open) and d.startswith("10.0.12.2")]
    (frr,) = opens
    assert frr.my_as == 65002 and frr.asn == 65002 and frr.hold_time == 180
    assert frr.bgp_identifier == IPv4Address("10.0.12.2")
    assert frr.capabilities[:3] == (
        Multiprotocol(1, 1),
        RouteRefreshCapability(cisco=True),
        RouteRefreshCapability(cisco=False),
    )
    assert FourOctetAs(65002) in frr.capabilities
    assert UnknownCapability(64, b"\xc0\x78") in frr.capabilities  # graceful restart, opaque
    assert frr.parameter_layout == (1,) * 10
    assert frr.route_refresh and frr.extended_message and frr.multiprotocol == {(1, 1)}


def test_bird_open_all_capabilities_in_one_parameter() -> None:
    bird = next(
        m for d, m in _messages("bgp-frr-default") if isinstance(m, Open) and d.startswith("10.0.12.1")
    )
    assert bird.parameter_layout is None
    assert bird.asn == 65001 and bird.hold_time == 240
    assert bird.capability(65) == FourOctetAs(65001)


def test_exabgp_update_with_community() -> None:
    updates = [
        m for d, m in _messages("bgp-exabgp-default") if isinstance(m, Update) and d.startswith("10.0.12.2")
    ]
    with_comm = next(u for u in updates if u.communities)
    assert with_comm.communities == Communities((community(65004, 1),))
    assert with_comm.as_path == AsPath.from_asns(64999)
    assert with_comm.nlri == (Prefix.from_network("10.4.4.0/24"),)
    assert updates[-1].is_end_of_rib


def test_frr_update_extended_length_as_path_and_med() -> None:
    updates = [
        m for d, m in _messages("bgp-frr-default") if isinstance(m, Update) and d.startswith("10.0.12.2")
    ]
    u = next(u for u in updates if u.med is not None)
    assert u.attributes == (
        Origin(OriginType.IGP),
        AsPath.from_asns(65002),
        NextHop(IPv4Address("10.0.12.2")),
        MultiExitDisc(0),
    )
    assert u.as_path.wire_flags == 0x50  # FRR sets Extended Length on AS_PATH; kept for re-encoding
    assert u.announced_prefixes() == (Prefix.from_network("10.2.2.0/24"),)


def test_gobgp_cease_and_incomplete_origin() -> None:
    msgs = [m for d, m in _messages("bgp-gobgp-default") if d.startswith("10.0.12.2")]
    assert msgs[-1] == Notification(ErrorCode.CEASE, CeaseSubcode.PEER_DECONFIGURED)
    update = next(m for m in msgs if isinstance(m, Update) and m.nlri)
    assert update.origin == Origin(OriginType.INCOMPLETE)
    assert [str(p) for p in update.nlri] == ["10.2.2.0/24", "10.3.3.0/24"]
    assert isinstance(msgs[1], Keepalive)


# -- tshark comparison ------------------------------------------------------------------------------

FIELDS = [
    "bgp.type",
    "bgp.length",
    "bgp.open.myas",
    "bgp.open.holdtime",
    "bgp.open.identifier",
    "bgp.cap.type",
    "bgp.update.path_attribute.type_code",
    "bgp.update.path_attribute.origin",
    "bgp.update.path_attribute.as_path_segment.as4",
    "bgp.update.path_attribute.next_hop",
    "bgp.update.path_attribute.multi_exit_disc",
    "bgp.update.path_attribute.community_as",
    "bgp.update.path_attribute.community_value",
    "bgp.nlri_prefix",
    "bgp.prefix_length",
    "bgp.notify.major_error",
    "bgp.notify.minor_error_cease",
]


def _our_fields(messages: list[object]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {f: [] for f in FIELDS}
    for m in messages:
        out["bgp.type"].append(str(m.TYPE))
        out["bgp.length"].append(str(len(m.encode(NEG))))
        if isinstance(m, Open):
            out["bgp.open.myas"].append(str(m.my_as))
            out["bgp.open.holdtime"].append(str(m.hold_time))
            out["bgp.open.identifier"].append(str(m.bgp_identifier))
            out["bgp.cap.type"] += [str(int(c.CODE)) for c in m.capabilities]
        elif isinstance(m, Update):
            out["bgp.update.path_attribute.type_code"] += [str(a.type_code) for a in m.attributes]
            if m.origin:
                out["bgp.update.path_attribute.origin"].append(str(m.origin.value))
            if m.as_path:
                out["bgp.update.path_attribute.as_path_segment.as4"] += [str(a) for a in m.as_path.asns]
            if m.next_hop:
                out["bgp.update.path_attribute.next_hop"].append(str(m.next_hop.address))
            if m.med:
                out["bgp.update.path_attribute.multi_exit_disc"].append(str(m.med.value))
            if m.communities:
                out["bgp.update.path_attribute.community_as"] += [str(c >> 16) for c in m.communities.values]
                out["bgp.update.path_attribute.community_value"] += [
                    str(c & 0xFFFF) for c in m.communities.values
                ]
            out["bgp.nlri_prefix"] += [str(p.network.network_address) for p in m.nlri]
            out["bgp.prefix_length"] += [str(p.length) for p in m.withdrawn + m.nlri]
        elif isinstance(m, Notification):
            out["bgp.notify.major_error"].append(str(m.code))
            if m.code == ErrorCode.CEASE:
                out["bgp.notify.minor_error_cease"].append(str(m.subcode))
    return out


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.parametrize("name", [p.stem for p in HEX_FILES])
def test_matches_tshark(name: str) -> None:
    pcap = CAPTURES_DIR / f"{name}.pcap"
    if not pcap.exists():
        pytest.skip(f"{pcap} not available")
    cmd = ["tshark", "-r", str(pcap), "-Y", "bgp", "-T", "fields", "-E", "aggregator=,", "-E", "occurrence=a"]
    for f in ["tcp.payload", *FIELDS]:
        cmd += ["-e", f]
    lines = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines
    seen = 0
    for line in lines:
        cols = line.split("\t")
        payload = bytes.fromhex(cols[0])
        framer = Framer()
        messages = [decode_message(m, NEG) for m in framer.feed(payload)]
        assert framer.buffered == 0
        seen += len(messages)
        ours = _our_fields(messages)
        theirs = {f: (cols[i + 1].split(",") if cols[i + 1] else []) for i, f in enumerate(FIELDS)}
        assert ours == theirs, line
    assert seen == len(load_hex(DATA_DIR / f"{name}.hex"))


def test_hex_files_match_pcaps_when_available() -> None:
    """The stored corpus is what the reassembler extracts today (guards against stale .hex files)."""
    from bgp_testutil import reassemble, split_messages

    if not CAPTURES_DIR.exists():
        pytest.skip("captures not available")
    for path in HEX_FILES:
        pcap: Path = CAPTURES_DIR / f"{path.stem}.pcap"
        if not pcap.exists():
            continue
        extracted = [m for stream in reassemble(pcap).values() for m in split_messages(stream)]
        assert extracted == [raw for _d, raw in load_hex(path)]
