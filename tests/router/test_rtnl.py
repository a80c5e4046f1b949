"""Plain rtnetlink dumps and the flush of our routes, against ``ip`` in a throwaway namespace."""

from __future__ import annotations

import json
import subprocess
from ipaddress import IPv4Network

import pytest
from netnsutil import in_netns, scratch_netns

pytestmark = [pytest.mark.netns]
NS = ""


def ip(*args: str) -> str:
    return subprocess.run(["ip", "-n", NS, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def netns():
    global NS
    with scratch_netns(
        "rtnl",
        "link add name a mtu 1400 type veth peer name b",
        "addr add 10.0.0.1/30 dev a",
        "addr add 192.0.2.1/24 dev a",
        "addr add 10.0.0.5/30 dev b",
        "link set dev a up",  # b stays down
        "link set dev lo up",
    ) as NS:
        yield NS


def _in_netns(fn):
    return in_netns(NS, fn)


def test_links_and_addresses_match_ip(netns):
    from routesim.router.netlink import read_links

    states = _in_netns(read_links)
    shown = {li["ifname"]: li for li in json.loads(ip("-j", "link", "show"))}
    assert set(states) == set(shown)
    for name, st in states.items():
        assert st.index == shown[name]["ifindex"] and st.mtu == shown[name]["mtu"]
        if name != "lo":
            assert st.mac == shown[name]["address"]
    assert states["a"].mtu == 1400
    assert sorted(states["a"].addresses) == ["10.0.0.1/30", "192.0.2.1/24"]
    assert states["b"].addresses == ("10.0.0.5/30",)
    assert states["lo"].addresses == ("127.0.0.1/8",) and states["lo"].up
    assert not states["b"].up  # administratively down
    assert not states["a"].up  # up, but its peer is down: no carrier (IFF_LOWER_UP)
    ip("link", "set", "dev", "b", "up")
    states = _in_netns(read_links)
    assert states["a"].up and states["b"].up


def test_flush_removes_our_routes_at_any_metric_and_nothing_else(netns):
    from routesim.router import rtnl
    from routesim.router.netlink import RTPROT_ROUTESIM, flush_routes

    ip("link", "set", "dev", "b", "up")
    batch = "".join(
        f"route add 172.16.{i}.0/24 via 10.0.0.2 proto {RTPROT_ROUTESIM} metric 20\n" for i in range(250)
    )
    subprocess.run(["ip", "-n", NS, "-batch", "-"], input=batch, text=True, check=True)  # ours
    ip("route", "add", "172.17.0.0/16", "via", "10.0.0.2", "proto", str(RTPROT_ROUTESIM), "metric", "7")
    ip("route", "add", "0.0.0.0/0", "via", "10.0.0.2", "proto", str(RTPROT_ROUTESIM), "metric", "20")
    ip("route", "add", "172.18.0.0/16", "via", "10.0.0.2", "proto", "static")  # not ours
    ip("route", "add", "172.19.0.0/16", "via", "10.0.0.2", "proto", "bird")  # not ours either
    ours = _in_netns(lambda: rtnl.routes_of(RTPROT_ROUTESIM))
    assert len(ours) == 252
    assert (IPv4Network("172.17.0.0/16"), 7) in ours and (IPv4Network("0.0.0.0/0"), 20) in ours
    assert _in_netns(lambda: flush_routes(lambda _name: None)) == 252
    left = {r["dst"]: r.get("protocol") for r in json.loads(ip("-j", "route", "show"))}
    assert "172.18.0.0/16" in left and "172.19.0.0/16" in left
    assert not any(p == str(RTPROT_ROUTESIM) or p == "routesim" for p in left.values())
    assert _in_netns(lambda: rtnl.routes_of(RTPROT_ROUTESIM)) == []
    assert _in_netns(lambda: flush_routes(lambda _name: None)) == 0
