// The dashboard's shell: sign-in, hash routing between views (no reload, so the token kept
// in api.js survives navigation), the health strip, and polling every few seconds.

import { api, ApiError, forgetToken, get, health, setToken, whenUnauthorized } from "./api.js";
import { badge, h, replace } from "./dom.js";
import { mountOverview } from "./views/overview.js";
import { mountBot } from "./views/bot.js";
import { mountOrders, mountOrder } from "./views/orders.js";
import { mountCredentials } from "./views/credentials.js";
import { mountKillSwitches } from "./views/kill_switches.js";
import { mountOps } from "./views/ops.js";

const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);

const session = { me: null, admin: false, signedIn: false };
let current = null; // { refresh, dispose }
let timer = null;
let refreshing = false;

const CLIENT_ROUTES = [
  [/^\/?$/, "overview", () => mountOverview],
  [/^\/bots\/([0-9a-f-]{36})$/, "overview", () => mountBot],
  [/^\/orders$/, "orders", () => mountOrders],
  [/^\/orders\/([0-9a-f-]{36})$/, "orders", () => mountOrder],
  [/^\/credentials$/, "credentials", () => mountCredentials],
  [/^\/kill-switches$/, "kill-switches", () => mountKillSwitches],
];
const ADMIN_ROUTES = [[/^\/(ops)?$/, "ops", () => mountOps]];

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  for (const [pattern, nav, view] of session.admin ? ADMIN_ROUTES : CLIENT_ROUTES) {
    const match = pattern.exec(path);
    if (match) return { nav, mount: view(), params: match.slice(1) };
  }
  return null;
}

async function show() {
  if (current && current.dispose) current.dispose();
  current = null;
  const root = $("view");
  const target = route();
  if (!target) {
    replace(root, h("section", { class: "card" }, h("h1", {}, "Not found"), h("a", { href: "#/" }, "Back")));
    return;
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === target.nav);
  }
  replace(root);
  try {
    current = await target.mount(root, session, ...target.params);
  } catch (error) {
    replace(root, h("section", { class: "card" }, h("p", { class: "bad" }, error.message)));
    return;
  }
  await tick();
}

async function tick() {
  if (refreshing) return;
  refreshing = true;
  try {
    await Promise.all([refreshHealth(), current && current.refresh ? current.refresh() : null]);
    $("banner").hidden = true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    const banner = $("banner");
    banner.textContent = `Refresh failed: ${error.message}`;
    banner.hidden = false;
  } finally {
    refreshing = false;
  }
}

async function refreshHealth() {
  const [worker, queue] = await Promise.all([health("/health/worker"), health("/health/queue")]);
  const workerBadge = worker.ok
    ? badge(`worker up (${worker.body.live_workers})`, "good")
    : badge(worker.body ? "worker DOWN" : "web unreachable", "bad");
  workerBadge.dataset.testid = "worker-health";
  workerBadge.dataset.state = worker.ok ? "up" : "down";
  let queueText = "queue ?";
  if (queue.body) {
    const b = queue.body;
    queueText = queue.ok ? `queue ok · ${b.ready_jobs} ready` : `queue: ${b.status}`;
  }
  const queueBadge = badge(queueText, queue.ok ? "good" : "bad");
  queueBadge.dataset.testid = "queue-health";
  replace($("health"), workerBadge, queueBadge);
}

function signedIn() {
  session.signedIn = true;
  $("login").hidden = true;
  $("nav").hidden = false;
  $("logout").hidden = false;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.hidden = session.admin !== (link.dataset.nav === "ops");
  }
  $("who").textContent = session.admin ? "operator (admin token)" : `client ${session.me.name}`;
  window.addEventListener("hashchange", show);
  timer = window.setInterval(tick, POLL_MS);
  show();
}

function signOut() {
  forgetToken();
  if (timer) window.clearInterval(timer);
  // A fresh page: nothing of the session (token, data) stays in memory.
  location.replace(location.pathname);
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const input = $("token");
  const errorSlot = form.querySelector('[data-error-for="token"]');
  errorSlot.textContent = "";
  const value = input.value.trim();
  input.value = ""; // the DOM keeps no copy of it
  if (!value) return;
  setToken(value);
  try {
    session.me = await api("GET", "/v1/me");
    session.admin = false;
  } catch (error) {
    // The admin token authenticates but acts for no client: /v1/me answers 403.
    if (error instanceof ApiError && error.status === 403) {
      try {
        await get("/v1/admin/ops?limit=1");
        session.admin = true;
      } catch (adminError) {
        forgetToken();
        errorSlot.textContent = adminError.message;
        return;
      }
    } else {
      forgetToken();
      errorSlot.textContent = error.status === 401 ? "This token is not valid (unknown, revoked or disabled)." : error.message;
      return;
    }
  }
  signedIn();
}

whenUnauthorized(() => {
  // A token revoked while the page is open: back to the sign-in form. (During sign-in a
  // 401 is the form's own error to show.)
  if (session.signedIn) signOut();
});
$("login-form").addEventListener("submit", signIn);
$("logout").addEventListener("click", signOut);
