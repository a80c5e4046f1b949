"""Messages we encode, wrapped in fake Ethernet/IPv4/TCP frames to port 179, dissect cleanly in tshark."""

from __future__ import annotations

import collections
import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from bgp_testutil import write_pcap

from routesim.wire.bgp import (
    NO_EXPORT,
    Aggregator,
    AsPath,
    AsPathSegment,
    AtomicAggregate,
    CeaseSubcode,
    Communities,
    ErrorCode,
    Keepalive,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    Negotiated,
    NextHop,
    Notification,
    Open,
    Origin,
    Prefix,
    RouteRefresh,
    SegmentType,
    UnknownAttribute,
    Update,
    community,
    for_old_speaker,
    pack_updates,
)

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")

NEG4 = Negotiated(four_octet_as=True)
NEG2 = Negotiated(four_octet_as=False)
NH = NextHop(IPv4Address("10.0.12.1"))


def _prefixes(n: int) -> list[Prefix]:
    return [Prefix((10 << 24) | (i << 8), 24) for i in range(n)]


def _messages() -> list[bytes]:
    rich = (
        Origin(0),
        AsPath(
            (
                AsPathSegment(SegmentType.AS_SEQUENCE, (65001, 4_200_000_000)),
                AsPathSegment(SegmentType.AS_SET, (65010, 65011)),
            )
        ),
        NH,
        MultiExitDisc(50),
        LocalPref(200),
        AtomicAggregate(),
        Aggregator(65001, IPv4Address("10.255.0.1")),
        Communities((community(65001, 7), NO_EXPORT)),
        UnknownAttribute(200, 0xE0, b"\x01\x02\x03"),
    )
    out = [
        Open.for_speaker(65001, 90, IPv4Address("10.255.0.1")).encode(),
        Keepalive().encode(),
        Update(attributes=rich, nlri=tuple(_prefixes(3))).encode(NEG4),
        Update(withdrawn=tuple(_prefixes(2))).encode(NEG4),
        Update(
            attributes=(
                Origin(2),
                AsPath.from_asns(65002),
                MpReachNlri(1, 1, IPv4Address("10.0.12.2"), (Prefix.from_network("192.0.2.0/24"),)),
            )
        ).encode(NEG4),
        Update(attributes=(MpUnreachNlri(1, 1, (Prefix.from_network("192.0.2.0/24"),)),)).encode(NEG4),
        *(
            u.encode(NEG4)
            for u in pack_updates((Origin(0), AsPath.from_asns(65001), NH), _prefixes(1500), negotiated=NEG4)
        ),
        Update().encode(NEG4),
        RouteRefresh(1, 1).encode(),
        Notification(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN).encode(),
    ]
    return out


def _tshark(pcap: Path, *args: str) -> str:
    return subprocess.run(
        ["tshark", "-r", str(pcap), *args], capture_output=True, text=True, check=True
    ).stdout


def test_tshark_dissects_our_messages_cleanly(tmp_path: Path) -> None:
    messages = _messages()
    pcap = tmp_path / "ours.pcap"
    write_pcap(pcap, messages)
    assert _tshark(pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning") == ""
    types = collections.Counter(
        t
        for line in _tshark(pcap, "-Y", "bgp", "-T", "fields", "-e", "bgp.type").split()
        for t in line.split(",")
    )
    n_packed = len(messages) - 9
    assert n_packed == 2  # 1500 /24s (6000 octets of NLRI) need two 4096-octet UPDATEs
    assert types == {"1": 1, "4": 1, "2": 5 + n_packed, "5": 1, "3": 1}
    nlri = _tshark(pcap, "-Y", "bgp", "-T", "fields", "-E", "aggregator=,", "-e", "bgp.nlri_prefix").split()
    assert sum(len(line.split(",")) for line in nlri) == 3 + 1500
    detail = _tshark(pcap, "-V", "-Y", "bgp.type == 2")
    assert "AS4: 4200000000" in detail or "4200000000" in detail
    assert "NO_EXPORT" in detail
    assert "192.0.2.0/24" in detail


def test_tshark_two_octet_session_with_as4_path(tmp_path: Path) -> None:
    attrs = for_old_speaker((Origin(0), AsPath.from_asns(65001, 4_200_000_000), NH))
    pcap = tmp_path / "as4.pcap"
    write_pcap(
        pcap,
        [
            Open.for_speaker(65001, 90, IPv4Address("10.255.0.1"), four_octet_as=False).encode(),
            Update(attributes=attrs, nlri=tuple(_prefixes(1))).encode(NEG2),
        ],
    )
    assert _tshark(pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning") == ""
    detail = _tshark(pcap, "-V", "-Y", "bgp.type == 2")
    assert "AS4_PATH" in detail and "4200000000" in detail and "23456" in detail
