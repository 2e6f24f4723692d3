"""The FIFO engine against numbers worked out by hand (the arithmetic is in the comments).

shared.stats.fifo is the reference the database's FIFO (0005_stats.sql) is held to, so these
expectations come from the rules in docs/stats.md, not from running the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from shared.domain import OrderSide
from shared.stats.fifo import FifoBook, Fill, Lot, fold, share
from shared.stats.models import Position, Volume
from shared.stats.window import rolling_window

BUY, SELL = OrderSide.BUY, OrderSide.SELL
CENT = D("0.01")


def book(*fills: Fill) -> FifoBook:
    return FifoBook("BTC", "USDT").add_all(fills)


def cents(value: D) -> D:
    return value.quantize(CENT)


def test_buy_then_sell() -> None:
    b = book(Fill(BUY, D(100), D(1)), Fill(SELL, D(110), D(1)))
    # 1 * 110 - 1 * 100 = 10
    assert b.realized_pnl == D("10")
    assert b.lots == ()
    assert b.position == Position()
    assert b.unrealized_pnl(D(500)) == 0


def test_partial_lots_across_several_buys() -> None:
    b = book(
        Fill(BUY, D(100), D(1)),  # lot A: 1 @ 100, cost 100
        Fill(BUY, D(110), D(2)),  # lot B: 2 @ 110, cost 220
        Fill(BUY, D(120), D("0.5")),  # lot C: 0.5 @ 120, cost 60
        # sell 2.5 @ 130, proceeds 325: all of A (cost 100) + 1.5 of B (220 * 1.5 / 2 = 165)
        # realized 325 - 265 = 60
        Fill(SELL, D(130), D("2.5")),
    )
    assert b.realized_pnl == D(60)
    # left: B 0.5 (cost 55), C 0.5 (cost 60) -> long 1, cost 115, average 115
    assert b.lots == (Lot(1, D("0.5"), D(55)), Lot(1, D("0.5"), D(60)))
    assert b.position == Position(long_amount=D(1), long_cost=D(115))
    assert b.position.average_entry == D(115)

    # sell 0.75 @ 100, proceeds 75: rest of B (cost 55) + 0.25 of C (60 * 0.25 / 0.5 = 30)
    # realized 75 - 85 = -10, total 60 - 10 = 50
    b.add(Fill(SELL, D(100), D("0.75")))
    assert b.realized_pnl == D(50)
    assert b.position == Position(long_amount=D("0.25"), long_cost=D(30))
    # unrealized at 140: 0.25 * 140 - 30 = 35 - 30 = 5
    assert b.unrealized_pnl(D(140)) == D(5)


def test_fee_in_base_reduces_the_lot() -> None:
    # buy 1 BTC @ 50000 paying 0.001 BTC: a lot of 0.999 BTC that cost 50000
    b = book(Fill(BUY, D(50000), D(1), D("0.001"), "BTC"))
    assert b.position == Position(long_amount=D("0.999"), long_cost=D(50000))
    # sell 0.5 @ 51000, proceeds 25500; cost share 50000 * 0.5 / 0.999
    # = 25025.025025025025025025025... truncated at 18 decimals
    b.add(Fill(SELL, D(51000), D("0.5")))
    assert b.realized_pnl == D("25500") - D("25025.025025025025025025")
    assert cents(b.realized_pnl) == D("474.97")
    # sell the other 0.499 @ 51000, proceeds 25449, against the lot's remaining cost
    # 50000 - 25025.025025025025025025 = 24974.974974974974974975
    b.add(Fill(SELL, D(51000), D("0.499")))
    # total: 0.999 * 51000 - 50000 = 50949 - 50000 = 949, exactly (no drift)
    assert b.realized_pnl == D(949)
    assert b.lots == ()
    assert b.fees == {"BTC": D("0.001")}
    assert b.other_fees == {}


def test_fee_in_base_on_a_sell_takes_more_base() -> None:
    # buy 1 @ 100; sell 0.9 @ 110 paying 0.1 BTC: 1 BTC leaves, proceeds 0.9 * 110 = 99
    b = book(Fill(BUY, D(100), D(1)), Fill(SELL, D(110), D("0.9"), D("0.1"), "BTC"))
    assert b.realized_pnl == D(-1)  # 99 - 100
    assert b.lots == ()


def test_fee_in_quote_adds_to_cost_and_reduces_proceeds() -> None:
    # buy 2 @ 100 paying 0.2 USDT: cost 200.2 (100.1 per BTC)
    b = book(Fill(BUY, D(100), D(2), D("0.2"), "USDT"))
    assert b.position == Position(long_amount=D(2), long_cost=D("200.2"))
    assert b.position.average_entry == D("100.1")
    # sell 1 @ 110 paying 0.11 USDT: proceeds 109.89, cost 200.2 / 2 = 100.1 -> 9.79
    b.add(Fill(SELL, D(110), D(1), D("0.11"), "USDT"))
    assert b.realized_pnl == D("9.79")
    # sell 1 @ 120 paying 0.12: proceeds 119.88, cost 100.1 -> 19.78; total 29.57
    b.add(Fill(SELL, D(120), D(1), D("0.12"), "USDT"))
    assert b.realized_pnl == D("29.57")
    assert b.fees == {"USDT": D("0.43")}  # 0.2 + 0.11 + 0.12


def test_fee_in_a_third_currency_is_reported_apart() -> None:
    b = book(
        Fill(BUY, D(100), D(1), D("0.01"), "BNB"),
        Fill(SELL, D(110), D(1), D("0.02"), "BNB"),
    )
    # the BNB does not touch the P&L: 110 - 100 = 10
    assert b.realized_pnl == D(10)
    assert b.other_fees == {"BNB": D("0.03")}
    assert b.fees == {"BNB": D("0.03")}


def test_buys_after_sells_close_short_lots() -> None:
    # sell 2 @ 100 paying 0.2 USDT with nothing open: a short lot of 2, proceeds 199.8
    b = book(Fill(SELL, D(100), D(2), D("0.2"), "USDT"))
    assert b.realized_pnl == 0
    assert b.position == Position(short_amount=D(2), short_proceeds=D("199.8"))
    assert b.position.net_amount == D(-2)
    # buy 1 @ 90 closes half the short: its proceeds 199.8 * 1 / 2 = 99.9, cost 90 -> 9.9
    b.add(Fill(BUY, D(90), D(1)))
    assert b.realized_pnl == D("9.9")
    # buy 3 @ 95 (cost 285): 1 closes the rest of the short (proceeds 99.9, cost
    # 285 * 1 / 3 = 95 -> 4.9, total 14.8); 2 open a long lot costing 285 - 95 = 190
    b.add(Fill(BUY, D(95), D(3)))
    assert b.realized_pnl == D("14.8")
    assert b.lots == (Lot(1, D(2), D(190)),)
    assert b.position.average_entry == D(95)


def test_a_sell_bigger_than_all_open_lots_opens_a_short() -> None:
    b = book(
        Fill(BUY, D(100), D(1)),
        Fill(BUY, D(110), D(1)),
        # sell 3 @ 120, proceeds 360: both lots (cost 210) close with 2 of the 3 BTC, whose
        # proceeds are 360 * 2 / 3 = 240 -> realized 30; 1 BTC opens a short, proceeds 120
        Fill(SELL, D(120), D(3)),
    )
    assert b.realized_pnl == D(30)
    assert b.position == Position(short_amount=D(1), short_proceeds=D(120))
    assert b.position.average_entry == D(120)
    # unrealized at 125: 120 - 1 * 125 = -5
    assert b.unrealized_pnl(D(125)) == D(-5)


def test_partial_shares_do_not_drift() -> None:
    # buy 3 @ 100 paying 1 USDT: cost 301, 100.333... per BTC
    b = book(Fill(BUY, D(100), D(3), D(1), "USDT"))
    # sell 1 @ 110: cost share 301 / 3 = 100.333333333333333333 (18 decimals, truncated)
    b.add(Fill(SELL, D(110), D(1)))
    assert b.realized_pnl == D("9.666666666666666667")
    # sell 2 @ 110 against the lot's rest, 301 - 100.333333333333333333
    b.add(Fill(SELL, D(110), D(2)))
    assert b.realized_pnl == D(29)  # 330 - 301, to the last digit
    assert cents(b.realized_pnl) == D("29.00")


def test_the_worked_example_of_docs_stats_md() -> None:
    b = book(
        Fill(BUY, D(100), D(1), D("0.001"), "BTC"),  # L1: 0.999 BTC, cost 100
        Fill(BUY, D(110), D(2), D("0.22"), "USDT"),  # L2: 2 BTC, cost 220.22
    )
    # sell 2.5 @ 120 - 0.3 = 299.7; L1 (100) + 1.501 of L2 (220.22 * 1.501 / 2 = 165.27511)
    b.add(Fill(SELL, D(120), D("2.5"), D("0.3"), "USDT"))
    assert b.realized_pnl == D("34.42489")  # 299.7 - 265.27511
    assert b.lots == (Lot(1, D("0.499"), D("54.94489")),)  # 220.22 - 165.27511
    # sell 1 @ 100 (BNB fee): 0.499 close L2 for 100 * 0.499 = 49.9, the rest opens a short
    b.add(Fill(SELL, D(100), D(1), D("0.01"), "BNB"))
    assert b.realized_pnl == D("29.38")  # 34.42489 + 49.9 - 54.94489
    assert b.lots == (Lot(-1, D("0.501"), D("50.1")),)
    assert b.unrealized_pnl(D(95)) == D("2.505")  # 50.1 - 0.501 * 95 = 50.1 - 47.595
    assert b.position.net_amount == D("-0.501")
    assert b.position.average_entry == D(100)  # 50.1 / 0.501
    assert b.fees == {"BTC": D("0.001"), "USDT": D("0.52"), "BNB": D("0.01")}
    assert b.other_fees == {"BNB": D("0.01")}


def test_fills_are_folded_in_trade_order() -> None:
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    buy_cheap = Fill(BUY, D(100), D(1), traded_at=t0, fill_id=3)
    buy_dear = Fill(BUY, D(200), D(1), traded_at=t0 + timedelta(seconds=1), fill_id=1)
    sell = Fill(SELL, D(150), D(1), traded_at=t0 + timedelta(seconds=2), fill_id=2)
    # in trade order the sell closes the cheap lot: 150 - 100 = 50, the 200 lot stays
    shuffled = fold([sell, buy_dear, buy_cheap], "BTC", "USDT")
    assert shuffled.realized_pnl == D(50)
    assert shuffled.position == Position(long_amount=D(1), long_cost=D(200))
    # same traded_at: the fill id decides
    tie = fold(
        [
            Fill(SELL, D(150), D(1), traded_at=t0, fill_id=2),
            Fill(BUY, D(100), D(1), traded_at=t0, fill_id=1),
        ],
        "BTC",
        "USDT",
    )
    assert tie.realized_pnl == D(50)
    with pytest.raises(ValueError, match="traded_at"):
        fold([Fill(BUY, D(1), D(1))], "BTC", "USDT")


def test_share_truncates_toward_zero_at_18_decimals() -> None:
    assert share(D(10), D(1), D(3)) == D("3.333333333333333333")
    assert share(D(-10), D(1), D(3)) == D("-3.333333333333333333")
    assert share(D(20), D(2), D(3)) == D("13.333333333333333333")  # not ...334
    # exact beyond the 28 digits of Python's default context
    big = D("123456789012345678901234567890.123456789")
    assert share(big, D(1), D(1)) == big


def test_a_base_fee_that_swallows_the_buy_is_a_loss() -> None:
    b = book(Fill(BUY, D(100), D("0.001"), D("0.001"), "BTC"))
    assert b.realized_pnl == D("-0.1")  # paid 0.1 USDT, received nothing
    assert b.lots == ()


def test_volume_and_position_sums() -> None:
    v = Volume(1, 2, D(1), D(2), D(100), D(250)) + Volume(1, 0, D("0.5"), D(0), D(60), D(0))
    assert (v.trade_count, v.base_volume, v.quote_volume) == (4, D("3.5"), D(410))
    # a sum over books can hold both sides: long 1 cost 100, short 2 proceeds 220
    p = Position(long_amount=D(1), long_cost=D(100)) + Position(
        short_amount=D(2), short_proceeds=D(220)
    )
    assert p.net_amount == D(-1)
    assert p.average_entry == D(110)  # the short side's: 220 / 2
    # at 105: (105 - 100) + (220 - 210) = 15
    assert p.unrealized_pnl(D(105)) == D(15)


# ---------------------------------------------------------------- the 24h window's pieces


def test_rolling_window_pieces() -> None:
    w = rolling_window(datetime(2024, 1, 2, 12, 30, 15, tzinfo=UTC))
    us = timedelta(microseconds=1)
    assert w.lo == datetime(2024, 1, 1, 12, 30, 15, tzinfo=UTC) + us
    assert w.lo_minute == datetime(2024, 1, 1, 12, 31, tzinfo=UTC)
    assert w.lo_hour == datetime(2024, 1, 1, 13, tzinfo=UTC)
    assert w.hi_hour == datetime(2024, 1, 2, 12, tzinfo=UTC)
    assert w.hi_minute == datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    assert w.hi == datetime(2024, 1, 2, 12, 30, 15, tzinfo=UTC) + us
    assert not w.contains(datetime(2024, 1, 1, 12, 30, 15, tzinfo=UTC))  # exactly 24h old
    assert w.contains(w.lo)
    assert w.contains(w.end)
    assert not w.contains(w.hi)


def test_rolling_window_on_an_hour_boundary() -> None:
    w = rolling_window(datetime(2024, 1, 2, 12, tzinfo=UTC))
    us = timedelta(microseconds=1)
    assert w.lo_minute == datetime(2024, 1, 1, 12, 1, tzinfo=UTC)
    assert w.lo_hour == datetime(2024, 1, 1, 13, tzinfo=UTC)
    assert w.hi_hour == w.hi_minute == datetime(2024, 1, 2, 12, tzinfo=UTC)
    assert w.hi == datetime(2024, 1, 2, 12, tzinfo=UTC) + us
    with pytest.raises(ValueError, match="timezone"):
        rolling_window(datetime(2024, 1, 2, 12))  # noqa: DTZ001
