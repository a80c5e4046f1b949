"""BGP full-table ingest: routesim against BIRD, FRR bgpd and GoBGP, side by side.

    sudo .venv/bin/python benchmarks/bgp_ingest.py                       # 100k and 1M, every speaker
    sudo .venv/bin/python benchmarks/bgp_ingest.py --prefixes 1000000 --speakers routesim,bird
    sudo .venv/bin/python benchmarks/bgp_ingest.py --attr-sets packed   # ~1000 NLRI per UPDATE

For each table size the feeder (``bgp_feeder.py``) encodes the table once; then, for each speaker,
two namespaces joined by a veth (``rs-bnbgp-f`` feeder, ``rs-bnbgp-s`` speaker), the speaker as a
passive eBGP neighbour that keeps routes out of the kernel (routesim ``install_routes: false``;
BIRD without a kernel protocol; FRR bgpd alone with ``-Z -n``: no zebra, no kernel; GoBGP without
zebra). The feeder connects, exchanges OPEN/KEEPALIVE (Established, as the feeder sees it) and
sends the whole table as fast as the socket takes it. Measured:

* ``load s``: Established -> the speaker's own count of accepted routes reaches N (polled: routesim
  ``bgp_summary`` on its control socket every 50 ms, ``birdc show protocols all`` "Routes: N
  imported" and FRR ``show bgp ipv4 unicast summary json`` pfxRcd every 100 ms, GoBGP ``gobgp
  global rib summary`` destinations every 1 s: its API query takes the table's lock and slows
  ingest, so it is asked less often);
* ``CPU s``: CPU time of the speaker process(es) over the load (``lab_up.cpu_seconds``: schedstat);
* ``peak MB`` (``VmHWM``) and ``B/prefix``: (peak - RSS just before the feed) / N;
* ``send s``: the feeder's own sendall time (it must stay well below ``load s``).

Namespaces and processes are removed in a ``finally``, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bgp_feeder import Feeder, Stream, build_stream
from benchmarks.lab_up import cpu_seconds
from routesim.lab.netns import in_netns

NS_FEEDER, NS_SPEAKER = "rs-bnbgp-f", "rs-bnbgp-s"
IF_FEEDER, IF_SPEAKER = "bnbgp-f", "bnbgp-s"
FEEDER_ADDR, SPEAKER_ADDR = IPv4Address("10.99.0.1"), IPv4Address("10.99.0.2")
FEEDER_AS, SPEAKER_AS = 65001, 65000
GOBGP_API = 50051
SPEAKERS = ("routesim", "bird", "frr", "gobgp")


def speaker_config() -> dict:
    """The routesim speaker's router config (``router.json``), without control socket and event log:
    a passive eBGP neighbour of the feeder that keeps routes out of the kernel."""
    return {
        "node": "bench",
        "router_id": str(SPEAKER_ADDR),
        "loopback": None,
        "interfaces": [{"name": IF_SPEAKER, "address": f"{SPEAKER_ADDR}/30"}],
        "protocols": {
            "bgp": {
                "asn": SPEAKER_AS,
                "neighbors": [
                    {
                        "address": str(FEEDER_ADDR),
                        "remote_as": FEEDER_AS,
                        "local_address": str(SPEAKER_ADDR),
                        "description": "feeder",
                        "passive": True,
                        "hold_time": 240,
                    }
                ],
                "announce": [],
                "install_routes": False,
            }
        },
        "timers": {"bgp_hold": 240.0, "bgp_keepalive": 80.0},
        "mode": "netns",
        "install_fib": False,
    }


REPO = Path(__file__).resolve().parent.parent


def sh(*argv: str, check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


def rss_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# --- namespaces ---------------------------------------------------------------------------------


def netns_up() -> None:
    netns_down()
    for ns in (NS_FEEDER, NS_SPEAKER):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh(
        "ip",
        "link",
        "add",
        IF_FEEDER,
        "netns",
        NS_FEEDER,
        "type",
        "veth",
        "peer",
        IF_SPEAKER,
        "netns",
        NS_SPEAKER,
    )
    for ns, ifname, addr in ((NS_FEEDER, IF_FEEDER, FEEDER_ADDR), (NS_SPEAKER, IF_SPEAKER, SPEAKER_ADDR)):
        sh("ip", "-n", ns, "addr", "add", f"{addr}/30", "dev", ifname)
        sh("ip", "-n", ns, "link", "set", ifname, "up")


def netns_down() -> None:
    for ns in (NS_FEEDER, NS_SPEAKER):
        if os.path.exists(f"/run/netns/{ns}"):
            out = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in out:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            sh("ip", "netns", "del", ns, check=False)


# --- speakers -------------------------------------------------------------------------------------


class Speaker:
    """Start in the speaker namespace, report its PIDs, count accepted routes, stop."""

    name = ""
    poll_interval = 0.1

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pids: list[int] = []

    def start(self) -> None:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.count()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for pid in self.pids:
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                with contextlib.suppress(ChildProcessError):
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        break
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for p in self.procs:
            with contextlib.suppress(Exception):
                p.wait(timeout=2)

    def _popen(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        with open(self.dir / log, "wb") as out:
            p = subprocess.Popen(
                ["ip", "netns", "exec", NS_SPEAKER, *argv], stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(p)
        self.pids.append(p.pid)  # ip netns exec execs the command: same PID
        return p


class RoutesimSpeaker(Speaker):
    name = "routesim"
    poll_interval = 0.05

    def start(self) -> None:
        from routesim.router.control import query

        self._query = query
        self.ctl = str(self.dir / "ctl.sock")
        conf = {
            **speaker_config(),
            "control": self.ctl,
            "event_log": str(self.dir / "events.jsonl"),
        }
        (self.dir / "router.json").write_text(json.dumps(conf, indent=2))
        self._popen([sys.executable, "-m", "routesim.router", str(self.dir / "router.json")], "router.log")

    def count(self) -> int:
        return int(self._query(self.ctl, "bgp_summary")["prefixes_accepted"])


class BirdSpeaker(Speaker):
    name = "bird"

    def start(self) -> None:
        conf = f"""router id {SPEAKER_ADDR};
