"""BGP full-table ingest in-process: the engine alone, no sockets, measured in CPU seconds.

    .venv/bin/python benchmarks/bgp_inproc.py                      # 1M prefixes, realistic stream
    .venv/bin/python benchmarks/bgp_inproc.py --prefixes 100000 --profile

The same stream as ``bgp_ingest.py`` (``bgp_feeder.build_stream``, same seed, next hop and AS),
built in a child process (so that its garbage does not pad this process's heap and hide the load's
memory growth) and kept in ``/tmp/routesim-bench/`` for the next run (``--rebuild`` ignores it),
driven into a ``BgpEngine`` built from the same router configuration (a passive eBGP neighbour,
``install_routes: false``) the way ``router/runtime.py`` drives it: ``start``, the connected routes
as ``RibChanged``, ``gc.freeze()`` and the runtime's gc thresholds once ready, ``TcpUp`` (passive),
the feeder's OPEN and KEEPALIVE as ``TcpData`` (Established), then the UPDATE bytes as ``TcpData``
in chunks as a socket delivers them (64 KiB, the driver's read size). The actions of every call go
through a dispatcher like the runtime's ``_perform``.

Printed: CPU seconds of the load (``time.process_time``, so other load on the machine matters
little), the engine's ``summary()`` counts, and peak RSS growth over the load per prefix (``VmHWM``
reset through ``/proc/self/clear_refs`` before the load, minus ``VmRSS`` before it).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bgp_feeder import build_stream
from benchmarks.bgp_ingest import FEEDER_ADDR, FEEDER_AS, SPEAKER_ADDR, speaker_config
from routesim.proto.base import (
    Action,
    ArmTimer,
    CancelTimer,
    RibChanged,
    RoutesChanged,
    Send,
    TcpUp,
)
from routesim.proto.bgp.events import TcpData
from routesim.rib import Rib, connected_routes
from routesim.router.config import RouterConfig
from routesim.router.engines import build_engines
from routesim.router.runtime import GC_THRESHOLDS
from routesim.wire.bgp import KEEPALIVE, Open


def router_config() -> RouterConfig:
    """What ``bgp_ingest.py`` gives the routesim speaker (control socket and event log aside)."""
    return RouterConfig.from_json(speaker_config())


CACHE = Path("/tmp/routesim-bench")


def stream_file(n: int, seed: int, attr_sets: str) -> Path:
    """Where the stream for these arguments is kept (named after the feeder's source too)."""
    digest = hashlib.sha1(Path(__file__).with_name("bgp_feeder.py").read_bytes()).hexdigest()[:12]
    return CACHE / f"bgp-stream-{n}-{seed}-{attr_sets}-{digest}.bin"


def write_stream(path: Path, n: int, seed: int, attr_sets: str) -> None:
    """Build the stream (in the child process) and write it: a JSON line, then the bytes."""
    stream = build_stream(n, seed=seed, next_hop=FEEDER_ADDR, local_as=FEEDER_AS, attr_sets=attr_sets)
    meta = {k: getattr(stream, k) for k in ("prefixes", "updates", "attribute_sets", "build_seconds")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(json.dumps(meta).encode() + b"\n" + stream.data)
    tmp.replace(path)


def load_stream(args: argparse.Namespace) -> tuple[dict[str, Any], bytes]:
    path = stream_file(args.prefixes, args.seed, args.attr_sets)
    if args.rebuild or not path.exists():
        argv = [sys.executable, __file__, "--write-stream", str(path), "--prefixes", str(args.prefixes),
                "--seed", str(args.seed), "--attr-sets", args.attr_sets]  # fmt: skip
        subprocess.run(argv, check=True)
    raw = path.read_bytes()
    nl = raw.index(b"\n")
    return json.loads(raw[:nl]), raw[nl + 1 :]


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Driver:
    """The runtime's side of one BGP engine: feed events, carry out the actions."""

    def __init__(self, engine: Any, rib: Rib) -> None:
        self.engine = engine
        self.rib = rib
        self.now = 0.0
        self.timers: dict[Any, float] = {}
        self.sent: list[bytes] = []
        self.routes_changed = 0

    def feed(self, event: Any) -> None:
        self.perform(self.engine.handle(event, self.now))

    def perform(self, actions: list[Action]) -> None:
        for a in actions:
            if isinstance(a, Send):
                self.sent.append(a.data)
            elif isinstance(a, ArmTimer):
                self.timers[a.key] = a.at
            elif isinstance(a, CancelTimer):
                self.timers.pop(a.key, None)
            elif isinstance(a, RoutesChanged):
                self.routes_changed += 1
                self.rib.update("bgp", self.now, upserts=a.upserts, withdrawals=[p for p, _ in a.withdrawals])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefixes", type=int, default=1_000_000)
    ap.add_argument("--attr-sets", default="realistic", choices=("realistic", "packed"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=1 << 16, help="octets per TcpData (default 64 KiB)")
    ap.add_argument("--profile", action="store_true", help="cProfile the load, print the top 30")
    ap.add_argument("--rebuild", action="store_true", help="build the stream even if kept from before")
    ap.add_argument("--write-stream", metavar="PATH", help=argparse.SUPPRESS)  # the child's job
    args = ap.parse_args()
    if args.write_stream:
        write_stream(Path(args.write_stream), args.prefixes, args.seed, args.attr_sets)
        return 0

    meta, stream_data = load_stream(args)
    n, updates = meta["prefixes"], meta["updates"]
    print(
        f"stream: {n:,} prefixes, {updates:,} UPDATEs, {meta['attribute_sets']:,} attribute sets, "
        f"{len(stream_data) / 1e6:.1f} MB"
    )

    cfg = router_config()
    rib = Rib()
    conn_routes = connected_routes([(i.name, i.address, True) for i in cfg.interfaces])
    rib.replace_source("connected", conn_routes, 0.0)
    ((engine, _transport),) = build_engines(cfg)
    d = Driver(engine, rib)
    d.perform(engine.start(d.now))
    d.feed(RibChanged(tuple(rib.selected())))
    gc.freeze()  # the runtime, once ready
    gc.set_threshold(*GC_THRESHOLDS)

    conn = 1
    d.feed(TcpUp(FEEDER_ADDR, conn, SPEAKER_ADDR, True))
    hello = Open.for_speaker(FEEDER_AS, 240, FEEDER_ADDR).encode() + KEEPALIVE.encode()
    d.now = 0.001
    d.feed(TcpData(conn, hello))
    state = engine.summary()
    if state["established"] != 1:
        print(f"not Established after the OPEN exchange: {state}", file=sys.stderr)
        return 1

    data = memoryview(stream_data)
    chunk = args.chunk
    rss0 = status_kb("VmRSS")
    peak_ok = reset_peak()
    prof = cProfile.Profile() if args.profile else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if prof is not None:
        prof.enable()
    for i in range(0, len(data), chunk):
        d.now += 0.0001
        d.feed(TcpData(conn, bytes(data[i : i + chunk])))
    if prof is not None:
        prof.disable()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    peak = status_kb("VmHWM")

    s = engine.summary()
    growth = (peak - rss0) * 1024 if peak_ok else None
    print(
        f"load: {cpu:.2f} CPU-s ({wall:.2f} s wall), {cpu / updates * 1e6:.1f} us/UPDATE; "
        f"accepted {s['prefixes_accepted']:,}/{n:,}, loc_rib {s['loc_rib']:,}, "
        f"attribute sets {s['attribute_sets']:,}, established {s['established']}"
    )
    if growth is not None:
        print(
            f"memory: RSS {rss0 / 1024:.0f} MB before, peak {peak / 1024:.0f} MB: {growth / n:.0f} B/prefix"
        )
    else:
        print("memory: /proc/self/clear_refs not writable, peak growth unknown")
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    return 0 if s["prefixes_accepted"] == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
