-- name: balances_of_credentials
SELECT credential_id, asset, free, used, total, fetched_at
FROM balances
WHERE credential_id = ANY(%(credential_ids)s)
ORDER BY credential_id, asset;

-- name: balances_refresh_states
SELECT credential_id, last_attempt_at, last_success_at, last_error, last_error_at
FROM balance_refreshes
WHERE credential_id = ANY(%(credential_ids)s);

-- name: balances_credentials_of_running_bots
SELECT DISTINCT credential_id FROM bots WHERE status = 'running';
