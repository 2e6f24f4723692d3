-- name: authenticate_token
-- One round trip: find the token by its digest (unique index) and, when it is usable,
-- touch last_used_at at most once a minute (the WHERE clause, not a write per request).
WITH found AS (
    SELECT t.id AS token_id, t.client_id, t.token_prefix, t.revoked_at,
           c.name AS client_name, c.disabled_at
    FROM api_tokens t
    JOIN clients c ON c.id = t.client_id
    WHERE t.token_hash = %(token_hash)s
), touched AS (
    UPDATE api_tokens t
    SET last_used_at = now()
    FROM found f
    WHERE t.id = f.token_id
      AND f.revoked_at IS NULL
      AND f.disabled_at IS NULL
      AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
)
SELECT token_id, client_id, token_prefix, client_name, revoked_at, disabled_at
FROM found;

-- name: list_api_tokens
SELECT id, client_id, token_prefix, label, created_at, last_used_at, revoked_at
FROM api_tokens
WHERE client_id = %(client_id)s
ORDER BY created_at DESC, id DESC;

-- name: revoke_api_token
-- client_id NULL: the admin revokes any token; otherwise only the client's own.
UPDATE api_tokens
SET revoked_at = coalesce(revoked_at, now())
WHERE id = %(token_id)s
  AND (%(client_id)s::uuid IS NULL OR client_id = %(client_id)s::uuid)
RETURNING id, client_id, token_prefix, label, created_at, last_used_at, revoked_at;
