"""Build a lab's network from a resolved topology: namespaces, veths, bridges, impaired links.

Layout (``N`` = :class:`~routesim.lab.names.LabNames`):

* one namespace ``N.netns(node)`` per node, ``lo`` up with the loopback /32 on it;
* a point-to-point link is a veth pair created *directly* between the two node namespaces
  (the first end is created by a netlink socket living in node A's namespace, the peer is placed
  into node B's namespace in the same request), so no interface ever appears in the host
  namespace;
* a LAN is a bridge ``br<i>`` in the switch namespace ``N.switch_netns`` (STP off, forward delay 0,
  multicast snooping off so that OSPF/RIP multicast floods), one veth per member
  (``br<i>p<j>`` on the bridge side, the LAN name on the node side);
* a stub network is a veth pair with both ends in the node (``stubN`` addressed, ``stubN-p`` up
  and unaddressed, so the stub has carrier);
* an impaired link (``link.impairment.active``) either gets netem qdiscs on both ends of its direct
  veth, when the kernel has netem, or goes through the userspace emulator
  (:mod:`routesim.lab.linkemu`): ``A:iface <-> l<k>a`` and ``l<k>b <-> B:iface``, the two ``l<k>*``
  ports being in the switch namespace where the emulator relays between them.

All netlink work goes through one pyroute2 socket per namespace, opened by a setns round trip
(:func:`routesim.lab.netns.iproute`); sysctls are written through ``/proc/sys`` from inside the
namespace. No subprocess is spawned unless netem is used.

IPv6 is disabled in every lab namespace (routesim is IPv4-only; this keeps captures free of ND/MLD
noise and the switch ports silent).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routesim.lab import netns as nsx
from routesim.lab.names import LabNames
from routesim.topology.model import IfaceKind, Impairment, Link, Topology

IFNAMSIZ = 15

_COMMON_SYSCTLS: dict[str, str | int] = {
    "net/ipv6/conf/all/disable_ipv6": 1,
    "net/ipv6/conf/default/disable_ipv6": 1,
}
#: Set before any interface exists, so ``default`` values reach every interface.
_ROUTER_SYSCTLS: dict[str, str | int] = {
    "net/ipv4/ip_forward": 1,
    "net/ipv4/conf/all/rp_filter": 0,
    "net/ipv4/conf/default/rp_filter": 0,
    "net/ipv4/icmp_ratelimit": 0,
    "net/ipv4/conf/all/ignore_routes_with_linkdown": 1,
    "net/ipv4/conf/default/ignore_routes_with_linkdown": 1,
}
_HOST_SYSCTLS: dict[str, str | int] = {
    "net/ipv4/ip_forward": 0,
    "net/ipv4/conf/all/rp_filter": 0,
    "net/ipv4/conf/default/rp_filter": 0,
    "net/ipv4/icmp_ratelimit": 0,
}


class PlumbingError(RuntimeError):
    pass


@dataclass
class EmulatedLink:
    """A link relayed by the userspace emulator between two switch-namespace ports."""

    link_id: str
    port_a: str  # switch-ns port whose veth peer is endpoint a's interface
    port_b: str
    impairment: Impairment

    def spec(self) -> dict[str, Any]:
        return {"id": self.link_id, "a": self.port_a, "b": self.port_b, **impairment_dict(self.impairment)}


def impairment_dict(imp: Impairment) -> dict[str, Any]:
    return {"delay": imp.delay, "jitter": imp.jitter, "loss": imp.loss, "rate": imp.rate}


@functools.cache
def kernel_has_netem() -> bool:
    """Probe once per process: try a netem qdisc on a throwaway veth in a throwaway namespace."""
    if os.environ.get("ROUTESIM_LINKEMU") == "userspace":
        return False
    name = f"rs-probe{uuid.uuid4().hex[:8]}-x"
    try:
        nsx.create_netns(name)
    except OSError:
        return False
    try:
        ipr = nsx.iproute(name)
        try:
            ipr.link("add", ifname="p0", kind="veth", peer={"ifname": "p1"})
            idx = ipr.link_lookup(ifname="p0")[0]
            ipr.tc("add", "netem", index=idx, handle="1:0", delay=1000)
            return True
        except Exception:
            return False
        finally:
            ipr.close()
    finally:
        nsx.delete_netns(name)


@dataclass
class Plumbing:
    """The built network of one lab, with run-time controls for links and impairments."""

    topo: Topology
    names: LabNames
    emulator_kind: str = "none"
    emulated: dict[str, EmulatedLink] = field(default_factory=dict)
    lan_ports: dict[tuple[str, str], str] = field(default_factory=dict)  # (lan, node) -> switch port
    bridges: dict[str, str] = field(default_factory=dict)  # lan -> bridge name
    build_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    _ipr: dict[str, Any] = field(default_factory=dict, repr=False)
    _index: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _links: dict[str, Link] = field(default_factory=dict, repr=False)
    emulator_control: Path | None = None
    emulator_proc: subprocess.Popen[Any] | None = None

    # -- lookups -------------------------------------------------------------------------------
    def ipr(self, netns: str) -> Any:
        if netns not in self._ipr:
            self._ipr[netns] = nsx.iproute(netns)
        return self._ipr[netns]

    def iface_index(self, node: str, iface: str) -> int:
        key = (node, iface)
        if key not in self._index:
            ns = self.names.switch_netns if node == "sw" else self.names.netns(node)
            found = self.ipr(ns).link_lookup(ifname=iface)
            if not found:
                raise KeyError(f"{node}:{iface}")
            self._index[key] = found[0]
        return self._index[key]

    def node_netns(self, node: str) -> str:
        return self.names.netns(node)

    # -- run-time controls ----------------------------------------------------------------------
    def _set_state(self, netns: str, ifname: str, up: bool) -> None:
        ipr = self.ipr(netns)
        idx = ipr.link_lookup(ifname=ifname)
        if not idx:
            raise KeyError(f"{netns}:{ifname}")
        ipr.link("set", index=idx[0], state="up" if up else "down")

    def set_link_state(self, link_id: str, up: bool) -> None:
        """Fail or restore a point-to-point link so that both routers see (NO-)CARRIER.

        A direct veth: both ends admin down/up. An emulated link: its two switch-namespace ports
        down/up (the routers' interfaces stay admin up and lose carrier).
        """
        link = self._links[link_id]
        if link_id in self.emulated:
            em = self.emulated[link_id]
            for port in (em.port_a, em.port_b):
                self._set_state(self.names.switch_netns, port, up)
            return
        for ep in (link.a, link.b):
            self._set_state(self.names.netns(ep.node), ep.iface, up)

    def set_lan_member_state(self, lan: str, node: str, up: bool) -> None:
        """Unplug/replug one LAN member: its bridge port goes down, the member sees NO-CARRIER."""
        self._set_state(self.names.switch_netns, self.lan_ports[(lan, node)], up)

    def set_impairment(self, link_id: str, imp: Impairment, *, from_node: str | None = None) -> None:
        """Change a link's impairment at run time: both directions, or only what ``from_node`` sends."""
        link = self._links[link_id]
        direction = "both"
        if from_node is not None:
            direction = "a>b" if from_node == link.a.node else "b>a"
        if link_id in self.emulated:
            if direction == "both":
                self.emulated[link_id].impairment = imp
            if self.emulator_control is not None:
                emulator_request(
                    self.emulator_control,
                    {"cmd": "set", "link": link_id, "direction": direction, **impairment_dict(imp)},
                )
            return
        if direction != "both":
            raise PlumbingError(f"link {link_id}: one-direction impairments need the userspace emulator")
        if self.emulator_kind == "netem" or kernel_has_netem():
            for ep in (link.a, link.b):
                _apply_netem(self.names.netns(ep.node), ep.iface, imp)
            return
        raise PlumbingError(
            f"link {link_id} was built without emulation (no impairment at start, no netem in this kernel): "
            "declare a (possibly tiny) impairment in the topology to change it at run time"
        )

    def link_stats(self) -> dict[str, Any]:
        """Per-direction counters of emulated links (empty without the userspace emulator)."""
        if self.emulator_control is None:
            return {}
        return emulator_request(self.emulator_control, {"cmd": "stats"}).get("links", {})

    # -- userspace emulator ---------------------------------------------------------------------
    def emulator_spec(self) -> dict[str, Any]:
        return {"lab": self.names.lab, "links": [em.spec() for em in self.emulated.values()]}

    def start_emulator(
        self, state_dir: Path, *, python: str = sys.executable, log: Path | None = None, timeout: float = 10.0
    ) -> subprocess.Popen[Any] | None:
        """Start the userspace emulator in the switch namespace (None when nothing needs it).

        Writes ``linkemu.json`` and waits until ``linkemu.sock`` answers. The caller registers
        the returned process' pid in the lab state.
        """
        if not self.emulated:
            return None
        state_dir.mkdir(parents=True, exist_ok=True)
        spec = state_dir / "linkemu.json"
        control = state_dir / "linkemu.sock"
        spec.write_text(json.dumps(self.emulator_spec(), indent=1))
        with contextlib.suppress(FileNotFoundError):
            control.unlink()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        argv = [python, "-m", "routesim.lab.linkemu", "--control", str(control), "--spec", str(spec)]
        proc = nsx.popen_in_netns(
            self.names.switch_netns, argv, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL
        )
        if log:
            out.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise PlumbingError(f"link emulator exited with status {proc.returncode} (log: {log})")
            try:
                emulator_request(control, {"cmd": "ping"}, timeout=0.5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise PlumbingError("link emulator did not answer on its control socket") from None
                time.sleep(0.02)
        self.emulator_control = control
        self.emulator_proc = proc
        return proc

    def stop_emulator(self) -> None:
        proc, self.emulator_proc = self.emulator_proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.emulator_control = None

    @classmethod
    def attach(cls, topo: Topology, names: LabNames, emulator_kind: str = "none") -> Plumbing:
        """The run-time controls of a lab built by another process (``routesim event`` on a kept lab)."""
        p = cls(topo=topo, names=names, emulator_kind=emulator_kind)
        p._links = {link.id: link for link in topo.links}
        if emulator_kind.startswith("userspace"):
            for link in topo.links:
                if link.impairment.active:
                    p.emulated[link.id] = EmulatedLink(link.id, f"{link.id}a", f"{link.id}b", link.impairment)
            control = names.state_dir / "linkemu.sock"
            p.emulator_control = control if control.exists() else None
        for i, lan in enumerate(topo.lans):
            p.bridges[lan.name] = f"br{i}"
            for j, m in enumerate(lan.members):
                p.lan_ports[(lan.name, m.node)] = f"br{i}p{j}"
        return p

    def close(self) -> None:
        """Close netlink sockets (a socket keeps its namespace alive after deletion)."""
        for ipr in self._ipr.values():
            with contextlib.suppress(Exception):
                ipr.close()
        self._ipr.clear()


def emulator_request(control: Path, req: dict[str, Any], *, timeout: float = 2.0) -> dict[str, Any]:
    """One JSON-line request/response on the emulator's control socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(control))
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    resp = json.loads(buf or b"{}")
    if not resp.get("ok"):
        raise PlumbingError(f"link emulator refused {req}: {resp.get('error')}")
    return resp


def _apply_netem(netns: str, iface: str, imp: Impairment) -> None:
    argv = ["tc", "qdisc", "replace", "dev", iface, "root", "netem", "limit", "10000"]
    if imp.delay or imp.jitter:
        argv += ["delay", f"{imp.delay * 1e6:.0f}us"]
        if imp.jitter:
            argv += [f"{imp.jitter * 1e6:.0f}us"]
    if imp.loss:
        argv += ["loss", f"{imp.loss * 100:.4f}%"]
    if imp.rate:
        argv += ["rate", f"{imp.rate}bit"]
    nsx.run_in_netns(netns, argv, check=True)


def _stub_peer_name(name: str, k: int) -> str:
    return name + "-p" if len(name) + 2 <= IFNAMSIZ else f"stubp{k}"


def build_lab_network(topo: Topology, names: LabNames, *, emulation: str = "auto") -> Plumbing:
    """Create every namespace, interface, address and sysctl of ``topo``.

    ``emulation``: ``auto`` (netem when the kernel has it, else userspace), ``netem`` or
    ``userspace``. On failure everything built so far stays (``teardown`` removes it).
    The userspace emulator is started separately (:meth:`Plumbing.start_emulator`).
    """
    t0 = time.perf_counter()
    p = Plumbing(topo=topo, names=names)
    p._links = {link.id: link for link in topo.links}
    impaired = [link for link in topo.links if link.impairment.active]
    use_netem = False
    if impaired:
        if emulation == "netem" or (emulation == "auto" and kernel_has_netem()):
            use_netem = True
            p.emulator_kind = "netem"
        else:
            p.emulator_kind = "userspace-afpacket"
    for lan in topo.lans:
        if lan.impairment.active:
            p.warnings.append(f"lan {lan.name}: impairments on LANs are not emulated (ignored)")

    # 1. namespaces and their sysctls (before any interface, so 'default' reaches them all)
    sw = names.switch_netns
    nsx.create_netns(sw)
    nsx.write_sysctls(sw, _COMMON_SYSCTLS)
    for node in topo.nodes:
        ns = names.netns(node.name)
        nsx.create_netns(ns)
        nsx.write_sysctls(ns, {**_COMMON_SYSCTLS, **(_ROUTER_SYSCTLS if node.is_router else _HOST_SYSCTLS)})

    fds: dict[str, int] = {}

    def nsfd(ns: str) -> int:
        if ns not in fds:
            fds[ns] = os.open(nsx.netns_path(ns), os.O_RDONLY | os.O_CLOEXEC)
        return fds[ns]

    up: dict[str, list[str]] = {}  # netns -> interfaces to bring up
    addrs: dict[str, list[tuple[str, str, int]]] = {}  # netns -> (iface, address, prefixlen)
    mtus: dict[tuple[str, str], int] = {}

    def veth(ns_a: str, name_a: str, ns_b: str, name_b: str, mtu: int) -> None:
        peer: dict[str, Any] = {"ifname": name_b}
        if ns_b != ns_a:
            peer["net_ns_fd"] = nsfd(ns_b)
        try:
            p.ipr(ns_a).link("add", ifname=name_a, kind="veth", peer=peer)
        except Exception as e:
            raise PlumbingError(f"veth {ns_a}:{name_a} <-> {ns_b}:{name_b}: {e}") from e
        up.setdefault(ns_a, []).append(name_a)
        up.setdefault(ns_b, []).append(name_b)
        if mtu != 1500:
            mtus[(ns_a, name_a)] = mtus[(ns_b, name_b)] = mtu

    try:
        # 2. point-to-point links
        for link in topo.links:
            na, nb = names.netns(link.a.node), names.netns(link.b.node)
            mtu = topo.node(link.a.node).iface(link.a.iface).mtu
            if link.impairment.active and not use_netem:
                em = EmulatedLink(link.id, f"{link.id}a", f"{link.id}b", link.impairment)
                if len(em.port_a) > IFNAMSIZ:
                    raise PlumbingError(f"link id {link.id!r} too long for a switch port name")
                veth(na, link.a.iface, sw, em.port_a, mtu)
                veth(nb, link.b.iface, sw, em.port_b, mtu)
                p.emulated[link.id] = em
            else:
                veth(na, link.a.iface, nb, link.b.iface, mtu)
        # 3. LANs: a bridge per LAN in the switch namespace
        ipr_sw = p.ipr(sw)
        for i, lan in enumerate(topo.lans):
            br = f"br{i}"
            ipr_sw.link(
                "add",
                ifname=br,
                kind="bridge",
                br_forward_delay=0,
                br_stp_state=0,
                br_mcast_snooping=0,
            )
            p.bridges[lan.name] = br
            up.setdefault(sw, []).append(br)
            for j, m in enumerate(lan.members):
                port = f"br{i}p{j}"
                mtu = topo.node(m.node).iface(m.iface).mtu
                veth(names.netns(m.node), m.iface, sw, port, mtu)
                p.lan_ports[(lan.name, m.node)] = port
        # 4. stubs, loopbacks and every address
        for node in topo.nodes:
            ns = names.netns(node.name)
            k = 0
            for iface in node.interfaces:
                if iface.kind is IfaceKind.STUB:
                    veth(ns, iface.name, ns, _stub_peer_name(iface.name, k), iface.mtu)
                    k += 1
                addrs.setdefault(ns, []).append(
                    (iface.name, str(iface.address.ip), iface.address.network.prefixlen)
                )
            if node.loopback is not None:
                addrs.setdefault(ns, []).append(
                    ("lo", str(node.loopback.ip), node.loopback.network.prefixlen)
                )
        # 5. per namespace: one dump for the indexes, then addresses, MTU, state
        for ns in [sw, *(names.netns(n.name) for n in topo.nodes)]:
            ipr = p.ipr(ns)
            index = {link.get("ifname"): link["index"] for link in ipr.get_links()}
            node_name = "sw" if ns == sw else names.node_of(ns)
            assert node_name is not None
            for ifname, idx in index.items():
                p._index[(node_name, ifname)] = idx
            for ifname, ip, plen in addrs.get(ns, []):
                ipr.addr("add", index=index[ifname], address=ip, prefixlen=plen)
            for (mns, ifname), mtu in mtus.items():
                if mns == ns:
                    ipr.link("set", index=index[ifname], mtu=mtu)
            for ifname in ["lo", *up.get(ns, [])]:
                ipr.link("set", index=index[ifname], state="up")
            if ns == sw:
                for (lan_name, _node), port in p.lan_ports.items():
                    br_idx = index[p.bridges[lan_name]]
                    ipr.link("set", index=index[port], master=br_idx)
        # 6. hosts: default route via the gateway
        for node in topo.hosts:
            if node.gateway is not None:
                p.ipr(names.netns(node.name)).route("add", dst="0.0.0.0/0", gateway=str(node.gateway))
        # 7. netem on impaired direct links
        if use_netem:
            for link in impaired:
                for ep in (link.a, link.b):
                    _apply_netem(names.netns(ep.node), ep.iface, link.impairment)
    finally:
        for fd in fds.values():
            os.close(fd)
    p.build_seconds = time.perf_counter() - t0
    return p
