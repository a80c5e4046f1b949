"""``routesim diff OLD.json NEW.json``: compare two runs' convergence times and tables.

Meant for CI regression checks: the exit code is 1 when a table or a verdict changed, or when a
convergence time grew by more than ``--tolerance`` (relative, default 50%) and ``--abs`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DiffResult:
    lines: list[str] = field(default_factory=list)
    regressions: int = 0

    def add(self, line: str, *, regression: bool = False) -> None:
        self.lines.append(("REGRESSION " if regression else "") + line)
        if regression:
            self.regressions += 1


def _selected(report: dict[str, Any]) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    for node, t in (report.get("tables") or {}).items():
        rows = ((t.get("routes") or {}).get("rib")) or []
        out[node] = {
            r["prefix"]: (
                r["protocol"],
                r.get("metric"),
                tuple(sorted(h.get("gateway") or "direct" for h in r.get("next_hops", []))),
            )
            for r in rows
            if r.get("selected")
        }
    return out


def _slower(old: float | None, new: float | None, tolerance: float, abs_s: float) -> bool:
    if old is None or new is None:
        return False
    return new > old * (1 + tolerance) and new - old > abs_s


def diff_reports(
    old: dict[str, Any], new: dict[str, Any], *, tolerance: float = 0.5, abs_s: float = 0.5
) -> DiffResult:
    d = DiffResult()
    if old.get("topology", {}).get("digest") != new.get("topology", {}).get("digest"):
        d.add("note: the topology files differ")
    oc, nc = old.get("convergence", {}), new.get("convergence", {})
    if oc.get("converged") != nc.get("converged"):
        d.add(
            f"converged: {oc.get('converged')} -> {nc.get('converged')}", regression=not nc.get("converged")
        )
    o_s, n_s = oc.get("seconds"), nc.get("seconds")
    d.add(f"initial convergence: {_fmt(o_s)} -> {_fmt(n_s)}", regression=_slower(o_s, n_s, tolerance, abs_s))
    ot, nt = _selected(old), _selected(new)
    for node in sorted(set(ot) | set(nt)):
        a, b = ot.get(node, {}), nt.get(node, {})
        for prefix in sorted(set(a) | set(b)):
            if a.get(prefix) != b.get(prefix):
                d.add(f"{node} {prefix}: {_route(a.get(prefix))} -> {_route(b.get(prefix))}", regression=True)
    oe, ne = old.get("events") or [], new.get("events") or []
    if len(oe) != len(ne):
        d.add(f"events: {len(oe)} -> {len(ne)}", regression=True)
    for e_old, e_new in zip(oe, ne, strict=False):
        name = e_new.get("description", e_new.get("action"))
        if e_old.get("converged") != e_new.get("converged") and not e_new.get("superseded"):
            d.add(
                f"event {e_new['index'] + 1} ({name}): converged {e_old.get('converged')} -> {e_new.get('converged')}",
                regression=not e_new.get("converged"),
            )
        o_s, n_s = e_old.get("convergence_seconds"), e_new.get("convergence_seconds")
        d.add(
            f"event {e_new['index'] + 1} ({name}): {_fmt(o_s)} -> {_fmt(n_s)}",
            regression=_slower(o_s, n_s, tolerance, abs_s),
        )
        o_l = sum(p.get("lost", 0) for p in e_old.get("probes", []))
        n_l = sum(p.get("lost", 0) for p in e_new.get("probes", []))
        if o_l != n_l:
            d.add(f"event {e_new['index'] + 1}: probe loss {o_l} -> {n_l} packets")
    if old.get("exit_code") != new.get("exit_code"):
        d.add(
            f"exit code: {old.get('exit_code')} -> {new.get('exit_code')}",
            regression=new.get("exit_code") != 0,
        )
    return d


def _fmt(s: float | None) -> str:
    return "-" if s is None else f"{s:.3f} s"


def _route(r: tuple | None) -> str:
    if r is None:
        return "absent"
    proto, metric, hops = r
    return f"{proto} metric {metric} via {', '.join(hops)}"
