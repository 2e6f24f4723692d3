// Credentials: add (the secret goes to the API once and is cleared from the form), revoke,
// refresh the balance. The API never returns a secret, so the page never shows one.

import { get, post } from "../api.js";
import { ago, badge, card, h, replace, table } from "../dom.js";
import { busy, clearErrors, field, formError, input, select, showErrors } from "../forms.js";
import { balanceCell } from "./common.js";

export async function mountCredentials(root) {
  const list = h("div");
  root.append(addForm(() => refresh()), card("Credentials", list));

  async function refresh() {
    const credentials = await get("/v1/credentials");
    const balances = await Promise.all(
      credentials.map((c) => (c.revoked_at ? null : get(`/v1/credentials/${c.id}/balance`))),
    );
    replace(list, table(
      ["Label", "Venue", "Key", "Balances", "Fetched", "Egress", ""],
      credentials.map((c, index) => ({
        attrs: { "data-testid": "credential-row", "data-credential-id": c.id },
        cells: [
          c.label,
          `${c.exchange} (${c.environment})`,
          h("code", {}, c.masked_hint),
          c.revoked_at ? badge("revoked", "muted") : balanceCell(balances[index]),
          balances[index] && balances[index].fetched_at ? ago(balances[index].fetched_at) : "—",
          c.egress_route ?? "—",
          c.revoked_at ? null : actions(c, refresh),
        ],
      })),
      { empty: "No credentials yet.", testid: "credentials-table" },
    ));
  }
  return { refresh };
}

function actions(credential, after) {
  const status = h("small", { class: "muted" });
  const refreshButton = h("button", { type: "button", class: "secondary small" }, "Refresh balance");
  refreshButton.addEventListener("click", busy(refreshButton, async () => {
    try {
      const answer = await post(`/v1/credentials/${credential.id}/balance/refresh`);
      status.textContent = answer.status;
    } catch (error) {
      status.textContent = error.message;
    }
  }));
  // Revoking is final: a second click confirms.
  const revoke = h("button", { type: "button", class: "danger small" }, "Revoke");
  let armed = false;
  revoke.addEventListener("click", busy(revoke, async () => {
    if (!armed) {
      armed = true;
      revoke.textContent = "Confirm revoke";
      return;
    }
    try {
      await post(`/v1/credentials/${credential.id}/revoke`);
      await after();
    } catch (error) {
      status.textContent = error.message;
    }
  }));
  return h("span", { class: "stack" }, refreshButton, revoke, status);
}

function addForm(after) {
  const secretInput = (name) => input({ name, type: "password", autocomplete: "new-password" });
  const values = {
    exchange: select(["binance", "bitmart", "coinstore"], { name: "exchange" }),
    environment: select(["live", "testnet", "paper"], { name: "environment" }),
    label: input({ name: "label", maxlength: 100 }),
    api_key: secretInput("api_key"),
    secret: secretInput("secret"),
    passphrase: secretInput("passphrase"),
    memo: secretInput("memo"),
    api_base_url: input({ name: "api_base_url", placeholder: "https://… (optional)" }),
  };
  const submit = h("button", { type: "submit" }, "Add credential");
  const result = h("p", { class: "muted", role: "status" });
  const form = h(
    "form",
    { "data-testid": "credential-form", autocomplete: "off" },
    h("div", { class: "grid" },
      field("Venue", "exchange", values.exchange), field("Environment", "environment", values.environment),
      field("Label", "label", values.label), field("API key", "api_key", values.api_key),
      field("Secret", "secret", values.secret), field("Passphrase (if any)", "passphrase", values.passphrase),
      field("Memo (BitMart)", "memo", values.memo), field("API base URL", "api_base_url", values.api_base_url)),
    formError(),
    h("div", { class: "actions" }, submit),
    result,
  );
  form.addEventListener("submit", busy(submit, async () => {
    clearErrors(form);
    const body = {};
    for (const [name, control] of Object.entries(values)) {
      if (control.value.trim()) body[name] = control.value.trim();
    }
    try {
      const created = await post("/v1/credentials", body);
      // The secrets leave the page: nothing shows them again.
      for (const name of ["api_key", "secret", "passphrase", "memo"]) values[name].value = "";
      result.textContent = `Added ${created.label} (${created.masked_hint}); sealed for the worker.`;
      await after();
    } catch (error) {
      showErrors(form, error);
    }
  }));
  return h("details", { class: "card" }, h("summary", {}, "Add a credential"), form);
}
