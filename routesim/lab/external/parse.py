"""Text and JSON of ``birdc``, ``vtysh`` and ``ip -j`` -> the inspection model (pure functions).

Inspection-model shapes (the same for routesim routers, DESIGN.md "Inspection model"):

* RIB entry: ``{"prefix", "protocol", "distance", "metric", "selected", "next_hops": [{"gateway",
  "interface"}], "attrs"}``; ``protocol`` is connected/static/rip/ospf/ebgp/ibgp (anything else is
  passed on raw, e.g. FRR's ``kernel``); a blackhole/unreachable route has no next hop and
  ``attrs["type"]`` says which.
* FIB entry: ``{"prefix", "protocol", "metric", "next_hops"}`` from the kernel; ``metric`` is the
  kernel's route priority.
* interface: ``{"name", "state", "addresses", "mtu"}`` (IPv4 addresses in CIDR form).

BIRD's route preference is "higher wins"; the BIRD generator sets every preference to
``255 - distance`` (FRR's administrative distances), so ``distance = 255 - preference`` here and
both daemons rank candidates alike. The raw value stays in ``attrs["preference"]``.

BIRD 2.0 has no JSON output: the text formats parsed here are those of BIRD 2.0.12 (``show route
all``, ``show protocols``, ``show rip neighbors``, ``show ospf neighbors``). FRR 8.4 has JSON for
routes and OSPF neighbors but not for RIP neighbours (``show ip rip status`` text is parsed).

* OSPF neighbor: ``{"protocol": "ospf", "neighbor", "router_id", "address", "interface", "state",
  "priority", "attrs": {"role", "dead_in"}}``, ``state`` spelled like routesim's engine (``Full``,
  ``2-Way``, ``ExStart``...). OSPF routes need no parser of their own: ``show route all`` rows of
  the ``ospf1`` protocol and FRR's ``"protocol": "ospf"`` already map to ``ospf`` (a type-2
  external's metric is its type-2 metric, as routesim's engine reports it).
"""

from __future__ import annotations

import re
from typing import Any

_BIRD_ROUTE = re.compile(
    r"^(?P<prefix>\d+\.\d+\.\d+\.\d+/\d+)?\s+"
    r"(?P<type>unicast|blackhole|unreachable|prohibited)\s+"
    r"\[(?P<proto>[^\s\]]+)[^\]]*\]\s*"
    r"(?P<primary>[*!])?\s*"
    r"(?P<subtype>[A-Z][A-Z0-9]*\s+)?"
    r"\((?P<pref>\d+)(?:/(?P<metric>[\d?]+))?(?:/(?P<metric2>[\d?]+))?\)"
    r"(?:\s+\[(?P<extra>[^\]]*)\])?"
)
_BIRD_VIA = re.compile(r"^\s+via\s+(?P<gw>\S+)\s+on\s+(?P<dev>\S+)")
_BIRD_DEV = re.compile(r"^\s+dev\s+(?P<dev>\S+)")
_BIRD_ATTR = re.compile(r"^\s+(?P<key>[A-Za-z][\w.]*):\s?(?P<value>.*)$")

#: BIRD route source (``Type:`` line, or the protocol name's prefix) -> inspection-model protocol.
_BIRD_TYPES = {"device": "connected", "static": "static", "rip": "rip", "ospf": "ospf", "bgp": "ebgp"}
_BIRD_NAME_PREFIXES = (
    ("direct", "connected"),
    ("static", "static"),
    ("rip", "rip"),
    ("ospf", "ospf"),
    ("ibgp", "ibgp"),
    ("ebgp", "ebgp"),
    ("bgp", "ebgp"),
)


def bird_protocol_kind(name: str, type_line: str | None = None) -> str:
    """Inspection-model protocol of a BIRD route.

    BGP generators must name iBGP sessions ``ibgp...`` and eBGP ones ``ebgp...``: BIRD's route type
    says BGP for both.
    """
    lname = name.lower()
    if type_line:
        head = type_line.split()[0].lower()
        for key, kind in _BIRD_TYPES.items():
            if head.startswith(key):
                if kind == "ebgp" and lname.startswith("ibgp"):
                    return "ibgp"
                return kind
    for prefix, kind in _BIRD_NAME_PREFIXES:
        if lname.startswith(prefix):
            return kind
    return lname


