"""`payrec` command line: serve | up | worker | db upgrade | keys create | users create |
import FILE | import bank-statement | extract | demo."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from payrec import __version__
from payrec.command_error import CliError


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from payrec.logs import configure_logging, log_config
    from payrec.server.app import create_app
    from payrec.server.http_protocol import http_protocol
    from payrec.startup import migrate, settings_from_args

    settings = settings_from_args(args)
    configure_logging(settings.log_level)
    _check_secret_key(settings)
    if not args.no_migrate:
        migrate(settings.database_url)
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": log_config(settings.log_level),  # uvicorn's lines redacted like ours
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "http": http_protocol(),
    }
    if args.workers > 1:
        # Each process builds its own app from the environment: carry the flags over.
        os.environ["PAYREC_DATABASE_URL"] = settings.database_url
        os.environ["PAYREC_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run("payrec.server.app:create_app", factory=True, workers=args.workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)
    return 0


def _check_secret_key(settings: Any) -> None:
    """Refuse to serve without the master key that seals the JWT signing key."""
    from payrec.server.auth.secretbox import SecretKeyError, secret_box

    try:
        secret_box(settings)
    except SecretKeyError as exc:
        raise CliError(str(exc)) from exc


def cmd_db(args: argparse.Namespace) -> int:
    from payrec.startup import migrate, redact_url, settings_from_args

    settings = settings_from_args(args)
    if args.action == "upgrade":
        migrate(settings.database_url)
        print(
            f"database at {redact_url(settings.database_url)} is at the latest revision",
            file=sys.stderr,
        )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from payrec.server.actor import Actor
    from payrec.server.auth.service import create_client
    from payrec.server.db import Database
    from payrec.startup import migrate, settings_from_args

    settings = settings_from_args(args)
    migrate(settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    roles = [r.strip().upper() for r in args.role.split(",") if r.strip()]
    try:
        with db.write() as session:
            _client, creds = create_client(
                session,
                name=args.name,
                roles=roles,
                actor=Actor(name="cli", service_name="payrec-cli"),
            )
    except Exception as exc:
        from payrec.server.errors import DomainError

        if isinstance(exc, DomainError):
            raise CliError(exc.detail) from exc
        raise
    finally:
        db.dispose()
    print(creds.api_key)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """`payrec import bank-statement FILE`: match and record a camt.053/054 or CSV statement;
    prints the summary as JSON (matched, unmatched, duplicates)."""
    import json
    from pathlib import Path

    from payrec.bankfiles import MAX_STATEMENT_BYTES, BankFileError, read
    from payrec.server.actor import Actor
    from payrec.server.bank_statements import service
    from payrec.server.db import Database
    from payrec.server.errors import DomainError
    from payrec.startup import migrate, settings_from_args

    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_STATEMENT_BYTES:
            raise CliError(f"{path}: statement files may be at most {MAX_STATEMENT_BYTES} bytes")
        entries = read(path.read_bytes(), path.name)
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from exc
    except BankFileError as exc:
        raise CliError(f"{path}: {exc.reason}") from exc
    settings = settings_from_args(args)
    migrate(settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    try:
        with db.write() as session:
            summary = service.import_entries(
                session, entries, Actor(name="cli", service_name="payrec-cli"), source=path.name
            )
            body = summary.model_dump(mode="json", by_alias=True, exclude={"results"})
    except DomainError as exc:
        raise CliError(exc.detail) from exc
    finally:
        db.dispose()
    print(json.dumps(body))
    return 0


def cmd_import_book(args: argparse.Namespace) -> int:
    """`payrec import FILE [--dry-run] [--mapping FILE]`: customers and open invoices from a
    CSV or XLSX, with a progress bar on stderr and the summary as JSON on stdout."""
    import json
    from pathlib import Path

    from payrec.server.actor import Actor
    from payrec.server.db import Database
    from payrec.server.errors import DomainError
    from payrec.server.imports import service
    from payrec.startup import migrate, settings_from_args

    path = Path(args.file)
    try:
        content = path.read_bytes()
        raw_mapping = Path(args.mapping).read_bytes() if args.mapping else None
    except OSError as exc:
        raise CliError(f"{exc.filename}: {exc.strerror or exc}") from exc
    settings = settings_from_args(args)
    migrate(settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    actor = Actor(name="cli", service_name="payrec-cli")
    try:
        mapping = service.parse_mapping(raw_mapping)
        with db.write() as session:
            job = service.create(session, content, path.name, mapping, actor, dry_run=args.dry_run)
            import_id, described = job.id, job.file_format
        print(f"{path.name}: {described}", file=sys.stderr)
        service.run(db, import_id, actor, progress=_progress_bar)
        print(file=sys.stderr)
        with db.read() as session:
            body = service.summary(service.get(session, import_id))
    except DomainError as exc:
        raise CliError(exc.detail) from exc
    finally:
        db.dispose()
    counts = body["counts"]
    for error in body["errors"][:50]:
        print(f"line {error['line']}: {error['message']}", file=sys.stderr)
    print(
        f"{'dry run: ' if args.dry_run else ''}{counts['created']} created, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed",
        file=sys.stderr,
    )
    print(json.dumps(body))
    return 1 if body["status"] == "FAILED" else 0


def _progress_bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r[{bar}] {done}/{total} rows", end="", file=sys.stderr, flush=True)


def cmd_users(args: argparse.Namespace) -> int:
    """`payrec users create`: the password from stdin, or a one-time one printed."""
    from payrec.server.actor import Actor
    from payrec.server.db import Database
    from payrec.server.errors import DomainError
    from payrec.server.users import service as users
    from payrec.server.users.passwords import generate_password
    from payrec.startup import migrate, settings_from_args

    settings = settings_from_args(args)
    migrate(settings.database_url)
    generated = None
    if sys.stdin is None or sys.stdin.isatty():
        generated = generate_password()
        password = generated
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on stdin (give none at a terminal for a one-time one)")
    db = Database(settings.database_url, pool_size=1)
    try:
        with db.write() as session:
            user = users.create(
                session,
                email=args.email,
                role=args.role.strip().upper(),
                name=args.name,
                language=args.language,
                time_zone=args.time_zone,
                password=password,
                actor=Actor(name="cli", service_name="payrec-cli"),
                one_time=generated is not None,
            )
            user_id, email = user.id, user.email
    except DomainError as exc:
        raise CliError(exc.detail) from exc
    finally:
        db.dispose()
    print(f"created user {email} ({user_id})")
    if generated is not None:
        print(f"one-time password: {generated}  (to be changed at the first sign-in)")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from payrec.automation.runner import main_worker

    result: int = main_worker(args)
    return result


def cmd_up(args: argparse.Namespace) -> int:
    from payrec.up import main_up

    result: int = main_up(args)
    return result


def cmd_extract(args: argparse.Namespace) -> int:
    from payrec.extraction.cli import main_extract

    result: int = main_extract(list(args.rest))
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payrec", description="payrec: payment recovery")
    parser.add_argument("--version", action="version", version=f"payrec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database-url", help="SQLAlchemy URL (env PAYREC_DATABASE_URL)")
        p.add_argument("--data-dir", help="documents, outbox (env PAYREC_DATA_DIR)")

    def command(
        parent: Any, name: str, help: str, func: Any, *, database: bool = True
    ) -> argparse.ArgumentParser:
        """A (sub)command running ``func``; ``database``: it takes --database-url/--data-dir."""
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help)
        if database:
            common(parser)
        parser.set_defaults(func=func)
        return parser

    def group(name: str, help: str, dest: str) -> Any:
        """A command made of subcommands (``payrec keys create``); they go in ``dest``."""
        return sub.add_parser(name, help=help).add_subparsers(dest=dest, required=True)

    serve = command(sub, "serve", "run the backend (HTTP API)", cmd_serve)
    serve.add_argument("--host", help="listen address (env PAYREC_HOST)")
    serve.add_argument("--port", type=int, help="listen port (env PAYREC_PORT)")
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema first")
    serve.add_argument(
        "--workers", type=int, default=1, help="backend processes sharing the port (default 1)"
    )

    up = command(sub, "up", "backend + workers in one process, embedded SQLite", cmd_up)
    up.add_argument("--host")
    up.add_argument("--port", type=int)
    up.add_argument("--demo", action="store_true", help="load a sample book first")
    up.add_argument("--no-demo", action="store_true", help="never load the sample book")
    up.add_argument("--poll-interval", type=float, default=1.0)

    worker = command(
        sub, "worker", "run automation services against a backend", cmd_worker, database=False
    )
    worker.add_argument(
        "--services",
        default="scheduler,reminders,notifications,extraction,webhooks",
        help="comma-separated: scheduler,reminders,notifications,extraction,webhooks",
    )
    worker.add_argument("--concurrency", type=int, default=4)
    worker.add_argument("--poll-interval", type=float, default=2.0)
    worker.add_argument("--worker-id", default=None)
    worker.add_argument(
        "--scheduler-interval",
        type=float,
        default=30.0,
        help="seconds between two scheduler passes over the open book",
    )
    worker.add_argument("--data-dir", help="outbox location when no SMTP is set")

    db = command(sub, "db", "database schema", cmd_db)
    db.add_argument("action", choices=["upgrade"])

    keys_sub = group("keys", "service credentials", "keys_action")
    create = command(keys_sub, "create", "create a key; prints it alone on stdout", cmd_keys)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, help="AUTOMATION_SERVICE, ADMIN or AGENT")

    users_sub = group("users", "people who sign in to the app", "users_action")
    user_create = command(
        users_sub,
        "create",
        "create a user; password from stdin, or a one-time one printed",
        cmd_users,
    )
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--role", required=True, help="ADMIN or AGENT")
    user_create.add_argument("--name", default=None)
    user_create.add_argument("--language", default="en", help="en, de, fr or es")
    user_create.add_argument(
        "--time-zone", default=None, help="IANA name, e.g. Europe/Berlin (default: UTC)"
    )

    imports_sub = group("import", "read files into payrec", "import_kind")
    statement = command(
        imports_sub,
        "bank-statement",
        "camt.053 / camt.054 XML or CSV: match credits to cases",
        cmd_import,
    )
    statement.add_argument("file")
    book = imports_sub.add_parser(
        "FILE", help="customers and open invoices from a CSV or XLSX: `payrec import FILE`"
    )
    _book_arguments(book, common)

    extract = command(
        sub, "extract", "extract invoice fields from PDFs and images", cmd_extract, database=False
    )
    extract.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _book_arguments(parser: argparse.ArgumentParser, common: Any) -> None:
    common(parser)
    parser.add_argument("file", help="CSV (any encoding or delimiter a spreadsheet writes), XLSX")
    parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    parser.add_argument("--mapping", help='JSON: {"columns": {header: column}, "decimal": ","}')
    parser.set_defaults(func=cmd_import_book)


def _book_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payrec import", description="import customers and open invoices"
    )

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database-url", help="SQLAlchemy URL (env PAYREC_DATABASE_URL)")
        p.add_argument("--data-dir", help="documents, outbox (env PAYREC_DATA_DIR)")

    _book_arguments(parser, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["import"] and _is_book_import(arguments[1:]):
        return _run(_book_parser().parse_args(arguments[1:]))
    if arguments[:1] == ["extract"]:  # its own options (--json …) belong to the extractor
        from payrec.extraction.cli import main_extract

        return main_extract(arguments[1:])
    parser = build_parser()
    return _run(parser.parse_args(arguments))


def _is_book_import(rest: list[str]) -> bool:
    """`payrec import FILE …` (not a subcommand such as `bank-statement`, nor --help)."""
    if "-h" in rest or "--help" in rest:
        return False
    words: list[str] = []
    skip = False
    for word in rest:
        if skip:
            skip = False
        elif word in ("--database-url", "--data-dir", "--mapping"):
            skip = True
        elif not word.startswith("-"):
            words.append(word)
    return bool(words) and words[0] not in ("bank-statement", "FILE")


def _run(args: argparse.Namespace) -> int:
    try:
        result: int = args.func(args)
        return result
    except CliError as exc:
        print(f"payrec: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig()
    sys.exit(main())
