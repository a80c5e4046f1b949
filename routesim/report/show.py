"""``routesim show`` in the style of a router CLI, from the inspection model's JSON."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table


def _hops(hops: list[dict[str, Any]]) -> str:
    return ", ".join(
        (f"via {h['gateway']}" if h.get("gateway") else "directly connected")
        + (f", {h['interface']}" if h.get("interface") else "")
        for h in hops
    )


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if v is None else str(v) for v in r))
    return t


def render_routes(console: Console, node: str, data: dict[str, Any]) -> None:
    rib = data.get("rib", [])
    console.print(
        _table(
            f"{node}: RIB (> selected)",
            ["", "prefix", "proto", "distance/metric", "next hops", "age"],
            [
                [
                    ">" if r.get("selected") else "",
                    r["prefix"],
                    r["protocol"],
                    f"{r.get('distance')}/{r.get('metric')}",
                    _hops(r.get("next_hops", [])),
                    f"{r['age']:.1f}s" if r.get("age") is not None else "",
                ]
                for r in rib
            ],
        )
    )
    console.print(
        _table(
            f"{node}: kernel FIB (main table)",
            ["prefix", "proto", "metric", "next hops"],
            [
                [r["prefix"], r["protocol"], r.get("metric"), _hops(r.get("next_hops", []))]
                for r in data.get("fib", [])
            ],
        )
    )


def render_events(console: Console, node: str, events: list[dict[str, Any]]) -> None:
    for e in events:
        ts = time.strftime("%H:%M:%S", time.localtime(e["t"])) + f".{int(e['t'] % 1 * 1000):03d}"
        rest = {k: v for k, v in e.items() if k not in ("seq", "t", "mono", "node", "kind")}
        console.print(f"{ts} {e['kind']:8} {json.dumps(rest, default=str)}", markup=False)


OSPF_VIEWS = ("neighbors", "interfaces", "database", "routes")
BGP_VIEWS = ("summary", "neighbors", "routes", "rib-in", "rib-out")


def select_view(what: str, view: tuple[str, ...], data: Any) -> Any:
    """Narrow a protocol's inspection data to one view (``ospf database``, ``bgp rib-in PEER``)."""
    if not view:
        return data
    name = view[0]
    if what == "ospf":
        if name not in OSPF_VIEWS:
            raise ValueError(f"ospf views: {', '.join(OSPF_VIEWS)}")
        return {name: data.get(name, [])}
    if what == "bgp":
        if name not in BGP_VIEWS:
            raise ValueError(f"bgp views: {', '.join(BGP_VIEWS)}")
        if name in ("rib-in", "rib-out"):
            key = name.replace("-", "_")
            table = data.get(key, {})
            if len(view) > 1:
                if view[1] not in table:
                    raise ValueError(f"no peer {view[1]}; peers: {', '.join(table) or '-'}")
                return {key: {view[1]: table[view[1]]}}
            return {key: table}
        return {name: data.get(name, [])}
    raise ValueError(f"{what} has no views")


