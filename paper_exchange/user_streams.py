"""User-data subscriptions of the WebSocket API, fed by the engine's events.

A subscription (``userDataStream.subscribe.signature``) ties one account to one
connection under a per-connection ``subscriptionId``; every order change of the account
becomes an ``executionReport``, every order-list change a ``listStatus`` and every
balance change an ``outboundAccountPosition``,
delivered as ``{"subscriptionId": n, "event": {...}}`` to each of its subscriptions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from paper_exchange import errors
from paper_exchange.accounts import AccountStore
from paper_exchange.clock import now_ms
from paper_exchange.events import BalanceUpdate, ListUpdate, OrderUpdate, VenueEvent
from paper_exchange.stream_shapes import (
    account_position,
    event_envelope,
    execution_report,
    list_status,
)
from paper_exchange.ws_connection import StreamConnection


@dataclass
class UserDataSession:
    """The subscriptions of one WebSocket API connection: id -> API key."""

    connection: StreamConnection
    subscriptions: dict[int, str] = field(default_factory=dict)
    next_id: int = 0

    def sync_keys(self) -> None:
        # Stream faults scoped to an API key find the connection through this.
        self.connection.api_keys = frozenset(self.subscriptions.values())


class UserStreams:
    def __init__(self, accounts: AccountStore) -> None:
        self._accounts = accounts
        self._by_key: dict[str, dict[int, UserDataSession]] = {}
        self._execution_ids = itertools.count(1)

    def subscribe(self, session: UserDataSession, api_key: str) -> int:
        """A new subscription of ``api_key`` on the session's connection; -2035 if the
        account already has one there (Binance: one per account per connection)."""
        if api_key in session.subscriptions.values():
            raise errors.BinanceError(-2035, "User Data Stream subscription already active.")
        subscription_id = session.next_id
        session.next_id += 1
        session.subscriptions[subscription_id] = api_key
        session.sync_keys()
        self._by_key.setdefault(api_key, {})[id(session)] = session
        return subscription_id

    def unsubscribe(self, session: UserDataSession, subscription_id: int | None) -> list[int]:
        """End one subscription (-2036 if it is not active) or, with None, all of them."""
        if subscription_id is None:
            ended = list(session.subscriptions)
        elif subscription_id in session.subscriptions:
            ended = [subscription_id]
        else:
            raise errors.BinanceError(-2036, "User Data Stream subscription not active.")
        for sid in ended:
            api_key = session.subscriptions.pop(sid)
            sessions = self._by_key.get(api_key, {})
            sessions.pop(id(session), None)
            if not sessions:
                self._by_key.pop(api_key, None)
        session.sync_keys()
        return ended

    def close(self, session: UserDataSession) -> None:
        """The connection is gone: forget its subscriptions."""
        self.unsubscribe(session, None)

    def clear(self) -> None:
        self._by_key.clear()

    def on_event(self, event: VenueEvent) -> None:
        if isinstance(event, OrderUpdate):
            api_key = event.order.api_key
            if api_key not in self._by_key:
                return
            payload = execution_report(event, next(self._execution_ids), now_ms())
        elif isinstance(event, BalanceUpdate):
            api_key = event.api_key
            account = self._accounts.get(api_key)
            if api_key not in self._by_key or account is None:
                return
            payload = account_position(account, event.assets, now_ms())
        elif isinstance(event, ListUpdate):
            api_key = event.order_list.api_key
            if api_key not in self._by_key:
                return
            payload = list_status(event, now_ms())
        else:
            return
        for session in list(self._by_key.get(api_key, {}).values()):
            for subscription_id, key in session.subscriptions.items():
                if key == api_key:
                    session.connection.push_event(event_envelope(subscription_id, payload), api_key)
