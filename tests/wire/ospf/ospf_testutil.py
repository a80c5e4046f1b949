"""Helpers for the OSPF codec tests: the captured corpus and small byte surgeons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from routesim.wire.ospf.checksum import ospf_packet_checksum

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "ospf"


@dataclass(frozen=True)
class Captured:
    name: str
    data: bytes
    provenance: str
    tshark: dict[str, list[str]]


def load_corpus() -> list[Captured]:
    """Every tests/data/ospf/*.hex file: bytes, provenance line and recorded tshark fields."""
    out = []
    for path in sorted(DATA_DIR.glob("*.hex")):
        lines = path.read_text().splitlines()
        assert lines[0].startswith("# provenance: "), path
        fields: dict[str, list[str]] = {}
        hex_parts = []
        for line in lines[1:]:
            if line.startswith("# tshark "):
                key, _, value = line.removeprefix("# tshark ").partition(": ")
                fields[key] = value.split(",")
            elif not line.startswith("#"):
                hex_parts.append(line.strip())
        out.append(Captured(path.stem, bytes.fromhex("".join(hex_parts)), lines[0], fields))
    return out


CORPUS = load_corpus()


def captured(kind: str) -> Captured:
    """The first corpus packet of a kind (``hello``, ``dd``, ``lsr``, ``lsu``, ``lsack``)."""
    return next(c for c in CORPUS if c.name.endswith("-" + kind))


def with_checksum(data: bytes) -> bytes:
    """``data`` with the OSPF header checksum recomputed over its packet length (or all of it)."""
    length = int.from_bytes(data[2:4], "big") if len(data) >= 4 else len(data)
    length = min(max(length, 24), len(data))
    value = ospf_packet_checksum(data[:length])
    return data[:12] + value.to_bytes(2, "big") + data[14:]


def patch(data: bytes, offset: int, new: bytes, *, fix_checksum: bool = True) -> bytes:
    """Overwrite bytes at ``offset``; by default re-fix the header checksum so later checks are reached."""
    out = data[:offset] + new + data[offset + len(new) :]
    return with_checksum(out) if fix_checksum else out


def set_length(data: bytes, length: int) -> bytes:
    """Set the header packet length field and recompute the checksum."""
    return with_checksum(data[:2] + length.to_bytes(2, "big") + data[4:])


def write_pcap(path: Path, payloads: list[bytes], *, src: str = "10.0.12.1", dst: str = "224.0.0.5") -> None:
    """A classic pcap (LINKTYPE_RAW = IPv4) holding each payload in an IP proto-89 datagram."""
    import ipaddress
    import struct

    from routesim.wire.ospf.checksum import ip_checksum

    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for i, payload in enumerate(payloads):
        header = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0xC0,
            20 + len(payload),
            i,
            0,
            1,
            89,
            0,
            ipaddress.IPv4Address(src).packed,
            ipaddress.IPv4Address(dst).packed,
        )
        header = header[:10] + ip_checksum(header).to_bytes(2, "big") + header[12:]
        frame = header + payload
        out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def tshark_fields(path: Path, fields: list[str]) -> list[dict[str, list[str]]]:
    """``tshark -T fields`` for each frame of ``path``: field -> all its occurrences."""
    import subprocess

    cmd = ["tshark", "-r", str(path), "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    cmd += ["-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [
        {f: v.split(",") for f, v in zip(fields, line.split("|"), strict=True) if v}
        for line in out.splitlines()
    ]
