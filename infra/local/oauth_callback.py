"""The browser half of `whoop auth` against WHOOP itself: a one-shot loopback callback server.

The member signs in at WHOOP in a browser; WHOOP redirects to http://127.0.0.1:<port>/callback with
the code, which this server receives once and hands back. Only loopback is listened on.
"""

from __future__ import annotations

import secrets
import string
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from infra.local.errors import WhoopError


def new_state() -> str:
    """WHOOP requires an 8-character state; it also guards the callback against forged redirects."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


class CallbackServer:
    def __init__(self) -> None:
        self.result: dict[str, str] = {}
        self._done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/callback":
                    self.send_error(404)
                    return
                outer.result = {k: v[0] for k, v in parse_qs(url.query).items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"<p>WHOOP authorization received. You can close this tab.</p>")
                outer._done.set()

            def log_message(self, *args: object) -> None:  # keep codes out of the terminal and logs
                return

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for_code(self, state: str, timeout: float) -> str:
        if not self._done.wait(timeout):
            raise WhoopError(f"no authorization arrived at {self.redirect_uri} within {int(timeout)} s")
        if self.result.get("state") != state:
            raise WhoopError("the authorization's state did not match; start `whoop auth` again")
        if "code" not in self.result:
            raise WhoopError(f"WHOOP refused the authorization: {self.result.get('error', 'no code returned')}")
        return self.result["code"]


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, scopes: str, state: str) -> str:
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scopes,
        "state": state,
    }
    return f"{auth_url}?{urlencode(query)}"
