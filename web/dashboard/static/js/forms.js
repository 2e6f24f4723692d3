// Forms: field-level errors from the API's error body, buttons that cannot fire twice,
// and the two-step confirmation of kill switches and other irreversible actions.

import { h, replace } from "./dom.js";

export function field(label, name, input, hint) {
  input.name = input.name || name;
  input.id = input.id || `f-${name.replace(/[^a-z0-9]+/gi, "-")}-${Math.random().toString(36).slice(2, 7)}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: input.id }, label),
    input,
    hint ? h("small", { class: "muted" }, hint) : null,
    h("div", { class: "field-error", "data-error-for": name }),
  );
}

export function input(attrs = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

export function select(options, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map((option) => {
      const [value, text] = Array.isArray(option) ? option : [option, option];
      return h("option", { value }, text);
    }),
  );
}

export function formError() {
  return h("div", { class: "form-error", role: "alert" });
}

export function clearErrors(form) {
  for (const element of form.querySelectorAll(".field-error, .form-error")) element.textContent = "";
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

// Puts each of the API's `details` under the field it names; what names no field of this
// form (or an error without details) goes to the form's own error line.
export function showErrors(form, error) {
  clearErrors(form);
  const unplaced = [];
  for (const detail of error.details || []) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(detail.field)}"]`);
    if (slot) {
      slot.textContent = detail.message;
      const control = form.querySelector(`[name="${CSS.escape(detail.field)}"]`);
      if (control) control.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(`${detail.field}: ${detail.message}`);
    }
  }
  const line = form.querySelector(".form-error");
  if (line && (unplaced.length || !(error.details || []).length)) {
    line.textContent = unplaced.length ? unplaced.join("; ") : error.message;
  }
}

// Runs `action` once at a time: the button is disabled while it runs, so a double click
// sends one request.
export function busy(button, action) {
  return async (event) => {
    if (event) event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  };
}

// A button that opens a confirmation step: the user types `expected` (the id the API's
// `confirm` repeats) and a reason, then confirms. onConfirm(confirmText, reason) calls the
// API, which checks the id itself.
export function twoStep({ label, confirmLabel, expected, prompt, onConfirm, kind = "danger", testid }) {
  const wrapper = h("div", { class: "two-step", "data-testid": testid });
  const open = h("button", { type: "button", class: kind }, label);
  const render = () => replace(wrapper, open);
  open.addEventListener("click", () => {
    const confirm = input({ name: "confirm", placeholder: expected, "data-testid": "confirm-input" });
    const reason = input({ name: "reason", value: "", placeholder: "why", "data-testid": "reason-input" });
    const go = h("button", { type: "submit", class: kind, "data-testid": "confirm-button" }, confirmLabel);
    const cancel = h("button", { type: "button", class: "secondary", onclick: render }, "Cancel");
    const form = h(
      "form",
      { class: "confirm-step" },
      h("p", {}, prompt, " ", h("code", { class: "copyable" }, expected)),
      field("Type it to confirm", "confirm", confirm),
      field("Reason", "reason", reason),
      formError(),
      h("div", { class: "actions" }, go, cancel),
    );
    form.addEventListener(
      "submit",
      busy(go, async () => {
        clearErrors(form);
        try {
          await onConfirm(confirm.value, reason.value);
          render();
        } catch (error) {
          showErrors(form, error);
        }
      }),
    );
    replace(wrapper, form);
    confirm.focus();
  });
  render();
  return wrapper;
}

// A fresh random key (crypto.getRandomValues works outside secure contexts too).
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
