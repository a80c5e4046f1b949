"""Ingest benchmark: N prefixes from one eBGP peer through framing + decode + engine.

Run: ``.venv/bin/python tests/proto/bgp/bench_ingest.py [N [PATHS]]`` (default 1,000,000 prefixes over
1000 attribute sets; PATHS=300000 is closer to a real table, ~3 prefixes per UPDATE). Prints the time
and the memory per prefix (tracemalloc) with ``install_routes=False``. ``test_ingest.py`` uses
:func:`full_table_stream` and :func:`established_engine` for a 100k correctness test.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from ipaddress import IPv4Address

from routesim.proto.base import NextHop, RibChanged, Route, RouteProtocol, TcpUp
from routesim.proto.bgp import BgpConfig, BgpEngine, BgpNeighbor, TcpData
from routesim.wire.bgp import (
    KEEPALIVE,
    AsPath,
    Negotiated,
    Open,
    Origin,
    Prefix,
    pack_updates,
)
from routesim.wire.bgp import (
    NextHop as NextHopAttr,
)

PEER = IPv4Address("10.0.0.2")
LOCAL = IPv4Address("10.0.0.1")
NEG = Negotiated(four_octet_as=True)


def full_table_stream(n: int, *, paths: int = 1000, seed: int = 7) -> tuple[bytes, list[Prefix]]:
    """UPDATE bytes announcing ``n`` distinct prefixes (/24s and some /16-/23s) over ``paths`` AS paths."""
    rng = random.Random(seed)
    prefixes: list[Prefix] = []
    base = 0x01000000
    for i in range(n):
        length = 24 if i % 8 else rng.choice((16, 20, 22, 23))
        addr = (base + i * 256) & 0xFFFFFFFF
        addr &= (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        prefixes.append(Prefix(addr, length))
    prefixes = list(dict.fromkeys(prefixes))
    per = max(1, len(prefixes) // paths)
    chunks = []
    for j in range(0, len(prefixes), per):
        attrs = (
            Origin(0),
            AsPath.from_asns(65002, 3000 + (j // per) % 500, 4_200_000_000 + (j // per)),
            NextHopAttr(PEER),
        )
        chunks += [u.encode(NEG) for u in pack_updates(attrs, prefixes[j : j + per], (), NEG)]
    return b"".join(chunks), prefixes


def established_engine(*, install_routes: bool = False) -> BgpEngine:
    cfg = BgpConfig(
        asn=65001,
        router_id=IPv4Address("1.1.1.1"),
        neighbors=(BgpNeighbor(PEER, 65002, passive=True),),
        install_routes=install_routes,
    )
    engine = BgpEngine(cfg, random.Random(1))
    engine.start(0.0)
    engine.handle(
        RibChanged(
            (
                Route(
                    __import__("ipaddress").IPv4Network("10.0.0.0/30"),
                    RouteProtocol.CONNECTED,
                    0,
                    frozenset({NextHop(None, "eth0")}),
                ),
            )
        ),
        0.0,
    )
    engine.handle(TcpUp(PEER, "c", LOCAL, passive=True), 0.0)
    peer_open = Open.for_speaker(65002, 90, IPv4Address("2.2.2.2"))
    engine.handle(TcpData("c", peer_open.encode() + KEEPALIVE.encode()), 0.0)
    return engine


def run(n: int, paths: int = 1000, chunk: int = 65536) -> None:
    data, prefixes = full_table_stream(n, paths=paths)
    print(f"{len(prefixes)} prefixes in {len(data) / 1e6:.1f} MB of UPDATEs")
    engine = established_engine()
    t0 = time.perf_counter()
    for i in range(0, len(data), chunk):
        engine.handle(TcpData("c", data[i : i + chunk]), 1.0)
    dt = time.perf_counter() - t0
    assert len(engine.loc) == len(prefixes), (len(engine.loc), len(prefixes))
    print(f"ingest: {dt:.2f} s ({len(prefixes) / dt / 1e3:.0f} k prefixes/s)")
    del engine
    tracemalloc.start()
    engine = established_engine()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(0, len(data), chunk):
        engine.handle(TcpData("c", data[i : i + chunk]), 1.0)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"memory: {(after - before) / len(prefixes):.0f} B/prefix (tracemalloc, retained)")


if __name__ == "__main__":
    run(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
    )
