-- name: insert_client
INSERT INTO clients (name)
VALUES (%(name)s)
RETURNING id, name, created_at, disabled_at;

-- name: get_client_by_name
SELECT id, name, created_at, disabled_at
FROM clients
WHERE name = %(name)s;

-- name: insert_api_token
INSERT INTO api_tokens (client_id, token_hash, token_prefix, label)
VALUES (%(client_id)s, %(token_hash)s, %(token_prefix)s, %(label)s)
RETURNING id, client_id, token_prefix, label, created_at, last_used_at, revoked_at;

-- name: list_clients
SELECT id, name, created_at, disabled_at
FROM clients
ORDER BY name;

-- name: get_client
SELECT id, name, created_at, disabled_at
FROM clients
WHERE id = %(client_id)s;
