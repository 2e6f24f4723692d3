-- name: insert_kill_switch
INSERT INTO kill_switches (scope, client_id, bot_id, engaged_by, engage_reason)
VALUES (%(scope)s, %(client_id)s, %(bot_id)s, %(engaged_by)s, %(reason)s)
RETURNING id, scope, client_id, bot_id, engaged_by, engage_reason, engaged_at, released_by,
          release_reason, released_at;

-- name: release_kill_switch
UPDATE kill_switches
SET released_at = now(), released_by = %(released_by)s, release_reason = %(reason)s
WHERE released_at IS NULL
  AND scope = %(scope)s
  AND client_id IS NOT DISTINCT FROM %(client_id)s::uuid
  AND bot_id IS NOT DISTINCT FROM %(bot_id)s::uuid
RETURNING id, scope, client_id, bot_id, engaged_by, engage_reason, engaged_at, released_by,
          release_reason, released_at;

-- name: stop_bots_in_kill_switch_scope
-- A global switch (client_id NULL) covers every bot; a client switch its bots; a bot
-- switch the one bot.
UPDATE bots
SET status = 'stopped', status_reason = 'kill_switch'
WHERE status = 'running'
  AND (%(client_id)s::uuid IS NULL OR client_id = %(client_id)s::uuid)
  AND (%(bot_id)s::uuid IS NULL OR id = %(bot_id)s::uuid)
RETURNING id;

-- name: list_engaged_kill_switches_for_client
SELECT id, scope, client_id, bot_id, engaged_by, engage_reason, engaged_at, released_by,
       release_reason, released_at
FROM kill_switches
WHERE released_at IS NULL
  AND (scope = 'global' OR client_id = %(client_id)s)
ORDER BY engaged_at, id;

-- name: engaged_kill_switch_covering_bot
SELECT id, scope, client_id, bot_id, engaged_by, engage_reason, engaged_at, released_by,
       release_reason, released_at
FROM kill_switches
WHERE released_at IS NULL
  AND (
      scope = 'global'
      OR (scope = 'client' AND client_id = %(client_id)s)
      OR (scope = 'bot' AND client_id = %(client_id)s AND bot_id = %(bot_id)s)
  )
ORDER BY engaged_at
LIMIT 1;

-- name: lock_kill_switches_exclusive
-- Engaging and releasing take this lock exclusively, starting a bot takes it shared: a bot
-- start and a kill switch in its scope can never interleave.
SELECT pg_advisory_xact_lock(%(key)s);

-- name: lock_kill_switches_shared
SELECT pg_advisory_xact_lock_shared(%(key)s);
