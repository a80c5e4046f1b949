"""The emulator's per-direction pipeline (loss, queue limit, rate, delay, jitter, FIFO) without sockets."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator

import pytest

from routesim.lab.linkemu import VNET_HDR_LEN, Direction, Emulator, Params, Port


@pytest.fixture
def emu() -> Iterator[tuple[Emulator, Direction, socket.socket]]:
    loop = asyncio.new_event_loop()
    tx, rx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.setblocking(False)
    e = Emulator(loop, random.Random(7))
    d = Direction("a>b", Port("x", tx))
    yield e, d, rx
    e.timer.close()
    loop.close()
    tx.close()
    rx.close()


def frame(size: int, tag: int = 0) -> bytes:
    """A frame of ``size`` bytes on the wire, preceded by the 10-byte virtio-net header."""
    return bytes(VNET_HDR_LEN) + tag.to_bytes(4, "big") + bytes(size - 4)


def deliveries(e: Emulator) -> list[float]:
    return [t for t, *_ in sorted(e.heap)]


def test_unimpaired_frames_are_sent_immediately(emu) -> None:
    e, d, rx = emu
    e.forward(d, frame(100, 1), now=10.0)
    assert e.heap == [] and rx.recv(2000)[VNET_HDR_LEN : VNET_HDR_LEN + 4] == b"\x00\x00\x00\x01"
    assert (d.stats.frames, d.stats.bytes) == (1, 100)


def test_delay_schedules_at_arrival_plus_delay(emu) -> None:
    e, d, _ = emu
    d.params = Params(delay=0.040)
    e.forward(d, frame(100), now=10.0)
    e.forward(d, frame(100), now=10.001)
    assert deliveries(e) == pytest.approx([10.040, 10.041])


def test_rate_serialises_frames_back_to_back(emu) -> None:
    e, d, _ = emu
    d.params = Params(rate=10_000_000, delay=0.001)
    for _ in range(3):
        e.forward(d, frame(1250), now=5.0)  # 1250 bytes = 1 ms at 10 Mbit/s
    assert deliveries(e) == pytest.approx([5.002, 5.003, 5.004])
    # an idle link does not bank credit: a frame after a pause waits its own serialisation only
    e.forward(d, frame(1250), now=6.0)
    assert deliveries(e)[-1] == pytest.approx(6.002)


def test_jitter_never_reorders_a_direction(emu) -> None:
    e, d, _ = emu
    d.params = Params(delay=0.010, jitter=0.008)
    for k in range(200):
        e.forward(d, frame(64, k), now=1.0 + k * 0.0005)
    order = [int.from_bytes(f[VNET_HDR_LEN : VNET_HDR_LEN + 4], "big") for *_, f in sorted(e.heap)]
    times = deliveries(e)
    assert order == list(range(200))
    assert all(t >= 1.0 + 0.002 for t in times) and times == sorted(times)
    assert len({round(t, 9) for t in times}) > 20  # jitter did spread the frames


def test_loss_drops_the_configured_fraction_with_a_seeded_rng(emu) -> None:
    e, d, _ = emu
    d.params = Params(loss=0.2, delay=0.001, limit=10_000)
    for _ in range(5000):
        e.forward(d, frame(64), now=1.0)
    assert 900 <= d.stats.dropped_loss <= 1100
    assert d.stats.dropped == d.stats.dropped_loss and d.stats.queued == 5000 - d.stats.dropped_loss


def test_queue_limit_tail_drops(emu) -> None:
    e, d, _ = emu
    d.params = Params(delay=1.0, limit=10)
    for _ in range(15):
        e.forward(d, frame(64), now=1.0)
    assert d.stats.queued == 10 and d.stats.dropped_queue == 5


def test_due_frames_are_sent_in_order_when_the_timer_fires(emu) -> None:
    e, d, rx = emu
    d.params = Params(delay=0.001)
    now = e.loop.time()
    for k in range(3):
        e.forward(d, frame(64, k), now=now - 1.0)  # already due
    e._on_timer()
    got = [int.from_bytes(rx.recv(2000)[VNET_HDR_LEN : VNET_HDR_LEN + 4], "big") for _ in range(3)]
    assert got == [0, 1, 2] and d.stats.queued == 0 and d.stats.frames == 3


def test_link_down_discards_frames_in_flight(emu) -> None:
    e, d, rx = emu
    d.params = Params(delay=0.001)
    e.forward(d, frame(64), now=e.loop.time() - 1.0)
    d.generation += 1  # what the "down" command does
    e._on_timer()
    assert d.stats.frames == 0 and d.stats.queued == 0
    with pytest.raises(BlockingIOError):
        rx.recv(2000)


def test_params_update_keeps_absent_keys_and_validates() -> None:
    p = Params(delay=0.01, loss=0.1)
    p.update({"jitter": 0.002, "rate": 1000})
    assert (p.delay, p.jitter, p.loss, p.rate) == (0.01, 0.002, 0.1, 1000)
    p.update({"rate": None})
    assert p.rate is None
    with pytest.raises(ValueError):
        p.update({"loss": 1.5})
