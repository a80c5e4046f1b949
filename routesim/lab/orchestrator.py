"""The lab orchestrator: build, start, watch, inspect and tear down one lab.

``Lab.up()`` takes the lab's lock (refusing a live lab of the same name, cleaning a stale one),
builds namespaces and links (:mod:`routesim.lab.plumbing`), starts the link emulator when a link
is impaired, starts routesim routers through the zygote fork server and BIRD/FRR daemons through
:mod:`routesim.lab.external`, and waits until every router answers. ``Lab.down()`` always runs
(the CLI calls it from ``finally`` and from its signal handlers) and is the same code
``routesim down`` uses after a crash. Every process the lab starts is registered with its start
time in the state directory so nothing else is ever killed.

Every router, routesim or external, is inspected through :meth:`Lab.inspect`, which returns the
same JSON shapes (the inspection model) whatever the node's kind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routesim.lab import netns as nsx
from routesim.lab.names import LabNames, lab_name_for
from routesim.lab.plumbing import Plumbing, build_lab_network
from routesim.lab.routerconf import router_config
from routesim.lab.state import LabBusy, LabState, lab_status, pid_alive, read_lab_json
from routesim.lab.teardown import TeardownReport, teardown
from routesim.router.control import query
from routesim.topology.model import NodeKind, Topology

Progress = Callable[[str], None]


def kept_and_alive(names: LabNames) -> bool:
    """A lab left running by ``run --keep`` (its lock is released, its routers are not)."""
    data = read_lab_json(names)
    return bool(data.get("kept")) and any(
        pid_alive(int(p["pid"]), p.get("start_time"))
        for p in data.get("pids", [])
        if p.get("role") != "zygote"
    )


class LabError(RuntimeError):
    pass


class RouterDied(LabError):
    pass


@dataclass
class NodeHandle:
    name: str
    kind: NodeKind
    netns: str
    pid: int | None = None
    control: str | None = None
    log: str | None = None
    external: Any = None
    exit_status: int | None = None
    pids: list[int] = field(default_factory=list)


def _die_with_parent() -> None:
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)


class Zygote:
    """Client of :mod:`routesim.router.zygote`: spawns routers and hears of their exits."""

    def __init__(self, on_exit: Callable[[str, int, int], None], log: Path, *, keep: bool = False) -> None:
        self.keep = keep
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._log = open(log, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "routesim.router.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            preexec_fn=None if keep else _die_with_parent,
            start_new_session=keep,
        )
        self._on_exit = on_exit
        self._replies: list[dict] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._reader, daemon=True, name="zygote-reader")
        self._thread.start()
        self._wait(lambda r: r.get("op") == "ready", 20.0, "zygote start")

    def _reader(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("op") == "exit":
                self._on_exit(msg["node"], msg["pid"], msg["status"])
                continue
            with self._cond:
                self._replies.append(msg)
                self._cond.notify_all()

    def _wait(self, pred: Callable[[dict], bool], timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, r in enumerate(self._replies):
                    if pred(r):
                        return self._replies.pop(i)
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise LabError(f"{what}: no answer from the router fork server")
                self._cond.wait(min(left, 0.2))

    def spawn(self, node: str, netns: str, config: Path, log: Path, *, hold: bool = False) -> int:
        """Fork a router; with ``hold`` it waits at the start gate until :meth:`release`."""
        assert self.proc.stdin is not None
        req = {
            "op": "spawn",
            "node": node,
            "netns": netns,
            "config": str(config),
            "log": str(log),
            "keep": self.keep,
            "hold": hold,
        }
        self.proc.stdin.write((json.dumps(req) + "\n").encode())
        self.proc.stdin.flush()
        reply = self._wait(
            lambda r: r.get("node") == node and r.get("op") in ("spawned", "error"), 10.0, node
        )
        if reply["op"] == "error":
            raise LabError(f"{node}: {reply.get('error')}")
        return int(reply["pid"])

    def release(self) -> None:
        """Open the start gate: every router spawned with ``hold`` starts now."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"op": "release"}\n')
        self.proc.stdin.flush()
        self._wait(lambda r: r.get("op") == "released", 10.0, "start gate")

    def detach(self) -> None:
        """Leave the routers running: the zygote exits on EOF without stopping its children."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"op": "detach"}\n')
        self.proc.stdin.close()
        self._log.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@dataclass
class Lab:
    topo: Topology
    progress: Progress = lambda msg: None
    seed: int = 0
    emulation: str = "auto"
    keep: bool = False
    mode: str = "netns"  # netns | loopback (see routesim.lab.loopback)
    capture_dir: str | None = None
    captures: Any = None
    names: LabNames = field(init=False)
    nodes: dict[str, NodeHandle] = field(default_factory=dict)
    plumbing: Plumbing | None = None
    state: LabState | None = None
    zygote: Zygote | None = None
    started_at: float = 0.0
    ready_at: float = 0.0
    dead: list[tuple[str, int]] = field(default_factory=list)
    expected_down: set[str] = field(default_factory=set)
    attached: bool = False  # re-attached to a kept lab (routesim event/show)
    _stopping: bool = False

    def __post_init__(self) -> None:
        self.names = LabNames(lab_name_for(self.topo.name))

    @property
    def state_dir(self) -> Path:
        return self.names.state_dir

    def set_phase(self, phase: str) -> None:
        """Record what the lab is doing (``routesim list`` shows it; tests wait on it)."""
        if self.state is not None:
            try:
                (self.state_dir / "phase").write_text(phase + "\n")
            except OSError:
                pass

    # --- bring-up --------------------------------------------------------------------------

    def up(self, *, ready_timeout: float = 30.0) -> None:
        self.started_at = time.time()
        status = lab_status(self.names)
        if status != "live" and kept_and_alive(self.names):
            status = "live"
        if status == "live":
            raise LabBusy(
                f"lab {self.names.lab!r} is already running; stop it with: routesim down {self.names.lab}"
            )
        if status == "stale" or self.names.list_netns():
            self.progress(f"removing stale lab {self.names.lab}")
            teardown(self.names.lab, self.names)
        self.state = LabState.create(
            self.names, topology_path=self.topo.source, topology_name=self.topo.name, mode=self.mode
        )
        self.set_phase("building")
        if self.mode == "loopback":
            self._up_loopback(ready_timeout)
            return
        self.progress(
            f"building network: {len(self.topo.nodes)} nodes, {len(self.topo.links)} links, {len(self.topo.lans)} LANs"
        )
        self.plumbing = build_lab_network(self.topo, self.names, emulation=self.emulation)
        self.state.update(emulator=self.plumbing.emulator_kind)
        if self.plumbing.emulated:
            proc = self.plumbing.start_emulator(self.state_dir, log=self.state_dir / "linkemu.log")
            if proc is not None:
                self.state.register_pid(proc.pid, "linkemu")
            self.progress(
                f"link emulator: {self.plumbing.emulator_kind} for {len(self.plumbing.emulated)} links"
            )
        for node in self.topo.nodes:
            self.nodes[node.name] = NodeHandle(node.name, node.kind, self.names.netns(node.name))
        if self.capture_dir:
            from routesim.lab.capture import start_captures

            self.captures = start_captures(self, self.capture_dir)
            self.progress(f"capturing {len(self.captures.procs)} links into {self.capture_dir}")
        self.set_phase("starting")
        self._start_routesim()
        self._start_external()
        self._wait_ready(ready_timeout)
        self.set_phase("running")
        self.ready_at = time.time()
        self.progress(
            f"all {len(self.topo.routers)} routers ready in {self.ready_at - self.started_at:.2f} s"
        )

    def _up_loopback(self, ready_timeout: float) -> None:
        others = [n.name for n in self.topo.routers if n.kind is not NodeKind.ROUTESIM]
        if others:
            raise LabError(f"loopback mode runs routesim routers only; not: {', '.join(others)}")
        unsupported = [n.name for n in self.topo.routers if n.protocol("ospf") is not None]
        if unsupported:
            raise LabError(f"loopback mode has no OSPF (raw IP sockets): {', '.join(unsupported)}")
        self.progress("loopback mode: no namespaces, routers on 127.x addresses, no kernel FIB, no hosts")
        for node in self.topo.nodes:
            self.nodes[node.name] = NodeHandle(node.name, node.kind, "")
        self.set_phase("starting")
        self._start_routesim()
        self._wait_ready(ready_timeout)
        self.set_phase("running")
        self.ready_at = time.time()
        self.progress(
            f"all {len(self.topo.routers)} routers ready in {self.ready_at - self.started_at:.2f} s"
        )

    def set_link_state(self, link_id: str, up: bool) -> None:
        """Fail or restore a link: carrier in a namespace lab, both routers told in loopback mode."""
        if self.mode != "loopback":
            assert self.plumbing is not None
            self.plumbing.set_link_state(link_id, up)
            return
        link = next(lk for lk in self.topo.links if lk.id == link_id)
        for ep in (link.a, link.b):
            h = self.nodes[ep.node]
            if h.control and h.exit_status is None:
                query(h.control, "iface_up" if up else "iface_down", interface=ep.iface)

    def set_impairment(self, link_id: str, imp, *, from_node: str | None = None) -> None:
        """Change a link's delay/loss: the link emulator, or in loopback mode the routers' sending side."""
        if self.mode != "loopback":
            assert self.plumbing is not None
            self.plumbing.set_impairment(link_id, imp, from_node=from_node)
            return
        link = next(lk for lk in self.topo.links if lk.id == link_id)
        for ep in (link.a, link.b):
            if from_node is not None and ep.node != from_node:
                continue
            h = self.nodes[ep.node]
            if h.control and h.exit_status is None:
                query(h.control, "impair", interface=ep.iface, loss=imp.loss, delay=imp.delay)

    def set_lan_member_state(self, lan: str, node: str, up: bool) -> None:
        if self.mode != "loopback":
            assert self.plumbing is not None
            self.plumbing.set_lan_member_state(lan, node, up)
            return
        member = next(m for la in self.topo.lans if la.name == lan for m in la.members if m.node == node)
        h = self.nodes[node]
        if h.control and h.exit_status is None:
            query(h.control, "iface_up" if up else "iface_down", interface=member.iface)

    def _start_routesim(self) -> None:
        routers = [n for n in self.topo.routers if n.kind is NodeKind.ROUTESIM]
        if not routers:
            return
        assert self.state is not None
        self.zygote = Zygote(self._router_exited, self.state_dir / "zygote.log", keep=self.keep)
        self.state.register_pid(self.zygote.proc.pid, "zygote")
        jobs = []
        for node in routers:
            ndir = self.state_dir / "nodes" / node.name
            ndir.mkdir(parents=True, exist_ok=True)
            cfg = router_config(node, self.topo, self.state_dir, seed=self.seed, mode=self.mode)
            cfg.save(ndir / "router.json")
            h = self.nodes[node.name]
            h.control, h.log = cfg.control, str(ndir / "router.log")
            jobs.append((node.name, h.netns, ndir / "router.json", ndir / "router.log"))
        # Spawn requests in flight together (the zygote forks back to back instead of waiting for
        # one round trip per router); every pid is registered here, in order, by this thread. The
        # routers wait at the zygote's start gate until all are forked, then start together.
        from concurrent.futures import ThreadPoolExecutor

        error: BaseException | None = None
        with ThreadPoolExecutor(max_workers=min(16, len(jobs)), thread_name_prefix="spawn") as pool:
            futures = [pool.submit(self.zygote.spawn, *job, hold=True) for job in jobs]
            for job, fut in zip(jobs, futures, strict=True):
                try:
                    pid = fut.result()
                except Exception as e:
                    error = error or e
                    continue
                self.nodes[job[0]].pid = pid
                self.state.register_pid(pid, "router", node=job[0], save=False)
        self.state.save()
        try:
            self.zygote.release()  # after a failed spawn too: the others must not wait forever
        except Exception as e:
            error = error or e
        if error is not None:
            raise error
        self.progress(f"started {len(routers)} routesim routers")

    def _start_external(self) -> None:
        from routesim.lab.external import external_router

        assert self.state is not None
        for node in self.topo.routers:
            if node.kind is NodeKind.ROUTESIM:
                continue
            h = self.nodes[node.name]
            ext = external_router(node)
            ndir = self.state_dir / "nodes" / node.name
            ndir.mkdir(parents=True, exist_ok=True)
            ext.write_config(ndir, self.topo)
            ext.check_config()
            pids = ext.start(h.netns)
            h.external = ext
            h.pids = list(pids)
            for pid in pids:
                self.state.register_pid(pid, str(node.kind), node=node.name)
            self.progress(f"started {node.kind} on {node.name}")

    def _router_exited(self, node: str, pid: int, status: int) -> None:
        h = self.nodes.get(node)
        if h is not None:
            h.exit_status = status
        if not self._stopping and node not in self.expected_down:
            self.dead.append((node, status))

    def check_alive(self) -> None:
        if self.dead:
            node, status = self.dead[0]
            log = self.nodes[node].log
            tail = ""
            if log and os.path.exists(log):
                tail = "\n".join(Path(log).read_text(errors="replace").splitlines()[-8:])
            raise RouterDied(f"router {node} exited with status {status} (log {log}):\n{tail}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = {h.name for h in self.nodes.values() if h.kind is NodeKind.ROUTESIM}
        stop = threading.Event()

        def poll(name: str) -> bool:
            while True:  # asked at least once, as before the deadline
                try:
                    if query(self.nodes[name].control, "status", timeout=1.0).get("ready"):
                        return True
                except (OSError, ValueError, RuntimeError):
                    pass
                if stop.wait(0.02) or self.dead or time.monotonic() > deadline:
                    return False

        # One poller per router (a router slow to answer delays no other); this thread watches.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(
            max_workers=max(1, min(32, len(pending))), thread_name_prefix="ready"
        ) as pool:
            futures = {name: pool.submit(poll, name) for name in sorted(pending)}
            try:
                while pending:
                    self.check_alive()
                    for name in [n for n in pending if futures[n].done()]:
                        if futures[name].result():
                            pending.discard(name)
                    if pending and time.monotonic() > deadline:
                        raise LabError(
                            f"routers not ready after {timeout:.0f} s: {', '.join(sorted(pending))}"
                        )
                    if pending:
                        time.sleep(0.02)
            finally:
                stop.set()
        for h in self.nodes.values():
            if h.external is not None:
                h.external.wait_ready(max(1.0, deadline - time.monotonic()))

    # --- inspection ------------------------------------------------------------------------

    def inspect(self, node: str, what: str, **args: Any) -> Any:
        h = self.nodes[node]
        if h.kind is NodeKind.ROUTESIM:
            try:
                return query(h.control, what, **args)
            except TimeoutError:
                raise LabError(f"router {node} did not answer {what!r} within 5 s (log: {h.log})") from None
        if h.external is not None:
            return h.external.inspect(what)
        if what == "routes":
            from routesim.lab.kernel import read_fib

            return {"rib": [], "fib": read_fib(h.netns)}
        if what == "interfaces":
            from routesim.lab.kernel import read_interfaces

            return read_interfaces(h.netns)
        raise KeyError(what)

    # --- run-time changes (events) ----------------------------------------------------------

    def crash(self, node: str) -> None:
        """SIGKILL a router: no goodbye, its kernel routes stay, neighbours notice by their timers."""
        h = self.nodes[node]
        if not h.kind.is_router:
            raise KeyError(f"{node} is not a router")
        self.expected_down.add(node)
        pids = [h.pid] if h.pid else list(h.pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if h.kind is not NodeKind.ROUTESIM or self.zygote is None:
            deadline = time.monotonic() + 5
            while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
                time.sleep(0.01)

    def stop_node(self, node: str) -> None:
        """Stop a router gracefully (its protocols say goodbye where they can)."""
        h = self.nodes[node]
        self.expected_down.add(node)
        if h.kind is NodeKind.ROUTESIM:
            try:
                query(h.control, "stop", timeout=2.0)
            except (OSError, ValueError, RuntimeError):
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if h.exit_status is not None or (self.zygote is None and h.pid and not pid_alive(h.pid)):
                    break
                time.sleep(0.02)
        elif h.external is not None:
            h.external.stop()

    def start_node(self, node: str) -> None:
        """Start a stopped or crashed router again with the same configuration."""
        h = self.nodes[node]
        assert self.state is not None
        ndir = self.state_dir / "nodes" / node
        if h.kind is NodeKind.ROUTESIM:
            assert h.log is not None
            h.exit_status = None
            if self.zygote is not None:
                h.pid = self.zygote.spawn(node, h.netns, ndir / "router.json", Path(h.log))
            else:  # a kept lab, attached by `routesim event`: a detached router process
                with open(h.log, "ab") as log:
                    argv = [sys.executable, "-m", "routesim.router", str(ndir / "router.json")]
                    if h.netns:
                        argv = nsx.netns_argv(h.netns, argv)
                    proc = subprocess.Popen(
                        argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
                    )
                h.pid = proc.pid
            self.state.register_pid(h.pid, "router", node=node)
            deadline = time.monotonic() + 15
            while True:
                try:
                    if query(h.control, "status", timeout=1.0).get("ready"):
                        break
                except (OSError, ValueError, RuntimeError):
                    pass
                if time.monotonic() > deadline:
                    raise LabError(f"{node} did not come back within 15 s")
                time.sleep(0.02)
        elif h.external is not None:
            h.pids = list(h.external.start(h.netns))
            for pid in h.pids:
                self.state.register_pid(pid, str(h.kind), node=node)
            h.external.wait_ready(15)
        self.expected_down.discard(node)

    def set_cost(self, node: str, iface: str, cost: int) -> None:
        """Change the cost of ``node``'s ``iface`` (RIP metric, OSPF output cost) at run time."""
        h = self.nodes[node]
        if h.kind is NodeKind.ROUTESIM:
            if h.exit_status is None and node not in self.expected_down:
                query(h.control, "set_cost", interface=iface, cost=cost)
            return
        if h.kind.is_router:
            raise KeyError(f"link_cost on a {h.kind} node is not supported yet")

    def bgp_command(self, node: str, command: str, **args: Any) -> Any:
        """bgp_reset / bgp_announce / bgp_withdraw on a routesim router."""
        h = self.nodes[node]
        if h.kind is not NodeKind.ROUTESIM:
            raise KeyError(f"{command} on a {h.kind} node is not supported")
        return query(h.control, command, **args)

    def static_change(self, node: str, action: str, prefix, route) -> None:
        h = self.nodes[node]
        if h.kind is not NodeKind.ROUTESIM:
            raise KeyError(f"{action} on a {h.kind} node is not supported yet")
        args: dict[str, Any] = {"prefix": str(prefix)}
        if route is not None:
            args.update(
                next_hop=str(route.next_hop) if route.next_hop else None,
                interface=route.interface,
                distance=route.distance,
                metric=route.metric,
                blackhole=route.blackhole,
            )
        query(h.control, action, **args)

    def exec(self, node: str, argv: list[str], timeout: float | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            nsx.netns_argv(self.names.netns(node), argv), capture_output=True, text=True, timeout=timeout
        )

    def detach(self) -> None:
        """Leave the lab running after this process exits (``run --keep``)."""
        self._stopping = True
        if self.zygote is not None:
            self.zygote.detach()
        if self.state is not None:
            self.state.update(kept=True)
            self.state.release()

    # --- teardown --------------------------------------------------------------------------

    def down(self) -> TeardownReport:
        self._stopping = True
        self.set_phase("tearing down")
        for h in self.nodes.values():
            if h.external is not None:
                try:
                    h.external.stop()
                except Exception as e:  # teardown below kills whatever is left
                    self.progress(f"{h.name}: stop failed: {e}")
        # routers stop gracefully (they flush their FIB) when asked over the control socket
        for h in self.nodes.values():
            if h.control and h.exit_status is None:
                try:
                    query(h.control, "stop", timeout=0.5)
                except (OSError, ValueError, RuntimeError):
                    pass
        if self.zygote is not None:
            self.zygote.close()
        if self.captures is not None:
            self.captures.stop()
        if self.plumbing is not None:
            try:
                self.plumbing.stop_emulator()
                self.plumbing.close()
            except Exception:
                pass
        if self.state is not None:
            self.state.release()
        return teardown(self.names.lab, self.names)
