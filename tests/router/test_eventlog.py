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
