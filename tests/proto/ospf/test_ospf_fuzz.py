"""Whatever arrives, ``handle()`` never raises (§8.2 drops are counted), even in strict mode."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ospf_harness import Net, engine, iface

from routesim.proto.base import PacketIn
from routesim.wire.ospf.checksum import ospf_packet_checksum
from routesim.wire.ospf.header import ALL_SPF_ROUTERS

DATA = Path(__file__).resolve().parents[2] / "data" / "ospf"
CAPTURED = [
    bytes.fromhex("".join(ln.strip() for ln in p.read_text().splitlines() if not ln.startswith("#")))
    for p in sorted(DATA.glob("*.hex"))
    if not p.name.startswith("bird-auth")
]


def _full_pair() -> Net:
    net = Net()
    net.add("r1", engine("10.0.12.2", iface("e0", "10.0.12.2/24", hello_interval=10, dead_interval=40)))
    net.add("r2", engine("10.0.12.1", iface("e0", "10.0.12.1/24", hello_interval=10, dead_interval=40)))
    net.link(("r1", "e0"), ("r2", "e0"))
    net.start()
    net.run(60)
    assert net.states("r1") == {"10.0.12.1": "Full"}
    return net


NET = _full_pair()


def _fix_checksum(data: bytes) -> bytes:
    if len(data) < 24:
        return data
    length = min(max(int.from_bytes(data[2:4], "big"), 24), len(data))
    value = ospf_packet_checksum(data[:length])
    return data[:12] + value.to_bytes(2, "big") + data[14:]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    base=st.sampled_from(CAPTURED),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 400),
    fix=st.booleans(),
)
def test_mutated_real_packets_never_raise(base: bytes, flips, cut: int, fix: bool) -> None:
    data = bytearray(base)
    for pos, val in flips:
        if pos < len(data):
            data[pos] = val
    data = bytes(data[: max(cut, 1)]) if cut < len(data) else bytes(data)
    if fix:
        data = _fix_checksum(data)
    eng = NET.engines["r1"]
    eng.handle(PacketIn("e0", IPv4Address("10.0.12.1"), data, dst=ALL_SPF_ROUTERS), NET.now)
    assert eng.drops["internal-error"] == 0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_never_raise(data: bytes) -> None:
    eng = NET.engines["r1"]
    eng.handle(PacketIn("e0", IPv4Address("10.0.12.1"), data, dst=ALL_SPF_ROUTERS), NET.now)
