"""BGP oracle: each router's best path per prefix, as a path-vector fixed point over the model.

It never reads the engine: it replays RFC 4271's three phases on paper, router by router and prefix
by prefix, until nothing changes (a worklist seeded in router-name order), from the IGP tables the
other oracles already computed (connected, static, OSPF, RIP: ``registry`` runs BGP last).

* **Sessions** (one per pair of routers that list each other): both routers up, both not passive on
  their half, and each has a non-BGP route covering the other's session address (the shared link's
  subnet for eBGP, the IGP route to the loopback for iBGP or ``multihop``).
* **Origination**: an ``announce`` prefix while a non-BGP route covers it (a less specific one
  counts, the default route does not), always with ``announce_always`` (ORIGIN IGP); with
  ``redistribute``, every route of those sources in the router's table (ORIGIN INCOMPLETE, MED = the
  IGP metric for OSPF/RIP routes). ``announce`` wins over ``redistribute`` for the same prefix.
* **Export** (RFC 4271 §9.1.3), in order: never back to the neighbour it came from; NO_ADVERTISE to
  nobody, NO_EXPORT not over eBGP (RFC 1997); not to an eBGP peer whose AS is in the path;
  iBGP-learned routes not to iBGP peers unless reflected (RFC 4456 §6: from a client to everyone,
  from a non-client to clients only); valley-free (Gao-Rexford): to a ``peer`` or ``provider`` only
  routes of our own or learned from customers, an iBGP-learned route's class read from its
  LOCAL_PREF (200 customer, 150 peer, 100 provider). Over eBGP: prepend our AS (§5.1.2), NEXT_HOP =
  our session address (§5.1.3), no MED or LOCAL_PREF (§5.1.4, §5.1.5). Over iBGP: NEXT_HOP kept
  unless we originated the route or ``next_hop_self`` (eBGP-learned routes only), MED and LOCAL_PREF
  kept, ORIGINATOR_ID/CLUSTER_LIST set when reflecting (RFC 4456 §8). Then the export policy (its
  ``prepend`` repeats our AS on eBGP only).
* **Import**: over eBGP LOCAL_PREF = the relationship's (customer 200 > peer 150 > provider 100) or
  100; over iBGP the one received. Dropped: our AS in the path (§9.1.2 loop), our router ID as
  ORIGINATOR_ID or our cluster ID in the CLUSTER_LIST (RFC 4456 §8), a NEXT_HOP that is our own
  session address. Then the import policy.
* **Decision** (§9.1.2): usable only if a non-BGP route (not the default) covers the NEXT_HOP
  (§9.1.2.1). Then, as ``proto/bgp/decision.py`` documents the same standard: our own route
  first (FRR/Cisco weight), highest LOCAL_PREF, shortest AS_PATH, lowest ORIGIN (IGP < EGP <
  INCOMPLETE), lowest MED among routes from the same neighbour AS (missing = 0), eBGP over iBGP,
  lowest IGP cost to the NEXT_HOP (the covering route's metric; connected 0), lowest router ID
  (ORIGINATOR_ID when reflected), shortest CLUSTER_LIST, lowest peer address.
* **Expected route**: ``ebgp`` (distance 20) or ``ibgp`` (200), offered against the IGP routes;
  gateways: the covering IGP route's gateways (the NEXT_HOP itself when directly connected),
  matched with ``NextHopMatch.ANY``; metric = MED or 0; detail ``as_path=... local_pref=...``. A
  router's own winning route is not installed (its covering route already is).

Not modeled (``ExpectedTables.not_modeled``): sessions to peers outside the model (their routes are
unknown: no BGP route is predicted anywhere then), and policies that never converge (a best path
changes more than ``MAX_ROUNDS`` times). Limits: when several stable states exist (BGP "wedgies",
RFC 4264) the one this order reaches is predicted; BGP routes never resolve through other BGP
routes; ``max_prefix``, timers and MD5 do not change a converged table and are ignored.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network

import networkx as nx

from routesim.oracle.expected import ExpectedRoute, ExpectedTables, NextHopMatch
from routesim.oracle.graph import is_up
from routesim.oracle.registry import register
from routesim.topology.model import (
    WELL_KNOWN_COMMUNITIES,
    BgpNeighborSettings,
    BgpPolicySettings,
    BgpSettings,
    Topology,
)

EBGP_DISTANCE = 20
IBGP_DISTANCE = 200
DEFAULT_LOCAL_PREF = 100
RELATIONSHIP_LOCAL_PREF = {"customer": 200, "peer": 150, "provider": 100}
LOCAL_PREF_RELATIONSHIP = {v: k for k, v in RELATIONSHIP_LOCAL_PREF.items()}
ORIGIN_IGP, ORIGIN_INCOMPLETE = 0, 2
ORIGIN_NAMES = {0: "IGP", 1: "EGP", 2: "INCOMPLETE"}
NO_EXPORT = WELL_KNOWN_COMMUNITIES["no-export"]
NO_ADVERTISE = WELL_KNOWN_COMMUNITIES["no-advertise"]
MAX_ROUNDS = 200


@dataclass(frozen=True)
class Path:
    """One path as held in a router's Adj-RIB-In (or Loc-RIB), with how it was learned."""

    prefix: IPv4Network
    as_path: tuple[int, ...]
    origin: int
    next_hop: IPv4Address | None  # None: our own route
    local_pref: int
    med: int | None = None
    communities: frozenset[tuple[int, int]] = frozenset()
    originator: IPv4Address | None = None
    cluster_list: tuple[IPv4Address, ...] = ()
    # how it was learned (not attributes):
    source: str | None = None  # the neighbour node; None for our own route
    ebgp: bool = False
    peer_address: IPv4Address | None = None
    peer_router_id: IPv4Address | None = None
    rel: str | None = "self"  # relationship class for valley-free export

    @property
    def local(self) -> bool:
        return self.source is None

    @property
    def as_path_str(self) -> str:
        return " ".join(map(str, self.as_path))

    @property
    def neighbor_as(self) -> int | None:
        return self.as_path[0] if self.as_path else None


