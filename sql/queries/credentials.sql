-- name: insert_credential
INSERT INTO exchange_credentials
    (id, client_id, exchange, environment, api_base_url, label, sealed_secret, key_id, masked_hint)
VALUES
    (%(id)s, %(client_id)s, %(exchange)s, %(environment)s, %(api_base_url)s, %(label)s,
     %(sealed_secret)s, %(key_id)s, %(masked_hint)s)
RETURNING id, client_id, exchange, environment, api_base_url, label, key_id, masked_hint,
          created_at, updated_at, revoked_at,
       (SELECT r.name FROM egress_routes r WHERE r.id = egress_route_id) AS egress_route;

-- name: get_credential
SELECT id, client_id, exchange, environment, api_base_url, label, key_id, masked_hint,
       created_at, updated_at, revoked_at,
       (SELECT r.name FROM egress_routes r WHERE r.id = egress_route_id) AS egress_route
FROM exchange_credentials
WHERE id = %(credential_id)s AND client_id = %(client_id)s;

-- name: get_usable_credential_by_label
-- The client's credential with this label that is not revoked (labels are unique among
-- those), e.g. the dev demo's paper credential.
SELECT id, client_id, exchange, environment, api_base_url, label, key_id, masked_hint,
       created_at, updated_at, revoked_at,
       (SELECT r.name FROM egress_routes r WHERE r.id = egress_route_id) AS egress_route
FROM exchange_credentials
WHERE client_id = %(client_id)s AND label = %(label)s AND revoked_at IS NULL;

-- name: list_credentials
SELECT id, client_id, exchange, environment, api_base_url, label, key_id, masked_hint,
       created_at, updated_at, revoked_at,
       (SELECT r.name FROM egress_routes r WHERE r.id = egress_route_id) AS egress_route
FROM exchange_credentials
WHERE client_id = %(client_id)s
  AND (%(include_revoked)s OR revoked_at IS NULL)
ORDER BY created_at DESC, id DESC;

-- name: revoke_credential
UPDATE exchange_credentials
SET revoked_at = coalesce(revoked_at, now())
WHERE id = %(credential_id)s AND client_id = %(client_id)s
RETURNING id, client_id, exchange, environment, api_base_url, label, key_id, masked_hint,
          created_at, updated_at, revoked_at,
       (SELECT r.name FROM egress_routes r WHERE r.id = egress_route_id) AS egress_route;

-- name: stop_bots_of_credential
UPDATE bots
SET status = 'stopped', status_reason = 'credential_revoked'
WHERE credential_id = %(credential_id)s AND client_id = %(client_id)s AND status = 'running'
RETURNING id;

-- name: count_live_orders_of_credential
-- Orders the venue may know of; 'accepted' ones are never sent once the credential is revoked.
SELECT count(*)
FROM orders
WHERE credential_id = %(credential_id)s
  AND client_id = %(client_id)s
  AND NOT order_status_is_terminal(status)
  AND status <> 'accepted';

-- name: list_credentials_to_reseal
-- Every row sealed under another key than the current one, revoked ones too: a retired
-- private key can only be destroyed once no row needs it. Not scoped by client: the
-- operator's `tradebridge reseal` alone reads this.
SELECT id, client_id, exchange, key_id, sealed_secret
FROM exchange_credentials
WHERE key_id <> %(current_key_id)s
ORDER BY created_at, id;

-- name: reseal_credential
-- Only if nobody re-sealed or replaced the row meanwhile (a second reseal running).
UPDATE exchange_credentials
SET sealed_secret = %(sealed_secret)s, key_id = %(key_id)s
WHERE id = %(credential_id)s AND key_id = %(old_key_id)s AND sealed_secret = %(old_sealed_secret)s
RETURNING id;
