"""Measurement helpers for lab tests: ping statistics, carrier polling, sockets in namespaces."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from typing import Any

from routesim.lab import netns as nsx


def ping(ns: str, dst: str, *, count: int = 1, interval: float = 0.2, wait: float = 1.0) -> dict[str, Any]:
    """Run ping inside ``ns``; returns {"rc", "loss" (percent), "avg" (ms or None), "out"}."""
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", str(wait), dst]
    r = nsx.run_in_netns(ns, argv, timeout=count * interval + wait + 30)
    loss = re.search(r"([\d.]+)% packet loss", r.stdout)
    rtt = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", r.stdout)
    return {
        "rc": r.returncode,
        "loss": float(loss.group(1)) if loss else 100.0,
        "avg": float(rtt.group(2)) if rtt else None,
        "out": r.stdout + r.stderr,
    }


def wait_carrier(ns: str, ifname: str, want: bool, timeout: float = 2.0) -> float:
    """Seconds until ``ifname`` in ``ns`` has carrier == ``want`` (raises on timeout)."""
    ipr = nsx.iproute(ns)
    try:
        t0 = time.monotonic()
        while True:
            (link,) = ipr.get_links(ifname=ifname)
            if bool(link.get("carrier")) == want:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{ns}:{ifname} carrier != {want} after {timeout}s")
            time.sleep(0.002)
    finally:
        ipr.close()


def tcp_transfer(ns_srv: str, srv_ip: str, ns_cli: str, nbytes: int, port: int = 5001) -> tuple[int, float]:
    """Send ``nbytes`` over TCP from ``ns_cli`` to ``srv_ip`` in ``ns_srv`` with sockets created in the
    namespaces; returns (bytes received, seconds from the first to the last byte at the receiver)."""
    srv = nsx.socket_in_netns(ns_srv, socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((srv_ip, port))
    srv.listen(1)
    srv.settimeout(20)
    result: dict[str, Any] = {}

    def serve() -> None:
        conn, _ = srv.accept()
        conn.settimeout(30)
        n, first = 0, None
        with conn:
            while data := conn.recv(1 << 16):
                if first is None:
                    first = time.monotonic()
                n += len(data)
        result["n"], result["dt"] = n, time.monotonic() - (first or time.monotonic())

    t = threading.Thread(target=serve)
    t.start()
    cli = nsx.socket_in_netns(ns_cli, socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(30)
    try:
        cli.connect((srv_ip, port))
        cli.sendall(b"\xa5" * nbytes)
    finally:
        cli.close()
        t.join(60)
        srv.close()
    return result.get("n", 0), result.get("dt", 0.0)


def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)
