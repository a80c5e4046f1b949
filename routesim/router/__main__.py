"""``python -m routesim.router CONFIG.json``: run one router (inside its network namespace)."""

from routesim.router.process import main

if __name__ == "__main__":
    raise SystemExit(main())
