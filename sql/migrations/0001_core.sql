-- Core data model: tenants, credentials, bots, the order pipeline, fills, balances,
-- kill switches. Money is NUMERIC; every enumeration is defined here once and mirrored
-- by one Python enum in shared/domain.py (a test compares them).


-- ---------------------------------------------------------------- shared helpers

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------- enumerations

CREATE TYPE credential_environment AS ENUM ('live', 'testnet', 'paper');
CREATE TYPE bot_kind AS ENUM ('spread', 'volume');
CREATE TYPE bot_status AS ENUM ('stopped', 'running', 'error');
CREATE TYPE order_side AS ENUM ('buy', 'sell');
CREATE TYPE order_type AS ENUM ('limit', 'market');
CREATE TYPE time_in_force AS ENUM ('GTC', 'IOC', 'FOK');
CREATE TYPE order_status AS ENUM (
    'accepted', 'submitting', 'unknown',
    'open', 'partially_filled',
    'filled', 'canceled', 'expired', 'rejected', 'failed'
);
CREATE TYPE order_source AS ENUM ('api', 'bot');
CREATE TYPE order_event_kind AS ENUM ('status_change', 'exchange_call', 'note');
CREATE TYPE call_outcome AS ENUM ('ok', 'transient', 'permanent', 'ambiguous');
CREATE TYPE kill_switch_scope AS ENUM ('global', 'client', 'bot');

-- Statuses only move forward: equal or higher rank, and a terminal status is final.
-- The three states before the venue knows the order share one rank: after a transient
-- failure (nothing was sent) an order goes from submitting back to accepted.
-- Mirrored by shared.domain.ORDER_STATUS_RANK.
CREATE FUNCTION order_status_rank(s order_status) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE s
        WHEN 'accepted' THEN 0
        WHEN 'submitting' THEN 0
        WHEN 'unknown' THEN 0
        WHEN 'open' THEN 1
        WHEN 'partially_filled' THEN 2
        ELSE 3
    END
$$;

