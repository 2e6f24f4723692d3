// Building DOM without HTML strings: every text goes in through textContent, so a bot
// named <script>…</script> is shown as those characters and never parsed.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// rows: arrays of cells, or {cells, attrs}. Each cell carries its column's title as
// data-label, which the narrow (phone) layout shows beside the value.
export function table(headers, rows, { empty = "nothing yet", testid } = {}) {
  if (!rows.length) return h("p", { class: "muted", "data-testid": testid }, empty);
  const body = rows.map((item) => {
    const { cells, attrs } = Array.isArray(item) ? { cells: item, attrs: {} } : item;
    return h("tr", attrs, cells.map((cell, index) => h("td", { "data-label": headers[index] }, cell)));
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { "data-testid": testid },
      h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, body),
    ),
  );
}

export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", {}, title) : null, children);
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

const STATUS_KIND = {
  running: "good", open: "good", filled: "good", ok: "good",
  partially_filled: "good",
  stopped: "muted", canceled: "muted", expired: "muted",
  error: "bad", rejected: "bad", unknown: "warn",
  accepted: "warn", submitting: "warn",
};

export function statusBadge(status) {
  return badge(status, STATUS_KIND[status] || "");
}

// Numbers come as decimal strings; shown rounded, never converted for arithmetic we report.
export function num(value, digits = 2) {
  if (value === null || value === undefined || value === "") return "—";
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return number.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function signed(value, digits = 2) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "—");
  const number = Number(value);
  const kind = number > 0 ? "pos" : number < 0 ? "neg" : "";
  return h("span", { class: kind }, num(value, digits));
}

export function ago(iso) {
  if (!iso) return "never";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function time(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: iso }, date.toLocaleString());
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : "—";
}

export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}
