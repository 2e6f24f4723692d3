-- A venue can forget everything and start its ids again: Binance's Spot testnet is wiped
-- now and then, and a restarted paper exchange starts empty. A venue order id or trade id
-- is therefore unique only while the venue still holds the order, not forever.

-- Unique among the orders the venue may still hold. When a new order is given the id of
-- an older live one, the older one is retired in the same statement that records the new
-- one (pipeline_apply_venue_order), with an order_events row on each saying what happened.
DROP INDEX orders_exchange_order_id_uq;
CREATE UNIQUE INDEX orders_live_exchange_order_id_uq
    ON orders (credential_id, symbol, exchange_order_id)
    WHERE exchange_order_id IS NOT NULL AND NOT order_status_is_terminal(status);
-- Lookups by venue id over the whole history (which orders held this id before).
CREATE INDEX orders_exchange_order_id_idx
    ON orders (credential_id, symbol, exchange_order_id)
    WHERE exchange_order_id IS NOT NULL;

-- Since when the venue has answered "no such order" for an order it once acknowledged.
-- A venue that still denies it after the settle time has lost it (a reset): the order
-- is closed as expired (pipeline_venue_denies_order); an answer that finds it clears this.
ALTER TABLE orders ADD COLUMN venue_missing_since timestamptz;

-- A trade is one row per order of ours: after a venue reset, trade ids start again, and
-- (credential, symbol, trade id) would silently drop every new fill whose id an old one
-- had. Unique per order, a trade reported twice is still one row. A fill with no order
-- of ours (the pipeline writes none; an import could) keeps the old key.
ALTER TABLE fills DROP CONSTRAINT fills_credential_id_symbol_exchange_trade_id_key;
CREATE UNIQUE INDEX fills_order_trade_uq
    ON fills (order_id, exchange_trade_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX fills_orderless_trade_uq
    ON fills (credential_id, symbol, exchange_trade_id) WHERE order_id IS NULL;
