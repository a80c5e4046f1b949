"""A BGP feeder for benchmarks: one eBGP peer that streams a large, realistic IPv4 table, fast.

Our own code on our own codec (``routesim.wire.bgp``). The whole stream is built and encoded before
connecting, so sending costs only ``sendall``:

    stream = build_stream(1_000_000, seed=1, next_hop=IPv4Address("10.0.0.1"))
    with Feeder(stream, local_as=65001, router_id=IPv4Address("10.0.0.1")) as f:
        f.connect(IPv4Address("10.0.0.2"))       # or f.accept(listen_address)
        t_established = f.handshake()           # OPEN/KEEPALIVE exchange done (time.monotonic())
        f.send_stream()                         # returns the send time; keepalives go on in a thread

The table (``attr_sets="realistic"``): prefix lengths mostly /24, some /16-/23 and a few /12-/15,
none overlapping special-purpose space (BIRD drops 127/8 as bogus);
attribute sets with a heavy-tailed number of prefixes each (Pareto, mean ~3.3, so ~300k sets for
1M prefixes, like a real full table), AS paths of 2-8 ASes (the feeder's AS first; length drawn
around 4-5 as seen in the global table), origins mostly IGP, some MEDs and communities. ``packed``:
one attribute set, ~1000 NLRI per UPDATE (the best case for a receiver). UPDATEs are split by
``pack_updates`` and framed around the set's attribute bytes, encoded once.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv4Address

from routesim.wire.bgp import (
    KEEPALIVE,
    AsPath,
    Communities,
    Framer,
    MultiExitDisc,
    Negotiated,
    NextHop,
    Open,
    Origin,
    Prefix,
    encode_prefixes,
    pack_updates,
)
from routesim.wire.bgp.attributes import encode_attributes
from routesim.wire.bgp.framing import MARKER, MessageType

#: AS path length (including the feeder's own AS) -> weight, after the global table's distribution.
_PATH_LENGTHS = {2: 8, 3: 22, 4: 30, 5: 22, 6: 10, 7: 5, 8: 3}
#: prefix length -> weight (a full table is ~60% /24).
_PREFIX_LENGTHS = {
    24: 60,
    23: 9,
    22: 11,
    21: 5,
    20: 5,
    19: 3,
    18: 2,
    17: 1.5,
    16: 2.5,
    15: 0.4,
    14: 0.3,
    12: 0.3,
}


@dataclass(frozen=True)
class Stream:
    """The encoded UPDATEs (one bytes object) and what is in them."""

    data: bytes
    prefixes: int
    updates: int
    attribute_sets: int
    build_seconds: float


#: Special-purpose space a full table does not carry (BIRD drops 127/8 as bogus, for one).
_BOGONS = tuple(
    (Prefix.from_network(n).address, Prefix.from_network(n).length)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15")
)  # fmt: skip


def _bogon(addr: int, length: int) -> bool:
    """True when the prefix overlaps special-purpose space."""
    for net, nlen in _BOGONS:
        shortest = min(length, nlen)
        mask = (0xFFFFFFFF << (32 - shortest)) & 0xFFFFFFFF
        if addr & mask == net & mask:
            return True
    return False


def _prefixes(n: int, rng: random.Random) -> list[Prefix]:
    lengths = list(_PREFIX_LENGTHS)
    weights = list(_PREFIX_LENGTHS.values())
    seen: set[tuple[int, int]] = set()
    out: list[Prefix] = []
    while len(out) < n:
        for length in rng.choices(lengths, weights, k=n - len(out)):
            # unicast space 1.0.0.0 - 223.255.255.255, host bits clear
            addr = rng.randrange(1 << 24, 224 << 24) & ((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF)
            if (addr, length) not in seen and not _bogon(addr, length):
                seen.add((addr, length))
                out.append(Prefix(addr, length))
    return out


def build_stream(
    n: int,
    *,
    seed: int = 1,
    next_hop: IPv4Address,
    local_as: int = 65001,
    attr_sets: str = "realistic",
    negotiated: Negotiated | None = None,
) -> Stream:
    """Encode ``n`` distinct prefixes as UPDATEs from ``local_as`` (deterministic for a seed)."""
    t0 = time.perf_counter()
    neg = negotiated or Negotiated(four_octet_as=True)
    rng = random.Random(seed)
    prefixes = _prefixes(n, rng)
    # AS numbers: a pool of transit and origin ASes, a quarter of them 4-octet (RFC 6793).
    transit = [rng.randrange(1, 64000) for _ in range(2000)]
    origins = [
        rng.randrange(1, 64000) if rng.random() < 0.75 else rng.randrange(131072, 400000)
        for _ in range(75000)
    ]
    plens, pweights = list(_PATH_LENGTHS), list(_PATH_LENGTHS.values())
    nh = NextHop(next_hop)
    groups: dict[bytes, list[Prefix]] = {}
    attrs_of: dict[bytes, tuple] = {}
    i = 0
    while i < n:
        if attr_sets == "packed":
            count = n  # everything under a few attribute sets, split by pack_updates
            path = AsPath.from_asns(local_as, 3356, 174)
            attrs: tuple = (Origin(0), path, nh)
        else:
            count = min(int(rng.paretovariate(1.35)), 5000)
            length = rng.choices(plens, pweights)[0]
            mids = [rng.choice(transit) for _ in range(length - 2)]
            path = AsPath.from_asns(local_as, *mids, rng.choice(origins))
            attrs = (Origin(0 if rng.random() < 0.9 else 2), path, nh)
            if rng.random() < 0.3:
                attrs += (MultiExitDisc(rng.randrange(0, 1000)),)
            if rng.random() < 0.4:
                attrs += (
                    Communities(
                        tuple((local_as << 16) | rng.randrange(1, 4000) for _ in range(rng.randrange(1, 6)))
                    ),
                )
        key = encode_attributes(attrs, neg)
        attrs_of.setdefault(key, attrs)
        groups.setdefault(key, []).extend(prefixes[i : i + count])
        i += count
    chunks: list[bytes] = []
    for key, group in groups.items():
        # pack_updates decides the split; each UPDATE is then framed around the set's attribute
        # bytes, encoded once (what Update.encode would produce, without re-encoding them).
        head = b"\x00\x00" + len(key).to_bytes(2, "big") + key
        for u in pack_updates(attrs_of[key], group, (), neg):
            body = head + encode_prefixes(u.nlri)
            chunks.append(MARKER + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body)
    return Stream(b"".join(chunks), n, len(chunks), len(groups), time.perf_counter() - t0)


class Feeder:
    """One BGP session, as the active or the passive side, on blocking sockets."""

    def __init__(
        self, stream: Stream, *, local_as: int, router_id: IPv4Address, hold_time: int = 240
    ) -> None:
        self.stream = stream
        self.local_as = local_as
        self.router_id = router_id
        self.hold_time = hold_time
        self.sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.received: list[int] = []  # message types received after Established
        self.error: str | None = None
        self.send_seconds = 0.0

    def __enter__(self) -> Feeder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self, peer: IPv4Address, local: IPv4Address | None = None, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if local is not None:
                s.bind((str(local), 0))
            s.settimeout(2.0)
            try:
                s.connect((str(peer), 179))
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self._setup(s)

    def accept(self, local: IPv4Address, timeout: float = 60.0) -> None:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((str(local), 179))
        ls.listen(1)
        ls.settimeout(timeout)
        try:
            s, _ = ls.accept()
        finally:
            ls.close()
        self._setup(s)

    def _setup(self, s: socket.socket) -> None:
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock = s

    def handshake(self, timeout: float = 30.0) -> float:
        """OPEN both ways, KEEPALIVE both ways; returns ``time.monotonic()`` when Established."""
        assert self.sock is not None
        s = self.sock
        s.settimeout(timeout)
        s.sendall(Open.for_speaker(self.local_as, self.hold_time, self.router_id).encode())
        framer = Framer()
        got_open = got_keepalive = False
        while not (got_open and got_keepalive):
            data = s.recv(65536)
            if not data:
                raise ConnectionError("peer closed during OPEN exchange")
            for msg in framer.feed(data):
                mtype = msg[18]
                if mtype == MessageType.OPEN:
                    got_open = True
                    s.sendall(KEEPALIVE.encode())
                elif mtype == MessageType.KEEPALIVE and got_open:
                    got_keepalive = True
                elif mtype == MessageType.NOTIFICATION:
                    raise ConnectionError(f"NOTIFICATION during OPEN exchange: {msg[19:21].hex()}")
        t = time.monotonic()
        s.settimeout(None)
        self._framer = framer
        for target in (self._reader, self._keepalives):
            th = threading.Thread(target=target, daemon=True)
            th.start()
            self._threads.append(th)
        return t

    def send_stream(self, chunk: int = 1 << 18) -> float:
        """Send every UPDATE as fast as the socket takes it; returns the seconds it took."""
        assert self.sock is not None
        data = memoryview(self.stream.data)
        t0 = time.perf_counter()
        for i in range(0, len(data), chunk):
            with self._lock:
                self.sock.sendall(data[i : i + chunk])
        self.send_seconds = time.perf_counter() - t0
        return self.send_seconds

    def _keepalives(self) -> None:
        ka = KEEPALIVE.encode()
        while not self._stop.wait(self.hold_time / 3):
            try:
                with self._lock:
                    self.sock.sendall(ka)  # type: ignore[union-attr]
            except OSError:
                return

    def _reader(self) -> None:
        try:
            while not self._stop.is_set():
                data = self.sock.recv(65536)  # type: ignore[union-attr]
                if not data:
                    if not self._stop.is_set():
                        self.error = "closed by peer"
                    return
                for msg in self._framer.feed(data):
                    self.received.append(msg[18])
                    if msg[18] == MessageType.NOTIFICATION:
                        self.error = f"NOTIFICATION {msg[19]}/{msg[20]}"
        except OSError as e:
            if not self._stop.is_set():
                self.error = str(e)

    def close(self) -> None:
        self._stop.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
