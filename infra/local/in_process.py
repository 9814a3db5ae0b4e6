"""Serving the local stack's ASGI apps (warehouse, sandbox) in this process, for the tests, the benchmarks and the
deployed template: uvicorn in a daemon thread on a free loopback port, stopped when the block ends."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any, port: int, startup_timeout: float = 20.0) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1:`port` in a daemon thread; yields its base URL. On leaving, the server
    is asked to stop and its thread joined, so a data directory it wrote is complete when the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True, name=f"whoop-server-{port}")
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the server on port {port} did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if thread.is_alive():
            raise RuntimeError(f"the server on port {port} did not stop")
