"""A real ``ccxt.async_support.binance`` client pointed at the paper exchange.

The recipe, and why each setting is there (the project's exchange adapter copies
it, minus the URL override, for the real venue):

``urls['api']``
    Every Binance API section is redirected to the paper exchange. Only ``public``
    and ``private`` (both ``<base>/api/v3``) are served; all other sections
    (``sapi``, ``fapi*``, ``dapi*``, ...) point at ``<base>/<section>`` too, so an
    accidental call gets a local 404 (ccxt: ExchangeNotAvailable) instead of leaving
    the machine. ``set_sandbox_mode`` must *not* be called: it swaps in testnet URLs.
``options['fetchMarkets'] = {'types': ['spot']}``
    ``load_markets`` otherwise also calls the USD-M and COIN-M futures
    ``exchangeInfo`` (fapi/dapi).
``options['fetchCurrencies'] = False``
    With credentials set, ``load_markets`` otherwise calls the private
    ``sapi/v1/capital/config/getall`` (wallet currencies), which is not spot trading.
``options['fetchMargins'] = False``
    With credentials set, ``fetch_markets`` otherwise calls ``sapi`` margin
    ``allPairs``/``isolated/allPairs`` to fill ``marginModes``.
``options['defaultType'] = 'spot'``
    Already ccxt's default for binance; pinned so balance/order calls stay on
    ``/api/v3`` whatever ccxt's defaults become.
``enableRateLimit = False``
    ccxt's client-side throttle only slows tests down on a local venue.

``paper_binance_pro`` builds the ``ccxt.pro`` client the same way and also points its
stream URLs here: ``urls['api']['ws']['spot']`` (market streams, ``ws://<base>/ws``)
and ``urls['api']['ws']['ws-api']['spot']`` (the WebSocket API, ``ws://<base>/ws-api/v3``,
where ccxt subscribes the spot user-data stream with
``userDataStream.subscribe.signature``).

Nothing else is needed: signing (HMAC-SHA256, ``X-MBX-APIKEY``, ``timestamp`` +
``recvWindow`` = ccxt's 10 s default), order params and response parsing are
ccxt's own. Note that ccxt picks its *spot-specific* error map by the URL
(``https://api.binance.com/...``); on any other host only its generic Binance map
applies. For the codes the paper exchange emits both maps agree.
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

# Keyword arguments that are exchange settings rather than ``options`` entries.
_TOP_LEVEL = frozenset({"timeout", "enableRateLimit", "verbose", "rateLimit", "userAgent"})


def _settings(
    base_url: str, api_key: str, secret: str, extra_options: dict[str, Any]
) -> dict[str, Any]:
    """The constructor settings of a ccxt binance client trading spot on ``base_url``."""
    base = base_url.rstrip("/")
    template = ccxt_async.binance()
    try:
        sections = dict(template.urls["api"])
    finally:
        # A throwaway instance opens no session until its first request.
        del template
    api_urls: dict[str, Any] = {name: f"{base}/{name}" for name in sections}
    api_urls["public"] = api_urls["private"] = f"{base}/api/v3"
    api_urls["v1"] = f"{base}/api/v1"

    settings: dict[str, Any] = {
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "urls": {"api": api_urls},
    }
    options: dict[str, Any] = {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "defaultType": "spot",
    }
    for key, value in extra_options.items():
        if key in _TOP_LEVEL:
            settings[key] = value
        else:
            options[key] = value
    settings["options"] = options
    return settings


def paper_binance(
    base_url: str, api_key: str, secret: str, **extra_options: Any
) -> ccxt_async.binance:
    """A ccxt async binance client trading spot on the paper exchange at ``base_url``.

    ``extra_options`` go into ``exchange.options`` (e.g. ``recvWindow=5000``,
    ``timeDifference=...``), except ``timeout`` (ms), ``enableRateLimit``,
    ``verbose``, ``rateLimit`` and ``userAgent``, which are exchange settings.
    The caller owns the client and must ``await client.close()``.
    """
    return ccxt_async.binance(_settings(base_url, api_key, secret, extra_options))


def paper_binance_pro(
    base_url: str,
    api_key: str,
    secret: str,
    *,
    streaming: dict[str, Any] | None = None,
    **extra_options: Any,
) -> ccxt_pro.binance:
    """A ``ccxt.pro`` binance client: REST as :func:`paper_binance`, streams on the
    paper exchange too (``ws://<host>/ws`` market streams, ``/ws-api/v3`` WebSocket API).

    Every other stream section points at ``ws://<host>/<section>`` (a local 404).
    ``streaming`` is merged into ccxt's ``exchange.streaming`` (e.g. ``{"keepAlive":
    1000, "maxPingPongMisses": 2}``: ping every second, give up after two missed pongs;
    Binance's default keepAlive is 180 s).
    """
    settings = _settings(base_url, api_key, secret, extra_options)
    ws_base = "ws" + base_url.rstrip("/").removeprefix("http")
    template = ccxt_pro.binance()
    try:
        ws_sections = dict(template.urls["api"]["ws"])
        keep = dict(template.streaming)
    finally:
        del template
    ws_urls: dict[str, Any] = {name: f"{ws_base}/{name}" for name in ws_sections}
    ws_urls["spot"] = ws_urls["margin"] = f"{ws_base}/ws"
    ws_urls["ws-api"] = {name: f"{ws_base}/ws-api/{name}" for name in ws_sections["ws-api"]} | {
        "spot": f"{ws_base}/ws-api/v3"
    }
    settings["urls"]["api"]["ws"] = ws_urls
    settings["streaming"] = keep | (streaming or {})
    return ccxt_pro.binance(settings)
