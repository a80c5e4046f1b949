"""Decoding speed (a benchmark ingests 1M prefixes) and UPDATE packing."""

from __future__ import annotations

import time
from ipaddress import IPv4Address

from routesim.wire.bgp import (
    AsPath,
    Framer,
    Negotiated,
    NextHop,
    Origin,
    Prefix,
    Update,
    decode_message,
    pack_updates,
)

NEG = Negotiated(four_octet_as=True)
ATTRS = (Origin(0), AsPath.from_asns(65001, 65002), NextHop(IPv4Address("10.0.0.1")))


def _prefixes(n: int) -> list[Prefix]:
    # a mix of lengths, as in a real table: /24s, /22s, /16s, /32s
    lengths = (24, 22, 16, 32, 24, 20)
    out = []
    for i in range(n):
        length = lengths[i % len(lengths)]
        out.append(Prefix(((i * 2654435761) & 0xFFFFFFFF) & ~((1 << (32 - length)) - 1), length))
    return out


def test_pack_updates_fills_messages_and_keeps_order() -> None:
    prefixes = _prefixes(3000)
    withdrawn = _prefixes(1200)
    updates = pack_updates(ATTRS, prefixes, withdrawn, negotiated=NEG)
    sizes = [len(u.encode(NEG)) for u in updates]
    assert all(s <= 4096 for s in sizes)
    # greedy: each message is full, i.e. the first prefix of the next one of its kind did not fit
    for u, nxt, size in zip(updates, updates[1:], sizes, strict=False):
        if bool(u.nlri) == bool(nxt.nlri):
            first = (nxt.nlri or nxt.withdrawn)[0]
            assert size + 1 + (first.length + 7) // 8 > 4096
    assert [p for u in updates for p in u.withdrawn] == withdrawn
    assert [p for u in updates for p in u.nlri] == prefixes
    assert all(u.attributes == ATTRS for u in updates if u.nlri)
    assert pack_updates(ATTRS) == []


def test_decode_1000_prefixes_well_under_a_millisecond_per_100() -> None:
    data = Update(attributes=ATTRS, nlri=tuple(_prefixes(1000))).encode(
        Negotiated(four_octet_as=True, extended_message=True)
    )
    neg = Negotiated(four_octet_as=True, extended_message=True)
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        u = decode_message(data, neg)
        best = min(best, time.perf_counter() - start)
    assert len(u.nlri) == 1000
    per_100 = best / 10
    print(f"decode 1000-prefix UPDATE: {best * 1e3:.3f} ms ({per_100 * 1e6:.1f} us per 100 prefixes)")
    assert per_100 < 0.5e-3  # the target is 1 ms per 100; typically ~50 us


def test_ingest_100k_prefixes_through_the_framer() -> None:
    """100k prefixes in 4096-octet UPDATEs, fed in 64 KiB TCP chunks (1M takes ~10x as long)."""
    stream = b"".join(u.encode(NEG) for u in pack_updates(ATTRS, _prefixes(100_000), negotiated=NEG))
    start = time.perf_counter()
    framer = Framer()
    count = 0
    for pos in range(0, len(stream), 65536):
        for raw in framer.feed(stream[pos : pos + 65536]):
            count += len(decode_message(raw, NEG).nlri)
    elapsed = time.perf_counter() - start
    print(f"ingest 100k prefixes: {elapsed * 1e3:.0f} ms ({elapsed * 1e3:.1f} us per 100 prefixes)")
    assert count == 100_000
    assert elapsed < 2.0
