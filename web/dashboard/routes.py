"""The dashboard's routes: the HTML shell at /dashboard and its files at /dashboard/static.

Both are public (no bearer token): the shell holds no data. The page asks for a token,
keeps it in a JavaScript module variable for the page's life, and calls /v1 with it in
the Authorization header, so nothing the browser sends on its own (a cookie, a form
post from another origin) can act for the user. The shell is rendered once per process:
the only value put in it is the assets' version, which busts browser caches on deploy.
"""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from web.dashboard.security import DASHBOARD_PREFIX

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
_PUBLIC = {"exclude_from_auth": True}


@cache
def assets_version() -> str:
    """A digest of every static file: changes whenever one does."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def render_shell() -> str:
    template = (_HERE / "shell.html").read_text()
    return template.replace("{{assets_version}}", html.escape(assets_version(), quote=True))


@get("/", include_in_schema=False, opt=_PUBLIC, cache_control=CacheControlHeader(no_store=True))
async def dashboard_shell() -> Response[str]:
    return Response(render_shell(), media_type="text/html; charset=utf-8")


def dashboard_router() -> Router:
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt=_PUBLIC,
        # Revalidated on each load (cheap: 304); the shell's ?v= busts the entry point.
        cache_control=CacheControlHeader(no_cache=True),
        name="dashboard-static",
    )
    return Router(
        path=DASHBOARD_PREFIX,
        route_handlers=[dashboard_shell, static],
        opt=_PUBLIC,
        include_in_schema=False,
    )
