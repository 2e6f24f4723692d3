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
-- A credential whose user-data stream is live gets its balances from the stream.
SELECT DISTINCT b.credential_id
FROM bots b
WHERE b.status = 'running'
  AND NOT EXISTS (
      SELECT 1 FROM user_streams s
      WHERE s.credential_id = b.credential_id
        AND s.state = 'live' AND s.lease_expires_at > now()
  );
