"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

asyncio turns Nagle off only for sockets whose protocol number is TCP's; the listening socket
uvicorn hands to its worker processes (`payrec serve --workers N`) comes back with protocol 0,
so their connections kept Nagle on. A response is written in two parts (head, then body), and
Nagle held the second back until the client's delayed ACK: about 40 ms added to every
request. Setting TCP_NODELAY on each accepted connection ends that in every mode.
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress

from uvicorn.protocols.http.h11_impl import H11Protocol


def no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)


try:  # uvicorn's faster parser, when installed (uvicorn[standard])
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - depends on the environment
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if HttpToolsProtocol is not None:

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):  # defined at module level: picklable
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            no_delay(transport)
            super().connection_made(transport)


def http_protocol() -> type[asyncio.Protocol]:
    """The protocol uvicorn's "auto" would pick (httptools when installed, else h11), with
    Nagle off."""
    if HttpToolsProtocol is not None:
        return NoDelayHttpToolsProtocol
    return NoDelayH11Protocol
