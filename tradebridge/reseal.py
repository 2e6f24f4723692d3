"""`tradebridge reseal`: re-seal every exchange credential, and every egress route's
proxy URL, to the current sealing key.

Key rotation (DESIGN §8): generate a pair (`tradebridge keygen`), give the web the new
key id and public key, give the worker the new private key and move the old one to
`TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS`, then run this. Each row sealed under another
key id is opened with the key of its id (current or retired) and sealed again to the
current public key, one row per statement, so an interrupted run loses nothing and a
second run only does what is left. When it reports nothing left to open, the retired
private keys can be destroyed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
import psycopg
from cryptography.hazmat.primitives.asymmetric import x25519

from shared.credentials import open_credential_secrets, seal_credential_secrets
from shared.egress import open_proxy_url, seal_proxy_url
from shared.errors import ConfigurationError
from shared.repositories.credentials import list_credentials_to_reseal, reseal_credential
from shared.repositories.egress_routes import list_egress_routes_to_reseal, reseal_egress_route
from shared.sealing import UnsealError, load_private_keys, load_public_key
from shared.settings import Settings


@dataclass
class ResealReport:
    resealed: int = 0
    routes_resealed: int = 0
    # Rows whose key id this process holds no private key for, by key id.
    missing_keys: dict[str, int] = field(default_factory=dict)
    # Rows whose blob did not open with the key of their id (a wrong key under that id).
    unopened: int = 0
    # Rows another writer changed between the read and the write (a concurrent run).
    skipped: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing_keys and not self.unopened


async def reseal_all(settings: Settings) -> ResealReport:
    if not (settings.sealing_key_id and settings.sealing_public_key):
        raise ConfigurationError(
            "reseal needs TRADEBRIDGE_SEALING_KEY_ID and TRADEBRIDGE_SEALING_PUBLIC_KEY"
            " (the key to seal to)"
        )
    assert settings.database_url is not None
    key_id = settings.sealing_key_id
    public_key = load_public_key(settings.sealing_public_key)
    private_keys = load_private_keys(
        settings.sealing_key_id,
        settings.sealing_private_key,
        settings.sealing_retired_private_keys,
    )
    report = ResealReport()
    async with await psycopg.AsyncConnection.connect(
        settings.database_url, autocommit=True
    ) as conn:
        for row in await list_credentials_to_reseal(conn, key_id):
            private_key = private_keys.get(row.key_id)
            if private_key is None:
                report.missing_keys[row.key_id] = report.missing_keys.get(row.key_id, 0) + 1
                continue
            binding = {"credential_id": row.id, "client_id": row.client_id}
            try:
                secrets = open_credential_secrets(
                    row.sealed_secret, private_key, **binding, exchange=row.exchange
                )
            except (UnsealError, msgspec.DecodeError):
                report.unopened += 1
                continue
            sealed = seal_credential_secrets(secrets, public_key, **binding, exchange=row.exchange)
            if await reseal_credential(conn, row, sealed, key_id):
                report.resealed += 1
            else:
                report.skipped += 1
        await _reseal_routes(conn, report, private_keys, public_key, key_id)
    return report


async def _reseal_routes(
    conn: psycopg.AsyncConnection,
    report: ResealReport,
    private_keys: dict[str, x25519.X25519PrivateKey],
    public_key: x25519.X25519PublicKey,
    key_id: str,
) -> None:
    """Egress routes' proxy URLs, counted with the credentials in the left-over figures."""
    for route in await list_egress_routes_to_reseal(conn, key_id):
        private_key = private_keys.get(route.key_id)
        if private_key is None:
            report.missing_keys[route.key_id] = report.missing_keys.get(route.key_id, 0) + 1
            continue
        try:
            url = open_proxy_url(route.sealed_proxy_url, private_key, route.id)
        except (UnsealError, UnicodeDecodeError):
            report.unopened += 1
            continue
        sealed = seal_proxy_url(url, public_key, route.id)
        if await reseal_egress_route(conn, route, sealed, key_id):
            report.routes_resealed += 1
        else:
            report.skipped += 1


def describe(report: ResealReport, key_id: str) -> list[str]:
    lines = [
        f"re-sealed {report.resealed} credential(s) to key {key_id}",
        f"re-sealed {report.routes_resealed} egress route proxy URL(s) to key {key_id}",
    ]
    if report.skipped:
        lines.append(f"{report.skipped} changed meanwhile by another writer (run again)")
    for missing_id, count in sorted(report.missing_keys.items()):
        lines.append(
            f"{count} sealed under key {missing_id} left as they are: no private key for it"
            " (add it to TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS)"
        )
    if report.unopened:
        lines.append(f"{report.unopened} did not open with the key of their id: left as they are")
    if report.complete:
        lines.append(
            "every credential and egress route is sealed to the current key; retired keys can go"
        )
    return lines
