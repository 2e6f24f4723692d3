"""One `httpx.AsyncClient` per venue origin and egress proxy, shared by every adapter.

Connections are what is costly (TLS handshakes, a venue's per-IP connection limits), not
credentials: signing is per request, so every credential on one host shares one pool of
kept-alive connections, unless its traffic must leave by another proxy (egress routes).
"""

from __future__ import annotations

import httpx

from shared.exchange.native import origin_of

# Idle connections are kept this long: longer than any bot's refresh interval we expect,
# shorter than the idle timeouts venues' load balancers are known to apply (60 s).
KEEPALIVE_EXPIRY_S = 30.0
MAX_CONNECTIONS_PER_CLIENT = 64


class HttpClients:
    def __init__(self, *, timeout_s: float, connect_timeout_s: float = 5.0) -> None:
        # Explicit on every phase: httpx's default (5 s everywhere) is not a choice we made.
        self._timeout = httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s))
        self._clients: dict[tuple[str, str | None], httpx.AsyncClient] = {}

    def get(self, base_url: str, proxy_url: str | None = None) -> httpx.AsyncClient:
        key = (origin_of(base_url), proxy_url)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = httpx.AsyncClient(
                timeout=self._timeout,
                limits=httpx.Limits(
                    max_connections=MAX_CONNECTIONS_PER_CLIENT,
                    max_keepalive_connections=MAX_CONNECTIONS_PER_CLIENT,
                    keepalive_expiry=KEEPALIVE_EXPIRY_S,
                ),
                proxy=proxy_url,
                # Never follow a redirect with a signed request: a venue answering 3xx
                # is a misconfiguration to see, not to chase.
                follow_redirects=False,
                # Proxies come from egress routes only, never from the environment.
                trust_env=False,
            )
        return client

    async def close_all(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
