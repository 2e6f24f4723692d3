"""Entry sizing of signal bots: every sizing mode, every cap, every skip reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.bots.config import SignalConfig
from shared.exchange.types import Market
from worker.signals.sizing import Balances, Entry, EntryInputs, Skip, size_entry

D = Decimal
MARKET = Market(
    symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"),
    amount_step=D("0.00001"), min_amount=D("0.00001"), min_notional=D(5),
)  # fmt: skip


def config(**overrides: Any) -> SignalConfig:
    values: dict[str, Any] = {
        "sizing": "fixed_quote", "quote_amount": D(100), "stop_loss_pct": D(2),
        "max_position_quote": D(1000), "max_slippage_bps": D(50),
    }  # fmt: skip
    values.update(overrides)
    return SignalConfig(**values)


def inputs(**overrides: Any) -> EntryInputs:
    values: dict[str, Any] = {
        "reference_price": D(50000), "best_ask": D("50010"), "mid": D(50005),
        "balances": Balances(free_quote=D(5000), total_quote=D(6000), total_base=D("0.1")),
        "atr": D(400), "position_value": D(0), "market": MARKET,
    }  # fmt: skip
    values.update(overrides)
    return EntryInputs(**values)


def test_fixed_quote_buys_at_the_slippage_bound_rounded_down() -> None:
    entry = size_entry(config(), inputs())
    assert entry == Entry(amount=D("0.00199"), price=D("50250.00"))
    assert entry.amount * entry.price <= 100


def test_no_reference_price_uses_the_ask() -> None:
    entry = size_entry(config(), inputs(reference_price=None, best_ask=D(40000)))
    assert isinstance(entry, Entry)
    assert entry.price == D("40200.00")


def test_ask_beyond_the_bound_is_skipped_with_the_numbers() -> None:
    skip = size_entry(config(), inputs(best_ask=D(50300)))
    assert skip == Skip("slippage: ask 50300 is 60 bps above the reference 50000 (max 50)")


def test_balance_fraction_takes_a_share_of_the_free_quote() -> None:
    entry = size_entry(config(sizing="balance_fraction", quote_amount=None,
                              balance_fraction=D("0.1")), inputs())  # fmt: skip
    assert isinstance(entry, Entry)
    assert entry.amount == D("0.00995")  # 500 / 50250 rounded down


def test_risk_sizing_with_a_pct_stop() -> None:
    # equity 6000 + 0.1 * 50005 = 11000.5; 1 % at risk = 110.005; stop 2 % of 50250 = 1005;
    # 0.10945 BTC, worth 5500 USDT: capped by max position 1000.
    cfg = config(sizing="risk", quote_amount=None, risk_fraction=D("0.01"))
    entry = size_entry(cfg, inputs())
    assert isinstance(entry, Entry)
    assert entry.amount == D("0.01990")  # 1000 / 50250


def test_risk_sizing_with_an_atr_stop() -> None:
    cfg = config(sizing="risk", quote_amount=None, risk_fraction=D("0.001"),
                 stop_loss_pct=None, stop_atr_multiple=D(2), max_position_quote=D(100000))  # fmt: skip
    entry = size_entry(cfg, inputs())
    assert isinstance(entry, Entry)
    # 11.0005 at risk over a stop 800 below: 0.01375 BTC
    assert entry.amount == D("0.01375")


def test_atr_stop_without_atr_is_skipped() -> None:
    cfg = config(stop_loss_pct=None, stop_atr_multiple=D(2))
    skip = size_entry(cfg, inputs(atr=None, atr_missing_reason="binance gives no candles"))
    assert skip == Skip("no ATR (14 x 1h): binance gives no candles")


def test_the_position_never_grows_past_its_maximum() -> None:
    assert size_entry(config(), inputs(position_value=D(1000))) == Skip(
        "max position reached: 1000 of 1000"
    )
    entry = size_entry(config(), inputs(position_value=D(950)))
    assert isinstance(entry, Entry)
    assert entry.amount == D("0.00099")  # 50 left


def test_capped_by_the_free_quote() -> None:
    entry = size_entry(config(), inputs(balances=Balances(D(60), D(60), D(0))))
    assert isinstance(entry, Entry)
    assert entry.amount * entry.price <= 60


def test_no_free_quote_is_skipped() -> None:
    skip = size_entry(config(), inputs(balances=Balances(D(0), D(0), D(1))))
    assert skip == Skip("insufficient quote balance: 0 USDT free")


@pytest.mark.parametrize(
    ("quote_amount", "reason"),
    [(D("4"), "size below the venue minimum: notional 3.5175 < 5 USDT")],
)
def test_below_the_venue_minimum_is_skipped(quote_amount: Decimal, reason: str) -> None:
    assert size_entry(config(quote_amount=quote_amount), inputs()) == Skip(reason)


def test_amount_rounding_to_zero_is_skipped() -> None:
    market = Market(symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"),
                    amount_step=D("0.01"))  # fmt: skip
    skip = size_entry(config(), inputs(market=market))
    assert skip == Skip("size below the venue minimum: amount 0 < 0.01 BTC")
