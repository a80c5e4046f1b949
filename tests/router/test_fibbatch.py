"""Batched FIB writes, checked against what the kernel then holds (in a throwaway namespace)."""

from __future__ import annotations

import errno
import json
import socket
import subprocess
from ipaddress import IPv4Address, IPv4Network

import pytest
from netnsutil import in_netns, scratch_netns, veth

from routesim.proto.base import NextHop, Route, RouteProtocol
from routesim.rib.table import FibChange

pytestmark = [pytest.mark.netns]


@pytest.fixture
def netns():
    with scratch_netns("fib", *veth("a", "10.0.0.1/30", "b", "10.0.0.5/30")) as name:
        yield name


def _routes(ns: str) -> dict[str, dict]:
    rows = json.loads(
        subprocess.run(
            ["ip", "-j", "-n", ns, "route", "show", "proto", "201"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return {r["dst"]: r for r in rows}


def test_install_replace_multipath_blackhole_and_delete_in_bursts(netns):
    from routesim.router.fibbatch import FibBatcher

    def route(prefix, *hops):
        return Route(IPv4Network(prefix), RouteProtocol.OSPF, 10, frozenset(hops))

    a, b = NextHop(IPv4Address("10.0.0.2"), "a"), NextHop(IPv4Address("10.0.0.6"), "b")
    nets = [f"192.168.{i}.0/24" for i in range(256)] + [f"192.169.{i}.0/24" for i in range(44)]
    changes = [FibChange(IPv4Network(n), route(n, a)) for n in nets]
    changes += [
        FibChange(IPv4Network("10.9.0.0/16"), route("10.9.0.0/16", a, b)),
        FibChange(IPv4Network("10.8.0.0/16"), route("10.8.0.0/16", NextHop(None, "blackhole"))),
    ]

    def first_burst():
        index = {name: socket.if_nametoindex(name) for name in ("a", "b")}  # in this namespace
        batch = FibBatcher(201, 20, index.get)
        res = batch.apply(changes)
        again = batch.apply([FibChange(IPv4Network("192.168.0.0/24"), route("192.168.0.0/24", b))])
        gone = batch.apply(
            [FibChange(IPv4Network("192.168.1.0/24"), None), FibChange(IPv4Network("172.31.0.0/16"), None)]
        )
        batch.close()
        return res, again, gone

    res, again, gone = in_netns(netns, first_burst)
    assert res == [0] * len(changes) and again == [0]
    assert gone[0] == 0 and gone[1] != 0  # deleting a route that is not there: the kernel says so
    rt = _routes(netns)
    assert len(rt) == 301  # 300 - 1 deleted + multipath + blackhole
    assert rt["192.168.0.0/24"]["gateway"] == "10.0.0.6" and rt["192.168.0.0/24"]["metric"] == 20
    assert sorted(h["gateway"] for h in rt["10.9.0.0/16"]["nexthops"]) == ["10.0.0.2", "10.0.0.6"]
    assert rt["10.8.0.0/16"]["type"] == "blackhole"
    assert "192.168.1.0/24" not in rt


def test_failures_inside_large_bursts_are_matched_to_their_changes(netns):
    """Only the last message of each ~60 KiB chunk asks for an acknowledgement; a failed request
    still gets its own answer, so failures in the middle of a chunk, in several chunks and in the
    last position are each reported for their own change and every other change is done."""
    from routesim.router.fibbatch import CHUNK_BYTES, FibBatcher, route_message

    a = NextHop(IPv4Address("10.0.0.2"), "a")
    off_link = NextHop(IPv4Address("10.77.0.1"), "a")  # no such subnet on "a": the kernel refuses

    def change(i: int, hop: NextHop) -> FibChange:
        net = IPv4Network(f"172.{16 + i // 256}.{i % 256}.0/24")
        return FibChange(net, Route(net, RouteProtocol.OSPF, 10, frozenset({hop})))

    n = 5000
    bad = {5, 700, 701, 1500, 2222, n - 1}
    changes = [change(i, off_link if i in bad else a) for i in range(n)]
    size = sum(len(route_message(c, 1, 201, 20, lambda _: 1)) for c in changes)
    assert size > 4 * CHUNK_BYTES  # several chunks, several acknowledgement barriers

    def burst():
        index = {name: socket.if_nametoindex(name) for name in ("a", "b")}
        batch = FibBatcher(201, 20, index.get)
        res = batch.apply(changes)
        after = batch.apply([change(5, a)])  # the same socket goes on after failures
        batch.close()
        return res, after

    res, after = in_netns(netns, burst)
    assert {i for i, err in enumerate(res) if err} == bad
    assert all(res[i] == errno.ENETUNREACH for i in bad)
    assert after == [0]
    rt = _routes(netns)
    assert len(rt) == n - len(bad) + 1
    assert "172.16.5.0/24" in rt and "172.18.188.0/24" not in rt  # 700 failed
