"""``routesim run --plot DIR``: pictures of a run (matplotlib, PNG and SVG).

* ``event-N.png/svg``: the convergence timeline of event N: one row per router, a mark at every
  RIB change (colour: route added, changed, withdrawn), the event at t = 0 and the measured
  convergence time as a dashed line.
* ``topology.png/svg``: the lab's graph (routers, hosts, LANs) with each reachability check's
  forwarding path, as traceroute measured it, drawn on top.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_event(result, directory: Path) -> list[Path]:
    plt = _pyplot()
    ribs = [e for e in result.timeline if e["kind"] == "rib"]
    routers = sorted({e["node"] for e in ribs})
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * max(1, len(routers))))
    colours = {"added": "tab:green", "changed": "tab:blue", "withdrawn": "tab:red"}
    seen = set()
    for e in ribs:
        kind = "added" if not e.get("old") else "withdrawn" if not e.get("new") else "changed"
        y = routers.index(e["node"])
        ax.scatter(
            e["t"] - result.applied_at, y, color=colours[kind], s=28, label=kind if kind not in seen else None
        )
        seen.add(kind)
    ax.axvline(0, color="black", linewidth=1)
    ax.annotate("event", (0, len(routers) - 0.5 if routers else 0.5), fontsize=8)
    if result.convergence_seconds:
        ax.axvline(result.convergence_seconds, color="grey", linestyle="--", linewidth=1)
        ax.annotate(
            f"converged {result.convergence_seconds:.3f} s", (result.convergence_seconds, -0.6), fontsize=8
        )
    ax.set_yticks(range(len(routers)), routers)
    ax.set_ylim(-1, max(1, len(routers)))
    ax.set_xlabel("seconds after the event")
    ax.set_title(f"event {result.index + 1}: {result.description}", fontsize=9)
    if seen:
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        p = directory / f"event-{result.index + 1}.{ext}"
        fig.savefig(p, dpi=110)
        out.append(p)
    plt.close(fig)
    return out


def plot_topology(topo, reach: list[dict[str, Any]], directory: Path) -> list[Path]:
    import networkx as nx

    plt = _pyplot()
    g = nx.Graph()
    for n in topo.nodes:
        g.add_node(n.name, kind=str(n.kind))
    for link in topo.links:
        g.add_edge(link.a.node, link.b.node)
    for lan in topo.lans:
        ln = f"[{lan.name}]"
        g.add_node(ln, kind="lan")
        for m in lan.members:
            g.add_edge(ln, m.node)
    pos = nx.spring_layout(g, seed=1, iterations=200)
    fig, ax = plt.subplots(figsize=(8, 6))
    colour = {
        "routesim": "tab:blue",
        "bird": "tab:orange",
        "frr": "tab:purple",
        "host": "tab:grey",
        "lan": "white",
    }
    nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#bbbbbb", width=1.5)
    nx.draw_networkx_nodes(
        g,
        pos,
        ax=ax,
        node_color=[colour.get(g.nodes[n]["kind"], "tab:blue") for n in g],
        edgecolors="black",
        node_size=500,
    )
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=8)
    cmap = plt.get_cmap("tab10")
    for i, r in enumerate(reach):
        path = [r["from"], *[p for p in r.get("path", []) if p in g]]
        edges = [(a, b) for a, b in itertools.pairwise(path) if g.has_edge(a, b)]
        if edges:
            nx.draw_networkx_edges(
                g,
                pos,
                ax=ax,
                edgelist=edges,
                edge_color=[cmap(i % 10)],
                width=3.5,
                alpha=0.7,
                label=f"{r['from']} -> {r['to']}"
                + (f" ({r['rtt_avg_ms']:.1f} ms)" if r.get("rtt_avg_ms") else ""),
            )
    if reach:
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{topo.name}: forwarding paths measured by traceroute", fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        p = directory / f"topology.{ext}"
        fig.savefig(p, dpi=110)
        out.append(p)
    plt.close(fig)
    return out
