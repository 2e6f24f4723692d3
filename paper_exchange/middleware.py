"""What wraps every venue API request: counters, faults, error bodies, in each dialect.

The paper exchange speaks several venues' REST dialects over one engine. A
:class:`Dialect` says where its routes live (a path prefix), which header carries the
API key (faults and counters are per key), and how its venue spells an error or an
injected ``http_*`` fault. Everything else a fault does (drop, hang, delay, process then
drop / 504 / hang) is the same in every dialect, and lives here once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from paper_exchange import errors
from paper_exchange.binance_weights import request_weight
from paper_exchange.faults import PROCESSING_KINDS, Fault
from paper_exchange.state import STATE_KEY, PaperState, now_ms
from paper_exchange.weights import Charge

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Dialect:
    name: str
    prefix: str  # every route of the dialect starts with it, e.g. "/api/"
    api_key_header: str
    # The venue's answer for an error its handlers (or the shared engine) raised; None
    # for an exception the dialect does not know, which then propagates.
    render_error: Callable[[Exception], web.Response | None]
    # The venue's answer for an injected http_503 / http_500 / http_429 / http_418.
    render_fault: Callable[[Fault], web.Response]
    # Binance's request weights: charged per IP, limited and reported in X-MBX-USED-WEIGHT.
    counts_weight: bool = False


GATEWAY_TIMEOUT_HTML = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n"
    "<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n"
)


def drop_connection(request: web.Request) -> web.Response:
    """Close the TCP connection without a response.

    The returned response is never sent: aiohttp fails to write it to the closed
    transport with a ConnectionError, which it treats as a client disconnect.
    """
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=499, text="connection dropped by fault injection")


async def _hang(state: PaperState, seconds: float) -> None:
    """Wait ``seconds`` or until the server shuts down, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.shutdown.wait(), timeout=seconds)


def _binance_error(err: Exception) -> web.Response | None:
    if not isinstance(err, errors.BinanceError):
        return None
    return web.json_response(err.body(), status=err.status, headers=err.headers)


def _binance_fault(fault: Fault) -> web.Response:
    retry = {"Retry-After": str(fault.retry_after_s)}
    if fault.kind == "http_503":
        body = fault.body if fault.body is not None else {"msg": "Service Unavailable."}
        return web.json_response(body, status=503)
    if fault.kind == "http_500":
        default = {
            "code": -1001,
            "msg": "Internal error; unable to process your request. Please try again.",
        }
        return web.json_response(fault.body if fault.body is not None else default, status=500)
    if fault.kind == "http_429":
        err = errors.too_many_requests(6000)
        body = fault.body if fault.body is not None else err.body()
        return web.json_response(body, status=429, headers=retry)
    err = errors.ip_banned(now_ms() + fault.retry_after_s * 1000)
    body = fault.body if fault.body is not None else err.body()
    return web.json_response(body, status=418, headers=retry)


BINANCE = Dialect(
    name="binance",
    prefix="/api/",
    api_key_header="X-MBX-APIKEY",
    render_error=_binance_error,
    render_fault=_binance_fault,
    counts_weight=True,
)


async def _request_params(request: web.Request) -> dict[str, str]:
    """The query merged over the body, as the Binance routes merge them (``read_params``)."""
    body = (await request.read()).decode("utf-8", "replace") if request.body_exists else ""
    params = dict(parse_qsl(body))
    params.update(parse_qsl(request.rel_url.raw_query_string))
    return params


async def _charge_request(request: web.Request, state: PaperState) -> Charge:
    """Charge a Binance-dialect request its documented weight to the client's IP."""
    weight = request_weight(request.method, request.path, await _request_params(request))
    return state.weights.charge(request.remote or "unknown", weight)


async def _run(
    request: web.Request, handler: Handler, state: PaperState, dialect: Dialect
) -> web.StreamResponse:
    charge: Charge | None = None
    try:
        if dialect.counts_weight:
            charge = await _charge_request(request, state)
            refusal = charge.error()
            if refusal is not None:
                raise refusal
        response = await handler(request)
    except Exception as err:
        rendered = dialect.render_error(err)
        if rendered is None:
            raise
        response = rendered
    if charge is not None:
        response.headers.update(charge.headers())
    return response


def dialect_middleware(dialects: Sequence[Dialect]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The middleware for every dialect's routes; other paths (the admin API) pass by."""

    @web.middleware
    async def venue_api(request: web.Request, handler: Handler) -> web.StreamResponse:
        dialect = next((d for d in dialects if request.path.startswith(d.prefix)), None)
        if dialect is None:
            return await handler(request)
        state = request.app[STATE_KEY]
        if request.body_exists:
            # Read (and cache) the body now: a request the venue received stays
            # processable after the client hung up during an injected delay.
            await request.read()
        api_key = request.headers.get(dialect.api_key_header) or None
        state.counters.record(request.method, request.path, api_key)
        fault = state.faults.take(request.method, request.path, api_key)
        if fault is None:
            return await _run(request, handler, state, dialect)
        if fault.kind.startswith("http_"):
            return dialect.render_fault(fault)
        if fault.kind == "drop":
            return drop_connection(request)
        if fault.kind == "hang":
            await _hang(state, fault.hang_s)
            return drop_connection(request)
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay_s)
        assert fault.kind in PROCESSING_KINDS
        response = await _run(request, handler, state, dialect)
        if fault.kind == "accept_then_drop":
            return drop_connection(request)
        if fault.kind == "accept_then_504":
            return web.Response(text=GATEWAY_TIMEOUT_HTML, status=504, content_type="text/html")
        if fault.kind == "accept_then_hang":
            await _hang(state, fault.hang_s)
            return drop_connection(request)
        return response

    return venue_api
