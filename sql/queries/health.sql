-- name: health_workers
-- Workers whose heartbeat is recent (procrastinate beats every few seconds).
SELECT
    count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => %(stale_after_s)s))
        AS live_workers,
    max(last_heartbeat) AS last_heartbeat
FROM procrastinate_workers;

-- name: health_queue
-- Cheap enough for a load balancer: a count on the partial `todo` index, one event
-- lookup for the oldest ready job, and the `doing` jobs (few) for the stuck count.
WITH ready AS (
    SELECT id, scheduled_at
    FROM procrastinate_jobs
    WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
)
SELECT
    (SELECT count(*) FROM ready) AS ready_jobs,
    (
        SELECT extract(epoch FROM now() - greatest(coalesce(r.scheduled_at, '-infinity'),
                                                   ops.job_deferred_at(r.id)))::float8
        FROM ready r
        ORDER BY r.id
        LIMIT 1
    ) AS oldest_wait_s,
    (SELECT count(*) FROM ops.stuck_jobs) AS stuck_jobs;

-- name: health_ping
SELECT 1;

-- name: health_ready_jobs_per_queue
-- Ready jobs per queue, for the worker's metrics (a cheap count on the todo index).
SELECT queue_name, count(*) AS ready_jobs
FROM procrastinate_jobs
WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
GROUP BY queue_name;
