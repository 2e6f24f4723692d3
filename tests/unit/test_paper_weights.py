"""Request weights the paper exchange cannot show over HTTP with its three symbols, the
ban escalation over hours and days, and the CLI options that configure enforcement."""

from __future__ import annotations

import itertools
import json

import pytest

from paper_exchange.binance_weights import request_weight
from paper_exchange.cli import build_config, build_parser
from paper_exchange.weights import (
    FIRST_BAN_MS,
    LONGEST_BAN_MS,
    Verdict,
    WeightLedger,
    WeightPolicy,
    ban_duration_ms,
)


def symbols(count: int) -> str:
    return json.dumps([f"S{i}USDT" for i in range(count)], separators=(",", ":"))


@pytest.mark.parametrize(
    ("count", "weight"), [(1, 2), (20, 2), (21, 40), (100, 40), (101, 80), (300, 80)]
)
def test_ticker_24hr_is_priced_by_the_number_of_symbols(count: int, weight: int) -> None:
    assert request_weight("GET", "/api/v3/ticker/24hr", {"symbols": symbols(count)}) == weight


def test_book_ticker_with_symbols_costs_as_much_as_all_symbols() -> None:
    assert request_weight("GET", "/api/v3/ticker/bookTicker", {"symbols": symbols(1)}) == 4


def test_an_unlisted_route_costs_one() -> None:
    assert request_weight("GET", "/api/v3/nothingHere", {}) == 1


def test_bans_double_from_two_minutes_up_to_three_days() -> None:
    durations = [ban_duration_ms(n, 1.0) for n in range(1, 14)]
    assert durations[:3] == [FIRST_BAN_MS, 2 * FIRST_BAN_MS, 4 * FIRST_BAN_MS]
    assert durations[11] == 2**11 * FIRST_BAN_MS  # 68 hours
    assert durations[12] == LONGEST_BAN_MS == 3 * 86_400_000
    assert all(later >= earlier for earlier, later in itertools.pairwise(durations))
    assert ban_duration_ms(10_000, 1.0) == LONGEST_BAN_MS
    assert ban_duration_ms(1, 0.001) == 120


def test_no_429s_tolerated_means_the_first_request_over_the_limit_is_banned() -> None:
    ledger = WeightLedger(WeightPolicy(limit_1m=5, rejections_before_ban=0), clock=lambda: 0)
    assert ledger.charge("10.0.0.1", 5).verdict is Verdict.ADMITTED
    banned = ledger.charge("10.0.0.1", 1)
    assert (banned.verdict, banned.retry_after_s, banned.banned_until_ms) == (
        Verdict.BANNED,
        120,
        120_000,
    )


def test_cli_options_enforce_the_limit_and_scale_bans() -> None:
    parser = build_parser()
    default = build_config(parser.parse_args([]))
    assert (default.weight_limit_1m, default.weight_ban_scale) == (None, 1.0)
    args = ["--weight-limit", "6000", "--weight-429s-before-ban", "2", "--ban-scale", "0.01"]
    enforced = build_config(parser.parse_args(args))
    assert (
        enforced.weight_limit_1m,
        enforced.weight_429s_before_ban,
        enforced.weight_ban_scale,
    ) == (6000, 2, 0.01)
    with pytest.raises(ValueError, match="--ban-scale"):
        build_config(parser.parse_args(["--ban-scale", "0"]))
