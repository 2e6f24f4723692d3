"""Accounts: API key, secret and per-asset free/locked balances."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from paper_exchange.errors import insufficient_balance
from paper_exchange.numbers import ZERO

API_KEY_RE = re.compile(r"^[A-Za-z0-9]{1,128}$")


def valid_key_format(value: str) -> bool:
    return API_KEY_RE.fullmatch(value) is not None


def new_credential() -> str:
    """64 alphanumeric characters, like a Binance API key or secret."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(64))


@dataclass
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO


@dataclass
class Account:
    api_key: str
    secret: str
    uid: int
    # BitMart keys carry a memo their signature covers; one is made for every account.
    memo: str = ""
    balances: dict[str, Balance] = field(default_factory=dict)
    update_time: int = 0

    def balance(self, asset: str) -> Balance:
        bal = self.balances.get(asset)
        if bal is None:
            bal = self.balances[asset] = Balance()
        return bal

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked, or reject with -2010."""
        bal = self.balance(asset)
        if amount > bal.free:
            raise insufficient_balance()
        bal.free -= amount
        bal.locked += amount

    def release(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from locked back to free."""
        bal = self.balance(asset)
        bal.locked -= amount
        bal.free += amount

    def require_free(self, asset: str, amount: Decimal) -> None:
        if amount > self.balance(asset).free:
            raise insufficient_balance()


class AccountStore:
    def __init__(self) -> None:
        self._by_key: dict[str, Account] = {}
        self._next_uid = 1

    def create(
        self,
        balances: dict[str, Decimal],
        api_key: str | None = None,
        secret: str | None = None,
        *,
        memo: str | None = None,
    ) -> Account:
        key = api_key or new_credential()
        if not valid_key_format(key):
            raise ValueError("api_key must be 1-128 alphanumeric characters")
        if key in self._by_key:
            raise ValueError("api_key already exists")
        if memo is not None and not (isinstance(memo, str) and 1 <= len(memo) <= 64):
            raise ValueError("memo must be a string of 1-64 characters")
        account = Account(
            api_key=key,
            secret=secret or new_credential(),
            uid=self._next_uid,
            memo=memo or new_credential()[:16],
        )
        self._next_uid += 1
        for asset, amount in balances.items():
            account.balance(asset).free = amount
        self._by_key[key] = account
        return account

    def get(self, api_key: str) -> Account | None:
        return self._by_key.get(api_key)

    def all(self) -> list[Account]:
        return list(self._by_key.values())

    def clear(self) -> None:
        self._by_key.clear()
