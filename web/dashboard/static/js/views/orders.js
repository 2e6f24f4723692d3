// Orders: the blotter (filters, cursor paging), the place-order form (one Idempotency-Key
// per form instance, so a double click places one order) and an order's own page.

import { get, post, query } from "../api.js";
import { card, h, link, num, replace, shortId, statusBadge, table, time } from "../dom.js";
import { busy, clearErrors, field, formError, input, newIdempotencyKey, select, showErrors } from "../forms.js";

const STATUSES = ["", "accepted", "submitting", "unknown", "open", "partially_filled", "filled", "canceled", "expired", "rejected"];
const CANCELABLE = new Set(["accepted", "submitting", "unknown", "open", "partially_filled"]);
const PAGE = 25;

function cancelButton(order, after) {
  if (!CANCELABLE.has(order.status) || order.cancel_requested_at) {
    return order.cancel_requested_at && CANCELABLE.has(order.status) ? h("span", { class: "muted" }, "cancel requested") : null;
  }
  const button = h("button", { type: "button", class: "secondary small", "data-testid": "cancel-order" }, "Cancel");
  button.addEventListener("click", busy(button, async () => {
    try {
      await post(`/v1/orders/${order.id}/cancel`);
    } catch (error) {
      button.title = error.message;
    }
    await after();
  }));
  return button;
}

export async function mountOrders(root) {
  const [credentials, bots] = await Promise.all([get("/v1/credentials?include_revoked=false"), get("/v1/bots")]);
  const filters = {
    bot_id: select([["", "any bot"], ...bots.map((b) => [b.id, b.name])], { name: "bot_id" }),
    symbol: input({ name: "symbol", placeholder: "BTC/USDT" }),
    status: select(STATUSES.map((s) => [s, s || "any status"]), { name: "status" }),
    side: select([["", "any side"], "buy", "sell"], { name: "side" }),
    created_after: input({ name: "created_after", type: "datetime-local" }),
    created_before: input({ name: "created_before", type: "datetime-local" }),
  };
  const blotter = h("div");
  const pager = h("div", { class: "actions" });
  // Cursors of the pages seen so far: [null, c1, c2...]; the last is the current page's.
  let cursors = [null];
  const filterForm = h(
    "form",
    { class: "grid filters", "data-testid": "order-filters" },
    field("Bot", "bot_id", filters.bot_id), field("Symbol", "symbol", filters.symbol),
    field("Status", "status", filters.status), field("Side", "side", filters.side),
    field("From", "created_after", filters.created_after), field("To", "created_before", filters.created_before),
    formError(),
  );
  const onFilter = () => {
    cursors = [null];
    refresh();
  };
  filterForm.addEventListener("change", onFilter);
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    onFilter();
  });

  root.append(placeOrderForm(credentials, () => refresh()), card("Orders", filterForm, blotter, pager));

  function params() {
    const iso = (element) => (element.value ? new Date(element.value).toISOString() : "");
    return {
      bot_id: filters.bot_id.value, symbol: filters.symbol.value.trim().toUpperCase(),
      status: filters.status.value, side: filters.side.value,
      created_after: iso(filters.created_after), created_before: iso(filters.created_before),
      limit: PAGE, cursor: cursors[cursors.length - 1],
    };
  }

  async function refresh() {
    let page;
    try {
      page = await get(`/v1/orders${query(params())}`);
      clearErrors(filterForm);
    } catch (error) {
      if (!error.details) throw error;
      showErrors(filterForm, error);
      return;
    }
    replace(blotter, table(
      ["Created", "Symbol", "Side", "Type", "Amount", "Price", "Filled", "Status", "Source", ""],
      page.items.map((o) => ({
        attrs: { "data-testid": "order-row", "data-order-id": o.id },
        cells: [
          link(`#/orders/${o.id}`, new Date(o.created_at).toLocaleString()),
          o.symbol, o.side, o.type, o.amount, o.price ?? "market", o.filled_amount,
          h("span", { class: "stack" }, statusBadge(o.status), o.last_error_code ? h("small", { class: "bad" }, o.last_error_code) : null),
          o.bot_id ? "bot" : "api",
          cancelButton(o, refresh),
        ],
      })),
      { empty: "No orders match.", testid: "orders-table" },
    ));
    const newer = h("button", { type: "button", class: "secondary", disabled: cursors.length === 1 }, "← Newer");
    const older = h("button", { type: "button", class: "secondary", disabled: !page.next_cursor, "data-testid": "older-page" }, "Older →");
    newer.addEventListener("click", () => {
      cursors.pop();
      refresh();
    });
    older.addEventListener("click", () => {
      cursors.push(page.next_cursor);
      refresh();
    });
    replace(pager, newer, h("span", { class: "muted" }, `page ${cursors.length}`), older);
  }
  return { refresh };
}

