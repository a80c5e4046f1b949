"""Terminal rendering of a run: routing tables with the oracle's verdict, reach checks, summary."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from routesim.oracle.compare import Status, Verdict

_STYLE = {
    Status.OK: "green",
    Status.NOT_MODELED: "yellow",
}


def _hops(row: dict[str, Any] | None) -> str:
    if not row:
        return "-"
    out = []
    for h in row.get("next_hops", []):
        if h.get("gateway"):
            out.append(f"{h['gateway']} ({h.get('interface') or '?'})")
        else:
            out.append(f"direct ({h.get('interface') or '?'})")
    return ", ".join(out) or "-"


def _expected_hops(exp) -> str:
    if exp is None:
        return "-"
    if exp.protocol == "connected":
        return "direct"
    gws = sorted(str(g) if g else "direct" for g in exp.gateways)
    sep = " | " if exp.match == "any" else ", "
    return sep.join(gws)


def routing_table(node: str, verdict: Verdict) -> Table:
    t = Table(title=f"{node}", title_justify="left", show_lines=False, expand=False)
    t.add_column("prefix")
    t.add_column("proto")
    t.add_column("metric", justify="right")
    t.add_column("next hop")
    t.add_column("oracle")
    for rv in verdict.routes:
        act = rv.actual
        proto = act["protocol"] if act else (rv.expected.protocol if rv.expected else "-")
        metric = "" if not act or act.get("metric") is None else str(act["metric"])
        style = _STYLE.get(rv.status, "red")
        if rv.status is Status.OK:
            mark = "ok"
        elif rv.status is Status.NOT_MODELED:
            mark = "not modeled"
        else:
            mark = f"{rv.status}: expected {_expected_hops(rv.expected)}"
            if rv.expected is not None and rv.expected.metric is not None:
                mark += f" metric {rv.expected.metric}"
        t.add_row(str(rv.prefix), proto, metric, _hops(act), f"[{style}]{mark}[/{style}]")
    return t


def reach_table(results) -> Table:
    t = Table(title="reachability (ping and traceroute from hosts)", title_justify="left")
    t.add_column("from")
    t.add_column("to")
    t.add_column("received", justify="right")
    t.add_column("rtt avg", justify="right")
    t.add_column("path")
    t.add_column("check")
    for r in results:
        e = r.expect
        rtt = f"{r.rtt_avg_ms:.2f} ms" if r.rtt_avg_ms is not None else "-"
        path = " > ".join(r.path) if r.path else "-"
        check = "[green]ok[/green]" if r.ok else f"[red]FAIL[/red] {r.message}"
        t.add_row(
            e.source,
            str(e.target) + ("" if e.kind == "reach" else " (unreachable)"),
            f"{r.received}/{r.sent}",
            rtt,
            path,
            check,
        )
    return t


def print_tables(console: Console, verdicts: dict[str, Verdict], *, only_failures: bool = False) -> None:
    for node, v in verdicts.items():
        if only_failures and v.ok:
            continue
        console.print(routing_table(node, v))


def _fmt_route(r: dict[str, Any] | None) -> str:
    if not r:
        return "unreachable"
    hops = ",".join(h.get("gateway") or f"direct:{h.get('interface')}" for h in r.get("next_hops", []))
    return f"{r['protocol']} metric {r['metric']} via {hops}"


def _notable(message: str) -> bool:
    """Protocol log lines worth showing by default: DR/BDR elections and interface roles."""
    return message.startswith("ospf interface") and any(w in message for w in (" DR", "Backup", "DROther"))


def timeline_lines(result, limit: int | None = 60) -> list[str]:
    """One line per RIB/interface/session change after an event, time relative to the event.
    With ``limit=None`` (``--timeline``) every protocol log line is included too."""
    lines = []
    for e in result.timeline:
        dt = e["t"] - result.applied_at
        if e["kind"] == "rib":
            text = f"{e['prefix']}: {_fmt_route(e.get('old'))} -> {_fmt_route(e.get('new'))}"
        elif e["kind"] == "iface":
            text = f"interface {e['interface']} {e['state']}"
        elif e["kind"] == "session":
            text = f"{e['protocol']} {e['peer']}: {e['old']} -> {e['new']}" + (
                f" ({e['reason']})" if e.get("reason") else ""
            )
        elif e["kind"] == "status":
            text = f"router {e.get('state')}"
        elif e["kind"] == "config":
            text = f"{e.get('command')} {e.get('prefix', '')}"
        elif e["kind"] == "log" and (limit is None or _notable(e.get("message", ""))):
            text = e.get("message", "")
        else:
            continue
        lines.append(f"+{dt:8.3f}s  {e['node']:<10} {text}")
    if limit is not None and len(lines) > limit:
        extra = len(lines) - limit
        lines = [*lines[:limit], f"           ... {extra} more (routesim run --timeline shows all)"]
    return lines


def events_table(results) -> Table:
    t = Table(title="events", title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("event")
    t.add_column("convergence", justify="right")
    t.add_column("routers changed")
    t.add_column("routes", justify="right")
    t.add_column("messages sent", justify="right")
    t.add_column("probe loss")
    t.add_column("oracle")
    for r in results:
        sent = sum(v for cs in r.messages.values() for k, v in cs.items() if "sent" in k)
        loss = "; ".join(f"{p.source}>{p.target} {p.lost}/{p.sent}" for p in r.probes) or "-"
        if r.error:
            verdict = f"[red]error: {r.error}[/red]"
        elif r.convergence and r.convergence.converged:
            verdict = "[green]ok[/green]"
        elif r.superseded:
            verdict = "[yellow]next event came first[/yellow]"
        else:
            verdict = f"[red]{r.convergence.reason if r.convergence else 'not checked'}[/red]"
        conv = f"{r.convergence_seconds:.3f} s" if r.convergence_seconds is not None else "-"
        t.add_row(
            str(r.index + 1),
            r.description,
            conv,
            ", ".join(r.changed_routers) or "-",
            str(r.routes_changed),
            str(sent),
            loss,
            verdict,
        )
    return t


def metric_histories(result, min_changes: int = 3) -> list[str]:
    """Per router and prefix that changed at least ``min_changes`` times after an event: the
    sequence of metrics with the time of each change (count-to-infinity reads at a glance)."""
    hist: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for e in result.timeline:
        if e["kind"] != "rib":
            continue
        key = (e["node"], e["prefix"])
        if key not in hist:
            old = e.get("old")
            hist[key] = [(0.0, str(old["metric"]) if old else "-")]
        new = e.get("new")
        hist[key].append((e["t"] - result.applied_at, str(new["metric"]) if new else "unreachable"))
    lines = []
    for (node, prefix), steps in sorted(hist.items()):
        if len(steps) - 1 < min_changes:
            continue
        seq = " -> ".join(f"{m}" if t == 0.0 else f"{m} (+{t:.2f}s)" for t, m in steps)
        lines.append(f"{node:<8} {prefix:<18} {seq}")
    return lines


def reach_table_json(rows: list[dict[str, Any]], title: str) -> Table:
    """Reach results (the JSON shape of ``ReachResult.to_json``) as a table: where traffic goes now."""
    t = Table(title=title, title_justify="left")
    for c in ("from", "to", "received", "rtt avg", "path"):
        t.add_column(c)
    for r in rows:
        rtt = f"{r['rtt_avg_ms']:.2f} ms" if r.get("rtt_avg_ms") is not None else "-"
        t.add_row(
            r["from"], r["to"], f"{r['received']}/{r['sent']}", rtt, " > ".join(r.get("path") or []) or "-"
        )
    return t
