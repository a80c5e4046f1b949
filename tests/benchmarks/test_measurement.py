"""The benchmarks' measurements and verdicts (the benchmarks themselves are run by hand).

* ``lab_up.cpu_seconds`` must agree with what a process measures of itself to about a millisecond:
  the benchmarks compare one routesim process per router with FRR's three daemons per router, and
  ``utime + stime`` from ``/proc/PID/stat`` (truncated to 10 ms per process and field) would skew
  that by tenths of a second in a 3x3 grid.
* ``ospf_grid`` takes the median of its rounds and checks the targets per round and on the medians.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lab_up import cpu_seconds
from benchmarks.ospf_grid import Result, check_targets, combined


def _burn(seconds: float, conn) -> None:
    while time.process_time() < seconds:
        pass
    conn.send(time.process_time())
    conn.recv()  # stay alive (and idle) until the parent has measured


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="no /proc/PID/schedstat here")
def test_cpu_seconds_is_exact_to_the_millisecond() -> None:
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    # 35 ms: utime + stime would read 0.03 (each field truncated to a 10 ms tick)
    child = ctx.Process(target=_burn, args=(0.035, theirs))
    child.start()
    try:
        own = ours.recv()
        measured = cpu_seconds(child.pid)
        assert abs(measured - own) < 0.003, (measured, own)
    finally:
        ours.send(None)
        child.join(5)


def _r(size: int, kind: str, rnd: int, fib: float | None, cpu: float | None) -> Result:
    return Result(size, kind, rnd, launch=0.5, fib=fib, rib=fib, cpu=cpu, rss=[10.0], pss=[5.0])


def test_combined_takes_medians_and_fails_the_fib_if_a_round_failed() -> None:
    rounds = [_r(5, "routesim", 1, 1.0, 0.9), _r(5, "routesim", 2, 3.0, 0.5), _r(5, "routesim", 3, 2.0, 0.7)]
    c = combined(rounds)
    assert (c.fib, c.cpu, c.round) == (2.0, 0.7, 3)
    assert c.rss == [10.0, 10.0, 10.0]
    failed = combined([*rounds[:2], _r(5, "routesim", 3, None, None)])
    assert failed.fib is None
    assert failed.cpu == pytest.approx(0.7)  # the median of the rounds that converged


def test_targets_are_checked_per_round_and_on_the_medians(capsys) -> None:
    results = [
        _r(10, "routesim", 1, 4.0, 6.0),
        _r(10, "bird", 1, 7.5, 1.0),
        _r(10, "frr", 1, 12.0, 8.0),
        _r(10, "routesim", 2, 6.0, 10.1),
        _r(10, "bird", 2, 7.5, 1.0),
        _r(10, "frr", 2, 13.0, 10.0),
        _r(10, "routesim", 3, 5.0, 7.0),
        _r(10, "bird", 3, 7.5, 1.0),
        _r(10, "frr", 3, 12.0, 9.0),
    ]
    check_targets(results)
    out = capsys.readouterr().out
    assert "FIB 5.00 s vs BIRD 7.50 s ok (faster in 3/3 rounds)" in out
    assert "CPU 7.00 s vs FRR 9.00 s ok (below in 2/3 rounds; routesim/FRR per round 0.75, 1.01, 0.78)" in out
    check_targets([_r(3, "routesim", 1, 8.0, 0.5), _r(3, "bird", 1, 7.0, 0.0), _r(3, "frr", 1, 5.0, 0.4)])
    out = capsys.readouterr().out
    assert "FIB 8.00 s vs BIRD 7.00 s MISSED" in out
    assert "CPU 0.50 s vs FRR 0.40 s MISSED" in out
