"""Driver errors become the project's own with a human message: the field when the
database names one, never the constraint's name."""

from __future__ import annotations

import uuid

import pytest
from psycopg import AsyncConnection

from shared.errors import ConflictError, ValidationError
from shared.repositories.clients import create_client, issue_api_token
from shared.validation import FieldValidationError


async def test_a_check_on_one_column_names_the_field_not_the_constraint(
    db_conn: AsyncConnection,
) -> None:
    client = await create_client(db_conn, "acme")
    with pytest.raises(FieldValidationError) as refused:
        await issue_api_token(db_conn, client.id, label="x" * 101)  # CHECK length <= 100
    assert refused.value.field == "label"
    assert "api_tokens" not in str(refused.value)
    assert "_check" not in str(refused.value)


async def test_a_foreign_key_names_no_constraint(db_conn: AsyncConnection) -> None:
    with pytest.raises(ValidationError) as refused:
        await issue_api_token(db_conn, uuid.uuid4(), label="orphan")
    assert "fkey" not in str(refused.value)
    assert "api_tokens" not in str(refused.value)


async def test_a_unique_violation_names_no_constraint(db_conn: AsyncConnection) -> None:
    await create_client(db_conn, "twice")
    with pytest.raises(ConflictError) as refused:
        await create_client(db_conn, "twice")
    assert "clients_name_key" not in str(refused.value)