def bird_routes(text: str) -> list[dict]:
    """Parse ``birdc show route all`` (or without ``all``) into RIB entries."""
    routes: list[dict] = []
    current: dict | None = None
    prefix: str | None = None
    for line in text.splitlines():
        m = _BIRD_ROUTE.match(line)
        if m:
            prefix = m["prefix"] or prefix
            if prefix is None:
                continue
            pref = int(m["pref"])
            attrs: dict[str, Any] = {"preference": pref, "bird_protocol": m["proto"]}
            if m["type"] != "unicast":
                attrs["type"] = m["type"]
            if m["subtype"]:
                attrs["route_type"] = m["subtype"].strip()
            if m["extra"]:
                attrs["extra"] = m["extra"]
            if m["primary"] == "!":
                attrs["kernel_sync_error"] = True
            # OSPF type-2 externals show (preference/metric1/metric2); the type-2 metric ranks them
            # (RFC 2328 §16.4) and is what FRR prints, so it is the metric reported.
            metric = m["metric2"] or m["metric"]
            current = {
                "prefix": prefix,
                "protocol": bird_protocol_kind(m["proto"]),
                "distance": 255 - pref if pref <= 255 else None,
                "metric": int(metric) if metric and metric.isdigit() else None,
                "selected": m["primary"] is not None,
                "next_hops": [],
                "attrs": attrs,
            }
            routes.append(current)
            continue
        if current is None:
            continue
        if mv := _BIRD_VIA.match(line):
            current["next_hops"].append({"gateway": mv["gw"], "interface": mv["dev"]})
        elif md := _BIRD_DEV.match(line):
            current["next_hops"].append({"gateway": None, "interface": md["dev"]})
        elif ma := _BIRD_ATTR.match(line):
            key, value = ma["key"], ma["value"].strip()
            current["attrs"][key] = value
            if key == "Type":
                current["protocol"] = bird_protocol_kind(current["attrs"]["bird_protocol"], value)
        elif line and not line[0].isspace():
            current = None  # "Table master4:" and the like
    for r in routes:
        if r["metric"] is None:
            r["metric"] = _bird_metric(r)
    return routes


def _bird_metric(route: dict) -> int | None:
    attrs = route["attrs"]
    for key in ("RIP.metric", "OSPF.metric1", "BGP.med"):
        if key in attrs and str(attrs[key]).isdigit():
            return int(attrs[key])
    if route["protocol"] in ("connected", "static", "ebgp", "ibgp"):
        return 0
    return None


def bird_protocols(text: str) -> list[dict]:
    """Parse ``birdc show protocols``: ``[{"name", "kind", "table", "state", "since", "info"}]``."""
    out = []
    in_table = False
    for line in text.splitlines():
        parts = line.split(None, 5)
        if parts[:2] == ["Name", "Proto"]:
            in_table = True
            continue
        if not in_table or len(parts) < 5 or line.startswith(" "):
            continue
        name, proto, table, state, since = parts[:5]
        out.append(
            {
                "name": name,
                "kind": proto.lower(),
                "table": None if table == "---" else table,
                "state": state,
                "since": since,
                "info": parts[5].strip() if len(parts) > 5 else "",
            }
        )
    return out


def bird_rip_neighbors(text: str) -> list[dict]:
    """Parse ``birdc show rip neighbors``."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", parts[0]):
            out.append(
                {
                    "protocol": "rip",
                    "neighbor": parts[0],
                    "interface": parts[1],
                    "state": "up",
                    "attrs": {"metric": int(parts[2]), "routes": int(parts[3]), "seen": float(parts[4])},
                }
            )
    return out


#: Neighbor state names as BIRD and FRR print them -> routesim's engine labels (RFC 2328 §10.1).
_OSPF_STATES = {
    s.lower(): s for s in ("Down", "Attempt", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full")
}
_OSPF_STATES["twoway"] = "2-Way"
_IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


def _ospf_state(raw: str) -> tuple[str, str | None]:
    """``Full/DR`` -> (``Full``, ``DR``); the part after the slash is the neighbor's role."""
    state, _, role = raw.partition("/")
    return _OSPF_STATES.get(state.strip().lower(), state.strip()), (role.strip() or None)


def bird_ospf_neighbors(text: str) -> list[dict]:
    """Parse ``birdc show ospf neighbors`` (``Router ID  Pri  State  DTime  Interface  Router IP``).

    Entries have the engine's ``inspect`` neighbor shape (``router_id``, ``address``, ``interface``,
    ``state``, ``priority``) plus ``protocol`` and ``neighbor`` (the address) like RIP's, and
    ``attrs`` with the role (``DR``, ``BDR``, ``Other``, ``PtP``) and seconds until dead.
    """
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 6 or not _IPV4.fullmatch(parts[0]) or not _IPV4.fullmatch(parts[5]):
            continue
        state, role = _ospf_state(parts[2])
        try:
            dead_in: float | None = float(parts[3])
        except ValueError:
            dead_in = None
        out.append(
            {
                "protocol": "ospf",
                "neighbor": parts[5],
                "router_id": parts[0],
                "address": parts[5],
                "interface": parts[4],
                "state": state,
                "priority": int(parts[1]),
                "attrs": {"role": role, "dead_in": dead_in},
            }
        )
    return out


