-- name: insert_strategy
INSERT INTO strategies (client_id, name, secret_hash, secret_hint, max_signal_age_s,
                        session_days, session_start, session_end, session_timezone)
VALUES (%(client_id)s, %(name)s, %(secret_hash)s, %(secret_hint)s, %(max_signal_age_s)s,
        %(session_days)s, %(session_start)s, %(session_end)s, %(session_timezone)s)
RETURNING id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s,
          session_days, session_start, session_end, session_timezone, archived_at,
          created_at, updated_at;

-- name: get_strategy
SELECT id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s, session_days,
       session_start, session_end, session_timezone, archived_at, created_at, updated_at
FROM strategies
WHERE id = %(strategy_id)s AND client_id = %(client_id)s;

-- name: lock_strategy
SELECT id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s, session_days,
       session_start, session_end, session_timezone, archived_at, created_at, updated_at
FROM strategies
WHERE id = %(strategy_id)s AND client_id = %(client_id)s
FOR UPDATE;

-- name: share_lock_strategy
-- Subscribing or starting a bot: archiving the strategy (FOR UPDATE) waits for it.
SELECT id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s, session_days,
       session_start, session_end, session_timezone, archived_at, created_at, updated_at
FROM strategies
WHERE id = %(strategy_id)s AND client_id = %(client_id)s
FOR SHARE;

-- name: strategy_for_webhook
-- Any client's strategy by id, with the secret's hash the webhook authenticates with
-- (read per request: a rotation takes effect at its commit).
SELECT id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s, session_days,
       session_start, session_end, session_timezone, archived_at, created_at, updated_at,
       secret_hash
FROM strategies
WHERE id = %(strategy_id)s;

-- name: list_strategies
SELECT id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s, session_days,
       session_start, session_end, session_timezone, archived_at, created_at, updated_at
FROM strategies
WHERE client_id = %(client_id)s
  AND (%(include_archived)s OR archived_at IS NULL)
ORDER BY created_at DESC, id DESC;

-- name: update_strategy
-- The caller passes the whole new state (it merged the PATCH onto the locked row).
UPDATE strategies
SET name = %(name)s,
    max_signal_age_s = %(max_signal_age_s)s,
    session_days = %(session_days)s,
    session_start = %(session_start)s,
    session_end = %(session_end)s,
    session_timezone = %(session_timezone)s
WHERE id = %(strategy_id)s AND client_id = %(client_id)s AND archived_at IS NULL
RETURNING id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s,
          session_days, session_start, session_end, session_timezone, archived_at,
          created_at, updated_at;

-- name: rotate_strategy_secret
-- The old secret stops working when this commits: the webhook reads the hash per request.
UPDATE strategies
SET secret_hash = %(secret_hash)s, secret_hint = %(secret_hint)s, secret_rotated_at = now()
WHERE id = %(strategy_id)s AND client_id = %(client_id)s AND archived_at IS NULL
RETURNING id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s,
          session_days, session_start, session_end, session_timezone, archived_at,
          created_at, updated_at;

-- name: strategy_running_bots
-- Archiving is refused while these exist (run on the locked strategy row).
SELECT id
FROM bots
WHERE strategy_id = %(strategy_id)s AND client_id = %(client_id)s AND status = 'running'
ORDER BY id;

-- name: archive_strategy
UPDATE strategies
SET archived_at = coalesce(archived_at, now())
WHERE id = %(strategy_id)s AND client_id = %(client_id)s
RETURNING id, client_id, name, secret_hint, secret_rotated_at, max_signal_age_s,
          session_days, session_start, session_end, session_timezone, archived_at,
          created_at, updated_at;
