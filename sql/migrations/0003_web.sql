-- What the HTTP API needs beyond the core model.

-- GET /v1/fills pages newest first over (created_at, id) per client, like orders do on
-- orders_client_listing_idx.
CREATE INDEX fills_client_listing_idx ON fills (client_id, created_at DESC, id DESC);
