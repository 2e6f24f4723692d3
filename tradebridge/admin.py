"""Administrative operations run from the CLI (the HTTP admin API calls the same repositories)."""

from __future__ import annotations

import psycopg

from shared.repositories.clients import Client, IssuedToken, create_client, issue_api_token


async def create_client_with_token(
    database_url: str, name: str, label: str
) -> tuple[Client, IssuedToken]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn, conn.transaction():
        client = await create_client(conn, name)
        issued = await issue_api_token(conn, client.id, label)
    return client, issued
