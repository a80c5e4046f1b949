"""Process entry points: run a router from its config file, directly or forked by the zygote."""

from __future__ import annotations

import asyncio
import logging
import sys

from routesim.router.config import RouterConfig


def setup_logging(node: str) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {node} %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def run_router(config_path: str) -> int:
    from routesim.router.runtime import Router

    cfg = RouterConfig.load(config_path)
    setup_logging(cfg.node)
    try:
        return asyncio.run(Router(cfg).run())
    except Exception:
        logging.getLogger("routesim.router").exception("router %s failed", cfg.node)
        return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m routesim.router CONFIG.json", file=sys.stderr)
        return 2
    return run_router(argv[0])