def frr_ospf_neighbors(obj: dict) -> list[dict]:
    """Convert ``vtysh -c 'show ip ospf neighbor json'`` (FRR 8.4) like :func:`bird_ospf_neighbors`.

    FRR names the interface ``IFNAME:OUR_ADDRESS``; the role is its ``role`` (``DR``, ``Backup``,
    ``DROther``) of the neighbor, ``-`` on point-to-point links.
    """
    out = []
    for rid, entries in obj.get("neighbors", {}).items():
        for e in entries:
            state, role = _ospf_state(e.get("nbrState") or e.get("state", ""))
            dead = e.get("deadTimeMsecs", e.get("routerDeadIntervalTimerDueMsec"))
            out.append(
                {
                    "protocol": "ospf",
                    "neighbor": e.get("address") or e.get("ifaceAddress"),
                    "router_id": rid,
                    "address": e.get("address") or e.get("ifaceAddress"),
                    "interface": (e.get("ifaceName") or "").split(":", 1)[0] or None,
                    "state": state,
                    "priority": e.get("nbrPriority", e.get("priority")),
                    "attrs": {
                        "role": None if role in (None, "-") else role,
                        "dead_in": dead / 1000 if isinstance(dead, int | float) else None,
                    },
                }
            )
    return sorted(out, key=lambda n: (n["interface"] or "", n["router_id"]))


_FRR_PROTOCOLS = {"connected": "connected", "static": "static", "rip": "rip", "ospf": "ospf"}


def frr_routes(obj: dict) -> list[dict]:
    """Convert ``vtysh -c 'show ip route json'`` into RIB entries.

    FRR's JSON does not say whether a BGP route is eBGP or iBGP; the distance does (20 vs 200 by
    default, DESIGN.md).
    """
    routes = []
    for prefix in obj:
        for entry in obj[prefix]:
            proto = entry.get("protocol", "")
            distance = entry.get("distance")
            if proto == "bgp":
                kind = "ibgp" if distance == 200 else "ebgp"
            else:
                kind = _FRR_PROTOCOLS.get(proto, proto)
            next_hops = []
            attrs: dict[str, Any] = {}
            for nh in entry.get("nexthops", []):
                if nh.get("blackhole") or nh.get("unreachable") or nh.get("reject"):
                    attrs["type"] = "blackhole" if nh.get("blackhole") else "unreachable"
                    continue
                next_hops.append({"gateway": nh.get("ip"), "interface": nh.get("interfaceName")})
            for key in ("installed", "uptime", "tag"):
                if key in entry:
                    attrs[key] = entry[key]
            routes.append(
                {
                    "prefix": entry.get("prefix", prefix),
                    "protocol": kind,
                    "distance": distance,
                    "metric": entry.get("metric"),
                    "selected": bool(entry.get("selected", False)),
                    "next_hops": next_hops,
                    "attrs": attrs,
                }
            )
    return routes


_FRR_RIP_SOURCE = re.compile(
    r"^\s+(?P<gw>\d+\.\d+\.\d+\.\d+)\s+(?P<bad_packets>\d+)\s+(?P<bad_routes>\d+)\s+"
    r"(?P<distance>\d+)\s+(?P<last>\S+)"
)


def frr_rip_neighbors(text: str) -> list[dict]:
    """Parse the "Routing Information Sources" table of ``show ip rip status`` (no JSON in 8.4)."""
    out = []
    in_sources = False
    for line in text.splitlines():
        if "Routing Information Sources" in line:
            in_sources = True
            continue
        if not in_sources:
            continue
        m = _FRR_RIP_SOURCE.match(line)
        if m:
            out.append(
                {
                    "protocol": "rip",
                    "neighbor": m["gw"],
                    "interface": None,
                    "state": "up",
                    "attrs": {
                        "bad_packets": int(m["bad_packets"]),
                        "bad_routes": int(m["bad_routes"]),
                        "last_update": m["last"],
                    },
                }
            )
        elif line.strip().startswith("Distance"):
            break
    return out


_FRR_CONFIG_ERROR = re.compile(
    r"(?P<what>No such command|Ambiguous command|Command incomplete|Command returned Warning"
    r"|Command returned Error|Error) on config line (?P<line>\d+):\s*(?P<text>.*)$"
)


