"""The dashboard driven in headless Chromium against web + worker + paper exchange.

Tests run in file order on one stack (tests/browser/conftest.py); a test that engages a
kill switch releases it, and the worker is stopped only by the last test.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.async_api import Locator, expect

from tests.browser.conftest import DEMO_BOTS, UI_TIMEOUT_MS, RecordedPage, Stack, sign_in
from web.dashboard.security import CONTENT_SECURITY_POLICY

# What the dashboard brief demands of the policy, directive by directive.
REQUIRED_CSP = (
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
)  # fmt: skip


def named(page: RecordedPage, bot_name: str) -> Locator:
    """The overview's link to the bot of exactly this name."""
    exact = re.compile(f"^{re.escape(bot_name)}$")
    return page.page.get_by_test_id("bot-name").filter(has_text=exact)


async def test_every_dashboard_response_carries_the_strict_policy(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.web_url) as http:
        for path in ("/dashboard", "/dashboard/static/js/app.js", "/dashboard/static/nope.js"):
            response = await http.get(path)
            policy = response.headers["content-security-policy"]
            assert all(directive in policy.split("; ") for directive in REQUIRED_CSP), path
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        shell = (await http.get("/dashboard")).text
        # No inline script or style for the policy to block: scripts come by src only.
        for inline in ("<script>", "style=", "onclick", "onload"):
            assert inline not in shell
        # The API keeps its own headers (Swagger UI needs its CDN scripts).
        assert "content-security-policy" not in (await http.get("/health")).headers


