"""The dashboard in a real headless Chromium against a real stack: the paper exchange,
the web (uvicorn) and a `tradebridge worker` subprocess on a database of their own, with
the demo data `tradebridge dev` sets up (the demo client, its paper credentials, the demo
bots started).

* ``stack`` (module): one running stack per test module; tests share it, so a test that
  changes something others see (a kill switch) undoes it.
* ``browser`` (session): one Chromium for the whole session, Debian's package
  (`scripts/browser` installs it; Playwright's own download is never used).
* ``page`` (function): a fresh browser context (fresh memory: sign in again), whose every
  request URL is recorded; after the test, no URL may contain the token used.

Screenshots go to the git-ignored `.artifacts/screenshots/`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from shared.db.embedded import with_database
from shared.sealing import generate_key_pair
from tests.fixtures.fix_db import create_database_from_template, drop_database
from tests.fixtures.fix_paper import PaperExchangeAdmin
from tests.fixtures.fix_web import UvicornThread, web_settings
from tests.integration.worker.processes import WorkerProcess, wait_for, worker_env
from tradebridge.dev_demo import DEMO_BOTS, demo_data, paper_account_body, start_demo_bots
from web.app import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / ".artifacts" / "screenshots"
CHROMIUM = os.environ.get("TRADEBRIDGE_CHROMIUM", "/usr/bin/chromium")
# How long the page may take to show what the stack did (polling is every 3 s).
UI_TIMEOUT_MS = 20_000
expect.set_options(timeout=10_000)


@dataclass
class Stack:
    web_url: str
    paper: PaperExchangeAdmin
    db_url: str
    admin_token: str
    token: str
    client_id: str
    credential_ids: dict[str, str]
    worker: WorkerProcess
    log_dir: Path
    worker_env: dict[str, str] = field(repr=False, default_factory=dict)

    def http(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.AsyncClient(base_url=self.web_url, headers=headers, timeout=10)

    def stop_worker(self) -> None:
        self.worker.kill()

    def restart_worker(self) -> None:
        self.worker.kill()
        self.worker = WorkerProcess(self.worker_env, self.log_dir / "worker.log")


@pytest.fixture(scope="module")
async def stack(
    pg_server_url: str,
    template_database: str,
    paper_exchange: PaperExchangeAdmin,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    name = create_database_from_template(pg_server_url, template_database, prefix="tb_browser")
    db_url = with_database(pg_server_url, name)
    keys = generate_key_pair()
    # A worker is "down" 2 s after its last heartbeat (it beats every 0.5 s here).
    settings = web_settings(db_url, keys, worker_stalled_after_s=2.0)
    server = UvicornThread(create_app(settings))
    await server.start()
    log_dir = tmp_path_factory.mktemp("browser-stack")
    env = worker_env(db_url, paper_exchange.url, keys)
    worker = WorkerProcess(env, log_dir / "worker.log")
    try:
        secrets = {
            "PAPER_API_KEY": os.urandom(16).hex(), "PAPER_SECRET": os.urandom(32).hex(),
            "PAPER_MEMO": os.urandom(4).hex(), "TRADEBRIDGE_SEALING_KEY_ID": keys.key_id,
            "TRADEBRIDGE_SEALING_PUBLIC_KEY": keys.public_key_b64,
        }  # fmt: skip
        await paper_exchange.admin("POST", "/accounts", json=paper_account_body(secrets))
        token, credential_ids = await demo_data(db_url, secrets)
        await asyncio.to_thread(start_demo_bots, server.url, token, credential_ids)
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
            me = (await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()

            async def worker_live() -> bool:
                return (await http.get("/health/worker")).status_code == 200

            await wait_for(worker_live, 30, "a live worker", on_timeout=worker.tail)
        yield Stack(
            web_url=server.url, paper=paper_exchange, db_url=db_url,
            admin_token=settings.admin_token or "", token=token, client_id=me["client_id"],
            credential_ids=credential_ids, worker=worker, log_dir=log_dir, worker_env=env,
        )  # fmt: skip
    finally:
        worker.kill()
        await server.stop()
        drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; never a silent skip when it is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run scripts/browser (scripts/test does)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class RecordedPage:
    page: Page
    context: BrowserContext
    urls: list[str]
    dialogs: list[str]


@pytest.fixture
async def page(browser: Browser, stack: Stack) -> AsyncIterator[RecordedPage]:
    context = await browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    urls: list[str] = []
    dialogs: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    page = await context.new_page()

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield RecordedPage(page, context, urls, dialogs)
    finally:
        await context.close()
    assert urls, "the test made no request"
    for secret in (stack.token, stack.admin_token):
        leaked = [url for url in urls if secret in url]
        assert not leaked, f"a token appeared in a requested URL: {leaked}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


async def sign_in(page: Page, stack: Stack, token: str | None = None) -> None:
    await page.goto(f"{stack.web_url}/dashboard")
    await page.fill("#token", token or stack.token)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#nav:not([hidden])")


__all__ = ["DEMO_BOTS", "RecordedPage", "Stack", "sign_in"]
