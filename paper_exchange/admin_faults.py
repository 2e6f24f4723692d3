"""The admin API's fault injection (REST and stream faults) and stream listing.

``POST /_admin/faults`` takes a REST kind (``faults.py``) or a ``stream_*`` kind
(``stream_faults.py``); both share one id space, so ``DELETE /_admin/faults/{id}`` and
``GET /_admin/faults`` cover both.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from paper_exchange.admin_api import PREFIX, AdminError, json_body
from paper_exchange.state import STATE_KEY, PaperState
from paper_exchange.stream_faults import IMMEDIATE_KINDS, is_stream_fault


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


def _add_stream_fault(state: PaperState, body: dict[str, Any]) -> dict[str, Any]:
    """A ``stream_*`` fault: drop/stall act on the open connections at once."""
    try:
        fault = state.stream_faults.add(
            str(body["kind"]),
            times=int(body.get("times", 1)),
            stream=body.get("stream"),
            api_key=body.get("api_key"),
            stall_s=float(body.get("stall_s", 3600.0)),
        )
    except (TypeError, ValueError) as err:
        raise AdminError(str(err)) from None
    if fault.kind in IMMEDIATE_KINDS:
        state.streams.apply(fault)
    return fault.to_json()


async def add_fault(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_body(request)
    if is_stream_fault(str(body.get("kind", ""))):
        return web.json_response(_add_stream_fault(state, body), status=201)
    try:
        fault = state.faults.add(
            str(body.get("kind", "")),
            str(body.get("method", "*")),
            str(body.get("path", "")),
            times=int(body.get("times", 1)),
            api_key=body.get("api_key"),
            retry_after_s=int(body.get("retry_after_s", 60)),
            hang_s=float(body.get("hang_s", 3600.0)),
            delay_s=float(body.get("delay_s", 1.0)),
            body=body.get("body"),
        )
    except (TypeError, ValueError) as err:
        raise AdminError(str(err)) from None
    return web.json_response(fault.to_json(), status=201)


async def list_faults(request: web.Request) -> web.Response:
    state = _state(request)
    faults = [f.to_json() for f in state.faults.list()]
    faults += [f.to_json() for f in state.stream_faults.list()]
    return web.json_response(faults)


async def clear_faults(request: web.Request) -> web.Response:
    state = _state(request)
    api_key = request.query.get("api_key")
    cleared = state.faults.clear(api_key) + state.stream_faults.clear(api_key)
    return web.json_response({"cleared": cleared})


async def delete_fault(request: web.Request) -> web.Response:
    state = _state(request)
    fault_id = int(request.match_info["fault_id"])
    if not (state.faults.remove(fault_id) or state.stream_faults.remove(fault_id)):
        raise AdminError("unknown fault", status=404)
    return web.json_response({"cleared": 1})


async def list_streams(request: web.Request) -> web.Response:
    """The open stream connections: ``stream`` (user | market), the API keys subscribed
    (user) or the stream names (market)."""
    connections = _state(request).streams.connections()
    return web.json_response(
        [
            {"stream": c.stream, "api_keys": sorted(c.api_keys), "streams": c.stream_names}
            for c in connections
        ]
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post(f"{PREFIX}/faults", add_fault)
    r.add_get(f"{PREFIX}/faults", list_faults)
    r.add_delete(f"{PREFIX}/faults", clear_faults)
    r.add_delete(f"{PREFIX}/faults/{{fault_id}}", delete_fault)
    r.add_get(f"{PREFIX}/streams", list_streams)
