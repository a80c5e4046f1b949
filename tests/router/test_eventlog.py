from routesim.router.eventlog import EventLog


def test_protocol_fields_never_shadow_the_logs_own_keys(tmp_path):
    log = EventLog("r1", str(tmp_path / "e.jsonl"))
    log.add("log", 1.0, seq="0x80000001", node="other", message="LSA installed")
    log.add("rib", 2.0, prefix="10.0.0.0/8", old=None, new=None)
    first, second = log.since(0)
    assert (first["seq"], first["node"], first["seq_"], first["node_"]) == (1, "r1", "0x80000001", "other")
    assert [e["seq"] for e in log.since(1)] == [2]
    assert log.rib_changes == 1 and log.last_rib_change == second["t"]
    log.close()
    assert len((tmp_path / "e.jsonl").read_text().splitlines()) == 2


def test_a_burst_is_written_when_flushed_and_announced_once(tmp_path):
    path = tmp_path / "e.jsonl"
    calls = []
    log = EventLog("r1", str(path), on_dirty=lambda: calls.append(1))
    for i in range(100):
        log.add("rib", float(i), prefix=f"10.{i}.0.0/16", old=None, new=None)
    assert calls == [1]
    assert path.read_text() == ""  # buffered until the runtime flushes at the end of the loop turn
    log.flush()
    assert len(path.read_text().splitlines()) == 100
    log.add("rib", 100.0, prefix="10.100.0.0/16", old=None, new=None)
    assert calls == [1, 1]
    log.close()
    assert len(path.read_text().splitlines()) == 101


def test_without_a_flusher_every_entry_is_on_disk_at_once(tmp_path):
    path = tmp_path / "e.jsonl"
    log = EventLog("r1", str(path))
    log.add("log", 1.0, message="hello")
    assert len(path.read_text().splitlines()) == 1
    log.close()


def test_lines_decode_as_json_would_have_written_them(tmp_path):
    """Whatever encoder writes the lines, they read back as ``json.dumps(default=str)`` would have
    written them: addresses and other objects as their text, enums of int/str as their value,
    integer keys as text, and integers too large for 64 bits exactly."""
    import enum
    import json
    from dataclasses import dataclass
    from ipaddress import IPv4Address, IPv4Network

    from routesim.router.eventlog import encode_line

    class Kind(enum.IntEnum):
        ROUTER = 1

    class Name(enum.StrEnum):
        OSPF = "ospf"

    @dataclass(frozen=True)
    class Hop:
        gateway: str

    fields = {
        "addr": IPv4Address("10.0.0.1"),
        "net": IPv4Network("10.0.0.0/30"),
        "kind_": Kind.ROUTER,
        "name": Name.OSPF,
        "hop": Hop("10.0.0.2"),
        "by_area": {0: "backbone"},
        "big": 2**70,
        "nested": [{"x": 1.5, "y": None, "z": True}],
    }
    entry = {"seq": 1, "t": 1.25, "kind": "log", **fields}
    expected = json.loads(json.dumps(entry, default=str))
    assert json.loads(encode_line(entry)) == expected
    assert encode_line(entry).endswith(b"\n") and encode_line(entry).count(b"\n") == 1
    log = EventLog("r1", str(tmp_path / "e.jsonl"))
    log.add("log", 1.0, **fields)
    log.close()
    (line,) = (tmp_path / "e.jsonl").read_text().splitlines()
    got = json.loads(line)
    assert {k: got[k] for k in fields} == {k: expected[k] for k in fields}
