"""Names, the state directory and teardown's process safety (no root needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from routesim.lab.names import LabNames, lab_name_for
from routesim.lab.state import (
    LabBusy,
    LabState,
    lab_status,
    list_labs,
    pid_alive,
    proc_start_time,
    read_lab_json,
)
from routesim.lab.teardown import leftovers, teardown


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROUTESIM_STATE_ROOT", str(tmp_path))
    return tmp_path


def test_names_are_prefixed_and_derivable(state_root: Path) -> None:
    n = LabNames("demo")
    assert n.prefix == "rs-demo"
    assert n.netns("user-telecom") == "rs-demo-user-telecom"
    assert n.switch_netns == "rs-demo-sw"
    assert n.node_of("rs-demo-r1") == "r1" and n.node_of("rs-demo2-r1") is None
    assert n.state_dir == state_root / "demo"


@pytest.mark.parametrize("bad", ["", "a-b", "-x", "a/b", "a b"])
def test_lab_names_that_could_overlap_or_escape_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        LabNames(bad)


def test_lab_name_for_topology_names() -> None:
    assert lab_name_for("multiline-bgp") == "multiline_bgp"
    assert LabNames(lab_name_for("a b/c")).lab == "a_b_c"


def test_lock_makes_a_lab_live_and_its_release_stale(state_root: Path) -> None:
    names = LabNames("st1")
    assert lab_status(names) == "absent"
    st = LabState.create(names, topology_path="topo.yaml")
    assert lab_status(names) == "live"
    with pytest.raises(LabBusy):
        LabState.create(names)
    [info] = [i for i in list_labs() if i.name == "st1"]
    assert info.status == "live" and info.topology_path == "topo.yaml"
    st.release()
    assert lab_status(names) == "stale"
    assert read_lab_json(names)["orchestrator"]["start_time"] == proc_start_time(__import__("os").getpid())
    teardown("st1")
    assert lab_status(names) == "absent" and leftovers("st1") == []


def test_teardown_kills_registered_processes_but_never_a_recycled_pid(state_root: Path) -> None:
    names = LabNames("st2")
    st = LabState.create(names)
    ours = subprocess.Popen(["sleep", "60"])
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        st.register_pid(ours.pid, "router", node="r1")
        # a pid recorded with another start time: the process there now is not ours
        st.data["pids"].append({"pid": stranger.pid, "role": "router", "start_time": 1})
        st.save()
        assert pid_alive(stranger.pid) and not pid_alive(stranger.pid, 1)
        st.release()
        report = teardown("st2", grace=0.5)
        assert ours.wait(2) == -15
        assert [pid for pid, _ in report.killed] == [ours.pid]
        assert stranger.poll() is None, "teardown killed a process that is not the lab's"
        assert report.state_removed and not names.state_dir.exists()
    finally:
        stranger.kill()
        ours.kill()
        stranger.wait()
        ours.wait()


def test_teardown_escalates_to_sigkill(state_root: Path) -> None:
    names = LabNames("st3")
    st = LabState.create(names)
    stubborn = subprocess.Popen(["sh", "-c", "trap '' TERM; echo ok; sleep 60"], stdout=subprocess.PIPE)
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ok\n"
        st.register_pid(stubborn.pid, "router")
        report = teardown("st3", grace=0.2)
        assert report.sigkilled == [stubborn.pid]
        assert stubborn.wait(2) == -9  # SIGKILL, after TERM was ignored
    finally:
        stubborn.kill()
        stubborn.wait()
