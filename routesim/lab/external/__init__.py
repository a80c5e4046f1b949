"""External router kinds: real BIRD, FRR and GoBGP daemons as lab nodes, configured from the model.

Map:

* ``base.py``  -- :class:`ExternalRouter` (the protocol the orchestrator calls), errors, process
  tracking by (pid, start time), kernel FIB/interface reading, and :func:`rip_config`, which turns
  ``node.protocol("rip")`` (the loader's dataclass or the raw mapping) into one resolved value.
* ``bird.py``  -- ``kind: bird``: one ``bird.conf`` built from small per-section functions;
  routing protocols register ``bird_<proto>_section(node, topo)`` in ``PROTOCOL_SECTIONS``.
* ``frr.py``   -- ``kind: frr``: zebra + staticd + one daemon per protocol (``DAEMON_CONFIGS``),
  per-daemon config files, a private mount namespace per node, log scanning for refused lines.
* ``gobgp.py`` -- ``kind: gobgp``: GoBGP's ``gobgpd`` (BGP only, no kernel FIB) with a generated
  ``gobgpd.toml``; announced prefixes are added through its API after start.
* ``bgp.py``   -- BGP settings resolved once for the three generators: sessions and timers, policy
  matches, the customer/peer/provider relationship model and its large-community markers.
* ``parse.py`` -- ``birdc``/``vtysh``/``gobgp -j``/``ip -j`` output -> the inspection model's JSON shapes.

Life cycle (the orchestrator's calls, in order)::

    r = external_router(node)
    r.write_config(workdir, topo) -> [paths]      workdir: the node's own directory
    r.check_config()                              ExternalConfigError with the daemon's message
    r.start(netns) -> [pids]                      register the PIDs for teardown
    r.wait_ready(timeout)                         ExternalRouterError on timeout or death
    r.inspect("routes" | "interfaces" | "neighbors" | "protocols" | "log" | "bgp") -> dict
    r.stop()                                      idempotent

``inspect`` returns ``{"rib": [...], "fib": [...]}``, ``{"interfaces": [...]}``,
``{"neighbors": [...]}``, ``{"protocols": [...]}`` or ``{"log": [{"source", "line"}]}``;
entries are described in :mod:`routesim.lab.external.parse`.

Supported now: connected, static, RIPv2 (RFC 2453: split horizon with or without poisoned reverse,
simple password and RFC 2082 keyed-MD5 authentication, passive interfaces, redistribution), OSPFv2
(RFC 2328: areas, point-to-point and broadcast interfaces, cost, priority, timers, passive
interfaces, the loopback as a host route, simple and keyed-MD5 authentication, type 1/2 external
redistribution; neighbors read back from ``show ospf neighbors`` / ``show ip ospf neighbor json``).
BGP-4 (RFC 4271) on all three kinds, with 4-octet ASNs (RFC 6793), TCP MD5 (RFC 2385), GTSM
(RFC 5082), route reflection (RFC 4456), per-neighbour import/export policies (BIRD, FRR) and the
customer/peer/provider relationship model (all three; bgp.py); ``inspect("bgp")`` returns
``{"protocol", "summary", "neighbors", "routes"}`` shaped like routesim's BGP engine (parse.py).

Deviations: BIRD's OSPF dead/wait/retransmit intervals cannot go below 2 s (raised, noted in the
config); BIRD 2.0 RIP has no unicast neighbours (ignored, noted in the config); FRR's RIP timers
cannot go below 5 s (raised, noted in the config); neither daemon lets us set the triggered-update
delay. BGP: BIRD has no MRAI setting and no Python-regex AS-path match; FRR cannot turn RFC 6793
off; BIRD refuses ``four_octet_as: false`` with a 4-octet ASN; GoBGP takes no import/export
policies, no ``redistribute`` and programs no kernel route (all raised as ExternalConfigError).
"""

from __future__ import annotations

from routesim.topology.model import Node, NodeKind

from .base import ExternalConfigError, ExternalRouter, ExternalRouterError, rip_config
from .bird import BirdRouter, bird_config
from .frr import FrrRouter, frr_configs
from .gobgp import GobgpRouter, gobgp_config


def external_router(node: Node) -> ExternalRouter:
    """The external router for ``node.kind`` (``bird``, ``frr`` or ``gobgp``)."""
    if node.kind is NodeKind.BIRD:
        return BirdRouter(node)
    if node.kind is NodeKind.FRR:
        return FrrRouter(node)
    if node.kind is NodeKind.GOBGP:
        return GobgpRouter(node)
    raise ValueError(f"node {node.name}: kind {node.kind} is not an external router")


__all__ = [
    "BirdRouter",
    "ExternalConfigError",
    "ExternalRouter",
    "ExternalRouterError",
    "FrrRouter",
    "GobgpRouter",
    "bird_config",
    "external_router",
    "frr_configs",
    "gobgp_config",
    "rip_config",
]
