"""The ``--json`` report of a run (schema documented in docs/report.md)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def topology_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def verdict_json(verdict) -> list[dict[str, Any]]:
    rows = []
    for rv in verdict.routes:
        exp = rv.expected
        rows.append(
            {
                "prefix": str(rv.prefix),
                "status": str(rv.status),
                "actual": rv.actual,
                "expected": None
                if exp is None
                else {
                    "protocol": exp.protocol,
                    "metric": exp.metric,
                    "gateways": sorted(str(g) if g else "direct" for g in exp.gateways),
                    "match": str(exp.match),
                    "detail": exp.detail,
                },
                "message": rv.message,
            }
        )
    return rows


def write_report(path: str, report: dict[str, Any]) -> None:
    report = {"schema": SCHEMA_VERSION, **report}
    Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")
