"""Command line: ``python -m bot scan|serve|worker|deliveries|sync``.

Each subcommand lives in its own module; this only parses arguments and dispatches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="list the action items in notes files (offline)")
    scan.add_argument("--config", help="settings file (the format of .github/meeting-todo-bot.yml)")
    scan.add_argument("--json", action="store_true", help="JSON Lines, one object per item")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="notes files or folders")

    sub.add_parser("serve", help="run the webhook server (listens on $PORT, default 8000)")

    sub.add_parser("worker", help="run queued deliveries (beside `serve`, on the same queue)")

    deliveries = sub.add_parser(
        "deliveries", help="the queue's counters and the deliveries that failed every attempt"
    )
    deliveries_sub = deliveries.add_subparsers(dest="action")
    retry = deliveries_sub.add_parser("retry", help="run dead deliveries again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("delivery_id", nargs="?", metavar="ID", help="one delivery's id")
    which.add_argument("--all", action="store_true", help="every dead delivery")

    sync = sub.add_parser("sync", help="reconcile a repository's issues with all its notes")
    sync.add_argument("repo", metavar="OWNER/REPO")
    sync.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors; keep that contract
        return int(exc.code or 0)
    if args.command == "scan":
        from bot.cli.scan import run_scan

        return run_scan(args.paths, config=args.config, as_json=args.json)
    if args.command == "serve":
        from bot.web.server import run_server

        return run_server()
    if args.command == "worker":
        from bot.web.worker import run_worker

        return run_worker()
    if args.command == "deliveries":
        from bot.cli.deliveries import run_deliveries

        retry_id = None if getattr(args, "all", False) else getattr(args, "delivery_id", None)
        return run_deliveries(retry=args.action == "retry", delivery_id=retry_id)
    if args.command == "sync":
        from bot.cli.sync import run_sync

        return run_sync(args.repo, dry_run=args.dry_run)
    parser.error(f"unknown command {args.command}")  # pragma: no cover
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
