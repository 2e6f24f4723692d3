// Overview: every bot with its state and numbers, balances per credential, kill switches,
// and the form that creates a bot.

import { get, post } from "../api.js";
import { ago, badge, card, h, link, num, replace, signed, statusBadge, table } from "../dom.js";
import { busy, clearErrors, field, formError, input, select, showErrors } from "../forms.js";
import { balanceCell, botWarnings, configInputs, readConfig } from "./common.js";

export async function mountOverview(root, session) {
  const switches = h("div", { "data-testid": "engaged-switches" });
  const bots = h("div");
  const balances = h("div");
  const credentials = await get("/v1/credentials?include_revoked=false");
  root.append(
    switches,
    card("Bots", bots),
    newBotForm(credentials),
    card("Balances", balances),
  );

  async function refresh() {
    // One request for every bot's detail: a request per bot would meet the client's rate
    // limit at a few dozen bots.
    const [details, engaged] = await Promise.all([
      get("/v1/bots?detail=true"),
      get("/v1/kill-switch"),
    ]);
    replace(switches, engagedNotice(engaged.engaged));
    replace(bots, botsTable(details));
    const creds = await get("/v1/credentials?include_revoked=false");
    const snapshots = await Promise.all(creds.map((c) => get(`/v1/credentials/${c.id}/balance`)));
    replace(balances, balancesTable(creds, snapshots));
  }
  return { refresh };
}

export function engagedNotice(engaged) {
  if (!engaged.length) return null;
  return h(
    "div",
    { class: "notice bad", role: "status" },
    h("strong", {}, "Kill switch engaged: "),
    engaged.map((s) => h("span", { class: "switch" }, `${s.scope}${s.bot_id ? ` ${s.bot_id.slice(0, 8)}` : ""} (${s.engage_reason}, by ${s.engaged_by})`)),
  );
}

function botsTable(bots) {
  const rows = bots.map((bot) => {
    const stats = (bot.stats && bot.stats.symbols[0]) || null;
    const quote = stats ? stats.quote : "";
    return {
      attrs: { "data-testid": "bot-row", "data-bot-id": bot.id },
      cells: [
        link(`#/bots/${bot.id}`, bot.name, { "data-testid": "bot-name" }),
        `${bot.kind}`,
        `${bot.exchange} · ${bot.symbol}`,
        h("span", { class: "stack" }, statusBadge(bot.status), botWarnings(bot)),
        bot.last_tick_at ? ago(bot.last_tick_at) : "never",
        String((bot.quotes || []).length),
        stats ? `${num(stats.volume_24h.quote_volume)} ${quote}` : "—",
        stats ? signed(stats.realized_pnl) : "—",
        stats ? signed(stats.unrealized_pnl) : "—",
        stats ? num(stats.position.net_amount, 6) : "—",
        balanceCell(bot.balance),
      ],
    };
  });
  return table(
    ["Bot", "Kind", "Venue", "Status", "Last tick", "Open quotes", "24h volume", "Realized P&L", "Unrealized P&L", "Position", "Balance"],
    rows,
    { empty: "No bots yet: create one below.", testid: "bots-table" },
  );
}

function balancesTable(credentials, snapshots) {
  const rows = credentials.map((credential, index) => {
    const balance = snapshots[index];
    return [
      credential.label,
      `${credential.exchange} (${credential.environment})`,
      balanceCell(balance),
      balance.fetched_at ? ago(balance.fetched_at) : "never",
    ];
  });
  return table(["Credential", "Venue", "Balances", "Fetched"], rows, { empty: "No credentials." });
}

function newBotForm(credentials) {
  const kind = select(["spread", "volume"], { name: "kind" });
  const name = input({ name: "name", maxlength: 100 });
  const credential = select(credentials.map((c) => [c.id, `${c.label} (${c.exchange})`]), { name: "credential_id" });
  const symbol = input({ name: "symbol", placeholder: "BTC/USDT", value: "BTC/USDT" });
  const start = h("input", { type: "checkbox", name: "start", checked: true });
  const configs = {
    spread: h("div", { class: "grid", "data-kind": "spread" }, configInputs("spread")),
    volume: h("div", { class: "grid", "data-kind": "volume", hidden: true }, configInputs("volume")),
  };
  kind.addEventListener("change", () => {
    configs.spread.hidden = kind.value !== "spread";
    configs.volume.hidden = kind.value !== "volume";
  });
  const submit = h("button", { type: "submit" }, "Create bot");
  const form = h(
    "form",
    { "data-testid": "new-bot-form" },
    h("div", { class: "grid" }, field("Name", "name", name), field("Kind", "kind", kind),
      field("Credential", "credential_id", credential), field("Symbol", "symbol", symbol)),
    configs.spread,
    configs.volume,
    h("label", { class: "inline" }, start, " start it now"),
    formError(),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener(
    "submit",
    busy(submit, async () => {
      clearErrors(form);
      try {
        const bot = await post("/v1/bots", {
          name: name.value,
          kind: kind.value,
          credential_id: credential.value,
          symbol: symbol.value.trim(),
          config: readConfig(configs[kind.value]),
        });
        if (start.checked) await post(`/v1/bots/${bot.id}/start`);
        location.hash = `#/bots/${bot.id}`;
      } catch (error) {
        showErrors(form, error);
      }
    }),
  );
  return h("details", { class: "card" }, h("summary", {}, "New bot"), form);
}
