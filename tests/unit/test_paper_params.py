"""Parameter rules of POST /api/v3/order (missing, not required, malformed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paper_exchange.errors import BinanceError
from paper_exchange.order_request import parse_order_request
from paper_exchange.params import Params

BASE = {"symbol": "BTCUSDT", "side": "BUY"}


def parse(**values: str) -> object:
    return parse_order_request(Params({**BASE, **values}))


def test_limit_order_is_parsed() -> None:
    request = parse_order_request(
        Params(
            {
                **BASE,
                "type": "LIMIT",
                "timeInForce": "IOC",
                "quantity": "0.01000000",
                "price": "60000.10",
                "newClientOrderId": "my-id_1",
                "newOrderRespType": "ACK",
                "selfTradePreventionMode": "EXPIRE_BOTH",
            }
        )
    )
    assert request.quantity == Decimal("0.01")
    assert request.price == Decimal("60000.10")
    assert (request.time_in_force, request.client_order_id) == ("IOC", "my-id_1")
    assert (request.resp_type, request.stp_mode) == ("ACK", "EXPIRE_BOTH")


def test_defaults_are_full_response_and_expire_maker() -> None:
    request = parse_order_request(Params({**BASE, "type": "MARKET", "quoteOrderQty": "10"}))
    assert (request.resp_type, request.stp_mode) == ("FULL", "EXPIRE_MAKER")
    assert request.quote_order_qty == Decimal("10")


@pytest.mark.parametrize(
    ("values", "code", "param"),
    [
        ({"type": "LIMIT", "quantity": "1", "price": "1"}, -1102, "timeInForce"),
        ({"type": "LIMIT", "timeInForce": "GTC", "price": "1"}, -1102, "quantity"),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "1"}, -1102, "price"),
        ({"type": "MARKET"}, -1102, "quoteOrderQty"),
        ({"type": "MARKET", "quantity": "1", "price": "1"}, -1106, "price"),
        ({"type": "MARKET", "quantity": "1", "timeInForce": "GTC"}, -1106, "timeInForce"),
        ({"type": "MARKET", "quantity": "1", "quoteOrderQty": "1"}, -1106, "quoteOrderQty"),
        (
            {"type": "LIMIT_MAKER", "quantity": "1", "price": "1", "timeInForce": "GTC"},
            -1106,
            "timeInForce",
        ),
        ({"type": "MARKET", "quantity": "abc"}, -1100, "quantity"),
        ({"type": "MARKET", "quantity": "-1"}, -1100, "quantity"),
        ({"type": "MARKET", "quantity": "0.000000001"}, -1111, "quantity"),
        (
            {"type": "MARKET", "quantity": "1", "newClientOrderId": "has space"},
            -1100,
            "newClientOrderId",
        ),
    ],
)
def test_bad_parameters(values: dict[str, str], code: int, param: str) -> None:
    with pytest.raises(BinanceError) as err:
        parse(**values)
    assert err.value.code == code
    assert f"'{param}'" in err.value.msg


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"type": "LIMIT", "side": "HOLD"}, -1117),
        ({"type": "STOP"}, -1116),
        ({"type": "LIMIT", "timeInForce": "GTD", "quantity": "1", "price": "1"}, -1115),
    ],
)
def test_bad_enums(values: dict[str, str], code: int) -> None:
    with pytest.raises(BinanceError) as err:
        parse_order_request(Params({**BASE, **values}))
    assert err.value.code == code


def test_missing_symbol_is_1102() -> None:
    with pytest.raises(BinanceError) as err:
        parse_order_request(Params({"side": "BUY", "type": "MARKET", "quantity": "1"}))
    assert (err.value.code, err.value.msg) == (
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    )
