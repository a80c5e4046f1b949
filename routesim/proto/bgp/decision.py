"""The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9) as an ordered list of named steps.

Each step keeps the candidates that are best by one criterion (the RFC's elimination wording, which
also makes the MED rule well defined for three or more routes); the first step that leaves a single
candidate names the reason (GoBGP ``BestPathReason``). Steps, in order:

1. ``local`` — a route we originate beats a learned one (FRR/Cisco weight 32768; not in RFC 4271,
   where our own routes win by the empty AS path in practice);
2. ``local_pref`` — highest degree of preference (LOCAL_PREF, §9.1.1);
3. ``as_path`` — shortest AS_PATH, an AS_SET counting 1 (§9.1.2.2 a);
4. ``origin`` — lowest ORIGIN (IGP < EGP < INCOMPLETE, §9.1.2.2 b);
5. ``med`` — lowest MULTI_EXIT_DISC, compared only among routes from the same neighbour AS; a missing
   MED is 0 (§9.1.2.2 c);
6. ``ebgp`` — routes learned over eBGP before those learned over iBGP (§9.1.2.2 d);
7. ``igp_cost`` — lowest IGP cost to the NEXT_HOP (§9.1.2.2 e);
8. ``router_id`` — lowest BGP Identifier of the advertising peer, or ORIGINATOR_ID when the route was
   reflected (§9.1.2.2 f, RFC 4456 §9);
9. ``cluster_list`` — shortest CLUSTER_LIST (RFC 4456 §9);
10. ``peer_address`` — lowest peer address (§9.1.2.2 g).

A lone candidate is best for reason ``only``. Unusable routes (next hop unresolvable, §9.1.2.1, or
AS loop) never reach this module.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import NamedTuple


class BestPathReason(enum.StrEnum):
    ONLY = "only"
    LOCAL = "local"
    LOCAL_PREF = "local_pref"
    AS_PATH = "as_path"
    ORIGIN = "origin"
    MED = "med"
    EBGP = "ebgp"
    IGP_COST = "igp_cost"
    ROUTER_ID = "router_id"
    CLUSTER_LIST = "cluster_list"
    PEER_ADDRESS = "peer_address"


class Candidate(NamedTuple):
    """One usable path for a prefix, with everything the steps compare (ints, lower/higher wins)."""

    source: object  # the engine's peer (or local source) object, returned as the winner
    local: bool
    local_pref: int
    path_length: int
    origin: int
    neighbor_as: int | None
    med: int
    ebgp: bool
    igp_cost: int
    router_id: int
    cluster_length: int
    peer_address: int


def _keep_max(key: Callable[[Candidate], int]) -> Callable[[list[Candidate]], list[Candidate]]:
    def step(cands: list[Candidate]) -> list[Candidate]:
        best = max(key(c) for c in cands)
        return [c for c in cands if key(c) == best]

    return step


def _keep_min(key: Callable[[Candidate], int]) -> Callable[[list[Candidate]], list[Candidate]]:
    def step(cands: list[Candidate]) -> list[Candidate]:
        best = min(key(c) for c in cands)
        return [c for c in cands if key(c) == best]

    return step


def _med(cands: list[Candidate]) -> list[Candidate]:
    """§9.1.2.2 c: within each neighbour AS, drop routes whose MED exceeds that AS's lowest."""
    lowest: dict[int | None, int] = {}
    for c in cands:
        if c.neighbor_as not in lowest or c.med < lowest[c.neighbor_as]:
            lowest[c.neighbor_as] = c.med
    return [c for c in cands if c.med == lowest[c.neighbor_as]]


STEPS: tuple[tuple[BestPathReason, Callable[[list[Candidate]], list[Candidate]]], ...] = (
    (BestPathReason.LOCAL, _keep_max(lambda c: c.local)),
    (BestPathReason.LOCAL_PREF, _keep_max(lambda c: c.local_pref)),
    (BestPathReason.AS_PATH, _keep_min(lambda c: c.path_length)),
    (BestPathReason.ORIGIN, _keep_min(lambda c: c.origin)),
    (BestPathReason.MED, _med),
    (BestPathReason.EBGP, _keep_max(lambda c: c.ebgp)),
    (BestPathReason.IGP_COST, _keep_min(lambda c: c.igp_cost)),
    (BestPathReason.ROUTER_ID, _keep_min(lambda c: c.router_id)),
    (BestPathReason.CLUSTER_LIST, _keep_min(lambda c: c.cluster_length)),
    (BestPathReason.PEER_ADDRESS, _keep_min(lambda c: c.peer_address)),
)


def best_path(candidates: Sequence[Candidate]) -> tuple[Candidate, BestPathReason] | None:
    """The winner and the step that chose it; None when there is no candidate."""
    if not candidates:
        return None
    cands = list(candidates)
    if len(cands) == 1:
        return cands[0], BestPathReason.ONLY
    for reason, step in STEPS:
        cands = step(cands)
        if len(cands) == 1:
            return cands[0], reason
    # Identical on every step (same peer twice cannot happen): the first one, deterministically.
    return cands[0], BestPathReason.PEER_ADDRESS
