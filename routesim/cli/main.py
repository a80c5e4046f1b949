"""The ``routesim`` command.

    routesim check TOPO            validate a topology and print its addressing plan
    routesim run TOPO              build the lab, wait for convergence, check it, report, tear down
    routesim show NODE [WHAT]      inspect a router of a kept lab (routes, interfaces, rip, ...)
    routesim exec NODE -- CMD      run a command inside a node of a kept lab
    routesim list                  labs on this machine (live, kept or stale)
    routesim down [LAB | --all]    remove a lab: processes, namespaces, state

Exit codes: 0 all good, 1 the lab ran but a check failed, 2 bad input (topology or usage),
3 the lab could not be built or a router died, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from routesim.topology import TopologyError, load_topology

# A pipe or a CI log gets a wide console so tables stay readable; a terminal keeps its own width.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
err_console = Console(stderr=True, highlight=False)

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_LAB, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupt(signum, frame):
    raise Interrupted(signum)


def _load(path: str):
    try:
        return load_topology(path)
    except TopologyError as e:
        err_console.print(f"[red]error:[/red] invalid topology {path}")
        err_console.print(str(e), markup=False)
        raise SystemExit(EXIT_INPUT) from None
    except OSError as e:
        err_console.print(f"[red]error:[/red] cannot read {path}: {e.strerror}")
        raise SystemExit(EXIT_INPUT) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="routesim")
def cli() -> None:
    """routesim: real routing protocols in network namespaces, checked against an oracle."""


@cli.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the resolved plan as JSON.")
def check(topology: str, as_json: bool) -> None:
    """Validate TOPOLOGY and print its addressing plan (creates nothing)."""
    from routesim.topology.plan import format_plan, plan_as_dict

    topo = _load(topology)
    if as_json:
        click.echo(json.dumps(plan_as_dict(topo), indent=2, default=str))
        return
    for r in format_plan(topo):
        console.print(r)
    console.print(
        f"[green]{topology}: valid[/green] ({len(topo.nodes)} nodes, {len(topo.links)} links, {len(topo.lans)} LANs)"
    )


def _require_root(*, pid_sandbox: bool = False) -> None:
    """Not root: restart inside an unprivileged user-namespace sandbox. Root with ``--pid-sandbox``:
    restart as the child of a PID namespace's init, so a crash takes every router with it."""
    from routesim.lab.sandbox import SandboxUnavailable, in_sandbox, reexec_in_sandbox

    if in_sandbox():
        return
    # the same command, whatever started this one (console script, python -m, a relative path)
    argv = [sys.executable, "-m", "routesim.cli.main", *sys.argv[1:]]
    try:
        if os.geteuid() != 0:
            reexec_in_sandbox(argv, user=True)
        elif pid_sandbox:
            reexec_in_sandbox(argv, user=False)
    except (SandboxUnavailable, OSError) as e:
        err_console.print(f"[red]error:[/red] {e}")
        raise SystemExit(EXIT_LAB) from None


@cli.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the whole report as JSON.")
@click.option(
    "--keep", is_flag=True, help="Leave the lab running (inspect with show/exec, remove with down)."
)
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for convergence.")
@click.option("--seed", default=0, show_default=True, help="Seed of every router's randomness (jitter).")
@click.option(
    "--tables/--no-tables", default=None, help="Print every routing table (default: when <= 12 routers)."
)
@click.option(
    "--emulation",
    type=click.Choice(["auto", "netem", "userspace"]),
    default="auto",
    show_default=True,
    help="How impaired links are emulated.",
)
@click.option(
    "--hold", default=0.0, help="Keep the lab up this many seconds after the checks, then tear down."
)
@click.option("--timeline", is_flag=True, help="Print every change of every event's timeline.")
@click.option(
    "--capture", "capture_dir", type=click.Path(file_okay=False), help="Write one pcap per link here."
)
@click.option(
    "--mode",
    type=click.Choice(["netns", "loopback"]),
    default="netns",
    show_default=True,
    help="netns: namespaces, kernel FIBs, hosts. loopback: no root or namespaces; routers on 127.x (RIP, BGP).",
)
@click.option(
    "--plot", "plot_dir", type=click.Path(file_okay=False), help="Write timeline and topology plots here."
)
@click.option(
    "--pid-sandbox",
    is_flag=True,
    help="Root: run the lab under its own PID namespace (a crash takes every router with it).",
)
def run(
    topology,
    json_path,
    keep,
    timeout,
    seed,
    tables,
    emulation,
    hold,
    timeline,
    capture_dir,
    mode,
    plot_dir,
    pid_sandbox,
) -> None:
    """Build the lab of TOPOLOGY, wait for convergence, check it against the oracle, tear down."""
    topo = _load(topology)
    if mode == "netns":
        _require_root(pid_sandbox=pid_sandbox)
    code = run_lab(
        topo,
        json_path=json_path,
        keep=keep,
        timeout=timeout,
        seed=seed,
        tables=tables,
        emulation=emulation,
        hold=hold,
        timeline=timeline,
        capture_dir=capture_dir,
        mode=mode,
        plot_dir=plot_dir,
    )
    raise SystemExit(code)


