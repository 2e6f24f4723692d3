"""`tradebridge <command>`: migrate, web, worker, paper-exchange, dev, create-client, keygen."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from shared.db.resolve import with_resolved_database
from shared.errors import TradebridgeError
from shared.logs import configure_logging
from shared.settings import ProcessRole, Settings, get_settings

Command = Callable[[argparse.Namespace, Settings], int]


def settings_for(role: ProcessRole, settings: Settings) -> Settings:
    """The one start-up check of every command: all required variables (and anything the
    role must not hold) named in one message, before the command imports, registers or
    connects anything; then the database it talks to."""
    return with_resolved_database(settings.require_for(role))


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings_for("migrate", settings)
    from shared.db.migrate import migrate

    assert settings.database_url is not None
    applied = asyncio.run(migrate(settings.database_url))
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("schema is up to date")
    return 0


def _create_client(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings_for("cli", settings)
    from tradebridge.admin import create_client_with_token

    assert settings.database_url is not None
    client, issued = asyncio.run(
        create_client_with_token(settings.database_url, args.name, args.label)
    )
    print(f"client:   {client.name} ({client.id})")
    print(f"token:    {issued.token}")
    print("This token is shown once; only its hash is stored. Keep it now.")
    return 0


def _keygen(args: argparse.Namespace, settings: Settings) -> int:
    from shared.sealing import generate_key_pair

    pair = generate_key_pair()
    print("# Sealing key pair for exchange credentials (HPKE X25519).")
    print("# web and worker: the key id and public key; the worker ALONE: the private key.")
    print(f"TRADEBRIDGE_SEALING_KEY_ID={pair.key_id}")
    print(f"TRADEBRIDGE_SEALING_PUBLIC_KEY={pair.public_key_b64}")
    print(f"TRADEBRIDGE_SEALING_PRIVATE_KEY={pair.private_key_b64}")
    return 0


def _web(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings_for("web", settings)
    import uvicorn

    from web.app import create_app

    app = create_app(settings)
    uvicorn.run(
        app, host=args.host or settings.web_host, port=args.port or settings.web_port, **UVICORN
    )
    return 0


# How the web is served (bench/_trivial_web.py serves its baseline app the same way).
UVICORN: dict[str, Any] = {
    # Logging is structlog's (configured in main); the app logs one line per request.
    "log_config": None,
    "access_log": False,
    "ws": "none",
    "proxy_headers": True,
    "server_header": False,
}


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    # Checked before worker.main is imported: importing it registers the tasks.
    settings = settings_for("worker", settings)
    from shared import aio
    from worker.main import run_worker

    aio.run(run_worker(settings))
    return 0


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    from tradebridge.dev import run_dev

    return run_dev(settings, reset=args.reset)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradebridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("migrate", help="apply procrastinate's schema and ours").set_defaults(
        run=_migrate
    )
    create = commands.add_parser("create-client", help="create a client and print its token once")
    create.add_argument("name", help="lowercase letters, digits, '-' or '_'")
    create.add_argument("--label", default="initial", help="label of the first token")
    create.set_defaults(run=_create_client)
    commands.add_parser("keygen", help="print a new sealing key pair").set_defaults(run=_keygen)
    # Listed for --help; main() hands its arguments to paper_exchange.cli.
    commands.add_parser(
        "paper-exchange", help="run the local paper exchange (Binance Spot dialect)"
    )
    web = commands.add_parser("web", help="run the HTTP API")
    web.add_argument("--host", default=None, help="default: TRADEBRIDGE_WEB_HOST")
    web.add_argument("--port", type=int, default=None, help="default: PORT")
    web.set_defaults(run=_web)
    commands.add_parser("worker", help="run the job worker").set_defaults(run=_worker)
    dev = commands.add_parser("dev", help="run everything on this machine")
    dev.add_argument(
        "--reset",
        action="store_true",
        help="first drop the dev database and the dev secrets (.tradebridge/dev.env)",
    )
    dev.set_defaults(run=_dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["paper-exchange"]:
        # Its own parser takes every argument (argparse.REMAINDER drops leading --options).
        from paper_exchange.cli import main as paper_main

        return paper_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        configure_logging(settings, process=args.command)
        code: int = args.run(args, settings)
    except TradebridgeError as exc:
        print(f"tradebridge {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
