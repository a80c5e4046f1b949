"""Building, inspecting and tearing down a namespace lab (root needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from labtopo import TopoBuilder, small_topology
from labutil import ping

from routesim.lab import netns as nsx
from routesim.lab.kernel import RTPROT_ROUTESIM, read_fib, read_interfaces
from routesim.lab.names import LabNames, list_all_netns
from routesim.lab.plumbing import PlumbingError, build_lab_network, kernel_has_netem
from routesim.lab.state import lab_status, pid_alive
from routesim.lab.teardown import leftovers, teardown
from routesim.topology.model import IfaceKind, Impairment

pytestmark = pytest.mark.netns
HERE = Path(__file__).parent


def test_small_lab_pings_across_every_link_and_lan(lab_name: str) -> None:
    names = LabNames(lab_name)
    topo = small_topology(lab_name)
    p = build_lab_network(topo, names)
    try:
        assert set(names.list_netns()) == {names.netns(n.name) for n in topo.nodes} | {names.switch_netns}
        assert p.emulator_kind == "none"
        # every p2p link, both directions
        for link in topo.links:
            for a, b in ((link.a, link.b), (link.b, link.a)):
                r = ping(names.netns(a.node), str(b.address.ip))
                assert r["rc"] == 0, f"{a.node} -> {b.node} over {link.id}: {r['out']}"
        # every LAN member reaches every other member through the bridge
        for lan in topo.lans:
            for a in lan.members:
                for b in lan.members:
                    if a is not b:
                        assert ping(names.netns(a.node), str(b.address.ip))["rc"] == 0
        # the host reaches its gateway's loopback through its default route
        assert ping(names.netns("h1"), "10.255.0.1")["rc"] == 0
        # a router's stub has carrier and its address
        stub = {i["name"]: i for i in read_interfaces(names.netns("r3"))}["stub0"]
        assert stub["carrier"] and stub["state"] == "up" and stub["addresses"] == ["192.0.2.1/24"]
    finally:
        p.close()


def test_router_sysctls_and_interfaces(lab_name: str) -> None:
    names = LabNames(lab_name)
    topo = small_topology(lab_name)
    p = build_lab_network(topo, names)
    try:
        for node in topo.routers:
            ns = names.netns(node.name)
            assert nsx.read_sysctl(ns, "net/ipv4/ip_forward") == "1"
            assert nsx.read_sysctl(ns, "net/ipv4/icmp_ratelimit") == "0"
            for iface in node.interfaces:
                assert nsx.read_sysctl(ns, f"net/ipv4/conf/{iface.name}/rp_filter") == "0"
                assert nsx.read_sysctl(ns, f"net/ipv4/conf/{iface.name}/ignore_routes_with_linkdown") == "1"
            ifs = {i["name"]: i for i in read_interfaces(ns)}
            assert ifs["lo"]["state"] == "up" and f"{node.loopback}" in ifs["lo"]["addresses"]
            for iface in node.interfaces:
                assert ifs[iface.name]["addresses"] == [str(iface.address)]
                assert ifs[iface.name]["carrier"], iface
                assert p.iface_index(node.name, iface.name) == ifs[iface.name]["index"]
        assert nsx.read_sysctl(names.netns("h1"), "net/ipv4/ip_forward") == "0"
        # the switch namespace holds one bridge with one port per LAN member, STP off
        sw = {i["name"]: i for i in read_interfaces(names.switch_netns)}
        assert {"br0", "br0p0", "br0p1", "br0p2"} <= set(sw)
        ipr = p.ipr(names.switch_netns)
        (br,) = ipr.get_links(ifname="br0")
        info = dict(br.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA")["attrs"])
        assert info["IFLA_BR_STP_STATE"] == 0 and info["IFLA_BR_MCAST_SNOOPING"] == 0
        assert info["IFLA_BR_FORWARD_DELAY"] == 0
        # nothing of the lab leaked into the host namespace
        host_ifs = {i["name"] for i in read_interfaces(None)}
        assert not host_ifs & {"r1", "r2", "r3", "h1", "lan1", "br0", "br0p0", "stub0"}
    finally:
        p.close()


def test_read_fib_shows_connected_static_and_ecmp_routes(lab_name: str) -> None:
    names = LabNames(lab_name)
    p = build_lab_network(small_topology(lab_name), names)
    try:
        ipr = p.ipr(names.netns("r1"))
        ipr.route(
            "add",
            dst="198.51.100.0/24",
            multipath=[{"gateway": "10.0.0.2"}, {"gateway": "172.16.0.3"}],
            proto=RTPROT_ROUTESIM,
            priority=20,
        )
        fib = {r["prefix"]: r for r in read_fib(names.netns("r1"))}
        assert fib["10.0.0.0/30"] == {
            "prefix": "10.0.0.0/30",
            "protocol": "kernel",
            "metric": 0,
            "next_hops": [{"gateway": None, "interface": "r2"}],
        }
        ecmp = fib["198.51.100.0/24"]
        assert ecmp["protocol"] == "routesim" and ecmp["metric"] == 20
        assert sorted(ecmp["next_hops"], key=lambda h: h["gateway"]) == [
            {"gateway": "10.0.0.2", "interface": "r2"},
            {"gateway": "172.16.0.3", "interface": "lan1"},
        ]
        host = read_fib(names.netns("h1"))
        assert host[0]["prefix"] == "0.0.0.0/0" and host[0]["next_hops"][0]["gateway"] == "10.0.1.2"
    finally:
        p.close()


def test_direct_link_down_gives_no_carrier_and_up_restores(lab_name: str) -> None:
    from labutil import wait_carrier

    names = LabNames(lab_name)
    p = build_lab_network(small_topology(lab_name), names)
    try:
        # the carrier follows at once (no timer involved); the bounds only keep a failure short,
        # they are not a speed check (a busy machine took 0.12 s to answer the first poll)
        p.set_link_state("l0", False)
        wait_carrier(names.netns("r2"), "r1", False, timeout=2.0)
        p.set_link_state("l0", True)
        wait_carrier(names.netns("r2"), "r1", True, timeout=2.0)
        p.set_lan_member_state("lan1", "r3", False)
        wait_carrier(names.netns("r3"), "lan1", False, timeout=2.0)
        p.set_lan_member_state("lan1", "r3", True)
        wait_carrier(names.netns("r3"), "lan1", True, timeout=2.0)
        # a link built without impairment cannot be impaired later without netem
        if not kernel_has_netem():
            with pytest.raises(PlumbingError, match="without emulation"):
                p.set_impairment("l0", Impairment(delay=0.01))
    finally:
        p.close()


def test_teardown_leaves_nothing(lab_name: str) -> None:
    names = LabNames(lab_name)
    topo = small_topology(lab_name)
    p = build_lab_network(topo, names)
    sleeper = nsx.popen_in_netns(names.netns("r1"), ["sleep", "60"])
    # `ip netns exec` enters the namespace after the fork: wait until the sleeper is inside it,
    # or teardown (which finds unregistered processes through the namespace) cannot see it yet
    deadline = time.monotonic() + 5
    while sleeper.pid not in nsx.netns_pids(names.netns("r1")) and time.monotonic() < deadline:
        time.sleep(0.01)
    p.close()
    report = teardown(lab_name)
    sleeper.wait(2)
    assert sleeper.pid in [pid for pid, _ in report.killed]
    assert len(report.netns_removed) == len(topo.nodes) + 1
    assert report.netns_removed[-1] == names.switch_netns
    assert leftovers(lab_name) == []
    assert not [n for n in list_all_netns() if n.startswith(names.prefix + "-")]
    assert teardown(lab_name).empty  # idempotent


def test_kill_9_of_the_builder_then_teardown_leaves_nothing(lab_name: str) -> None:
    script = textwrap.dedent(
        f"""
        import subprocess, sys, time
        sys.path.insert(0, {str(HERE)!r})
        from labtopo import small_topology
        from routesim.lab import netns as nsx
        from routesim.lab.names import LabNames
        from routesim.lab.plumbing import PlumbingError, build_lab_network, kernel_has_netem
        from routesim.lab.state import LabState
        from routesim.topology.model import Impairment
        import dataclasses
        names = LabNames({lab_name!r})
        topo = small_topology(names.lab)
        link = dataclasses.replace(topo.links[0], impairment=Impairment(delay=0.001))
        topo = dataclasses.replace(topo, links=(link, *topo.links[1:]), _index={{}})
        st = LabState.create(names, topology_path="<test>")
        p = build_lab_network(topo, names, emulation="userspace")
        emu = p.start_emulator(st.dir)
        st.register_pid(emu.pid, "linkemu")
        r = nsx.popen_in_netns(names.netns("r1"), ["sleep", "300"])
        st.register_pid(r.pid, "router", node="r1")
        h = subprocess.Popen(["sleep", "300"])  # in the host namespace: found only through lab.json
        st.register_pid(h.pid, "helper")
        print(h.pid, flush=True)
        time.sleep(300)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(HERE.parents[1]))
    builder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = builder.stdout.readline() if builder.stdout else ""
        assert line.strip().isdigit(), "builder did not start"
        host_helper = int(line)
        names = LabNames(lab_name)
        assert lab_status(names) == "live"
        builder.send_signal(signal.SIGKILL)
        builder.wait(5)
        assert lab_status(names) == "stale"
        left = leftovers(lab_name)
        assert any(x.startswith("netns:") for x in left) and any("linkemu" in x for x in left)
        report = teardown(lab_name)
        assert {"linkemu", "router", "helper"} <= {role for _pid, role in report.killed}
        assert leftovers(lab_name) == []
        assert not pid_alive(host_helper)
        assert lab_status(names) == "absent"
    finally:
        if builder.poll() is None:
            builder.kill()


