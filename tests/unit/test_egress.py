"""Egress route rules with no I/O: which proxy URLs are usable, what operators see of
them, the budget key of routed traffic, ccxt's proxy option, and the vault opening a
credential with its route."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest

from shared.credentials import CredentialSecrets, seal_credential_secrets
from shared.domain import CredentialEnvironment
from shared.egress import budget_egress, parse_proxy_url, seal_proxy_url
from shared.exchange.errors import PermanentExchangeError
from shared.exchange.factory import ccxt_proxy_settings
from shared.repositories.order_pipeline import SealedCredential
from shared.sealing import generate_key_pair, load_private_key, load_public_key
from shared.validation import FieldValidationError
from worker.credentials import CredentialUnavailableError, CredentialVault
from worker.egress_ip import _scrubbed

SECRET = "pa55-w0rd"


@pytest.mark.parametrize(
    ("url", "display"),
    [
        (f"http://user:{SECRET}@203.0.113.10:3128", "http://203.0.113.10:3128"),
        ("HTTPS://Proxy.Example:8443/", "https://proxy.example:8443"),
        ("socks5h://[2001:db8::1]:1080", "socks5h://[2001:db8::1]:1080"),
        (f"  socks5://u:{SECRET}@10.0.0.1:1080  ", "socks5://10.0.0.1:1080"),
    ],
)
def test_a_usable_proxy_url_shows_only_scheme_host_and_port(url: str, display: str) -> None:
    proxy = parse_proxy_url(url)
    assert proxy.display == display
    assert SECRET not in repr(proxy)
    assert proxy.url == url.strip().rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "gopher://h:70",
        "socks4://h:1080",
        "http://h",
        "http://h:0",
        f"http://u:{SECRET}@h:70000",
        "http://:3128",
        "http://h:3128/x",
        "http://h:3128/?a",
        "http://h:3128#f",
        "http://h:31\n28",
        "http://h\u200b:3128",
        "h:3128",
        "http://" + "a" * 2000 + ":1",
    ],
)
def test_an_unusable_proxy_url_is_refused_without_quoting_it(url: str) -> None:
    with pytest.raises(FieldValidationError) as refused:
        parse_proxy_url(url)
    assert refused.value.field == "proxy_url"
    assert SECRET not in str(refused.value)


def test_routed_traffic_has_the_route_s_budget() -> None:
    assert budget_egress("fra-1", "default") == "route:fra-1"
    assert budget_egress(None, "nat-a") == "nat-a"


def test_ccxt_gets_the_proxy_option_of_the_proxy_s_scheme() -> None:
    assert ccxt_proxy_settings("http://u:p@h:1") == {"httpProxy": "http://u:p@h:1"}
    assert ccxt_proxy_settings("https://h:2") == {"httpsProxy": "https://h:2"}
    with pytest.raises(PermanentExchangeError) as refused:
        ccxt_proxy_settings(f"ftp://u:{SECRET}@h:3")
    assert SECRET not in str(refused.value)


def test_socks_routes_use_ccxts_socks_transport() -> None:
    assert ccxt_proxy_settings("socks5h://h:1080") == {"socksProxy": "socks5h://h:1080"}


def test_a_failure_description_never_carries_the_proxy_url_or_password() -> None:
    url = f"http://user:{SECRET}@127.0.0.1:9"
    error = httpx.ProxyError(f"cannot reach {url} (user:{SECRET})")
    described = _scrubbed(error, url)
    assert SECRET not in described
    assert "ProxyError" in described


def _row(route_blob_for: uuid.UUID | None = None) -> tuple[SealedCredential, CredentialVault]:
    pair = generate_key_pair()
    public = load_public_key(pair.public_key_b64)
    credential_id, client_id, route_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    row = SealedCredential(
        id=credential_id, client_id=client_id, exchange="binance",
        environment=CredentialEnvironment.PAPER, api_base_url=None,
        sealed_secret=seal_credential_secrets(
            CredentialSecrets(api_key="k", secret="s"), public,
            credential_id=credential_id, client_id=client_id, exchange="binance",
        ),
        key_id=pair.key_id, revoked_at=None, egress_route_id=route_id, egress_route="fra-1",
        sealed_proxy_url=seal_proxy_url(
            f"http://u:{SECRET}@h:1", public, route_blob_for or route_id
        ),
        route_key_id=pair.key_id,
    )  # fmt: skip
    return row, CredentialVault({pair.key_id: load_private_key(pair.private_key_b64)})


def test_the_vault_opens_a_credential_with_its_route() -> None:
    row, vault = _row()
    opened = vault.open_row(row.id, row)
    assert (opened.egress_route, opened.proxy_url) == ("fra-1", f"http://u:{SECRET}@h:1")
    assert SECRET not in repr(opened)
    # Unassigned: the same credential has no route, and is a new entry, not the cached one.
    direct = vault.open_row(
        row.id, dataclasses.replace(row, egress_route_id=None, sealed_proxy_url=None)
    )
    assert (direct.egress_route, direct.proxy_url) == (None, None)


def test_a_route_blob_copied_from_another_route_makes_the_credential_unusable() -> None:
    row, vault = _row(route_blob_for=uuid.uuid4())
    with pytest.raises(CredentialUnavailableError, match="does not open") as refused:
        vault.open_row(row.id, row)
    assert SECRET not in str(refused.value)
