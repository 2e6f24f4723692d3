-- Egress routes: which IP a credential's venue traffic leaves by.
--
-- Venues allow-list API keys by IP, so an operator (admin API only) names routes, each a
-- proxy URL, and assigns credentials to them. A proxy URL carries the proxy's password,
-- so it is sealed like an exchange secret (HPKE to the worker's public key, `info`
-- binding the route id: a blob copied onto another row does not open). `proxy_display`
-- is the part an operator may see: scheme://host:port, never the user or password.

CREATE TABLE egress_routes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    sealed_proxy_url bytea NOT NULL CHECK (octet_length(sealed_proxy_url) > 32),
    key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    proxy_display text NOT NULL CHECK (length(proxy_display) BETWEEN 1 AND 300),
    -- The public IP an IP-echo service saw through the route, as last checked by a worker
    -- (check_egress_public_ips); the last check's error when it failed. A failed check
    -- keeps the last IP seen, with the time it was seen.
    public_ip inet,
    public_ip_seen_at timestamptz,
    last_checked_at timestamptz,
    last_check_error text CHECK (length(last_check_error) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
-- Retired routes keep their row (history); a name can be used again once retired.
CREATE UNIQUE INDEX egress_routes_name_uq ON egress_routes (name) WHERE retired_at IS NULL;
CREATE TRIGGER egress_routes_updated_at BEFORE UPDATE ON egress_routes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE exchange_credentials
    ADD COLUMN egress_route_id uuid REFERENCES egress_routes (id);
CREATE INDEX exchange_credentials_egress_route_idx
    ON exchange_credentials (egress_route_id) WHERE egress_route_id IS NOT NULL;

-- Backstop for the admin API's checks: a credential is never pointed at a retired route.
-- The route row is read FOR SHARE with a fresh snapshot, so an assignment racing the
-- retirement (which locks the row FOR UPDATE, then counts) either waits and is refused,
-- or commits first and is counted.
CREATE FUNCTION exchange_credentials_route_is_active() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.egress_route_id IS NOT NULL THEN
        PERFORM 1 FROM egress_routes
        WHERE id = NEW.egress_route_id AND retired_at IS NULL
        FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'egress route % is retired', NEW.egress_route_id
                USING ERRCODE = 'check_violation', COLUMN = 'egress_route_id';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER exchange_credentials_route_is_active
    BEFORE INSERT OR UPDATE OF egress_route_id ON exchange_credentials
    FOR EACH ROW EXECUTE FUNCTION exchange_credentials_route_is_active();
