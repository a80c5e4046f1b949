"""Re-attach to a lab that another ``routesim run --keep`` left running (for show/exec/down)."""

from __future__ import annotations

from routesim.lab.names import LabNames
from routesim.lab.state import list_labs, read_lab_json


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
    lab = Lab(topo)
    lab.names = names
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
    return lab
