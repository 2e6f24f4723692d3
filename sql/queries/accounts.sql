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
