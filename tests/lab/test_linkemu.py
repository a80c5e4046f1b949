"""The userspace link emulator between two real namespaces (root needed).

Each test builds a two-router lab: link ``l0`` is emulated (so its impairment can be changed at run
time), link ``l1`` is a plain veth used as the reference path. Assertions are on increments over
the plain veth, never on timings of our own code.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from labtopo import TopoBuilder
from labutil import ping, tcp_transfer, wait_carrier

from routesim.lab import netns as nsx
from routesim.lab.names import LabNames
from routesim.lab.plumbing import Plumbing, build_lab_network, emulator_request
from routesim.topology.model import Impairment

pytestmark = pytest.mark.netns

A_IP, B_IP = "10.0.0.1", "10.0.0.2"  # over the emulated link l0 (a:b <-> b:a)
A2_IP, B2_IP = "10.0.0.5", "10.0.0.6"  # over the plain veth l1 (a:b-1 <-> b:a-1)


@pytest.fixture
def emu(lab_name: str) -> Iterator[tuple[Plumbing, LabNames]]:
    names = LabNames(lab_name)
    topo = (
        TopoBuilder(lab_name)
        .router("a", "10.255.0.1")
        .router("b", "10.255.0.2")
        .link("a", "b", "10.0.0.0/30", Impairment(delay=0.0001))
        .link("a", "b", "10.0.0.4/30")
        .build()
    )
    p = build_lab_network(topo, names, emulation="userspace")
    try:
        assert p.emulator_kind == "userspace-afpacket"
        assert set(p.emulated) == {"l0"}
        p.start_emulator(names.state_dir, log=names.state_dir / "linkemu.log")
        # resolve ARP on both paths before measuring anything
        assert ping(names.netns("a"), B_IP)["rc"] == 0
        assert ping(names.netns("a"), B2_IP)["rc"] == 0
        yield p, names
    finally:
        p.stop_emulator()
        p.close()


def test_delay_adds_twice_the_one_way_delay_to_rtt(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_impairment("l0", Impairment(delay=0.040))
    ns = names.netns("a")
    ping(ns, B_IP, count=2, interval=0.05)
    emulated = ping(ns, B_IP, count=20, interval=0.05)
    plain = ping(ns, B2_IP, count=20, interval=0.05)
    assert emulated["loss"] == 0 and plain["loss"] == 0
    increment = emulated["avg"] - plain["avg"]
    print(f"rtt over 40 ms link {emulated['avg']:.3f} ms, plain veth {plain['avg']:.3f} ms")
    assert abs(increment - 80.0) <= 3.0, emulated["out"]


def test_loss_rate_is_near_the_configured_fraction(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_impairment("l0", Impairment(loss=0.20))
    r = ping(names.netns("a"), B_IP, count=300, interval=0.005, wait=0.5)
    print(f"loss {r['loss']}% over 300 pings (20% per direction: expect ~36% of round trips)")
    # each round trip crosses the lossy link twice: 1 - 0.8**2 = 36%
    assert 26.0 <= r["loss"] <= 46.0, r["out"]
    stats = p.link_stats()["l0"]
    for direction in ("a>b", "b>a"):
        d = stats[direction]
        frac = d["dropped_loss"] / (d["dropped_loss"] + d["frames"])
        assert 0.10 <= frac <= 0.30, stats


def test_tcp_transfer_through_the_emulator(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_impairment("l0", Impairment(delay=0.005))
    n, _dt = tcp_transfer(names.netns("b"), B_IP, names.netns("a"), 1_000_000)
    assert n == 1_000_000
    assert p.link_stats()["l0"]["a>b"]["bytes"] >= 1_000_000


def test_rate_limit_of_10_mbit(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_impairment("l0", Impairment(rate=10_000_000))
    n, dt = tcp_transfer(names.netns("b"), B_IP, names.netns("a"), 2_500_000, port=5002)
    assert n == 2_500_000
    mbit = n * 8 / dt / 1e6
    print(f"measured {mbit:.2f} Mbit/s goodput at a 10 Mbit/s rate limit")
    assert 8.0 <= mbit <= 12.0


def test_link_down_gives_no_carrier_on_both_sides(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_link_state("l0", False)
    # both ends lose carrier at once (no timer involved); how fast is not asserted here (a busy
    # machine answers the first poll late): protocol reactions are timed in the benchmarks
    wait_carrier(names.netns("b"), "a", False)
    wait_carrier(names.netns("a"), "b", False)
    assert ping(names.netns("a"), B_IP, wait=0.3)["rc"] != 0
    p.set_link_state("l0", True)
    wait_carrier(names.netns("b"), "a", True)
    wait_carrier(names.netns("a"), "b", True)
    assert ping(names.netns("a"), B_IP, count=3, interval=0.1)["loss"] < 100
    # the same through the emulator's own control socket
    assert p.emulator_control is not None
    emulator_request(p.emulator_control, {"cmd": "down", "link": "l0"})
    wait_carrier(names.netns("b"), "a", False)
    emulator_request(p.emulator_control, {"cmd": "up", "link": "l0"})
    wait_carrier(names.netns("b"), "a", True)


def _join(sock: socket.socket, group: str, ifindex: int) -> None:
    mreqn = socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack("@i", ifindex)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)


def _multicast_sockets(p: Plumbing, names: LabNames, stype: int, proto: int, group: str) -> tuple[Any, Any]:
    rx = nsx.socket_in_netns(names.netns("b"), socket.AF_INET, stype, proto)
    tx = nsx.socket_in_netns(names.netns("a"), socket.AF_INET, stype, proto)
    rx.settimeout(2.0)
    _join(rx, group, p.iface_index("b", "a"))
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(A_IP))
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    return rx, tx


def test_rip_and_ospf_multicast_and_arp_pass(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    p.set_impairment("l0", Impairment(delay=0.002))
    # RIP: UDP 224.0.0.9:520
    rx, tx = _multicast_sockets(p, names, socket.SOCK_DGRAM, 0, "224.0.0.9")
    with rx, tx:
        rx.bind(("224.0.0.9", 520))
        tx.sendto(b"rip-response", ("224.0.0.9", 520))
        data, src = rx.recvfrom(1500)
        assert data == b"rip-response" and src[0] == A_IP
    # OSPF: raw IP protocol 89 to AllSPFRouters
    rx, tx = _multicast_sockets(p, names, socket.SOCK_RAW, 89, "224.0.0.5")
    with rx, tx:
        tx.sendto(b"ospf-hello", ("224.0.0.5", 0))
        data = rx.recv(1500)
        ihl = (data[0] & 0x0F) * 4
        assert data[9] == 89 and data[16:20] == socket.inet_aton("224.0.0.5") and data[ihl:] == b"ospf-hello"
    # ARP: forget the neighbour, then resolve it again through the emulator
    nsx.run_in_netns(names.netns("a"), ["ip", "neigh", "flush", "dev", "b"], check=True)
    assert ping(names.netns("a"), B_IP)["rc"] == 0
    neigh = nsx.run_in_netns(names.netns("a"), ["ip", "neigh", "show", "dev", "b"]).stdout
    assert B_IP in neigh and "lladdr" in neigh


def test_stats_count_frames_per_direction(emu: tuple[Plumbing, LabNames]) -> None:
    p, names = emu
    before = p.link_stats()["l0"]
    ping(names.netns("a"), B_IP, count=5, interval=0.02)
    after = p.link_stats()["l0"]
    assert after["a>b"]["frames"] - before["a>b"]["frames"] >= 5
    assert after["b>a"]["frames"] - before["b>a"]["frames"] >= 5
    assert after["a>b"]["bytes"] - before["a>b"]["bytes"] >= 5 * 98
    assert after["state"] == "up" and after["a>b"]["params"]["delay"] == pytest.approx(0.0001)
