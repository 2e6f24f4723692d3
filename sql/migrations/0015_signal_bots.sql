-- Signal bots: strategies with a webhook, signals fanned out to the bots that subscribe,
-- positions with protective exits, and venue order lists (OCO) in the order pipeline.
--
-- Flow: POST /v1/signals/{strategy_id} records a signal (unique per strategy and the
-- sender's signal_id) and defers one `fan_out_signal` job in the same transaction. The
-- job writes, in one statement, one `signal_deliveries` row per subscribed running bot
-- (ordered, with its order intent; or skipped, with the reason) and the order intents
-- themselves, idempotency key `signal:{signal}:{bot}`. A signal bot's ticks then manage
-- its position: protective exits on entry fills (a venue OCO order list where the venue
-- has one, else watched by the worker), a trailing stop, and the close.

-- New enum values are used in this file only as text (a value added in a transaction
-- cannot be used as an enum literal before that transaction commits).
ALTER TYPE bot_kind ADD VALUE IF NOT EXISTS 'signal';
ALTER TYPE order_type ADD VALUE IF NOT EXISTS 'stop_loss_limit';
ALTER TYPE order_type ADD VALUE IF NOT EXISTS 'take_profit_limit';

-- ---------------------------------------------------------------- strategies

CREATE TABLE strategies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the webhook secret (shown once, at creation and at each rotation).
    -- Charting tools can post a body but cannot set headers: the secret goes in the body.
    secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    secret_hint text NOT NULL CHECK (length(secret_hint) BETWEEN 1 AND 20),
    secret_rotated_at timestamptz NOT NULL DEFAULT now(),
    -- A signal older than this (by its own time, else by arrival) is refused.
    max_signal_age_s integer NOT NULL DEFAULT 60 CHECK (max_signal_age_s BETWEEN 1 AND 86400),
    -- Session window: signals outside it are refused. NULL days: every day; NULL
    -- start/end: all day. start > end spans midnight (22:00-06:00).
    session_days smallint[] CHECK (session_days <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
    session_start time,
    session_end time,
    session_timezone text NOT NULL DEFAULT 'UTC' CHECK (length(session_timezone) BETWEEN 1 AND 64),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, client_id),
    CHECK ((session_start IS NULL) = (session_end IS NULL))
);
CREATE UNIQUE INDEX strategies_name_uq ON strategies (client_id, name) WHERE archived_at IS NULL;
CREATE TRIGGER strategies_updated_at BEFORE UPDATE ON strategies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A signal bot subscribes to one strategy of its own client.
ALTER TABLE bots ADD COLUMN strategy_id uuid;
ALTER TABLE bots ADD FOREIGN KEY (strategy_id, client_id) REFERENCES strategies (id, client_id);
ALTER TABLE bots ADD CHECK ((kind::text = 'signal') = (strategy_id IS NOT NULL));
-- The fan-out's scan: the running bots of a strategy.
CREATE INDEX bots_strategy_running_idx ON bots (strategy_id, symbol)
    WHERE strategy_id IS NOT NULL AND status = 'running';

-- ---------------------------------------------------------------- signals

CREATE TABLE signals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    strategy_id uuid NOT NULL,
    client_id uuid NOT NULL,
    -- The sender's id: the same one twice (a retried webhook) is one signal.
    signal_id text NOT NULL CHECK (signal_id ~ '^[\x21-\x7E]{1,128}$'),
    -- SHA-256 of the canonical signal: the same id with other content is refused.
    fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
    symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
    action text NOT NULL CHECK (action IN ('enter', 'exit')),
    reference_price numeric CHECK (reference_price > 0),
    signal_time timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- refused: recorded with the reason (too old, outside the session window), never fanned out.
    outcome text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    refusal_reason text CHECK (length(refusal_reason) <= 500),
    -- The first response, returned again for a replay.
    response_status smallint NOT NULL,
    response_body jsonb NOT NULL,
    fanned_out_at timestamptz,
    bots_targeted integer CHECK (bots_targeted >= 0),
    orders_created integer CHECK (orders_created >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (strategy_id, signal_id),
    FOREIGN KEY (strategy_id, client_id) REFERENCES strategies (id, client_id),
    CHECK ((outcome = 'refused') = (refusal_reason IS NOT NULL)),
    CHECK (outcome = 'accepted' OR fanned_out_at IS NULL)
);
CREATE INDEX signals_strategy_listing_idx ON signals (strategy_id, received_at DESC);
CREATE INDEX signals_pending_fan_out_idx ON signals (received_at)
    WHERE outcome = 'accepted' AND fanned_out_at IS NULL;
