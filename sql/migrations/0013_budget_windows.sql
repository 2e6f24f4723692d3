-- A request budget counts over the venue's own window: Binance publishes weight per
-- minute, BitMart per 2 s, Coinstore per 3 s. Counting a 2-second limit per minute let a
-- burst spend a whole minute's allowance in one window and draw the venue's 429s.
ALTER TABLE venue_request_budgets
    ADD COLUMN window_s integer NOT NULL DEFAULT 60 CHECK (window_s BETWEEN 1 AND 3600);

-- The start of the `window_s`-second window that holds `at` (aligned to the epoch, as
-- venues align theirs), for the budget queries.
CREATE FUNCTION budget_window_start(at timestamptz, window_s integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_timestamp(floor(extract(epoch FROM at) / window_s) * window_s)
$$;
