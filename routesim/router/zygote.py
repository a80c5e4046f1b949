"""A preloaded fork server for router processes.

Starting 50 Python interpreters that each import asyncio, pyroute2 and the engines costs seconds
of CPU and ~30 MB each; forking them from one process that has imported everything once costs
milliseconds and shares the imported modules copy-on-write (PSS far below RSS).

Protocol on stdin/stdout, one JSON object per line:

* in: ``{"op": "spawn", "node": "r1", "netns": "rs-lab-r1", "config": PATH, "log": PATH}``
  out: ``{"op": "spawned", "node": "r1", "pid": 1234}`` or ``{"op": "error", ...}``
* out, unsolicited: ``{"op": "exit", "node": "r1", "pid": 1234, "status": 9}`` when a child dies.
* in: ``{"op": "release"}``, out: ``{"op": "released"}``: the start gate opens (below).

A spawn request with ``"hold": true`` forks the child, which enters its namespace and then waits at
a start gate (a pipe whose write end only the zygote keeps open) until ``release`` closes it: a lab
forks all its routers while none of them competes for the CPU, then starts them at one instant, so
their adjacencies come up together (fewer LSA originations and floods than a staggered start).
Requests after ``release`` (a router restarted by an event) start at once.

Each child enters its network namespace with ``setns(2)`` (the zygote is single-threaded, so this
is safe), asks for SIGTERM when the zygote dies (``PR_SET_PDEATHSIG``), moves to its own process
group (a Ctrl-C reaches only the orchestrator, which then tears down in order) and runs the
router. The zygote itself dies with the orchestrator the same way.

The zygote runs with the garbage collector off and freezes its heap (``gc.freeze()``) before each
fork, so a child's full collection never writes to (and so never unshares) the preloaded objects;
children turn the collector back on.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import sys

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def enter_netns(name: str) -> None:
    path = name if name.startswith("/") else f"/run/netns/{name}"
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _preload() -> None:
    import asyncio  # noqa: F401

    import asyncio_dgram  # noqa: F401
    import pyroute2  # noqa: F401

    import routesim.router.runtime  # noqa: F401

    # Also what a router imports lazily on its startup path: imported once here, never per child.
    for mod in (
        "routesim.router.process",
        "routesim.router.netlink",
        "routesim.router.udp",
        "routesim.router.raw",
        "routesim.router.tcp",
        "routesim.router.fibbatch",
        "routesim.proto.rip.config",
        "routesim.proto.rip.engine",
        "routesim.proto.ospf.config",
        "routesim.proto.ospf.engine",
        "routesim.proto.bgp.config",
        "routesim.proto.bgp.engine",
        "routesim.proto.bgp.policy",
    ):
        try:
            __import__(mod)
        except ImportError:
            pass


def _child(req: dict, gate: tuple[int, int] | None) -> None:
    """The router process; ``gate`` (read, write end) while the start gate is shut."""
    gc.enable()
    try:
        wait_at_gate = None
        if gate is not None:
            os.close(gate[1])  # only the zygote may hold the gate shut
            if req.get("hold"):
                wait_at_gate = gate[0]
            else:
                os.close(gate[0])
        os.setpgid(0, 0)
        if not req.get("keep"):
            die_with_parent(signal.SIGTERM)
            if os.getppid() == 1:
                os._exit(1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if req.get("netns"):
            enter_netns(req["netns"])
        fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        if wait_at_gate is not None:
            while os.read(wait_at_gate, 1):  # EOF: the gate is open
                pass
            os.close(wait_at_gate)
        from routesim.router.process import run_router

        code = run_router(req["config"])
    except BaseException as e:  # report anything, never return into the zygote's loop
        try:
            os.write(2, f"router {req.get('node')} failed to start: {e!r}\n".encode())
        except OSError:
            pass
        code = 1
    os._exit(code)


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> int:
    if os.getpgid(0) != os.getpid():
        os.setpgid(0, 0)
    gc.disable()  # no collection holes in the preloaded heap; children re-enable it
    _preload()
    children: dict[int, str] = {}
    detached = False
    rfd, wfd = os.pipe()
    gate, gate_w = os.pipe()  # the start gate: open once gate_w is closed ("release")
    gated = True
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
    _emit({"op": "ready", "pid": os.getpid()})
    stdin = sys.stdin.buffer
    buf = b""
    try:
        while True:
            r, _, _ = select.select([stdin.fileno(), rfd], [], [])
            if rfd in r:
                os.read(rfd, 4096)
            while children:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                node = children.pop(pid, "?")
                code = os.waitstatus_to_exitcode(status)
                _emit({"op": "exit", "node": node, "pid": pid, "status": code})
            if stdin.fileno() in r:
                chunk = os.read(stdin.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    req = json.loads(line)
                    if req.get("op") == "detach":
                        detached = True
                        continue
                    if req.get("op") == "release":
                        if gated:
                            os.close(gate_w)
                            os.close(gate)
                            gated = False
                        _emit({"op": "released"})
                        continue
                    if req.get("op") != "spawn":
                        _emit({"op": "error", "error": f"unknown op {req.get('op')!r}"})
                        continue
                    gc.freeze()  # a child's collections never write to the preloaded objects
                    pid = os.fork()
                    if pid == 0:
                        _child(req, (gate, gate_w) if gated else None)
                    children[pid] = req["node"]
                    _emit({"op": "spawned", "node": req["node"], "pid": pid})
    except SystemExit:
        pass
    if detached:
        return 0  # run --keep: the routers outlive us (they did not ask for PDEATHSIG)
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
