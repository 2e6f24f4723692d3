"""Per venue: POST -> venue latency and end-to-end orders/s on each paper dialect, with
the Binance figures of the same run as the baseline.

    .venv/bin/python -m bench.venues [--venues binance,bitmart,coinstore] [--rate 10]
                                     [--seconds 10] [--orders 300]

Each figure runs in a fresh throwaway database against a fresh paper exchange, with one
`tradebridge worker` process: the latency at a steady `--rate` of orders per second
(POST sent, client clock -> the paper exchange's order time), and N market orders from
intent to `filled` (bench.end_to_end's method). The native connectors budget each
endpoint group against the venue's own published limits, which stay in force here: where
a venue's per-key order rate is below what the pipeline can do, its orders/s is that
limit, and the row says so (Binance's weight budget is lifted, as in bench.end_to_end).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import Result, ms, percentile, print_rows, quiet_logs, say, throwaway_database
from bench.end_to_end import fresh_db_run, orders_run, with_paper
from bench.latency import measure
from shared import aio

BASELINE_VENUE = "binance"


# The calls one market order that fills at once makes on a native venue (the answer to
# a send carries only the id there): their published limits bound orders/s per key.
ORDER_CALLS = ("create_order", "fetch_order", "fetch_my_trades")


def order_rate_limit(venue: str) -> str:
    """The tightest published limit among the calls a filled market order makes."""
    from shared.exchange.factory import NATIVE_CONNECTORS

    connector = NATIVE_CONNECTORS.get(venue)
    if connector is None:
        return "weight budget lifted"
    tightest: tuple[float, str] | None = None
    for operation in ORDER_CALLS:
        limits = connector.RATE_LIMITS.get(operation, ())
        for limit in limits if isinstance(limits, tuple) else (limits,):
            per_s = limit.limit / limit.window_s
            scope = "per key" if limit.per_key else "per IP"
            if tightest is None or per_s < tightest[0]:
                tightest = (per_s, f"{operation} {per_s:,.1f}/s {scope}")
    return f"tightest published limit: {tightest[1]}" if tightest else "no published limit"


def measure_venue(venue: str, rate: float, seconds: float, orders: int) -> dict[str, Any]:
    with throwaway_database() as db_url:
        latencies, _wake, total = aio.run(measure(db_url, rate, seconds, venue))
    elapsed, done, fills = fresh_db_run(
        lambda url: with_paper(
            url,
            lambda paper, tenant: orders_run(url, paper, tenant, 1, orders, 120.0),
            venue=venue,
        )
    )
    figures = {
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "matched": len(latencies),
        "sent": total,
        "rate": done / elapsed,
        "filled": done,
        "fills": fills,
    }
    say(
        f"  {venue}: latency p50 {ms(figures['p50'])} p99 {ms(figures['p99'])} "
        f"({len(latencies)}/{total}); {done}/{orders} filled in {elapsed:.1f} s "
        f"= {figures['rate']:,.0f}/s"
    )
    return figures


def run(
    venues: list[str] | None = None, rate: float = 10.0, seconds: float = 10.0, orders: int = 300
) -> list[Result]:
    venues = venues or [BASELINE_VENUE, "bitmart", "coinstore"]
    if BASELINE_VENUE not in venues:
        venues = [BASELINE_VENUE, *venues]
    say(
        f"Venues: {', '.join(venues)}; latency at {rate:.0f}/s for {seconds:.0f} s, {orders} orders"
    )
    measured = {venue: measure_venue(venue, rate, seconds, orders) for venue in venues}
    base = measured[BASELINE_VENUE]
    rows: list[Result] = []
    for venue, got in measured.items():
        rows.append(
            Result(
                f"{venue}: POST sent -> venue received p50 / p99",
                f"{rate:.0f} orders/s, {seconds:.0f} s, 1 worker; "
                f"{got['matched']}/{got['sent']} matched",
                f"{BASELINE_VENUE} p50 {ms(base['p50'])} / p99 {ms(base['p99'])}",
                f"{ms(got['p50'])} / {ms(got['p99'])}",
                got["p50"] / base["p50"] if base["p50"] else None,
            )
        )
        rows.append(
            Result(
                f"{venue}: end to end market orders/s (submit -> filled)",
                f"1 worker x 8, N={orders}; {order_rate_limit(venue)}",
                f"{BASELINE_VENUE} {base['rate']:,.0f}/s",
                f"{got['rate']:,.0f}/s ({got['filled']} filled, {got['fills']} fills)",
                got["rate"] / base["rate"] if base["rate"] else None,
            )
        )
    print_rows("Venues", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", default="binance,bitmart,coinstore")
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    quiet_logs()
    run(args.venues.split(","), args.rate, args.seconds, args.orders)


if __name__ == "__main__":
    main()
