"""Per-neighbour import/export policies and the customer/peer/provider relationship model.

A :class:`Policy` is an ordered list of :class:`PolicyRule`; the first rule whose matches all hold
decides (``accept`` with its ``set_*`` changes, or ``reject``); when none matches, ``default``
decides. Matches:

* ``prefixes``: any of several :class:`PrefixMatch` (prefix with optional ``ge``/``le``, as in
  FRR/Cisco prefix lists; without ``ge``/``le`` the length must be exact);
* ``as_path``: an :class:`AsPathMatch` — a regular expression searched in the AS path string
  (``"4134 64500"``, sets as ``{1 2}``), or "contains ASN", or "origin ASN";
* ``community``: the route carries this community.

Actions on accept: ``set_local_pref``, ``set_med``, ``add_communities``, ``prepend`` (our AS that many
more times on export; on import the neighbour AS, as FRR's ``set as-path prepend`` with the last AS).

Relationships (Gao-Rexford): importing from a ``customer`` sets LOCAL_PREF 200, from a ``peer`` 150,
from a ``provider`` 100 (before the import policy, which may override). :func:`valley_free` is the
export rule: routes learned from customers and our own go to everyone; routes learned from peers or
providers go only to customers. A route learned over iBGP is classified by its LOCAL_PREF when it is
one of those three values (the AS-wide convention carries the relationship; see engine.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from routesim.proto.bgp.path import PathAttrs

#: LOCAL_PREF set on import by relationship of the neighbour.
RELATIONSHIP_LOCAL_PREF = {"customer": 200, "peer": 150, "provider": 100}
LOCAL_PREF_RELATIONSHIP = {v: k for k, v in RELATIONSHIP_LOCAL_PREF.items()}


@dataclass(frozen=True)
class PrefixMatch:
    """``prefix`` with optional ``ge``/``le`` bounds on the route's length (FRR prefix-list semantics)."""

    prefix: IPv4Network
    ge: int | None = None
    le: int | None = None
    _addr: int = field(init=False, repr=False, compare=False)
    _mask: int = field(init=False, repr=False, compare=False)
    _lo: int = field(init=False, repr=False, compare=False)
    _hi: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.prefix.prefixlen
        lo = self.ge if self.ge is not None else n
        hi = self.le if self.le is not None else (32 if self.ge is not None else n)
        if not n <= lo <= hi <= 32:
            raise ValueError(
                f"prefix match {self.prefix} ge {self.ge} le {self.le}: need len <= ge <= le <= 32"
            )
        object.__setattr__(self, "_addr", int(self.prefix.network_address))
        object.__setattr__(self, "_mask", int(self.prefix.netmask))
        object.__setattr__(self, "_lo", lo)
        object.__setattr__(self, "_hi", hi)

    def matches(self, address: int, length: int) -> bool:
        return self._lo <= length <= self._hi and (address & self._mask) == self._addr


@lru_cache(maxsize=4096)
def _regex_search(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


@dataclass(frozen=True)
class AsPathMatch:
    """Exactly one of: ``regex`` (searched in the AS path string), ``contains``, ``origin``."""

    regex: str | None = None
    contains: int | None = None
    origin: int | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.regex, self.contains, self.origin)) != 1:
            raise ValueError("AsPathMatch needs exactly one of regex, contains, origin")
        if self.regex is not None:
            re.compile(self.regex)

    def matches(self, attrs: PathAttrs) -> bool:
        if self.regex is not None:
            return _regex_search(self.regex, attrs.as_path_str)
        if self.contains is not None:
            return self.contains in attrs.asns
        return attrs.origin_as == self.origin


@dataclass(frozen=True)
class PolicyRule:
    prefixes: tuple[PrefixMatch, ...] = ()
    as_path: AsPathMatch | None = None
    community: int | None = None
    action: Literal["accept", "reject"] = "accept"
    set_local_pref: int | None = None
    set_med: int | None = None
    add_communities: tuple[int, ...] = ()
    prepend: int = 0

    def __post_init__(self) -> None:
        if self.action not in ("accept", "reject"):
            raise ValueError(f"unknown policy action {self.action!r}")

    def matches(self, address: int, length: int, attrs: PathAttrs) -> bool:
        if self.prefixes and not any(p.matches(address, length) for p in self.prefixes):
            return False
        if self.as_path is not None and not self.as_path.matches(attrs):
            return False
        return self.community is None or self.community in attrs.communities

    def apply(self, attrs: PathAttrs, prepend_as: int | None) -> PathAttrs:
        """The accepted route's attributes after this rule's ``set_*`` actions."""
        changes: dict[str, object] = {}
        if self.set_local_pref is not None:
            changes["local_pref"] = self.set_local_pref
        if self.set_med is not None:
            changes["med"] = self.set_med
        if self.add_communities:
            merged = attrs.communities + tuple(c for c in self.add_communities if c not in attrs.communities)
            changes["communities"] = merged
        if self.prepend and prepend_as is not None:
            path = attrs.as_path
            for _ in range(self.prepend):
                path = path.prepend(prepend_as)
            changes["as_path"] = path
        return attrs.replace(**changes) if changes else attrs


#: What ``Policy.decide`` returns for "no rule matched": the default applies.
DEFAULT_RULE = -1


@dataclass(frozen=True)
class Policy:
    rules: tuple[PolicyRule, ...] = ()
    default: Literal["accept", "reject"] = "accept"

    @property
    def prefix_independent(self) -> bool:
        """No rule looks at the prefix: one decision serves every prefix of an UPDATE."""
        return not any(r.prefixes for r in self.rules)

    def decide(self, address: int, length: int, attrs: PathAttrs) -> int:
        """Index of the first matching rule, or ``DEFAULT_RULE``."""
        for i, rule in enumerate(self.rules):
            if rule.matches(address, length, attrs):
                return i
        return DEFAULT_RULE

    def accepts(self, index: int) -> bool:
        action = self.default if index == DEFAULT_RULE else self.rules[index].action
        return action == "accept"


def valley_free(source: str | None, target: str | None) -> bool:
    """Gao-Rexford export rule. ``source``: relationship of the neighbour the route came from
    (``"self"`` for our own routes, None when unknown); ``target``: relationship of the neighbour we
    would send it to (None: no restriction)."""
    if target in ("peer", "provider"):
        return source not in ("peer", "provider")
    return True