@dataclass(frozen=True)
class Session:
    """The half of an up session seen from ``node`` toward ``peer``."""

    node: str
    peer: str
    cfg: BgpNeighborSettings  # node's settings for it
    peer_cfg: BgpNeighborSettings  # peer's settings for its half


# ---------------------------------------------------------------------------------------------
# Policies


def _matches(rule, path: Path) -> bool:
    p = path.prefix
    if rule.prefixes:
        ok = False
        for net, ge, le in rule.prefixes:
            lo = ge if ge is not None else net.prefixlen
            hi = le if le is not None else (32 if ge is not None else net.prefixlen)
            if lo <= p.prefixlen <= hi and p.subnet_of(net):
                ok = True
                break
        if not ok:
            return False
    if rule.as_path_regex is not None and re.search(rule.as_path_regex, path.as_path_str) is None:
        return False
    if rule.as_path_contains is not None and rule.as_path_contains not in path.as_path:
        return False
    if rule.as_path_origin is not None and (not path.as_path or path.as_path[-1] != rule.as_path_origin):
        return False
    return rule.community is None or rule.community in path.communities


def apply_policy(policy: BgpPolicySettings | None, path: Path, *, prepend_as: int | None) -> Path | None:
    """The first matching rule decides (its ``set`` applied on accept); else ``default``."""
    if policy is None:
        return path
    for rule in policy.rules:
        if not _matches(rule, path):
            continue
        if rule.action != "accept":
            return None
        changes: dict = {}
        if rule.set_local_pref is not None:
            changes["local_pref"] = rule.set_local_pref
        if rule.set_med is not None:
            changes["med"] = rule.set_med
        if rule.add_communities:
            changes["communities"] = path.communities | frozenset(rule.add_communities)
        if rule.prepend and prepend_as is not None:
            changes["as_path"] = (prepend_as,) * rule.prepend + path.as_path
        return replace(path, **changes) if changes else path
    return path if policy.default == "accept" else None


# ---------------------------------------------------------------------------------------------
# The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9)


