"""The OSPF raw socket of one interface (``router/raw.py``), in a throwaway namespace."""

from __future__ import annotations

import select
import socket
from ipaddress import IPv4Interface

import pytest
from netnsutil import in_netns, scratch_netns, veth

pytestmark = [pytest.mark.netns]


@pytest.fixture
def netns():
    with scratch_netns("raw", "link set dev lo up", *veth("q0", "10.2.0.1/30", "q1", "10.2.0.2/30")) as name:
        yield name


def test_a_packet_queued_before_the_device_binding_is_discarded(netns, monkeypatch):
    """Between ``socket()`` and ``SO_BINDTODEVICE`` a raw socket receives protocol 89 from every
    interface; such a packet must not be read as arriving on this one (it made phantom neighbors)."""
    from routesim.router import raw

    real_socket = socket.socket

    def socket_with_a_stray_packet(*args):
        s = real_socket(*args)
        # an OSPF packet arriving through another interface (here: lo) before the binding
        with real_socket(socket.AF_INET, socket.SOCK_RAW, raw.OSPF_PROTO) as tx:
            tx.sendto(b"\x02\x01\x00\x2c" + bytes(40), ("127.0.0.1", 0))
        assert select.select([s], [], [], 2.0)[0], "the unbound socket did not get the stray packet"
        return s

    def build():
        monkeypatch.setattr(raw.socket, "socket", socket_with_a_stray_packet)
        port = raw.RawPort("q1", socket.if_nametoindex("q1"), IPv4Interface("10.2.0.2/30"), lambda *a: None)
        monkeypatch.setattr(raw.socket, "socket", real_socket)
        got = []
        try:
            port._sock.recv(65535, socket.MSG_DONTWAIT)
            got.append("read")
        except BlockingIOError:
            pass
        discarded = port.discarded
        port._sock.close()
        return discarded, got

    discarded, got = in_netns(netns, build)
    assert discarded == 1 and got == []
