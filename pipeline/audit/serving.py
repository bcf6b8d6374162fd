"""Serving the audit page: the listening socket is bound first, so a busy port is one clear error.

uvicorn binds only once it starts, after ``memo audit`` has printed the page's address,
and then exits with a log line; binding here first, and handing uvicorn that very socket,
also leaves no moment in which another program could take the port in between.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from ..errors import AuditError


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, for ``serve``.

    Raises:
        AuditError: the port is in use, or the address cannot be served on.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise AuditError(f"cannot serve on {host!r}: {e.strerror}; pass --host 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by the last run is free; a listening one is not.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise AuditError(f"port {port} is in use; pass --port N") from None
        raise AuditError(f"cannot serve on {host}:{port}: {e.strerror}") from None
    return sock


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on a socket from ``bind`` until Ctrl+C."""
    import uvicorn

    # No X-Forwarded-For: uvicorn would trust it from 127.0.0.1, that is from every client of a
    # page served on localhost, and a made-up address per guess would dodge the sign-in limit.
    config = uvicorn.Config(app, log_level="warning", proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])
