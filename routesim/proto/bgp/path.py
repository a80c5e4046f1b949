"""``PathAttrs``: the path attributes of a route, interned and shared by every prefix that has them.

One UPDATE carries one attribute set for all its prefixes; the engine turns it into one
``PathAttrs`` (``from_wire``) and interns it, so a million prefixes from one peer cost a pointer
each. Import/export policies produce new ``PathAttrs`` through ``replace`` and intern them again.

``next_hop`` is ``None`` for routes we originate (it becomes our session address on export).
``extra`` holds what is passed on unchanged: ATOMIC_AGGREGATE, AGGREGATOR and unknown optional
transitive attributes (RFC 4271 §5, with Partial set by ``attributes_for_propagation``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from routesim.proto.bgp import rr_attrs
from routesim.wire.bgp import (
    NO_ADVERTISE,
    NO_EXPORT,
    NO_EXPORT_SUBCONFED,
    AsPath,
    Attribute,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    OriginType,
    SegmentType,
    UnknownAttribute,
    attributes_for_propagation,
)
from routesim.wire.bgp.attributes import format_community

_AS_SEQUENCE = SegmentType.AS_SEQUENCE
ORIGIN_NAMES = {0: "igp", 1: "egp", 2: "incomplete"}
_EMPTY_PATH = AsPath()


@dataclass(frozen=True, slots=True)
class PathAttrs:
    origin: int = OriginType.IGP
    as_path: AsPath = _EMPTY_PATH
    next_hop: IPv4Address | None = None
    med: int | None = None
    local_pref: int | None = None
    communities: tuple[int, ...] = ()
    originator_id: IPv4Address | None = None
    cluster_list: tuple[IPv4Address, ...] = ()
    extra: tuple[Attribute, ...] = ()
    # Derived once (slots, no per-object dict: a full table holds hundreds of thousands of these).
    path_length: int = field(default=0, init=False, repr=False, compare=False)
    #: RFC 4271 §9.1.2.2 c: the first AS of the path (None for a path originated in our AS).
    neighbor_as: int | None = field(default=None, init=False, repr=False, compare=False)
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        path_length, neighbor_as, h = _derived(
            self.origin, self.as_path, self.next_hop, self.med, self.local_pref, self.communities,
            self.originator_id, self.cluster_list, self.extra,
        )  # fmt: skip
        set_(self, "path_length", path_length)
        set_(self, "neighbor_as", neighbor_as)
        set_(self, "_hash", h)

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def from_wire(
        cls,
        attributes: tuple[Attribute, ...],
        *,
        local_pref: int | None = None,
        external: bool = False,
    ) -> PathAttrs:
        """From decoded UPDATE attributes (after RFC 6793 merging). ``external``: learned over eBGP,
        so LOCAL_PREF is ignored (RFC 4271 §5.1.5) and ORIGINATOR_ID/CLUSTER_LIST dropped (RFC 4456
        §8: iBGP only); ``local_pref`` replaces a missing (or ignored) LOCAL_PREF. ``ValueError``: a
        malformed ORIGINATOR_ID/CLUSTER_LIST (RFC 7606 §7.9, §7.10: treat-as-withdraw)."""
        origin, as_path, next_hop, med, lp = OriginType.IGP, _EMPTY_PATH, None, None, None
        communities: tuple[int, ...] = ()
        originator, clusters = None, ()
        mp_next_hop = None
        extra: list[Attribute] = []
        for a in attributes:
            t = type(a)
            if t is Origin:
                origin = a.value
            elif t is AsPath:
                as_path = a if a.wire_flags is None else AsPath(a.segments)
            elif t is NextHop:
                next_hop = a.address
            elif t is MultiExitDisc:
                med = a.value
            elif t is LocalPref:
                lp = a.value
            elif t is Communities:
                communities = a.values
            elif t is UnknownAttribute and a.type_code == rr_attrs.ORIGINATOR_ID:
                originator = rr_attrs.decode_originator_id(a.value)
            elif t is UnknownAttribute and a.type_code == rr_attrs.CLUSTER_LIST:
                clusters = rr_attrs.decode_cluster_list(a.value)
            elif t is MpReachNlri:
                # RFC 4760 §3: IPv4 unicast NLRI in MP_REACH_NLRI come with its own next hop.
                if isinstance(a.next_hop, IPv4Address) and (a.afi, a.safi) == (1, 1):
                    mp_next_hop = a.next_hop
            elif t is not MpUnreachNlri:
                extra.append(a)
        if next_hop is None:
            next_hop = mp_next_hop
        if external:
            lp, originator, clusters = None, None, ()
        if lp is None:
            lp = local_pref
        extra_t = attributes_for_propagation(extra) if extra else ()
        if cls is not PathAttrs:
            return cls(origin, as_path, next_hop, med, lp, communities, originator, clusters, extra_t)
        return new_path_attrs(origin, as_path, next_hop, med, lp, communities, originator, clusters, extra_t)

    def replace(self, **changes: object) -> PathAttrs:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- derived values, computed on demand (rarely on a hot path) --------------------------------

    @property
    def asns(self) -> frozenset[int]:
        return frozenset(self.as_path.asns)

    def contains_as(self, asn: int) -> bool:
        segs = self.as_path.segments
        if len(segs) == 1:
            return asn in segs[0].asns
        return any(asn in seg.asns for seg in segs)

    @property
    def origin_as(self) -> int | None:
        """The last AS of the path (the originating AS), None for an empty path."""
        segs = self.as_path.segments
        return segs[-1].asns[-1] if segs and segs[-1].asns else None

    @property
    def as_path_str(self) -> str:
        return str(self.as_path)

    @property
    def community_str(self) -> str:
        return " ".join(format_community(c) for c in self.communities)

    @property
    def no_export(self) -> bool:
        """RFC 1997: NO_EXPORT (and, without confederations, NO_EXPORT_SUBCONFED) -> no eBGP peer."""
        c = self.communities
        return bool(c) and (NO_EXPORT in c or NO_EXPORT_SUBCONFED in c)

    @property
    def no_advertise(self) -> bool:
        return bool(self.communities) and NO_ADVERTISE in self.communities

    @property
    def origin_name(self) -> str:
        return ORIGIN_NAMES.get(self.origin, str(self.origin))

    def to_json(self) -> dict[str, object]:
        return {
            "next_hop": str(self.next_hop) if self.next_hop else None,
            "as_path": self.as_path_str,
            "local_pref": self.local_pref,
            "med": self.med,
            "origin": self.origin_name,
            "communities": self.community_str,
            **({"originator_id": str(self.originator_id)} if self.originator_id else {}),
            **({"cluster_list": " ".join(map(str, self.cluster_list))} if self.cluster_list else {}),
        }

    def to_wire(self, next_hop: IPv4Address) -> tuple[Attribute, ...]:
        """Attributes in type-code order (RFC 4271 §5: order is free; ascending is customary)."""
        out: list[Attribute] = [Origin(self.origin), self.as_path, NextHop(next_hop)]
        if self.med is not None:
            out.append(MultiExitDisc(self.med))
        if self.local_pref is not None:
            out.append(LocalPref(self.local_pref))
        out += [a for a in self.extra if a.type_code < 8]
        if self.communities:
            out.append(Communities(self.communities))
        if self.originator_id is not None:
            out.append(rr_attrs.originator_id_attribute(self.originator_id))
        if self.cluster_list:
            out.append(rr_attrs.cluster_list_attribute(self.cluster_list))
        out += [a for a in self.extra if a.type_code > 8]
        return tuple(out)


def _derived(
    origin: int,
    as_path: AsPath,
    next_hop: IPv4Address | None,
    med: int | None,
    local_pref: int | None,
    communities: tuple[int, ...],
    originator_id: IPv4Address | None,
    cluster_list: tuple[IPv4Address, ...],
    extra: tuple[Attribute, ...],
) -> tuple[int, int | None, int]:
    """``(path_length, neighbor_as, hash)`` of a ``PathAttrs`` with these fields."""
    segs = as_path.segments
    if len(segs) == 1 and segs[0].type == _AS_SEQUENCE:  # the common path: one AS_SEQUENCE
        asns = path_key = segs[0].asns
        path_length, neighbor_as = len(asns), (asns[0] if asns else None)
    else:
        path_length, neighbor_as = as_path.path_length(), as_path.first_as
        path_key = tuple([(s.type, s.asns) for s in segs])
    # Hash the parts that decide equality without the slow generic hashes: the AS_PATH's segments
    # as plain tuples (equal paths have equal segments; a segment's own hash is Python code) and the
    # next hop's integer (ipaddress hashes through a hex string).
    h = hash(
        (origin, path_key, getattr(next_hop, "_ip", next_hop), med, local_pref, communities,
         originator_id, cluster_list, extra)
    )  # fmt: skip
    return path_length, neighbor_as, h


#: The slot setters of every field, in declaration order (``new_path_attrs``).
_SETTERS = tuple(PathAttrs.__dict__[f.name].__set__ for f in dataclasses.fields(PathAttrs))
assert len(_SETTERS) == 12, "update new_path_attrs with the new field"
_new = object.__new__


def new_path_attrs(
    origin: int,
    as_path: AsPath,
    next_hop: IPv4Address | None,
    med: int | None,
    local_pref: int | None,
    communities: tuple[int, ...],
    originator_id: IPv4Address | None,
    cluster_list: tuple[IPv4Address, ...],
    extra: tuple[Attribute, ...],
) -> PathAttrs:
    """``PathAttrs(...)`` without the frozen dataclass's generic ``__setattr__`` calls (one per UPDATE
    received): the same fields, derived values and hash, set through the slot descriptors."""
    a = _new(PathAttrs)
    s_origin, s_path, s_nh, s_med, s_lp, s_comm, s_orig, s_clusters, s_extra, s_len, s_nas, s_hash = _SETTERS
    s_origin(a, origin)
    s_path(a, as_path)
    s_nh(a, next_hop)
    s_med(a, med)
    s_lp(a, local_pref)
    s_comm(a, communities)
    s_orig(a, originator_id)
    s_clusters(a, cluster_list)
    s_extra(a, extra)
    segs = as_path.segments
    if len(segs) == 1 and segs[0].type == _AS_SEQUENCE:  # _derived's common case, inlined
        asns = segs[0].asns
        s_len(a, len(asns))
        s_nas(a, asns[0] if asns else None)
        h = hash(
            (origin, asns, getattr(next_hop, "_ip", next_hop), med, local_pref, communities,
             originator_id, cluster_list, extra)
        )  # fmt: skip
    else:
        path_length, neighbor_as, h = _derived(
            origin, as_path, next_hop, med, local_pref, communities, originator_id, cluster_list, extra
        )
        s_len(a, path_length)
        s_nas(a, neighbor_as)
    s_hash(a, h)
    return a


class Interner:
    """Keeps one ``PathAttrs`` per distinct value (BIRD's ``ea_lookup`` / attribute cache)."""

    __slots__ = ("table",)

    def __init__(self) -> None:
        #: value -> the one shared object (``table.setdefault(a, a)`` is a call)
        self.table: dict[PathAttrs, PathAttrs] = {}

    def __call__(self, attrs: PathAttrs) -> PathAttrs:
        return self.table.setdefault(attrs, attrs)

    def __len__(self) -> int:
        return len(self.table)