def _rows(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    cols = columns or (list(rows[0].keys()) if rows else [])
    return _table(title, cols, [[_cell(r.get(c)) for c in cols] for r in rows])


def _cell(v: Any) -> Any:
    if isinstance(v, list):
        return ", ".join(
            (f"{h.get('gateway') or 'direct'} ({h.get('interface')})" if isinstance(h, dict) else str(h))
            for h in v
        )
    if isinstance(v, dict):
        return json.dumps(v, default=str)
    return v


def render_ospf(console: Console, node: str, data: dict[str, Any]) -> None:
    cols = {
        "neighbors": ["router_id", "address", "interface", "state", "priority", "dr", "bdr", "dead_in"],
        "interfaces": [
            "name",
            "state",
            "area",
            "network_type",
            "cost",
            "dr",
            "bdr",
            "hello",
            "dead",
            "passive",
        ],
        "database": ["area", "type", "lsid", "adv_router", "seq", "age", "checksum"],
        "routes": ["prefix", "cost", "path_type", "area", "next_hops"],
    }
    for view, columns in cols.items():
        if view in data:
            console.print(_rows(f"{node}: OSPF {view}", data[view], columns))
    counters = data.get("counters")
    if counters:
        console.print(
            _table(
                f"{node}: OSPF counters", ["counter", "value"], [[k, _cell(v)] for k, v in counters.items()]
            )
        )


_ORIGIN_CODE = {"igp": "i", "egp": "e", "incomplete": "?"}


def _bgp_routes(title: str, rows: list[dict[str, Any]]) -> Table:
    """``show ip bgp`` style: status, prefix, next hop, metric, LocPrf, path and origin code."""
    t = Table(title=title, title_justify="left")
    for c in ("", "network", "next hop", "metric", "locprf", "path", "from", "why best"):
        t.add_column(c)
    for r in rows:
        status = ("*>" if r.get("best") else "* ") if not r.get("unusable") else "  "
        path = f"{r.get('as_path') or ''} {_ORIGIN_CODE.get(str(r.get('origin')), '?')}".strip()
        t.add_row(
            status,
            r.get("prefix", ""),
            r.get("next_hop") or "0.0.0.0",
            "" if r.get("med") is None else str(r["med"]),
            "" if r.get("local_pref") is None else str(r["local_pref"]),
            path,
            r.get("peer", ""),
            r.get("reason") or r.get("unusable") or "",
        )
    return t


def render_bgp(console: Console, node: str, data: dict[str, Any]) -> None:
    summary = data.get("summary")
    if summary:
        console.print(
            f"BGP router identifier {summary.get('router_id')}, local AS number {summary.get('asn')}; "
            f"{summary.get('established')}/{summary.get('neighbors')} sessions established, "
            f"{summary.get('loc_rib')} prefixes in the Loc-RIB",
            markup=False,
        )
    if "neighbors" in data:
        cols = [
            "address",
            "remote_as",
            "description",
            "type",
            "state",
            "uptime",
            "prefixes_received",
            "prefixes_accepted",
            "prefixes_advertised",
            "hold_time",
            "mrai",
            "mrai_pending",
            "relationship",
            "last_error",
        ]
        console.print(_rows(f"{node}: BGP neighbors", data["neighbors"], cols))
    if "routes" in data:
        console.print(_bgp_routes(f"{node}: BGP Loc-RIB (*> best)", data["routes"]))
        if data.get("routes_truncated"):
            console.print("(truncated: use --json with a limit, or routesim show NODE bgp routes)")
    for key, label in (("rib_in", "Adj-RIB-In"), ("rib_out", "Adj-RIB-Out")):
        for peer, rows in (data.get(key) or {}).items():
            if rows or len(data.get(key) or {}) == 1:
                console.print(_bgp_routes(f"{node}: {label} of {peer}", rows))


def render_show(console: Console, node: str, what: str, data: Any) -> None:
    if what.split()[0] == "ospf" and isinstance(data, dict):
        render_ospf(console, node, data)
        return
    if what.split()[0] == "bgp" and isinstance(data, dict):
        render_bgp(console, node, data)
        return
    if what == "routes" and isinstance(data, dict):
        render_routes(console, node, data)
    elif what == "interfaces" and isinstance(data, list):
        console.print(
            _table(
                f"{node}: interfaces",
                ["name", "state", "carrier", "mtu", "addresses"],
                [
                    [
                        i["name"],
                        i.get("state"),
                        i.get("carrier"),
                        i.get("mtu"),
                        " ".join(i.get("addresses", [])),
                    ]
                    for i in data
                ],
            )
        )
    elif what == "events" and isinstance(data, list):
        render_events(console, node, data)
    elif what == "rip" and isinstance(data, dict) and "routes" in data:
        rows = [
            [
                r.get("prefix"),
                r.get("metric"),
                r.get("next_hop"),
                r.get("source"),
                r.get("interface"),
                r.get("age"),
                r.get("state"),
                r.get("tag"),
            ]
            for r in data["routes"]
        ]
        console.print(
            _table(
                f"{node}: RIP routes",
                ["prefix", "metric", "next hop", "source", "iface", "age", "state", "tag"],
                rows,
            )
        )
        nbrs = data.get("neighbors", [])
        if nbrs:
            cols = list(nbrs[0].keys())
            console.print(_table(f"{node}: RIP neighbors", cols, [[n.get(c) for c in cols] for n in nbrs]))
        counters = data.get("counters", {})
        if counters:
            console.print(
                _table(
                    f"{node}: RIP counters",
                    ["counter", "value"],
                    [[k, json.dumps(v) if isinstance(v, dict) else v] for k, v in counters.items()],
                )
            )
    else:
        console.print_json(json.dumps(data, default=str))
