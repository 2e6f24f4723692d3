-- Bot ticks: one row per tick a bot ran (what it decided and why it skipped), so
-- "why is my bot not quoting?" is answerable with SQL and shown by GET /v1/bots/{id}.
-- The orders themselves carry (bot_id, bot_tick, bot_leg); this table holds the rest.
-- The worker keeps the newest ticks per bot only (diagnostics, not history: the orders
-- and fills are the history and are never dropped).

CREATE TABLE bot_ticks (
    bot_id uuid NOT NULL,
    client_id uuid NOT NULL,
    tick_number bigint NOT NULL CHECK (tick_number > 0),
    outcome text NOT NULL CHECK (outcome IN ('acted', 'idle', 'skipped', 'error')),
    mid numeric CHECK (mid > 0),
    orders_placed integer NOT NULL DEFAULT 0 CHECK (orders_placed >= 0),
    cancels_requested integer NOT NULL DEFAULT 0 CHECK (cancels_requested >= 0),
    -- Why a leg or the whole tick was skipped ("ask side paused: insufficient BTC ...").
    skip_reasons text[] NOT NULL DEFAULT '{}',
    error text,
    next_tick_in_s numeric CHECK (next_tick_in_s >= 0),
    ticked_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, tick_number),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    CHECK (outcome <> 'error' OR error IS NOT NULL)
);
-- The API reads the newest tick that skipped something.
CREATE INDEX bot_ticks_skips_idx ON bot_ticks (bot_id, tick_number DESC)
    WHERE cardinality(skip_reasons) > 0;
CREATE TRIGGER bot_ticks_updated_at BEFORE UPDATE ON bot_ticks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
