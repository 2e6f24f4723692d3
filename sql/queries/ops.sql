-- The operator's console (GET /v1/admin/ops): the ops views, read as they are.

-- name: ops_queue_overview
SELECT
    queue_name,
    task_name,
    status::text AS status,
    jobs,
    extract(epoch FROM oldest_waiting)::float8 AS oldest_waiting_s,
    scheduled_later
FROM ops.queue_overview;

-- name: ops_stuck_jobs
SELECT
    job_id,
    queue_name,
    task_name,
    args ->> 'order_id' AS order_id,
    attempts,
    worker_id,
    last_heartbeat,
    extract(epoch FROM running_for)::float8 AS running_for_s,
    reason
FROM ops.stuck_jobs
ORDER BY job_id
LIMIT %(limit)s;

-- name: ops_failed_jobs
-- The newest failures first, each with its order's own last error.
SELECT
    job_id,
    queue_name,
    task_name,
    attempts,
    failed_at,
    order_id,
    order_status::text AS order_status,
    last_error_code,
    last_error_message
FROM ops.failed_jobs
ORDER BY failed_at DESC NULLS LAST, job_id DESC
LIMIT %(limit)s;

-- name: ops_workers
-- Every registered worker with the age of its heartbeat (procrastinate prunes the dead).
SELECT
    id AS worker_id,
    last_heartbeat,
    extract(epoch FROM now() - last_heartbeat)::float8 AS heartbeat_age_s,
    last_heartbeat > now() - make_interval(secs => %(stale_after_s)s) AS live
FROM procrastinate_workers
ORDER BY last_heartbeat DESC;

-- name: ops_engaged_kill_switches
SELECT id, scope::text AS scope, client, bot_id, engaged_by, engage_reason, engaged_at
FROM ops.engaged_kill_switches
ORDER BY engaged_at DESC;
