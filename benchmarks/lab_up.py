"""Cost of bringing a lab up: time to ready, time to convergence, memory and CPU per router.

Run by hand, as root (it builds real namespaces; it is not a test)::

    python benchmarks/lab_up.py [--sizes 10,50,100] [--protocol static|rip] [--shape ring|grid]
                                [--bird-sizes 10,50] [--repeat N] [--keep-dir]

For every size K it generates a topology in a temporary directory (K routers in a ring with
seeded random chords, or a grid; one host per 10 routers; ``timers: fast``), brings it up with
:class:`~routesim.lab.orchestrator.Lab`, and measures

* the time from the start of ``Lab.up()`` to every router ready, and its phases: network build
  (namespaces, veths, addresses), router spawn (zygote start + one fork per router, or starting
  the BIRD daemons) and readiness (until every router answers ``status`` with ready);
* the time to convergence against the oracle (``wait_converged``; the reported figure is the last
  RIB change minus the lab's start, from the routers' own clocks);
* memory per router process: RSS and PSS from ``/proc/PID/smaps_rollup`` (mean and max over the
  routers), the zygote's, and the total PSS of all router processes;
* mean PSS per router again at the end (after convergence and ``--settle`` seconds: a
  long-running router's full garbage collections must not unshare the zygote's pages);
* CPU seconds (``cpu_seconds``: schedstat, to the nanosecond) of the routers during bring-up (read when
  every router is ready), summed over routers.

``--protocol static`` (default): every router gets static routes towards every host subnet along
the shortest path (so the oracle has something to check); ``--protocol rip``: RIPv2 everywhere,
connected routes redistributed. The same topologies are measured with every router ``kind: bird``
for the sizes in ``--bird-sizes``, so the table compares routesim with BIRD. Labs are always torn
down; at the end the script checks that no ``rs-`` namespace is left and exits 1 if one is.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routesim.lab import orchestrator
from routesim.lab.convergence import wait_converged
from routesim.lab.names import list_all_netns
from routesim.lab.orchestrator import Lab
from routesim.oracle import expected_tables
from routesim.testing import lab_pids, leftovers
from routesim.topology import load_topology
from routesim.topology.model import NodeKind

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- topology generation --------------------------------------------------------------------------


def router_graph(k: int, shape: str) -> nx.Graph:
    """Routers 1..k: a ring with a chord from every third router to a seeded random one, or a grid."""
    if shape == "grid":
        cols = max(1, round(k**0.5))
        g = nx.Graph()
        g.add_nodes_from(range(1, k + 1))
        for i in range(k):
            if (i + 1) % cols and i + 1 < k:
                g.add_edge(i + 1, i + 2)
            if i + cols < k:
                g.add_edge(i + 1, i + cols + 1)
        return g
    g = nx.cycle_graph(range(1, k + 1))
    rng = random.Random(k)
    if k > 4:
        for i in range(1, k + 1, 3):
            for _ in range(20):
                j = rng.randrange(1, k + 1)
                dist = abs(i - j) % k
                if min(dist, k - dist) > 1 and not g.has_edge(i, j) and g.degree(j) < 4:
                    g.add_edge(i, j)
                    break
    return g


def make_topology(k: int, protocol: str, kind: str, shape: str) -> tuple[dict[str, Any], int]:
    """The YAML document of one benchmark lab, and the routers' graph diameter."""
    g = router_graph(k, shape)
    name = f"bn-{protocol[0]}{kind[0]}{shape[0]}-{k}"  # at most 16 characters
    nodes: dict[str, Any] = {}
    for i in range(1, k + 1):
        spec: dict[str, Any] = {}
        if kind != "routesim":
            spec["kind"] = kind
        if protocol == "rip":
            spec["rip"] = {"redistribute": ["connected"]}
        nodes[f"r{i}"] = spec
    links: list[Any] = [[f"r{a}", f"r{b}"] for a, b in sorted(tuple(sorted(e)) for e in g.edges)]
    n_hosts = max(1, k // 10)
    for j in range(n_hosts):
        gw = 1 + j * 10 if k >= 10 else 1
        subnet = f"10.200.{j}.0/24"
        nodes[f"h{j + 1}"] = {"kind": "host", "gateway": f"r{gw}"}
        links.append({"endpoints": [f"r{gw}", f"h{j + 1}"], "subnet": subnet})
        if protocol == "static":
            paths = nx.single_source_shortest_path(g, gw)
            for r, path in paths.items():
                if r != gw:
                    nodes[f"r{r}"].setdefault("static", []).append(f"{subnet} via r{path[-2]}")
    doc = {
        "name": name,
        "description": f"lab_up benchmark: {k} {kind} routers, {shape}, {protocol}",
        "timers": "fast",
        "nodes": nodes,
        "links": links,
    }
    return doc, nx.diameter(g)


# --- measurement ----------------------------------------------------------------------------------


def smaps_rollup(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB."""
    rss = pss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss / 1024, pss / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its threads, in seconds, to the nanosecond.

    The sum of ``sum_exec_runtime`` (``/proc/PID/task/TID/schedstat``, first field, ns) over the
    process's threads. ``utime + stime`` from ``/proc/PID/stat`` would be coarser: the kernel
    truncates each of the two to a clock tick (10 ms), so a process undercounts by ~10 ms on
    average, and a comparison of one routesim process per router with FRR's three daemons per
    router (each undercounted) would be skewed by a few tenths of a second at 3x3, as large as the
    quantity measured. Falls back to ``/proc/PID/stat`` where schedstat is missing
    (``CONFIG_SCHED_INFO`` off).
    """
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except FileNotFoundError:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


class TimedLab(Lab):
    """A Lab that notes when each phase of ``up()`` begins."""

    t_spawn: float = 0.0
    t_wait: float = 0.0
    zygote_seconds: float = 0.0

    def _start_routesim(self) -> None:
        self.t_spawn = time.time()
        super()._start_routesim()

    def _wait_ready(self, timeout: float) -> None:
        self.t_wait = time.time()
        super()._wait_ready(timeout)


_ZYGOTE = orchestrator.Zygote


class TimedZygote(_ZYGOTE):
    last_start_seconds = 0.0

    def __init__(self, *a: Any, **kw: Any) -> None:
        t0 = time.perf_counter()
        super().__init__(*a, **kw)
        TimedZygote.last_start_seconds = time.perf_counter() - t0


@dataclass
class Result:
    size: int
    kind: str
    protocol: str
    build: float = 0.0
    spawn: float = 0.0
    zygote: float = 0.0
    wait: float = 0.0
    ready: float = 0.0
    converged: float | None = None
    conv_polled: bool = False
    rss: list[float] = field(default_factory=list)
    pss: list[float] = field(default_factory=list)
    zygote_mem: tuple[float, float] | None = None
    cpu: float = 0.0
    pss_end: list[float] = field(default_factory=list)
    error: str = ""


def _busy_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def wait_quiet(threshold: float = 0.1, window: float = 0.5, timeout: float = 60.0) -> float:
    """Wait until the machine's CPUs are busy less than ``threshold`` of a ``window`` (the kernel
    destroys a torn-down lab's namespaces and veths in the background, for seconds after
    ``ip netns del`` returned: a lab measured meanwhile competes with that). Returns the wait."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        b0, a0 = _busy_ticks()
        time.sleep(window)
        b1, a1 = _busy_ticks()
        if a1 > a0 and (b1 - b0) / (a1 - a0) < threshold:
            break
    return time.monotonic() - t0


def down_and_check(lab: Lab, pids: list[int]) -> str:
    """Tear the lab down and say what it left behind (``" LEFTOVERS: ..."``, or ``""``)."""
    if not pids and lab.state is not None:
        try:
            pids = lab_pids(lab)
        except Exception:
            pass
    lab.down()
    left = leftovers(lab, pids)
    return f" LEFTOVERS: {', '.join(left)}" if left else ""


def router_pids(lab: Lab) -> list[int]:
    pids: list[int] = []
    for h in lab.nodes.values():
        if h.kind is NodeKind.ROUTESIM and h.pid:
            pids.append(h.pid)
        elif h.kind.is_router and h.pids:
            pids.extend(h.pids)
    return pids


def measure(
    path: Path, kind: str, protocol: str, size: int, converge_timeout: float, settle: float
) -> Result:
    topo = load_topology(path)
    res = Result(size, kind, protocol)
    lab = TimedLab(topo)
    pids: list[int] = []
    orchestrator.Zygote = TimedZygote  # type: ignore[misc]
    try:
        lab.up(ready_timeout=120.0)
        pids = lab_pids(lab)
        rpids = router_pids(lab)
        res.cpu = sum(cpu_seconds(p) for p in rpids)
        res.build = lab.t_spawn - lab.started_at
        res.spawn = lab.t_wait - lab.t_spawn
        res.wait = lab.ready_at - lab.t_wait
        res.ready = lab.ready_at - lab.started_at
        res.zygote = TimedZygote.last_start_seconds if lab.zygote is not None else 0.0
        for p in rpids:
            rss, pss = smaps_rollup(p)
            res.rss.append(rss)
            res.pss.append(pss)
        if lab.zygote is not None:
            res.zygote_mem = smaps_rollup(lab.zygote.proc.pid)
        conv = wait_converged(lab, expected_tables(topo), since=lab.started_at, timeout=converge_timeout)
        if conv.converged:
            if conv.seconds is not None:
                res.converged = conv.seconds
            else:  # no router event log (BIRD): when the poller saw every table right
                res.converged, res.conv_polled = time.time() - lab.started_at, True
        else:
            res.error = conv.reason + ": " + "; ".join(conv.failures[:3])
        if settle > 0:
            time.sleep(settle)
        res.pss_end = [smaps_rollup(p)[1] for p in rpids]
    except Exception as e:  # report and go on with the next size; the lab is torn down below
        res.error = f"{type(e).__name__}: {e}"
    finally:
        orchestrator.Zygote = _ZYGOTE  # type: ignore[misc]
        res.error += down_and_check(lab, pids)
    return res


# --- output ---------------------------------------------------------------------------------------

COLUMNS = [
    ("K", 4),
    ("kind", 8),
    ("proto", 6),
    ("build s", 7),
    ("spawn s", 7),
    ("(zyg s)", 7),
    ("wait s", 6),
    ("ready s", 7),
    ("conv s", 6),
    ("RSS MB mean/max", 15),
    ("PSS MB mean/max", 15),
    ("zyg RSS/PSS", 11),
    ("PSS tot MB", 10),
    ("PSS@end", 7),
    ("CPU s", 6),
]


def _f(v: float | None, fmt: str = ".2f") -> str:
    return "-" if v is None else format(v, fmt)


def row(r: Result) -> list[str]:
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    return [
        str(r.size),
        r.kind,
        r.protocol,
        _f(r.build),
        _f(r.spawn),
        _f(r.zygote) if r.kind == "routesim" else "-",
        _f(r.wait),
        _f(r.ready),
        ("FAIL" if r.error else ("~" if r.conv_polled else "") + _f(r.converged)),
        f"{_f(mean(r.rss), '.1f')}/{_f(max(r.rss) if r.rss else None, '.1f')}",
        f"{_f(mean(r.pss), '.1f')}/{_f(max(r.pss) if r.pss else None, '.1f')}",
        f"{r.zygote_mem[0]:.1f}/{r.zygote_mem[1]:.1f}" if r.zygote_mem else "-",
        _f(sum(r.pss), ".1f"),
        _f(mean(r.pss_end), ".1f"),
        _f(r.cpu),
    ]


def print_table(results: list[Result]) -> None:
    print("  ".join(name.rjust(w) for name, w in COLUMNS))
    for r in results:
        print("  ".join(cell.rjust(w) for cell, (_, w) in zip(row(r), COLUMNS, strict=True)))
    for r in results:
        if r.error:
            print(f"  K={r.size} {r.kind}: {r.error}")


def check_targets(results: list[Result]) -> None:
    print("\ntargets (routesim):")
    for r in results:
        if r.kind != "routesim" or not r.rss:
            continue
        pss_ratio = sum(r.pss) / sum(r.rss)
        ok_ready = r.size != 50 or r.ready < 5.0
        print(
            f"  K={r.size:<4} ready {r.ready:.2f} s{' (target < 5 s)' if r.size == 50 else ''}"
            f" {'ok' if ok_ready else 'MISSED'}; max RSS {max(r.rss):.1f} MB (target < 40)"
            f" {'ok' if max(r.rss) < 40 else 'MISSED'}; PSS/RSS {pss_ratio:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,50,100", help="router counts, comma-separated")
    ap.add_argument("--protocol", choices=("static", "rip"), default="static")
    ap.add_argument("--shape", choices=("ring", "grid"), default="ring")
    ap.add_argument("--bird-sizes", default="10,50", help="sizes also measured with BIRD ('' for none)")
    ap.add_argument("--repeat", type=int, default=1, help="measure each lab N times")
    ap.add_argument("--converge-timeout", type=float, default=120.0)
    ap.add_argument(
        "--settle", type=float, default=0.0, help="seconds to keep each lab running after convergence"
    )
    ap.add_argument("--keep-dir", action="store_true", help="keep the generated topologies")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("lab_up.py builds network namespaces: run it as root", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    bird_sizes = {int(s) for s in args.bird_sizes.split(",") if s}
    tmp = Path(tempfile.mkdtemp(prefix="routesim-bench-"))
    results: list[Result] = []
    try:
        for k in sizes:
            for kind in ("routesim", "bird"):
                if kind == "bird" and k not in bird_sizes:
                    continue
                doc, diameter = make_topology(k, args.protocol, kind, args.shape)
                if args.protocol == "rip" and diameter > 13:
                    print(f"warning: K={k} diameter {diameter}: RIP cannot reach every host (16 = infinity)")
                path = tmp / f"{doc['name']}.yaml"
                path.write_text(yaml.safe_dump(doc, sort_keys=False))
                for n in range(args.repeat):
                    print(
                        f"K={k} {kind} {args.protocol} ({n + 1}/{args.repeat}) ...",
                        file=sys.stderr,
                        flush=True,
                    )
                    wait_quiet()
                    results.append(measure(path, kind, args.protocol, k, args.converge_timeout, args.settle))
    finally:
        if args.keep_dir:
            print(f"topologies kept in {tmp}", file=sys.stderr)
        else:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    print_table(results)
    check_targets(results)
    left = [n for n in list_all_netns() if n.startswith("rs-")]
    ours = [n for n in left if n.startswith("rs-bn_")]
    if ours:
        print(f"\nLEFTOVER namespaces of this benchmark: {', '.join(ours)}")
        return 1
    if left:
        print(f"\nno namespace of this benchmark left; other labs' rs- namespaces exist: {', '.join(left)}")
    else:
        print("\nno rs- namespaces left")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
