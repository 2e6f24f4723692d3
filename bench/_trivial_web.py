"""The bare-HTTP baseline: a trivial Litestar app on the same server, with the same
options, as `tradebridge web` (uvicorn on uvloop + httptools, see tradebridge.cli).

    .venv/bin/python -m bench._trivial_web --port 8001

`POST /v1/orders` parses a JSON body and answers 202 with a small JSON body, touching no
database; `GET /health` answers 200 (WebProcess waits on it).
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from litestar import Litestar, get, post

from tradebridge.cli import UVICORN


@post("/v1/orders", status_code=202)
async def accept(data: dict[str, Any]) -> dict[str, str]:
    return {"status": "accepted", "symbol": str(data.get("symbol"))}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([accept, health])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, **UVICORN)