def run_lab(
    topo,
    *,
    json_path=None,
    keep=False,
    timeout=120.0,
    seed=0,
    tables=None,
    emulation="auto",
    hold=0.0,
    timeline=False,
    capture_dir=None,
    mode="netns",
    plot_dir=None,
) -> int:
    from routesim.lab.convergence import wait_converged
    from routesim.lab.orchestrator import Lab, LabError
    from routesim.lab.probes import check_expect
    from routesim.lab.state import LabBusy
    from routesim.oracle import expected_tables
    from routesim.report.json_report import topology_digest, verdict_json, write_report
    from routesim.report.terminal import print_tables, reach_table

    t_start = time.time()

    def progress(msg: str) -> None:
        console.print(f"[dim]{time.time() - t_start:7.2f}s[/dim] {msg}")

    report: dict[str, Any] = {
        "topology": {"name": topo.name, "path": topo.source, "digest": topology_digest(topo.source)},
        "timers": topo.timers.as_dict(),
        "started": t_start,
    }
    expected = expected_tables(topo)
    lab = Lab(
        topo, progress=progress, seed=seed, emulation=emulation, keep=keep, capture_dir=capture_dir, mode=mode
    )
    old = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    code = EXIT_OK
    try:
        progress(f"lab [bold]{lab.names.lab}[/bold]: timers profile [bold]{topo.timers.profile}[/bold]")
        from routesim.lab.sandbox import in_sandbox

        if in_sandbox():
            kind = {"user": "an unprivileged user-namespace", "pid": "a PID-namespace"}.get(
                in_sandbox() or "", "a"
            )
            progress(f"running inside {kind} sandbox")
        lab.up()
        report["lab"] = {
            "name": lab.names.lab,
            "emulator": lab.plumbing.emulator_kind if lab.plumbing else "none",
            "ready_seconds": round(lab.ready_at - lab.started_at, 3),
        }
        if lab.plumbing and lab.plumbing.emulated:
            progress(f"impaired links emulated by: {lab.plumbing.emulator_kind}")
        progress("waiting for convergence")
        res = wait_converged(lab, expected, since=lab.started_at, timeout=timeout)
        show_all = tables if tables is not None else len(topo.routers) <= 12
        print_tables(console, res.verdicts, only_failures=not show_all)
        for router, proto, why in expected.not_modeled:
            console.print(f"[yellow]not modeled[/yellow]: {router} {proto} ({why})")
        report["convergence"] = {
            "converged": res.converged,
            "seconds": res.seconds,
            "waited": round(res.waited, 3),
            "reason": res.reason,
            "failures": res.failures,
        }
        report["tables"] = {
            n: {"routes": res.tables.get(n), "verdict": verdict_json(v)} for n, v in res.verdicts.items()
        }
        if res.converged:
            secs = (
                f"last RIB change {res.seconds:.2f} s after the lab started"
                if res.seconds is not None
                else "no RIB change"
            )
            progress(f"[green]converged[/green]: every table matches the oracle ({secs})")
        else:
            code = EXIT_FAILED
            progress(f"[red]{res.reason}[/red]")
            for f in res.failures:
                console.print(f"  [red]x[/red] {f}")
        bgp_rows = _bgp_overview(lab, topo)
        if bgp_rows is not None:
            report["bgp"] = bgp_rows
        results = []
        if topo.expect and mode == "loopback":
            progress(
                f"[yellow]skipping {len(topo.expect)} reachability checks: loopback mode has no hosts[/yellow]"
            )
        elif topo.expect:
            progress(f"checking {len(topo.expect)} reachability expectations")
            results = [check_expect(lab, e) for e in topo.expect]
            console.print(reach_table(results))
            if not all(r.ok for r in results):
                code = EXIT_FAILED
        report["expect"] = [r.to_json() for r in results]
        if hold > 0:
            lab.set_phase("holding")
            progress(f"holding the lab for {hold:g} s (Ctrl-C to stop early)")
            deadline = time.monotonic() + hold
            while time.monotonic() < deadline:
                lab.check_alive()
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if topo.events:
            code = max(code, _play_events(lab, topo, report, timeout, timeline, progress))
        if plot_dir:
            written = _plots(topo, report, plot_dir, lab)
            progress(f"{len(written)} plots written to {plot_dir}")
    except LabBusy as e:
        err_console.print(f"[red]error:[/red] {e}")
        lab = None
        code = EXIT_INPUT
    except (LabError, OSError) as e:
        err_console.print(f"[red]error:[/red] {e}")
        if os.environ.get("ROUTESIM_DEBUG"):
            import traceback

            traceback.print_exc()
        report["error"] = str(e)
        code = EXIT_LAB
    except Interrupted as e:
        err_console.print(f"\n[yellow]interrupted ({e}), tearing down[/yellow]")
        report["error"] = f"interrupted by {e}"
        keep = False
        code = EXIT_INTERRUPTED
    finally:
        # Teardown is not interruptible: a second Ctrl-C must not leave half a lab behind.
        for s in old:
            signal.signal(s, signal.SIG_IGN)
        if lab is not None:
            if keep and code in (EXIT_OK, EXIT_FAILED):
                lab.detach()
                console.print(
                    f"lab [bold]{lab.names.lab}[/bold] kept: routesim show NODE routes | routesim exec NODE -- CMD | "
                    f"routesim down {lab.names.lab}"
                )
            else:
                td = lab.down()
                progress(f"torn down: {td.summary()}")
                report["teardown"] = td.summary()
        for s, h in old.items():
            signal.signal(s, h)
    report["exit_code"] = code
    report["finished"] = time.time()
    if json_path:
        write_report(json_path, report)
        console.print(f"report written to {json_path}")
    return code


