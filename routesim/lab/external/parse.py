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

import json
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
        if r["metric"] is None or r["protocol"] in ("ebgp", "ibgp"):
            r["metric"] = _bird_metric(r)
    return routes


def _bird_metric(route: dict) -> int | None:
    attrs = route["attrs"]
    if route["protocol"] in ("ebgp", "ibgp"):
        # a BGP route's metric in the inspection model is its MED (0 when absent), as routesim's
        # engine reports it; BIRD's "(pref/N)" header shows the IGP metric to the next hop instead
        med = attrs.get("BGP.med")
        return int(med) if med is not None and str(med).isdigit() else 0
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


# --- BGP ----------------------------------------------------------------------------------------
# inspect("bgp") -> {"summary": {...}, "neighbors": [...], "routes": [...]} in the shapes of routesim's
# BGP engine (routesim.proto.bgp.engine.inspect): neighbour state spelled as RFC 4271 §8.2.2
# ("Idle" ... "Established"), as_path "4134 64500", origin "igp"/"egp"/"incomplete", communities
# "a:b c:d" (large ones in "large_communities" "a:b:c"), peer "local" for our own routes.

_BGP_STATES = {s.lower(): s for s in ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established")}
#: GoBGP's apipb PeerState.SessionState enum.
_GOBGP_STATES = {
    0: "Unknown",
    1: "Idle",
    2: "Connect",
    3: "Active",
    4: "OpenSent",
    5: "OpenConfirm",
    6: "Established",
}
_ORIGINS = {"i": "igp", "e": "egp", "?": "incomplete", "igp": "igp", "egp": "egp", "incomplete": "incomplete"}


def bgp_state(raw: str) -> str:
    """A daemon's BGP state name -> RFC 4271 §8.2.2 spelling (``Established``, ``OpenSent``...)."""
    return _BGP_STATES.get(raw.strip().lower().replace(" ", ""), raw.strip())


def bgp_summary(asn: int | None, router_id: str | None, neighbors: list[dict]) -> dict:
    return {
        "asn": asn,
        "router_id": router_id,
        "neighbors": len(neighbors),
        "established": sum(1 for n in neighbors if n["state"] == "Established"),
        "prefixes_received": sum(n["prefixes_received"] or 0 for n in neighbors),
    }


def bgp_neighbor_rows(bgp: dict) -> list[dict]:
    """inspect("bgp") neighbours -> inspect("neighbors") entries (``protocol: bgp``)."""
    return [
        {
            "protocol": "bgp",
            "neighbor": n["address"],
            "interface": None,
            "state": n["state"],
            "attrs": {k: n[k] for k in ("remote_as", "type", "remote_id", "prefixes_received")},
        }
        for n in bgp["neighbors"]
    ]


_BIRD_PROTO_HEAD = re.compile(
    r"^(?P<name>\S+)\s+(?P<proto>\S+)\s+(?P<table>\S+)\s+(?P<state>\S+)\s+(?P<since>\S+)"
)
_BIRD_ROUTES_LINE = re.compile(r"Routes:\s+(\d+) imported,(?:\s+(\d+) filtered,)?\s+(\d+) exported")


def bird_bgp_neighbors(text: str) -> list[dict]:
    """``birdc show protocols all``: the BGP protocols as neighbours (engine shape, module note)."""
    out: list[dict] = []
    cur: dict | None = None
    for line in text.splitlines():
        if line and not line[0].isspace():
            m = _BIRD_PROTO_HEAD.match(line)
            cur = None
            if m and m["proto"] == "BGP":
                cur = {
                    "address": None,
                    "remote_as": None,
                    "description": m["name"],
                    "type": bird_protocol_kind(m["name"]),
                    "state": "Idle" if m["state"] != "up" else "Established",
                    "remote_id": None,
                    "local_address": None,
                    "local_as": None,
                    "prefixes_received": 0,
                    "prefixes_advertised": 0,
                    "hold_time": None,
                    "keepalive": None,
                    "last_error": None,
                    "protocol_name": m["name"],
                }
                out.append(cur)
            continue
        if cur is None:
            continue
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if key == "BGP state":
            cur["state"] = bgp_state(value)
        elif key == "Neighbor address":
            cur["address"] = value.split("%")[0]
        elif key == "Neighbor AS":
            cur["remote_as"] = _bird_int(value)
        elif key == "Local AS":
            cur["local_as"] = _bird_int(value)
        elif key == "Neighbor ID":
            cur["remote_id"] = value
        elif key == "Source address":
            cur["local_address"] = value
        elif key == "Description":
            cur["description"] = value
        elif key == "Last error":
            cur["last_error"] = value
        elif key == "Hold timer" and "/" in value:
            cur["hold_time"] = _bird_int(value.rsplit("/", 1)[1])
        elif key == "Keepalive timer" and "/" in value:
            cur["keepalive"] = _bird_int(value.rsplit("/", 1)[1])
        elif key == "Routes" and (m := _BIRD_ROUTES_LINE.search(line)):
            cur["prefixes_received"] = int(m[1]) + int(m[2] or 0)
            cur["prefixes_advertised"] = int(m[3])
    return out


def _bird_origin(value: str | None) -> str | None:
    return _ORIGINS.get((value or "").strip().lower()) if value else None


def _bird_int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isascii() and value.strip().isdigit() else None


def _bird_pairs(value: str | None) -> str:
    """``(65000,1) (64500,100)`` -> ``65000:1 64500:100`` (large: ``(a, b, c)`` -> ``a:b:c``)."""
    if not value:
        return ""
    return " ".join(":".join(x.strip() for x in grp.split(",")) for grp in re.findall(r"\(([^)]*)\)", value))


def bird_bgp_routes(rib: list[dict]) -> list[dict]:
    """BGP rows of :func:`bird_routes` (``show route all``) in the engine's route shape."""
    out = []
    for r in rib:
        if r["protocol"] not in ("ebgp", "ibgp"):
            continue
        a = r["attrs"]
        gw = a.get("BGP.next_hop", "").split()[0] if a.get("BGP.next_hop") else None
        out.append(
            {
                "prefix": r["prefix"],
                "best": r["selected"],
                "next_hop": gw,
                "as_path": " ".join(a.get("BGP.as_path", "").split()),
                "local_pref": _bird_int(a.get("BGP.local_pref")),
                "med": _bird_int(a.get("BGP.med")),
                "origin": _bird_origin(a.get("BGP.origin")),
                "communities": _bird_pairs(a.get("BGP.community")),
                "large_communities": _bird_pairs(a.get("BGP.large_community")),
                "peer": a.get("bird_protocol"),
            }
        )
    return out


def frr_bgp_neighbors(neighbors: dict) -> list[dict]:
    """``show bgp neighbors json`` (FRR 8.4) -> engine-shaped neighbours."""
    out = []
    for address, n in neighbors.items():
        if not isinstance(n, dict) or "remoteAs" not in n:
            continue
        af = (n.get("addressFamilyInfo") or {}).get("ipv4Unicast") or {}
        hold = n.get("bgpTimerHoldTimeMsecs")
        keep = n.get("bgpTimerKeepAliveIntervalMsecs")
        out.append(
            {
                "address": address,
                "remote_as": n.get("remoteAs"),
                "description": n.get("nbrDesc"),
                "type": "ebgp" if n.get("remoteAs") != n.get("localAs") else "ibgp",
                "state": bgp_state(n.get("bgpState", "")),
                "remote_id": None if n.get("remoteRouterId") in (None, "0.0.0.0") else n["remoteRouterId"],
                "local_address": n.get("hostLocal"),
                "local_as": n.get("localAs"),
                "prefixes_received": af.get("acceptedPrefixCounter", 0),
                "prefixes_advertised": af.get("sentPrefixCounter", 0),
                "hold_time": hold // 1000 if isinstance(hold, int) else None,
                "keepalive": keep // 1000 if isinstance(keep, int) else None,
                "last_error": n.get("lastResetDueTo"),
            }
        )
    return sorted(
        out,
        key=lambda n: (
            tuple(int(x) for x in n["address"].split(".")) if _IPV4.fullmatch(n["address"]) else (999,)
        ),
    )


def frr_bgp_routes(obj: dict) -> list[dict]:
    """``show bgp ipv4 unicast json`` (FRR 8.4) -> engine-shaped routes (``peer``: ``local`` for ours).

    That output carries no communities (``show bgp ... detail``/per-prefix would): they stay empty.
    """
    out = []
    for prefix, paths in (obj.get("routes") or {}).items():
        for p in paths:
            hops = [h.get("ip") for h in p.get("nexthops", []) if h.get("ip")]
            local = p.get("peerId") in (None, "(unspec)")
            out.append(
                {
                    "prefix": p.get("network", prefix),
                    "best": bool(p.get("bestpath", False)),
                    "next_hop": None if local else (hops[0] if hops else None),
                    "as_path": " ".join(str(p.get("path", "")).split()),
                    "local_pref": p.get("locPrf"),
                    "med": p.get("metric"),
                    "origin": _ORIGINS.get(str(p.get("origin", "")).lower()),
                    "communities": "",
                    "large_communities": "",
                    "peer": "local" if local else p.get("peerId"),
                }
            )
    return out


def frr_bgp(summary: dict, neighbors: dict, table: dict) -> dict:
    s = summary.get("ipv4Unicast") or {}
    nbrs = frr_bgp_neighbors(neighbors)
    return {
        "protocol": "bgp",
        "summary": bgp_summary(
            s.get("as") or table.get("localAS"), s.get("routerId") or table.get("routerId"), nbrs
        ),
        "neighbors": nbrs,
        "routes": frr_bgp_routes(table),
    }


def bird_local_bgp_routes(rib: list[dict], announce: set[str], redistribute: set[str]) -> list[dict]:
    """What BIRD originates into BGP: the selected non-BGP routes its export filters take.

    An ``announce`` prefix is exported (ORIGIN IGP) when a non-BGP route for it is selected (the
    prefix is covered, or the ``announce_always`` blackhole); ``redistribute`` sources go out with
    ORIGIN INCOMPLETE. BIRD shows no BGP row for them, so they are rebuilt here with ``peer: local``
    like FRR's and GoBGP's own routes.
    """
    out = []
    for r in rib:
        if not r["selected"] or r["protocol"] in ("ebgp", "ibgp"):
            continue
        if r["prefix"] in announce:
            origin = "igp"
        elif r["protocol"] in redistribute:
            origin = "incomplete"
        else:
            continue
        out.append(
            {
                "prefix": r["prefix"],
                "best": True,
                "next_hop": None,
                "as_path": "",
                "local_pref": None,
                "med": None,
                "origin": origin,
                "communities": "",
                "large_communities": "",
                "peer": "local",
            }
        )
    return out


def bird_bgp(
    protocols_all: str,
    route_all: str,
    asn: int | None,
    router_id: str | None,
    announce: set[str] | None = None,
    redistribute: set[str] | None = None,
) -> dict:
    nbrs = bird_bgp_neighbors(protocols_all)
    rib = bird_routes(route_all)
    return {
        "protocol": "bgp",
        "summary": bgp_summary(asn, router_id, nbrs),
        "neighbors": nbrs,
        "routes": bird_local_bgp_routes(rib, announce or set(), redistribute or set()) + bird_bgp_routes(rib),
    }


# GoBGP ``-j`` output: attrs are protobuf-JSON dicts keyed by path-attribute type code (RFC 4271 §5).


def _gobgp_attrs(attrs: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {"origin": None, "as_path": "", "next_hop": None, "med": None, "local_pref": None}
    comms: list[str] = []
    large: list[str] = []
    for a in attrs:
        t = a.get("type")
        if t == 1:
            out["origin"] = {0: "igp", 1: "egp", 2: "incomplete"}.get(a.get("value", 0))
        elif t == 2:
            asns: list[str] = []
            for seg in a.get("as_paths", []):
                nums = [str(x) for x in seg.get("asns", [])]
                asns += nums if seg.get("segment_type") == 2 else ["{" + " ".join(nums) + "}"]
            out["as_path"] = " ".join(asns)
        elif t == 3:
            out["next_hop"] = a.get("nexthop")
        elif t == 4:
            out["med"] = a.get("metric", 0)
        elif t == 5:
            out["local_pref"] = a.get("value", 0)
        elif t == 8:
            comms += [f"{c >> 16}:{c & 0xFFFF}" for c in a.get("communities", a.get("value")) or []]
        elif t == 32:
            # gobgp 3.10: {"type": 32, "value": [{"ASN": a, "LocalData1": b, "LocalData2": c}]}
            large += [
                f"{c.get('ASN', 0)}:{c.get('LocalData1', 0)}:{c.get('LocalData2', 0)}"
                for c in a.get("value") or []
                if isinstance(c, dict)
            ]
    out["communities"] = " ".join(comms)
    out["large_communities"] = " ".join(large)
    return out


def gobgp_routes(rib: dict) -> list[dict]:
    """``gobgp global rib -a ipv4 -j`` -> engine-shaped routes."""
    out = []
    for prefix, paths in rib.items():
        for p in paths:
            a = _gobgp_attrs(p.get("attrs", []))
            peer = p.get("neighbor-ip")
            out.append(
                {
                    "prefix": (p.get("nlri") or {}).get("prefix", prefix),
                    "best": bool(p.get("best", False)),
                    **a,
                    "next_hop": None if peer is None else a["next_hop"],
                    "peer": "local" if peer is None else peer,
                }
            )
    return out


def gobgp_neighbors(neighbors: list[dict]) -> list[dict]:
    """``gobgp neighbor -j`` -> engine-shaped neighbours (``type`` from the session's PeerType)."""
    out = []
    for n in neighbors:
        conf, state = n.get("conf") or {}, n.get("state") or {}
        timers = (n.get("timers") or {}).get("state") or {}
        states = [af.get("state") or {} for af in n.get("afi_safis") or []]
        received = sum(st.get("accepted", 0) for st in states)
        # gobgp fills "advertised" only when asked about one neighbour
        advertised = (
            sum(st["advertised"] for st in states) if any("advertised" in st for st in states) else None
        )
        remote_as = conf.get("peer_asn", state.get("peer_asn"))
        out.append(
            {
                "address": conf.get("neighbor_address") or state.get("neighbor_address"),
                "remote_as": remote_as,
                "description": conf.get("description"),
                "type": "ebgp" if remote_as != conf.get("local_asn") else "ibgp",
                "state": _GOBGP_STATES.get(state.get("session_state", 0), str(state.get("session_state"))),
                "remote_id": state.get("router_id"),
                "local_address": (n.get("transport") or {}).get("local_address"),
                "local_as": conf.get("local_asn"),
                "prefixes_received": received,
                "prefixes_advertised": advertised,
                "hold_time": timers.get("negotiated_hold_time"),
                "keepalive": timers.get("keepalive_interval"),
                "last_error": None,
            }
        )
    return out


def gobgp_bgp(glob: dict, neighbors: list[dict], rib: dict) -> dict:
    nbrs = gobgp_neighbors(neighbors)
    return {
        "protocol": "bgp",
        "summary": bgp_summary(glob.get("asn"), glob.get("router_id"), nbrs),
        "neighbors": nbrs,
        "routes": gobgp_routes(rib),
    }


def gobgp_rib(rib: dict, ibgp_peers: set[str]) -> list[dict]:
    """GoBGP's learned routes as RIB entries (eBGP distance 20, iBGP 200; ``selected`` = best).

    Our own (``gobgp global rib add``) routes are not RIB entries: GoBGP has no RIB of other
    protocols and programs no kernel route.
    """
    out = []
    for r in gobgp_routes(rib):
        if r["peer"] == "local":
            continue
        internal = r["peer"] in ibgp_peers
        out.append(
            {
                "prefix": r["prefix"],
                "protocol": "ibgp" if internal else "ebgp",
                "distance": 200 if internal else 20,
                "metric": r["med"] or 0,
                "selected": r["best"],
                "next_hops": [{"gateway": r["next_hop"], "interface": None}],
                "attrs": {"as_path": r["as_path"], "local_pref": r["local_pref"], "peer": r["peer"]},
            }
        )
    return out


def gobgp_log_error(text: str) -> str | None:
    """The first fatal/error message of gobgpd's JSON log lines (with its ``Error`` field)."""
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("fatal", "error", "panic"):
            return f"{entry.get('msg', '')}: {entry.get('Error', '')}".strip(": ")
    return None
