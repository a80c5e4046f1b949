"""BGP-4 engine (RFC 4271) with route reflection (RFC 4456), sans-IO.

Files:

* ``routesim/wire/bgp/`` — the codec (messages, attributes, framing, RFC 7606 error handling).
* ``events.py`` — ``TcpData(conn, data)``: the byte stream of one TCP connection.
* ``config.py`` — ``BgpConfig``, ``BgpNeighbor`` (frozen; ``ebgp`` derived from the AS numbers).
* ``fsm.py`` — the RFC 4271 §8 FSM as a table: ``BgpState``, ``BgpEvent`` (RFC numbers), ``FsmAction``,
  ``TRANSITIONS``/``OTHER`` (every missing cell is deliberate), ``describe_table()``.
* ``session.py`` — ``Session``: one FSM instance on one connection: framing, OPEN build and checks,
  negotiated hold/keepalive, NOTIFICATIONs with exact codes, ROUTE-REFRESH.
* ``collision.py`` — RFC 4271 §6.8 / RFC 6286 §2.3: which of two connections to close.
* ``path.py`` — ``PathAttrs``: interned attribute sets shared by all prefixes of an UPDATE.
* ``rr_attrs.py`` — ORIGINATOR_ID / CLUSTER_LIST (types 9, 10), kept opaque by the codec.
* ``adj_rib.py`` — ``AdjRibIn``/``AdjRibOut``; prefixes as ints (``address << 6 | length``).
* ``decision.py`` — §9.1.2.2 as ordered named steps (``BestPathReason``) over ``Candidate`` tuples.
* ``policy.py`` — ``Policy``/``PolicyRule``/``PrefixMatch``/``AsPathMatch``; relationships
  (customer 200, peer 150, provider 100) and ``valley_free`` export.
* ``engine.py`` — ``BgpEngine``: sessions <-> Adj-RIBs <-> decision <-> RIB and UPDATE output.

Engine contract (the runtime's side):

* ``BgpEngine(config, rng)``; ``start(now)`` returns ``OpenConnection(peer, local)`` for every
  non-passive neighbour at once (then every ConnectRetry interval, jittered x[0.75, 1], RFC 4271 §10).
* The runtime opens/accepts TCP (port 179, MD5 and GTSM from the neighbour config) and reports
  ``TcpUp(peer, conn, local, passive)``: ``conn`` is any hashable handle; ``local`` our address on it
  (becomes NEXT_HOP toward eBGP peers; required); ``passive=True`` when the peer initiated it. Only
  configured neighbours' connections should be delivered; others get ``CloseConnection``. Two
  connections to one peer may be up at once (collision, §6.8): the engine closes one.
* Bytes arrive as ``TcpData(conn, data)`` (``proto/bgp/events.py``), any segmentation. Output bytes
  are ``Send(data, conn=conn)``; ``CloseConnection(conn)`` asks the runtime to close (after sending
  what was queued before it). ``TcpDown(peer, conn)`` reports a closed connection; a failed
  ``OpenConnection`` may be reported as ``TcpDown(peer, conn=None)`` (or not at all).
* Timers are ``ArmTimer(("bgp", peer, session_id, name), at)``; deliver ``TimerFired(key)``. Names
  (``session.py``): ``connect_retry``, ``hold``, ``keepalive``, ``idle_hold`` and ``mrai``, the
  MinRouteAdvertisementIntervalTimer (RFC 4271 §9.2.1.1) of a neighbour whose
  ``min_route_advertisement`` is above 0: after an UPDATE went to the peer, further advertisements
  and withdrawals to it (RFC 4271 names both) wait until the interval, jittered x[0.75, 1] (§10),
  has passed; then everything that changed goes out together, each prefix in its final state only
  (a route announced and withdrawn meanwhile, which the peer never saw, is not sent). The first
  UPDATEs of a session go at once; leaving Established cancels the timer and what it held. A
  ROUTE-REFRESH while it runs gets the Adj-RIB-Out the peer already has. 0 (the default, and the
  ``fast`` timer profile) sends at the end of every engine call.
* ``RibChanged(routes)`` (the RIB's complete selected set) feeds next-hop resolution (non-BGP routes
  only, longest match, default route excluded; IGP cost = that route's metric) and origination:
  ``announce`` prefixes while a non-BGP route for them or a less specific one (not 0/0) exists, unless
  ``announce_always``; ``redistribute`` of the named protocols' routes (ORIGIN INCOMPLETE, MED = OSPF/RIP
  metric).
* Output: ``RoutesChanged`` once per call with the prefixes whose best route changed (protocol
  EBGP/IBGP, metric = MED or 0, next hops = the resolving IGP route's gateways, or the BGP next hop
  itself when it is on a connected subnet; ``attrs`` as_path, local_pref, origin, next_hop,
  communities, peer, reason). Our own originated routes are never handed to the RIB.
  ``SessionEvent("bgp", str(peer_address), old, new, reason)`` on every FSM change of the peer's
  session (a colliding second connection logs instead, and is reported when it takes over); ``Log``
  for NOTIFICATIONs (names of code/subcode), UPDATE errors, max-prefix, collisions.
* Admin: ``reset_peer`` (Cease 6/4 then restart), ``shutdown_peer`` (6/2, stays Idle),
  ``enable_peer``, ``request_route_refresh`` (RFC 2918). ``stop(now)`` sends 6/2 to everyone.
* Inspection: ``inspect(now)`` (summary, neighbors, routes with every candidate, rib_in, rib_out,
  counters; tables capped at ``INSPECT_LIMIT`` rows; each neighbour shows ``mrai`` (configured),
  ``mrai_pending`` (prefixes held for the timer) and ``mrai_expires_in``) and ``inspect_table(which, peer, limit)``;
  ``summary()``: the counts alone in O(neighbours) (the router's ``bgp_summary`` query), cheap to
  poll while a full table loads.

Route flow: UPDATE -> RFC 7606 handling (treat-as-withdraw / attribute-discard; AFI/SAFI-disable
resets an IPv4-only session) -> AS4 merge for 2-octet peers (RFC 6793) -> loop checks (own AS in
AS_PATH, ORIGINATOR_ID = our ID, our CLUSTER_ID in CLUSTER_LIST) -> degree of preference (eBGP:
relationship or ``default_local_pref``; received LOCAL_PREF ignored, §5.1.5) -> import policy ->
Adj-RIB-In -> decision (usable routes: next hop resolvable) -> Loc-RIB -> RIB, and per peer: export
rules (no iBGP->iBGP unless reflecting, RFC 4456 §6; NO_EXPORT/NO_ADVERTISE, RFC 1997; valley-free;
no route back to its sender; no route to an eBGP peer whose AS is in the path) -> rewrite (eBGP:
prepend our AS, NEXT_HOP self, no LOCAL_PREF/MED; iBGP: NEXT_HOP kept unless next_hop_self or our
own route, LOCAL_PREF sent; reflected: ORIGINATOR_ID, CLUSTER_LIST) -> export policy -> Adj-RIB-Out
diff -> UPDATEs packed per attribute set.

Performance: prefixes are ints in the Adj-RIBs and the Loc-RIB (which maps a prefix to the source
of its best route, the attributes staying in that Adj-RIB-In); attribute sets are interned
``PathAttrs`` shared by every prefix of an UPDATE; decisions, exports and RIB output are batched per
engine call. Measured (``tests/proto/bgp/bench_ingest.py``, framing + decode + engine,
``install_routes=False``): ~1M prefixes packed over 1000 attribute sets in ~2.5 s at ~120 B/prefix;
a realistic table (~3 prefixes per UPDATE, 300k attribute sets) takes ~22 s at ~340 B/prefix, a
third of it in the codec's per-message decode.

Supported standards: RFC 4271, RFC 4456 (route reflection), RFC 6793 (4-octet AS, AS_TRANS and
AS4_PATH toward 2-octet peers), RFC 7606, RFC 1997 well-known communities, RFC 2918 route refresh,
RFC 4486 Cease subcodes, RFC 6608 FSM subcodes, RFC 6286 (identifiers, collision with equal IDs).

Deviations and gaps:

* One MinRouteAdvertisementIntervalTimer per peer, not per destination (§9.2.1.1 allows any technique
  that keeps the bound); no MinASOriginationIntervalTimer (§9.2.1.2): our own routes' changes follow
  the MRAI like any other.
* No DelayOpen, no peer-oscillation damping; automatic restart after ``idle_hold_time``. See
  ``fsm.py`` for the FSM choices (Connect + TCP failure -> Active; NOTIFICATION in OpenSent -> Idle
  without answering).
* The Adj-RIB-In keeps post-policy routes only (no soft-reconfiguration inbound).
* A locally originated route beats learned ones before LOCAL_PREF (FRR's weight).
* Routes are not advertised back to the peer they came from, nor to an eBGP peer whose AS is in the
  AS path (sender-side loop avoidance).
* iBGP-learned routes are classified for valley-free export by their LOCAL_PREF (200/150/100).
* No End-of-RIB, graceful restart, ADD-PATH, confederations, IPv6, aggregation, or damping.
"""

from routesim.proto.bgp.config import BgpConfig, BgpNeighbor
from routesim.proto.bgp.decision import BestPathReason
from routesim.proto.bgp.engine import BgpEngine
from routesim.proto.bgp.events import TcpData
from routesim.proto.bgp.fsm import BgpEvent, BgpState
from routesim.proto.bgp.policy import AsPathMatch, Policy, PolicyRule, PrefixMatch

__all__ = [
    "AsPathMatch",
    "BestPathReason",
    "BgpConfig",
    "BgpEngine",
    "BgpEvent",
    "BgpNeighbor",
    "BgpState",
    "Policy",
    "PolicyRule",
    "PrefixMatch",
    "TcpData",
]
