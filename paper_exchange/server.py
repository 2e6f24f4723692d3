"""App factory and ways to run the paper exchange (in-loop, in a thread).

* :func:`create_app` builds the aiohttp application.
* :func:`running_paper_exchange` serves it on the current event loop.
* :class:`PaperExchangeThread` serves it from a dedicated thread with its own loop,
  so it stays reachable while the caller's loop is blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

from paper_exchange import (
    admin_api,
    admin_faults,
    binance_api,
    binance_order_lists,
    bitmart_api,
    coinstore_api,
    market_streams,
    ws_api,
)
from paper_exchange.coinstore_errors import COINSTORE
from paper_exchange.config import PaperConfig, SymbolSpec, default_symbols
from paper_exchange.middleware import BINANCE, Dialect, dialect_middleware
from paper_exchange.state import STATE_KEY, PaperState, now_ms
from paper_exchange.weights import WEIGHT_LEDGER_KEY

__all__ = [
    "PaperConfig",
    "PaperExchangeHandle",
    "PaperExchangeThread",
    "SymbolSpec",
    "create_app",
    "default_symbols",
    "running_paper_exchange",
]

log = logging.getLogger("paper_exchange")

SHUTDOWN_TIMEOUT_S = 2.0

# The venues' dialects the paper exchange speaks, each under its own path prefix, and the
# functions that add their routes.
DIALECTS: tuple[Dialect, ...] = (BINANCE, bitmart_api.BITMART, COINSTORE)
DIALECT_ROUTES: tuple[Callable[[web.Application], None], ...] = (
    binance_api.add_routes,
    binance_order_lists.add_routes,
    bitmart_api.add_routes,
    coinstore_api.add_routes,
)


async def _walk_forever(state: PaperState) -> None:
    interval = state.config.walk_interval_s
    while True:
        await asyncio.sleep(interval)
        for symbol in state.market.symbols:
            state.engine.step(symbol, 1, now_ms())


async def _random_walk(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE_KEY]
    task: asyncio.Task[None] | None = None
    if state.config.walk_interval_s > 0:
        task = asyncio.create_task(_walk_forever(state), name="paper-exchange-walk")
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _release_hangs(app: web.Application) -> None:
    state = app[STATE_KEY]
    state.shutdown.set()
    # Open WebSockets would hold the shutdown until its timeout (a stalled one forever).
    state.streams.drop_all()


def create_app(config: PaperConfig | None = None) -> web.Application:
    """The paper exchange as an aiohttp application (each dialect's API + ``/_admin``)."""
    app = web.Application(middlewares=[dialect_middleware(DIALECTS), admin_api.admin_errors])
    state = PaperState.build(config or PaperConfig())
    app[STATE_KEY] = state
    app[WEIGHT_LEDGER_KEY] = state.weights  # for weights.charge_weight (other transports)
    for add_routes in DIALECT_ROUTES:
        add_routes(app)
    # Binance's WebSocket API and market streams, on the same port as its REST API.
    ws_api.add_routes(app)
    market_streams.add_routes(app)
    admin_api.add_routes(app)
    admin_faults.add_routes(app)
    app.cleanup_ctx.append(_random_walk)
    app.on_shutdown.append(_release_hangs)
    return app


@dataclass(frozen=True)
class PaperExchangeHandle:
    """A running paper exchange: its base ``url`` (no trailing slash) and app."""

    url: str
    app: web.Application

    @property
    def state(self) -> PaperState:
        """Direct access to the venue's state; only from the loop that serves it."""
        return self.app[STATE_KEY]


@contextlib.asynccontextmanager
async def running_paper_exchange(
    config: PaperConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[PaperExchangeHandle]:
    """Serve the paper exchange on the current loop; ``port=0`` picks a free port."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        handle = PaperExchangeHandle(url=f"http://{url_host}:{bound_port}", app=app)
        log.info("paper exchange listening on %s", handle.url)
        yield handle
    finally:
        await runner.cleanup()


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (as the web and the worker run): the thread serves every
    order of a benchmark or a test run."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class PaperExchangeThread:
    """The paper exchange in its own thread and event loop.

    ``start()`` returns the URL once the server accepts connections; ``stop()`` shuts
    it down and joins the thread. Usable as a context manager.
    """

    def __init__(
        self, config: PaperConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or PaperConfig()
        self.host = host
        self.port = port
        self.url: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> str:
        if self._thread is not None:
            raise RuntimeError("PaperExchangeThread already started")
        self._thread = threading.Thread(target=self._run, name="paper-exchange", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("paper exchange did not start in time")
        if self._error is not None:
            raise RuntimeError("paper exchange failed to start") from self._error
        assert self.url is not None
        return self.url

    def _run(self) -> None:
        loop = _new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop_event = asyncio.Event()
        try:
            async with running_paper_exchange(self.config, self.host, self.port) as handle:
                self.url = handle.url
                self._ready.set()
                await self._stop_event.wait()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            if not isinstance(exc, Exception):
                raise

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop_event, thread = self._loop, self._stop_event, self._thread
        if thread is None:
            return
        if loop is not None and stop_event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> PaperExchangeThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
