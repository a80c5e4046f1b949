"""Waiting for convergence (DESIGN.md): every table equals the oracle's, or, where the oracle does
not model something, no router changed its RIB for a quiet period.

The convergence *time* is the last RIB change, taken from the routers' own event logs (their
timestamps, not the poller's), minus the reference time (lab start or the event's time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from routesim.oracle import ExpectedTables, Verdict, compare_tables
from routesim.topology.model import NodeKind


@dataclass
class ConvergenceResult:
    converged: bool
    seconds: float | None  # last RIB change - reference
    waited: float  # wall time spent waiting
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)  # node -> inspection "routes"
    last_change: float | None = None
    reason: str = ""

    @property
    def failures(self) -> list[str]:
        return [f.message for v in self.verdicts.values() for f in v.failures]


def snapshot(
    lab, expected: ExpectedTables, skip: set[str] | frozenset[str] = frozenset()
) -> tuple[dict[str, Verdict], dict[str, Any], float | None]:
    verdicts, tables, last = {}, {}, None
    for node in lab.topo.routers:
        if node.name in skip:
            continue
        routes = lab.inspect(node.name, "routes")
        tables[node.name] = routes
        unmodeled = expected.unmodeled_protocols(node.name)
        verdicts[node.name] = compare_tables(
            node.name, expected.for_router(node.name), routes["rib"], unmodeled
        )
        if node.kind is NodeKind.ROUTESIM:
            t = lab.inspect(node.name, "status").get("last_rib_change")
            if t is not None and (last is None or t > last):
                last = t
    return verdicts, tables, last


def wait_converged(
    lab,
    expected: ExpectedTables,
    *,
    since: float,
    timeout: float = 60.0,
    quiet: float = 3.0,
    poll: float = 0.2,
    skip: set[str] | frozenset[str] = frozenset(),
) -> ConvergenceResult:
    """Poll every router (but ``skip``, e.g. crashed ones) until its table matches ``expected``."""
    t0 = time.time()
    deadline = t0 + timeout
    needs_quiet = bool(expected.not_modeled)
    while True:
        lab.check_alive()
        verdicts, tables, last = snapshot(lab, expected, skip)
        now = time.time()
        all_ok = all(v.ok for v in verdicts.values())
        quiet_enough = last is None or now - last >= quiet
        if all_ok and (not needs_quiet or quiet_enough):
            return ConvergenceResult(
                True, (last - since) if last is not None else None, now - t0, verdicts, tables, last
            )
        if now > deadline:
            why = (
                "tables differ from the oracle"
                if not all_ok
                else f"routes still changing (quiet period {quiet} s)"
            )
            return ConvergenceResult(
                False,
                None,
                now - t0,
                verdicts,
                tables,
                last,
                reason=f"not converged after {timeout:.0f} s: {why}",
            )
        time.sleep(poll)
