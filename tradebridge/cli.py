"""`tradebridge <command>`: one command for every process and operator task.

Settings come from the environment (docs/configuration.md); without DATABASE_URL, outside
production, commands use the embedded Postgres in .pgdata/.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
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


def _psql(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings_for("cli", settings)
    from tradebridge.psql import psql_argv, psql_line

    assert settings.database_url is not None
    if args.print:
        print(psql_line(settings.database_url))
        return 0
    argv = psql_argv(settings.database_url)
    # psql handles Ctrl-C itself (it cancels the running query); we only wait for it, and
    # keep the embedded server (if we started it) up until it exits.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run([*argv, *args.psql_args], check=False).returncode  # noqa: S603
    finally:
        signal.signal(signal.SIGINT, previous)


def _reseal(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings_for("worker", settings)
    from tradebridge.reseal import describe, reseal_all

    report = asyncio.run(reseal_all(settings))
    assert settings.sealing_key_id is not None
    for line in describe(report, settings.sealing_key_id):
        print(line)
    return 0 if report.complete else 1


def _add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Command | None,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if run is not None:
        parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradebridge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="`tradebridge COMMAND --help` explains a command and its options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_command(
        commands,
        "dev",
        _dev,
        "run everything on this machine",
        "Embedded Postgres (unless DATABASE_URL is set), migrations, the paper exchange,\n"
        "demo data (client `demo` with a fresh token, a paper credential, two bots), the web\n"
        "and the worker as separate processes, then one demo order through the HTTP API.\n"
        "Prints a banner with the token, the docs URL, a psql line, the worker's metrics\n"
        "URL and where the admin token is (.tradebridge/dev.env). Ctrl-C stops it all.",
    ).add_argument(
        "--reset",
        action="store_true",
        help="first drop the dev database and the dev secrets (.tradebridge/dev.env)",
    )
    _add_command(
        commands,
        "migrate",
        _migrate,
        "apply procrastinate's schema and ours",
        "Applies procrastinate's schema, then sql/migrations/*.sql in order. Safe to run\n"
        "twice and from two processes at once (an advisory lock). Needs DATABASE_URL in\n"
        "production; the Procfile's release step runs it.",
    )
    web = _add_command(
        commands,
        "web",
        _web,
        "run the HTTP API",
        "The Litestar API on uvicorn: writes intents and their jobs, never calls a venue.\n"
        "Refuses to start while a private sealing key is set. OpenAPI at /schema.",
    )
    web.add_argument("--host", default=None, help="bind address (default: TRADEBRIDGE_WEB_HOST)")
    web.add_argument("--port", type=int, default=None, help="port (default: PORT, 8000)")
    _add_command(
        commands,
        "worker",
        _worker,
        "run the job worker",
        "The procrastinate worker: places, cancels and reconciles orders, ticks bots,\n"
        "refreshes balances, re-queues stalled jobs. Holds the private sealing key. Serves\n"
        "Prometheus metrics on TRADEBRIDGE_WORKER_METRICS_PORT (9100; 0 disables).",
    )
    _add_command(
        commands,
        "paper-exchange",
        None,
        "run the local paper exchange (Binance Spot dialect)",
        "`tradebridge paper-exchange --help` lists its own options (--port, --seed, ...).",
    )  # main() hands its arguments to paper_exchange.cli, which has its own parser.
    create = _add_command(
        commands,
        "create-client",
        _create_client,
        "create a client and print its API token once",
        "Creates a client and its first API token. The token is printed once; only its\n"
        "SHA-256 is stored. The HTTP admin API (POST /v1/admin/clients) does the same.",
    )
    create.add_argument("name", help="client name: lowercase letters, digits, '-' or '_'")
    create.add_argument("--label", default="initial", help="label of the first token")
    _add_command(
        commands,
        "keygen",
        _keygen,
        "print a new sealing key pair",
        "Prints a new HPKE X25519 key pair as environment lines: the key id and public key\n"
        "for web and worker, the private key for the worker alone. Touches nothing.",
    )
    _add_command(
        commands,
        "reseal",
        _reseal,
        "re-seal every credential and egress route to the current sealing key",
        "Key rotation: every credential (and egress route proxy URL) sealed under another\n"
        "key id is opened with that\n"
        "key (the current one or TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS) and sealed\n"
        "again to TRADEBRIDGE_SEALING_PUBLIC_KEY under TRADEBRIDGE_SEALING_KEY_ID.\n"
        "Idempotent: a second run re-seals what is left. Prints counts; exits 1 while a\n"
        "row is left that no key held here opens.",
    )
    psql = _add_command(
        commands,
        "psql",
        _psql,
        "open psql on tradebridge's database",
        "Runs psql (of the server's major version) on DATABASE_URL, or on the embedded\n"
        "Postgres in .pgdata/. The embedded wheel ships its own psql; otherwise the psql\n"
        "on PATH is used when its major version matches, else this says what to install.\n"
        "Try: SELECT * FROM ops.queue_overview;",
    )
    psql.add_argument(
        "--print",
        action="store_true",
        help="print the command line instead of running it (the embedded server stays up"
        " only while another tradebridge process, such as `tradebridge dev`, uses it)",
    )
    psql.add_argument("psql_args", nargs="*", help="passed to psql (after --)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["paper-exchange"]:
        # Its own parser takes every argument (argparse.REMAINDER drops leading --options).
        from paper_exchange.cli import main as paper_main

        return paper_main(argv[1:], prog="tradebridge paper-exchange")
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
