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

-- name: stop_bots_covered_by_kill_switches
-- The one way a kill switch stops bots: every running bot an engaged switch covers (or,
-- given bot_id, that one bot if covered) goes to stopped with reason kill_switch.
-- Run when a switch is engaged, again by its apply job, and by a tick that finds its
-- bot covered; stopping is idempotent, so a bot is stopped once whoever comes first.
UPDATE bots b
SET status = 'stopped', status_reason = 'kill_switch'
WHERE b.status = 'running'
  AND (%(bot_id)s::uuid IS NULL OR b.id = %(bot_id)s::uuid)
  AND EXISTS (SELECT 1 FROM engaged_kill_switch(b.client_id, b.id))
RETURNING b.id;

-- name: request_cancel_of_orders_in_kill_switch_scope
-- Live orders covered by the engaged kill switch; each gets a cancel intent (also those
-- asked to cancel before: the switch's cancels bypass the venue's circuit breaker).
-- Locked in id order first, as every multi-row lock of orders is (no deadlock with a
-- reconciliation or a bot's cancels over the same orders).
WITH locked AS MATERIALIZED (
    SELECT o.id
    FROM orders o
    JOIN kill_switches k ON k.id = %(kill_switch_id)s
    WHERE NOT order_status_is_terminal(o.status)
      AND kill_switch_covers(k, o.client_id, o.bot_id)
    ORDER BY o.id
    FOR UPDATE OF o
)
UPDATE orders o
SET cancel_requested_at = coalesce(o.cancel_requested_at, now())
FROM locked
WHERE o.id = locked.id
RETURNING o.id;

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
WHERE kill_switch_covers(kill_switches, %(client_id)s, %(bot_id)s)
ORDER BY engaged_at
LIMIT 1;

-- name: lock_kill_switches_exclusive
-- Engaging and releasing take this lock exclusively, starting a bot takes it shared: a bot
-- start and a kill switch in its scope can never interleave.
SELECT pg_advisory_xact_lock(%(key)s);

-- name: lock_kill_switches_shared
SELECT pg_advisory_xact_lock_shared(%(key)s);
