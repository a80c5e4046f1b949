"""The tshark check: it flags a malformed frame we sent, and not the kernel's traceroute probes."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from routesim.lab.capture import tshark_problems

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ipv4_udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, ttl: int = 1) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, ttl, 17, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + udp


def _pcap(path: Path, packets: list[bytes]) -> Path:
    """A pcap of Ethernet frames carrying the given IPv4 packets."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, ip in enumerate(packets):
        frame = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ip
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)) + frame
    path.write_bytes(out)
    return path


A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
# what Linux traceroute sends: 32 bytes of "@ABC...", to 33434 + n
PROBE_PAYLOAD = bytes(range(0x40, 0x60))


def test_traceroute_probe_on_a_port_wireshark_gives_to_another_protocol_is_not_a_problem(tmp_path):
    # source port 34980 is EtherCAT-over-UDP's: tshark decodes the probe as EtherCAT and calls it
    # malformed (seen in CI on a multiline-bgp capture)
    pcap = _pcap(tmp_path / "probe.pcap", [_ipv4_udp(A, B, 34980, 33436, PROBE_PAYLOAD)])
    rep = tshark_problems(pcap)
    assert rep.frames == 1
    assert rep.problems == ()


def test_the_same_bytes_on_another_port_are_still_flagged(tmp_path):
    pcap = _pcap(tmp_path / "bad.pcap", [_ipv4_udp(A, B, 34980, 40000, PROBE_PAYLOAD)])
    rep = tshark_problems(pcap)
    assert len(rep.problems) == 1
    assert "Malformed" in rep.problems[0]


def test_a_malformed_rip_packet_is_flagged(tmp_path):
    # a RIPv2 response whose only entry is cut short
    rip = bytes([2, 2, 0, 0]) + bytes([0, 2, 0, 0]) + bytes(8)
    pcap = _pcap(tmp_path / "rip.pcap", [_ipv4_udp(A, bytes([224, 0, 0, 9]), 520, 520, rip)])
    rep = tshark_problems(pcap, {"rip": "rip"})
    assert rep.counts == {"rip": 1}
    assert rep.problems