log "{self.dir}/bird.log" {{ warning, error, fatal, bug }};
protocol device {{ }}
protocol bgp feeder {{
    local {SPEAKER_ADDR} as {SPEAKER_AS};
    neighbor {FEEDER_ADDR} as {FEEDER_AS};
    passive on;
    hold time 240;
    ipv4 {{ import all; export none; }};
}}
"""
        (self.dir / "bird.conf").write_text(conf)
        self.ctl = str(self.dir / "bird.ctl")
        pidfile = self.dir / "bird.pid"
        sh("ip", "netns", "exec", NS_SPEAKER, "bird", "-c", str(self.dir / "bird.conf"), "-s", self.ctl,
           "-P", str(pidfile))  # fmt: skip
        self.pids = [_read_pid(pidfile)]

    def count(self) -> int:
        out = sh("birdc", "-s", self.ctl, "show", "protocols", "all", "feeder").stdout
        m = re.search(r"Routes:\s+(\d+) imported", out)
        if m is None:
            if "feeder" in out:
                return 0  # not Established yet: no Routes line
            raise RuntimeError(out)
        return int(m.group(1))


class FrrSpeaker(Speaker):
    name = "frr"

    def start(self) -> None:
        conf = f"""frr defaults traditional
hostname bench
log file {self.dir}/bgpd.log
router bgp {SPEAKER_AS}
 bgp router-id {SPEAKER_ADDR}
 no bgp ebgp-requires-policy
 neighbor {FEEDER_ADDR} remote-as {FEEDER_AS}
 neighbor {FEEDER_ADDR} passive
 neighbor {FEEDER_ADDR} timers 80 240
 address-family ipv4 unicast
  neighbor {FEEDER_ADDR} activate
 exit-address-family
