from __future__ import annotations

import hashlib
import uuid

import pytest

from shared.errors import ConfigurationError
from shared.sealing import (
    UnsealError,
    credential_info,
    generate_key_pair,
    load_private_key,
    load_public_key,
    seal,
    unseal,
)
from shared.tokens import display_prefix, hash_token, new_token


def test_seal_opens_only_in_its_own_context() -> None:
    pair = generate_key_pair()
    public, private = load_public_key(pair.public_key_b64), load_private_key(pair.private_key_b64)
    cred, client = uuid.uuid4(), uuid.uuid4()
    info = credential_info(cred, client, "binance")
    first, second = seal(b"secret", public, info), seal(b"secret", public, info)
    assert first != second  # a fresh ephemeral key every time
    assert unseal(first, private, info) == b"secret"
    for other in (
        credential_info(uuid.uuid4(), client, "binance"),
        credential_info(cred, uuid.uuid4(), "binance"),
        credential_info(cred, client, "okx"),
    ):
        with pytest.raises(UnsealError):
            unseal(first, private, other)
    other_private = load_private_key(generate_key_pair().private_key_b64)
    with pytest.raises(UnsealError):
        unseal(first, other_private, info)


def test_bad_private_key_error_does_not_echo_it() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        load_private_key("bm90LWEta2V5")
    assert "bm90LWEta2V5" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None


def test_tokens_are_random_and_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b
    assert a.startswith("tb_")
    assert len(a) > 40
    assert hash_token(a) == hashlib.sha256(a.encode()).digest()
    assert a.startswith(display_prefix(a))
    assert len(display_prefix(a)) == 10
