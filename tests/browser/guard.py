"""Every request a page makes, and a failure for any that leaves the server (issue 15: no request to any outside host).

The front desk shows child protection records: a font, script or analytics call to another host
would tell that host who is reading which conference. The guard sees every request of a browser
context (pages, frames, scripts, styles, images, fonts) and stops the ones to another host
before they leave, so a failing test has also sent nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Route, WebSocketRoute

# Schemes that name no host: what the page makes itself, not a request over the network.
_LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
# A WebSocket to the server is the server: the same host and port, over the matching scheme.
_SOCKET_SCHEMES = {"ws": "http", "wss": "https"}


@dataclass
class RequestGuard:
    """`origin`: the server's scheme, host and port, e.g. `http://127.0.0.1:8123`."""

    origin: str
    seen: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        """Route every request of `context` through the guard. The context must be made with
        `service_workers="block"`: a service worker's own requests would pass it unseen."""
        context.route("**/*", self._route)
        context.route_web_socket(lambda _url: True, self._socket)

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.seen.append(url)
        if self.allows(url):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort("blockedbyclient")

    def _socket(self, socket: WebSocketRoute) -> None:
        self.seen.append(socket.url)
        if self.allows(socket.url):
            socket.connect_to_server()
        else:
            self.foreign.append(socket.url)
            socket.close()

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in _LOCAL_SCHEMES:
            return True
        server = urlsplit(self.origin)
        scheme = _SOCKET_SCHEMES.get(parts.scheme, parts.scheme)
        return (scheme, parts.netloc) == (server.scheme, server.netloc)

    def problems(self) -> str | None:
        """None if every request went to the server; else the ones that did not, one a line."""
        if not self.foreign:
            return None
        lines = "\n".join(f"  {url}" for url in self.foreign)
        return f"the page asked hosts other than the server ({self.origin}):\n{lines}"
