"""Netlink for the router process: interface state and the kernel FIB (pyroute2).

* :class:`LinkWatcher` wakes on RTMGRP_LINK/RTMGRP_IPV4_IFADDR notifications (a plain netlink
  socket registered with the loop) and re-reads interface state (``rtnl.py``); an interface is up
  when it is administratively up *and* has carrier (IFF_LOWER_UP), so a peer's veth going down is
  seen within milliseconds.
* The RIB's selected routes are installed (``fibbatch.py``) with protocol number
  :data:`RTPROT_ROUTESIM` and metric :data:`ROUTE_PRIORITY`; :func:`flush_routes` removes every
  route of that protocol on start (a crashed predecessor's) and on exit, and no other route.
* :func:`read_fib` (inspection) reads the whole main table with pyroute2, which yields to the loop
  while it parses a large table.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from pyroute2 import AsyncIPRoute

from routesim.rib.table import FibChange
from routesim.router import rtnl

log = logging.getLogger(__name__)

#: Protocol number of routes routesim installs (``ip route show proto 201``; 42 is babel in iproute2's rt_protos).
RTPROT_ROUTESIM = 201
#: Kernel metric of our routes: above connected routes (0) so they never collide.
ROUTE_PRIORITY = 20

_RTMGRP_LINK = 0x1
_RTMGRP_IPV4_IFADDR = 0x10
_IFF_UP = 0x1
_IFF_LOWER_UP = 0x10000


@dataclass(frozen=True)
class LinkState:
    name: str
    index: int
    admin_up: bool
    carrier: bool
    mtu: int
    mac: str | None
    addresses: tuple[str, ...]

    @property
    def up(self) -> bool:
        return self.admin_up and self.carrier


def read_links() -> dict[str, LinkState]:
    """Every interface of this namespace with its IPv4 addresses (``rtnl.py``)."""
    addrs: dict[int, list[str]] = {}
    for index, address in rtnl.ipv4_addresses():
        addrs.setdefault(index, []).append(address)
    out = {}
    for name, index, flags, mtu, mac in rtnl.links():
        out[name] = LinkState(
            name=name,
            index=index,
            admin_up=bool(flags & _IFF_UP),
            carrier=bool(flags & _IFF_LOWER_UP) or name == "lo",
            mtu=mtu,
            mac=mac,
            addresses=tuple(addrs.get(index, ())),
        )
    return out


class LinkWatcher:
    """Calls ``on_change(states)`` whenever the kernel reports a link or address change."""

    def __init__(self, on_change: Callable[[dict[str, LinkState]], None]) -> None:
        self._on_change = on_change
        self._sock: socket.socket | None = None
        self.states: dict[str, LinkState] = {}

    def start(self) -> dict[str, LinkState]:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, 0)
        sock.bind((0, _RTMGRP_LINK | _RTMGRP_IPV4_IFADDR))
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)
        self.states = read_links()
        return self.states

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            while self._sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        # notifications are only a wake-up: the state is read afresh (the dump is synchronous, so a
        # change notified while it runs is either in it or wakes us again)
        self.states = read_links()
        self._on_change(self.states)

    def close(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


def flush_routes(index_of: Callable[[str], int | None]) -> int:
    """Remove every route this router's namespace holds with protocol :data:`RTPROT_ROUTESIM` (ours,
    or left by a crashed previous instance), in one batch per metric; returns how many went."""
    from routesim.router.fibbatch import FibBatcher

    by_metric: dict[int, list[FibChange]] = {}
    for prefix, metric in rtnl.routes_of(RTPROT_ROUTESIM):
        by_metric.setdefault(metric, []).append(FibChange(prefix, None))
    removed = 0
    for metric, changes in by_metric.items():
        batch = FibBatcher(RTPROT_ROUTESIM, metric, index_of)
        try:
            results = batch.apply(changes)
        finally:
            batch.close()
        for change, err in zip(changes, results, strict=True):
            if err and err != errno.ESRCH:
                log.warning("flush of %s failed: %s", change.prefix, os.strerror(err))
            else:
                removed += 1
    return removed


_PROTO_NAMES = {2: "kernel", 3: "boot", 4: "static", RTPROT_ROUTESIM: "routesim", 11: "zebra", 12: "bird"}


async def read_fib(ipr: AsyncIPRoute, names: dict[int, str]) -> list[dict]:
    """The main table's IPv4 routes in the inspection model's shape (multipath included)."""
    rows = []
    async for r in await ipr.route("dump", family=socket.AF_INET, table=254):
        if r.get("table") != 254 and r.get_attr("RTA_TABLE") != 254:
            continue
        dst = r.get("dst") or "0.0.0.0"
        hops = []
        mp = r.get("multipath")
        if mp:
            for h in mp:
                hops.append({"gateway": h.get("gateway"), "interface": names.get(h.get("oif"))})
        elif r["type"] == 6:
            hops.append({"gateway": None, "interface": "blackhole"})
        else:
            hops.append({"gateway": r.get("gateway"), "interface": names.get(r.get("oif"))})
        rows.append(
            {
                "prefix": f"{dst}/{r['dst_len']}",
                "protocol": _PROTO_NAMES.get(r["proto"], str(r["proto"])),
                "metric": r.get("priority") or 0,
                "next_hops": sorted(hops, key=lambda h: (h["gateway"] or "", h["interface"] or "")),
            }
        )
    return sorted(
        rows,
        key=lambda x: (
            tuple(int(o) for o in x["prefix"].split("/")[0].split(".")),
            int(x["prefix"].split("/")[1]),
        ),
    )
