-- The kill switch that stops an order, as one function: the order pipeline checks it in
-- several statements (snapshot, pre-send write), and the rule must be the same in each.
-- The broadest engaged switch comes first (enum order: global, client, bot).
CREATE FUNCTION engaged_kill_switch(p_client_id uuid, p_bot_id uuid)
RETURNS TABLE (scope kill_switch_scope, engage_reason text)
LANGUAGE sql STABLE AS $$
    SELECT k.scope, k.engage_reason
    FROM kill_switches k
    WHERE k.released_at IS NULL
      AND (
          k.scope = 'global'
          OR (k.scope = 'client' AND k.client_id = p_client_id)
          OR (k.scope = 'bot' AND k.bot_id = p_bot_id)
      )
    ORDER BY k.scope
    LIMIT 1
$$;