"""
        (self.dir / "bgpd.conf").write_text(conf)
        (self.dir / "tmp").mkdir()
        (self.dir / "run").mkdir()
        os.chmod(self.dir / "tmp", 0o1777)
        pidfile = self.dir / "bgpd.pid"
        bgpd = [
            "/usr/lib/frr/bgpd", "-d", "-Z", "-n", "-S", "-f", str(self.dir / "bgpd.conf"), "-i", str(pidfile),
            "--vty_socket", str(self.dir), "-P", "0", "--log", f"file:{self.dir}/bgpd.log",
        ]  # fmt: skip
        # FRR's compiled-in /var/tmp/frr and /run/frr: private bind mounts (see routesim/lab/external/frr.py).
        script = "\n".join(
            [
                "set -e",
                f"mount --bind {self.dir / 'run'} /run/frr" if Path("/run/frr").is_dir() else "true",
                f"mount --bind {self.dir / 'tmp'} /var/tmp",
                " ".join(["ip", "netns", "exec", NS_SPEAKER, *bgpd])
                + f" </dev/null >{self.dir}/bgpd.out 2>&1",
            ]
        )
        sh("unshare", "--mount", "--propagation", "private", "sh", "-ec", script)
        self.pids = [_read_pid(pidfile)]

    def count(self) -> int:
        out = sh(
            "vtysh", "--vty_socket", str(self.dir), "-d", "bgpd", "-c", "show bgp ipv4 unicast summary json"
        )
        peers = json.loads(out.stdout or "{}").get("peers", {})
        if not peers:
            data = json.loads(out.stdout or "{}")
            peers = data.get("ipv4Unicast", {}).get("peers", {})
        p = peers.get(str(FEEDER_ADDR))
        if p is None:
            raise RuntimeError(out.stdout[:200])
        return int(p.get("pfxRcd", 0))


class GobgpSpeaker(Speaker):
    name = "gobgp"
    poll_interval = 1.0

    def start(self) -> None:
        conf = f"""[global.config]
  as = {SPEAKER_AS}
  router-id = "{SPEAKER_ADDR}"
  local-address-list = ["{SPEAKER_ADDR}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "{FEEDER_ADDR}"
    peer-as = {FEEDER_AS}
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.timers.config]
    hold-time = 240
    keepalive-interval = 80