function placeOrderForm(credentials, after) {
  const values = {
    credential_id: select(credentials.map((c) => [c.id, `${c.label} (${c.exchange})`]), { name: "credential_id" }),
    symbol: input({ name: "symbol", value: "BTC/USDT" }),
    side: select(["buy", "sell"], { name: "side" }),
    type: select(["limit", "market"], { name: "type" }),
    amount: input({ name: "amount", inputmode: "decimal" }),
    price: input({ name: "price", inputmode: "decimal" }),
    time_in_force: select([["", "venue default"], "GTC", "IOC", "FOK"], { name: "time_in_force" }),
  };
  // One key per form instance: a repeated submit of the same form (a double click, a retry
  // after a lost response) replays the first order instead of placing a second. Any edit
  // after a successful placement starts a new order, with a new key.
  let key = newIdempotencyKey();
  let placed = false;
  const submit = h("button", { type: "submit", "data-testid": "place-order" }, "Place order");
  const result = h("p", { class: "muted", role: "status", "data-testid": "place-result" });
  const form = h(
    "form",
    { "data-testid": "order-form" },
    h("div", { class: "grid" }, Object.entries(values).map(([name, control]) =>
      field(name.replace(/_/g, " ").replace("credential id", "credential"), name, control))),
    formError(),
    h("div", { class: "actions" }, submit),
    result,
  );
  form.addEventListener("input", () => {
    if (placed) {
      key = newIdempotencyKey();
      placed = false;
    }
  });
  // Not through busy(): a second submit while the first is in flight must still go out
  // with the same key (the API answers it with the first order), never be swallowed into
  // a second order, and the button stays usable for that check.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      credential_id: values.credential_id.value,
      symbol: values.symbol.value.trim(),
      side: values.side.value,
      type: values.type.value,
      amount: values.amount.value.trim(),
    };
    if (values.price.value.trim()) body.price = values.price.value.trim();
    if (values.time_in_force.value) body.time_in_force = values.time_in_force.value;
    try {
      const order = await post("/v1/orders", body, { "Idempotency-Key": key });
      placed = true;
      replace(result, "Order ", link(`#/orders/${order.id}`, shortId(order.id)), ` ${order.status}.`);
      await after();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return h("details", { class: "card", open: true }, h("summary", {}, "Place an order"), form);
}

export async function mountOrder(root, session, orderId) {
  const head = h("section", { class: "card" });
  const events = h("div");
  const fills = h("div");
  root.append(head, card("Timeline", events), card("Fills", fills));

  async function refresh() {
    const order = await get(`/v1/orders/${orderId}`);
    replace(head,
      h("h1", {}, `${order.side} ${order.amount} ${order.symbol} `, statusBadge(order.status)),
      h("dl", { class: "facts" },
        fact("Order id", order.id), fact("Type", `${order.type} ${order.time_in_force ?? ""}`),
        fact("Price", order.price ?? "market"), fact("Filled", `${order.filled_amount} (avg ${order.avg_fill_price ?? "—"})`),
        fact("Client order id", order.client_order_id), fact("Venue order id", order.exchange_order_id ?? "—"),
        fact("Attempts", String(order.attempts)),
        fact("Last error", order.last_error_code ? `${order.last_error_code}: ${order.last_error_message ?? ""}` : "—"),
        fact("Reject reason", order.reject_reason ?? "—"), fact("Bot", order.bot_id ?? "—"),
      ),
      h("div", { class: "actions" }, cancelButton(order, refresh)),
    );
    replace(events, h("ol", { class: "timeline", "data-testid": "order-timeline" }, order.events.map(eventItem)));
    replace(fills, table(
      ["Time", "Price", "Amount", "Fee", "Maker", "Trade id"],
      order.fills.map((f) => [time(f.traded_at), f.price, f.amount, `${f.fee_amount} ${f.fee_currency ?? ""}`,
        f.is_maker === null ? "—" : f.is_maker ? "yes" : "no", f.exchange_trade_id]),
      { empty: "No fills.", testid: "order-fills" },
    ));
  }
  return { refresh };
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function eventItem(event) {
  let what;
  if (event.kind === "status_change") what = `${event.from_status ?? "—"} → ${event.to_status}`;
  else if (event.kind === "exchange_call") {
    what = `${event.call}: ${event.outcome}${event.latency_ms !== null ? ` in ${num(event.latency_ms, 0)} ms` : ""}`;
  } else what = "note";
  const kind = event.outcome && event.outcome !== "ok" ? "bad" : "";
  return h("li", { class: kind, "data-testid": "order-event" },
    time(event.created_at), " ", h("strong", {}, what),
    event.attempt !== null ? h("span", { class: "muted" }, ` attempt ${event.attempt}`) : null,
    event.error_class ? h("span", { class: "bad" }, ` ${event.error_class}${event.venue_code ? ` (${event.venue_code})` : ""}`) : null,
    event.message ? h("div", { class: "muted" }, event.message) : null,
  );
}
