-- BitMart and Coinstore: venues ccxt no longer ships, served by native connectors
-- (shared.exchange.factory.NATIVE_CONNECTORS). Their connectors budget each endpoint group
-- against the venue's own published limits (per IP or per API key); the figure here is
-- the venue-wide per-IP ceiling, for the places that read one number per venue.
INSERT INTO venues (code, display_name, connector, ccxt_id, request_weight_per_minute) VALUES
    ('bitmart', 'BitMart', 'native', NULL, 1200),
    ('coinstore', 'Coinstore', 'native', NULL, 1200);