def _big_topology(lab: str, routers: int = 50, links: int = 60) -> TopoBuilder:
    b = TopoBuilder(lab)
    for i in range(routers):
        b.router(f"r{i}", f"10.255.{i // 250}.{i % 250 + 1}")
    pairs = [(i, (i + 1) % routers) for i in range(routers)]
    pairs += [(i, (i + routers // 2) % routers) for i in range(links - routers)]
    for k, (i, j) in enumerate(pairs):
        b.link(f"r{i}", f"r{j}", f"10.{k // 64}.{(k % 64) * 4 // 256}.{(k % 64) * 4 % 256}/30")
    return b


def test_fifty_routers_sixty_links_build_fast(lab_name: str) -> None:
    names = LabNames(lab_name)
    topo = _big_topology(lab_name).build()
    assert len(topo.links) == 60 and len(topo.nodes) == 50
    p = build_lab_network(topo, names)
    try:
        print(f"built 50 routers / 60 links in {p.build_seconds:.3f} s")
        assert p.build_seconds < 2.5
        link = topo.links[-1]
        assert ping(names.netns(link.a.node), str(link.b.address.ip))["rc"] == 0
    finally:
        p.close()
    report = teardown(lab_name)
    assert len(report.netns_removed) == 51 and leftovers(lab_name) == []


def test_stub_interfaces_keep_their_model_names(lab_name: str) -> None:
    topo = TopoBuilder(lab_name).router("r1", "10.255.0.1").stub("r1", "192.0.2.0/24").build()
    assert [i.kind for i in topo.node("r1").interfaces] == [IfaceKind.STUB]
    names = LabNames(lab_name)
    p = build_lab_network(topo, names)
    try:
        ifs = {i["name"]: i for i in read_interfaces(names.netns("r1"))}
        assert ifs["stub0-p"]["addresses"] == [] and ifs["stub0-p"]["state"] == "up"
        assert any(r["prefix"] == "192.0.2.0/24" for r in read_fib(names.netns("r1")))
    finally:
        p.close()
