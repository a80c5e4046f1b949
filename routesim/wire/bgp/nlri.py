"""IPv4 prefixes as carried in Withdrawn Routes, NLRI and MP_(UN)REACH_NLRI (RFC 4271 §4.3).

Each prefix is a length in bits and the minimal number of octets (``ceil(length / 8)``); trailing
bits of the last octet are irrelevant (§4.3) and are cleared on decode. A length above 32 or a prefix
running past its field is a syntax error of the field (§6.3: Invalid Network Field, 3/10).

Speed: a ``Prefix`` is a ``NamedTuple`` of two ints (address as an int, length), built in one tight
loop; ``ipaddress`` objects are only made on request (``Prefix.network``). ``decode_prefix_keys``
skips even the tuple: each prefix is one int, ``address << 6 | length`` (the engine's table key).
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import NamedTuple

_MASKS = tuple((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF for n in range(33))
#: Left shift that puts the ceil(n/8) octets of an n-bit prefix in place.
_SHIFTS = tuple(32 - 8 * ((n + 7) >> 3) for n in range(33))
#: Octets of an n-bit prefix (``ceil(n/8)``).
_OCTETS = tuple((n + 7) >> 3 for n in range(33))


class Prefix(NamedTuple):
    """An IPv4 prefix: ``address`` (int, host bits clear) and ``length`` (0..32)."""

    address: int
    length: int

    @classmethod
    def from_network(cls, network: IPv4Network | str) -> Prefix:
        net = IPv4Network(network)
        return cls(int(net.network_address), net.prefixlen)

    @property
    def network(self) -> IPv4Network:
        return IPv4Network((self.address, self.length))

    def __str__(self) -> str:
        a = self.address
        return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}/{self.length}"


class InvalidPrefix(Exception):
    """Raised by ``decode_prefixes``; callers turn it into the RFC error fitting the field."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} at offset {offset}")
        self.offset = offset
        self.reason = reason


def decode_prefixes(data: bytes, start: int = 0, end: int | None = None) -> list[Prefix]:
    """Decode ``data[start:end]`` as a run of prefixes; raise ``InvalidPrefix`` on a bad one."""
    if end is None:
        end = len(data)
    out: list[Prefix] = []
    append = out.append
    from_bytes = int.from_bytes
    new = tuple.__new__
    masks, shifts, octets = _MASKS, _SHIFTS, _OCTETS
    cls = Prefix
    i = start
    try:
        while i < end:
            length = data[i]
            j = i + 1 + octets[length]  # IndexError: length > 32
            if j > end:
                raise InvalidPrefix(i, "prefix overruns its field")
            append(new(cls, ((from_bytes(data[i + 1 : j], "big") << shifts[length]) & masks[length], length)))
            i = j
    except IndexError:
        raise InvalidPrefix(i, f"prefix length {data[i]}") from None
    return out


#: Per length: the shift and mask that turn the prefix's octets into ``address << 6`` directly.
_KEY_SHIFTS = tuple(s + 6 for s in _SHIFTS)
_KEY_MASKS = tuple(m << 6 for m in _MASKS)


def decode_prefix_keys(data: bytes, start: int, end: int) -> list[int] | None:
    """``decode_prefixes`` as keys (``address << 6 | length``); None instead of ``InvalidPrefix``
    (the caller decodes again with ``decode_prefixes`` for the error)."""
    out: list[int] = []
    append = out.append
    from_bytes = int.from_bytes
    shifts, masks, octets = _KEY_SHIFTS, _KEY_MASKS, _OCTETS
    i = start
    while i < end:
        length = data[i]
        if length > 32:
            return None
        j = i + 1 + octets[length]
        if j > end:
            return None
        append(((from_bytes(data[i + 1 : j], "big") << shifts[length]) & masks[length]) | length)
        i = j
    return out


def encode_prefixes(prefixes: tuple[Prefix, ...] | list[Prefix]) -> bytes:
    """Mirror of ``decode_prefixes``. A prefix with host bits set is our bug: ``ValueError``."""
    out = bytearray()
    for address, length in prefixes:
        if not 0 <= length <= 32 or address & ~_MASKS[length] or not 0 <= address <= 0xFFFFFFFF:
            raise ValueError(f"invalid prefix {address:#x}/{length}")
        n = (length + 7) >> 3
        out.append(length)
        out += (address >> (32 - 8 * n)).to_bytes(n, "big")
    return bytes(out)


def prefix_size(prefix: Prefix) -> int:
    """Octets ``prefix`` takes on the wire."""
    return 1 + ((prefix[1] + 7) >> 3)
