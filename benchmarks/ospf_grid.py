"""OSPF on a K x K grid: time to a full kernel FIB, CPU and memory, routesim against BIRD and FRR.

Run by hand, as root (it builds real namespaces; it is not a test)::

    python benchmarks/ospf_grid.py [--sizes 3,5,10] [--kinds routesim,bird,frr] [--rounds 3] [--keep-dir]

For every K and every kind it generates a K x K grid of routers, all of that kind, running OSPFv2
in area 0 over point-to-point links (``timers: {profile: fast, ospf_hello: 1s, ospf_dead: 4s,
ospf_retransmit: 2s}``: 2 s is BIRD's minimum retransmit interval), each router's loopback
advertised as a stub host route (RFC 2328 §12.4.1.1). It brings the lab up with
:class:`~routesim.lab.orchestrator.Lab` and measures

* ``FIB s``: from the start of the routers' launch (the zygote's start and the forks, or the
  first BIRD/FRR daemon started) until every router has every other router's loopback /32 in its
  *kernel* FIB with the routing daemon's protocol (``routesim`` = 201, ``bird`` = 12, FRR's
  ``ospf`` = 188). The FIBs are watched directly: one rtnetlink socket per namespace, subscribed to
  ``RTMGRP_IPV4_ROUTE`` after a first dump, so the time is when the last route event arrived, not a
  polling tick;
* ``RIB s``: the time until every RIB matches the oracle (``wait_converged``), for reference: for
  routesim the last RIB change from the routers' event logs, for BIRD/FRR (``~``) when the poller
  first saw every table right after ``Lab.up()`` returned, an upper bound;
* ``launch s``: how long launching every router took (FRR and BIRD configs are written and
  dry-run checked before the clock starts; FRR/BIRD daemons are started by 8 threads);
* ``CPU s``: CPU time (``lab_up.cpu_seconds``: schedstat, to the nanosecond) of every routing
  process, read the moment the FIBs were complete (the processes are new, so that is their CPU
  from start to convergence):
  routesim router processes (not the zygote), ``bird``, or FRR's ``zebra`` + ``staticd`` +
  ``ospfd`` (the daemonized pids the lab registered);
* ``RSS MB`` / ``PSS MB``: mean per router (FRR: the sum of its three daemons) from
  ``/proc/PID/smaps_rollup`` after convergence.

Every K and kind is measured ``--rounds`` times (default 3), round after round (a round measures
each K and kind once, in turn, so the kinds compared in one round ran under the same machine load):
the tables show each measurement's median over the rounds, and the targets are checked on the
medians and, for information, round by round. On a shared 2-vCPU VM one run of the same code drifts
by a third between half hours, so a single run says little.

Labs are named ``bnospf_<kind><K>`` and always torn down; at the end the script checks that no
``rs-bnospf`` namespace is left and exits 1 if one is or a lab failed.
"""

from __future__ import annotations

import argparse
import errno
import os
import selectors
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lab_up import cpu_seconds, down_and_check, smaps_rollup, wait_quiet
from routesim.lab import netns as nsx
from routesim.lab.convergence import wait_converged
from routesim.lab.names import list_all_netns
from routesim.lab.orchestrator import Lab
from routesim.oracle import expected_tables
from routesim.router.netlink import RTPROT_ROUTESIM
from routesim.testing import lab_pids
from routesim.topology import load_topology
from routesim.topology.model import NodeKind, Topology

KINDS = ("routesim", "bird", "frr")
#: rtm_protocol of the routes each kind installs (FRR's zebra: RTPROT_OSPF).
KERNEL_PROTOCOL = {"routesim": RTPROT_ROUTESIM, "bird": 12, "frr": 188}
TIMERS = {"profile": "fast", "ospf_hello": "1s", "ospf_dead": "4s", "ospf_retransmit": "2s"}


# --- topology generation --------------------------------------------------------------------------