CREATE TRIGGER signals_updated_at BEFORE UPDATE ON signals
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- positions

-- One open position per bot at a time. Its fills are the fills of its orders
-- (orders.position_id): entries buy, exits sell; the sizes and P&L are computed from
-- them (ops.positions), so a crash can never leave a total out of step with its fills.
CREATE TABLE positions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    bot_id uuid NOT NULL,
    credential_id uuid NOT NULL,
    symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
    -- open: entries and exits managed; closing: exits being canceled, the rest sold;
    -- closed: nothing left at the venue.
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closing', 'closed')),
    opened_by_signal uuid REFERENCES signals (id),
    -- Protective exits. stop_price only ever moves up (in the position's favour).
    stop_price numeric CHECK (stop_price > 0),
    take_profit_price numeric CHECK (take_profit_price > 0),
    -- ATR at the first entry (risk sizing and ATR-scaled stops and trails).
    atr numeric CHECK (atr > 0),
    -- The highest price seen since the first entry fill: the trailing stop's anchor.
    trail_anchor numeric CHECK (trail_anchor > 0),
    -- venue: an OCO order list at the venue; watched: the worker watches the market.
    exit_mode text NOT NULL CHECK (exit_mode IN ('venue', 'watched')),
    close_reason text CHECK (length(close_reason) <= 200),
    closing_since timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, client_id),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    FOREIGN KEY (credential_id, client_id) REFERENCES exchange_credentials (id, client_id),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (status = 'open' OR close_reason IS NOT NULL)
);
CREATE UNIQUE INDEX positions_one_open_per_bot_uq ON positions (bot_id) WHERE status <> 'closed';
CREATE INDEX positions_bot_listing_idx ON positions (bot_id, created_at DESC);
CREATE TRIGGER positions_updated_at BEFORE UPDATE ON positions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Append-only: every change of a position's protection and state, like order_events.
CREATE TABLE position_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position_id uuid NOT NULL REFERENCES positions (id),
    kind text NOT NULL CHECK (kind IN (
        'opened', 'exits_placed', 'exits_replaced', 'stop_moved', 'exit_triggered',
        'closing', 'closed', 'note'
    )),
    stop_from numeric,
    stop_to numeric,
    detail text CHECK (length(detail) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX position_events_position_idx ON position_events (position_id, id);

-- ---------------------------------------------------------------- order lists (OCO)

-- One venue request that creates two orders that cancel each other. The legs are order
-- rows (orders.order_list_id) and after placement behave like any order (stream, REST
-- reconciliation, cancel by client order id: the venue cancels the whole list). The
-- list row carries what placement needs: its own deterministic client id, looked up
-- before any re-send, and the attempts.
CREATE TABLE order_lists (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    credential_id uuid NOT NULL,
    symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
    kind text NOT NULL DEFAULT 'oco' CHECK (kind IN ('oco')),
    list_client_order_id text NOT NULL CHECK (list_client_order_id ~ '^[A-Za-z0-9_-]{1,36}$'),
    exchange_list_id text,
    -- accepted/submitting/unknown: as orders; placed: the venue holds it (the legs say
    -- the rest); rejected/failed: neither leg exists.
    status text NOT NULL DEFAULT 'accepted' CHECK (status IN (
        'accepted', 'submitting', 'unknown', 'placed', 'rejected', 'failed'
    )),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error_code text,
    last_error_message text,
    reject_reason text,
    idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[\x20-\x7E]{1,255}$'),
    position_id uuid REFERENCES positions (id),
    submitted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, idempotency_key),
    UNIQUE (credential_id, list_client_order_id),
    FOREIGN KEY (credential_id, client_id) REFERENCES exchange_credentials (id, client_id),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL)
);
CREATE TRIGGER order_lists_updated_at BEFORE UPDATE ON order_lists
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- orders

