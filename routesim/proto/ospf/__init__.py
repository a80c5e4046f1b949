"""OSPFv2 engine (RFC 2328): sans-IO, fed events with ``now``, returning actions.

Files
-----
================== ===========================================================================
``config.py``      ``OspfConfig``, ``OspfInterface``, ``OspfTimers``, ``OspfAuth`` (frozen)
``actions.py``     ``JoinGroup`` / ``LeaveGroup``: AllDRouters membership for the driver
``interface.py``   interface FSM table (§9.3), DR/BDR election ``elect`` (§9.4), Wait timer
``neighbor.py``    neighbor FSM table (§10.3), adjacency rule (§10.4), DD exchange with
                   master/slave, MTU check, duplicates and retransmission (§10.6, §10.8), Link
                   State Requests (§10.7, §10.9)
``lsdb.py``        ``Lsdb`` keyed by (scope, (type, LSID, adv router)); §13.1 ``compare_instances``;
                   LS age kept as install time + age (§14)
``flooding.py``    §13 receive / install / flood / retransmission lists / direct and delayed acks /
                   MinLSArrival / self-originated LSAs; MaxAge flooding and removal (§14)
``origination.py`` router-LSA (§12.4.1), network-LSA (§12.4.2), summary-LSAs as ABR (§12.4.3),
                   AS-external-LSAs (§12.4.4); MinLSInterval, LSRefreshTime, sequence numbers
``spf.py``         pure routing calculation: §16.1 Dijkstra with ECMP and §16.1.1 next hops,
                   §16.2 inter-area, §16.4 AS-external type 1/2 (integer views of the LSAs)
``spf_backoff.py`` when SPF runs: the RFC 8405 back-off (QUIET / SHORT_WAIT / LONG_WAIT)
``engine.py``      ``OspfEngine(config, rng)``: the Engine protocol of ``proto/base.py``, §8.2
                   receive checks, timers (only changed deadlines are diffed), SPF scheduling,
                   RIB export, ``handle_batch`` for packets read together, ``inspect``
================== ===========================================================================

Transport contract with the driver (``router/``, raw IP protocol 89)
--------------------------------------------------------------------
* In: ``PacketIn(iface, src, data, dst)``: ``data`` is the OSPF packet (IP header stripped), ``src``
  the IP source, ``dst`` the IP destination (224.0.0.5, 224.0.0.6 or our unicast address; ``None``
  is taken as unicast/AllSPFRouters).
* Out: ``Send(data, iface=..., dst=...)`` with ``dst`` AllSPFRouters 224.0.0.5, AllDRouters
  224.0.0.6 or a neighbor's address; the driver sends with IP TTL 1 and protocol 89 (precedence
  Internetwork Control, §A.1) out of ``iface``.
* Groups: the driver joins 224.0.0.5 on every non-passive OSPF interface by itself when it is up.
  The engine emits ``JoinGroup(iface, 224.0.0.6)`` when it becomes DR or Backup DR on a broadcast
  interface and ``LeaveGroup(iface, 224.0.0.6)`` when it stops being one (or on ``stop``).
* ``InterfaceUp``/``InterfaceDown`` drive the §9.3 machine; every configured interface is taken as
  up at ``start``. ``RibChanged`` carries the RIB's complete selected set; routes of
  ``config.redistribute`` protocols become AS-external-LSAs.
* Routes out: ``RoutesChanged`` with ``Route(prefix, OSPF, cost, next hops, attrs=(("path_type",
  "intra"|"inter"|"ext1"|"ext2"), ("area", "a.b.c.d" or None)[, ("forward_cost", n)]))``; a type-2
  external route's ``metric`` is its type-2 metric. Connected subnets appear as intra-area routes
  with an interface-only next hop (the RIB prefers the connected route).

Route flow: Hello -> neighbor FSM -> DD/LSR/LSU exchange -> LSDB -> (RFC 8405 back-off) SPF ->
``RoutesChanged`` -> RIB; LSDB and neighbor changes -> ``origination.reconcile`` -> new LSAs
flooded. ``SessionEvent("ospf", neighbor Router ID, old, new, event)`` on every neighbor state
change, ``Log`` lines for interface state and DR/BDR changes, LSA installs (debug) and origination.

Supported standards and deviations
----------------------------------
* RFC 2328 for broadcast and point-to-point networks, multiple areas (ABR), AS-external routes;
  Appendix D null, simple and keyed-MD5 authentication (one key per interface).
* Not implemented: NBMA and point-to-multipoint networks (the ``Start`` event and Attempt state
  exist in the table but are never raised), virtual links (transit areas), stub/NSSA areas, area
  address ranges (every route is summarised on its own), TOS routing, demand circuits, opaque LSAs.
* Point-to-point neighbors are identified by their source address like broadcast ones (unnumbered
  links are not supported); the p2p subnet is advertised as one stub link (§12.4.1.1 option 2
  style, as BIRD and FRR do).
* A self-originated LSA received newer than ours is kept if its contents equal what we would
  originate; otherwise we re-originate with a higher sequence number or flush it (§13.4).
* Flooding (§13.3 (5)) is gathered per engine call: every LSA flooded while handling one event
  (a whole received LSU, an origination round) leaves in one LSU per interface and destination,
  split at the MTU, at the end of the call; retransmission lists are updated at once as before.
* The slave keeps its last DD for as long as the adjacency stays Loading/Full instead of exactly
  RouterDeadInterval; delayed acks wait min(1 s, RxmtInterval/2).
* The MD5 cryptographic sequence number starts at 1 on every start (RFC 2328 leaves the start open;
  a restarted router is accepted again once neighbors time it out).
* ``stop()`` sends one Hello with an empty neighbor list so neighbors drop the adjacency at once
  instead of after RouterDeadInterval.
"""

from routesim.proto.ospf.actions import JoinGroup, LeaveGroup
from routesim.proto.ospf.config import OspfAuth, OspfConfig, OspfInterface, OspfTimers
from routesim.proto.ospf.engine import OspfEngine

__all__ = [
    "JoinGroup",
    "LeaveGroup",
    "OspfAuth",
    "OspfConfig",
    "OspfEngine",
    "OspfInterface",
    "OspfTimers",
]
