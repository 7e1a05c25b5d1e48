"""Command line: ``python -m bot scan|serve|sync``.

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
    if args.command == "sync":
        from bot.cli.sync import run_sync

        return run_sync(args.repo, dry_run=args.dry_run)
    parser.error(f"unknown command {args.command}")  # pragma: no cover
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
