"""Read a namespace's kernel state in the inspection model's JSON shapes.

``read_fib`` returns the IPv4 main table (table 254) as
``{"prefix", "protocol", "metric", "next_hops": [{"gateway", "interface"}]}`` with ECMP
(``RTA_MULTIPATH``) next hops listed in the kernel's order; routes that are not unicast carry
``"type"`` (``blackhole``, ``unreachable``, ``prohibit``) and no next hops. ``protocol`` is the
name of the ``rtm_protocol`` number where one is known (see :data:`RTPROT_NAMES`), else the
number. routesim's router installs its routes with :data:`RTPROT_ROUTESIM`.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from routesim.lab import netns as nsx

#: rtm_protocol of routes installed by routesim's router (unassigned in iproute2's rt_protos).
from routesim.router.netlink import RTPROT_ROUTESIM

RTPROT_NAMES: dict[int, str] = {
    2: "kernel",
    3: "boot",
    4: "static",
    11: "zebra",
    12: "bird",
    186: "bgp",  # FRR's zebra
    188: "ospf",
    189: "rip",
    196: "static",  # FRR staticd
    RTPROT_ROUTESIM: "routesim",
}
_RTN_TYPES = {1: "unicast", 6: "blackhole", 7: "unreachable", 8: "prohibit"}
IFF_UP = 0x1


@contextlib.contextmanager
def _ipr(netns: str | None, ipr: Any) -> Any:
    if ipr is not None:
        yield ipr
        return
    own = nsx.iproute(netns)
    try:
        yield own
    finally:
        own.close()


def _ifnames(ipr: Any) -> dict[int, str]:
    return {link["index"]: link.get("ifname") for link in ipr.get_links()}


def read_fib(netns: str | None, *, table: int = 254, ipr: Any = None) -> list[dict[str, Any]]:
    """IPv4 routes of ``table`` in namespace ``netns`` (None: the caller's), sorted by prefix."""
    with _ipr(netns, ipr) as ip:
        names = _ifnames(ip)
        out = []
        for r in ip.get_routes(family=socket.AF_INET, table=table):
            if r.get("table") != table:
                continue
            prefix = f"{r.get('dst') or '0.0.0.0'}/{r['dst_len']}"
            proto = r["proto"]
            entry: dict[str, Any] = {
                "prefix": prefix,
                "protocol": RTPROT_NAMES.get(proto, proto),
                "metric": r.get("priority") or 0,
                "next_hops": [],
            }
            rtype = _RTN_TYPES.get(r["type"], r["type"])
            if rtype != "unicast":
                entry["type"] = rtype
            mp = r.get("multipath")
            if mp:
                for hop in mp:
                    entry["next_hops"].append(
                        {"gateway": hop.get("gateway"), "interface": names.get(hop["oif"], hop["oif"])}
                    )
            elif rtype == "unicast":
                oif = r.get("oif")
                entry["next_hops"].append(
                    {"gateway": r.get("gateway"), "interface": names.get(oif, oif) if oif else None}
                )
            out.append(entry)
    out.sort(key=lambda e: (_prefix_key(e["prefix"]), e["metric"]))
    return out


def _prefix_key(prefix: str) -> tuple[int, int]:
    addr, plen = prefix.split("/")
    a = int.from_bytes(socket.inet_aton(addr), "big")
    return (a, int(plen))


def read_interfaces(netns: str | None, *, ipr: Any = None) -> list[dict[str, Any]]:
    """Interfaces of namespace ``netns``: name, index, admin state, carrier, MTU, IPv4 addresses, MAC."""
    with _ipr(netns, ipr) as ip:
        addrs: dict[int, list[str]] = {}
        for a in ip.get_addr(family=socket.AF_INET):
            addrs.setdefault(a["index"], []).append(f"{a.get('address')}/{a['prefixlen']}")
        out = []
        for link in ip.get_links():
            out.append(
                {
                    "name": link.get("ifname"),
                    "index": link["index"],
                    "state": "up" if link["flags"] & IFF_UP else "down",
                    "carrier": bool(link.get("carrier")),
                    "mtu": link.get("mtu"),
                    "addresses": addrs.get(link["index"], []),
                    "mac": link.get("address"),
                }
            )
    out.sort(key=lambda i: i["index"])
    return out