def frr_config_errors(log_text: str) -> list[tuple[int, str, str]]:
    """Lines an FRR daemon refused while reading its config: ``[(line, what, command text)]``.

    FRR keeps running with whatever it could parse and only logs these (``-C`` exits 0 too).
    """
    out = []
    for line in log_text.splitlines():
        m = _FRR_CONFIG_ERROR.search(line)
        if m:
            out.append((int(m["line"]), m["what"], m["text"].strip()))
    return out


def _kernel_prefix(dst: str) -> str:
    if dst == "default":
        return "0.0.0.0/0"
    return dst if "/" in dst else f"{dst}/32"


def kernel_routes(obj: list[dict]) -> list[dict]:
    """Convert ``ip -j route show table main`` into FIB entries (protocol: the kernel's name).

    ``proto kernel`` routes (the kernel's own interface routes) are reported as ``connected``.
    """
    fib = []
    for r in obj:
        rtype = r.get("type", "unicast")
        if rtype not in ("unicast", "blackhole", "unreachable", "prohibit"):
            continue
        if "nexthops" in r:
            hops = [{"gateway": nh.get("gateway"), "interface": nh.get("dev")} for nh in r["nexthops"]]
        elif rtype != "unicast":
            hops = []
        else:
            hops = [{"gateway": r.get("gateway"), "interface": r.get("dev")}]
        proto = r.get("protocol", "boot")
        entry = {
            "prefix": _kernel_prefix(r["dst"]),
            "protocol": "connected" if proto == "kernel" else proto,
            "metric": r.get("metric", 0),
            "next_hops": sorted(hops, key=lambda h: (h["gateway"] or "", h["interface"] or "")),
        }
        if rtype != "unicast":
            entry["type"] = rtype
        fib.append(entry)
    return fib


def kernel_interfaces(obj: list[dict]) -> list[dict]:
    """Convert ``ip -j addr show`` into interface entries."""
    out = []
    for link in obj:
        flags = link.get("flags", [])
        up = "UP" in flags and link.get("operstate") in ("UP", "UNKNOWN")
        addrs = [
            f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", []) if a.get("family") == "inet"
        ]
        out.append(
            {
                "name": link["ifname"],
                "state": "up" if up else "down",
                "addresses": addrs,
                "mtu": link.get("mtu"),
            }
        )
    return out


# --- OSPF link-state databases --------------------------------------------------------------------
# Rows in the routesim engine's shape: {area, type, lsid, adv_router, seq "0x8000000N", age, checksum "0xNNNN"}


def bird_ospf_lsadb(text: str) -> list[dict]:
    """``birdc show ospf lsadb``: an ``Area A.B.C.D`` header, then ``Type LS-ID Router Seq Age Checksum``."""
    rows: list[dict] = []
    area = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "Area":
            area = parts[1]
            continue
        if len(parts) == 6 and re.fullmatch(r"[0-9a-f]{4}", parts[0]) and area is not None:
            ls_type, lsid, adv, seq, age, csum = parts
            rows.append(
                {
                    "area": area if int(ls_type, 16) != 5 else None,
                    "type": int(ls_type, 16),
                    "lsid": lsid,
                    "adv_router": adv,
                    "seq": f"0x{int(seq, 16):08x}",
                    "age": int(age),
                    "checksum": f"0x{int(csum, 16):04x}",
                }
            )
    return rows


_FRR_LSA_KINDS = {
    "routerLinkStates": 1,
    "networkLinkStates": 2,
    "summaryLinkStates": 3,
    "asbrSummaryLinkStates": 4,
    "asExternalLinkStates": 5,
}


def frr_ospf_lsadb(obj: dict) -> list[dict]:
    """``vtysh -c 'show ip ospf database json'`` (FRR 8.4)."""
    rows: list[dict] = []

    def add(area, kind, lsa):
        rows.append(
            {
                "area": area,
                "type": _FRR_LSA_KINDS[kind],
                "lsid": lsa["lsId"],
                "adv_router": lsa["advertisedRouter"],
                "seq": f"0x{int(lsa['sequenceNumber'], 16):08x}",
                "age": int(lsa["lsaAge"]),
                "checksum": f"0x{int(lsa['checksum'], 16):04x}",
            }
        )

    for area, kinds in (obj.get("areas") or {}).items():
        for kind, lsas in kinds.items():
            if kind in _FRR_LSA_KINDS:
                for lsa in lsas:
                    add(area, kind, lsa)
    for kind, lsas in obj.items():
        if kind in _FRR_LSA_KINDS and isinstance(lsas, list):
            for lsa in lsas:
                add(None, kind, lsa)
    return rows
