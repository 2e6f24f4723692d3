// A bot: live quotes against the mid, recent fills, P&L and volume charts, its config form,
// start / stop / archive and its kill switch.

import { del, get, patch, post } from "../api.js";
import { ago, card, h, num, replace, shortId, signed, statusBadge, table, time } from "../dom.js";
import { barChart, lineChart, quoteLadder } from "../charts.js";
import { busy, clearErrors, field, formError, input, showErrors, twoStep } from "../forms.js";
import { botWarnings, configInputs, readConfig } from "./common.js";
import { engagedNotice } from "./overview.js";

const SERIES_EVERY = 5; // charts are redrawn every 5th poll (~15 s): they move slowly

export async function mountBot(root, session, botId) {
  let bot = await get(`/v1/bots/${botId}`);
  const title = h("h1", { "data-testid": "bot-title" });
  const state = h("div", { class: "stack" });
  const numbers = h("div", { class: "numbers" });
  const switches = h("div");
  const actions = h("div", { class: "actions" });
  const ladder = h("div");
  const quotes = h("div");
  const fills = h("div");
  const pnl = h("div");
  const volume = h("div");
  let polls = 0;
  let chartsEmpty = true;

  root.append(
    h("section", { class: "card" }, title, state, numbers, actions),
    switches,
    h("div", { class: "columns" }, card("Quotes vs mid", ladder, quotes), card("Recent fills", fills)),
    h("div", { class: "columns" }, card("P&L (24 h, mark-to-market)", pnl), card("Volume (24 h, quote)", volume)),
    configForm(bot, (updated) => {
      bot = updated;
    }),
  );
  renderActions();

  function renderActions() {
    const lifecycle = (label, path, method = post) => {
      const button = h("button", { type: "button", class: "secondary", "data-testid": `bot-${label.toLowerCase()}` }, label);
      button.addEventListener("click", busy(button, async () => {
        try {
          await method(path);
          await refresh();
        } catch (error) {
          alertIn(actions, error);
        }
      }));
      return button;
    };
    replace(
      actions,
      lifecycle("Start", `/v1/bots/${botId}/start`),
      lifecycle("Stop", `/v1/bots/${botId}/stop`),
      twoStep({
        label: "Archive…", confirmLabel: "Archive", expected: bot.name,
        prompt: "Archiving stops the bot and cancels its orders; its history stays. Type its name:",
        testid: "bot-archive",
        onConfirm: async (confirm) => {
          if (confirm.trim() !== bot.name) throw { details: [{ field: "confirm", message: "type the bot's name" }] };
          await del(`/v1/bots/${botId}`);
          location.hash = "#/";
        },
      }),
      twoStep({
        label: "Kill switch…", confirmLabel: "Engage kill switch", expected: botId,
        prompt: "Stops this bot and cancels its open orders until released. Type the bot id:",
        testid: "bot-kill-engage",
        onConfirm: async (confirm, reason) => {
          await post("/v1/kill-switch/engage", { scope: "bot", bot_id: botId, confirm, reason });
          await refresh();
        },
      }),
      twoStep({
        label: "Release kill switch…", confirmLabel: "Release", expected: botId, kind: "secondary",
        prompt: "Release this bot's kill switch (the bot stays stopped until started). Type the bot id:",
        testid: "bot-kill-release",
        onConfirm: async (confirm, reason) => {
          await post("/v1/kill-switch/release", { scope: "bot", bot_id: botId, confirm, reason });
          await refresh();
        },
      }),
    );
  }

  async function refresh() {
    const [detail, recent, engaged] = await Promise.all([
      get(`/v1/bots/${botId}`),
      get(`/v1/fills?bot_id=${botId}&limit=20`),
      get("/v1/kill-switch"),
    ]);
    bot = detail;
    const stats = (bot.stats && bot.stats.symbols[0]) || null;
    title.textContent = bot.name;
    replace(state, statusBadge(bot.status), `${bot.kind} · ${bot.exchange} · ${bot.symbol}`,
      ` · tick ${bot.tick_number}, ${ago(bot.last_tick_at)}`, botWarnings(bot));
    replace(numbers,
      metric("Open quotes", String((bot.quotes || []).length)),
      metric("Mid", stats && stats.mid ? num(stats.mid, 8) : "—"),
      metric("Position", stats ? num(stats.position.net_amount, 8) : "—"),
      metric("Realized P&L", stats ? signed(stats.realized_pnl) : "—"),
      metric("Unrealized P&L", stats ? signed(stats.unrealized_pnl) : "—"),
      metric("24h volume", stats ? `${num(stats.volume_24h.quote_volume)} ${stats.quote}` : "—"),
    );
    const mine = engaged.engaged.filter((s) => s.scope !== "bot" || s.bot_id === botId);
    replace(switches, engagedNotice(mine));
    const mid = stats && stats.mid ? Number(stats.mid) : null;
    replace(ladder, quoteLadder(bot.quotes || [], mid, { label: "quotes against the mid" }));
    replace(quotes, table(
      ["Side", "Price", "Amount", "Remaining", "Status", "Order"],
      (bot.quotes || []).map((q) => ({
        attrs: { "data-testid": "quote-row" },
        cells: [q.side, q.price ?? "market", q.amount, q.remaining, statusBadge(q.status),
          h("a", { href: `#/orders/${q.order_id}` }, shortId(q.order_id))],
      })),
      { empty: "No live quotes.", testid: "quotes-table" },
    ));
    replace(fills, table(
      ["Time", "Side", "Price", "Amount", "Fee"],
      recent.items.map((f) => [time(f.traded_at), f.side, f.price, f.amount, `${f.fee_amount} ${f.fee_currency ?? ""}`]),
      { empty: "No fills yet.", testid: "fills-table" },
    ));
    if (polls % SERIES_EVERY === 0 || chartsEmpty) await drawSeries();
    polls += 1;
  }

  async function drawSeries() {
    const series = await get(`/v1/bots/${botId}/series?hours=24`);
    const since = Date.parse(series.since);
    const until = Date.parse(series.until);
    chartsEmpty = series.points.length === 0;
    const points = series.points.map((p) => ({ t: Date.parse(p.at), v: Number(p.pnl) }));
    const bars = series.points.map((p) => {
      const quoteVolume = Number(p.quote_volume);
      const share = p.trades ? p.buys / p.trades : 0;
      return { t: Date.parse(p.at), buy: quoteVolume * share, sell: quoteVolume * (1 - share) };
    });
    replace(pnl, lineChart(points, { label: "P&L over 24 hours", since, until }));
    replace(volume, barChart(bars, { label: "volume over 24 hours", since, until, bucketMs: series.bucket_s * 1000 }),
      h("p", { class: "muted legend" }, h("span", { class: "key buy" }), "buys ", h("span", { class: "key sell" }), "sells (split by trade count)"));
  }

  return { refresh };
}

function metric(label, value) {
  return h("div", { class: "metric" }, h("span", { class: "muted" }, label), h("strong", {}, value));
}

function alertIn(container, error) {
  const line = h("p", { class: "form-error", role: "alert" }, error.message);
  container.append(line);
  window.setTimeout(() => line.remove(), 8000);
}

function configForm(bot, onSaved) {
  const name = input({ name: "name", value: bot.name, maxlength: 100 });
  const configs = h("div", { class: "grid" }, configInputs(bot.kind, bot.config));
  const submit = h("button", { type: "submit" }, "Save");
  const saved = h("span", { class: "muted", role: "status" });
  const form = h(
    "form",
    { "data-testid": "bot-config-form" },
    field("Name", "name", name),
    configs,
    formError(),
    h("div", { class: "actions" }, submit, saved),
  );
  form.addEventListener("submit", busy(submit, async () => {
    clearErrors(form);
    saved.textContent = "";
    try {
      const updated = await patch(`/v1/bots/${bot.id}`, { name: name.value, config: readConfig(configs) });
      onSaved(updated);
      saved.textContent = "Saved.";
    } catch (error) {
      showErrors(form, error);
    }
  }));
  return card("Config", form);
}
