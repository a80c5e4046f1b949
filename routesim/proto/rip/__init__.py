"""RIPv2 engine (RFC 2453) with simple-password and keyed-MD5 authentication (RFC 4822).

Files:

* ``routesim/wire/rip.py`` — the codec: ``RipPacket``/``RipEntry``/auth dataclasses, decode in the
  RFC's check order, ``RipDecodeError`` (bad packet) vs ``RipRouteError`` (bad entry), MD5 digests.
* ``config.py`` — ``RipConfig``, ``RipInterface``, ``RipAuth``, ``RipTimers``, ``SplitHorizon``.
* ``table.py`` — ``RipTable``/``RipRoute``: one route per prefix, each with its own deadlines.
* ``auth.py`` — sealing outgoing packets and judging incoming ones (password, key id, digest, sequence).
* ``engine.py`` — ``RipEngine``: input processing (§3.9), output processing (§3.10), timers (§3.8).

Route flow: ``PacketIn`` (UDP payload, src, src_port, iface) -> decode -> packet checks (interface
known and up, not our own address, authentication; for Responses source port 520 and a directly
connected source) -> per-entry §3.9.2 (metric + interface cost, next hop, new/better/same-gateway/
heuristic) -> ``RipTable`` -> ``RoutesChanged`` (reachable routes upserted, metric-16 routes
withdrawn: the RIB never holds an unreachable RIP route) -> RIB -> FIB. Locally originated routes
(subnets of RIP interfaces, and RIB routes of ``config.redistribute`` protocols fed by
``RibChanged``) are advertised with metric 1; the receiver adds its own interface cost.

Timers (named deadlines, see ``proto/base.py``):

* ``("rip", "update")`` — full update every ``update`` s, each time offset by +/- ``update_jitter``
  x ``update`` (RFC 2453 §3.8: +/- 0..5 s on 30 s).
* ``("rip", "triggered")`` — end of the 1..5 s damping after a triggered update (§3.10.1); changes in
  between are coalesced into one update of the changed routes; suppressed if the regular update
  comes first.
* ``("rip", "sweep")`` — one timer at the earliest route ``expires`` (timeout 180 s -> metric 16 and
  garbage 120 s) or ``gc_at`` (deletion), BIRD ``rip_timer`` style.

Supported standards: RFC 2453 (RIPv2: requests, responses, split horizon simple and with poisoned
reverse, triggered updates, route tags, next hop), RFC 4822 / RFC 2082 keyed MD5 (key id, sequence
numbers, replay rejection), RFC 2453 §4.1 simple password.

Deviations and choices:

* RIPv1 is not spoken: version 1 packets are dropped (RFC 2453 §5.1 "RIP-2 only").
* One route per prefix, no ECMP (as RFC 2453). An equal-metric route from another gateway replaces
  the current one only when that one is at least halfway to its timeout (the §3.9.2 heuristic).
* Locally originated routes are sent with metric 1 whatever the interface cost (BIRD, FRR); the
  interface ``metric`` is added on receipt (§3.9.2).
* Split horizon applies to learned routes only; connected subnets are advertised on all interfaces.
* Passive interfaces send nothing but still learn; they answer only diagnostic queries (port != 520).
* With ``neighbors`` set on an interface, updates and requests go unicast to them instead of 224.0.0.9.
* ``stop()`` sends a final update with every route at metric 16 (``RipConfig.poison_on_stop``);
  BIRD and FRR send nothing. ``RibChanged.routes`` is taken as the RIB's complete selected set.
* More than 25 entries are accepted on receipt (BIRD fills the MTU); we send at most 25 (24 + auth).
"""

from routesim.proto.rip.config import RipAuth, RipConfig, RipInterface, RipTimers, SplitHorizon
from routesim.proto.rip.engine import RipEngine

__all__ = ["RipAuth", "RipConfig", "RipEngine", "RipInterface", "RipTimers", "SplitHorizon"]
