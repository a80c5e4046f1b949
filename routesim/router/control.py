"""The control socket: one JSON request per line in, one JSON response per line out.

Request: ``{"q": "routes"}`` (also ``status``, ``interfaces``, ``neighbors``, ``events`` with
``since``, ``counters``, a protocol name such as ``rip``, or ``stop``). Response:
``{"ok": true, "data": ...}`` or ``{"ok": false, "error": "..."}``. The socket is a Unix socket in
the lab's state directory, reachable from any network namespace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

#: Requests that change the router (everything else only reads the inspection model).
COMMANDS = frozenset(  # everything else (routes, status, bgp_summary, ...) only reads
    {
        "static_add",
        "static_remove",
        "set_cost",
        "iface_down",
        "iface_up",
        "impair",
        "bgp_reset",
        "bgp_announce",
        "bgp_withdraw",
    }
)


class ControlServer:
    def __init__(self, path: str, router: Any) -> None:
        self.path = path
        self.router = router
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self._server = await asyncio.start_unix_server(self._client, path=self.path, limit=1 << 20)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                    q = req.get("q", "")
                    if q == "stop":
                        self.router.request_stop()
                        resp = {"ok": True, "data": "stopping"}
                    elif q in COMMANDS:
                        resp = {"ok": True, "data": await self.router.command(q, req)}
                    else:
                        resp = {"ok": True, "data": await self.router.inspect(q, req)}
                except KeyError as e:
                    resp = {"ok": False, "error": f"unknown query {e}"}
                except Exception as e:  # a bad request never takes the router down
                    log.exception("control request failed")
                    resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                writer.write(json.dumps(resp, default=str).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def query(path: str, q: str, timeout: float = 5.0, **args: Any) -> Any:
    """Blocking client used by the lab and the CLI."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(json.dumps({"q": q, **args}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buf += chunk
    resp = json.loads(buf)
    if not resp.get("ok"):
        raise RuntimeError(resp.get("error", "control request failed"))
    return resp["data"]
