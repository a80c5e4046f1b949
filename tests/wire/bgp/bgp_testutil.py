"""Test helpers for the BGP codec: a minimal pcap reader/writer and the .hex corpus loader.

The reader understands classic little/big-endian pcap with Ethernet (DLT 1) or Linux cooked (DLT 113)
frames carrying IPv4/TCP, and reassembles each direction's TCP payload by sequence number (duplicates
and retransmissions are dropped). The writer wraps byte strings in fake Ethernet/IPv4/TCP frames to
port 179 so that tshark dissects them as BGP.

Run as a script to regenerate ``tests/data/bgp/*.hex`` from ``/work/shared/captures/bgp-*.pcap``.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "bgp"
# the shared reference pcaps: beside the repository (as CI lays it out), else the workplace copy
CAPTURES_DIR = next(
    (p for p in (Path(__file__).resolve().parents[3].parent / "shared" / "captures",) if p.is_dir()),
    Path("/work/shared/captures"),
)


@dataclass(frozen=True)
class TcpSegment:
    frame: int
    src: IPv4Address
    sport: int
    dst: IPv4Address
    dport: int
    seq: int
    flags: int
    payload: bytes


def read_pcap(path: Path) -> list[tuple[int, int, bytes]]:
    """Return ``(frame_number, linktype, frame_bytes)`` for every record of a pcap or pcapng file."""
    raw = path.read_bytes()
    magic = raw[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return _read_pcapng(raw)
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap or pcapng file")
    linktype = struct.unpack(endian + "I", raw[20:24])[0]
    out = []
    offset, number = 24, 0
    while offset + 16 <= len(raw):
        _sec, _frac, incl, _orig = struct.unpack(endian + "IIII", raw[offset : offset + 16])
        offset += 16
        number += 1
        out.append((number, linktype, raw[offset : offset + incl]))
        offset += incl
    return out


def _read_pcapng(raw: bytes) -> list[tuple[int, int, bytes]]:
    """pcapng: section header, interface descriptions (link types), enhanced packet blocks."""
    endian = "<" if raw[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    linktypes: list[int] = []
    out = []
    offset, number = 0, 0
    while offset + 12 <= len(raw):
        btype, blen = struct.unpack(endian + "II", raw[offset : offset + 8])
        body = raw[offset + 8 : offset + blen - 4]
        if btype == 1:  # Interface Description Block
            linktypes.append(struct.unpack(endian + "H", body[:2])[0])
        elif btype == 6:  # Enhanced Packet Block
            iface, _hi, _lo, caplen, _orig = struct.unpack(endian + "IIIII", body[:20])
            number += 1
            out.append((number, linktypes[iface], body[20 : 20 + caplen]))
        offset += blen
    return out


def tcp_segments(path: Path) -> list[TcpSegment]:
    segments = []
    for number, linktype, frame in read_pcap(path):
        if linktype == 1:
            ethertype, ip_off = struct.unpack("!H", frame[12:14])[0], 14
        elif linktype == 113:
            ethertype, ip_off = struct.unpack("!H", frame[14:16])[0], 16
        else:
            raise ValueError(f"unsupported linktype {linktype}")
        if ethertype != 0x0800:
            continue
        ip = frame[ip_off:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        data_off = (tcp[12] >> 4) * 4
        segments.append(
            TcpSegment(
                number,
                IPv4Address(ip[12:16]),
                sport,
                IPv4Address(ip[16:20]),
                dport,
                seq,
                tcp[13],
                bytes(tcp[data_off:]),
            )
        )
    return segments


def reassemble(path: Path) -> dict[tuple[str, str], bytes]:
    """Each direction's TCP byte stream, keyed by ``("ip:port", "ip:port")`` in first-seen order."""
    streams: dict[tuple[str, str], bytearray] = {}
    next_seq: dict[tuple[str, str], int] = {}
    for seg in tcp_segments(path):
        key = (f"{seg.src}:{seg.sport}", f"{seg.dst}:{seg.dport}")
        if seg.flags & 0x02:  # SYN: the stream starts at ISN + 1
            next_seq[key] = (seg.seq + 1) & 0xFFFFFFFF
            streams.setdefault(key, bytearray())
            continue
        if not seg.payload or key not in next_seq:
            continue
        if seg.seq == next_seq[key]:
            streams[key] += seg.payload
            next_seq[key] = (seg.seq + len(seg.payload)) & 0xFFFFFFFF
    return {k: bytes(v) for k, v in streams.items()}


def split_messages(stream: bytes) -> list[bytes]:
    """Cut a BGP byte stream into messages by the header's length field (no validation)."""
    out = []
    while len(stream) >= 19:
        length = int.from_bytes(stream[16:18], "big")
        out.append(stream[:length])
        stream = stream[length:]
    return out


def load_hex(path: Path) -> list[tuple[str, bytes]]:
    """Read a corpus file: ``#`` lines are comments; other lines are ``<direction> <hex>``."""
    out = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        direction, hexdata = line.split()
        out.append((direction, bytes.fromhex(hexdata)))
    return out


def write_pcap(path: Path, payloads: list[bytes]) -> None:
    """Write each payload as one TCP segment 10.0.0.1:40000 -> 10.0.0.2:179 in an Ethernet pcap.

    Sequence numbers are consecutive so that tshark's reassembly sees one clean stream; IP and TCP
    checksums are computed properly (tshark leaves checksum validation off by default anyway).
    """
    src, dst = IPv4Address("10.0.0.1").packed, IPv4Address("10.0.0.2").packed
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    seq = 1000
    for i, payload in enumerate(payloads):
        tcp_hdr = struct.pack("!HHIIBBHHH", 40000, 179, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp_hdr) + len(payload))
        csum = _checksum(pseudo + tcp_hdr + payload)
        tcp_hdr = tcp_hdr[:16] + struct.pack("!H", csum) + tcp_hdr[18:]
        total = 20 + len(tcp_hdr) + len(payload)
        ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, total, i + 1, 0x4000, 1, 6, 0, src, dst)
        ip_hdr = ip_hdr[:10] + struct.pack("!H", _checksum(ip_hdr)) + ip_hdr[12:]
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        frame = eth + ip_hdr + tcp_hdr + payload
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)) + frame
        seq += len(payload)
    path.write_bytes(bytes(out))


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


_PEERS = {"frr": "FRR 8.4.4", "gobgp": "GoBGP 3.10", "exabgp": "ExaBGP 4.2.21"}


def regenerate() -> None:  # pragma: no cover - a maintenance script
    for pcap in sorted(CAPTURES_DIR.glob("bgp-*.pcap")):
        peer = pcap.stem.split("-")[1]
        lines = [
            f"# provenance: {pcap} (BIRD 2.0.12 at 10.0.12.1 <-> {_PEERS.get(peer, peer)} at 10.0.12.2),"
            " TCP payloads reassembled per direction by tests/wire/bgp/bgp_testutil.py, one BGP message"
            " per line as '<src>><dst> <hex>'",
        ]
        for (src, dst), stream in reassemble(pcap).items():
            for msg in split_messages(stream):
                lines.append(f"{src}>{dst} {msg.hex()}")
        (DATA_DIR / f"{pcap.stem}.hex").write_text("\n".join(lines) + "\n")
        print(pcap.stem, len(lines) - 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(regenerate())
