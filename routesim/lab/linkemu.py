"""The userspace link emulator: per-direction delay, jitter, loss and rate between veth pairs.

Used where the kernel has no netem (see ``/work/shared/notes/sandbox.md``). One asyncio process
runs in the lab's switch namespace; for every emulated link it owns two veth ends there (``a`` and
``b``, whose peers are the two routers' interfaces) and relays Ethernet frames between them::

    python -m routesim.lab.linkemu --control linkemu.sock --spec linkemu.json

Sockets. One ``AF_PACKET``/``SOCK_RAW`` socket per port (works rootless inside a user namespace,
unlike TAP), bound to the port with protocol ``ETH_P_ALL`` (created with protocol 0 first so it
never sees other ports' traffic), ``PACKET_IGNORE_OUTGOING`` so it does not read back what it
writes, and ``PACKET_VNET_HDR``: veths carry GSO super-frames and ``CHECKSUM_PARTIAL`` packets,
and the virtio-net header read with each frame is written back with it, so checksum and
segmentation offload state survive the relay (TCP works at full speed). A consequence: a TCP
super-frame (up to 64 KiB) is one frame for loss and rate accounting, as it would be for netem
placed on the same veth.

Per-direction pipeline (``a>b`` and ``b>a`` are independent), in the order netem applies them:

1. loss: drop with probability ``loss`` (everything: ARP, multicast, TCP alike);
2. queue limit: drop when ``limit`` frames (default 1000, netem's default) are in flight;
3. rate: a serialisation clock, ``start = max(now, busy_until)``,
   ``busy_until = start + 8 * len / rate`` (token bucket of depth one frame: no bursts);
4. delay and jitter: ``deliver = busy_until + delay + U(-jitter, +jitter)``;
5. FIFO: ``deliver = max(deliver, previous deliver)``. Frames of one direction are never reordered
   (netem with a plain fifo reorders under jitter; we do not, because a reordering link would make
   the protocol traces harder to read). With jitter this biases the mean delay slightly upward.

Timing. asyncio rounds its timers up to whole milliseconds, so deliveries are driven by a
``timerfd`` (CLOCK_MONOTONIC, absolute, nanosecond resolution; the same clock as ``loop.time()``)
registered with the event loop; due frames are sent when ``deliver <= now + 50 us``.

Control: JSON lines on a unix stream socket, one response line per request, ``{"ok": true, ...}``
or ``{"ok": false, "error": "..."}``:

* ``{"cmd": "ping"}``
* ``{"cmd": "set", "link": ID, "direction": "both"|"a>b"|"b>a", "delay": s, "jitter": s,
  "loss": fraction, "rate": bit/s|null, "limit": frames}`` (absent keys keep their value)
* ``{"cmd": "down"|"up", "link": ID}``: both ports admin down/up, so both routers see
  (NO-)CARRIER; frames in flight on the link are dropped on ``down``
* ``{"cmd": "stats"[, "link": ID]}``: per link and direction ``frames``/``bytes`` forwarded,
  ``dropped`` (``dropped_loss``/``dropped_queue``/``dropped_error``), ``dropped_bytes``, ``queued``
* ``{"cmd": "add", "id": ID, "a": PORT, "b": PORT, ...params}``, ``{"cmd": "shutdown"}``

This module imports only the standard library: it starts in tens of milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import errno
import fcntl
import heapq
import itertools
import json
import os
import random
import signal
import socket
import struct
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_IGNORE_OUTGOING = 23
VNET_HDR_LEN = 10
MAX_FRAME = 256 * 1024  # GSO super-frames reach 64 KiB (more with BIG TCP)
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
CLOCK_MONOTONIC = 1
TFD_NONBLOCK = 0o4000
TFD_CLOEXEC = 0o2000000
TFD_TIMER_ABSTIME = 1
#: Frames due within this margin are sent now rather than re-arming the timer.
DUE_MARGIN = 50e-6
RX_BATCH = 256


@dataclass
class Params:
    delay: float = 0.0
    jitter: float = 0.0
    loss: float = 0.0
    rate: int | None = None
    limit: int = 1000

    @property
    def holds(self) -> bool:
        return bool(self.delay or self.jitter or self.rate)

    def update(self, d: dict[str, Any]) -> None:
        for k in ("delay", "jitter", "loss"):
            if k in d and d[k] is not None:
                setattr(self, k, float(d[k]))
        if "rate" in d:
            self.rate = int(d["rate"]) if d["rate"] else None
        if d.get("limit"):
            self.limit = int(d["limit"])
        if not (0.0 <= self.loss <= 1.0) or self.delay < 0 or self.jitter < 0:
            raise ValueError(f"bad impairment {d}")


@dataclass
class Stats:
    frames: int = 0
    bytes: int = 0
    dropped: int = 0
    dropped_loss: int = 0
    dropped_queue: int = 0
    dropped_error: int = 0
    dropped_bytes: int = 0
    queued: int = 0


@dataclass(eq=False)
class Direction:
    name: str
    out: Port
    params: Params = field(default_factory=Params)
    stats: Stats = field(default_factory=Stats)
    busy_until: float = 0.0
    last_deliver: float = 0.0
    generation: int = 0  # bumped on link down: frames queued before are dropped


@dataclass(eq=False)
class Port:
    name: str
    sock: socket.socket
    rx: Direction | None = None  # direction taking the frames read from this port


class _TimerSpec(ctypes.Structure):
    _fields_ = [
        ("i_sec", ctypes.c_long),
        ("i_nsec", ctypes.c_long),
        ("v_sec", ctypes.c_long),
        ("v_nsec", ctypes.c_long),
    ]


class PreciseTimer:
    """One-shot absolute wake-ups on the loop's clock with sub-millisecond precision (timerfd)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Any) -> None:
        self.loop = loop
        self.callback = callback
        self.armed: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
        if self.fd >= 0:
            loop.add_reader(self.fd, self._fire)

    def arm(self, when: float) -> None:
        if self.armed is not None and self.armed <= when:
            return
        self.armed = when
        if self.fd < 0:  # fallback: asyncio's millisecond timers
            if self._handle:
                self._handle.cancel()
            self._handle = self.loop.call_at(when, self._fire)
            return
        when = max(when, 1e-6)
        sec = int(when)
        spec = _TimerSpec(0, 0, sec, int((when - sec) * 1e9))
        if self._libc.timerfd_settime(self.fd, TFD_TIMER_ABSTIME, ctypes.byref(spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime")

    def _fire(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(BlockingIOError):
                os.read(self.fd, 8)
        self.armed = None
        self.callback()

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            os.close(self.fd)
            self.fd = -1


def open_port(name: str) -> socket.socket:
    """A non-blocking packet socket on ``name`` carrying virtio-net headers."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
        s.bind((name, ETH_P_ALL))
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s


def set_admin_state(name: str, up: bool) -> None:
    """``ip link set NAME up|down`` by ioctl (this process lives in the ports' namespace)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", name.encode(), 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
        flags = flags | IFF_UP if up else flags & ~IFF_UP
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", name.encode(), flags))


@dataclass(eq=False)
class EmuLink:
    id: str
    a: Port
    b: Port
    ab: Direction
    ba: Direction
    up: bool = True


class Emulator:
    def __init__(self, loop: asyncio.AbstractEventLoop, rng: random.Random | None = None) -> None:
        self.loop = loop
        self.rng = rng or random.Random()
        self.links: dict[str, EmuLink] = {}
        self.heap: list[tuple[float, int, Direction, int, bytes]] = []
        self.seq = itertools.count()
        self.timer = PreciseTimer(loop, self._on_timer)
        self._buf = bytearray(MAX_FRAME)

    # -- setup ---------------------------------------------------------------------------------
    def add_link(self, spec: dict[str, Any]) -> EmuLink:
        lid = str(spec["id"])
        if lid in self.links:
            raise ValueError(f"link {lid} exists")
        pa = Port(spec["a"], open_port(spec["a"]))
        pb = Port(spec["b"], open_port(spec["b"]))
        ab, ba = Direction("a>b", pb), Direction("b>a", pa)
        for d in (ab, ba):
            d.params.update(spec)
            d.params.update(spec.get(d.name) or {})
        pa.rx, pb.rx = ab, ba
        link = EmuLink(lid, pa, pb, ab, ba)
        self.links[lid] = link
        for port in (pa, pb):
            self.loop.add_reader(port.sock.fileno(), self._on_readable, port)
        return link

    def close(self) -> None:
        for link in self.links.values():
            for port in (link.a, link.b):
                self.loop.remove_reader(port.sock.fileno())
                port.sock.close()
        self.timer.close()

    # -- data path -----------------------------------------------------------------------------
    def _on_readable(self, port: Port) -> None:
        d = port.rx
        assert d is not None
        buf = self._buf
        recv_into = port.sock.recv_into
        for _ in range(RX_BATCH):
            try:
                n = recv_into(buf)
            except BlockingIOError:
                return
            except OSError as e:  # ENETDOWN once after the port went down
                if e.errno in (errno.ENETDOWN, errno.ENXIO):
                    return
                raise
            self.forward(d, bytes(buf[:n]), self.loop.time())

    def forward(self, d: Direction, frame: bytes, now: float) -> None:
        p, st = d.params, d.stats
        size = len(frame) - VNET_HDR_LEN
        if p.loss and self.rng.random() < p.loss:
            st.dropped += 1
            st.dropped_loss += 1
            st.dropped_bytes += size
            return
        if not p.holds and d.last_deliver <= now:
            self._send(d, frame)
            return
        if st.queued >= p.limit:
            st.dropped += 1
            st.dropped_queue += 1
            st.dropped_bytes += size
            return
        t = now
        if p.rate:
            t = d.busy_until = max(now, d.busy_until) + size * 8 / p.rate
        t += p.delay
        if p.jitter:
            t += self.rng.uniform(-p.jitter, p.jitter)
        t = max(t, d.last_deliver, now)
        d.last_deliver = t
        st.queued += 1
        heapq.heappush(self.heap, (t, next(self.seq), d, d.generation, frame))
        self.timer.arm(t)

    def _on_timer(self) -> None:
        heap = self.heap
        limit = self.loop.time() + DUE_MARGIN
        while heap and heap[0][0] <= limit:
            _t, _s, d, gen, frame = heapq.heappop(heap)
            d.stats.queued -= 1
            if gen == d.generation:
                self._send(d, frame)
        if heap:
            self.timer.arm(heap[0][0])

    def _send(self, d: Direction, frame: bytes) -> None:
        st = d.stats
        try:
            d.out.sock.send(frame)
        except OSError:  # down port (ENETDOWN/ENXIO), full queue (EAGAIN/ENOBUFS)
            st.dropped += 1
            st.dropped_error += 1
            st.dropped_bytes += len(frame) - VNET_HDR_LEN
            return
        st.frames += 1
        st.bytes += len(frame) - VNET_HDR_LEN

    # -- control -------------------------------------------------------------------------------
    def _link(self, req: dict[str, Any]) -> EmuLink:
        try:
            return self.links[str(req["link"])]
        except KeyError:
            raise ValueError(f"unknown link {req.get('link')!r}") from None

    def link_stats(self, link: EmuLink) -> dict[str, Any]:
        return {
            "a": link.a.name,
            "b": link.b.name,
            "state": "up" if link.up else "down",
            **{d.name: {**asdict(d.stats), "params": asdict(d.params)} for d in (link.ab, link.ba)},
        }

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        cmd = req.get("cmd")
        if cmd == "ping":
            return {"pid": os.getpid(), "links": sorted(self.links)}
        if cmd == "set":
            link = self._link(req)
            which = req.get("direction", "both")
            dirs = {"both": (link.ab, link.ba), "a>b": (link.ab,), "b>a": (link.ba,)}[which]
            for d in dirs:
                d.params.update(req)
            return {}
        if cmd in ("down", "up"):
            link = self._link(req)
            up = cmd == "up"
            if not up:
                for d in (link.ab, link.ba):
                    d.generation += 1
                    d.busy_until = d.last_deliver = 0.0
            for port in (link.a, link.b):
                set_admin_state(port.name, up)
            link.up = up
            return {}
        if cmd == "stats":
            if "link" in req:
                links = [self._link(req)]
            else:
                links = list(self.links.values())
            return {"links": {lk.id: self.link_stats(lk) for lk in links}}
        if cmd == "add":
            self.add_link(req)
            return {}
        raise ValueError(f"unknown command {cmd!r}")


async def serve(spec: dict[str, Any], control: Path, seed: int | None = None) -> None:
    loop = asyncio.get_running_loop()
    emu = Emulator(loop, random.Random(seed if seed is not None else spec.get("seed")))
    for link in spec.get("links", []):
        emu.add_link(link)
    stop = loop.create_future()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                    resp = {"ok": True, **emu.handle(req)}
                    if req.get("cmd") == "shutdown" and not stop.done():
                        stop.set_result(None)
                except Exception as e:
                    resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                writer.write(json.dumps(resp).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    with contextlib.suppress(FileNotFoundError):
        control.unlink()
    server = await asyncio.start_unix_server(client, path=str(control))
    try:
        await stop
    finally:
        server.close()
        emu.close()
        with contextlib.suppress(FileNotFoundError):
            control.unlink()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="routesim.lab.linkemu", description=__doc__.split("\n")[0])
    ap.add_argument("--control", required=True, type=Path, help="unix socket for JSON-line control")
    ap.add_argument("--spec", type=Path, help='JSON file: {"links": [{"id","a","b","delay",...}]}')
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    spec = json.loads(args.spec.read_text()) if args.spec else {}
    try:
        asyncio.run(serve(spec, args.control, args.seed))
    except OSError as e:
        print(f"linkemu: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
