"""The link-state database (RFC 2328 §12, §13.1, §14): LSAs keyed by scope and (type, LSID, adv router).

One :class:`Lsdb` holds every scope: area-scoped LSAs (types 1-4) under their Area ID and AS-scoped
AS-external-LSAs (type 5) under the scope ``None`` (§12.1: they are flooded everywhere but stub
areas, and kept once). Entries store the LSA as installed plus the time of installation; LS age
advances with ``now`` (§14: "LS age is incremented while the LSA is held in the database") and stops
at MaxAge. The database never floods or acknowledges: that is ``flooding.py``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address

from routesim.wire.ospf import Lsa, LsaHeader, LsType
from routesim.wire.ospf.lsa import MAX_AGE_DIFF, MAX_SEQUENCE_NUMBER

LsaKey = tuple[int, IPv4Address, IPv4Address]
Scope = IPv4Address | None


def scope_of(ls_type: int, area: IPv4Address) -> Scope:
    """Flooding scope of an LS type received or originated in ``area`` (§12.1, type 5 is AS-wide)."""
    return None if ls_type == LsType.AS_EXTERNAL else area


def compare_instances(a: LsaHeader, b: LsaHeader, *, maxage: int = 3600) -> int:
    """Which of two instances of the same LSA is more recent (§13.1): >0 ``a``, <0 ``b``, 0 same.

    In order: the higher LS sequence number; the higher LS checksum; an instance at MaxAge; an LS
    age differing by more than MaxAgeDiff (the smaller age wins); otherwise the same instance.
    """
    if a.ls_sequence_number != b.ls_sequence_number:
        return 1 if a.ls_sequence_number > b.ls_sequence_number else -1
    if a.ls_checksum != b.ls_checksum:
        return 1 if a.ls_checksum > b.ls_checksum else -1
    a_max, b_max = a.age >= maxage, b.age >= maxage
    if a_max != b_max:
        return 1 if a_max else -1
    if abs(a.age - b.age) > MAX_AGE_DIFF:
        return 1 if a.age < b.age else -1
    return 0


@dataclass
class LsdbEntry:
    """One installed LSA: ``lsa`` as installed (its age then) and when (§13.2)."""

    lsa: Lsa
    installed_at: float
    #: Self-originated by this router (§13.4 decides on receipt; origination sets it).
    own: bool = False
    #: Last time this instance was sent back to a neighbor with an older copy (§13 (8)).
    sent_back_at: float = float("-inf")
    #: Received in answer to our LS Request during a database exchange (§10.9), not by flooding:
    #: §13 (5a)'s MinLSArrival wait does not apply to it (see ``flooding.receive_lsu``).
    requested: bool = False

    def age(self, now: float, maxage: int) -> int:
        """Current LS age: the installed age plus the whole seconds held, capped at MaxAge (§14)."""
        if self.lsa.header.do_not_age:
            return self.lsa.header.age
        # the epsilon keeps a deadline computed as installed_at + n from truncating to n - 1
        return min(maxage, self.lsa.header.age + int(now - self.installed_at + 1e-6))

    def current(self, now: float, maxage: int) -> Lsa:
        """The LSA with its LS age brought up to ``now`` (what DD, LSU and LSAck carry)."""
        age = self.age(now, maxage)
        return self.lsa if age == self.lsa.header.ls_age else self.lsa.with_age(age)

    def header(self, now: float, maxage: int) -> LsaHeader:
        return self.current(now, maxage).header

    def maxage_at(self, maxage: int) -> float:
        """When this instance reaches MaxAge by aging (§14)."""
        return self.installed_at + (maxage - self.lsa.header.age)


class Lsdb:
    """All LSAs the router holds, ``(scope, key) -> LsdbEntry``."""

    def __init__(self, maxage: int = 3600, *, router_id: IPv4Address | None = None) -> None:
        self.maxage = maxage
        #: Our Router ID: entries advertised by it are tracked in :meth:`own_entries`.
        self.router_id = router_id
        self.entries: dict[tuple[Scope, LsaKey], LsdbEntry] = {}
        #: Bumped on every install and removal: SPF and origination use it to notice change.
        self.version = 0
        # (maxage_at, tiebreak, (scope, key), entry) of entries installed below MaxAge; entries
        # replaced or removed since stay until they reach the top (lazy deletion).
        self._aging: list[tuple[float, int, tuple[Scope, LsaKey], LsdbEntry]] = []
        self._tiebreak = itertools.count()
        # (scope, key) of entries that may be ours (installed own, marked own, or advertised by us).
        self._mine: set[tuple[Scope, LsaKey]] = set()

    def get(self, scope: Scope, key: LsaKey) -> LsdbEntry | None:
        return self.entries.get((scope, key))

    def install(
        self, scope: Scope, lsa: Lsa, now: float, *, own: bool = False, requested: bool = False
    ) -> tuple[LsdbEntry, bool]:
        """Install ``lsa`` (§13.2); returns the entry and whether the contents changed for routing.

        §13.2: the routing table must be recalculated when the contents changed: a new LSA, a change
        of options, of MaxAge-ness, of length, or of the body (everything but the header's age,
        sequence number and checksum).
        """
        sk = (scope, lsa.header.key)
        old = self.entries.get(sk)
        entry = LsdbEntry(lsa, now, own=own or (old.own if old else False), requested=requested)
        self.entries[sk] = entry
        self.version += 1
        if lsa.header.age < self.maxage:
            if len(self._aging) > 2 * len(self.entries) + 64:
                self._compact()
            heapq.heappush(self._aging, (entry.maxage_at(self.maxage), next(self._tiebreak), sk, entry))
        if entry.own or sk[1][2] == self.router_id:
            self._mine.add(sk)
        if old is None:
            return entry, True
        was_max = old.age(now, self.maxage) >= self.maxage
        is_max = lsa.header.age >= self.maxage
        changed = (
            was_max != is_max
            or old.lsa.header.options != lsa.header.options
            or old.lsa.raw[20:] != lsa.raw[20:]
        )
        return entry, changed

    def remove(self, scope: Scope, key: LsaKey) -> LsdbEntry | None:
        entry = self.entries.pop((scope, key), None)
        if entry is not None:
            self.version += 1
            self._mine.discard((scope, key))
        return entry

    def mark_own(self, scope: Scope, key: LsaKey) -> None:
        """§13.4 / §12.4: the entry is self-originated (origination found it matches what we want)."""
        entry = self.entries[(scope, key)]
        if not entry.own:
            entry.own = True
            self._mine.add((scope, key))
            self.version += 1  # next_refresh() depends on it

    def own_entries(self) -> Iterator[tuple[Scope, LsaKey, LsdbEntry]]:
        """Every entry installed or marked as own, or advertised by :attr:`router_id` (a superset of
        what origination refreshes; callers re-check)."""
        for sk in list(self._mine):
            entry = self.entries.get(sk)
            if entry is None:
                self._mine.discard(sk)
            else:
                yield sk[0], sk[1], entry

    def earliest_maxage(self) -> float | None:
        """The earliest :meth:`LsdbEntry.maxage_at` over the entries installed below MaxAge (§14):
        the same as scanning the database, in O(log n) amortised."""
        heap = self._aging
        while heap and self.entries.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _compact(self) -> None:
        self._aging = [item for item in self._aging if self.entries.get(item[2]) is item[3]]
        heapq.heapify(self._aging)

    def scope(self, scope: Scope) -> Iterator[tuple[LsaKey, LsdbEntry]]:
        for (s, key), entry in self.entries.items():
            if s == scope:
                yield key, entry

    def live(self, scope: Scope, now: float) -> dict[LsaKey, Lsa]:
        """The LSAs of a scope usable by the routing calculation: not at MaxAge (§16)."""
        return {key: e.lsa for key, e in self.scope(scope) if e.age(now, self.maxage) < self.maxage}

    def __iter__(self) -> Iterator[tuple[Scope, LsaKey, LsdbEntry]]:
        for (scope, key), entry in self.entries.items():
            yield scope, key, entry

    def __len__(self) -> int:
        return len(self.entries)


def is_max_sequence(header: LsaHeader) -> bool:
    return header.ls_sequence_number == MAX_SEQUENCE_NUMBER
