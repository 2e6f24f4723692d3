-- name: balances_of_credential
SELECT asset, free, used, total, fetched_at
FROM balances
WHERE credential_id = %(credential_id)s
ORDER BY asset;

-- name: balances_refresh_state
SELECT last_attempt_at, last_success_at, last_error, last_error_at
FROM balance_refreshes
WHERE credential_id = %(credential_id)s;
