"""Input validation (RFC 2453 §3.9.2): drops are counted by reason, handle() never raises."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st
from rip_harness import make_engine, sends

from routesim.proto.base import PacketIn
from routesim.wire.rip import Command, RipEntry, RipPacket

N1 = IPv4Address("10.0.12.2")
GOOD = RipEntry.route(IPv4Network("10.9.0.0/24"), 1)


def engine():
    e = make_engine("r1", [("eth0", "10.0.12.1/24"), ("eth1", "10.0.23.1/24")])
    e.start(0.0)
    return e


def resp(*entries: RipEntry) -> bytes:
    return RipPacket(Command.RESPONSE, entries=entries).encode()


def test_packet_level_drops_are_counted_by_reason():
    e = engine()
    e.handle(PacketIn("eth9", N1, resp(GOOD), src_port=520), 1.0)
    e.handle(PacketIn("eth0", N1, resp(GOOD), src_port=5555), 1.0)  # §3.9.2: port 520 only
    e.handle(PacketIn("eth0", IPv4Address("10.0.23.9"), resp(GOOD), src_port=520), 1.0)  # not on eth0
    e.handle(PacketIn("eth0", IPv4Address("10.0.12.1"), resp(GOOD), src_port=520), 1.0)  # our own
    e.handle(PacketIn("eth0", N1, b"", src_port=520), 1.0)
    e.handle(PacketIn("eth0", N1, bytes.fromhex("0201000000020000"), src_port=520), 1.0)
    e.handle(PacketIn("eth0", N1, resp(GOOD)[:-3], src_port=520), 1.0)
    assert dict(e.drops) == {
        "unknown_interface": 1,
        "source_port": 1,
        "not_connected": 1,
        "own_address": 1,
        "too_short": 1,
        "version": 1,
        "truncated": 1,
    }
    assert e.counters["bad_packets"] == 7
    assert e.table.get(GOOD.prefix) is None
    assert e.neighbors[N1].bad_packets == 4  # the ones from a connected source on eth0


def test_bad_route_is_dropped_and_the_rest_kept():
    e = engine()
    bad = bytearray(resp(GOOD, GOOD, RipEntry.route(IPv4Network("10.8.0.0/16"), 3)))
    bad[4 + 20 + 19] = 0  # second entry: metric 0
    e.handle(PacketIn("eth0", N1, bytes(bad), src_port=520), 1.0)
    assert e.table.get(IPv4Network("10.9.0.0/24")).metric == 2
    assert e.table.get(IPv4Network("10.8.0.0/16")).metric == 4
    assert e.counters["bad_routes"] == 1 and e.route_errors == {"metric": 1}
    assert e.counters["bad_packets"] == 0 and e.neighbors[N1].bad_routes == 1
    assert e.inspect(2.0)["counters"]["bad_route_reasons"] == {"metric": 1}


def test_response_to_request_from_other_port_is_still_not_learned():
    e = engine()
    e.handle(PacketIn("eth0", N1, resp(GOOD), src_port=40000), 1.0)
    assert e.table.get(GOOD.prefix) is None and not sends(
        e.handle(PacketIn("eth0", N1, b"\x01", src_port=1), 1.0)
    )


@settings(max_examples=400)
@given(st.binary(max_size=200), st.sampled_from(["eth0", "eth1", "bogus"]), st.sampled_from([520, 521, None]))
def test_handle_never_raises_on_garbage(data: bytes, iface: str, port: int | None):
    e = engine()
    e.handle(PacketIn(iface, N1, data, src_port=port), 1.0)
    e.handle(PacketIn(iface, N1, b"\x02\x02\x00\x00" + data[: len(data) // 20 * 20], src_port=port), 1.0)
    e.handle(PacketIn(iface, N1, b"\x01\x02\x00\x00" + data[: len(data) // 20 * 20], src_port=port), 1.0)