def make_topology(k: int, kind: str) -> dict[str, Any]:
    """The YAML document of a K x K grid of ``kind`` routers ``r<row>_<col>`` running OSPF."""
    nodes: dict[str, Any] = {}
    for i in range(1, k + 1):
        for j in range(1, k + 1):
            spec: dict[str, Any] = {"ospf": True}
            if kind != "routesim":
                spec["kind"] = kind
            nodes[f"r{i}_{j}"] = spec
    links: list[Any] = []
    for i in range(1, k + 1):
        for j in range(1, k + 1):
            if j < k:
                links.append([f"r{i}_{j}", f"r{i}_{j + 1}"])
            if i < k:
                links.append([f"r{i}_{j}", f"r{i + 1}_{j}"])
    return {
        "name": f"bnospf-{kind[0]}{k}",
        "description": f"ospf_grid benchmark: {k}x{k} {kind} routers, OSPF area 0, p2p links",
        "timers": dict(TIMERS),
        "nodes": nodes,
        "links": links,
    }


# --- watching the kernel FIBs ---------------------------------------------------------------------

NETLINK_ROUTE = 0
RTMGRP_IPV4_ROUTE = 0x40
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTA_DST, RTA_TABLE = 1, 15
RT_TABLE_MAIN = 254
_NLMSG = struct.Struct("=IHHII")
_RTMSG = struct.Struct("=BBBBBBBBI")
_RTA = struct.Struct("=HH")


def parse_routes(data: bytes) -> Iterable[tuple[int, int, int, int, bytes | None]]:
    """(nlmsg type, table, dst_len, protocol, dst) of each route message in a netlink datagram."""
    off = 0
    while off + _NLMSG.size <= len(data):
        length, mtype = _NLMSG.unpack_from(data, off)[:2]
        if length < _NLMSG.size:
            break
        if mtype in (RTM_NEWROUTE, RTM_DELROUTE):
            family, dst_len, _, _, table, proto = _RTMSG.unpack_from(data, off + _NLMSG.size)[:6]
            dst = None
            a = off + _NLMSG.size + _RTMSG.size
            end = off + length
            while a + _RTA.size <= end:
                alen, atype = _RTA.unpack_from(data, a)
                if alen < _RTA.size:
                    break
                if atype == RTA_DST:
                    dst = data[a + 4 : a + alen]
                elif atype == RTA_TABLE:
                    table = struct.unpack_from("=I", data, a + 4)[0]
                a += (alen + 3) & ~3
            if family == socket.AF_INET:
                yield mtype, table, dst_len, proto, dst
        off += (length + 3) & ~3


class FibWatcher:
    """Follows every router's kernel FIB and notes when each has all the other loopbacks."""

    def __init__(self, lab: Lab, protocol: int) -> None:
        self.lab = lab
        self.protocol = protocol
        routers = lab.topo.routers
        loops = {n.name: n.loopback.ip.packed for n in routers if n.loopback is not None}
        self.want = {n.name: {p for m, p in loops.items() if m != n.name} for n in routers}
        self.have: dict[str, set[bytes]] = {n.name: set() for n in routers}
        self.complete_at: dict[str, float] = {}
        self.done = threading.Event()
        self.t_done: float | None = None
        self.cpu_at_done: float | None = None
        self.error: str = ""
        self._socks: dict[socket.socket, str] = {}
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fib-watch")
        for n in routers:
            s = nsx.socket_in_netns(
                lab.names.netns(n.name), socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE
            )
            s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (we are root)
            s.bind((0, RTMGRP_IPV4_ROUTE))
            s.setblocking(False)
            self._socks[s] = n.name
            self._sel.register(s, selectors.EVENT_READ)
            self._dump(s)

    def _dump(self, s: socket.socket) -> None:
        req = _NLMSG.pack(_NLMSG.size + _RTMSG.size, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
        s.send(req + _RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0))

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self.done.is_set():
                for key, _ in self._sel.select(0.2):
                    self._read(key.fileobj)  # type: ignore[arg-type]
        except Exception as e:
            self.error = f"FIB watcher: {type(e).__name__}: {e}"
            self.done.set()

    def _read(self, s: socket.socket) -> None:
        node = self._socks[s]
        have, want = self.have[node], self.want[node]
        while True:
            try:
                data = s.recv(1 << 16)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                have.clear()  # events lost: start over from a dump
                self._dump(s)
                continue
            for mtype, table, dst_len, proto, dst in parse_routes(data):
                if table != RT_TABLE_MAIN or dst_len != 32 or proto != self.protocol or dst not in want:
                    continue
                if mtype == RTM_NEWROUTE:
                    have.add(dst)
                else:
                    have.discard(dst)
        now = time.time()
        if len(have) == len(want):
            self.complete_at.setdefault(node, now)
        else:
            self.complete_at.pop(node, None)
        if len(self.complete_at) == len(self.want):
            self.t_done = now
            self.cpu_at_done = sum(_cpu(p) for p in routing_pids(self.lab))
            self.done.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        for s in self._socks:
            self._sel.unregister(s)
            s.close()
        self._sel.close()
        self._socks.clear()


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def routing_pids(lab: Lab) -> list[int]:
    """Every routing process of the lab: routesim routers, bird, or zebra + staticd + ospfd."""
    pids: list[int] = []
    for h in lab.nodes.values():
        if h.kind is NodeKind.ROUTESIM and h.pid:
            pids.append(h.pid)
        elif h.kind.is_router and h.pids:
            pids.extend(h.pids)
    return pids


