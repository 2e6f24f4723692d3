"""Log lines carry their ids (request, client, job, order) and never a secret: checked on
real JSON lines from the web process and the worker, as an operator would grep them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from shared.logs import configure_logging
from shared.settings import load_settings
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_web import WebServer
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.web.support import create_credential

SECRET = "s3cr3t-VALUE-that-must-never-be-logged"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Production logging (JSON) into a buffer, for this test only."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(load_settings({"TRADEBRIDGE_LOG_FORMAT": "json"}), process="test")
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


async def test_web_lines_carry_request_and_client_ids_and_no_secret(
    web: WebServer, json_logs: io.StringIO
) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        await create_credential(http, secret=SECRET, api_key="KEY-" + SECRET)
        await http.get("/v1/orders")
    lines = _lines(json_logs)
    requests = [line for line in lines if line.get("client_id") == str(alice.id)]
    assert requests, lines[-5:]
    assert all(line.get("request_id") for line in requests)
    assert SECRET not in json_logs.getvalue()
    assert alice.token not in json_logs.getvalue()


async def test_worker_lines_carry_job_and_order_ids(
    worker: WorkerHarness, paper_account: PaperAccount, json_logs: io.StringIO
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "filled"))
    placed = [line for line in _lines(json_logs) if line.get("event") == "order placed"]
    assert placed, _lines(json_logs)[-5:]
    assert placed[0]["order_id"] == str(order_id)
    assert isinstance(placed[0]["job_id"], int)
    assert paper_account.secret not in json_logs.getvalue()
