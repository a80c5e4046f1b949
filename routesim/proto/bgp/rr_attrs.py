"""ORIGINATOR_ID (type 9) and CLUSTER_LIST (type 10) for route reflection (RFC 4456 §8).

The wire codec keeps both as opaque ``UnknownAttribute`` values; this module turns them into
addresses and back. Both are optional non-transitive (flags 0x80). A malformed value (ORIGINATOR_ID
not 4 octets, CLUSTER_LIST not a multiple of 4) is handled as RFC 7606 §7.9/§7.10 says:
treat-as-withdraw; :func:`decode` reports it by raising ``ValueError``.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from routesim.wire.bgp import AttrFlags, AttrType, UnknownAttribute

ORIGINATOR_ID = int(AttrType.ORIGINATOR_ID)
CLUSTER_LIST = int(AttrType.CLUSTER_LIST)
_FLAGS = int(AttrFlags.OPTIONAL)


def decode_originator_id(value: bytes) -> IPv4Address:
    if len(value) != 4:
        raise ValueError(f"ORIGINATOR_ID of {len(value)} octets")
    return IPv4Address(value)


def decode_cluster_list(value: bytes) -> tuple[IPv4Address, ...]:
    if len(value) % 4:
        raise ValueError(f"CLUSTER_LIST of {len(value)} octets")
    return tuple(IPv4Address(value[i : i + 4]) for i in range(0, len(value), 4))


def originator_id_attribute(address: IPv4Address) -> UnknownAttribute:
    return UnknownAttribute(ORIGINATOR_ID, _FLAGS, address.packed)


def cluster_list_attribute(clusters: tuple[IPv4Address, ...]) -> UnknownAttribute:
    return UnknownAttribute(CLUSTER_LIST, _FLAGS, b"".join(c.packed for c in clusters))