def _bgp_overview(lab, topo) -> dict[str, Any] | None:
    """Every BGP session's state and every router's best route to each announced prefix."""
    from rich.table import Table

    speakers = [n for n in topo.routers if n.protocol("bgp") is not None]
    if not speakers:
        return None
    announced = sorted({str(p) for n in speakers for p in n.protocol("bgp").announce})
    sessions, best = [], []
    for n in speakers:
        try:
            data = lab.inspect(n.name, "bgp")
        except (KeyError, ValueError, RuntimeError, OSError):
            continue
        for nb in data.get("neighbors", []):
            sessions.append(
                {
                    "router": n.name,
                    "peer": nb.get("description") or nb.get("address"),
                    "address": nb.get("address"),
                    "state": nb.get("state"),
                }
            )
        for r in data.get("routes", []):
            if r.get("best") and r.get("prefix") in announced:
                best.append(
                    {
                        "router": n.name,
                        **{k: r.get(k) for k in ("prefix", "as_path", "next_hop", "local_pref", "reason")},
                    }
                )
    up = sum(1 for x in sessions if x["state"] == "Established")
    console.print(
        f"BGP: {up}/{len(sessions)} sessions Established"
        + (
            ""
            if up == len(sessions)
            else ": "
            + ", ".join(
                f"{x['router']}-{x['peer']} {x['state']}" for x in sessions if x["state"] != "Established"
            )
        )
    )
    t = Table(title="best BGP route of every router to each announced prefix", title_justify="left")
    for c in ("router", "prefix", "AS path", "next hop", "LOCAL_PREF", "why best"):
        t.add_column(c)
    for b in sorted(best, key=lambda x: (x["prefix"], x["router"])):
        t.add_row(
            b["router"],
            b["prefix"],
            b["as_path"] or "(this AS)",
            b["next_hop"] or "-",
            str(b["local_pref"] or ""),
            b["reason"] or "",
        )
    console.print(t)
    return {"sessions": sessions, "best": best}


