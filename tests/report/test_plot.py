from routesim.lab.events import EventResult
from routesim.report.plot import plot_event, plot_topology
from routesim.topology import load_topology_text
from routesim.topology.model import EventSpec


def test_event_and_topology_plots_are_written_as_png_and_svg(tmp_path):
    spec = EventSpec("link_down", ["r1", "r2"])
    res = EventResult(0, spec, "fail link l1", applied_at=100.0, convergence_seconds=1.5)
    row = {"protocol": "rip", "metric": 2, "next_hops": []}
    res.timeline = [
        {"kind": "rib", "node": "r1", "t": 100.01, "prefix": "10.0.0.0/30", "old": row, "new": None},
        {"kind": "rib", "node": "r2", "t": 101.5, "prefix": "10.0.0.0/30", "old": None, "new": row},
    ]
    files = plot_event(res, tmp_path)
    topo = load_topology_text(
        "name: p\nnodes: {r1: {}, r2: {}, h1: {kind: host, gateway: r1}}\nlinks: [[r1, r2]]\n"
    )
    files += plot_topology(
        topo, [{"from": "h1", "to": "10.0.0.2", "path": ["r1", "r2"], "rtt_avg_ms": 0.1}], tmp_path
    )
    assert sorted(f.name for f in files) == ["event-1.png", "event-1.svg", "topology.png", "topology.svg"]
    assert all(f.stat().st_size > 1000 for f in files)
    assert b"fail link l1" in (tmp_path / "event-1.svg").read_bytes()
