-- Operator views in a schema of their own, so `psql` answers the usual questions in
-- one line (see README "Inspecting the queue with SQL"). They read procrastinate's
-- tables, which `tradebridge migrate` applies before this file.

CREATE SCHEMA ops;

-- Jobs carry ids only; this index lets an order find its jobs without a scan.
CREATE INDEX procrastinate_jobs_order_id_idx ON procrastinate_jobs ((args ->> 'order_id'));

-- When a job was deferred (procrastinate keeps it in its events table, not on the job).
CREATE FUNCTION ops.job_deferred_at(p_job_id bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT min(at) FROM procrastinate_events WHERE job_id = p_job_id AND type = 'deferred'
$$;

CREATE FUNCTION ops.job_started_at(p_job_id bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT max(at) FROM procrastinate_events WHERE job_id = p_job_id AND type = 'started'
$$;

-- How many jobs per queue, task and status; how long the oldest runnable one has waited.
CREATE VIEW ops.queue_overview AS
SELECT
    j.queue_name,
    j.task_name,
    j.status,
    count(*) AS jobs,
    max(now() - greatest(coalesce(j.scheduled_at, '-infinity'), ops.job_deferred_at(j.id)))
        FILTER (WHERE j.status = 'todo'
                AND coalesce(j.scheduled_at, '-infinity') <= now()) AS oldest_waiting,
    count(*) FILTER (WHERE j.status = 'todo' AND j.scheduled_at > now()) AS scheduled_later
FROM procrastinate_jobs j
GROUP BY j.queue_name, j.task_name, j.status
ORDER BY j.queue_name, j.task_name, j.status;

-- Jobs in `doing` whose worker is gone or silent, or that have run for too long.
CREATE VIEW ops.stuck_jobs AS
SELECT
    j.id AS job_id,
    j.queue_name,
    j.task_name,
    j.args,
    j.attempts,
    j.worker_id,
    w.last_heartbeat,
    s.started_at,
    now() - s.started_at AS running_for,
    CASE
        WHEN w.id IS NULL THEN 'worker gone'
        WHEN w.last_heartbeat < now() - interval '30 seconds' THEN 'worker heartbeat stale'
        ELSE 'running longer than 5 minutes'
    END AS reason
FROM procrastinate_jobs j
LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
CROSS JOIN LATERAL (SELECT ops.job_started_at(j.id) AS started_at) s
WHERE j.status = 'doing'
  AND (
      w.id IS NULL
      OR w.last_heartbeat < now() - interval '30 seconds'
      OR s.started_at < now() - interval '5 minutes'
  );

-- Failed jobs with the order's own last error beside them.
CREATE VIEW ops.failed_jobs AS
SELECT
    j.id AS job_id,
    j.queue_name,
    j.task_name,
    j.args,
    j.attempts,
    f.failed_at,
    o.id AS order_id,
    o.status AS order_status,
    o.last_error_code,
    o.last_error_message
FROM procrastinate_jobs j
CROSS JOIN LATERAL (
    SELECT max(at) AS failed_at FROM procrastinate_events
    WHERE job_id = j.id AND type = 'failed'
) f
LEFT JOIN orders o ON o.id::text = j.args ->> 'order_id'
WHERE j.status = 'failed';

-- One line per order: the intent, its latest job, its event trail and its fills.
CREATE VIEW ops.order_pipeline AS
SELECT
    o.id AS order_id,
    c.name AS client,
    o.bot_id,
    o.symbol,
    o.side,
    o.type,
    o.amount,
    o.price,
    o.status,
    o.filled_amount,
    o.attempts,
    o.client_order_id,
    o.exchange_order_id,
    o.last_error_code,
    o.last_error_message,
    o.reject_reason,
    o.created_at,
    o.updated_at,
    j.id AS job_id,
    j.task_name AS job_task,
    j.status AS job_status,
    j.attempts AS job_attempts,
    j.scheduled_at AS job_scheduled_at,
    ev.events,
    ev.last_event,
    ev.last_event_at,
    fl.fills,
    fl.filled_from_fills
FROM orders o
JOIN clients c ON c.id = o.client_id
LEFT JOIN LATERAL (
    SELECT pj.id, pj.task_name, pj.status, pj.attempts, pj.scheduled_at
    FROM procrastinate_jobs pj
    WHERE pj.args ->> 'order_id' = o.id::text
    ORDER BY pj.id DESC
    LIMIT 1
) j ON true
LEFT JOIN LATERAL (
    SELECT
        count(*) AS events,
        (array_agg(
            CASE e.kind
                WHEN 'exchange_call' THEN e.call || ':' || e.outcome
                WHEN 'status_change' THEN 'status:' || e.to_status
                ELSE 'note:' || coalesce(e.message, '')
            END ORDER BY e.id DESC))[1] AS last_event,
        max(e.created_at) AS last_event_at
    FROM order_events e
    WHERE e.order_id = o.id
) ev ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS fills, coalesce(sum(f.amount), 0) AS filled_from_fills
    FROM fills f
    WHERE f.order_id = o.id
) fl ON true;

-- Kill switches currently engaged.
CREATE VIEW ops.engaged_kill_switches AS
SELECT k.id, k.scope, c.name AS client, k.bot_id, k.engaged_by, k.engage_reason, k.engaged_at
FROM kill_switches k
LEFT JOIN clients c ON c.id = k.client_id
WHERE k.released_at IS NULL;