def _play_events(lab, topo, report, timeout, timeline, progress) -> int:
    from routesim.lab.events import EventPlayer
    from routesim.lab.probes import check_expect
    from routesim.report.terminal import (
        events_table,
        metric_histories,
        print_tables,
        reach_table,
        reach_table_json,
        timeline_lines,
    )

    lab.set_phase("events")
    player = EventPlayer(lab, timeout=timeout, progress=progress)

    def reach_after(res) -> None:
        if (
            topo.expect
            and lab.mode != "loopback"
            and res.convergence is not None
            and res.convergence.converged
        ):
            checks = [
                check_expect(lab, e, check_path=False)
                for e in topo.expect
                if e.source not in player.world.down_nodes
            ]
            res.reach = [c.to_json() for c in checks]

    results = player.play_all(topo.events, converged_at=time.time(), on_result=reach_after)
    lab.event_results = results
    for r in results:
        console.print(f"[bold]event {r.index + 1}[/bold]: {r.description}")
        for line in timeline_lines(r, limit=None if timeline else 40):
            console.print(line, markup=False, highlight=False)
        histories = metric_histories(r)
        if histories:
            console.print("  metric history (routes that changed 3 times or more):")
            for line in histories:
                console.print("  " + line, markup=False, highlight=False)
        if r.reach:
            console.print(reach_table_json(r.reach, title=f"after event {r.index + 1}: paths and RTTs"))
        if r.superseded:
            console.print(
                "  [yellow]not converged when the next event was due (the script moves on)[/yellow]"
            )
        elif r.convergence is not None and not r.convergence.converged:
            print_tables(console, r.convergence.verdicts, only_failures=True)
            for f in r.convergence.failures:
                console.print(f"  [red]x[/red] {f}")
    console.print(events_table(results))
    report["events"] = [r.to_json() for r in results]
    if topo.expect:
        after = [
            check_expect(lab, e, check_path=False)
            for e in topo.expect
            if e.source not in player.world.down_nodes
        ]
        console.print("after the last event:")
        console.print(reach_table(after))
        report["expect_after_events"] = [x.to_json() for x in after]
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def _plots(topo, report, plot_dir, lab) -> list[Path]:
    from routesim.report.plot import plot_event, plot_topology

    d = Path(plot_dir)
    d.mkdir(parents=True, exist_ok=True)
    written = plot_topology(topo, report.get("expect", []), d)
    for r in getattr(lab, "event_results", []):
        written += plot_event(r, d)
    return written


def _attach(lab_name: str | None):
    from routesim.lab.attach import attach_lab

    try:
        return attach_lab(lab_name)
    except LookupError as e:
        err_console.print(f"[red]error:[/red] {e}")
        raise SystemExit(EXIT_INPUT) from None


@cli.command()
@click.argument("node")
@click.argument("what", default="routes")
@click.argument("view", nargs=-1)
@click.option("--lab", "lab_name", help="Lab name (default: the only running lab).")
@click.option("--json", "as_json", is_flag=True, help="Print the inspection model's JSON.")
def show(node: str, what: str, view: tuple[str, ...], lab_name: str | None, as_json: bool) -> None:
    """Inspect NODE of a running lab.

    WHAT is routes, interfaces, neighbors, events, counters, status, or a protocol with a view:
    rip; ospf [neighbors|interfaces|database|routes]; bgp [summary|neighbors|routes|rib-in PEER|rib-out PEER].
    """
    from routesim.report.show import render_show, select_view

    lab = _attach(lab_name)
    if node not in lab.nodes:
        err_console.print(
            f"[red]error:[/red] no node {node!r} in lab {lab.names.lab}; nodes: {', '.join(lab.nodes)}"
        )
        raise SystemExit(EXIT_INPUT)
    try:
        data = lab.inspect(node, what)
        data = select_view(what, view, data)
    except (KeyError, RuntimeError, ValueError) as e:
        err_console.print(f"[red]error:[/red] {node}: cannot show {' '.join((what, *view))!r}: {e}")
        raise SystemExit(EXIT_INPUT) from None
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        render_show(console, node, " ".join((what, *view)), data)


@cli.command()
@click.argument("event_yaml")
@click.option("--lab", "lab_name", help="Lab name (default: the only running lab).")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for convergence.")
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write the event's result as JSON."
)
def event(event_yaml: str, lab_name: str | None, timeout: float, json_path: str | None) -> None:
    """Play one event on a kept lab, e.g. routesim event '{link_down: [r1, r3]}'.

    The event takes the same form as an entry of the topology's events: list; the lab then waits
    for convergence against the oracle of the changed topology and reports like run does.
    """
    import yaml

    from routesim.lab.events import EventPlayer, load_history, save_history
    from routesim.report.terminal import events_table, metric_histories, timeline_lines
    from routesim.topology import load_topology_text

    lab = _attach(lab_name)
    try:
        entry = yaml.safe_load(event_yaml)
        doc = yaml.safe_load(Path(lab.topo.source).read_text())
        doc["events"] = [entry]
        spec = load_topology_text(yaml.safe_dump(doc), filename=f"<event> ({lab.topo.source})").events[0]
    except TopologyError as e:
        err_console.print("[red]error:[/red] invalid event:")
        err_console.print(str(e), markup=False)
        raise SystemExit(EXIT_INPUT) from None
    except (yaml.YAMLError, AttributeError, TypeError) as e:
        err_console.print(f"[red]error:[/red] an event is a YAML mapping like '{{link_down: [r1, r2]}}': {e}")
        raise SystemExit(EXIT_INPUT) from None
    player = EventPlayer(lab, timeout=timeout, progress=lambda m: console.print(m))
    history = load_history(player)
    result = player.play(len(history), spec)
    history.append({"action": spec.action, "args": spec.args})
    save_history(player, history)
    for line in timeline_lines(result, limit=None):
        console.print(line, markup=False, highlight=False)
    for line in metric_histories(result):
        console.print("  " + line, markup=False, highlight=False)
    console.print(events_table([result]))
    if json_path:
        Path(json_path).write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILED)