CREATE FUNCTION order_status_is_terminal(s order_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s IN ('filled', 'canceled', 'expired', 'rejected', 'failed')
$$;

-- ---------------------------------------------------------------- venues

-- The supported venue list. A reference table rather than an enum so that per-venue
-- facts (connector, request-weight budget) live beside the name.
CREATE TABLE venues (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{2,32}$'),
    display_name text NOT NULL,
    connector text NOT NULL CHECK (connector IN ('ccxt', 'native')),
    ccxt_id text,
    request_weight_per_minute integer NOT NULL CHECK (request_weight_per_minute > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((connector = 'ccxt') = (ccxt_id IS NOT NULL))
);

INSERT INTO venues (code, display_name, connector, ccxt_id, request_weight_per_minute) VALUES
    ('binance', 'Binance', 'ccxt', 'binance', 6000),
    ('bybit', 'Bybit', 'ccxt', 'bybit', 6000),
    ('okx', 'OKX', 'ccxt', 'okx', 1200),
    ('kraken', 'Kraken', 'ccxt', 'kraken', 900),
    ('kucoin', 'KuCoin', 'ccxt', 'kucoin', 2000),
    ('gateio', 'Gate', 'ccxt', 'gateio', 1200),
    ('mexc', 'MEXC', 'ccxt', 'mexc', 1200);

-- ---------------------------------------------------------------- tenants and tokens

CREATE TABLE clients (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE TRIGGER clients_updated_at BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Only the SHA-256 of a token is stored; the token itself is shown once at creation.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id),
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    token_prefix text NOT NULL CHECK (length(token_prefix) BETWEEN 4 AND 16),
    label text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_client_idx ON api_tokens (client_id);

-- ---------------------------------------------------------------- exchange credentials

CREATE TABLE exchange_credentials (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id),
    exchange text NOT NULL REFERENCES venues (code),
    environment credential_environment NOT NULL DEFAULT 'live',
    api_base_url text CHECK (api_base_url IS NULL OR api_base_url ~ '^https?://[^\s]+$'),
    label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    -- HPKE-sealed JSON of {api_key, secret, passphrase}; info binds credential id,
    -- client id and exchange, so a blob copied to another row does not open.
    sealed_secret bytea NOT NULL CHECK (octet_length(sealed_secret) > 32),
    key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    masked_hint text NOT NULL CHECK (length(masked_hint) <= 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    -- Targets of the composite foreign keys that keep bots and orders inside one tenant.
    UNIQUE (id, client_id),
    UNIQUE (id, client_id, exchange)
);
CREATE UNIQUE INDEX exchange_credentials_label_uq
    ON exchange_credentials (client_id, label) WHERE revoked_at IS NULL;
CREATE TRIGGER exchange_credentials_updated_at BEFORE UPDATE ON exchange_credentials
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- bots

CREATE TABLE bots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind bot_kind NOT NULL,
    exchange text NOT NULL REFERENCES venues (code),
    symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
    credential_id uuid NOT NULL,
    config jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    status bot_status NOT NULL DEFAULT 'stopped',
    status_reason text,
    tick_number bigint NOT NULL DEFAULT 0 CHECK (tick_number >= 0),
    last_tick_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    -- The bot's credential belongs to the same client and trades on the same venue.
    FOREIGN KEY (credential_id, client_id, exchange)
        REFERENCES exchange_credentials (id, client_id, exchange),
    UNIQUE (id, client_id),
    CHECK (archived_at IS NULL OR status <> 'running')
);
CREATE UNIQUE INDEX bots_name_uq ON bots (client_id, name) WHERE archived_at IS NULL;
CREATE INDEX bots_running_idx ON bots (id) WHERE status = 'running';
CREATE TRIGGER bots_updated_at BEFORE UPDATE ON bots
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- orders

-- One row is the intent and its whole lifecycle.
CREATE TABLE orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id),
    credential_id uuid NOT NULL,
    bot_id uuid,
    source order_source NOT NULL DEFAULT 'api',
    bot_tick bigint,
    bot_leg text,

    symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
    side order_side NOT NULL,
    type order_type NOT NULL,
    time_in_force time_in_force,
    amount numeric NOT NULL CHECK (amount > 0),
    price numeric CHECK (price > 0),

    -- HTTP idempotency (IETF Idempotency-Key): the key, a fingerprint of the request
    -- body, and the first response, replayed verbatim for a repeated request.
    idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[\x20-\x7E]{1,255}$'),
    request_fingerprint bytea NOT NULL CHECK (octet_length(request_fingerprint) = 32),
    response_status smallint,
    response_body jsonb,

    -- Deterministic, always sent explicitly; fits the strictest venue rules we support.
    client_order_id text NOT NULL CHECK (client_order_id ~ '^[A-Za-z0-9_-]{1,36}$'),
    exchange_order_id text,

    status order_status NOT NULL DEFAULT 'accepted',
    filled_amount numeric NOT NULL DEFAULT 0,
    remaining_amount numeric GENERATED ALWAYS AS (amount - filled_amount) STORED,
    avg_fill_price numeric CHECK (avg_fill_price > 0),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error_code text,
    last_error_message text,
    reject_reason text,
    cancel_requested_at timestamptz,
    submitted_at timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),

    UNIQUE (client_id, idempotency_key),
    UNIQUE (credential_id, client_order_id),
    FOREIGN KEY (credential_id, client_id) REFERENCES exchange_credentials (id, client_id),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    CHECK (filled_amount >= 0 AND filled_amount <= amount),
    CHECK ((type = 'limit') = (price IS NOT NULL)),
    CHECK (source = 'api' OR (bot_id IS NOT NULL AND bot_tick IS NOT NULL AND bot_leg IS NOT NULL)),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL)
);
CREATE UNIQUE INDEX orders_exchange_order_id_uq
    ON orders (credential_id, symbol, exchange_order_id) WHERE exchange_order_id IS NOT NULL;
CREATE INDEX orders_client_listing_idx ON orders (client_id, created_at DESC, id DESC);
CREATE INDEX orders_bot_idx ON orders (bot_id, created_at DESC) WHERE bot_id IS NOT NULL;
-- What reconciliation and recovery scan: everything not yet terminal.
CREATE INDEX orders_live_idx ON orders (credential_id, status)
    WHERE status IN ('accepted', 'submitting', 'unknown', 'open', 'partially_filled');
