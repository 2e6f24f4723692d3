"""Order lists (Binance's OCO): the list record, its JSON shapes and the store.

A list groups its legs (ordinary :class:`Order` objects carrying the list's id in
``order_list_id``). Its status follows Binance's enums: ``listStatusType``
EXEC_STARTED / ALL_DONE and ``listOrderStatus`` EXECUTING / ALL_DONE. A list is done
once one leg started working (triggered or filled, the other expiring) or it was
canceled; a ``listClientOrderId`` must be unique among the account's executing lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paper_exchange import errors
from paper_exchange.models import Order


@dataclass
class OrderList:
    order_list_id: int
    api_key: str
    symbol: str
    list_client_order_id: str
    orders: list[Order]
    transaction_time: int
    contingency_type: str = "OCO"
    done: bool = False

    @property
    def list_status_type(self) -> str:
        return "ALL_DONE" if self.done else "EXEC_STARTED"

    @property
    def list_order_status(self) -> str:
        return "ALL_DONE" if self.done else "EXECUTING"

    def finish(self, now_ms: int) -> None:
        self.done = True
        self.transaction_time = now_ms

    def list_json(self) -> dict[str, Any]:
        """``GET /api/v3/orderList``, ``openOrderList`` and ``allOrderList`` entries."""
        return {
            "orderListId": self.order_list_id,
            "contingencyType": self.contingency_type,
            "listStatusType": self.list_status_type,
            "listOrderStatus": self.list_order_status,
            "listClientOrderId": self.list_client_order_id,
            "transactionTime": self.transaction_time,
            "symbol": self.symbol,
            "orders": [
                {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
                for o in self.orders
            ],
        }

    def placement_json(self, resp_type: str) -> dict[str, Any]:
        """``POST /api/v3/orderList/oco``: ``orderReports`` shaped by ``newOrderRespType``."""
        if resp_type == "ACK":
            reports = [o.ack_json() for o in self.orders]
        elif resp_type == "RESULT":
            reports = [o.result_json() for o in self.orders]
        else:
            reports = [o.full_json(list(o.trades)) for o in self.orders]
        return {**self.list_json(), "orderReports": reports}

    def cancel_json(self) -> dict[str, Any]:
        """``DELETE /api/v3/orderList`` (and list entries of ``DELETE openOrders``)."""
        reports = [o.cancel_json(self.transaction_time) for o in self.orders]
        return {**self.list_json(), "orderReports": reports}


def list_does_not_exist(code: int) -> errors.BinanceError:
    return errors.BinanceError(code, "Order list does not exist.")


class OrderListStore:
    """Every list of the venue; ids increase across symbols (queries take no symbol)."""

    def __init__(self) -> None:
        self.lists: list[OrderList] = []
        self._next_id = 1

    def clear(self) -> None:
        self.lists.clear()
        self._next_id = 1

    def take_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def add(self, order_list: OrderList) -> None:
        self.lists.append(order_list)

    def get(self, order_list_id: int) -> OrderList | None:
        for order_list in self.lists:
            if order_list.order_list_id == order_list_id:
                return order_list
        return None

    def of_account(self, api_key: str) -> list[OrderList]:
        return [lst for lst in self.lists if lst.api_key == api_key]

    def open_of_account(self, api_key: str) -> list[OrderList]:
        return [lst for lst in self.of_account(api_key) if not lst.done]

    def find(
        self,
        api_key: str,
        order_list_id: int | None,
        list_client_order_id: str | None,
        *,
        code: int = -2013,
    ) -> OrderList:
        """By id (then its client id must match too, if given), else the latest list
        with that client id; ``code`` -2013 for a query, -2011 for a cancel."""
        candidates = self.of_account(api_key)
        if order_list_id is not None:
            for order_list in candidates:
                if order_list.order_list_id == order_list_id and (
                    list_client_order_id is None
                    or order_list.list_client_order_id == list_client_order_id
                ):
                    return order_list
            raise list_does_not_exist(code)
        for order_list in reversed(candidates):
            if order_list.list_client_order_id == list_client_order_id:
                return order_list
        raise list_does_not_exist(code)
