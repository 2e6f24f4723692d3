-- name: lease_request_weight
-- Grants `want` weight in the current window (`window_s` seconds), or nothing (no row)
-- when the window is full or the venue is blocked. One statement, so concurrent leases
-- from many processes never over-grant.
INSERT INTO venue_request_budgets AS b
    (budget_key, egress, window_start, window_s, weight_used, weight_limit)
VALUES (%(budget_key)s, %(egress)s, budget_window_start(now(), %(window_s)s), %(window_s)s,
        %(want)s, %(weight_limit)s)
ON CONFLICT (budget_key, egress) DO UPDATE SET
    window_start = EXCLUDED.window_start,
    window_s = EXCLUDED.window_s,
    weight_used = CASE
        WHEN b.window_start < EXCLUDED.window_start OR b.window_s <> EXCLUDED.window_s
            THEN %(want)s
        ELSE b.weight_used + %(want)s
    END,
    weight_limit = EXCLUDED.weight_limit
WHERE (b.blocked_until IS NULL OR b.blocked_until <= now())
  AND (b.window_start < EXCLUDED.window_start
       OR b.window_s <> EXCLUDED.window_s
       OR b.weight_used + %(want)s <= EXCLUDED.weight_limit)
RETURNING weight_used, weight_limit, window_start;

-- name: get_request_budget
SELECT
    weight_used,
    weight_limit,
    window_start,
    blocked_until,
    blocked_reason,
    extract(epoch FROM (window_start + make_interval(secs => window_s) - now()))::float8
        AS window_left_s,
    extract(epoch FROM (blocked_until - now()))::float8 AS blocked_left_s
FROM venue_request_budgets
WHERE budget_key = %(budget_key)s AND egress = %(egress)s;

-- name: block_venue_requests
-- A 429/418 with Retry-After: every worker stops sending until blocked_until.
INSERT INTO venue_request_budgets AS b
    (budget_key, egress, window_start, window_s, weight_used, weight_limit, blocked_until,
     blocked_reason)
VALUES (%(budget_key)s, %(egress)s, budget_window_start(now(), %(window_s)s), %(window_s)s, 0,
        %(weight_limit)s, now() + make_interval(secs => %(seconds)s), %(reason)s)
ON CONFLICT (budget_key, egress) DO UPDATE SET
    blocked_until = greatest(coalesce(b.blocked_until, now()),
                             now() + make_interval(secs => %(seconds)s)),
    blocked_reason = EXCLUDED.blocked_reason;

-- name: venue_request_weights
-- Each venue's published request-weight limit per minute (the budgets' ceiling).
SELECT code AS venue, request_weight_per_minute FROM venues;
