// Operators (admin token): workers and heartbeats, the queue at a glance, stuck and failed
// jobs, engaged kill switches, and the global kill switch (`confirm` is "global").

import { get, post } from "../api.js";
import { badge, card, h, num, replace, shortId, table, time } from "../dom.js";
import { twoStep } from "../forms.js";

export async function mountOps(root) {
  const summary = h("div", { class: "numbers" });
  const workers = h("div");
  const queues = h("div");
  const stuck = h("div");
  const failed = h("div");
  const switches = h("div");
  const change = (action) => async (confirm, reason) => {
    await post(`/v1/admin/kill-switch/${action}`, { scope: "global", confirm, reason });
    await refresh();
  };
  root.append(
    h("section", { class: "card" }, h("h1", {}, "Operators"), summary),
    h("div", { class: "columns" }, card("Workers", workers), card("Queues", queues)),
    card("Stuck jobs", stuck),
    card("Failed jobs", failed),
    card("Engaged kill switches", switches,
      h("div", { class: "actions" },
        twoStep({ label: "Engage GLOBAL kill switch…", confirmLabel: "Engage for everyone", expected: "global",
          prompt: "Stops every bot of every client and cancels every open order. Type", onConfirm: change("engage"),
          testid: "global-kill-engage" }),
        twoStep({ label: "Release global kill switch…", confirmLabel: "Release", expected: "global", kind: "secondary",
          prompt: "Nothing restarts by itself. Type", onConfirm: change("release"), testid: "global-kill-release" }))),
  );

  async function refresh() {
    const ops = await get("/v1/admin/ops?limit=50");
    const ready = ops.queues.filter((q) => q.status === "todo").reduce((sum, q) => sum + q.jobs, 0);
    const oldest = Math.max(0, ...ops.queues.map((q) => q.oldest_waiting_s || 0));
    replace(summary,
      metric("Live workers", ops.live_workers ? badge(String(ops.live_workers), "good") : badge("none: worker down", "bad")),
      metric("Jobs to do", String(ready)),
      metric("Oldest wait", `${num(oldest, 1)} s`),
      metric("Stuck", ops.stuck_jobs.length ? badge(String(ops.stuck_jobs.length), "bad") : "0"),
      metric("Failed", String(ops.failed_jobs.length)),
      metric("Kill switches", ops.engaged_kill_switches.length ? badge(String(ops.engaged_kill_switches.length), "bad") : "0"),
    );
    replace(workers, table(["Worker", "Heartbeat", "Age", "State"],
      ops.workers.map((w) => ({ attrs: { "data-testid": "worker-row" },
        cells: [String(w.worker_id), time(w.last_heartbeat), `${num(w.heartbeat_age_s, 1)} s`, w.live ? badge("live", "good") : badge("stale", "bad")] })),
      { empty: "No worker registered.", testid: "workers-table" }));
    replace(queues, table(["Queue", "Task", "Status", "Jobs", "Oldest wait", "Later"],
      ops.queues.map((q) => [q.queue_name, q.task_name, q.status, String(q.jobs),
        q.oldest_waiting_s === null ? "—" : `${num(q.oldest_waiting_s, 1)} s`, String(q.scheduled_later)]),
      { empty: "The queue is empty.", testid: "queues-table" }));
    replace(stuck, table(["Job", "Task", "Order", "Attempts", "Running for", "Why"],
      ops.stuck_jobs.map((j) => [String(j.job_id), j.task_name, shortId(j.order_id), String(j.attempts),
        j.running_for_s === null ? "—" : `${num(j.running_for_s, 0)} s`, j.reason]),
      { empty: "No stuck job." }));
    replace(failed, table(["Job", "Task", "Failed", "Order", "Order status", "Last error"],
      ops.failed_jobs.map((j) => [String(j.job_id), j.task_name, time(j.failed_at), shortId(j.order_id), j.order_status ?? "—",
        j.last_error_code ? `${j.last_error_code}: ${j.last_error_message ?? ""}` : "—"]),
      { empty: "No failed job." }));
    replace(switches, table(["Scope", "Client", "Bot", "Reason", "By", "Since"],
      ops.engaged_kill_switches.map((s) => ({ attrs: { "data-testid": "ops-switch-row", "data-scope": s.scope },
        cells: [s.scope, s.client ?? "—", shortId(s.bot_id), s.engage_reason, s.engaged_by, time(s.engaged_at)] })),
      { empty: "None engaged." }));
  }
  return { refresh };
}

function metric(label, value) {
  return h("div", { class: "metric" }, h("span", { class: "muted" }, label), h("strong", {}, value));
}
