-- Trading statistics kept up to date by the database itself (docs/stats.md).
--
-- A *book* is one FIFO inventory: a bot's fills of one symbol, or a client's manual fills
-- (bot_id NULL) of one symbol on one credential. A statement-level AFTER INSERT trigger on
-- `fills` folds every newly inserted fill into
--   * stats_volume: counts, base/quote volume and fees per book and fee currency, all-time
--     and in minute and hour buckets (reads of a rolling 24h window touch O(1) rows), and
--   * the book's FIFO state (stats_books + stats_fifo_lots): realized P&L and open lots.
-- A fill older than the newest fill already folded into its book (reconciliation found an
-- old trade) cannot be folded incrementally: the trigger marks the book stale and
-- stats_rebuild_book() replays it exactly, from the newest checkpoint before that fill.
-- Readers (shared.stats.repository) rebuild stale books before reading them.
--
-- Every writer of fills is covered (worker, COPY, psql); UPDATE and DELETE of fills are
-- handled too (volumes subtracted, book marked stale), TRUNCATE empties the statistics.
-- Rows here are written only by the functions below; they set updated_at themselves
-- instead of a BEFORE UPDATE trigger, which would run once per fill on the hot path.

-- ---------------------------------------------------------------- helpers

-- `BASE/QUOTE` (ccxt spelling; a `:SETTLE` suffix is dropped).
CREATE FUNCTION stats_base(symbol text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT split_part(symbol, '/', 1)
$$;

CREATE FUNCTION stats_quote(symbol text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT split_part(split_part(symbol, '/', 2), ':', 1)
$$;

-- total * part / whole, truncated toward zero at 18 decimal places. The one inexact step of
-- the FIFO (a partly consumed lot's share of its cost); shared.stats.fifo.share computes the
-- very same digits, and a fully consumed lot always releases its exact remaining value, so
-- the error never accumulates beyond 1e-18 per partial match.
CREATE FUNCTION stats_share(total numeric, part numeric, whole numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT div(total * part * 1000000000000000000, whole) * 0.000000000000000001
$$;

-- One fill as the aggregates see it (a transition-table row joined to its book).
CREATE TYPE stats_fill AS (
    book_id bigint,
    fill_id bigint,
    traded_at timestamptz,
    side order_side,
    price numeric,
    amount numeric,
    fee_amount numeric,
    fee_currency text
);

-- An open lot as stored in a checkpoint.
CREATE TYPE stats_lot AS (
    fill_id bigint,
    opened_at timestamptz,
    amount numeric,
    value numeric
);

-- ---------------------------------------------------------------- tables

CREATE TABLE stats_books (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES clients (id),
    credential_id uuid NOT NULL,
    bot_id uuid,  -- NULL: the client's manual orders on this credential
    symbol text NOT NULL,
    base text NOT NULL,
    quote text NOT NULL,

    -- FIFO state: every fill of the book with (traded_at, id) <= (folded_traded_at,
    -- folded_fill_id) is folded in, in that order (unless the book is stale).
    folded_count bigint NOT NULL DEFAULT 0 CHECK (folded_count >= 0),
    folded_traded_at timestamptz,
    folded_fill_id bigint,
    realized_pnl numeric NOT NULL DEFAULT 0,  -- quote currency
    -- Open lots are all on one side: 1 long (value = cost), -1 short (value = proceeds).
    lot_side smallint NOT NULL DEFAULT 0 CHECK (lot_side IN (-1, 0, 1)),
    open_amount numeric NOT NULL DEFAULT 0 CHECK (open_amount >= 0),  -- sum of lot amounts
    open_value numeric NOT NULL DEFAULT 0,  -- sum of lot values
    lot_head bigint NOT NULL DEFAULT 0,  -- seq of the oldest open lot
    lot_next bigint NOT NULL DEFAULT 0,  -- seq of the next lot to open
    checkpoint_count bigint NOT NULL DEFAULT 0,  -- folded_count at the last checkpoint

    -- Stale: a fill older than the folded key arrived; the oldest such fill's key.
    stale_from_traded_at timestamptz,
    stale_from_fill_id bigint,
    stale_since timestamptz,
    rebuild_count integer NOT NULL DEFAULT 0,
    rebuilt_at timestamptz,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (credential_id, client_id) REFERENCES exchange_credentials (id, client_id),
    FOREIGN KEY (bot_id, client_id) REFERENCES bots (id, client_id),
    CHECK ((folded_traded_at IS NULL) = (folded_fill_id IS NULL)),
    CHECK ((stale_from_fill_id IS NULL) = (stale_from_traded_at IS NULL)),
    CHECK ((stale_from_fill_id IS NULL) = (stale_since IS NULL)),
    CHECK ((lot_side = 0) = (lot_head = lot_next)),
    CHECK (lot_head <= lot_next)
);
CREATE UNIQUE INDEX stats_books_key_uq ON stats_books
    (credential_id, symbol, (coalesce(bot_id, '00000000-0000-0000-0000-000000000000'::uuid)));
CREATE INDEX stats_books_client_idx ON stats_books (client_id);
CREATE INDEX stats_books_bot_idx ON stats_books (bot_id) WHERE bot_id IS NOT NULL;
CREATE INDEX stats_books_stale_idx ON stats_books (id) WHERE stale_from_fill_id IS NOT NULL;

-- Open FIFO lots of a book, seq lot_head .. lot_next - 1, oldest first. No foreign key:
-- written once per fill by the trigger, and only by stats_fold_book / stats_rebuild_book.
CREATE TABLE stats_fifo_lots (
    book_id bigint NOT NULL,
    seq bigint NOT NULL,
    fill_id bigint NOT NULL,  -- the fill that opened the lot
    opened_at timestamptz NOT NULL,
    amount numeric NOT NULL CHECK (amount > 0),  -- base still open
    value numeric NOT NULL,  -- long: its cost, short: its proceeds (quote)
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book_id, seq)
);

-- The FIFO state every `tradebridge.stats_checkpoint_every` folded fills (default 1000; or
-- every <open lots / 10> fills if more), so that an out-of-order fill replays only the fills
-- after the last checkpoint before it.
CREATE TABLE stats_fifo_checkpoints (
    book_id bigint NOT NULL REFERENCES stats_books (id),
    traded_at timestamptz NOT NULL,  -- key of the last fill folded into this state
    fill_id bigint NOT NULL,
    folded_count bigint NOT NULL,
    realized_pnl numeric NOT NULL,
    lot_side smallint NOT NULL,
    open_amount numeric NOT NULL,
    open_value numeric NOT NULL,
    lots stats_lot[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book_id, traded_at, fill_id)
);

-- Volume and fees per book, bucket and fee currency ('' when the fill had none).
-- bucket_seconds 0 is the all-time row (bucket_start -infinity); 60 and 3600 are UTC
-- minute and hour buckets. A 24h window reads <= 24 hour rows, <= 120 minute rows and the
-- fills of the two partial minutes at its ends.
CREATE TABLE stats_volume (
    book_id bigint NOT NULL REFERENCES stats_books (id),
    bucket_seconds integer NOT NULL CHECK (bucket_seconds IN (0, 60, 3600)),
    bucket_start timestamptz NOT NULL,
    fee_currency text NOT NULL,
    buy_count bigint NOT NULL,
    sell_count bigint NOT NULL,
    buy_base numeric NOT NULL,
    sell_base numeric NOT NULL,
    buy_quote numeric NOT NULL,
    sell_quote numeric NOT NULL,
    fee_amount numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (book_id, bucket_seconds, bucket_start, fee_currency),
    CHECK ((bucket_seconds = 0) = (bucket_start = '-infinity'))
);

-- ---------------------------------------------------------------- volume

-- Adds (p_sign 1) or subtracts (-1) fills, all of them of one book, to its volume rows.
-- plpgsql rather than sql: it runs once per INSERT on fills and plpgsql caches the plan.
CREATE FUNCTION stats_add_volume(p_fills stats_fill[], p_sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_volume AS v
        (book_id, bucket_seconds, bucket_start, fee_currency, buy_count, sell_count,
         buy_base, sell_base, buy_quote, sell_quote, fee_amount)
    SELECT
        f.book_id,
        r.seconds,
        CASE r.seconds
            WHEN 0 THEN '-infinity'::timestamptz
            WHEN 60 THEN date_trunc('minute', f.traded_at, 'UTC')
            ELSE date_trunc('hour', f.traded_at, 'UTC')
        END,
        coalesce(f.fee_currency, ''),
        p_sign * count(*) FILTER (WHERE f.side = 'buy'),
        p_sign * count(*) FILTER (WHERE f.side = 'sell'),
        p_sign * coalesce(sum(f.amount) FILTER (WHERE f.side = 'buy'), 0),
        p_sign * coalesce(sum(f.amount) FILTER (WHERE f.side = 'sell'), 0),
        p_sign * coalesce(sum(f.price * f.amount) FILTER (WHERE f.side = 'buy'), 0),
        p_sign * coalesce(sum(f.price * f.amount) FILTER (WHERE f.side = 'sell'), 0),
        p_sign * sum(f.fee_amount)
    FROM unnest(p_fills) f
    CROSS JOIN (VALUES (0), (60), (3600)) r (seconds)
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (book_id, bucket_seconds, bucket_start, fee_currency) DO UPDATE SET
        buy_count = v.buy_count + excluded.buy_count,
        sell_count = v.sell_count + excluded.sell_count,
        buy_base = v.buy_base + excluded.buy_base,
        sell_base = v.sell_base + excluded.sell_base,
        buy_quote = v.buy_quote + excluded.buy_quote,
        sell_quote = v.sell_quote + excluded.sell_quote,
        fee_amount = v.fee_amount + excluded.fee_amount,
        updated_at = now();
END;
$$;

-- ---------------------------------------------------------------- FIFO

-- Folds fills of one book, sorted by (traded_at, fill_id), into its FIFO state. Locks the
-- book row. A fill not newer than the folded key marks the book stale; nothing more is
-- folded until stats_rebuild_book runs. Rules (mirrored by shared.stats.fifo.FifoBook):
--   buy:  base in  = amount - base fee;  value out = price*amount + quote fee
--   sell: base out = amount + base fee;  value in  = price*amount - quote fee
-- The base moves against lots of the other side first (oldest first), realizing P&L; what
-- remains opens a lot on its own side. Fees in any other currency are not part of P&L.
--
-- Per fill the work is O(1) amortized (each lot is opened once and closed once). Lots opened
-- by this call live in arrays until the end, so a lot opened and closed within one batch
-- never touches the table; closed table lots go in one range DELETE at the end.
CREATE FUNCTION stats_fold_book(p_book_id bigint, p_fills stats_fill[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    b stats_books%ROWTYPE;
    f stats_fill;
    v_dir integer;
    v_qty numeric;
    v_value numeric;
    v_left numeric;
    v_matched_value numeric;
    v_take numeric;
    v_part numeric;
    v_every bigint;
    v_first_head bigint;  -- lot_head when called
    v_table_end bigint;  -- lots with seq < v_table_end are in the table
    v_i integer;
    h_loaded boolean := false;
    h_dirty boolean := false;  -- the head lot is a table lot, partly consumed
    h_amount numeric;
    h_value numeric;
    m_fill_id bigint[] := '{}';  -- lots opened by this call, seq v_table_end + i - 1
    m_opened_at timestamptz[] := '{}';
    m_amount numeric[] := '{}';
    m_value numeric[] := '{}';
BEGIN
    SELECT * INTO STRICT b FROM stats_books WHERE id = p_book_id FOR UPDATE;
    v_first_head := b.lot_head;
    v_table_end := b.lot_next;

    FOREACH f IN ARRAY p_fills LOOP
        IF b.stale_from_fill_id IS NOT NULL THEN
            IF (f.traded_at, f.fill_id) < (b.stale_from_traded_at, b.stale_from_fill_id) THEN
                b.stale_from_traded_at := f.traded_at;
                b.stale_from_fill_id := f.fill_id;
            END IF;
            CONTINUE;
        END IF;
        IF b.folded_fill_id IS NOT NULL
           AND (f.traded_at, f.fill_id) <= (b.folded_traded_at, b.folded_fill_id) THEN
            b.stale_from_traded_at := f.traded_at;
            b.stale_from_fill_id := f.fill_id;
            b.stale_since := now();
            CONTINUE;
        END IF;

        IF f.side = 'buy' THEN
            v_dir := 1;
            v_qty := f.amount
                - CASE WHEN f.fee_currency = b.base THEN f.fee_amount ELSE 0 END;
            v_value := f.price * f.amount
                + CASE WHEN f.fee_currency = b.quote THEN f.fee_amount ELSE 0 END;
        ELSE
            v_dir := -1;
            v_qty := f.amount
                + CASE WHEN f.fee_currency = b.base THEN f.fee_amount ELSE 0 END;
            v_value := f.price * f.amount
                - CASE WHEN f.fee_currency = b.quote THEN f.fee_amount ELSE 0 END;
        END IF;

        IF v_qty <= 0 THEN
            -- A base fee as large as the bought amount: no lot, the cost is a loss.
            b.realized_pnl := b.realized_pnl - v_value;
        ELSE
            v_left := v_qty;
            v_matched_value := 0;
            WHILE v_left > 0 AND b.lot_side = -v_dir LOOP
                IF NOT h_loaded THEN
                    IF b.lot_head < v_table_end THEN
                        SELECT amount, value INTO STRICT h_amount, h_value
                        FROM stats_fifo_lots WHERE book_id = b.id AND seq = b.lot_head;
                    ELSE
                        v_i := b.lot_head - v_table_end + 1;
                        h_amount := m_amount[v_i];
                        h_value := m_value[v_i];
                    END IF;
                    h_loaded := true;
                END IF;
                IF h_amount <= v_left THEN
                    v_take := h_value;
                    v_left := v_left - h_amount;
                    b.open_amount := b.open_amount - h_amount;
                    b.lot_head := b.lot_head + 1;
                    h_loaded := false;
                    h_dirty := false;
                    IF b.lot_head = b.lot_next THEN
                        b.lot_side := 0;
                    END IF;
                ELSE
                    v_take := stats_share(h_value, v_left, h_amount);
                    h_amount := h_amount - v_left;
                    h_value := h_value - v_take;
                    IF b.lot_head < v_table_end THEN
                        h_dirty := true;
                    ELSE
                        v_i := b.lot_head - v_table_end + 1;
                        m_amount[v_i] := h_amount;
                        m_value[v_i] := h_value;
                    END IF;
                    b.open_amount := b.open_amount - v_left;
                    v_left := 0;
                END IF;
                b.open_value := b.open_value - v_take;
                v_matched_value := v_matched_value + v_take;
            END LOOP;

            IF v_left < v_qty THEN
                v_part := CASE WHEN v_left = 0 THEN v_value
                               ELSE stats_share(v_value, v_qty - v_left, v_qty) END;
                -- sell against long lots: proceeds - cost; buy against short lots:
                -- proceeds of the short - cost of the buy.
                b.realized_pnl := b.realized_pnl + v_dir * (v_matched_value - v_part);
            ELSE
                v_part := 0;
            END IF;

            IF v_left > 0 THEN
                m_fill_id := m_fill_id || f.fill_id;
                m_opened_at := m_opened_at || f.traded_at;
                m_amount := m_amount || v_left;
                m_value := m_value || (v_value - v_part);
                b.lot_next := b.lot_next + 1;
                b.lot_side := v_dir;
                b.open_amount := b.open_amount + v_left;
                b.open_value := b.open_value + (v_value - v_part);
            END IF;
        END IF;

        b.folded_count := b.folded_count + 1;
        b.folded_traded_at := f.traded_at;
        b.folded_fill_id := f.fill_id;
    END LOOP;

    -- Write the lots back: closed table lots go, a partly consumed table head is updated,
    -- new lots still open are inserted.
    IF b.lot_head > v_first_head AND v_first_head < v_table_end THEN
        DELETE FROM stats_fifo_lots
        WHERE book_id = b.id AND seq >= v_first_head AND seq < least(b.lot_head, v_table_end);
    END IF;
    IF h_dirty THEN
        UPDATE stats_fifo_lots SET amount = h_amount, value = h_value, updated_at = now()
        WHERE book_id = b.id AND seq = b.lot_head;
    END IF;
    IF b.lot_next > greatest(b.lot_head, v_table_end) THEN
        INSERT INTO stats_fifo_lots (book_id, seq, fill_id, opened_at, amount, value)
        SELECT b.id, v_table_end + m.ord - 1, m.fill_id, m.opened_at, m.amount, m.value
        FROM unnest(m_fill_id, m_opened_at, m_amount, m_value)
             WITH ORDINALITY AS m (fill_id, opened_at, amount, value, ord)
        WHERE v_table_end + m.ord - 1 >= b.lot_head;
    END IF;

    v_every := coalesce(
        nullif(current_setting('tradebridge.stats_checkpoint_every', true), '')::bigint, 1000);
    -- A checkpoint copies the open lots: spacing checkpoints at least (open lots / 10)
    -- fills apart bounds that copy to 10 lots per fill, even for a book piling up lots.
    IF b.stale_from_fill_id IS NULL
       AND b.folded_count
           >= b.checkpoint_count + greatest(v_every, (b.lot_next - b.lot_head) / 10) THEN
        INSERT INTO stats_fifo_checkpoints
            (book_id, traded_at, fill_id, folded_count, realized_pnl, lot_side, open_amount,
             open_value, lots)
        SELECT b.id, b.folded_traded_at, b.folded_fill_id, b.folded_count, b.realized_pnl,
               b.lot_side, b.open_amount, b.open_value,
               coalesce(array_agg(ROW(l.fill_id, l.opened_at, l.amount, l.value)::stats_lot
                                  ORDER BY l.seq), '{}')
        FROM stats_fifo_lots l
        WHERE l.book_id = b.id;
        b.checkpoint_count := b.folded_count;
    END IF;

    UPDATE stats_books SET
        folded_count = b.folded_count,
        folded_traded_at = b.folded_traded_at,
        folded_fill_id = b.folded_fill_id,
        realized_pnl = b.realized_pnl,
        lot_side = b.lot_side,
        open_amount = b.open_amount,
        open_value = b.open_value,
        lot_head = b.lot_head,
        lot_next = b.lot_next,
        checkpoint_count = b.checkpoint_count,
        stale_from_traded_at = b.stale_from_traded_at,
        stale_from_fill_id = b.stale_from_fill_id,
        stale_since = b.stale_since,
        updated_at = now()
    WHERE id = b.id;
END;
$$;

-- Marks a book stale from (p_traded_at, p_fill_id) on (a fill was changed or removed).
CREATE FUNCTION stats_mark_stale(p_book_id bigint, p_traded_at timestamptz, p_fill_id bigint)
RETURNS void
LANGUAGE sql AS $$
    UPDATE stats_books SET
        stale_from_traded_at = CASE
            WHEN stale_from_fill_id IS NULL
                 OR (p_traded_at, p_fill_id) < (stale_from_traded_at, stale_from_fill_id)
            THEN p_traded_at ELSE stale_from_traded_at END,
        stale_from_fill_id = CASE
            WHEN stale_from_fill_id IS NULL
                 OR (p_traded_at, p_fill_id) < (stale_from_traded_at, stale_from_fill_id)
            THEN p_fill_id ELSE stale_from_fill_id END,
        stale_since = coalesce(stale_since, now()),
        updated_at = now()
    WHERE id = p_book_id
$$;

-- Replays a stale book exactly: restores the newest checkpoint older than the oldest late
-- fill (or starts empty) and folds the book's fills after it in (traded_at, id) order, in
-- chunks. p_full ignores checkpoints and replays everything, stale or not. Returns whether
-- it replayed anything. Waits for concurrent writers of the book (row lock).
CREATE FUNCTION stats_rebuild_book(p_book_id bigint, p_full boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    b stats_books%ROWTYPE;
    c stats_fifo_checkpoints%ROWTYPE;
    v_after_at timestamptz := '-infinity';
    v_after_id bigint := 0;
    v_fills stats_fill[];
    v_chunk constant integer := 10000;
BEGIN
    SELECT * INTO STRICT b FROM stats_books WHERE id = p_book_id FOR UPDATE;
    IF b.stale_from_fill_id IS NULL AND NOT p_full THEN
        RETURN false;  -- nothing to do (another reader may have rebuilt it meanwhile)
    END IF;

    IF p_full THEN
        DELETE FROM stats_fifo_checkpoints WHERE book_id = b.id;
    ELSE
        DELETE FROM stats_fifo_checkpoints
        WHERE book_id = b.id
          AND (traded_at, fill_id) >= (b.stale_from_traded_at, b.stale_from_fill_id);
    END IF;
    SELECT * INTO c FROM stats_fifo_checkpoints
    WHERE book_id = b.id ORDER BY traded_at DESC, fill_id DESC LIMIT 1;

    DELETE FROM stats_fifo_lots WHERE book_id = b.id;
    IF c.book_id IS NULL THEN
        UPDATE stats_books SET
            folded_count = 0, folded_traded_at = NULL, folded_fill_id = NULL,
            realized_pnl = 0, lot_side = 0, open_amount = 0, open_value = 0,
            lot_head = 0, lot_next = 0, checkpoint_count = 0
        WHERE id = b.id;
    ELSE
        INSERT INTO stats_fifo_lots (book_id, seq, fill_id, opened_at, amount, value)
        SELECT b.id, l.ord - 1, l.fill_id, l.opened_at, l.amount, l.value
        FROM unnest(c.lots) WITH ORDINALITY AS l (fill_id, opened_at, amount, value, ord);
        UPDATE stats_books SET
            folded_count = c.folded_count, folded_traded_at = c.traded_at,
            folded_fill_id = c.fill_id, realized_pnl = c.realized_pnl,
            lot_side = c.lot_side, open_amount = c.open_amount, open_value = c.open_value,
            lot_head = 0, lot_next = cardinality(c.lots), checkpoint_count = c.folded_count
        WHERE id = b.id;
        v_after_at := c.traded_at;
        v_after_id := c.fill_id;
    END IF;
    UPDATE stats_books SET
        stale_from_traded_at = NULL, stale_from_fill_id = NULL, stale_since = NULL,
        rebuild_count = rebuild_count + 1, rebuilt_at = now(), updated_at = now()
    WHERE id = b.id;

    LOOP
        -- Two spellings of one predicate, so each uses its own index on fills.
        IF b.bot_id IS NOT NULL THEN
            SELECT array_agg(s.fill ORDER BY (s.fill).traded_at, (s.fill).fill_id) INTO v_fills
            FROM (
                SELECT ROW(b.id, f.id, f.traded_at, f.side, f.price, f.amount, f.fee_amount,
                           f.fee_currency)::stats_fill AS fill
                FROM fills f
                WHERE f.bot_id = b.bot_id AND f.symbol = b.symbol
                  AND f.credential_id = b.credential_id
                  AND f.traded_at >= v_after_at
                  AND (f.traded_at, f.id) > (v_after_at, v_after_id)
                ORDER BY f.traded_at, f.id
                LIMIT v_chunk
            ) s;
        ELSE
            SELECT array_agg(s.fill ORDER BY (s.fill).traded_at, (s.fill).fill_id) INTO v_fills
            FROM (
                SELECT ROW(b.id, f.id, f.traded_at, f.side, f.price, f.amount, f.fee_amount,
                           f.fee_currency)::stats_fill AS fill
                FROM fills f
                WHERE f.client_id = b.client_id AND f.bot_id IS NULL
                  AND f.symbol = b.symbol AND f.credential_id = b.credential_id
                  AND f.traded_at >= v_after_at
                  AND (f.traded_at, f.id) > (v_after_at, v_after_id)
                ORDER BY f.traded_at, f.id
                LIMIT v_chunk
            ) s;
        END IF;
        EXIT WHEN v_fills IS NULL;
        PERFORM stats_fold_book(b.id, v_fills);
        v_after_at := (v_fills[cardinality(v_fills)]).traded_at;
        v_after_id := (v_fills[cardinality(v_fills)]).fill_id;
        EXIT WHEN cardinality(v_fills) < v_chunk;
    END LOOP;
    RETURN true;
END;
$$;

-- For a periodic job (or psql): rebuild every stale book; returns how many it rebuilt.
CREATE FUNCTION stats_rebuild_stale_books() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_rebuilt integer := 0;
BEGIN
    FOR v_id IN SELECT id FROM stats_books WHERE stale_from_fill_id IS NOT NULL ORDER BY id LOOP
        IF stats_rebuild_book(v_id) THEN
            v_rebuilt := v_rebuilt + 1;
        END IF;
    END LOOP;
    RETURN v_rebuilt;
END;
$$;

-- For a periodic job: drops what only old history needs. Minute buckets serve the edges
-- of the 24h window only; checkpoints older than p_keep are dropped except each book's
-- newest one (a fill older than that replays the book from the start). Hour buckets and the
-- all-time rows are kept. Returns the number of rows deleted.
CREATE FUNCTION stats_prune(p_keep interval) RETURNS bigint
LANGUAGE sql AS $$
    WITH minutes AS (
        DELETE FROM stats_volume
        WHERE bucket_seconds = 60 AND bucket_start < now() - p_keep
        RETURNING 1
    ), checkpoints AS (
        DELETE FROM stats_fifo_checkpoints c
        WHERE c.traded_at < now() - p_keep
          AND EXISTS (
              SELECT 1 FROM stats_fifo_checkpoints newer
              WHERE newer.book_id = c.book_id
                AND (newer.traded_at, newer.fill_id) > (c.traded_at, c.fill_id)
                AND newer.traded_at < now() - p_keep
          )
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM minutes) + (SELECT count(*) FROM checkpoints)
$$;

-- ---------------------------------------------------------------- triggers on fills

CREATE FUNCTION stats_fills_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_done bigint[] := '{}';
    v_missing boolean;
BEGIN
    -- One book at a time, in id order (so concurrent writers lock books in one order):
    -- fold (locks the book row), then add the volume. Fills of books that do not exist yet
    -- (NULL book_id, sorted last) create them, and a second pass folds those.
    FOR pass IN 1..2 LOOP
        v_missing := false;
        FOR r IN
            SELECT b.id AS book_id, count(*) AS fill_count,
                   array_agg(ROW(b.id, n.id, n.traded_at, n.side, n.price, n.amount,
                                 n.fee_amount, n.fee_currency)::stats_fill
                             ORDER BY n.traded_at, n.id) AS fills
            FROM new_fills n
            LEFT JOIN stats_books b
              ON b.credential_id = n.credential_id AND b.symbol = n.symbol
             AND coalesce(b.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
                 = coalesce(n.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
            WHERE b.id IS NULL OR b.id <> ALL (v_done)
            GROUP BY b.id
            ORDER BY b.id
        LOOP
            IF r.book_id IS NULL THEN
                v_missing := true;
                IF pass = 2 THEN
                    -- Under REPEATABLE READ a book created by a concurrent transaction can
                    -- be invisible here: fail (the writer retries) rather than drop fills.
                    RAISE EXCEPTION 'stats: % new fills found no book', r.fill_count
                        USING ERRCODE = 'serialization_failure';
                END IF;
            ELSE
                PERFORM stats_fold_book(r.book_id, r.fills);
                PERFORM stats_add_volume(r.fills, 1);
                v_done := v_done || r.book_id;
            END IF;
        END LOOP;
        EXIT WHEN NOT v_missing;

        INSERT INTO stats_books (client_id, credential_id, bot_id, symbol, base, quote)
        SELECT DISTINCT n.client_id, n.credential_id, n.bot_id, n.symbol,
               stats_base(n.symbol), stats_quote(n.symbol)
        FROM new_fills n
        ORDER BY n.credential_id, n.symbol, n.bot_id
        ON CONFLICT DO NOTHING;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER stats_fills_inserted AFTER INSERT ON fills
    REFERENCING NEW TABLE AS new_fills
    FOR EACH STATEMENT EXECUTE FUNCTION stats_fills_inserted();

-- Fills are not meant to change, but an operator's fix must not leave the statistics
-- wrong: removed rows are subtracted, added rows added, and every book touched is marked
-- stale from the oldest changed fill on, so its FIFO is replayed.
CREATE FUNCTION stats_fills_forget(p_book_id bigint, p_fills stats_fill[], p_sign integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM stats_books WHERE id = p_book_id FOR UPDATE;
    PERFORM stats_mark_stale(p_book_id, (p_fills[1]).traded_at, (p_fills[1]).fill_id);
    PERFORM stats_add_volume(p_fills, p_sign);
END;
$$;

CREATE FUNCTION stats_fills_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT b.id AS book_id,
               array_agg(ROW(b.id, o.id, o.traded_at, o.side, o.price, o.amount, o.fee_amount,
                             o.fee_currency)::stats_fill
                         ORDER BY o.traded_at, o.id) AS fills
        FROM old_fills o
        JOIN stats_books b
          ON b.credential_id = o.credential_id AND b.symbol = o.symbol
         AND coalesce(b.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
             = coalesce(o.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
        GROUP BY b.id
        ORDER BY b.id
    LOOP
        PERFORM stats_fills_forget(r.book_id, r.fills, -1);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER stats_fills_deleted AFTER DELETE ON fills
    REFERENCING OLD TABLE AS old_fills
    FOR EACH STATEMENT EXECUTE FUNCTION stats_fills_deleted();

CREATE FUNCTION stats_fills_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    INSERT INTO stats_books (client_id, credential_id, bot_id, symbol, base, quote)
    SELECT DISTINCT n.client_id, n.credential_id, n.bot_id, n.symbol,
           stats_base(n.symbol), stats_quote(n.symbol)
    FROM new_fills n
    ORDER BY n.credential_id, n.symbol, n.bot_id
    ON CONFLICT DO NOTHING;

    FOR r IN
        WITH changed AS (
            SELECT -1 AS sign, * FROM old_fills
            UNION ALL
            SELECT 1 AS sign, * FROM new_fills
        )
        SELECT b.id AS book_id, c.sign,
               array_agg(ROW(b.id, c.id, c.traded_at, c.side, c.price, c.amount, c.fee_amount,
                             c.fee_currency)::stats_fill
                         ORDER BY c.traded_at, c.id) AS fills
        FROM changed c
        JOIN stats_books b
          ON b.credential_id = c.credential_id AND b.symbol = c.symbol
         AND coalesce(b.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
             = coalesce(c.bot_id, '00000000-0000-0000-0000-000000000000'::uuid)
        GROUP BY b.id, c.sign
        ORDER BY b.id, c.sign
    LOOP
        PERFORM stats_fills_forget(r.book_id, r.fills, r.sign);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER stats_fills_updated AFTER UPDATE ON fills
    REFERENCING OLD TABLE AS old_fills NEW TABLE AS new_fills
    FOR EACH STATEMENT EXECUTE FUNCTION stats_fills_updated();

CREATE FUNCTION stats_fills_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE stats_volume, stats_fifo_lots, stats_fifo_checkpoints, stats_books;
    RETURN NULL;
END;
$$;

CREATE TRIGGER stats_fills_truncated AFTER TRUNCATE ON fills
    FOR EACH STATEMENT EXECUTE FUNCTION stats_fills_truncated();