@cli.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("node")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--lab", "lab_name", help="Lab name (default: the only running lab).")
def exec_(node: str, command: tuple[str, ...], lab_name: str | None) -> None:
    """Run COMMAND inside NODE's network namespace (e.g. routesim exec h1 -- ping 10.0.0.1)."""
    import os

    from routesim.lab import netns as nsx

    lab = _attach(lab_name)
    if node not in lab.nodes:
        err_console.print(f"[red]error:[/red] no node {node!r} in lab {lab.names.lab}")
        raise SystemExit(EXIT_INPUT)
    argv = nsx.netns_argv(lab.names.netns(node), list(command))
    os.execvp(argv[0], argv)


@cli.command(name="list")
def list_() -> None:
    """List labs on this machine."""
    from routesim.lab.state import list_labs

    labs = list_labs()
    if not labs:
        console.print("no labs")
    from routesim.lab.names import LabNames
    from routesim.lab.orchestrator import kept_and_alive

    for info in labs:
        status = info.status
        phase = ""
        try:
            names = LabNames(info.name)
            if status != "live" and kept_and_alive(names):
                status = "kept"
            if (names.state_dir / "phase").exists():
                phase = (names.state_dir / "phase").read_text().strip()
        except (ValueError, OSError):
            pass
        console.print(
            f"{info.name:20} {status:6} {len(info.netns):3} namespaces  {phase:14} {info.topology_path or ''}"
        )


@cli.command()
@click.argument("lab_name", required=False)
@click.option("--all", "all_labs", is_flag=True, help="Remove every routesim lab on this machine.")
def down(lab_name: str | None, all_labs: bool) -> None:
    """Remove a lab (running, kept or stale): its processes, namespaces and state."""
    from routesim.lab.state import list_labs
    from routesim.lab.teardown import teardown

    if all_labs:
        targets = [i.name for i in list_labs()]
    elif lab_name:
        targets = [lab_name]
    else:
        labs = list_labs()
        if len(labs) != 1:
            err_console.print(
                f"[red]error:[/red] {len(labs)} labs present; name one: {', '.join(i.name for i in labs) or '-'}"
            )
            raise SystemExit(EXIT_INPUT)
        targets = [labs[0].name]
    if not targets:
        console.print("no labs to remove")
    for name in targets:
        report = teardown(name)
        console.print(report.summary())
        if report.errors:
            raise SystemExit(EXIT_LAB)


@cli.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--tolerance", default=0.5, show_default=True, help="Relative slow-down that counts as a regression."
)
@click.option("--abs", "abs_s", default=0.5, show_default=True, help="...and by at least this many seconds.")
def diff(old: str, new: str, tolerance: float, abs_s: float) -> None:
    """Compare two --json reports: convergence times, tables, verdicts (exit 1 on regression)."""
    from routesim.report.diff import diff_reports

    try:
        a, b = json.loads(Path(old).read_text()), json.loads(Path(new).read_text())
    except ValueError as e:
        err_console.print(f"[red]error:[/red] not a routesim report: {e}")
        raise SystemExit(EXIT_INPUT) from None
    result = diff_reports(a, b, tolerance=tolerance, abs_s=abs_s)
    for line in result.lines:
        style = "red" if line.startswith("REGRESSION") else None
        console.print(line, style=style, markup=False)
    console.print(f"{result.regressions} regressions")
    raise SystemExit(EXIT_FAILED if result.regressions else EXIT_OK)


def main() -> None:
    cli(prog_name="routesim")


if __name__ == "__main__":
    main()
