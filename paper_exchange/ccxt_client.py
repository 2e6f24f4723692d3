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

Nothing else is needed: signing (HMAC-SHA256, ``X-MBX-APIKEY``, ``timestamp`` +
``recvWindow`` = ccxt's 10 s default), order params and response parsing are
ccxt's own. Note that ccxt picks its *spot-specific* error map by the URL
(``https://api.binance.com/...``); on any other host only its generic Binance map
applies. For the codes the paper exchange emits both maps agree.
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async

# Keyword arguments that are exchange settings rather than ``options`` entries.
_TOP_LEVEL = frozenset({"timeout", "enableRateLimit", "verbose", "rateLimit", "userAgent"})


def paper_binance(
    base_url: str, api_key: str, secret: str, **extra_options: Any
) -> ccxt_async.binance:
    """A ccxt async binance client trading spot on the paper exchange at ``base_url``.

    ``extra_options`` go into ``exchange.options`` (e.g. ``recvWindow=5000``,
    ``timeDifference=...``), except ``timeout`` (ms), ``enableRateLimit``,
    ``verbose``, ``rateLimit`` and ``userAgent``, which are exchange settings.
    The caller owns the client and must ``await client.close()``.
    """
    base = base_url.rstrip("/")
    template = ccxt_async.binance()
    try:
        sections = dict(template.urls["api"])
    finally:
        # A throwaway instance opens no session until its first request.
        del template
    api_urls = {name: f"{base}/{name}" for name in sections}
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
    return ccxt_async.binance(settings)
