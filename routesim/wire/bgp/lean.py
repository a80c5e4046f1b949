"""The ordinary UPDATE decoded straight into values: the hot path of a full-table load.

``decode_lean(message, negotiated)`` returns a :class:`LeanUpdate` (prefixes as int keys
``address << 6 | length``, attributes as plain values) when the message is entirely ordinary, and
None when it needs ``Update.decode``. "Ordinary" means:

* a 4-octet-AS session (a 2-octet one needs RFC 6793 merging, done on ``Update``);
* only ORIGIN, AS_PATH, NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF and COMMUNITIES, each at most once;
* nothing wrong: the checks are those of ``update.py`` and ``attributes.py`` (field lengths
  §6.3 / RFC 7606 §4, prefixes §4.3, flags §4.3 / RFC 7606 §3 c, attribute lengths and values:
  ORIGIN 0-2, NEXT_HOP a unicast host, AS_PATH segments RFC 7606 §7.2, COMMUNITIES a non-zero
  multiple of 4), plus the mandatory ORIGIN, AS_PATH, NEXT_HOP (and LOCAL_PREF on iBGP) when
  NLRI is present;
* attributes only with NLRI (a withdrawal-only UPDATE has none at all).

Anything else, a malformed message above all, gives None, and the caller decodes the same bytes with
``Update.decode``, which reports the error with its NOTIFICATION code, subcode, data and RFC 7606
handling. So the lean decoder never changes a reaction; it only skips building ``Update``,
``Prefix`` and attribute objects for the messages that have nothing to report, and gives values
equal to what ``Update.decode`` would give.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import NamedTuple

from routesim.wire.bgp.attributes import (
    _BAD_NEXT_HOP_FIRST_OCTET,
    _ORIGIN_TYPES,
    _SEGMENT_TYPES,
    _UNPACK_AS4,
    AsPath,
    AsPathSegment,
)
from routesim.wire.bgp.framing import MARKER
from routesim.wire.bgp.negotiated import Negotiated
from routesim.wire.bgp.nlri import decode_prefix_keys


class LeanUpdate(NamedTuple):
    """An ordinary UPDATE. Prefixes are keys ``address << 6 | length``; the attributes are None
    (empty ``communities``) when absent, all of them when ``nlri`` is empty."""

    withdrawn: list[int]
    nlri: list[int]
    origin: int | None
    as_path: AsPath | None
    next_hop: IPv4Address | None
    med: int | None
    local_pref: int | None
    communities: tuple[int, ...]


_new = object.__new__
_from_bytes = int.from_bytes
_new_tuple = tuple.__new__
_set_path_segments = object.__setattr__
_SEG_TYPE = AsPathSegment.__dict__["type"].__set__  # slot setters: no frozen __setattr__
_SEG_ASNS = AsPathSegment.__dict__["asns"].__set__
#: NEXT_HOP value (int) -> one shared ``IPv4Address`` (a table has few next hops); bounded.
_NEXT_HOPS: dict[int, IPv4Address] = {}
#: Mandatory attributes as bits of the type codes seen: ORIGIN, AS_PATH, NEXT_HOP (+ LOCAL_PREF).
_REQUIRED_EBGP = (1 << 1) | (1 << 2) | (1 << 3)
_REQUIRED_IBGP = _REQUIRED_EBGP | (1 << 5)


def _segment(stype: int, asns: tuple[int, ...]) -> AsPathSegment:
    seg = _new(AsPathSegment)
    _SEG_TYPE(seg, _SEGMENT_TYPES[stype])
    _SEG_ASNS(seg, asns)
    return seg


def _as_path(data: bytes, pos: int, end: int) -> AsPath | None:
    """AS_PATH of 4-octet AS numbers in ``data[pos:end]`` (``AsPath.decode_value``'s checks)."""
    count = data[pos + 1] if end - pos >= 2 else 0
    if data[pos] == 2 and count and end - pos == 2 + 4 * count:  # the usual: one AS_SEQUENCE
        path = _new(AsPath)
        _set_path_segments(path, "segments", (_segment(2, _UNPACK_AS4[count](data, pos + 2)),))
        return path
    segments = []
    while pos < end:
        if end - pos < 2:
            return None
        stype, count = data[pos], data[pos + 1]
        if not 1 <= stype <= 4 or count == 0:
            return None
        stop = pos + 2 + 4 * count
        if stop > end:
            return None
        segments.append(_segment(stype, _UNPACK_AS4[count](data, pos + 2)))
        pos = stop
    path = _new(AsPath)
    _set_path_segments(path, "segments", tuple(segments))
    return path


def decode_lean(data: bytes, negotiated: Negotiated) -> LeanUpdate | None:
    """Decode one whole UPDATE (header included) if it is ordinary (see the module doc), else None."""
    n = len(data)
    if not (
        negotiated.four_octet_as
        and n >= 23
        and (n <= 4096 or negotiated.extended_message)  # the limit of negotiated.max_message_length
        and data[18] == 2
        and ((data[16] << 8) | data[17]) == n
        and data[:16] == MARKER
    ):
        return None
    wend = 21 + ((data[19] << 8) | data[20])
    if wend + 2 > n:
        return None
    astart = wend + 2
    aend = astart + ((data[wend] << 8) | data[wend + 1])
    if aend > n:
        return None
    if wend > 21:
        withdrawn = decode_prefix_keys(data, 21, wend)
        if withdrawn is None:
            return None
    else:
        withdrawn = []
    nlri = decode_prefix_keys(data, aend, n)
    if nlri is None:
        return None
    if astart == aend:
        if nlri:
            return None  # NLRI without ORIGIN, AS_PATH, NEXT_HOP: Update.decode's treat-as-withdraw
        return _new_tuple(LeanUpdate, (withdrawn, nlri, None, None, None, None, None, ()))
    if not nlri:
        return None
    attrs = _attributes_in_order(data, astart, aend, negotiated.internal)
    if attrs is None:
        attrs = _attributes_any(data, astart, aend, _REQUIRED_IBGP if negotiated.internal else _REQUIRED_EBGP)
        if attrs is None:
            return None
    return _new_tuple(LeanUpdate, (withdrawn, nlri, *attrs))


def _next_hop(value: int) -> IPv4Address:
    next_hop = _NEXT_HOPS.get(value)
    if next_hop is None:
        if len(_NEXT_HOPS) >= 4096:
            _NEXT_HOPS.clear()
        next_hop = _NEXT_HOPS[value] = IPv4Address(value)
    return next_hop


_Attrs = tuple[int | None, AsPath | None, IPv4Address | None, int | None, int | None, tuple[int, ...]]


def _attributes_in_order(data: bytes, pos: int, end: int, internal: bool) -> _Attrs | None:
    """The attributes as nearly every speaker sends them: ORIGIN, AS_PATH, NEXT_HOP, then maybe MED,
    LOCAL_PREF, COMMUNITIES, in that order, with plain flags (no Extended Length, no Partial, low bits
    clear). None if the field is anything else (``_attributes_any`` then decides)."""
    # ORIGIN: 40 01 01 v
    if pos + 4 > end or not data.startswith(b"\x40\x01\x01", pos) or data[pos + 3] > 2:
        return None
    origin = _ORIGIN_TYPES[data[pos + 3]]
    pos += 4
    # AS_PATH: 40 02 len segments (one AS_SEQUENCE inline)
    if pos + 3 > end or data[pos] != 0x40 or data[pos + 1] != 2:
        return None
    vstart = pos + 3
    pos = vstart + data[pos + 2]
    if pos > end or pos - vstart < 2:
        return None
    as_path = _as_path(data, vstart, pos)
    if as_path is None:
        return None
    # NEXT_HOP: 40 03 04 a.b.c.d, a unicast host address
    if (
        pos + 7 > end
        or not data.startswith(b"\x40\x03\x04", pos)
        or data[pos + 3] in _BAD_NEXT_HOP_FIRST_OCTET
    ):
        return None
    next_hop = _next_hop(_from_bytes(data[pos + 3 : pos + 7], "big"))
    pos += 7
    med = local_pref = None
    communities: tuple[int, ...] = ()
    if pos < end:
        if data.startswith(b"\x80\x04\x04", pos):  # MULTI_EXIT_DISC
            if pos + 7 > end:
                return None
            med = _from_bytes(data[pos + 3 : pos + 7], "big")
            pos += 7
        if pos < end and data.startswith(b"\x40\x05\x04", pos):  # LOCAL_PREF
            if pos + 7 > end:
                return None
            local_pref = _from_bytes(data[pos + 3 : pos + 7], "big")
            pos += 7
        if pos < end and data.startswith(b"\xc0\x08", pos):  # COMMUNITIES
            if pos + 3 > end:
                return None
            size = data[pos + 2]
            vstart = pos + 3
            pos = vstart + size
            if pos > end or not size or size & 3:
                return None
            communities = _UNPACK_AS4[size >> 2](data, vstart)
        if pos != end:
            return None
    if internal and local_pref is None:
        return None
    return origin, as_path, next_hop, med, local_pref, communities


def _attributes_any(data: bytes, pos: int, aend: int, required: int) -> _Attrs | None:
    """Any order and flags that ``decode_attributes`` accepts without an error."""
    origin = as_path = next_hop = med = local_pref = None
    communities: tuple[int, ...] = ()
    seen = 0
    while pos < aend:
        if aend - pos < 3:
            return None
        flags, code = data[pos], data[pos + 1]
        if flags & 0x10:
            if aend - pos < 4:
                return None
            vstart = pos + 4
            vend = vstart + ((data[pos + 2] << 8) | data[pos + 3])
        else:
            vstart = pos + 3
            vend = vstart + data[pos + 2]
        if vend > aend or code > 8:
            return None
        bit = 1 << code
        if seen & bit:
            return None
        seen |= bit
        size = vend - vstart
        # Flags as ``decode_attributes`` wants them (RFC 4271 §4.3): well-known ones transitive and
        # neither optional nor partial; MED optional non-transitive; COMMUNITIES optional transitive.
        if code == 2:
            if flags & 0xE0 != 0x40:
                return None
            as_path = _as_path(data, vstart, vend)
            if as_path is None:
                return None
        elif code == 3:
            if flags & 0xE0 != 0x40 or size != 4 or data[vstart] in _BAD_NEXT_HOP_FIRST_OCTET:
                return None
            next_hop = _next_hop(_from_bytes(data[vstart:vend], "big"))
        elif code == 1:
            if flags & 0xE0 != 0x40 or size != 1 or data[vstart] > 2:
                return None
            origin = _ORIGIN_TYPES[data[vstart]]
        elif code == 8:
            if flags & 0xC0 != 0xC0 or not size or size & 3 or size > 1020:
                return None
            communities = _UNPACK_AS4[size >> 2](data, vstart)
        elif code == 4:
            if flags & 0xE0 != 0x80 or size != 4:
                return None
            med = _from_bytes(data[vstart:vend], "big")
        elif code == 5:
            if flags & 0xE0 != 0x40 or size != 4:
                return None
            local_pref = _from_bytes(data[vstart:vend], "big")
        else:
            return None
        pos = vend
    if seen & required != required:
        return None
    return origin, as_path, next_hop, med, local_pref, communities
