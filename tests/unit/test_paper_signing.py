"""HMAC signing and the timestamp/recvWindow rule, checked against Binance's own examples."""

from __future__ import annotations

import pytest

from paper_exchange import signing
from paper_exchange.errors import BinanceError

# From Binance's Spot API docs ("SIGNED Endpoint Examples for POST /api/v3/order").
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_QUERY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
DOC_MIXED_QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
DOC_MIXED_BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
DOC_MIXED_SIGNATURE = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def test_sign_matches_the_binance_doc_example() -> None:
    assert signing.sign(DOC_SECRET, DOC_QUERY) == DOC_SIGNATURE


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (f"{DOC_QUERY}&signature={DOC_SIGNATURE}", ""),  # example 2: query string
        ("", f"{DOC_QUERY}&signature={DOC_SIGNATURE}"),  # example 1: request body
    ],
)
def test_signature_in_query_or_body_verifies(query: str, body: str) -> None:
    payload = signing.extract(query, body)
    assert payload.total_params == DOC_QUERY
    signing.verify(DOC_SECRET, payload)


def test_mixed_query_and_body_are_concatenated_without_ampersand() -> None:
    payload = signing.extract(DOC_MIXED_QUERY, f"{DOC_MIXED_BODY}&signature={DOC_MIXED_SIGNATURE}")
    assert payload.total_params == DOC_MIXED_QUERY + DOC_MIXED_BODY
    signing.verify(DOC_SECRET, payload)


def test_signature_is_not_case_sensitive() -> None:
    signing.verify(
        DOC_SECRET, signing.extract(f"{DOC_QUERY}&signature={DOC_SIGNATURE.upper()}", "")
    )


def test_wrong_signature_is_1022() -> None:
    tampered = DOC_QUERY.replace("price=0.1", "price=0.2")
    with pytest.raises(BinanceError) as err:
        signing.verify(DOC_SECRET, signing.extract(f"{tampered}&signature={DOC_SIGNATURE}", ""))
    assert (err.value.code, err.value.msg) == (-1022, "Signature for this request is not valid.")


def test_wrong_secret_is_1022() -> None:
    with pytest.raises(BinanceError) as err:
        signing.verify("x" * 64, signing.extract(f"{DOC_QUERY}&signature={DOC_SIGNATURE}", ""))
    assert err.value.code == -1022


def test_missing_signature_is_1102() -> None:
    with pytest.raises(BinanceError) as err:
        signing.verify(DOC_SECRET, signing.extract(DOC_QUERY, ""))
    assert err.value.code == -1102
    assert "'signature'" in err.value.msg


NOW = 1_700_000_000_000


@pytest.mark.parametrize(
    "params",
    [
        {"timestamp": str(NOW)},
        {"timestamp": str(NOW - 5000)},  # exactly the default window
        {"timestamp": str(NOW + 999)},  # less than 1000 ms ahead
        {"timestamp": str(NOW - 59_000), "recvWindow": "60000"},
    ],
)
def test_timing_accepts(params: dict[str, str]) -> None:
    signing.check_timing(params, NOW)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"timestamp": str(NOW - 5001)}, -1021),  # older than default 5000 ms window
        ({"timestamp": str(NOW - 2000), "recvWindow": "1000"}, -1021),
        ({"timestamp": str(NOW + 1000)}, -1021),  # 1000 ms ahead
        ({"timestamp": str(NOW), "recvWindow": "60001"}, -1131),
        ({}, -1102),
        ({"timestamp": "12ab"}, -1100),
    ],
)
def test_timing_rejects(params: dict[str, str], code: int) -> None:
    with pytest.raises(BinanceError) as err:
        signing.check_timing(params, NOW)
    assert err.value.code == code
