"""Everything one running paper exchange holds, shared by the API modules."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from aiohttp import web

from paper_exchange.accounts import AccountStore
from paper_exchange.clock import now_ms
from paper_exchange.config import PaperConfig
from paper_exchange.counters import OrderCounts, RequestCounters
from paper_exchange.engine import Engine
from paper_exchange.events import EventBus
from paper_exchange.faults import FaultRegistry
from paper_exchange.market import Market
from paper_exchange.market_feed import MarketFeed
from paper_exchange.stream_faults import StreamFaultRegistry
from paper_exchange.user_streams import UserStreams
from paper_exchange.weights import WeightLedger, WeightPolicy
from paper_exchange.ws_connection import StreamHub

__all__ = ["STATE_KEY", "PaperState", "now_ms"]


@dataclass
class PaperState:
    config: PaperConfig
    market: Market
    accounts: AccountStore
    engine: Engine
    events: EventBus
    faults: FaultRegistry
    stream_faults: StreamFaultRegistry
    user_streams: UserStreams
    market_feed: MarketFeed
    streams: StreamHub = field(default_factory=StreamHub)
    counters: RequestCounters = field(default_factory=RequestCounters)
    weights: WeightLedger = field(default_factory=WeightLedger)
    order_counts: OrderCounts = field(default_factory=OrderCounts)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(cls, config: PaperConfig) -> PaperState:
        market = Market(config.symbols, config.seed)
        accounts = AccountStore()
        events = EventBus()
        fault_ids = itertools.count(1)  # one id space for REST and stream faults
        state = cls(
            config=config,
            market=market,
            accounts=accounts,
            engine=Engine(config, market, accounts, events),
            events=events,
            faults=FaultRegistry(fault_ids),
            stream_faults=StreamFaultRegistry(fault_ids),
            user_streams=UserStreams(accounts),
            market_feed=MarketFeed(market),
            weights=WeightLedger(
                WeightPolicy(
                    limit_1m=config.weight_limit_1m,
                    rejections_before_ban=config.weight_429s_before_ban,
                    ban_scale=config.weight_ban_scale,
                ),
                clock=now_ms,
            ),
        )
        events.subscribe(state.user_streams.on_event)
        events.subscribe(state.market_feed.on_event)
        return state

    def reset(self) -> None:
        # Update ids restart and accounts vanish: every stream client must start over,
        # as after a venue restart.
        self.streams.drop_all()
        self.user_streams.clear()
        self.market_feed.reset()
        self.accounts.clear()
        self.market.reset()
        self.engine.reset()
        self.faults.clear()
        self.stream_faults.clear()
        self.counters.clear()
        self.weights.reset()  # in place: the app's WEIGHT_LEDGER_KEY holds it too
        self.order_counts = OrderCounts()


STATE_KEY = web.AppKey("paper_state", PaperState)
