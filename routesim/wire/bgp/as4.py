"""4-octet AS numbers toward and from 2-octet ("OLD") speakers (RFC 6793 §4.2).

- ``for_old_speaker(attrs)`` (§4.2.2): AS_PATH with every AS above 65535 replaced by AS_TRANS
  (23456), plus AS4_PATH with the true path when any was replaced (confederation segments are left
  out of AS4_PATH); AGGREGATOR likewise with AS4_AGGREGATOR.
- ``from_old_speaker(attrs)`` (§4.2.3): the reverse on receipt: AS4_AGGREGATOR replaces an
  AGGREGATOR of AS_TRANS; if AGGREGATOR holds a real AS, AS4_PATH and AS4_AGGREGATOR are ignored;
  otherwise ``merge_as_paths`` rebuilds the path. AS4_* attributes are removed from the result.

Both take and return a tuple of attributes (order kept, AS4_* appended after the last attribute).
"""

from __future__ import annotations

from routesim.wire.bgp.attributes import (
    Aggregator,
    As4Aggregator,
    As4Path,
    AsPath,
    AsPathSegment,
    Attribute,
    SegmentType,
)
from routesim.wire.bgp.open import AS_TRANS

_CONFED = (SegmentType.AS_CONFED_SEQUENCE, SegmentType.AS_CONFED_SET)


def _trans(asn: int) -> int:
    return asn if asn <= 0xFFFF else AS_TRANS


def for_old_speaker(attrs: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    """Attributes to send to a peer without the 4-octet AS capability (RFC 6793 §4.2.2)."""
    out: list[Attribute] = []
    extra: list[Attribute] = []
    for attr in attrs:
        if isinstance(attr, As4Path | As4Aggregator):
            continue  # rebuilt below from the real values
        if type(attr) is AsPath:
            mapped = AsPath(
                tuple(AsPathSegment(s.type, tuple(_trans(a) for a in s.asns)) for s in attr.segments),
                wire_flags=attr.wire_flags,
            )
            out.append(mapped)
            if mapped != attr:
                extra.append(As4Path(tuple(s for s in attr.segments if s.type not in _CONFED)))
        elif type(attr) is Aggregator:
            out.append(Aggregator(_trans(attr.asn), attr.address, wire_flags=attr.wire_flags))
            if attr.asn > 0xFFFF:
                extra.append(As4Aggregator(attr.asn, attr.address))
        else:
            out.append(attr)
    return tuple(out + extra)


def merge_as_paths(as_path: AsPath, as4_path: AsPath) -> AsPath:
    """RFC 6793 §4.2.3: keep AS_PATH's leading ASes beyond AS4_PATH's count, then AS4_PATH.

    Counting follows RFC 4271 §9.1.2.2 (AS_SET = 1, confederation segments = 0). If AS_PATH is
    shorter than AS4_PATH, AS4_PATH is ignored. A confederation segment is kept when it leads the
    path or follows a segment that was kept.
    """
    need = as_path.path_length() - as4_path.path_length()
    if need < 0:
        return AsPath(as_path.segments)
    taken: list[AsPathSegment] = []
    prev_taken = True  # "leading segment" counts as adjacent to the start
    for seg in as_path.segments:
        if seg.type in _CONFED:
            if not prev_taken:
                break
            taken.append(seg)
            continue
        if need == 0:
            break
        if seg.type == SegmentType.AS_SET:
            taken.append(seg)
            need -= 1
        else:
            k = min(need, len(seg.asns))
            taken.append(AsPathSegment(seg.type, seg.asns[:k]))
            need -= k
            if k < len(seg.asns):
                break
        prev_taken = True
    segments = list(taken)
    for seg in as4_path.segments:
        last = segments[-1] if segments else None
        if (
            last is not None
            and last.type == seg.type == SegmentType.AS_SEQUENCE
            and len(last.asns) + len(seg.asns) <= 255
        ):
            segments[-1] = AsPathSegment(SegmentType.AS_SEQUENCE, last.asns + seg.asns)
        else:
            segments.append(AsPathSegment(seg.type, seg.asns))
    return AsPath(tuple(segments))


def from_old_speaker(attrs: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    """Attributes received from a 2-octet speaker with the true 4-octet AS path (RFC 6793 §4.2.3)."""
    as4_path = next((a for a in attrs if isinstance(a, As4Path)), None)
    as4_agg = next((a for a in attrs if isinstance(a, As4Aggregator)), None)
    agg = next((a for a in attrs if type(a) is Aggregator), None)
    use_as4 = agg is None or agg.asn == AS_TRANS
    out: list[Attribute] = []
    for attr in attrs:
        if isinstance(attr, As4Path | As4Aggregator):
            continue
        if use_as4 and type(attr) is AsPath and as4_path is not None:
            out.append(merge_as_paths(attr, as4_path))
        elif use_as4 and type(attr) is Aggregator and as4_agg is not None:
            out.append(Aggregator(as4_agg.asn, as4_agg.address))
        else:
            out.append(attr)
    return tuple(out)