# --- the lab --------------------------------------------------------------------------------------


class GridLab(Lab):
    """A Lab that starts the FIB watcher and the clock when the routers start being launched.

    External routers' configs are written and dry-run checked for all nodes first (outside the
    clock); then their daemons are started by a thread pool."""

    t_launch: float = 0.0
    t_launched: float = 0.0
    watcher: FibWatcher | None = None
    fib_protocol: int = 0

    def _begin(self) -> None:
        self.watcher = FibWatcher(self, self.fib_protocol)
        self.watcher.start()
        self.t_launch = time.time()

    def _start_routesim(self) -> None:
        if any(n.kind is NodeKind.ROUTESIM for n in self.topo.routers):
            self._begin()
            super()._start_routesim()
            self.t_launched = time.time()

    def _start_external(self) -> None:
        from routesim.lab.external import external_router

        assert self.state is not None
        nodes = [n for n in self.topo.routers if n.kind is not NodeKind.ROUTESIM]
        if not nodes:
            return
        for node in nodes:
            ext = external_router(node)
            ndir = self.state_dir / "nodes" / node.name
            ndir.mkdir(parents=True, exist_ok=True)
            ext.write_config(ndir, self.topo)
            ext.check_config()
            self.nodes[node.name].external = ext
        self._begin()
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="ext-start") as pool:
            futures = {
                n.name: pool.submit(self.nodes[n.name].external.start, self.nodes[n.name].netns)
                for n in nodes
            }
            error: BaseException | None = None
            for name, fut in futures.items():
                try:
                    pids = fut.result()
                except Exception as e:
                    error = error or e
                    continue
                self.nodes[name].pids = list(pids)
                for pid in pids:
                    self.state.register_pid(pid, str(self.nodes[name].kind), node=name, save=False)
        self.state.save()
        self.t_launched = time.time()
        if error is not None:
            raise error


# --- measurement ----------------------------------------------------------------------------------


@dataclass
class Result:
    size: int
    kind: str
    round: int = 1
    launch: float | None = None
    fib: float | None = None
    rib: float | None = None
    rib_polled: bool = False
    cpu: float | None = None
    rss: list[float] = field(default_factory=list)
    spf_runs: list[int] = field(default_factory=list)
    pss: list[float] = field(default_factory=list)
    error: str = ""


def measure(topo: Topology, kind: str, size: int, timeout: float, rnd: int = 1) -> Result:
    res = Result(size, kind, rnd)
    lab = GridLab(topo)
    lab.fib_protocol = KERNEL_PROTOCOL[kind]
    pids: list[int] = []
    try:
        lab.up(ready_timeout=600.0)
        pids = lab_pids(lab)
        res.launch = lab.t_launched - lab.t_launch
        w = lab.watcher
        assert w is not None
        if not w.done.wait(max(1.0, lab.t_launch + timeout - time.time())):
            missing = {n: len(w.want[n]) - len(w.have[n]) for n in w.want if n not in w.complete_at}
            worst = sorted(missing.items(), key=lambda kv: -kv[1])[:5]
            raise TimeoutError(f"kernel FIBs incomplete after {timeout:.0f} s (missing loopbacks: {worst})")
        if w.error:
            raise RuntimeError(w.error)
        assert w.t_done is not None
        res.fib = w.t_done - lab.t_launch
        res.cpu = w.cpu_at_done
        conv = wait_converged(lab, expected_tables(topo), since=lab.t_launch, timeout=timeout)
        if conv.converged:
            if conv.seconds is not None:
                res.rib = conv.seconds
            else:  # no router event log (BIRD, FRR): when the poller saw every table right
                res.rib, res.rib_polled = time.time() - lab.t_launch, True
        else:
            res.error = conv.reason + ": " + "; ".join(conv.failures[:3])
        if kind == "routesim":
            runs = []
            for name, h in lab.nodes.items():
                if h.kind.is_router:
                    runs.append(lab.inspect(name, "ospf")["counters"]["spf_runs"])
            res.spf_runs = runs
        for h in lab.nodes.values():
            if not h.kind.is_router:
                continue
            mem = [smaps_rollup(p) for p in ([h.pid] if h.pid else h.pids)]
            res.rss.append(sum(m[0] for m in mem))
            res.pss.append(sum(m[1] for m in mem))
    except Exception as e:  # report and go on with the next lab; it is torn down below
        res.error = f"{type(e).__name__}: {e}"
    finally:
        if lab.watcher is not None:
            lab.watcher.close()
        res.error += down_and_check(lab, pids)
    return res


