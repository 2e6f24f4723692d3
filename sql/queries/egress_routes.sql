-- Egress routes (sql/migrations/0012_egress_routes.sql). Admin-only writes; no read here
-- but the worker's returns the sealed proxy URL.

-- name: insert_egress_route
INSERT INTO egress_routes (id, name, sealed_proxy_url, key_id, proxy_display)
VALUES (%(id)s, %(name)s, %(sealed_proxy_url)s, %(key_id)s, %(proxy_display)s)
RETURNING id, name, proxy_display, key_id, 0::bigint AS assigned_credentials,
          host(public_ip) AS public_ip, public_ip_seen_at, last_checked_at, last_check_error,
          created_at, updated_at, retired_at;

-- name: list_egress_routes
-- Assigned credentials count the usable ones (a revoked credential is never used).
SELECT r.id, r.name, r.proxy_display, r.key_id,
       (SELECT count(*) FROM exchange_credentials c
        WHERE c.egress_route_id = r.id AND c.revoked_at IS NULL) AS assigned_credentials,
       host(r.public_ip) AS public_ip, r.public_ip_seen_at, r.last_checked_at,
       r.last_check_error, r.created_at, r.updated_at, r.retired_at
FROM egress_routes r
WHERE %(include_retired)s OR r.retired_at IS NULL
ORDER BY r.retired_at IS NOT NULL, r.name, r.created_at DESC;

-- name: get_active_egress_route
SELECT r.id, r.name, r.proxy_display, r.key_id,
       (SELECT count(*) FROM exchange_credentials c
        WHERE c.egress_route_id = r.id AND c.revoked_at IS NULL) AS assigned_credentials,
       host(r.public_ip) AS public_ip, r.public_ip_seen_at, r.last_checked_at,
       r.last_check_error, r.created_at, r.updated_at, r.retired_at
FROM egress_routes r
WHERE r.name = %(name)s AND r.retired_at IS NULL;

-- name: get_egress_route
-- By id, retired or not (what a retirement answers with).
SELECT r.id, r.name, r.proxy_display, r.key_id,
       (SELECT count(*) FROM exchange_credentials c
        WHERE c.egress_route_id = r.id AND c.revoked_at IS NULL) AS assigned_credentials,
       host(r.public_ip) AS public_ip, r.public_ip_seen_at, r.last_checked_at,
       r.last_check_error, r.created_at, r.updated_at, r.retired_at
FROM egress_routes r
WHERE r.id = %(route_id)s;

-- name: lock_active_egress_route
-- Retirement's first step: the row lock makes a concurrent assignment (whose trigger
-- reads the route FOR SHARE) either finish before the count that follows, or wait and
-- then see the route retired.
SELECT id FROM egress_routes
WHERE name = %(name)s AND retired_at IS NULL
FOR UPDATE;

-- name: count_credentials_on_route
SELECT count(*) FROM exchange_credentials
WHERE egress_route_id = %(route_id)s AND revoked_at IS NULL;

-- name: retire_egress_route
UPDATE egress_routes SET retired_at = now()
WHERE id = %(route_id)s AND retired_at IS NULL
RETURNING id;

-- name: assign_credential_route
-- Any client's credential (admin). The route by name among active ones; NULL unassigns.
-- No row back: no such credential, or it is revoked.
UPDATE exchange_credentials
SET egress_route_id = %(route_id)s
WHERE id = %(credential_id)s AND revoked_at IS NULL
RETURNING id;

-- name: credential_is_revoked
SELECT revoked_at IS NOT NULL FROM exchange_credentials WHERE id = %(credential_id)s;

-- name: routes_to_check
-- The worker's periodic public IP check: every active route, with its sealed URL.
SELECT id, name, sealed_proxy_url, key_id
FROM egress_routes
WHERE retired_at IS NULL
ORDER BY name;

-- name: record_route_public_ip
UPDATE egress_routes
SET public_ip = %(public_ip)s::inet, public_ip_seen_at = now(), last_checked_at = now(),
    last_check_error = NULL
WHERE id = %(route_id)s;

-- name: record_route_check_error
-- The last IP seen stays, with the time it was seen: an operator still knows it.
UPDATE egress_routes
SET last_checked_at = now(), last_check_error = left(%(error)s, 500)
WHERE id = %(route_id)s;

-- name: list_egress_routes_to_reseal
-- `tradebridge reseal`: every route sealed under another key than the current one.
SELECT id, name, sealed_proxy_url, key_id
FROM egress_routes
WHERE key_id <> %(current_key_id)s
ORDER BY created_at, id;

-- name: reseal_egress_route
UPDATE egress_routes
SET sealed_proxy_url = %(sealed_proxy_url)s, key_id = %(key_id)s
WHERE id = %(route_id)s AND key_id = %(old_key_id)s
  AND sealed_proxy_url = %(old_sealed_proxy_url)s
RETURNING id;
