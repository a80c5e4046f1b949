"""Packet captures of a lab (``routesim run --capture DIR``) and their tshark check.

One pcap per point-to-point link (taken on the first endpoint's interface, inside its namespace)
and one per LAN (on its bridge in the switch namespace). tcpdump starts before any router, so a
capture holds every protocol exchange from the first Hello or Request on; it is stopped with
SIGTERM at teardown so the file is flushed.

:func:`tshark_problems` is how tests and users check what we send: no malformed frame and no
expert info of warning severity or worse, as Wireshark itself judges it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from routesim.lab import netns as nsx


@dataclass
class Captures:
    directory: Path
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.pcap"))

    def stop(self) -> None:
        for _, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


def start_captures(lab, directory: str | Path) -> Captures:
    tool = shutil.which("tcpdump")
    if tool is None:
        raise RuntimeError("--capture needs tcpdump (apt-get install tcpdump)")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    caps = Captures(d)
    points: list[tuple[str, str, str]] = []  # (netns, iface, file stem)
    for link in lab.topo.links:
        # on an emulated link too, the router-side interface shows what the router sends and gets
        points.append((lab.names.netns(link.a.node), link.a.iface, f"{link.id}-{link.a.node}-{link.b.node}"))
    for lan in lab.topo.lans:
        points.append((lab.names.switch_netns, lab.plumbing.bridges[lan.name], f"lan-{lan.name}"))
    for ns, iface, stem in points:
        path = d / f"{stem}.pcap"
        argv = nsx.netns_argv(ns, [tool, "-i", iface, "-U", "-n", "-s", "0", "-w", str(path)])
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        caps.procs.append((stem, p))
        if lab.state is not None:
            lab.state.register_pid(p.pid, "capture", file=str(path))
    # tcpdump says "listening on" once its socket is open: wait for all of them
    deadline = time.monotonic() + 10
    for stem, p in caps.procs:
        assert p.stderr is not None
        line = b""
        while b"listening on" not in line and time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
        if p.poll() is not None:
            raise RuntimeError(f"capture {stem} failed to start")
    return caps


#: Linux traceroute's UDP probes go to 33434 + n, one port per probe (traceroute(8), ``-p``).
TRACEROUTE_PROBES = "(udp.dstport >= 33434 && udp.dstport <= 33534)"


@dataclass(frozen=True)
class TsharkReport:
    frames: int
    problems: tuple[str, ...]
    counts: dict[str, int]


def tshark_problems(
    pcap: str | Path, count_filters: dict[str, str] | None = None, *, allow_tcp_resets: bool = False
) -> TsharkReport:
    """Frames tshark marks malformed or with expert info >= warning, and per-filter frame counts.

    Traceroute probes the lab's ``expect:`` checks send (and the ICMP errors quoting them) are left
    out: they are the kernel's packets, not ours, and their random source port can land on a port
    Wireshark gives to some other protocol (34980 decodes as EtherCAT and is then "malformed").

    ``allow_tcp_resets``: a BGP speaker's SYN to a neighbour that is not listening yet gets a RST
    from the neighbour's kernel (tshark's "Connection reset" warning); that is TCP doing its job, not
    a fault in anything we encoded, so BGP checks may leave those frames out.
    """
    bad_filter = "_ws.malformed || (_ws.expert.severity >= warning" + (
        " && !tcp.flags.reset)" if allow_tcp_resets else ")"
    )
    bad_filter = f"({bad_filter}) && !{TRACEROUTE_PROBES}"
    tshark = shutil.which("tshark")
    if tshark is None:
        raise RuntimeError("tshark is not installed")
    base = [tshark, "-n", "-r", str(pcap), "-o", "tcp.check_checksum:FALSE", "-o", "udp.check_checksum:FALSE"]
    bad = subprocess.run(
        [
            *base,
            "-Y",
            bad_filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.col.Protocol",
            "-e",
            "_ws.col.Info",
            "-e",
            "_ws.expert.message",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [line for line in bad.stdout.splitlines() if line.strip()]
    verbose = subprocess.run([*base, "-V"], capture_output=True, text=True, check=False).stdout
    problems += [
        f"checksum: {line.strip()}" for line in verbose.splitlines() if "incorrect, should be" in line
    ]
    total = subprocess.run(
        [*base, "-T", "fields", "-e", "frame.number"], capture_output=True, text=True
    ).stdout
    counts = {}
    for name, flt in (count_filters or {}).items():
        out = subprocess.run(
            [*base, "-Y", flt, "-T", "fields", "-e", "frame.number"], capture_output=True, text=True
        )
        counts[name] = len([x for x in out.stdout.splitlines() if x.strip()])
    return TsharkReport(len(total.split()), tuple(problems), counts)
