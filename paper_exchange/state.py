"""Everything one running paper exchange holds, shared by the API modules."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from paper_exchange.accounts import AccountStore
from paper_exchange.config import PaperConfig
from paper_exchange.counters import OrderCounts, RequestCounters
from paper_exchange.engine import Engine
from paper_exchange.faults import FaultRegistry
from paper_exchange.market import Market
from paper_exchange.weights import WeightLedger, WeightPolicy


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class PaperState:
    config: PaperConfig
    market: Market
    accounts: AccountStore
    engine: Engine
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    counters: RequestCounters = field(default_factory=RequestCounters)
    weights: WeightLedger = field(default_factory=WeightLedger)
    order_counts: OrderCounts = field(default_factory=OrderCounts)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(cls, config: PaperConfig) -> PaperState:
        market = Market(config.symbols, config.seed)
        accounts = AccountStore()
        return cls(
            config=config,
            market=market,
            accounts=accounts,
            engine=Engine(config, market, accounts),
            weights=WeightLedger(
                WeightPolicy(
                    limit_1m=config.weight_limit_1m,
                    rejections_before_ban=config.weight_429s_before_ban,
                    ban_scale=config.weight_ban_scale,
                ),
                clock=now_ms,
            ),
        )

    def reset(self) -> None:
        self.accounts.clear()
        self.market.reset()
        self.engine.reset()
        self.faults.clear()
        self.counters.clear()
        self.weights.reset()  # in place: the app's WEIGHT_LEDGER_KEY holds it too
        self.order_counts = OrderCounts()


STATE_KEY = web.AppKey("paper_state", PaperState)