def _keep(cands: list[tuple[Path, int]], key, *, highest: bool = False) -> list[tuple[Path, int]]:
    values = [key(c) for c in cands]
    best = max(values) if highest else min(values)
    return [c for c, v in zip(cands, values, strict=True) if v == best]


def _med_step(cands: list[tuple[Path, int]]) -> list[tuple[Path, int]]:
    """§9.1.2.2 c: within each neighbour AS, remove routes whose MED is not that AS's lowest."""
    lowest: dict[int | None, int] = {}
    for p, _ in cands:
        m = p.med or 0
        if p.neighbor_as not in lowest or m < lowest[p.neighbor_as]:
            lowest[p.neighbor_as] = m
    return [(p, c) for p, c in cands if (p.med or 0) == lowest[p.neighbor_as]]


#: (reason, step) in the order they apply; each step keeps the best candidates by one criterion.
STEPS = (
    ("local", lambda cs: _keep(cs, lambda c: c[0].local, highest=True)),
    ("local_pref", lambda cs: _keep(cs, lambda c: c[0].local_pref, highest=True)),
    ("as_path", lambda cs: _keep(cs, lambda c: len(c[0].as_path))),
    ("origin", lambda cs: _keep(cs, lambda c: c[0].origin)),
    ("med", _med_step),
    ("ebgp", lambda cs: _keep(cs, lambda c: c[0].ebgp, highest=True)),
    ("igp_cost", lambda cs: _keep(cs, lambda c: c[1])),
    ("router_id", lambda cs: _keep(cs, lambda c: int(c[0].originator or c[0].peer_router_id or 0))),
    ("cluster_list", lambda cs: _keep(cs, lambda c: len(c[0].cluster_list))),
    ("peer_address", lambda cs: _keep(cs, lambda c: int(c[0].peer_address or 0))),
)


def best_path(cands: list[tuple[Path, int]]) -> tuple[Path, int, str] | None:
    """``cands``: (path, IGP cost to its next hop). The winner, its cost and the deciding step."""
    if not cands:
        return None
    if len(cands) == 1:
        return cands[0][0], cands[0][1], "only"
    for reason, step in STEPS:
        cands = step(cands)
        if len(cands) == 1:
            return cands[0][0], cands[0][1], reason
    return cands[0][0], cands[0][1], "peer_address"


# ---------------------------------------------------------------------------------------------


