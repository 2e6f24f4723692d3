// Kill switches that cover the client (global, client, its bots) and the client-scope
// switch with the API's confirmation: `confirm` repeats the client id.

import { get, post } from "../api.js";
import { card, h, replace, table, time } from "../dom.js";
import { twoStep } from "../forms.js";

export async function mountKillSwitches(root, session) {
  const clientId = session.me.client_id;
  const list = h("div");
  const bots = await get("/v1/bots");
  const names = Object.fromEntries(bots.map((b) => [b.id, b.name]));
  const change = (action) => async (confirm, reason) => {
    await post(`/v1/kill-switch/${action}`, { scope: "client", confirm, reason });
    await refresh();
  };
  root.append(
    card("Engaged for you", list),
    card(
      "Your client's kill switch",
      h("p", {}, "Engaging stops all your bots and cancels your open orders; orders are refused until released."),
      h("div", { class: "actions" },
        twoStep({
          label: "Engage client kill switch…", confirmLabel: "Engage", expected: clientId,
          prompt: "Type your client id to confirm:", onConfirm: change("engage"), testid: "client-kill-engage",
        }),
        twoStep({
          label: "Release client kill switch…", confirmLabel: "Release", expected: clientId, kind: "secondary",
          prompt: "Bots stay stopped until you start them. Type your client id to confirm:",
          onConfirm: change("release"), testid: "client-kill-release",
        })),
      h("p", { class: "muted" }, "A bot's own switch is on its page."),
    ),
  );

  async function refresh() {
    const status = await get("/v1/kill-switch");
    replace(list, table(
      ["Scope", "Target", "Reason", "By", "Since"],
      status.engaged.map((s) => ({
        attrs: { "data-testid": "switch-row", "data-scope": s.scope },
        cells: [s.scope, s.scope === "bot" ? names[s.bot_id] ?? s.bot_id : s.scope === "client" ? session.me.name : "everyone",
          s.engage_reason, s.engaged_by, time(s.engaged_at)],
      })),
      { empty: "Nothing engaged: trading is allowed.", testid: "switches-table" },
    ));
  }
  return { refresh };
}
