"""RIP authentication: simple password (RFC 2453 §4.1) and keyed MD5 (RFC 4822)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from rip_harness import Net, decoded, make_engine

from routesim.proto.base import PacketIn
from routesim.proto.rip import RipAuth
from routesim.wire.rip import Command, Md5Auth, RipEntry, RipPacket, SimplePasswordAuth, verify_md5

N1 = IPv4Address("10.0.12.2")
DATA = Path(__file__).resolve().parents[2] / "data" / "rip"


def engine_with(auth: RipAuth | None):
    engine = make_engine("r1", [("eth0", "10.0.12.1/24"), ("eth1", "10.0.23.1/24")], auth=auth)
    return engine, engine.start(0.0)


def packet(auth=None, metric: int = 1, prefix: str = "10.9.0.0/24") -> RipPacket:
    return RipPacket(Command.RESPONSE, entries=(RipEntry.route(IPv4Network(prefix), metric),), auth=auth)


def feed(engine, data: bytes, now: float = 1.0, src: IPv4Address = N1):
    return engine.handle(PacketIn("eth0", src, data, src_port=520), now)


def learned(engine, prefix: str = "10.9.0.0/24") -> bool:
    r = engine.table.get(IPv4Network(prefix))
    return r is not None and r.metric < 16


def test_simple_password_sent_and_checked():
    engine, actions = engine_with(RipAuth("simple", "pw"))
    for _, p in decoded(actions):
        assert p.auth == SimplePasswordAuth.from_key("pw")
    feed(engine, packet(SimplePasswordAuth.from_key("wrong")).encode())
    assert not learned(engine)
    assert engine.auth_failure_reasons == {"password": 1} and engine.counters["auth_failures"] == 1
    feed(engine, packet(SimplePasswordAuth.from_key("pw")).encode())
    assert learned(engine)


def test_missing_and_unexpected_auth():
    engine, _ = engine_with(RipAuth("simple", "pw"))
    feed(engine, packet().encode())
    assert engine.auth_failure_reasons == {"missing": 1} and not learned(engine)
    plain, _ = engine_with(None)
    feed(plain, packet(SimplePasswordAuth.from_key("pw")).encode())  # RFC 2453 §4.1: discard
    assert plain.auth_failure_reasons == {"unexpected": 1} and not learned(plain)


def test_md5_ok_wrong_key_wrong_id_mode_and_replay():
    engine, actions = engine_with(RipAuth("md5", "k3y", key_id=4))
    for send, p in decoded(actions):
        assert isinstance(p.auth, Md5Auth) and p.auth.key_id == 4
        assert verify_md5(send.data, "k3y")
    feed(engine, packet(Md5Auth(4, 100)).sign("nope").encode())
    feed(engine, packet(Md5Auth(5, 100)).sign("k3y").encode())
    feed(engine, packet(SimplePasswordAuth.from_key("k3y")).encode())
    assert engine.auth_failure_reasons == {"digest": 1, "key_id": 1, "mode": 1}
    assert not learned(engine)

    feed(engine, packet(Md5Auth(4, 100)).sign("k3y").encode())
    assert learned(engine)
    feed(engine, packet(Md5Auth(4, 100), metric=2).sign("k3y").encode(), now=2.0)  # equal: non-decreasing
    assert engine.table.get(IPv4Network("10.9.0.0/24")).metric == 3
    feed(engine, packet(Md5Auth(4, 99), metric=16).sign("k3y").encode(), now=3.0)  # replayed
    assert engine.auth_failure_reasons["sequence"] == 1
    assert learned(engine)
    assert engine.neighbors[N1].auth_failures == 4


def test_md5_sequence_forgotten_after_neighbour_silence():
    engine, _ = engine_with(RipAuth("md5", "k"))
    feed(engine, packet(Md5Auth(1, 1000)).sign("k").encode(), now=1.0)
    feed(engine, packet(Md5Auth(1, 5), metric=2).sign("k").encode(), now=500.0)  # restarted peer
    assert engine.auth_failure_reasons == {}
    assert engine.table.get(IPv4Network("10.9.0.0/24")).metric == 3


def test_md5_sequence_numbers_we_send_never_decrease():
    engine, actions = engine_with(RipAuth("md5", "k"))
    seqs = [p.auth.sequence for _, p in decoded(actions)]
    feed(engine, packet(Md5Auth(1, 1)).sign("k").encode(), now=10.0)
    actions = engine.handle(
        PacketIn(
            "eth0",
            N1,
            RipPacket(Command.REQUEST, entries=(RipEntry.whole_table(),), auth=Md5Auth(1, 2))
            .sign("k")
            .encode(),
            src_port=520,
        ),
        1000.5,
    )
    seqs += [p.auth.sequence for _, p in decoded(actions)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert seqs[-1] >= 1000  # max(previous + 1, int(now))


def test_accepts_bird_md5_packet():
    """A real BIRD 2.0.12 Response (key id 7, password s3cret) is accepted and learned."""
    data = bytes.fromhex((DATA / "bird-auth-md5-2.hex").read_text().splitlines()[1])
    engine = make_engine("r2", [("eth0", "10.0.12.2/24")], auth=RipAuth("md5", "s3cret", key_id=7))
    engine.start(0.0)
    engine.handle(PacketIn("eth0", IPv4Address("10.0.12.1"), data, src_port=520), 1.0)
    assert engine.table.get(IPv4Network("10.1.1.0/24")).metric == 2
    bird_request = bytes.fromhex((DATA / "bird-auth-md5-1.hex").read_text().splitlines()[1])
    actions = engine.handle(PacketIn("eth0", IPv4Address("10.0.12.1"), bird_request, src_port=520), 2.0)
    assert decoded(actions, Command.RESPONSE)  # BIRD's sequence-0 Request is still answered


def _pair(key_a: str, key_b: str) -> Net:
    net = Net()
    net.add(make_engine("a", [("eth0", "10.0.12.1/24"), ("stub", "10.1.0.1/24")], auth=RipAuth("md5", key_a)))
    net.add(
        make_engine(
            "b", [("eth0", "10.0.12.2/24"), ("stub", "10.2.0.1/24")], auth=RipAuth("md5", key_b), seed=2
        )
    )
    net.connect(("a", "eth0"), ("b", "eth0"))
    net.start()
    net.run_until(100.0)
    return net


def test_wrong_key_learns_nothing():
    net = _pair("right", "wrong")
    assert "10.2.0.0/24" not in net.table("a") and "10.1.0.0/24" not in net.table("b")
    assert (
        net.engines["a"].counters["auth_failures"] > 0 and net.engines["b"].auth_failure_reasons["digest"] > 0
    )


def test_same_key_converges():
    net = _pair("right", "right")
    assert net.table("a")["10.2.0.0/24"] == (2, "10.0.12.2")
    assert net.engines["a"].counters["auth_failures"] == 0
