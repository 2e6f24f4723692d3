"""Builds and caches adapters: one ccxt client per credential, one keyless client per
venue endpoint for public data, all closed together at shutdown. Venues ccxt lacks get a
native connector (NATIVE_CONNECTORS) over HTTP clients shared per host.

A credential assigned to an egress route (shared.egress) sends every call through the
route's proxy: its ccxt client gets ccxt's proxy option, its native connector the HTTP
client of (host, proxy), and both the route's request budget and circuit breaker.
Keyless market data stays on the process's own egress: it carries no key to allow-list.

The one place that names a concrete adapter: callers get the ExchangeAdapter protocol,
so a native connector is added here and nowhere else."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt_async

from shared.domain import CredentialEnvironment
from shared.exchange.bitmart import BitMart
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.budget import BudgetRegistry
from shared.exchange.ccxt_adapter import BINANCE_WEIGHTS, CallObserver, CcxtAdapter, host_of
from shared.exchange.ccxt_responses import ccxt_client_class
from shared.exchange.ccxt_streams import pro_client_class, tune_keepalive
from shared.exchange.coinstore import CoinstoreAdapter
from shared.exchange.errors import PermanentExchangeError
from shared.exchange.http_clients import HttpClients
from shared.exchange.native import NativeAdapter
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import OpenedCredential

# Venues whose REST dialect is Binance Spot: a base URL override (paper exchange, or an
# allowed regional endpoint) is only meaningful for these.
BINANCE_DIALECT = frozenset({"binance"})

# Venues with a connector of our own (ccxt no longer ships them), by venue code.
NATIVE_CONNECTORS: dict[str, type[NativeAdapter]] = {
    BitMart.venue: BitMart,
    CoinstoreAdapter.venue: CoinstoreAdapter,
}


@dataclass(frozen=True)
class ExchangeLayerConfig:
    paper_exchange_url: str
    timeout_ms: int = 10_000
    recv_window_ms: int = 5_000
    # Venues whose adapters hand out streams (ccxt.pro); empty: REST only everywhere.
    stream_venues: frozenset[str] = frozenset()


def override_binance_urls(client: ccxt_async.Exchange, base_url: str) -> None:
    """Point every Binance API section at `base_url`; spot lives under /api/v3. Sections
    we do not use point there too, so a stray call fails locally instead of leaving for
    the real venue."""
    base = base_url.rstrip("/")
    sections = dict(client.urls["api"])
    api_urls = {name: f"{base}/{name}" for name in sections}
    api_urls["public"] = api_urls["private"] = f"{base}/api/v3"
    api_urls["v1"] = f"{base}/api/v1"
    client.urls["api"] = api_urls


def override_binance_ws_urls(client: ccxt_async.Exchange, base_url: str) -> None:
    """ccxt.pro's WebSocket URLs for a venue at `base_url` (the paper exchange): market
    streams under /ws, the WebSocket API (the spot user-data subscription) under
    /ws-api/v3, on the same host and port as its REST API."""
    base = base_url.rstrip("/")
    ws_base = "wss" + base[len("https") :] if base.startswith("https") else "ws" + base[4:]
    streams = f"{ws_base}/ws"
    client.urls["api"]["ws"] = {
        "spot": streams,
        "margin": streams,
        "ws-api": {"spot": f"{ws_base}/ws-api/v3"},
    }


def ccxt_ws_proxy_settings(proxy_url: str) -> dict[str, str]:
    """ccxt.pro's proxy options for an egress route: streams leave by the route too.
    ccxt takes one of wsProxy/wssProxy (either serves ws:// and wss://; both at once is
    an error)."""
    scheme = urlsplit(proxy_url).scheme.lower()
    if scheme in ("http", "https"):
        return {"wsProxy": proxy_url}
    if scheme in ("socks5", "socks5h"):
        return {"wsSocksProxy": proxy_url}
    raise PermanentExchangeError(
        f"egress route proxy scheme {scheme!r} is not supported", reason="configuration"
    )


def ccxt_proxy_settings(proxy_url: str) -> dict[str, str]:
    """ccxt's proxy option for an egress route's URL. ccxt's async client hands
    httpProxy/httpsProxy (named after the proxy's own scheme) to aiohttp, and socksProxy
    to an aiohttp-socks connector (a dependency, for SOCKS routes)."""
    scheme = urlsplit(proxy_url).scheme.lower()
    if scheme == "http":
        return {"httpProxy": proxy_url}
    if scheme == "https":
        return {"httpsProxy": proxy_url}
    if scheme in ("socks5", "socks5h"):
        return {"socksProxy": proxy_url}
    # Never quote the URL: it carries the proxy's password.
    raise PermanentExchangeError(
        f"egress route proxy scheme {scheme!r} is not supported", reason="configuration"
    )


def build_ccxt_client(
    venue: str,
    environment: CredentialEnvironment,
    *,
    config: ExchangeLayerConfig,
    credential: OpenedCredential | None = None,
    base_url: str | None = None,
    streaming: bool = False,
) -> ccxt_async.Exchange:
    """A REST client, or with `streaming` a ccxt.pro client with the same settings (its
    REST side unused) whose streams leave by the same egress route."""
    klass = pro_client_class(venue) if streaming else ccxt_client_class(venue)
    if klass is None:
        raise PermanentExchangeError(f"ccxt has no venue {venue!r}", reason="configuration")
    options: dict[str, Any] = {
        "defaultType": "spot",
        "maxRetriesOnFailure": 0,  # retries are ours, visible in order_events
        # A request older than this is refused by the venue: it bounds how long a lost
        # order request can still turn into an order (the pipeline's settle time).
        "recvWindow": config.recv_window_ms,
    }
    if venue in BINANCE_DIALECT:
        # Spot only: without these, load_markets also calls the futures exchangeInfo and,
        # with keys set, the wallet (sapi) endpoints.
        options.update(fetchMarkets={"types": ["spot"]}, fetchCurrencies=False, fetchMargins=False)
    settings: dict[str, Any] = {
        "enableRateLimit": False,  # the shared request budget throttles instead
        # A client's "last answer" is another call's as soon as two are in flight: each
        # failed call carries its own (shared.exchange.ccxt_responses); keep none here.
        "enableLastJsonResponse": False,
        "enableLastHttpResponse": False,
        "enableLastResponseHeaders": False,
        "timeout": config.timeout_ms,
        "options": options,
    }
    if credential is not None:
        settings.update(apiKey=credential.api_key, secret=credential.secret)
        if credential.passphrase:
            settings["password"] = credential.passphrase
        if credential.proxy_url is not None:
            settings.update(ccxt_proxy_settings(credential.proxy_url))
            if streaming:
                settings.update(ccxt_ws_proxy_settings(credential.proxy_url))
    client: ccxt_async.Exchange = klass(settings)
    if streaming:
        tune_keepalive(client)
    if environment is CredentialEnvironment.TESTNET:
        client.set_sandbox_mode(True)
    if environment is CredentialEnvironment.PAPER:
        base_url = config.paper_exchange_url
    if base_url is not None:
        if base_url.startswith("http://"):
            client.timeout_on_exit = 0  # ccxt waits 250 ms on close for TLS; plain HTTP needs none
        if venue not in BINANCE_DIALECT:
            raise PermanentExchangeError(
                f"a base URL override is not supported for {venue}", reason="configuration"
            )
        override_binance_urls(client, base_url)
        if streaming:
            override_binance_ws_urls(client, base_url)
    return client


class ExchangeAdapters:
    def __init__(
        self,
        config: ExchangeLayerConfig,
        *,
        breakers: BreakerRegistry,
        budgets: BudgetRegistry | None,
        weight_per_minute: Mapping[str, int],
        observer: Callable[[str], CallObserver] | None = None,
    ) -> None:
        self.config = config
        self.breakers = breakers
        self.budgets = budgets
        self._weight_per_minute = weight_per_minute
        self._observer = observer
        self._adapters: dict[str, ExchangeAdapter] = {}
        self.http_clients = HttpClients(timeout_s=config.timeout_ms / 1000)

    def _wrap(
        self,
        venue: str,
        client: ccxt_async.Exchange,
        route: str | None = None,
        stream_client: Callable[[], ccxt_async.Exchange] | None = None,
    ) -> ExchangeAdapter:
        """`route`: the egress route the client's requests leave by (budget and breaker
        are that route's), None for the process's own egress."""
        host = host_of(client)
        budget = None
        if self.budgets is not None:
            weight = self._weight_per_minute.get(venue, 1200)
            budget = self.budgets.for_venue(venue, host, weight, route=route)
        return CcxtAdapter(
            client,
            venue=venue,
            breaker=self.breakers.for_venue(venue, host, route),
            budget=budget,
            weights=BINANCE_WEIGHTS if venue in BINANCE_DIALECT else None,
            observer=self._observer(venue) if self._observer else None,
            stream_client=stream_client,
        )

    def for_credential(self, credential: OpenedCredential) -> ExchangeAdapter:
        # Keyed by the key material and the egress route too, so a rotated secret or a
        # credential moved to another route (or a route's new proxy URL) gets a fresh
        # client. The client it replaces stays until shutdown: a call may be using it.
        fingerprint = hashlib.sha256(
            "\0".join((credential.api_key, credential.secret, credential.proxy_url or "")).encode()
        ).hexdigest()
        route = credential.egress_route if credential.proxy_url is not None else None
        key = f"cred:{credential.credential_id}:{route or ''}:{fingerprint[:16]}"
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = self._adapters[key] = self._build(
                credential.exchange,
                credential.environment,
                credential=credential,
                base_url=credential.api_base_url,
                route=route,
            )
        return adapter

    def public(
        self, venue: str, environment: CredentialEnvironment, base_url: str | None = None
    ) -> ExchangeAdapter:
        """A keyless adapter for market data, shared by every bot on that endpoint."""
        key = f"public:{venue}:{environment.value}:{base_url or ''}"
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = self._adapters[key] = self._build(venue, environment, base_url=base_url)
        return adapter

    def _build(
        self,
        venue: str,
        environment: CredentialEnvironment,
        *,
        credential: OpenedCredential | None = None,
        base_url: str | None = None,
        route: str | None = None,
    ) -> ExchangeAdapter:
        """`route`: the credential's egress route (its proxy is on the credential)."""
        native = NATIVE_CONNECTORS.get(venue)
        if native is not None:
            return self._native(
                native, environment, credential=credential, base_url=base_url, route=route
            )
        client = build_ccxt_client(
            venue, environment, config=self.config, credential=credential, base_url=base_url
        )
        stream_client = None
        if venue in self.config.stream_venues and pro_client_class(venue) is not None:
            stream_client = functools.partial(
                build_ccxt_client,
                venue,
                environment,
                config=self.config,
                credential=credential,
                base_url=base_url,
                streaming=True,
            )
        return self._wrap(venue, client, route, stream_client)

    def _native(
        self,
        connector: type[NativeAdapter],
        environment: CredentialEnvironment,
        *,
        credential: OpenedCredential | None,
        base_url: str | None,
        route: str | None = None,
    ) -> NativeAdapter:
        if environment is CredentialEnvironment.PAPER:
            base_url = self.config.paper_exchange_url.rstrip("/") + connector.PAPER_PREFIX
        elif environment is CredentialEnvironment.TESTNET:
            raise PermanentExchangeError(
                f"{connector.venue} has no testnet; use paper", reason="configuration"
            )
        base_url = base_url or connector.LIVE_BASE_URL
        host = urlsplit(base_url).netloc
        proxy_url = credential.proxy_url if credential is not None else None
        budgets = (
            functools.partial(self.budgets.for_key, route=route)
            if self.budgets is not None
            else None
        )
        return connector(
            self.http_clients.get(base_url, proxy_url),
            base_url=base_url,
            credential=credential,
            breaker=self.breakers.for_venue(connector.venue, host, route),
            budgets=budgets,
            observer=self._observer(connector.venue) if self._observer else None,
        )

    async def close_all(self) -> None:
        adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            await adapter.close()
        await self.http_clients.close_all()
