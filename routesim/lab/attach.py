"""Re-attach to a lab that another ``routesim run --keep`` left running (for show/exec/down)."""

from __future__ import annotations

from routesim.lab.names import LabNames
from routesim.lab.plumbing import Plumbing
from routesim.lab.state import LabState, list_labs, read_lab_json


def attach_lab(name: str | None):
    from routesim.lab.orchestrator import Lab, NodeHandle
    from routesim.topology import load_topology
    from routesim.topology.model import NodeKind

    labs = [i for i in list_labs() if i.status != "stale" or i.state_dir is not None]
    if name is None:
        if len(labs) != 1:
            have = ", ".join(i.name for i in labs) or "none"
            raise LookupError(f"{len(labs)} labs present ({have}); choose one with --lab")
        name = labs[0].name
    names = LabNames(name)
    data = read_lab_json(names)
    if not data.get("topology_path"):
        raise LookupError(f"lab {name!r} not found (no state in {names.state_dir})")
    topo = load_topology(data["topology_path"])
    lab = Lab(topo, mode=data.get("mode", "netns"))
    lab.names = names
    lab.state = LabState(names=names, data=data)  # no lock: the lab belongs to nobody now
    lab.attached = True
    if lab.mode != "loopback":
        lab.plumbing = Plumbing.attach(topo, names, data.get("emulator", "none"))
    for node in topo.nodes:
        h = NodeHandle(node.name, node.kind, names.netns(node.name))
        ndir = names.state_dir / "nodes" / node.name
        if node.kind is NodeKind.ROUTESIM:
            h.control = str(ndir / "control.sock")
            h.log = str(ndir / "router.log")
        elif node.is_router:
            from routesim.lab.external import external_router

            h.external = external_router(node)
            h.external.attach(h.netns, ndir)
        lab.nodes[node.name] = h
    for entry in data.get("pids", []):
        h = lab.nodes.get(entry.get("node", ""))
        if h is not None and entry.get("role") == "router":
            h.pid = int(entry["pid"])
    return lab