CREATE TRIGGER orders_updated_at BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Belt and braces under the UPDATEs' own WHERE clauses: a status never moves backwards,
-- a terminal status is final, the filled amount never decreases.
CREATE FUNCTION orders_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF order_status_is_terminal(OLD.status) AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'order % is %, a terminal status', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF order_status_rank(NEW.status) < order_status_rank(OLD.status) THEN
        RAISE EXCEPTION 'order % cannot move from % back to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.filled_amount < OLD.filled_amount THEN
        RAISE EXCEPTION 'order % filled amount cannot decrease (% -> %)',
            OLD.id, OLD.filled_amount, NEW.filled_amount
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER orders_forward_only BEFORE UPDATE OF status, filled_amount ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_forward_only();

-- Append-only log of every status transition and every exchange call outcome.
CREATE TABLE order_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    kind order_event_kind NOT NULL,
    from_status order_status,
    to_status order_status,
    attempt integer,
    call text,
    outcome call_outcome,
    error_class text,
    venue_code text,
    message text,
    latency_ms integer CHECK (latency_ms >= 0),
    job_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'status_change' OR to_status IS NOT NULL),
    CHECK (kind <> 'exchange_call' OR (call IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- ---------------------------------------------------------------- fills

CREATE TABLE fills (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES clients (id),
    credential_id uuid NOT NULL,
    order_id uuid REFERENCES orders (id),
    bot_id uuid,
    symbol text NOT NULL,
    exchange_trade_id text NOT NULL,
    exchange_order_id text,
    side order_side NOT NULL,
    price numeric NOT NULL CHECK (price > 0),
    amount numeric NOT NULL CHECK (amount > 0),
    quote_amount numeric GENERATED ALWAYS AS (price * amount) STORED,
    fee_amount numeric NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    fee_currency text,
    is_maker boolean,
    traded_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Written with INSERT ... ON CONFLICT DO NOTHING: a trade seen twice is one row.
    UNIQUE (credential_id, symbol, exchange_trade_id),
    FOREIGN KEY (credential_id, client_id) REFERENCES exchange_credentials (id, client_id),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    CHECK (fee_amount = 0 OR fee_currency IS NOT NULL)
);
CREATE INDEX fills_order_idx ON fills (order_id);
CREATE INDEX fills_bot_time_idx ON fills (bot_id, traded_at) WHERE bot_id IS NOT NULL;
CREATE INDEX fills_client_time_idx ON fills (client_id, traded_at);

-- ---------------------------------------------------------------- balances

-- The last good snapshot per credential and asset. A failed refresh never overwrites it:
-- it records the error in balance_refreshes, and readers report the values as stale.
CREATE TABLE balances (
    credential_id uuid NOT NULL REFERENCES exchange_credentials (id),
    asset text NOT NULL CHECK (asset ~ '^[A-Z0-9]{1,20}$'),
    free numeric NOT NULL CHECK (free >= 0),
    used numeric NOT NULL CHECK (used >= 0),
    total numeric NOT NULL CHECK (total >= 0),
    fetched_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (credential_id, asset)
);
CREATE TRIGGER balances_updated_at BEFORE UPDATE ON balances
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE balance_refreshes (
    credential_id uuid PRIMARY KEY REFERENCES exchange_credentials (id),
    last_attempt_at timestamptz NOT NULL,
    last_success_at timestamptz,
    last_error text,
    last_error_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER balance_refreshes_updated_at BEFORE UPDATE ON balance_refreshes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------- kill switches

-- Every engage and release, with who and why; engaged = released_at IS NULL.
CREATE TABLE kill_switches (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    scope kill_switch_scope NOT NULL,
    client_id uuid REFERENCES clients (id),
    bot_id uuid,
    engaged_by text NOT NULL CHECK (length(engaged_by) BETWEEN 1 AND 200),
    engage_reason text NOT NULL DEFAULT '',
    engaged_at timestamptz NOT NULL DEFAULT now(),
    released_by text,
    release_reason text,
    released_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (
        (scope = 'global' AND client_id IS NULL AND bot_id IS NULL)
        OR (scope = 'client' AND client_id IS NOT NULL AND bot_id IS NULL)
        OR (scope = 'bot' AND client_id IS NOT NULL AND bot_id IS NOT NULL)
    ),
    CHECK ((released_at IS NULL) = (released_by IS NULL)),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id)
);
-- At most one engaged switch per target.
CREATE UNIQUE INDEX kill_switches_engaged_uq ON kill_switches (
    scope,
    coalesce(client_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
) WHERE released_at IS NULL;
CREATE TRIGGER kill_switches_updated_at BEFORE UPDATE ON kill_switches
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
