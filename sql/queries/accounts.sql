-- name: accounts_upsert_balance
INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)
VALUES (%(credential_id)s, %(asset)s, %(free)s, %(used)s, %(total)s, %(fetched_at)s)
ON CONFLICT (credential_id, asset) DO UPDATE SET
    free = EXCLUDED.free,
    used = EXCLUDED.used,
    total = EXCLUDED.total,
    fetched_at = EXCLUDED.fetched_at
WHERE balances.fetched_at <= EXCLUDED.fetched_at;

-- name: accounts_zero_missing_assets
-- An asset the venue no longer lists was spent to zero: say so, with the new time.
UPDATE balances
SET free = 0, used = 0, total = 0, fetched_at = %(fetched_at)s
WHERE credential_id = %(credential_id)s
  AND NOT (asset = ANY(%(assets)s))
  AND fetched_at < %(fetched_at)s;

-- name: accounts_refresh_succeeded
INSERT INTO balance_refreshes (credential_id, last_attempt_at, last_success_at)
VALUES (%(credential_id)s, %(at)s, %(at)s)
ON CONFLICT (credential_id) DO UPDATE SET
    last_attempt_at = EXCLUDED.last_attempt_at,
    last_success_at = EXCLUDED.last_success_at,
    last_error = NULL,
    last_error_at = NULL;

-- name: accounts_refresh_failed
-- The snapshot in `balances` is left as it was: the last good values, now stale.
INSERT INTO balance_refreshes (credential_id, last_attempt_at, last_error, last_error_at)
VALUES (%(credential_id)s, %(at)s, %(error)s, %(at)s)
ON CONFLICT (credential_id) DO UPDATE SET
    last_attempt_at = EXCLUDED.last_attempt_at,
    last_error = EXCLUDED.last_error,
    last_error_at = EXCLUDED.last_error_at;

-- name: kill_switch_orders_in_scope
-- Live orders covered by an engaged kill switch; each gets a cancel intent. Locked in id
-- order first, as every multi-row lock of orders is (no deadlock with a reconciliation
-- or a bot's cancels over the same orders).
WITH locked AS MATERIALIZED (
    SELECT o.id
    FROM orders o
    JOIN kill_switches k ON k.id = %(kill_switch_id)s
    WHERE k.released_at IS NULL
      AND NOT order_status_is_terminal(o.status)
      AND (
          k.scope = 'global'
          OR (k.scope = 'client' AND o.client_id = k.client_id)
          OR (k.scope = 'bot' AND o.bot_id = k.bot_id)
      )
    ORDER BY o.id
    FOR UPDATE OF o
)
UPDATE orders o
SET cancel_requested_at = coalesce(o.cancel_requested_at, now())
FROM locked
WHERE o.id = locked.id
RETURNING o.id;

-- name: kill_switch_stop_bots_in_scope
UPDATE bots b
SET status = 'stopped', status_reason = 'kill_switch'
FROM kill_switches k
WHERE k.id = %(kill_switch_id)s
  AND k.released_at IS NULL
  AND b.status = 'running'
  AND (
      k.scope = 'global'
      OR (k.scope = 'client' AND b.client_id = k.client_id)
      OR (k.scope = 'bot' AND b.id = k.bot_id)
  );
