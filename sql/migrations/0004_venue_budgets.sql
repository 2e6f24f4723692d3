-- One request-weight budget per venue host and egress IP, shared by every worker process
-- (venues such as Binance count weight per IP: processes that each assume the whole
-- budget is theirs get the IP banned). Workers lease weight in small batches; a 429/418
-- sets blocked_until, which every worker obeys on its next lease.

CREATE TABLE venue_request_budgets (
    budget_key text NOT NULL,  -- "<venue>@<host>"
    egress text NOT NULL,      -- which egress IP / NAT the worker's requests leave by
    window_start timestamptz NOT NULL,
    weight_used integer NOT NULL DEFAULT 0 CHECK (weight_used >= 0),
    weight_limit integer NOT NULL CHECK (weight_limit > 0),
    blocked_until timestamptz,
    blocked_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (budget_key, egress)
);
CREATE TRIGGER venue_request_budgets_updated_at BEFORE UPDATE ON venue_request_budgets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
