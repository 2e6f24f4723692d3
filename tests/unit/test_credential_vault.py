"""The worker's vault opens credentials sealed under the current key and, during a
rotation, under the retired ones it is given; nothing else."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from shared.credentials import CredentialSecrets, seal_credential_secrets
from shared.domain import CredentialEnvironment
from shared.errors import ConfigurationError
from shared.repositories.order_pipeline import SealedCredential
from shared.sealing import SealingKeyPair, generate_key_pair, load_public_key
from shared.settings import load_settings
from worker.credentials import CredentialUnavailableError, CredentialVault


def _sealed_row(pair: SealingKeyPair) -> SealedCredential:
    credential_id, client_id = uuid.uuid4(), uuid.uuid4()
    blob = seal_credential_secrets(
        CredentialSecrets(api_key="key-" + pair.key_id, secret="secret"),
        load_public_key(pair.public_key_b64),
        credential_id=credential_id, client_id=client_id, exchange="binance",
    )  # fmt: skip
    return SealedCredential(
        id=credential_id, client_id=client_id, exchange="binance",
        environment=CredentialEnvironment.PAPER, api_base_url=None,
        sealed_secret=blob, key_id=pair.key_id, revoked_at=None,
    )  # fmt: skip


def _vault(current: SealingKeyPair, retired: str | None) -> CredentialVault:
    env = {
        "TRADEBRIDGE_ENV": "test",
        "TRADEBRIDGE_SEALING_KEY_ID": current.key_id,
        "TRADEBRIDGE_SEALING_PRIVATE_KEY": current.private_key_b64,
    }
    if retired is not None:
        env["TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS"] = retired
    return CredentialVault.from_settings(load_settings(env))


def test_current_and_retired_keys_open_their_credentials_and_no_other() -> None:
    current, old, unknown = generate_key_pair(), generate_key_pair(), generate_key_pair()
    vault = _vault(current, f"{old.key_id}:{old.private_key_b64}")
    for pair in (current, old):
        row = _sealed_row(pair)
        assert vault.open_row(row.id, row).api_key == "key-" + pair.key_id
    row = _sealed_row(unknown)
    with pytest.raises(CredentialUnavailableError, match="does not hold"):
        vault.open_row(row.id, row)
    # The key id says which key to use: a blob under a known id that the key does not
    # open is refused, never tried with another key.
    forged = dataclasses.replace(_sealed_row(unknown), key_id=old.key_id)
    with pytest.raises(CredentialUnavailableError, match="does not open"):
        vault.open_row(forged.id, forged)


@pytest.mark.parametrize("retired", ["no-colon", ":key-without-id", "id-without-key:"])
def test_a_malformed_retired_keys_variable_is_a_configuration_error(retired: str) -> None:
    with pytest.raises(ConfigurationError, match="RETIRED_PRIVATE_KEYS"):
        _vault(generate_key_pair(), retired)
