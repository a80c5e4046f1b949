"""Data-plane checks of ``expect:`` entries with the real ``ping`` and ``traceroute`` of a host.

``reach``: the target answers pings, and when ``via`` is given, traceroute's hops, mapped back to
the nodes that own those addresses, are exactly the ``via`` routers in order. ``unreachable``: no
ping reply comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from routesim.topology.model import Expect, Topology

_RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
_LOSS = re.compile(r"(\d+) packets transmitted, (\d+) received")
_HOP = re.compile(r"^\s*(\d+)\s+(\S+)")


@dataclass
class ReachResult:
    expect: Expect
    ok: bool
    sent: int = 0
    received: int = 0
    rtt_avg_ms: float | None = None
    rtt_min_ms: float | None = None
    rtt_max_ms: float | None = None
    hops: list[str] = field(default_factory=list)  # addresses ('*' for no answer)
    path: list[str] = field(default_factory=list)  # node names owning the hops
    message: str = ""

    def to_json(self) -> dict:
        e = self.expect
        return {
            "kind": e.kind,
            "from": e.source,
            "to": str(e.target),
            "via": list(e.via) if e.via else None,
            "ok": self.ok,
            "sent": self.sent,
            "received": self.received,
            "rtt_avg_ms": self.rtt_avg_ms,
            "rtt_min_ms": self.rtt_min_ms,
            "rtt_max_ms": self.rtt_max_ms,
            "hops": self.hops,
            "path": self.path,
            "message": self.message,
        }


def node_of(topo: Topology, addr: str) -> str:
    try:
        owner = topo.owner_of(IPv4Address(addr))
    except ValueError:
        return addr
    return owner[0].name if owner else addr


def ping(
    lab, node: str, target: IPv4Address, count: int = 5, interval: float = 0.2
) -> tuple[int, int, tuple | None]:
    cp = lab.exec(
        node,
        ["ping", "-n", "-c", str(count), "-i", str(interval), "-W", "1", str(target)],
        timeout=count * interval + 10,
    )
    m = _LOSS.search(cp.stdout)
    sent, recv = (int(m.group(1)), int(m.group(2))) if m else (count, 0)
    r = _RTT.search(cp.stdout)
    rtt = tuple(float(x) for x in r.groups()) if r else None
    return sent, recv, rtt


def traceroute(lab, node: str, target: IPv4Address, max_hops: int = 16) -> list[str]:
    cp = lab.exec(
        node,
        ["traceroute", "-n", "-q", "1", "-w", "1", "-m", str(max_hops), str(target)],
        timeout=max_hops * 2 + 10,
    )
    hops = []
    for line in cp.stdout.splitlines()[1:]:
        m = _HOP.match(line)
        if m:
            hops.append(m.group(2))
    return hops


def check_expect(lab, e: Expect, *, check_path: bool = True) -> ReachResult:
    topo = lab.topo
    if e.kind == "unreachable":
        sent, recv, _ = ping(lab, e.source, e.target, count=3)
        ok = recv == 0
        return ReachResult(
            e,
            ok,
            sent,
            recv,
            message="" if ok else f"{e.source} -> {e.target}: expected no reply, got {recv}",
        )
    sent, recv, rtt = ping(lab, e.source, e.target)
    res = ReachResult(e, recv > 0, sent, recv)
    if rtt:
        res.rtt_min_ms, res.rtt_avg_ms, res.rtt_max_ms = rtt[0], rtt[1], rtt[2]
    if e.via is not None or res.ok:
        res.hops = traceroute(lab, e.source, e.target)
        res.path = [node_of(topo, h) for h in res.hops]
        # the last hop is the target itself; routers on the way are the others
        on_the_way = res.path[:-1] if res.hops and res.hops[-1] == str(e.target) else res.path
        if check_path and e.via is not None and list(on_the_way) != list(e.via):
            res.ok = False
            res.message = f"{e.source} -> {e.target}: path {' > '.join(on_the_way) or '-'}, expected {' > '.join(e.via)}"
    if recv == 0:
        res.message = res.message or f"{e.source} -> {e.target}: no ping reply ({sent} sent)"
    return res
