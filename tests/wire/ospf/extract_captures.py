"""Regenerate tests/data/ospf/*.hex from the reference captures (run by hand, not by pytest).

    .venv/bin/python tests/wire/ospf/extract_captures.py [/work/shared/captures] [--auth DIR]

``--auth DIR`` also extracts ``DIR/md5.pcap`` and ``DIR/simple.pcap`` (files named ``bird-auth-*``):
BIRD 2.0.12 alone on a veth in a namespace, captured on the peer end for 3.5 s, with this config
(``authentication simple; password "s3cret";`` for the second one)::

    router id 10.0.12.1;
    protocol device {}
    protocol ospf v2 o1 {
      area 0 {
        interface "veth0" {
          hello 1; dead 3; wait 2;
          authentication cryptographic;
          password "routesim-key" { id 7; algorithm keyed md5; };
        };
      };
    }

Each distinct OSPF IP payload (IP protocol 89) of every ``ospf-*.pcap`` becomes one .hex file whose
first line is a ``# provenance:`` comment, followed by ``# tshark <field>: <value>`` lines (the
values ``tshark -T fields -E occurrence=a`` shows for that frame, kept for the codec tests to compare
with) and the payload as hex.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "ospf"
# the shared reference pcaps: beside the repository (as CI lays it out), else the workplace copy
DEFAULT_CAPTURES = next(
    (p for p in (Path(__file__).resolve().parents[3].parent / "shared" / "captures",) if p.is_dir()),
    Path("/work/shared/captures"),
)

#: tshark fields recorded for each packet (comma-joined when a field occurs several times).
TSHARK_FIELDS = [
    "ospf.msg",
    "ospf.packet_length",
    "ospf.srcrouter",
    "ospf.area_id",
    "ospf.checksum",
    "ospf.auth.type",
    "ospf.auth.simple",
    "ospf.auth.crypt.key_id",
    "ospf.auth.crypt.data_length",
    "ospf.auth.crypt.seq_nbr",
    "ospf.auth.crypt.data",
    "ospf.hello.network_mask",
    "ospf.hello.hello_interval",
    "ospf.hello.router_priority",
    "ospf.hello.router_dead_interval",
    "ospf.hello.designated_router",
    "ospf.hello.backup_designated_router",
    "ospf.hello.active_neighbor",
    "ospf.db.interface_mtu",
    "ospf.db.dd_sequence",
    "ospf.dbd",
    "ospf.v2.options",
    "ospf.lsa",
    "ospf.lsa.age",
    "ospf.lsa.id",
    "ospf.link_state_id",
    "ospf.advrouter",
    "ospf.lsa.seqnum",
    "ospf.lsa.chksum",
    "ospf.lsa.length",
    "ospf.ls.number_of_lsas",
    "ospf.lsa.number_of_links",
    "ospf.v2.router.lsa.flags",
    "ospf.lsa.router.linktype",
    "ospf.lsa.router.linkid",
    "ospf.lsa.router.linkdata",
    "ospf.lsa.router.metric0",
    "ospf.lsa.network.netmask",
    "ospf.lsa.network.attchrtr",
]

TYPE_NAMES = {1: "hello", 2: "dd", 3: "lsr", 4: "lsu", 5: "lsack"}


def tshark_version() -> str:
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0].strip()


def ospf_frames(pcap: Path) -> list[dict[str, str]]:
    """One dict per OSPF frame: frame number, addresses, raw frame hex and the TSHARK_FIELDS."""
    base = ["frame.number", "ip.src", "ip.dst", "frame.encap_type"]
    cmd = ["tshark", "-r", str(pcap), "-Y", "ospf && !icmp", "-T", "fields", "-E", "occurrence=a"]
    cmd += ["-E", "aggregator=,", "-E", "separator=|"]
    for f in (*base, *TSHARK_FIELDS):
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [dict(zip((*base, *TSHARK_FIELDS), line.split("|"), strict=True)) for line in out.splitlines()]
    return rows


def frame_payloads(pcap: Path) -> dict[int, bytes]:
    """IP payload of each IPv4 proto-89 frame, from a tiny pcapng reader (Ethernet link type)."""
    data = pcap.read_bytes()
    out: dict[int, bytes] = {}
    pos, frame_no, endian = 0, 0, "little"
    while pos + 12 <= len(data):
        block_type = int.from_bytes(data[pos : pos + 4], endian)
        if block_type == 0x0A0D0D0A:  # section header: its byte-order magic decides the endianness
            endian = "little" if data[pos + 8 : pos + 12] == b"\x4d\x3c\x2b\x1a" else "big"
        block_len = int.from_bytes(data[pos + 4 : pos + 8], endian)
        if block_type == 6:  # enhanced packet block
            frame_no += 1
            cap_len = int.from_bytes(data[pos + 20 : pos + 24], endian)
            frame = data[pos + 28 : pos + 28 + cap_len]
            if frame[12:14] == b"\x08\x00":
                ip = frame[14:]
                ihl, total, proto = (ip[0] & 0x0F) * 4, int.from_bytes(ip[2:4], "big"), ip[9]
                if proto == 89:
                    out[frame_no] = ip[ihl:total]
        elif block_type == 3:  # simple packet block (not expected)
            frame_no += 1
        pos += block_len
    return out


def extract(pcap: Path, prefix: str, origin: str, version: str, seen: set[bytes]) -> int:
    """Write one .hex file per OSPF payload of ``pcap`` not already in ``seen``; return how many."""
    payloads = frame_payloads(pcap)
    written = 0
    for row in ospf_frames(pcap):
        number = int(row["frame.number"])
        payload = payloads[number]
        if payload in seen:
            continue
        seen.add(payload)
        kind = TYPE_NAMES.get(payload[1], f"type{payload[1]}")
        lines = [
            f"# provenance: {pcap.name} frame {number} ({row['ip.src']} -> {row['ip.dst']}), IP payload "
            f"(proto 89) of {origin}; fields from {version}",
        ]
        lines += [f"# tshark {f}: {row[f]}" for f in TSHARK_FIELDS if row[f]]
        hexdata = payload.hex()
        lines += [hexdata[i : i + 64] for i in range(0, len(hexdata), 64)]
        (DATA_DIR / f"{prefix}-f{number:03d}-{kind}.hex").write_text("\n".join(lines) + "\n")
        written += 1
    return written


def main(argv: list[str]) -> int:
    captures, auth_dir = DEFAULT_CAPTURES, None
    args = list(argv)
    if "--auth" in args:
        i = args.index("--auth")
        auth_dir = Path(args[i + 1])
        del args[i : i + 2]
    if args:
        captures = Path(args[0])
    version = tshark_version()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    written = 0
    for pcap in sorted(captures.glob("ospf-*.pcap")):
        prefix = pcap.stem.removeprefix("ospf-")
        for old in DATA_DIR.glob(f"{prefix}-f*.hex"):
            old.unlink()
        written += extract(pcap, prefix, "a BIRD 2.0.12 <-> FRR 8.4.4 exchange", version, seen)
    if auth_dir is not None:
        for mode in ("md5", "simple"):
            for old in DATA_DIR.glob(f"bird-auth-{mode}-f*.hex"):
                old.unlink()
            origin = f"BIRD 2.0.12 Hellos with {mode} authentication (config in extract_captures.py)"
            written += extract(auth_dir / f"{mode}.pcap", f"bird-auth-{mode}", origin, version, seen)
    print(f"wrote {written} files to {DATA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
