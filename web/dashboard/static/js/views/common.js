// Pieces several views share: the bot config fields, skip/outage warnings, balances.

import { badge, h, num } from "../dom.js";
import { field, input } from "../forms.js";

// The config keys of each bot kind (shared/bots/config.py), in the order a person fills
// them; integers are sent as numbers, everything else as decimal strings.
export const CONFIG_FIELDS = {
  spread: [
    ["spread_bps", "Spread (bps)", "decimal", true],
    ["order_size", "Order size (base)", "decimal", true],
    ["levels", "Levels per side", "int"],
    ["refresh_interval_s", "Refresh interval (s)", "int"],
    ["drift_tolerance_bps", "Drift tolerance (bps)", "decimal"],
    ["inventory_target", "Inventory target (0-1)", "decimal"],
    ["inventory_skew_bps", "Inventory skew (bps)", "decimal"],
    ["min_price", "Min price", "decimal"],
    ["max_price", "Max price", "decimal"],
  ],
  volume: [
    ["daily_notional_target", "Daily notional target (quote)", "decimal", true],
    ["min_slice", "Min slice (quote)", "decimal", true],
    ["max_slice", "Max slice (quote)", "decimal", true],
    ["min_interval_s", "Min interval (s)", "int"],
    ["max_interval_s", "Max interval (s)", "int"],
    ["price_band_bps", "Price band (bps)", "decimal"],
    ["side_policy", "Side policy (alternate | balance)", "text"],
  ],
};

export function configInputs(kind, values = {}) {
  return CONFIG_FIELDS[kind].map(([key, label, type, required]) =>
    field(
      label + (required ? " *" : ""),
      `config.${key}`,
      input({
        value: values[key] ?? "",
        inputmode: type === "text" ? "text" : type === "int" ? "numeric" : "decimal",
        "data-config-key": key,
        "data-config-type": type,
      }),
    ),
  );
}

// The config object from the inputs of one kind: empty fields are left to the defaults,
// integers become numbers (when they parse), the rest stays text for the API to judge.
export function readConfig(container) {
  const config = {};
  for (const element of container.querySelectorAll("[data-config-key]")) {
    const text = element.value.trim();
    if (!text) continue;
    const key = element.dataset.configKey;
    config[key] = element.dataset.configType === "int" && /^-?\d+$/.test(text) ? Number(text) : text;
  }
  return config;
}

// Why a bot is not quoting, in words; venue outages (an open breaker, timeouts) stand out.
export function botWarnings(bot) {
  const out = [];
  if (bot.status === "error" && bot.status_reason) out.push(badge(`error: ${bot.status_reason}`, "bad"));
  else if (bot.status_reason) out.push(badge(bot.status_reason, "muted"));
  for (const reason of bot.last_skip_reasons || []) {
    const outage = /unavailable|circuit|breaker|timed? ?out|rate limit/i.test(reason);
    out.push(badge(reason, outage ? "bad" : "warn"));
  }
  return out;
}

export function balanceCell(balance) {
  if (!balance) return h("span", { class: "muted" }, "—");
  if (!balance.fetched_at) {
    return h("span", { class: "warn" }, balance.last_error ? `never fetched: ${balance.last_error}` : "not fetched yet");
  }
  return h(
    "span",
    {},
    balance.assets.map((a) => h("span", { class: "asset" }, `${a.asset} ${num(a.total, 6)}`)),
    balance.stale ? badge("stale", "warn") : null,
    balance.last_error ? badge(`last error: ${balance.last_error}`, "bad") : null,
  );
}
