"""Every constraint DESIGN §3 names exists: the insert or update that must fail, fails."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from psycopg import AsyncConnection, errors

from shared.domain import ORDER_STATUS_RANK, PG_ENUMS, OrderStatus
from tests.factories import (
    FILL_INSERT,
    make_bot,
    make_client,
    make_credential,
    make_order,
)


async def _enum_labels(conn: AsyncConnection, type_name: str) -> list[str]:
    cur = await conn.execute(
        """SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
           WHERE t.typname = %s ORDER BY e.enumsortorder""",
        (type_name,),
    )
    return [row[0] for row in await cur.fetchall()]


async def _check_labels(db_conn: AsyncConnection, table: str, column: str) -> list[str]:
    """The values a column's `CHECK (column IN (...))` allows, in the order written."""
    cur = await db_conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'c'",
        (table,),
    )
    definitions = [row[0] for row in await cur.fetchall()]
    (listing,) = [d for d in definitions if re.match(rf"CHECK \(\(?{column} = ANY", d)]
    return re.findall(r"'([^']*)'::text", listing)


async def test_every_python_enum_matches_its_postgres_twin(db_conn: AsyncConnection) -> None:
    for enum_cls, target in PG_ENUMS.items():
        python_values = [member.value for member in enum_cls]
        if target.startswith("table:"):
            table, column = target.removeprefix("table:").split(".")
            cur = await db_conn.execute(f"SELECT {column} FROM {table}")  # type: ignore[arg-type]
            assert sorted(r[0] for r in await cur.fetchall()) == sorted(python_values), enum_cls
        elif target.startswith("check:"):
            table, column = target.removeprefix("check:").split(".")
            assert await _check_labels(db_conn, table, column) == python_values, enum_cls
        else:
            assert await _enum_labels(db_conn, target) == python_values, enum_cls


async def test_order_status_rank_and_groups_match_python(db_conn: AsyncConnection) -> None:
    """Each group is written once per language: OrderStatus.is_* and order_status_is_*()."""
    for status in OrderStatus:
        cur = await db_conn.execute(
            "SELECT order_status_rank(%(s)s), order_status_is_pre_venue(%(s)s),"
            " order_status_is_at_venue(%(s)s), order_status_is_terminal(%(s)s)",
            {"s": status.value},
        )
        in_python = (
            ORDER_STATUS_RANK[status],
            status.is_pre_venue,
            status.is_at_venue,
            status.is_terminal,
        )
        assert await cur.fetchone() == in_python, status
    # The groups split the statuses: every status is in exactly one.
    for status in OrderStatus:
        assert [status.is_pre_venue, status.is_at_venue, status.is_terminal].count(True) == 1


async def test_status_group_functions_are_immutable(db_conn: AsyncConnection) -> None:
    """IMMUTABLE, so they may appear in index predicates and are inlined by the planner."""
    cur = await db_conn.execute(
        "SELECT proname, provolatile FROM pg_proc WHERE proname LIKE 'order_status_is_%%'"
        " ORDER BY proname"
    )
    assert await cur.fetchall() == [
        ("order_status_is_at_venue", "i"),
        ("order_status_is_pre_venue", "i"),
        ("order_status_is_terminal", "i"),
    ]


