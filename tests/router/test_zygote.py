"""The zygote's start gate: held routers start only when the gate opens, later ones at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Client:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "routesim.router.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.read()["op"] == "ready"

    def send(self, **req) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(req) + "\n").encode())
        self.proc.stdin.flush()

    def read(self) -> dict:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def spawn(self, node: str, config: Path, log: Path, **kw) -> int:
        self.send(op="spawn", node=node, netns="", config=str(config), log=str(log), **kw)
        reply = self.read()
        assert reply["op"] == "spawned", reply
        self.last_pid = reply["pid"]
        return reply["pid"]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def _wait_for(path: Path, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and "failed to start" in path.read_text():
            return True
        time.sleep(0.02)
    return False


def test_held_routers_start_when_the_gate_opens_and_later_ones_at_once(tmp_path):
    # a router whose config does not exist fails at once and says so in its log: that line tells
    # whether the child got past the gate
    z = Client()
    try:
        missing = tmp_path / "missing.json"
        held = [tmp_path / f"r{i}.log" for i in range(3)]
        for i, log in enumerate(held):
            z.spawn(f"r{i}", missing, log, hold=True)
        # one spawned after them without hold runs (and fails) at once: by then the held ones
        # would have failed too, had they not been held
        probe = tmp_path / "probe.log"
        z.spawn("probe", missing, probe)
        assert _wait_for(probe)
        assert z.read() == {"op": "exit", "node": "probe", "pid": z.last_pid, "status": 1}
        assert not any(log.exists() and log.read_text() for log in held)
        z.send(op="release")
        assert z.read()["op"] == "released"
        exits = [z.read() for _ in held]
        assert {e["node"] for e in exits} == {"r0", "r1", "r2"} and all(e["status"] == 1 for e in exits)
        assert all(_wait_for(log) for log in held)
        late = tmp_path / "late.log"
        z.spawn("late", missing, late, hold=True)  # the gate is open: no waiting
        assert _wait_for(late)
    finally:
        z.close()