class _Bgp:
    def __init__(self, topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
        self.topo = topo
        # the non-BGP tables, frozen before any BGP route is offered
        self.igp: dict[str, dict[IPv4Network, ExpectedRoute]] = {}
        self.settings: dict[str, BgpSettings] = {}
        for n in topo.routers:
            s = n.protocol("bgp")
            if isinstance(s, BgpSettings) and is_up(graph, n.name):
                self.settings[n.name] = s
                self.igp[n.name] = dict(tables.for_router(n.name))
        self._covering: dict[tuple[str, IPv4Address], ExpectedRoute | None] = {}
        self.sessions: dict[str, list[Session]] = {r: [] for r in self.settings}
        for r, s in self.settings.items():
            for nb in s.neighbors:
                if nb.node is None or nb.node not in self.settings:
                    continue
                halves = [x for x in self.settings[nb.node].neighbors if x.node == r]
                exact = [x for x in halves if x.address == nb.local_address]
                back = exact[0] if exact else halves[0] if len(halves) == 1 else None
                if back is None or (nb.passive and back.passive):
                    continue
                if self.covering(r, nb.address) is None or self.covering(nb.node, back.address) is None:
                    continue
                self.sessions[r].append(Session(r, nb.node, nb, back))

    def covering(self, router: str, address: IPv4Address) -> ExpectedRoute | None:
        """Longest-match non-BGP route for ``address``, the default route excluded (§9.1.2.1)."""
        key = (router, address)
        if key not in self._covering:
            self._covering[key] = self._longest_match(router, address)
        return self._covering[key]

    def _longest_match(self, router: str, address: IPv4Address) -> ExpectedRoute | None:
        best = None
        for prefix, route in self.igp[router].items():
            if (
                prefix.prefixlen
                and address in prefix
                and (best is None or prefix.prefixlen > best.prefix.prefixlen)
            ):
                best = route
        return best

    def originated(self, router: str) -> dict[IPv4Network, Path]:
        s = self.settings[router]
        out: dict[IPv4Network, Path] = {}
        table = self.igp[router]
        for prefix, route in table.items():
            if route.protocol in s.redistribute:
                med = route.metric if route.protocol in ("ospf", "rip") else None
                out[prefix] = Path(prefix, (), ORIGIN_INCOMPLETE, None, DEFAULT_LOCAL_PREF, med)
        for net in s.announce:
            covered = any(
                (p.prefixlen > 0 or net.prefixlen == 0) and p.prefixlen <= net.prefixlen and net.subnet_of(p)
                for p in table
            )
            if s.announce_always or covered:
                out[net] = Path(net, (), ORIGIN_IGP, None, DEFAULT_LOCAL_PREF)
        return out

    def export(self, sess: Session, path: Path) -> Path | None:
        """What ``sess.node`` sends ``sess.peer`` for its best ``path`` (§9.1.3), before import."""
        me, cfg = sess.node, sess.cfg
        s = self.settings[me]
        if (
            path.source == sess.peer and path.peer_address == cfg.address
        ) or NO_ADVERTISE in path.communities:
            return None
        ibgp_learned = not path.local and not path.ebgp
        if cfg.ebgp:
            if NO_EXPORT in path.communities or cfg.remote_as in path.as_path:
                return None
        elif ibgp_learned:
            src_cfg = next(x.cfg for x in self.sessions[me] if x.cfg.address == path.peer_address)
            if not (src_cfg.route_reflector_client or cfg.route_reflector_client):
                return None  # RFC 4271 §9.2 / RFC 4456 §6
        if cfg.relationship in ("peer", "provider"):
            cls = LOCAL_PREF_RELATIONSHIP.get(path.local_pref) if ibgp_learned else path.rel
            if cls in ("peer", "provider"):
                return None  # valley-free
        if cfg.ebgp:
            out = Path(
                path.prefix,
                (s.asn, *path.as_path),
                path.origin,
                cfg.local_address,
                DEFAULT_LOCAL_PREF,
                None,
                path.communities,
            )
        else:
            if path.local or path.next_hop is None or (cfg.next_hop_self and not ibgp_learned):
                nh = cfg.local_address
            else:
                nh = path.next_hop
            originator, clusters = None, ()
            if ibgp_learned:
                originator = path.originator or path.peer_router_id
                rid = self.topo.node(me).router_id
                clusters = (s.cluster_id or rid, *path.cluster_list)
            out = Path(
                path.prefix,
                path.as_path,
                path.origin,
                nh,
                path.local_pref,
                path.med,
                path.communities,
                originator,
                clusters,
            )
        return apply_policy(cfg.export_policy, out, prepend_as=s.asn if cfg.ebgp else None)

    def receive(self, sess: Session, sent: Path) -> Path | None:
        """``sess.node`` importing ``sent`` from ``sess.peer`` (``sess.cfg``: its half)."""
        me, cfg = sess.node, sess.cfg
        s = self.settings[me]
        rid = self.topo.node(me).router_id
        if s.asn in sent.as_path:
            return None  # §9.1.2: AS loop
        if sent.originator == rid or (s.cluster_id or rid) in sent.cluster_list:
            return None  # RFC 4456 §8
        if sent.next_hop == cfg.local_address:
            return None
        if cfg.ebgp:
            lp = RELATIONSHIP_LOCAL_PREF.get(cfg.relationship or "", DEFAULT_LOCAL_PREF)
            path = replace(sent, local_pref=lp, originator=None, cluster_list=(), rel=cfg.relationship)
        else:
            path = replace(sent, rel=LOCAL_PREF_RELATIONSHIP.get(sent.local_pref))
        path = replace(
            path,
            source=sess.peer,
            ebgp=cfg.ebgp,
            peer_address=cfg.address,
            peer_router_id=self.topo.node(sess.peer).router_id,
        )
        return apply_policy(cfg.import_policy, path, prepend_as=None)

    def igp_cost(self, router: str, path: Path) -> int | None:
        if path.local:
            return 0
        route = self.covering(router, path.next_hop)
        if route is None:
            return None
        return route.metric or 0

    def solve(self) -> tuple[dict[str, dict[IPv4Network, tuple[Path, int, str]]], bool]:
        """Recompute (router, prefix) pairs whose neighbours' best paths changed, until none did.

        A worklist in router-name order (deterministic); a pair that changes more than
        ``MAX_ROUNDS`` times means the policies oscillate: no stable state is predicted.
        """
        own = {r: self.originated(r) for r in self.settings}
        best: dict[str, dict[IPv4Network, tuple[Path, int, str]]] = {r: {} for r in self.settings}
        sessions_back = {
            r: [(sess, Session(sess.peer, r, sess.peer_cfg, sess.cfg)) for sess in self.sessions[r]]
            for r in self.settings
        }
        dirty: dict[str, set[IPv4Network]] = {r: set(own[r]) for r in sorted(self.settings) if own[r]}
        queue = deque(dirty)
        changes: Counter[tuple[str, IPv4Network]] = Counter()
        while queue:
            r = queue.popleft()
            for prefix in sorted(dirty.pop(r, ())):
                cands: list[tuple[Path, int]] = []
                if prefix in own[r]:
                    cands.append((own[r][prefix], 0))
                for sess, back in sessions_back[r]:
                    held = best[sess.peer].get(prefix)
                    sent = self.export(back, held[0]) if held is not None else None
                    got = self.receive(sess, sent) if sent is not None else None
                    cost = self.igp_cost(r, got) if got is not None else None
                    if got is not None and cost is not None:  # §9.1.2.1: unresolvable next hop
                        cands.append((got, cost))
                won = best_path(cands)
                if won == best[r].get(prefix):
                    continue
                if won is None:
                    del best[r][prefix]
                else:
                    best[r][prefix] = won
                changes[r, prefix] += 1
                if changes[r, prefix] > MAX_ROUNDS:
                    return best, False
                for sess in self.sessions[r]:
                    if sess.peer not in dirty:
                        dirty[sess.peer] = set()
                        queue.append(sess.peer)
                    dirty[sess.peer].add(prefix)
        return best, True


def _detail(p: Path, reason: str) -> str:
    out = f"as_path={p.as_path_str or '(empty)'} local_pref={p.local_pref} origin={ORIGIN_NAMES[p.origin]}"
    if p.med is not None:
        out += f" med={p.med}"
    return f"{out} next_hop={p.next_hop} reason={reason}"


def predict(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables):
    """The converged Loc-RIBs: router -> prefix -> (path, IGP cost, reason), or None if not modeled."""
    bgp = _Bgp(topo, graph, tables)
    outside = [(r, nb.name) for r, s in bgp.settings.items() for nb in s.neighbors if nb.node is None]
    if outside:
        why = "sessions to peers outside the model: " + ", ".join(f"{r}->{a}" for r, a in outside)
        for r in bgp.settings:
            tables.not_modeled.append((r, "bgp", why))
        return None
    best, converged = bgp.solve()
    if not converged:
        for r in bgp.settings:
            tables.not_modeled.append(
                (r, "bgp", f"no stable BGP state: a best path changed more than {MAX_ROUNDS} times")
            )
        return None
    return bgp, best


def bgp_oracle(topo: Topology, graph: nx.DiGraph, tables: ExpectedTables) -> None:
    got = predict(topo, graph, tables)
    if got is None:
        return
    bgp, best = got
    for r, table in best.items():
        for prefix in sorted(table):
            p, _, reason = table[prefix]
            if p.local:
                continue
            via = bgp.covering(r, p.next_hop)
            assert via is not None
            gws = frozenset(g if g is not None else p.next_hop for g in via.gateways)
            proto = "ebgp" if p.ebgp else "ibgp"
            route = ExpectedRoute(prefix, proto, p.med or 0, gws, NextHopMatch.ANY, _detail(p, reason))
            tables.offer(r, route, distance=EBGP_DISTANCE if p.ebgp else IBGP_DISTANCE)


register("bgp", bgp_oracle)