async def test_sign_in_shows_the_demo_bots_live(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    response = await page.page.goto(f"{stack.web_url}/dashboard")
    assert response is not None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # A wrong token is refused on the form, and the page stays on it.
    await page.page.fill("#token", "tb_not-a-token")
    await page.page.click("#login-form button[type=submit]")
    await expect(page.page.locator("[data-error-for=token]")).to_contain_text("not valid")
    await expect(page.page.locator("#nav")).to_be_hidden()
    await sign_in(page.page, stack)
    rows = page.page.get_by_test_id("bot-row")
    await expect(rows).to_have_count(len(DEMO_BOTS))
    for bot in DEMO_BOTS:
        await expect(named(page, bot.name)).to_be_visible()
    await expect(page.page.get_by_test_id("worker-health")).to_have_attribute("data-state", "up")
    # Live: the demo spread bot's quotes show up without a reload.
    spread = rows.filter(has=named(page, "demo-spread"))
    await expect(spread.locator("td").nth(5)).not_to_have_text("0", timeout=UI_TIMEOUT_MS)
    await page.page.screenshot(path=screenshots / "overview.png", full_page=True)
    # The README's picture (docs/dashboard-overview.png is a copy of one such run).
    top = {"x": 0, "y": 0, "width": 1360, "height": 620}
    await page.page.screenshot(path=screenshots / "overview-top.png", clip=top)
    await page.page.set_viewport_size({"width": 390, "height": 844})
    await page.page.screenshot(path=screenshots / "overview-phone.png", full_page=True)


async def test_a_bot_named_like_a_script_is_shown_as_text(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    name = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    async with stack.http() as http:
        created = await http.post(
            "/v1/bots",
            json={"name": name, "kind": "spread", "credential_id": stack.credential_ids["paper"],
                  "symbol": "BTC/USDT", "config": {"spread_bps": "50", "order_size": "0.001"}},
        )  # fmt: skip
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    await sign_in(page.page, stack)
    shown = named(page, name)
    await expect(shown).to_be_visible()
    await shown.click()
    await expect(page.page.get_by_test_id("bot-title")).to_have_text(name)
    # Only the shell's own module script exists; nothing was parsed out of the name.
    assert await page.page.locator("script").count() == 1
    assert await page.page.locator("img[src=x]").count() == 0
    await page.page.screenshot(path=screenshots / "bot-script-name.png", full_page=True)
    assert page.dialogs == []
    async with stack.http() as http:
        await http.delete(f"/v1/bots/{bot_id}")


async def test_add_a_credential_create_a_bot_and_watch_its_first_quotes(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    account = await stack.paper.create_account()
    label = f"browser-{uuid.uuid4().hex[:6]}"
    await sign_in(page.page, stack)
    await page.page.click("a[data-nav=credentials]")
    await page.page.click("text=Add a credential")
    form = page.page.get_by_test_id("credential-form")
    await form.locator("select[name=exchange]").select_option("binance")
    await form.locator("select[name=environment]").select_option("paper")
    await form.locator("input[name=label]").fill(label)
    await form.locator("input[name=api_key]").fill(account.api_key)
    await form.locator("input[name=secret]").fill(account.secret)
    await form.locator("button[type=submit]").click()
    row = page.page.get_by_test_id("credential-row").filter(has_text=label)
    await expect(row).to_be_visible()
    # Sealed on the way in: the page holds no copy of the secret, the form is cleared.
    assert account.secret not in await page.page.content()
    await expect(form.locator("input[name=secret]")).to_have_value("")

    await page.page.click("a[data-nav=overview]")
    await page.page.click("text=New bot")
    bot_form = page.page.get_by_test_id("new-bot-form")
    await bot_form.locator("input[name=name]").fill(f"{label}-spread")
    await bot_form.locator("select[name=credential_id]").select_option(label=f"{label} (binance)")
    await bot_form.locator("input[name=symbol]").fill("BTC/USDT")
    await bot_form.locator("input[name='config.spread_bps']").fill("40")
    await bot_form.locator("input[name='config.order_size']").fill("0.002")
    await bot_form.locator("button[type=submit]").click()
    await expect(page.page.get_by_test_id("bot-title")).to_have_text(f"{label}-spread")
    # The worker ticks the new bot and its quotes reach the venue: two legs, live.
    quotes = page.page.get_by_test_id("quote-row")
    await expect(quotes).to_have_count(2, timeout=UI_TIMEOUT_MS)
    await expect(quotes.filter(has_text="open")).to_have_count(2, timeout=UI_TIMEOUT_MS)
    await page.page.screenshot(path=screenshots / "bot.png", full_page=True)
    venue_orders = await stack.paper.orders(api_key=account.api_key, symbol="BTCUSDT")
    assert len([o for o in venue_orders if o["status"] == "NEW"]) == 2


async def test_a_rejected_config_shows_the_error_on_the_field_the_api_names(
    page: RecordedPage, stack: Stack
) -> None:
    await sign_in(page.page, stack)
    await named(page, "demo-spread-bitmart").click()
    form = page.page.get_by_test_id("bot-config-form")
    await form.locator("input[name='config.spread_bps']").fill("20000")
    await form.locator("button[type=submit]").click()
    error = form.locator("[data-error-for='config.spread_bps']")
    await expect(error).to_have_text("must be at most 10000 (100 %)")
    await expect(form.locator("input[name='config.spread_bps']")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert await form.locator("[data-error-for='config.order_size']").inner_text() == ""
    async with stack.http() as http:
        bots = (await http.get("/v1/bots")).json()
    assert (
        next(b for b in bots if b["name"] == "demo-spread-bitmart")["config"]["spread_bps"] == "20"
    )


async def test_place_an_order_with_a_double_click_then_cancel_it(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    mid = Decimal((await stack.paper.market("BTCUSDT"))["mid"])
    price = str((mid * Decimal("0.95")).quantize(Decimal("0.01")))
    amount = "0.00123"
    await sign_in(page.page, stack)
    await page.page.click("a[data-nav=orders]")
    form = page.page.get_by_test_id("order-form")
    await form.locator("select[name=credential_id]").select_option(label="paper (binance)")
    await form.locator("select[name=type]").select_option("limit")
    await form.locator("input[name=amount]").fill(amount)
    await form.locator("input[name=price]").fill(price)
    await form.locator("select[name=time_in_force]").select_option("GTC")
    await page.page.get_by_test_id("place-order").dblclick()
    await expect(page.page.get_by_test_id("place-result")).to_contain_text("Order")

    async with stack.http() as http:
        orders = (await http.get("/v1/orders", params={"side": "buy", "limit": 200})).json()
    mine = [o for o in orders["items"] if o["amount"] == amount and o["source"] == "api"]
    assert len(mine) == 1, "a double click placed one order (one Idempotency-Key per form)"
    order_id = mine[0]["id"]

    row = page.page.locator(f"[data-testid=order-row][data-order-id='{order_id}']")
    await expect(row).to_contain_text("open", timeout=UI_TIMEOUT_MS)
    await page.page.screenshot(path=screenshots / "orders.png", full_page=True)
    await row.get_by_test_id("cancel-order").click()
    await expect(row).to_contain_text("canceled", timeout=UI_TIMEOUT_MS)

    await row.locator("a").first.click()
    timeline = page.page.get_by_test_id("order-event")
    await expect(timeline.filter(has_text="→ canceled")).to_have_count(1)
    await expect(timeline.filter(has_text="create_order: ok")).to_have_count(1)
    await page.page.screenshot(path=screenshots / "order.png", full_page=True)


async def test_the_volume_bot_page_charts_its_fills(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    await sign_in(page.page, stack)
    await named(page, "demo-volume").click()
    await expect(page.page.get_by_test_id("fills-table")).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(page.page.locator("svg.chart path.line")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(page.page.locator("svg.chart rect.bar").first).to_be_attached()
    await page.page.screenshot(path=screenshots / "bot-volume.png", full_page=True)


async def test_engage_and_release_the_client_kill_switch_with_its_confirmation(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    await sign_in(page.page, stack)
    await page.page.click("a[data-nav=kill-switches]")
    engage = page.page.get_by_test_id("client-kill-engage")
    await engage.get_by_role("button", name="Engage client kill switch…").click()
    # The first step alone engages nothing; a wrong id is refused on the confirm field.
    await engage.get_by_test_id("confirm-input").fill(str(uuid.uuid4()))
    await engage.get_by_test_id("reason-input").fill("browser test")
    await engage.get_by_test_id("confirm-button").click()
    await expect(engage.locator("[data-error-for=confirm]")).to_contain_text("client id")
    await expect(page.page.get_by_test_id("switch-row")).to_have_count(0)

    await engage.get_by_test_id("confirm-input").fill(stack.client_id)
    await engage.get_by_test_id("confirm-button").click()
    await expect(page.page.get_by_test_id("switch-row").filter(has_text="client")).to_have_count(1)
    await page.page.screenshot(path=screenshots / "kill-switches.png", full_page=True)
    await page.page.click("a[data-nav=overview]")
    await expect(page.page.get_by_test_id("engaged-switches")).to_contain_text("browser test")

    await page.page.click("a[data-nav=kill-switches]")
    release = page.page.get_by_test_id("client-kill-release")
    await release.get_by_role("button", name="Release client kill switch…").click()
    await release.get_by_test_id("confirm-input").fill(stack.client_id)
    await release.get_by_test_id("reason-input").fill("done")
    await release.get_by_test_id("confirm-button").click()
    await expect(page.page.get_by_test_id("switches-table")).to_contain_text("Nothing engaged")
    # The demo bots stopped with the switch; later tests want them trading again.
    async with stack.http() as http:
        for bot in (await http.get("/v1/bots")).json():
            if bot["name"].startswith("demo-"):
                assert (await http.post(f"/v1/bots/{bot['id']}/start")).status_code == 200


async def test_operators_see_workers_and_a_stopped_worker_as_down(
    page: RecordedPage, stack: Stack, screenshots: Path
) -> None:
    await sign_in(page.page, stack, token=stack.admin_token)
    await expect(page.page.get_by_text("operator (admin token)")).to_be_visible()
    await expect(page.page.get_by_test_id("worker-row").filter(has_text="live")).not_to_have_count(
        0
    )
    await expect(page.page.get_by_test_id("queues-table")).to_be_visible()
    await page.page.screenshot(path=screenshots / "operators.png", full_page=True)

    stack.stop_worker()
    health = page.page.get_by_test_id("worker-health")
    await expect(health).to_have_attribute("data-state", "down", timeout=UI_TIMEOUT_MS)
    await expect(health).to_have_text("worker DOWN")
    await expect(page.page.get_by_text("none: worker down")).to_be_visible()
    await page.page.screenshot(path=screenshots / "operators-worker-down.png", full_page=True)
