"""Every accepted connection gets TCP_NODELAY, also on a listening socket like the one
uvicorn hands its worker processes (protocol number 0, where asyncio leaves Nagle on)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from payrec.server.http_protocol import NoDelayH11Protocol, http_protocol


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _nodelay_of_accepted_connections(protocol_class: Any) -> list[int]:
    async def main() -> list[int]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)  # proto 0, as uvicorn's
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        config = Config(app=_ok, http=protocol_class, lifespan="off", log_level="warning")
        config.load()
        state = ServerState()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: protocol_class(config=config, server_state=state, app_state={}),
            sock=listener,
        )
        port = listener.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        flags = [
            protocol.transport.get_extra_info("socket").getsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY
            )
            for protocol in state.connections
        ]
        writer.close()
        server.close()
        return flags

    return asyncio.run(main())


@pytest.mark.parametrize("protocol_class", [NoDelayH11Protocol, http_protocol()])
def test_accepted_connections_have_nagle_off(protocol_class: Any) -> None:
    """`http_protocol()` is what `payrec serve` and `payrec up` run (h11 or httptools)."""
    flags = _nodelay_of_accepted_connections(protocol_class)
    assert flags and all(flags)
