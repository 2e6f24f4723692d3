"""What one web process holds: settings, the pool and the job app (opened by the
lifespan), the sealing public key, the rate limiter. Kept on `app.state.context`."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import x25519
from litestar import Litestar
from procrastinate import App
from psycopg_pool import AsyncConnectionPool

from shared.settings import Settings
from web.rate_limit import RateLimiter


@dataclass
class WebContext:
    settings: Settings
    rate_limiter: RateLimiter
    # None: credentials cannot be created (503), everything else works.
    sealing_public_key: x25519.X25519PublicKey | None
    pool: AsyncConnectionPool | None = None
    job_app: App | None = None

    def require_pool(self) -> AsyncConnectionPool:
        if self.pool is None:
            raise RuntimeError("the database pool is not open (lifespan not started)")
        return self.pool

    def require_job_app(self) -> App:
        if self.job_app is None:
            raise RuntimeError("the job app is not open (lifespan not started)")
        return self.job_app


def web_context(app: Litestar) -> WebContext:
    context = app.state.context
    assert isinstance(context, WebContext)
    return context
