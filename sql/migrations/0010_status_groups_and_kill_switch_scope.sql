-- Order status groups and the kill switch scope rule, each written once in SQL.
--
-- The groups mirror shared.domain.OrderStatus (is_pre_venue, is_at_venue, is_terminal;
-- an integration test compares them label by label). IMMUTABLE and a single expression,
-- so the planner inlines them: a query written with them still matches partial indexes
-- whose predicates spell the statuses out (orders_live_idx).

-- Before the venue knows the order (or while we cannot tell whether it does).
CREATE FUNCTION order_status_is_pre_venue(s order_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s IN ('accepted', 'submitting', 'unknown')
$$;

-- Resting at the venue, as far as we know.
CREATE FUNCTION order_status_is_at_venue(s order_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s IN ('open', 'partially_filled')
$$;

-- Does this kill switch stop the client's order or bot? A global switch covers
-- everything, a client switch the client's orders and bots, a bot switch the one bot and
-- its orders. Released switches cover nothing. The one place the scope rule is written:
-- engaged_kill_switch (the pipeline's check before every send), the stop-bots query and
-- the kill switch's cancel sweep all call it.
CREATE FUNCTION kill_switch_covers(k kill_switches, p_client_id uuid, p_bot_id uuid)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT k.released_at IS NULL
       AND (
           k.scope = 'global'
           OR (k.scope = 'client' AND k.client_id = p_client_id)
           OR (k.scope = 'bot' AND k.bot_id = p_bot_id)
       )
$$;

-- Same signature and answer as before (0008); the scope rule now comes from
-- kill_switch_covers.
CREATE OR REPLACE FUNCTION engaged_kill_switch(p_client_id uuid, p_bot_id uuid)
RETURNS TABLE (scope kill_switch_scope, engage_reason text)
LANGUAGE sql STABLE AS $$
    SELECT k.scope, k.engage_reason
    FROM kill_switches k
    WHERE kill_switch_covers(k, p_client_id, p_bot_id)
    ORDER BY k.scope
    LIMIT 1
$$;
