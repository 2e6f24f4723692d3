-- name: retention_cutoff
-- The database's clock, once per pruning run, so every batch uses the same cut-off.
SELECT now() - make_interval(secs => %(older_than_s)s) AS cutoff;

-- name: retention_delete_finished_jobs
-- One batch of finished-job retention, one short transaction. Walks procrastinate_jobs
-- in id order (primary key) from after_id, batch_size rows at a time, and deletes the
-- finished ones whose finishing event is older than the cut-off; their events go with
-- them (ON DELETE CASCADE), procrastinate's own trigger unlinks periodic defers.
--
-- "Finished at" is the newest succeeded/failed/cancelled/aborted event of the job (a job
-- failed long ago, retried and finished lately counts from its last finish); it is read
-- through the events' job_id index for the scanned rows only. A job with no finishing
-- event (inserted by hand in a final status) is kept: when it finished is unknown.
--
-- The walk stops once a batch ends on a job *deferred* after the cut-off: ids are handed
-- out in deferral order, so no later job can have finished before it. No index on the
-- events' time is needed (building one would lock procrastinate_events, i.e. every job
-- state change, on exactly the large tables this is for).
--
-- procrastinate's builtin `remove_old_jobs` (query `delete_old_jobs`) is not used: it
-- runs DISTINCT ON over every job joined with every event, a full scan and sort of both
-- tables in one statement, unusable with millions of rows.
WITH scanned AS (
    SELECT id, status
    FROM procrastinate_jobs
    WHERE id > %(after_id)s
    ORDER BY id
    LIMIT %(batch_size)s
),
doomed AS (
    SELECT s.id
    FROM scanned s
    WHERE s.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
      AND (
          SELECT max(e.at)
          FROM procrastinate_events e
          WHERE e.job_id = s.id AND e.type IN ('succeeded', 'failed', 'cancelled', 'aborted')
      ) < %(cutoff)s
),
deleted AS (
    -- Status checked again on the row being deleted: an operator may have retried a
    -- failed job (back to todo) since the scan.
    DELETE FROM procrastinate_jobs j
    USING doomed d
    WHERE j.id = d.id AND j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
    RETURNING j.id
),
last AS (
    SELECT max(id) AS id, count(*) AS scanned FROM scanned
)
SELECT
    last.id AS last_id,
    last.scanned AS scanned,
    (SELECT count(*) FROM deleted) AS deleted,
    coalesce(ops.job_deferred_at(last.id) >= %(cutoff)s, false) AS reached_cutoff
FROM last;
