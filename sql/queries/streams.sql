-- User-data stream leases (migration 0014). One pass of a worker's stream supervisor is
-- one transaction over these statements: beat, release what it no longer needs, renew,
-- shed its share's excess, claim up to its share.

-- name: streams_worker_beat
INSERT INTO stream_workers (worker_id) VALUES (%(worker_id)s)
ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now();

-- name: streams_forget_dead_workers
-- A worker that stopped beating holds nothing: its leases run out on their own.
DELETE FROM stream_workers
WHERE heartbeat_at < now() - make_interval(secs => %(dead_after_s)s);

-- name: streams_worker_leave
-- A worker shutting down hands its streams over at once instead of letting leases expire.
WITH gone AS (
    DELETE FROM stream_workers WHERE worker_id = %(worker_id)s
)
UPDATE user_streams
SET owner = NULL, lease_expires_at = NULL, state = 'idle', state_since = now(),
    live_since = NULL
WHERE owner = %(worker_id)s;

-- name: streams_live_workers
SELECT count(*) FROM stream_workers
WHERE heartbeat_at >= now() - make_interval(secs => %(dead_after_s)s);

-- name: streams_wanted
-- Credentials that need a user-data stream: not revoked, on a venue with streams, and
-- with a running bot or an order that may still change at the venue. Makes sure each
-- has its row.
WITH wanted AS (
    SELECT c.id
    FROM exchange_credentials c
    WHERE c.revoked_at IS NULL
      AND c.exchange = ANY(%(venues)s::text[])
      AND (
          EXISTS (SELECT 1 FROM bots b WHERE b.credential_id = c.id AND b.status = 'running')
          OR EXISTS (
              SELECT 1 FROM orders o
              WHERE o.credential_id = c.id
                AND o.status IN ('accepted', 'submitting', 'unknown', 'open', 'partially_filled')
          )
      )
), added AS (
    INSERT INTO user_streams (credential_id)
    SELECT id FROM wanted
    ON CONFLICT (credential_id) DO NOTHING
)
SELECT id FROM wanted ORDER BY id;

-- name: streams_release_unwanted
-- Streams this worker holds that nothing needs any more.
UPDATE user_streams
SET owner = NULL, lease_expires_at = NULL, state = 'idle', state_since = now(),
    live_since = NULL
WHERE owner = %(worker_id)s AND NOT (credential_id = ANY(%(wanted)s::uuid[]))
RETURNING credential_id;

-- name: streams_renew
UPDATE user_streams
SET lease_expires_at = now() + make_interval(secs => %(ttl_s)s)
WHERE owner = %(worker_id)s AND credential_id = ANY(%(wanted)s::uuid[])
RETURNING credential_id;

-- name: streams_shed
-- More than this worker's share (a replica joined): hand the newest leases back; a
-- worker under its share claims them on its next pass.
UPDATE user_streams
SET owner = NULL, lease_expires_at = NULL, state = 'idle', state_since = now(),
    live_since = NULL
WHERE credential_id IN (
    SELECT credential_id FROM user_streams
    WHERE owner = %(worker_id)s
    ORDER BY leased_at DESC, credential_id
    LIMIT %(count)s
    FOR UPDATE SKIP LOCKED
)
RETURNING credential_id;

-- name: streams_claim
-- Up to `count` wanted streams with no owner or an expired lease (a dead owner's).
UPDATE user_streams s
SET owner = %(worker_id)s,
    lease_expires_at = now() + make_interval(secs => %(ttl_s)s),
    leased_at = now(),
    takeovers = s.takeovers + (s.owner IS NOT NULL)::int,
    state = 'connecting',
    state_since = now(),
    live_since = NULL
WHERE s.credential_id IN (
    SELECT credential_id FROM user_streams
    WHERE credential_id = ANY(%(wanted)s::uuid[])
      AND (owner IS NULL OR lease_expires_at < now())
    ORDER BY credential_id
    LIMIT %(count)s
    FOR UPDATE SKIP LOCKED
)
RETURNING s.credential_id;

-- name: streams_report
-- What the owner's stream did since its last report; only while it still holds the lease.
UPDATE user_streams
SET state = %(state)s,
    state_since = CASE WHEN state = %(state)s THEN state_since ELSE now() END,
    live_since = CASE WHEN %(state)s <> 'live' THEN NULL
                      WHEN state = 'live' THEN live_since
                      ELSE now() END,
    last_event_at = greatest(last_event_at, %(last_event_at)s),
    events = events + %(events)s,
    reconnects = reconnects + %(reconnects)s,
    fallbacks = fallbacks + %(fallbacks)s,
    last_error = coalesce(%(error)s, last_error),
    last_error_at = CASE WHEN %(error)s IS NULL THEN last_error_at ELSE now() END
WHERE credential_id = %(credential_id)s AND owner = %(worker_id)s
RETURNING credential_id;

-- name: streams_is_live
-- Is the credential's stream live under a valid lease (so REST polling may rest)?
SELECT EXISTS (
    SELECT 1 FROM user_streams
    WHERE credential_id = %(credential_id)s AND state = 'live' AND lease_expires_at > now()
);

-- name: streams_states
SELECT credential_id, owner, state, lease_expires_at > now() AS lease_valid, live_since,
       last_event_at, events, reconnects, fallbacks, takeovers, last_error
FROM user_streams
WHERE credential_id = ANY(%(credential_ids)s::uuid[])
ORDER BY credential_id;
