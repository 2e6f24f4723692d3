from __future__ import annotations

import re
import uuid

from shared.orders.client_order_id import client_order_id_for, order_id_from_client_order_id

STRICTEST_VENUE_RULE = re.compile(r"^[A-Za-z0-9]{1,32}$")  # OKX clOrdId


def test_deterministic_reversible_and_fits_every_venue() -> None:
    for order_id in [uuid.uuid4() for _ in range(500)] + [
        uuid.UUID(int=0),
        uuid.UUID(int=2**128 - 1),
    ]:
        cid = client_order_id_for(order_id)
        assert cid == client_order_id_for(order_id)
        assert len(cid) == 27
        assert STRICTEST_VENUE_RULE.match(cid)
        assert order_id_from_client_order_id(cid) == order_id


def test_distinct_orders_get_distinct_ids() -> None:
    ids = {client_order_id_for(uuid.uuid4()) for _ in range(10_000)}
    assert len(ids) == 10_000


def test_foreign_client_ids_are_not_ours() -> None:
    for foreign in ("web_123", "tb", "tb" + "!" * 25, "x" * 27, "tb" + "z" * 25):
        assert order_id_from_client_order_id(foreign) is None