"""
        (self.dir / "gobgpd.toml").write_text(conf)
        self._popen(
            ["gobgpd", "-t", "toml", "-f", str(self.dir / "gobgpd.toml"), "--api-hosts",
             f"127.0.0.1:{GOBGP_API}", "--pprof-disable", "-l", "warn"],
            "gobgpd.log",
        )  # fmt: skip

    def count(self) -> int:
        out = sh("ip", "netns", "exec", NS_SPEAKER, "gobgp", "-p", str(GOBGP_API), "global", "rib", "summary",
                 "-a", "ipv4").stdout  # fmt: skip
        m = re.search(r"Destination:\s*(\d+)", out)
        if m is None:
            raise RuntimeError(out[:200])
        return int(m.group(1))


SPEAKER_CLASSES: dict[str, Callable[[Path], Speaker]] = {
    "routesim": RoutesimSpeaker,
    "bird": BirdSpeaker,
    "frr": FrrSpeaker,
    "gobgp": GobgpSpeaker,
}


def _read_pid(path: Path, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return int(path.read_text().strip())
        time.sleep(0.05)
    raise RuntimeError(f"no PID in {path}")


# --- one measurement ----------------------------------------------------------------------------


@dataclass
class Result:
    speaker: str
    prefixes: int
    load_s: float | None = None
    cpu_s: float | None = None
    peak_mb: float | None = None
    bytes_per_prefix: float | None = None
    send_s: float | None = None
    error: str = ""


def measure(name: str, stream: Stream, timeout: float) -> Result:
    res = Result(name, stream.prefixes)
    workdir = Path(tempfile.mkdtemp(prefix=f"bnbgp-{name}-"))
    os.chmod(workdir, 0o755)
    speaker = SPEAKER_CLASSES[name](workdir)
    feeder = Feeder(stream, local_as=FEEDER_AS, router_id=FEEDER_ADDR)
    try:
        netns_up()
        speaker.start()
        speaker.wait_ready()
        time.sleep(0.3)
        with in_netns(NS_FEEDER):
            feeder.connect(SPEAKER_ADDR, FEEDER_ADDR)
        base_rss = sum(rss_kb(p, "VmRSS") for p in speaker.pids)
        cpu0 = sum(cpu_seconds(p) for p in speaker.pids)
        t_est = feeder.handshake()
        sender = threading.Thread(target=feeder.send_stream, daemon=True)
        sender.start()
        n = stream.prefixes
        while True:
            got = speaker.count()
            now = time.monotonic()
            if got >= n:
                break
            if feeder.error:
                raise RuntimeError(f"session: {feeder.error} after {got} prefixes")
            if now - t_est > timeout:
                raise TimeoutError(f"{got}/{n} prefixes after {timeout:.0f} s")
            time.sleep(speaker.poll_interval)
        res.load_s = now - t_est
        res.cpu_s = sum(cpu_seconds(p) for p in speaker.pids) - cpu0
        peak = sum(rss_kb(p, "VmHWM") for p in speaker.pids)
        res.peak_mb = peak / 1024
        res.bytes_per_prefix = (peak - base_rss) * 1024 / n
        sender.join(timeout=30)
        res.send_s = feeder.send_seconds
    except Exception as e:
        res.error = f"{type(e).__name__}: {e}"
    finally:
        feeder.close()
        speaker.stop()
        netns_down()
        shutil.rmtree(workdir, ignore_errors=True)
    return res


def _f(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def print_table(results: list[Result], streams: dict[int, Stream]) -> None:
    head = ["prefixes", "speaker", "load s", "CPU s", "peak MB", "B/prefix", "send s"]
    rows = [
        [
            f"{r.prefixes:,}",
            r.speaker,
            _f(r.load_s, ".2f"),
            _f(r.cpu_s, ".2f"),
            _f(r.peak_mb, ".0f"),
            _f(r.bytes_per_prefix, ".0f"),
            _f(r.send_s, ".2f"),
        ]
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)] if rows else []
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    for n, s in streams.items():
        print(
            f"{n:,} prefixes: {s.updates:,} UPDATEs, {s.attribute_sets:,} attribute sets, "
            f"{len(s.data) / 1e6:.1f} MB (built in {s.build_seconds:.1f} s)"
        )
    for r in results:
        if r.error:
            print(f"{r.speaker} {r.prefixes:,}: {r.error}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prefixes", default="100000,1000000")
    ap.add_argument("--speakers", default=",".join(SPEAKERS))
    ap.add_argument("--attr-sets", choices=("realistic", "packed"), default="realistic")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=180.0, help="per speaker and size")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    sizes = [int(x) for x in args.prefixes.split(",") if x]
    names = [x for x in args.speakers.split(",") if x]
    for n in names:
        if n not in SPEAKER_CLASSES:
            ap.error(f"unknown speaker {n!r}")
    results: list[Result] = []
    streams: dict[int, Stream] = {}
    try:
        for n in sizes:
            stream = build_stream(
                n, seed=args.seed, next_hop=FEEDER_ADDR, local_as=FEEDER_AS, attr_sets=args.attr_sets
            )
            streams[n] = stream
            for name in names:
                for _ in range(args.repeat):
                    r = measure(name, stream, args.timeout)
                    print(
                        f"{name:9} {n:>9,}: load {_f(r.load_s, '.2f')} s, CPU {_f(r.cpu_s, '.2f')} s, "
                        f"{_f(r.bytes_per_prefix, '.0f')} B/prefix {r.error}",
                        flush=True,
                    )
                    results.append(r)
    finally:
        netns_down()
    print()
    print_table(results, streams)
    left = [ns for ns in (NS_FEEDER, NS_SPEAKER) if os.path.exists(f"/run/netns/{ns}")]
    if left:
        print(f"left behind: {left}")
        return 1
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
