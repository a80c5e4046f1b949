"""Adj-RIB-In and Adj-RIB-Out of one peer (RFC 4271 §3.2), sized for full tables.

A prefix is stored as one int, ``key = address << 6 | length`` (:func:`prefix_key`): smaller than a
``Prefix`` tuple or an ``IPv4Network`` and as fast to hash. Values are interned
:class:`~routesim.proto.bgp.path.PathAttrs` shared by every prefix of an UPDATE, so a route costs one
dict slot. Keys sort in address-then-length order.

``AdjRibIn.routes`` holds the routes *accepted* by the import policy (what the decision process
sees); prefixes the policy rejected are only remembered in ``rejected`` (for the received/accepted
counters and so that a later withdrawal is recognised). Keeping the pre-policy table as well (FRR's
soft-reconfiguration inbound) is not done: a ROUTE-REFRESH request gets the routes again.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network

from routesim.proto.bgp.path import PathAttrs
from routesim.wire.bgp import Prefix


def prefix_key(address: int, length: int) -> int:
    return (address << 6) | length


def key_prefix(key: int) -> Prefix:
    return Prefix(key >> 6, key & 63)


_NETMASKS = tuple(IPv4Address((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF) for n in range(33))


def _fast_network(key: int) -> IPv4Network:
    """``IPv4Network((address, length))`` without the parsing and validation (3x faster); used
    only when it builds an equal object (checked at import, so a changed ``ipaddress`` falls back)."""
    if key & 63 >= 31:  # ipaddress special-cases hosts() for /31 and /32
        return IPv4Network((key >> 6, key & 63))
    net = object.__new__(IPv4Network)
    net.network_address = IPv4Address(key >> 6)
    net.netmask = _NETMASKS[key & 63]
    net._prefixlen = key & 63
    return net


def _slow_network(key: int) -> IPv4Network:
    return IPv4Network((key >> 6, key & 63))


def _pick() -> Callable[[int], IPv4Network]:
    try:
        probe = (0xC0000200 << 6) | 24
        fast = _fast_network(probe)
        slow = _slow_network(probe)
        if fast == slow and hash(fast) == hash(slow) and str(fast) == str(slow) and fast.prefixlen == 24:
            return _fast_network
    except Exception:  # a future ipaddress with other internals: use the public constructor
        pass
    return _slow_network


#: Prefix key -> ``IPv4Network`` (the RIB's key type).
key_network = _pick()


def network_key(network: IPv4Network) -> int:
    return (int(network.network_address) << 6) | network.prefixlen


def key_str(key: int) -> str:
    a = key >> 6
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}/{key & 63}"


class AdjRibIn:
    """Routes received from one peer, after the import policy."""

    __slots__ = ("received_total", "rejected", "routes")

    def __init__(self) -> None:
        self.routes: dict[int, PathAttrs] = {}
        self.rejected: set[int] = set()
        #: Prefixes announced by the peer over the session's life (for counters).
        self.received_total = 0

    @property
    def received(self) -> int:
        """Prefixes the peer currently announces (accepted + rejected by policy)."""
        return len(self.routes) + len(self.rejected)

    @property
    def accepted(self) -> int:
        return len(self.routes)

    def clear(self) -> list[int]:
        """Forget everything (session down); return the keys that had accepted routes."""
        keys = list(self.routes)
        self.routes = {}
        self.rejected = set()
        return keys


class AdjRibOut:
    """What we advertised to one peer: key -> the attributes as sent (before 2-octet mapping)."""

    __slots__ = ("routes",)

    def __init__(self) -> None:
        self.routes: dict[int, PathAttrs] = {}

    def __len__(self) -> int:
        return len(self.routes)
