"""Netlink for the router process: interface state and the kernel FIB (pyroute2).

* :class:`LinkWatcher` wakes on RTMGRP_LINK/RTMGRP_IPV4_IFADDR notifications (a plain netlink
  socket registered with the loop) and re-reads interface state with pyroute2; an interface is up
  when it is administratively up *and* has carrier (IFF_LOWER_UP), so a peer's veth going down is
  seen within milliseconds.
* :class:`FibProgrammer` installs the RIB's selected routes with protocol number
  :data:`RTPROT_ROUTESIM` and metric :data:`ROUTE_PRIORITY`, replaces them on change, and flushes
  everything it installed on exit (routes the router did not install are never touched).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from pyroute2 import AsyncIPRoute

from routesim.rib.table import FibChange

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


async def read_links(ipr: AsyncIPRoute) -> dict[str, LinkState]:
    addrs: dict[int, list[str]] = {}
    async for a in await ipr.addr("dump", family=socket.AF_INET):
        addrs.setdefault(a["index"], []).append(f"{a.get('address')}/{a['prefixlen']}")
    out = {}
    async for link in await ipr.link("dump"):
        name = link.get("ifname")
        flags = link["flags"]
        out[name] = LinkState(
            name=name,
            index=link["index"],
            admin_up=bool(flags & _IFF_UP),
            carrier=bool(flags & _IFF_LOWER_UP) or name == "lo",
            mtu=link.get("mtu") or 0,
            mac=link.get("address"),
            addresses=tuple(addrs.get(link["index"], ())),
        )
    return out


class LinkWatcher:
    """Calls ``on_change(states)`` whenever the kernel reports a link or address change."""

    def __init__(self, ipr: AsyncIPRoute, on_change: Callable[[dict[str, LinkState]], None]) -> None:
        self._ipr = ipr
        self._on_change = on_change
        self._sock: socket.socket | None = None
        self._pending: asyncio.Task | None = None
        self._dirty = False
        self.states: dict[str, LinkState] = {}

    async def start(self) -> dict[str, LinkState]:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, 0)
        sock.bind((0, _RTMGRP_LINK | _RTMGRP_IPV4_IFADDR))
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)
        self.states = await read_links(self._ipr)
        return self.states

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            while self._sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        # A notification that arrives while a rescan runs may describe a change that rescan read
        # too early: mark dirty so the running rescan goes round once more.
        self._dirty = True
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._rescan())

    async def _rescan(self) -> None:
        while self._dirty:
            self._dirty = False
            self.states = await read_links(self._ipr)
            self._on_change(self.states)

    def close(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


class FibProgrammer:
    def __init__(self, ipr: AsyncIPRoute, index_of: Callable[[str], int | None]) -> None:
        self._ipr = ipr
        self._index_of = index_of
        self.errors = 0

    async def apply(self, change: FibChange) -> str:
        """Install/replace/remove one route; returns the action taken ("replace", "delete", "error: ...")."""
        net = change.prefix
        try:
            if change.route is None:
                await self._ipr.route(
                    "del",
                    dst=str(net.network_address),
                    dst_len=net.prefixlen,
                    proto=RTPROT_ROUTESIM,
                    priority=ROUTE_PRIORITY,
                )
                return "delete"
            hops = sorted(change.route.next_hops, key=lambda h: (str(h.gateway or ""), h.interface or ""))
            kw: dict = {
                "dst": str(net.network_address),
                "dst_len": net.prefixlen,
                "proto": RTPROT_ROUTESIM,
                "priority": ROUTE_PRIORITY,
            }
            if len(hops) == 1 and hops[0].interface == "blackhole":
                kw["type"] = "blackhole"
            elif len(hops) == 1:
                kw.update(self._hop(hops[0]))
            else:
                kw["multipath"] = [self._hop(h) for h in hops]
            await self._ipr.route("replace", **kw)
            return "replace"
        except Exception as e:  # the kernel said no (e.g. next hop gone meanwhile): count, log, go on
            if change.route is None and getattr(e, "code", None) == errno.ESRCH:
                return "gone"  # the kernel removed it already (its interface went down)
            self.errors += 1
            log.warning("FIB %s %s failed: %s", "delete" if change.route is None else "replace", net, e)
            return f"error: {e}"

    def _hop(self, hop) -> dict:
        d: dict = {}
        if hop.gateway is not None:
            d["gateway"] = str(hop.gateway)
        if hop.interface:
            idx = self._index_of(hop.interface)
            if idx is not None:
                d["oif"] = idx
        return d

    async def flush(self) -> int:
        """Remove every route this router installed (protocol RTPROT_ROUTESIM)."""
        n = 0
        routes = [r async for r in await self._ipr.route("dump", proto=RTPROT_ROUTESIM)]
        for r in routes:
            if r.get("proto") != RTPROT_ROUTESIM:
                continue
            try:
                await self._ipr.route(
                    "del",
                    dst=r.get("dst") or "0.0.0.0",
                    dst_len=r["dst_len"],
                    proto=RTPROT_ROUTESIM,
                    priority=r.get("priority") or ROUTE_PRIORITY,
                )
                n += 1
            except Exception as e:
                log.warning("flush of %s/%s failed: %s", r.get("dst"), r["dst_len"], e)
        return n


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