# --- output ---------------------------------------------------------------------------------------


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


METRICS: list[tuple[str, Any]] = [
    ("FIB s", lambda r: "FAIL" if r.fib is None else f"{r.fib:.2f}"),
    ("RIB s", lambda r: "-" if r.rib is None else ("~" if r.rib_polled else "") + f"{r.rib:.2f}"),
    ("launch s", lambda r: "-" if r.launch is None else f"{r.launch:.2f}"),
    ("CPU s", lambda r: "-" if r.cpu is None else f"{r.cpu:.2f}"),
    ("RSS MB", lambda r: "-" if not r.rss else f"{_mean(r.rss):.1f}"),
    ("PSS MB", lambda r: "-" if not r.pss else f"{_mean(r.pss):.1f}"),
]


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def combined(results: list[Result]) -> Result:
    """One Result of a (K, kind) from its rounds: the median of each measurement over the rounds
    that produced it (FIB ``FAIL`` if any round failed), memory from every round."""
    first = results[0]
    out = Result(first.size, first.kind, len(results))
    ok = [r for r in results if r.fib is not None]
    if len(ok) == len(results):
        out.fib = _median([r.fib for r in ok if r.fib is not None])
    out.launch = _median([r.launch for r in results if r.launch is not None])
    out.cpu = _median([r.cpu for r in ok if r.cpu is not None])
    ribs = [r for r in ok if r.rib is not None]
    if len(ribs) == len(ok):
        out.rib = _median([r.rib for r in ribs if r.rib is not None])
        out.rib_polled = any(r.rib_polled for r in ribs)
    for r in results:
        out.rss += r.rss
        out.pss += r.pss
        out.spf_runs += r.spf_runs
    return out


def print_table(results: list[Result], sizes: list[int], kinds: list[str]) -> None:
    """A Markdown table: one row per K, for each kind the metrics side by side (medians over the
    rounds when there are several)."""
    groups: dict[tuple[int, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.size, r.kind), []).append(r)
    by = {key: combined(rs) for key, rs in groups.items()}
    rounds = max((len(rs) for rs in groups.values()), default=1)
    if rounds > 1:
        print(f"medians over {rounds} rounds (each round measures every K and kind once, in turn)")
    head = ["K"] + [f"{kind} {m}" for m, _ in METRICS for kind in kinds]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" ---: " for _ in head) + "|")
    for k in sizes:
        cells = [f"{k}x{k}"]
        for _, fmt in METRICS:
            for kind in kinds:
                r = by.get((k, kind))
                cells.append("-" if r is None else fmt(r))
        print("| " + " | ".join(cells) + " |")
    for r in results:
        if r.error:
            print(f"\n  {r.size}x{r.size} {r.kind} (round {r.round}): {r.error}")


