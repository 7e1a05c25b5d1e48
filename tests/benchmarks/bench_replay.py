"""What replaying team-compass's notes history costs (a script, not a test).

Run: ``.venv/bin/python tests/benchmarks/bench_replay.py [--no-redeliver] [--json]``

The same replay as ``tests/test_replay.py``: 152 pushes into a fake GitHub repository, each
delivered as a signed ``push`` webhook to the real server (``python -m bot serve``, app mode,
no pacing), then delivered again with a new delivery id. It prints the issues filed, the
writes, the reads per push (mean and max) and the share of them answered 304 Not Modified,
and the wall time. Needs ../shared/corpus/replay/team-compass-pushes.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]

from bot_process import start_bot  # noqa: E402
from fake_github import FakeGitHub  # noqa: E402
from test_replay import BOT_ENV, REPLAY, Replay, load_pushes  # noqa: E402


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "mean": statistics.fmean(ordered),
        "p50": ordered[len(ordered) // 2],
        "max": ordered[-1],
    }


async def bench(redeliver: bool) -> dict[str, Any]:
    """Run the replay once; the figures as a dict."""
    pushes = load_pushes()
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as logs:
        bot = await start_bot(
            Path(logs),
            api_url=fake.url,
            token=None,
            app_id=str(fake.app_id),
            private_key=fake.private_key_pem,
            env=BOT_ENV,
        )
        try:
            replay = Replay(fake, bot, pushes)
            began = time.perf_counter()
            records = await replay.run(redeliver=redeliver)
            wall = time.perf_counter() - began
            failed = (await bot.health()).body["failed"]
        finally:
            await bot.stop()
        repo = replay.repo
        reads = [r.reads for r in records]
        writes = [len(r.writes) for r in records]
        not_modified = sum(r.not_modified for r in records)
        kinds: dict[str, int] = {}
        for record in records:
            for method, path, _ in record.writes:
                kind = f"{method} {re.sub(r'/[0-9a-f]{40}|/[0-9]+', '/…', path)}"
                kinds[kind] = kinds.get(kind, 0) + 1
        return {
            "pushes": len(records),
            "deliveries": len(records) * (2 if redeliver else 1),
            "failed_deliveries": failed,
            "issues_filed": sum(1 for i in repo.issues.values() if "pull_request" not in i),
            "issue_comments": sum(len(c) for c in repo.comments.values()),
            "commit_comments": len(repo.commit_comments),
            "writes": sum(writes),
            "writes_by_kind": dict(sorted(kinds.items())),
            "pushes_with_writes": sum(1 for w in writes if w),
            "writes_per_push": _spread([float(w) for w in writes]),
            "reads_per_push": _spread([float(r) for r in reads]),
            "reads": sum(reads),
            "requests_per_push": (sum(reads) + sum(writes)) / max(len(records), 1),
            "share_304": not_modified / max(sum(reads), 1),
            "redelivery_writes": sum(len(r.redelivery_writes) for r in records),
            "seconds_per_push": _spread([r.seconds for r in records]),
            "wall_seconds": wall,
            "search_calls": sum(1 for r in fake.requests if "/search/" in r.path),
        }


def report(figures: dict[str, Any]) -> str:
    """The figures for a person."""
    reads = figures["reads_per_push"]
    writes = figures["writes_per_push"]
    seconds = figures["seconds_per_push"]
    lines = [
        f"pushes replayed        {figures['pushes']} ({figures['deliveries']} deliveries, "
        f"{figures['failed_deliveries']} failed)",
        f"issues filed           {figures['issues_filed']}",
        f"issue comments         {figures['issue_comments']}",
        f"commit comments        {figures['commit_comments']}",
        f"writes                 {figures['writes']} in {figures['pushes_with_writes']} pushes "
        f"(per push mean {writes['mean']:.2f}, max {writes['max']:.0f})",
        "  by kind              "
        + ", ".join(f"{k}: {n}" for k, n in figures["writes_by_kind"].items()),
        f"writes on redelivery   {figures['redelivery_writes']}",
        f"reads per push         mean {reads['mean']:.2f}, p50 {reads['p50']:.0f}, "
        f"max {reads['max']:.0f} ({figures['reads']} in all)",
        f"304 share of reads     {figures['share_304']:.1%}",
        f"requests per push      {figures['requests_per_push']:.2f} (reads and writes)",
        f"search calls           {figures['search_calls']}",
        f"time per delivery      mean {seconds['mean'] * 1000:.0f} ms, "
        f"p50 {seconds['p50'] * 1000:.0f} ms, max {seconds['max'] * 1000:.0f} ms",
        f"wall time              {figures['wall_seconds']:.1f} s",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-redeliver", action="store_true", help="deliver each push once")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not REPLAY.is_file():
        print(f"the replay corpus is absent: {REPLAY}", file=sys.stderr)
        return 2
    figures = asyncio.run(bench(redeliver=not args.no_redeliver))
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
