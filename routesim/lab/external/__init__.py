"""External router kinds: real BIRD and FRR daemons as lab nodes, configured from the model.

Map:

* ``base.py``  -- :class:`ExternalRouter` (the protocol the orchestrator calls), errors, process
  tracking by (pid, start time), kernel FIB/interface reading, and :func:`rip_config`, which turns
  ``node.protocol("rip")`` (the loader's dataclass or the raw mapping) into one resolved value.
* ``bird.py``  -- ``kind: bird``: one ``bird.conf`` built from small per-section functions;
  routing protocols register ``bird_<proto>_section(node, topo)`` in ``PROTOCOL_SECTIONS``.
* ``frr.py``   -- ``kind: frr``: zebra + staticd + one daemon per protocol (``DAEMON_CONFIGS``),
  per-daemon config files, a private mount namespace per node, log scanning for refused lines.
* ``parse.py`` -- ``birdc``/``vtysh``/``ip -j`` output -> the inspection model's JSON shapes.

Life cycle (the orchestrator's calls, in order)::

    r = external_router(node)
    r.write_config(workdir, topo) -> [paths]      workdir: the node's own directory
    r.check_config()                              ExternalConfigError with the daemon's message
    r.start(netns) -> [pids]                      register the PIDs for teardown
    r.wait_ready(timeout)                         ExternalRouterError on timeout or death
    r.inspect("routes" | "interfaces" | "neighbors" | "protocols" | "log") -> dict
    r.stop()                                      idempotent

``inspect`` returns ``{"rib": [...], "fib": [...]}``, ``{"interfaces": [...]}``,
``{"neighbors": [...]}``, ``{"protocols": [...]}`` or ``{"log": [{"source", "line"}]}``;
entries are described in :mod:`routesim.lab.external.parse`.

Supported now: connected, static, RIPv2 (RFC 2453: split horizon with or without poisoned reverse,
simple password and RFC 2082 keyed-MD5 authentication, passive interfaces, redistribution), OSPFv2
(RFC 2328: areas, point-to-point and broadcast interfaces, cost, priority, timers, passive
interfaces, the loopback as a host route, simple and keyed-MD5 authentication, type 1/2 external
redistribution; neighbors read back from ``show ospf neighbors`` / ``show ip ospf neighbor json``).
BGP plugs in later through the two registries. Deviations: BIRD's OSPF dead/wait/retransmit
intervals cannot go below 2 s (raised, noted in the config); BIRD 2.0 RIP has no unicast neighbours
(ignored, noted in the config); FRR's RIP timers cannot go below 5 s (raised, noted in the config);
neither daemon lets us set the triggered-update delay.
"""

from __future__ import annotations

from routesim.topology.model import Node, NodeKind

from .base import ExternalConfigError, ExternalRouter, ExternalRouterError, rip_config
from .bird import BirdRouter, bird_config
from .frr import FrrRouter, frr_configs


def external_router(node: Node) -> ExternalRouter:
    """The external router for ``node.kind`` (``bird`` or ``frr``)."""
    if node.kind is NodeKind.BIRD:
        return BirdRouter(node)
    if node.kind is NodeKind.FRR:
        return FrrRouter(node)
    raise ValueError(f"node {node.name}: kind {node.kind} is not an external router")


__all__ = [
    "BirdRouter",
    "ExternalConfigError",
    "ExternalRouter",
    "ExternalRouterError",
    "FrrRouter",
    "bird_config",
    "external_router",
    "frr_configs",
    "rip_config",
]