def check_targets(results: list[Result]) -> None:
    """The issue's targets, per round (the kinds of one round ran minutes apart, under the same
    machine load) and on the medians: routesim's FIB time no longer than BIRD's, its CPU below
    FRR's."""
    by = {(r.size, r.kind, r.round): r for r in results}
    sizes = sorted({r.size for r in results})
    rounds = sorted({r.round for r in results})
    print("\ntargets (routesim: FIB no slower than BIRD, CPU below FRR):")
    for k in sizes:
        fib_pairs: list[tuple[float, float]] = []
        cpu_pairs: list[tuple[float, float]] = []
        for n in rounds:
            r, b, f = by.get((k, "routesim", n)), by.get((k, "bird", n)), by.get((k, "frr", n))
            if r is None or r.fib is None:
                continue
            if b is not None and b.fib is not None:
                fib_pairs.append((r.fib, b.fib))
            if f is not None and f.cpu is not None and r.cpu is not None:
                cpu_pairs.append((r.cpu, f.cpu))
        parts = [f"  {k}x{k}:"]
        if fib_pairs:
            ours, theirs = _median([a for a, _ in fib_pairs]), _median([b for _, b in fib_pairs])
            met = sum(a <= b for a, b in fib_pairs)
            parts.append(
                f"FIB {ours:.2f} s vs BIRD {theirs:.2f} s {'ok' if ours <= theirs else 'MISSED'}"
                f" (faster in {met}/{len(fib_pairs)} rounds)"
            )
        if cpu_pairs:
            ours, theirs = _median([a for a, _ in cpu_pairs]), _median([b for _, b in cpu_pairs])
            met = sum(a < b for a, b in cpu_pairs)
            ratios = ", ".join(f"{a / b:.2f}" for a, b in cpu_pairs)
            parts.append(
                f"CPU {ours:.2f} s vs FRR {theirs:.2f} s {'ok' if ours < theirs else 'MISSED'}"
                f" (below in {met}/{len(cpu_pairs)} rounds; routesim/FRR per round {ratios})"
            )
        if len(parts) > 1:
            print(" ".join(parts[:1]) + " " + "; ".join(parts[1:]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="3,5,10", help="grid sides K (K x K routers), comma-separated")
    ap.add_argument("--kinds", default=",".join(KINDS), help="router kinds, comma-separated")
    ap.add_argument("--timeout", type=float, default=180.0, help="convergence timeout per lab (s)")
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every K and kind this many times, in turn; tables show medians (default 3: "
        "a shared 2-vCPU machine drifts by a third between half hours)",
    )
    ap.add_argument("--keep-dir", action="store_true", help="keep the generated topologies")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("ospf_grid.py builds network namespaces: run it as root", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    kinds = [k for k in args.kinds.split(",") if k]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        ap.error(f"unknown kinds {bad}; choose from {', '.join(KINDS)}")
    tmp = Path(tempfile.mkdtemp(prefix="routesim-bnospf-"))
    results: list[Result] = []
    try:
        topos: dict[tuple[int, str], Topology] = {}
        for k in sizes:
            for kind in kinds:
                doc = make_topology(k, kind)
                path = tmp / f"{doc['name']}.yaml"
                path.write_text(yaml.safe_dump(doc, sort_keys=False))
                topos[k, kind] = load_topology(path)
        for n in range(1, args.rounds + 1):
            for k in sizes:
                for kind in kinds:
                    label = f" (round {n}/{args.rounds})" if args.rounds > 1 else ""
                    print(f"{k}x{k} {kind}{label} ...", file=sys.stderr, flush=True)
                    quiet = wait_quiet()  # the previous lab's namespaces may still be going
                    if quiet > 1.0:
                        print(f"  (waited {quiet:.1f} s for a quiet machine)", file=sys.stderr, flush=True)
                    r = measure(topos[k, kind], kind, k, args.timeout, n)
                    spf = (
                        f" SPF runs/router mean {sum(r.spf_runs) / len(r.spf_runs):.1f} max {max(r.spf_runs)}"
                        if r.spf_runs
                        else ""
                    )
                    print(
                        f"  FIB {r.fib} s, RIB {r.rib} s, CPU {r.cpu}, launch {r.launch} {r.error}{spf}",
                        file=sys.stderr,
                        flush=True,
                    )
                    results.append(r)
    finally:
        if args.keep_dir:
            print(f"topologies kept in {tmp}", file=sys.stderr)
        else:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    print_table(results, sizes, kinds)
    check_targets(results)
    ours = [n for n in list_all_netns() if n.startswith("rs-bnospf")]
    if ours:
        print(f"\nLEFTOVER namespaces of this benchmark: {', '.join(ours)}")
        return 1
    print("\nno rs-bnospf namespace left")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
