"""The headers every dashboard response carries, errors and static files included.

The page holds a bearer token in memory, so what may run in it is locked down: scripts,
styles and everything else from this origin only (no inline script or style, no eval),
no framing (clickjacking a kill switch), no base-URL or form-target rewriting, and no
Referer that could carry a path to another origin.
"""

from __future__ import annotations

from litestar.types import Message, Scope

DASHBOARD_PREFIX = "/dashboard"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    )
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.lower().encode(), value.encode())
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)
_NAMES = {name for name, _ in SECURITY_HEADERS}


def is_dashboard_path(path: str) -> bool:
    return path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/")


async def add_dashboard_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: the headers above on every response under /dashboard."""
    if message["type"] != "http.response.start" or not is_dashboard_path(scope["path"]):
        return
    headers = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in _NAMES]
    headers.extend(SECURITY_HEADERS)
    message["headers"] = headers