ALTER TABLE orders ADD COLUMN stop_price numeric CHECK (stop_price > 0);
ALTER TABLE orders ADD COLUMN signal_id uuid REFERENCES signals (id);
ALTER TABLE orders ADD COLUMN position_id uuid REFERENCES positions (id);
ALTER TABLE orders ADD COLUMN order_list_id uuid REFERENCES order_lists (id);
CREATE INDEX orders_position_idx ON orders (position_id) WHERE position_id IS NOT NULL;
CREATE INDEX orders_order_list_idx ON orders (order_list_id) WHERE order_list_id IS NOT NULL;

-- Replace two unnamed CHECKs of 0001: a limit price now also belongs to the stop types,
-- and a bot's order comes from a tick or from a signal/position (no tick number).
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'orders'::regclass AND contype = 'c'
          AND (pg_get_constraintdef(oid) LIKE '%(type = ''limit''::order_type) = (price IS NOT NULL)%'
            OR pg_get_constraintdef(oid) LIKE '%bot_tick IS NOT NULL%')
    LOOP
        EXECUTE format('ALTER TABLE orders DROP CONSTRAINT %I', c.conname);
    END LOOP;
END
$$;
ALTER TABLE orders ADD CONSTRAINT orders_price_by_type_check
    CHECK ((type::text IN ('limit', 'stop_loss_limit', 'take_profit_limit')) = (price IS NOT NULL));
ALTER TABLE orders ADD CONSTRAINT orders_stop_price_by_type_check
    CHECK ((type::text IN ('stop_loss_limit', 'take_profit_limit')) = (stop_price IS NOT NULL));
ALTER TABLE orders ADD CONSTRAINT orders_bot_origin_check
    CHECK (source = 'api' OR (bot_id IS NOT NULL AND bot_leg IS NOT NULL
        AND (bot_tick IS NOT NULL OR signal_id IS NOT NULL OR position_id IS NOT NULL)));

-- ---------------------------------------------------------------- signal deliveries

-- What one signal did for one bot: the entry intent it wrote (ordered), the position it
-- set closing (an exit signal), or why it did neither (slippage beyond the bot's bound,
-- max position reached, no funds, no position to exit, ...). The primary key is the
-- exactly-once guarantee of the fan-out.
CREATE TABLE signal_deliveries (
    signal_id uuid NOT NULL REFERENCES signals (id),
    bot_id uuid NOT NULL,
    client_id uuid NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('ordered', 'closing', 'skipped')),
    reason text CHECK (length(reason) <= 500),
    order_id uuid REFERENCES orders (id),
    position_id uuid REFERENCES positions (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (signal_id, bot_id),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    CHECK ((outcome = 'ordered') = (order_id IS NOT NULL)),
    CHECK (outcome = 'ordered' OR reason IS NOT NULL)
);
CREATE INDEX signal_deliveries_bot_idx ON signal_deliveries (bot_id, created_at DESC);

-- ---------------------------------------------------------------- ops

-- A position with its numbers, all from its fills: entry (bought), exits (sold), size,
-- average entry price and realized P&L (sold amount at the average entry), fees apart.
CREATE VIEW ops.positions AS
SELECT
    p.id, p.client_id, p.bot_id, p.credential_id, p.symbol, p.status, p.exit_mode,
    p.stop_price, p.take_profit_price, p.trail_anchor, p.atr, p.close_reason,
    coalesce(t.bought, 0) AS entry_amount,
    coalesce(t.sold, 0) AS exit_amount,
    coalesce(t.bought, 0) - coalesce(t.sold, 0) AS size,
    CASE WHEN t.bought > 0 THEN t.bought_cost / t.bought END AS avg_entry_price,
    CASE WHEN t.sold > 0 THEN t.sold_proceeds / t.sold END AS avg_exit_price,
    CASE WHEN t.bought > 0
        THEN coalesce(t.sold_proceeds, 0) - coalesce(t.sold, 0) * (t.bought_cost / t.bought)
        ELSE 0 END AS realized_pnl,
    p.created_at AS opened_at, p.closed_at
FROM positions p
LEFT JOIN LATERAL (
    SELECT
        sum(f.amount) FILTER (WHERE f.side = 'buy') AS bought,
        sum(f.amount * f.price) FILTER (WHERE f.side = 'buy') AS bought_cost,
        sum(f.amount) FILTER (WHERE f.side = 'sell') AS sold,
        sum(f.amount * f.price) FILTER (WHERE f.side = 'sell') AS sold_proceeds
    FROM orders o
    JOIN fills f ON f.order_id = o.id
    WHERE o.position_id = p.id
) t ON true;
