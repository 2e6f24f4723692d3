-- Venue streams: which worker process owns each credential's user-data stream, and how
-- that stream is doing.
--
-- A credential with live orders or a running bot has one user-data stream, held by one
-- worker process at a time through a lease (`owner`, `lease_expires_at`). The owner
-- renews it every pass (a couple of seconds); a dead owner's lease runs out and another
-- process takes it over. Stream events go through the same forward-only writes as REST
-- answers, so two owners for a moment are harmless; the lease keeps it to a moment.
--
-- `state` is what the owner last reported: `live` (subscribed, the gap since the last
-- event closed by REST, events flowing), `connecting`, `down` (an error; REST polling
-- covers the credential until it is live again) or `idle` (no owner). REST polling
-- skips a credential only while its stream is live under an unexpired lease.

CREATE TABLE stream_workers (
    worker_id text PRIMARY KEY CHECK (length(worker_id) BETWEEN 1 AND 200),
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_streams (
    credential_id uuid PRIMARY KEY REFERENCES exchange_credentials (id) ON DELETE CASCADE,
    owner text,
    lease_expires_at timestamptz,
    leased_at timestamptz,
    state text NOT NULL DEFAULT 'idle'
        CHECK (state IN ('idle', 'connecting', 'live', 'down')),
    state_since timestamptz NOT NULL DEFAULT now(),
    live_since timestamptz,
    last_event_at timestamptz,
    events bigint NOT NULL DEFAULT 0 CHECK (events >= 0),
    reconnects bigint NOT NULL DEFAULT 0 CHECK (reconnects >= 0),
    fallbacks bigint NOT NULL DEFAULT 0 CHECK (fallbacks >= 0),
    takeovers bigint NOT NULL DEFAULT 0 CHECK (takeovers >= 0),
    last_error text CHECK (length(last_error) <= 500),
    last_error_at timestamptz,
    CHECK ((owner IS NULL) = (lease_expires_at IS NULL))
);
CREATE INDEX user_streams_owner_idx ON user_streams (owner) WHERE owner IS NOT NULL;

-- Which path brought each change an order_events row records: a REST call's answer or a
-- stream event. NULL for rows that are neither (intents, notes) and for older rows.
ALTER TABLE order_events ADD COLUMN via text CHECK (via IN ('rest', 'stream'));

-- ops.user_streams: one line per stream, for `psql` at 3 a.m.
CREATE VIEW ops.user_streams AS
SELECT s.credential_id,
       c.exchange AS venue,
       c.label AS credential,
       s.state,
       s.owner,
       s.lease_expires_at > now() AS lease_valid,
       round(extract(epoch FROM now() - s.state_since)::numeric, 1) AS state_for_s,
       round(extract(epoch FROM now() - s.last_event_at)::numeric, 1) AS last_event_age_s,
       s.events,
       s.reconnects,
       s.fallbacks,
       s.takeovers,
       s.last_error,
       s.last_error_at
FROM user_streams s
JOIN exchange_credentials c ON c.id = s.credential_id
ORDER BY s.state <> 'live', c.exchange, s.credential_id;

-- Orders with fills changed lately, for the missing-fills repair (an order whose fills add
-- up to less than its filled amount: a trade lost on its way in, on any path).
CREATE INDEX orders_recently_filled_idx ON orders (updated_at) WHERE filled_amount > 0;