async def test_status_spelled_differently_is_refused(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    with pytest.raises(errors.InvalidTextRepresentation):
        await make_order(db_conn, client, cred, status="cancelled")


async def test_money_columns_are_numeric(db_conn: AsyncConnection) -> None:
    money = {
        ("orders", "amount"), ("orders", "price"), ("orders", "filled_amount"),
        ("orders", "remaining_amount"), ("orders", "avg_fill_price"),
        ("fills", "price"), ("fills", "amount"), ("fills", "quote_amount"), ("fills", "fee_amount"),
        ("balances", "free"), ("balances", "used"), ("balances", "total"),
    }  # fmt: skip
    cur = await db_conn.execute(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'public' AND (table_name, column_name) IN
                 (SELECT * FROM unnest(%s::text[], %s::text[]))""",
        ([t for t, _ in money], [c for _, c in money]),
    )
    rows = await cur.fetchall()
    assert {(t, c) for t, c, _ in rows} == money
    assert {d for _, _, d in rows} == {"numeric"}


async def test_decimal_amounts_round_trip_exactly(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    amount = Decimal("0.123456789012345678")
    order = await make_order(db_conn, client, cred, amount=amount, price=Decimal("0.00000001"))
    cur = await db_conn.execute(
        "SELECT amount, price, remaining_amount FROM orders WHERE id = %s", (order,)
    )
    assert await cur.fetchone() == (amount, Decimal("0.00000001"), amount)


async def test_credential_exchange_is_required_and_validated(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    with pytest.raises(errors.ForeignKeyViolation):
        await make_credential(db_conn, client, exchange="notavenue")
    with pytest.raises(errors.NotNullViolation):
        await make_credential(db_conn, client, exchange=None)  # type: ignore[arg-type]


async def test_idempotency_key_unique_per_client_only(db_conn: AsyncConnection) -> None:
    alice, bob = await make_client(db_conn), await make_client(db_conn)
    alice_cred, bob_cred = (
        await make_credential(db_conn, alice),
        await make_credential(db_conn, bob),
    )
    await make_order(db_conn, alice, alice_cred, idempotency_key="same-key")
    with pytest.raises(errors.UniqueViolation) as excinfo:
        await make_order(db_conn, alice, alice_cred, idempotency_key="same-key")
    assert excinfo.value.diag.constraint_name == "orders_client_id_idempotency_key_key"
    # Keys are scoped to the client: another client may use the same one.
    await make_order(db_conn, bob, bob_cred, idempotency_key="same-key")


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "newline\n", "caf\u00e9"])
async def test_idempotency_key_must_be_printable_and_short(
    db_conn: AsyncConnection, key: str
) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    with pytest.raises(errors.CheckViolation):
        await make_order(db_conn, client, cred, idempotency_key=key)


async def test_client_order_id_unique_per_credential(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred_a, cred_b = await make_credential(db_conn, client), await make_credential(db_conn, client)
    await make_order(db_conn, client, cred_a, client_order_id="tbSAME")
    with pytest.raises(errors.UniqueViolation) as excinfo:
        await make_order(db_conn, client, cred_a, client_order_id="tbSAME")
    assert excinfo.value.diag.constraint_name == "orders_credential_id_client_order_id_key"
    await make_order(db_conn, client, cred_b, client_order_id="tbSAME")
    with pytest.raises(errors.CheckViolation):
        await make_order(db_conn, client, cred_a, client_order_id="has space")


async def test_fill_seen_twice_is_one_row(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    order = await make_order(db_conn, client, cred)
    params = {
        "client_id": client, "credential_id": cred, "order_id": order, "trade_id": "T-1",
        "price": Decimal("50000"), "amount": Decimal("0.004"), "fee": Decimal("0.000004"),
    }  # fmt: skip
    first = await db_conn.execute(FILL_INSERT, params)
    second = await db_conn.execute(FILL_INSERT, params)
    assert (first.rowcount, second.rowcount) == (1, 0)
    # Without ON CONFLICT the duplicate is an error, so the guarantee is the schema's.
    with pytest.raises(errors.UniqueViolation) as excinfo:
        await db_conn.execute(FILL_INSERT.split("ON CONFLICT")[0], params)
    assert excinfo.value.diag.constraint_name == "fills_order_trade_uq"
    cur = await db_conn.execute("SELECT quote_amount FROM fills WHERE order_id = %s", (order,))
    assert await cur.fetchone() == (Decimal("200.000"),)


async def test_order_status_only_moves_forward(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    order = await make_order(db_conn, client, cred)
    update = "UPDATE orders SET status = %s, filled_amount = %s WHERE id = %s"
    await db_conn.execute(update, ("submitting", 0, order))
    await db_conn.execute(update, ("unknown", 0, order))  # same rank: allowed
    await db_conn.execute(update, ("partially_filled", Decimal("0.004"), order))
    with pytest.raises(errors.CheckViolation, match="back to open"):
        await db_conn.execute(update, ("open", Decimal("0.004"), order))
    with pytest.raises(errors.CheckViolation, match="cannot decrease"):
        await db_conn.execute(update, ("partially_filled", Decimal("0.001"), order))
    await db_conn.execute(update, ("filled", Decimal("0.01"), order))
    with pytest.raises(errors.CheckViolation, match="terminal"):
        await db_conn.execute(update, ("canceled", Decimal("0.01"), order))
    with pytest.raises(errors.CheckViolation):  # more than ordered
        await db_conn.execute("UPDATE orders SET filled_amount = 1 WHERE id = %s", (order,))


async def test_rejected_order_needs_a_reason(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    order = await make_order(db_conn, client, cred)
    with pytest.raises(errors.CheckViolation):
        await db_conn.execute("UPDATE orders SET status = 'rejected' WHERE id = %s", (order,))
    await db_conn.execute(
        "UPDATE orders SET status = 'rejected', reject_reason = 'kill_switch' WHERE id = %s",
        (order,),
    )


async def test_limit_orders_need_a_price_and_market_orders_none(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    with pytest.raises(errors.CheckViolation):
        await make_order(db_conn, client, cred, type="limit", price=None)
    with pytest.raises(errors.CheckViolation):
        await make_order(db_conn, client, cred, type="market", price=Decimal("1"))
    with pytest.raises(errors.CheckViolation):
        await make_order(db_conn, client, cred, amount=Decimal("0"))


async def test_order_events_are_append_only(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    order = await make_order(db_conn, client, cred)
    await db_conn.execute(
        """INSERT INTO order_events (order_id, kind, to_status) VALUES (%s, 'status_change', 'accepted')""",
        (order,),
    )
    with pytest.raises(errors.RestrictViolation):
        await db_conn.execute("UPDATE order_events SET message = 'rewritten'")
    with pytest.raises(errors.RestrictViolation):
        await db_conn.execute("DELETE FROM order_events")
    with pytest.raises(errors.CheckViolation):  # an exchange call must say which and how
        await db_conn.execute(
            "INSERT INTO order_events (order_id, kind) VALUES (%s, 'exchange_call')", (order,)
        )


async def test_resources_cannot_cross_tenants(db_conn: AsyncConnection) -> None:
    alice, bob = await make_client(db_conn), await make_client(db_conn)
    alice_cred = await make_credential(db_conn, alice)
    bob_cred = await make_credential(db_conn, bob)
    with pytest.raises(errors.ForeignKeyViolation):
        await make_bot(db_conn, alice, bob_cred)
    with pytest.raises(errors.ForeignKeyViolation):
        await make_order(db_conn, alice, bob_cred)
    # A bot must trade on its credential's venue.
    with pytest.raises(errors.ForeignKeyViolation):
        await make_bot(db_conn, alice, alice_cred, exchange="okx")
    bob_bot = await make_bot(db_conn, bob, bob_cred)
    with pytest.raises(errors.ForeignKeyViolation):
        await db_conn.execute(
            "INSERT INTO kill_switches (scope, client_id, bot_id, engaged_by) VALUES ('bot', %s, %s, 't')",
            (alice, bob_bot),
        )


async def test_archived_bot_cannot_be_running(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    with pytest.raises(errors.CheckViolation):
        await make_bot(db_conn, client, cred, status="running", archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(errors.InvalidTextRepresentation):
        await make_bot(db_conn, client, cred, kind="arbitrage")


async def test_one_engaged_kill_switch_per_target(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    engage = "INSERT INTO kill_switches (scope, client_id, engaged_by) VALUES (%s, %s, 'ops')"
    await db_conn.execute(engage, ("client", client))
    with pytest.raises(errors.UniqueViolation):
        await db_conn.execute(engage, ("client", client))
    await db_conn.execute(
        "UPDATE kill_switches SET released_at = now(), released_by = 'ops' WHERE client_id = %s",
        (client,),
    )
    await db_conn.execute(engage, ("client", client))  # history kept, a new one engaged
    await db_conn.execute(engage, ("global", None))
    with pytest.raises(errors.UniqueViolation):
        await db_conn.execute(engage, ("global", None))
    with pytest.raises(errors.CheckViolation):  # a global switch names no client
        await db_conn.execute(engage, ("global", client))
    cur = await db_conn.execute("SELECT count(*) FROM ops.engaged_kill_switches")
    assert await cur.fetchone() == (2,)


async def test_token_hash_is_a_sha256_digest(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    with pytest.raises(errors.CheckViolation):
        await db_conn.execute(
            "INSERT INTO api_tokens (client_id, token_hash, token_prefix) VALUES (%s, %s, 'tb_abcd')",
            (client, b"plaintext-token"),
        )


async def test_balances_cannot_go_negative(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    with pytest.raises(errors.CheckViolation):
        await db_conn.execute(
            """INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)
               VALUES (%s, 'BTC', -1, 0, 0, now())""",
            (cred,),
        )


async def test_ops_views_answer_in_one_query(db_conn: AsyncConnection) -> None:
    client = await make_client(db_conn)
    cred = await make_credential(db_conn, client)
    order = await make_order(db_conn, client, cred)
    await db_conn.execute(
        """INSERT INTO procrastinate_jobs (queue_name, task_name, args)
           VALUES ('orders', 'place_order', jsonb_build_object('order_id', %s::text))""",
        (str(order),),
    )
    cur = await db_conn.execute(
        "SELECT status, job_task, job_status, events, fills FROM ops.order_pipeline WHERE order_id = %s",
        (order,),
    )
    assert await cur.fetchone() == ("accepted", "place_order", "todo", 0, 0)
    cur = await db_conn.execute(
        "SELECT queue_name, task_name, status, jobs FROM ops.queue_overview"
    )
    assert await cur.fetchall() == [("orders", "place_order", "todo", 1)]
    for view in ("ops.stuck_jobs", "ops.failed_jobs"):
        cur = await db_conn.execute(f"SELECT count(*) FROM {view}")  # type: ignore[arg-type]
        assert await cur.fetchone() == (0,)
