-- Order lists (OCO) for operators: one row per list with both legs and its placement
-- job, so "why are this position's exits not at the venue?" is one line of psql.

-- A list finds its placement jobs without a scan (jobs carry ids only).
CREATE INDEX procrastinate_jobs_order_list_id_idx
    ON procrastinate_jobs ((args ->> 'order_list_id'));

CREATE VIEW ops.order_lists AS
SELECT
    l.id AS order_list_id,
    c.name AS client,
    l.credential_id,
    l.position_id,
    l.symbol,
    l.status,
    l.attempts,
    l.list_client_order_id,
    l.exchange_list_id,
    l.reject_reason,
    l.last_error_code,
    l.last_error_message,
    tp.id AS take_profit_order_id,
    tp.status AS take_profit_status,
    tp.price AS take_profit_price,
    tp.filled_amount AS take_profit_filled,
    sl.id AS stop_order_id,
    sl.status AS stop_status,
    sl.stop_price,
    sl.price AS stop_limit_price,
    sl.filled_amount AS stop_filled,
    coalesce(tp.amount, sl.amount) AS amount,
    j.id AS job_id,
    j.status AS job_status,
    j.attempts AS job_attempts,
    j.scheduled_at AS job_scheduled_at,
    l.submitted_at,
    l.created_at,
    l.updated_at
FROM order_lists l
JOIN clients c ON c.id = l.client_id
LEFT JOIN LATERAL (
    SELECT o.id, o.status, o.price, o.amount, o.filled_amount
    FROM orders o
    WHERE o.order_list_id = l.id AND o.type::text <> 'stop_loss_limit'
    ORDER BY o.id LIMIT 1
) tp ON true
LEFT JOIN LATERAL (
    SELECT o.id, o.status, o.stop_price, o.price, o.amount, o.filled_amount
    FROM orders o
    WHERE o.order_list_id = l.id AND o.type::text = 'stop_loss_limit'
    ORDER BY o.id LIMIT 1
) sl ON true
LEFT JOIN LATERAL (
    SELECT pj.id, pj.status, pj.attempts, pj.scheduled_at
    FROM procrastinate_jobs pj
    WHERE pj.args ->> 'order_list_id' = l.id::text
    ORDER BY pj.id DESC
    LIMIT 1
) j ON true;
