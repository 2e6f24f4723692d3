"""Native (httpx) connectors send a routed credential's requests through its egress
route's proxy, on the route's budget; other credentials' go direct.

BitMart and Coinstore connectors plug into the same factory path; this test registers
a minimal connector of its own (a signed GET whose "signature" is the API key in a
header) against a local IP-echo server, so it proves the path over real HTTP whichever
connectors exist."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.domain import CredentialEnvironment
from shared.exchange import factory
from shared.exchange.errors import AmbiguousExchangeError, TransientExchangeError
from shared.exchange.native import NativeAdapter, RateLimit, VenueAnswer
from shared.exchange.types import OpenedCredential
from tests.fixtures.forward_proxy import running_ip_echo, running_proxy
from tests.integration.exchange.conftest import make_adapters


class EchoConnector(NativeAdapter):
    venue = "binance"  # a venue row exists for it; the budget key only needs a code
    LIVE_BASE_URL = "http://127.0.0.1:9"
    PAPER_PREFIX = ""
    RATE_LIMITS: ClassVar[Mapping[str, RateLimit]] = {"whoami": RateLimit("public", 600)}

    def sign(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        assert self.credential is not None
        return {"X-MBX-APIKEY": self.credential.api_key}

    def unwrap(self, answer: VenueAnswer, *, operation: str, sends_order: bool) -> Any:
        return answer.body.decode().strip()

    async def whoami(self) -> str:
        answer: str = await self._read("whoami", "GET", "/ip", signed=True)
        return answer


def credential(api_key: str, base_url: str, proxy_url: str | None) -> OpenedCredential:
    return OpenedCredential(
        credential_id=str(uuid.uuid4()), client_id=str(uuid.uuid4()), exchange="binance",
        environment=CredentialEnvironment.LIVE, api_key=api_key, secret="s",
        api_base_url=base_url, egress_route="r1" if proxy_url else None, proxy_url=proxy_url,
    )  # fmt: skip


async def test_a_routed_credential_s_native_calls_go_through_its_proxy(
    db_pool: AsyncConnectionPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(factory.NATIVE_CONNECTORS, "binance", EchoConnector)
    layer = make_adapters(db_pool, "http://127.0.0.1:9")
    try:
        async with running_ip_echo() as echo_url, running_proxy("u", "p") as proxy:
            base = echo_url.removesuffix("/ip")
            routed = layer.for_credential(credential("routed-key", base, proxy.url))
            direct = layer.for_credential(credential("direct-key", base, None))
            assert isinstance(routed, EchoConnector)
            assert isinstance(direct, EchoConnector)

            # The echo server sees the proxy's outbound address for the routed one only.
            assert await routed.whoami() == "127.0.0.2"
            assert await direct.whoami() == "127.0.0.1"
            assert [r.headers.get("x-mbx-apikey") for r in proxy.requests] == ["routed-key"]
            assert routed.breaker is not direct.breaker
    finally:
        await layer.close_all()

    async with db_pool.connection() as conn:
        cur = await conn.execute("SELECT DISTINCT egress FROM venue_request_budgets ORDER BY 1")
        egresses = [row[0] for row in await cur.fetchall()]
    assert egresses == ["route:r1", "test"]


@asynccontextmanager
async def silent_proxy() -> AsyncIterator[str]:
    """A proxy that accepts connections and never says a word (a SOCKS handshake that
    never ends: httpcore puts no timeout on it)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield f"socks5://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in held:
            writer.close()
        server.close()


@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_a_proxy_that_never_answers_times_out_like_a_venue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every native call has an overall deadline (the client's connect + write + read +
    pool timeouts): a read through a silent proxy is a transient timeout, a send an
    ambiguous one, never a job hanging until the proxy hangs up."""
    monkeypatch.setitem(factory.NATIVE_CONNECTORS, "binance", EchoConnector)
    layer = make_adapters(None, "http://127.0.0.1:9")  # timeouts of 1.5 s
    try:
        async with silent_proxy() as proxy_url:
            adapter = layer.for_credential(credential("k", "http://127.0.0.1:9", proxy_url))
            assert isinstance(adapter, EchoConnector)
            started = time.monotonic()
            with pytest.raises(TransientExchangeError) as read:
                await adapter._request("whoami", "GET", "/ip", signed=True)
            with pytest.raises(AmbiguousExchangeError) as send:
                await adapter._send("whoami", "POST", "/order", body={}, sends_order=True)
            elapsed = time.monotonic() - started
    finally:
        await layer.close_all()
    reasons = (read.value.reason, send.value.reason)
    # httpcore leaves the socket of a handshake cut short to the garbage collector: let
    # it go here (the errors' tracebacks hold it), not in whichever test runs next.
    del read, send
    gc.collect()
    assert reasons == ("timeout", "timeout")
    assert elapsed < 2 * 4 * 1.5 + 2, elapsed
