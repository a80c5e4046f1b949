"""Compare a router's actual selected routes with the oracle's expected ones."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from routesim.oracle.expected import ExpectedRoute, NextHopMatch


class Status(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    WRONG_PROTOCOL = "wrong protocol"
    WRONG_METRIC = "wrong metric"
    WRONG_NEXT_HOP = "wrong next hop"
    NOT_MODELED = "not modeled"


@dataclass(frozen=True)
class RouteVerdict:
    prefix: IPv4Network
    status: Status
    expected: ExpectedRoute | None
    actual: dict[str, Any] | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (Status.OK, Status.NOT_MODELED)


@dataclass
class Verdict:
    router: str
    routes: list[RouteVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.routes)

    @property
    def failures(self) -> list[RouteVerdict]:
        return [r for r in self.routes if not r.ok]


#: How external daemons name protocols in the inspection model, mapped to ours.
PROTOCOL_ALIASES = {"direct": "connected", "kernel": "connected", "bgp": "ebgp"}


def _gateways(row: dict[str, Any]) -> frozenset[IPv4Address | None]:
    return frozenset(IPv4Address(h["gateway"]) if h.get("gateway") else None for h in row["next_hops"])


def _fmt_gw(gws) -> str:
    return ", ".join(sorted(str(g) if g else "direct" for g in gws)) or "-"


def compare_tables(
    router: str,
    expected: dict[IPv4Network, ExpectedRoute],
    actual_rib: list[dict[str, Any]],
    unmodeled: set[str] = frozenset(),
) -> Verdict:
    """``actual_rib`` is the inspection model's ``rib`` list; only selected rows are compared."""
    verdict = Verdict(router)
    actual = {IPv4Network(r["prefix"]): r for r in actual_rib if r.get("selected")}
    for prefix in sorted(set(expected) | set(actual)):
        exp, act = expected.get(prefix), actual.get(prefix)
        proto = PROTOCOL_ALIASES.get(act["protocol"], act["protocol"]) if act else None
        if exp is None:
            if proto in unmodeled or (proto in ("ebgp", "ibgp") and "bgp" in unmodeled):
                verdict.routes.append(RouteVerdict(prefix, Status.NOT_MODELED, None, act))
            else:
                verdict.routes.append(
                    RouteVerdict(
                        prefix, Status.UNEXPECTED, None, act, f"{router}: unexpected {proto} route {prefix}"
                    )
                )
            continue
        if act is None:
            if exp.protocol in unmodeled:
                verdict.routes.append(RouteVerdict(prefix, Status.NOT_MODELED, exp, None))
                continue
            verdict.routes.append(
                RouteVerdict(
                    prefix,
                    Status.MISSING,
                    exp,
                    None,
                    f"{router}: missing {exp.protocol} route {prefix} via {_fmt_gw(exp.gateways)}",
                )
            )
            continue
        verdict.routes.append(_judge(router, prefix, exp, act, proto))
    return verdict


def _judge(router: str, prefix, exp: ExpectedRoute, act: dict[str, Any], proto: str) -> RouteVerdict:
    if proto != exp.protocol:
        return RouteVerdict(
            prefix,
            Status.WRONG_PROTOCOL,
            exp,
            act,
            f"{router}: {prefix} expected from {exp.protocol}, got {proto}",
        )
    if exp.protocol != "connected":
        got = _gateways(act)
        if exp.match is NextHopMatch.ALL:
            good = got == exp.gateways
        else:
            good = bool(got) and got <= exp.gateways
        if not good:
            return RouteVerdict(
                prefix,
                Status.WRONG_NEXT_HOP,
                exp,
                act,
                f"{router}: {prefix} via {_fmt_gw(got)}, expected {exp.match} of {_fmt_gw(exp.gateways)}",
            )
    if exp.metric is not None and act.get("metric") is not None and act["metric"] != exp.metric:
        return RouteVerdict(
            prefix,
            Status.WRONG_METRIC,
            exp,
            act,
            f"{router}: {prefix} metric {act['metric']}, expected {exp.metric}",
        )
    return RouteVerdict(prefix, Status.OK, exp, act)
