"""``python -m paper_exchange`` / ``tradebridge paper-exchange``: run the venue standalone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from paper_exchange.config import PaperConfig
from paper_exchange.server import running_paper_exchange


def build_parser(prog: str = "python -m paper_exchange") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Local Binance-Spot-compatible paper exchange (dev/test venue): signed"
        " REST requests, real error codes, a seeded random-walk market and fault injection"
        " under /_admin. Keeps nothing between runs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765, 0 = any)")
    parser.add_argument("--seed", type=int, default=PaperConfig.seed, help="random-walk seed")
    parser.add_argument(
        "--walk-interval",
        type=float,
        default=PaperConfig.walk_interval_s,
        help="seconds between random-walk steps; 0 disables the walk (default 1.0)",
    )
    parser.add_argument(
        "--weight-limit",
        type=int,
        default=0,
        help="request weight per IP per minute beyond which requests get 429 and then"
        " 418 bans, as on Binance (6000 there); 0 counts without enforcing (default)",
    )
    parser.add_argument(
        "--weight-429s-before-ban",
        type=int,
        default=PaperConfig.weight_429s_before_ban,
        help="429s an IP may receive in one minute before the next request over the limit"
        f" is banned with 418 (default {PaperConfig.weight_429s_before_ban})",
    )
    parser.add_argument(
        "--ban-scale",
        type=float,
        default=PaperConfig.weight_ban_scale,
        help="multiplies every ban's duration (2 min doubling to 3 days; default 1.0)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


async def serve(config: PaperConfig, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running_paper_exchange(config, host, port) as handle:
            print(f"paper exchange listening on {handle.url}", flush=True)
            await stop.wait()
            print("paper exchange shutting down", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def build_config(args: argparse.Namespace) -> PaperConfig:
    """The :class:`PaperConfig` the parsed options ask for; ValueError names a bad one."""
    if args.walk_interval < 0:
        raise ValueError("--walk-interval must be >= 0")
    if args.weight_limit < 0 or args.weight_429s_before_ban < 0:
        raise ValueError("--weight-limit and --weight-429s-before-ban must be >= 0")
    if args.ban_scale <= 0:
        raise ValueError("--ban-scale must be > 0")
    return PaperConfig(
        seed=args.seed,
        walk_interval_s=args.walk_interval,
        weight_limit_1m=args.weight_limit or None,
        weight_429s_before_ban=args.weight_429s_before_ban,
        weight_ban_scale=args.ban_scale,
    )


def main(argv: list[str] | None = None, prog: str = "python -m paper_exchange") -> int:
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        config = build_config(args)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config, args.host, args.port))
    except OSError as exc:
        print(f"paper exchange could not start: {exc}", file=sys.stderr)
        return 1
    return 0
