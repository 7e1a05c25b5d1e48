"""Webhook answer latency and throughput of the real server (a script, not a test).

Run: ``.venv/bin/python tests/benchmarks/bench_webhooks.py [--count N] [--seconds S]``

It starts ``python -m bot serve`` as the Procfile does (token mode, the GitHub API pointed
at a loopback port nobody serves), then, from this process, sends signed ~25 KB ``push``
deliveries on loopback from 50 concurrent senders, in two phases:

- *saturation*: every sender posts again as soon as it is answered (closed loop): the
  most deliveries a second the server takes, and the latency at that load, where
  latency is dominated by waiting in line (Little's law: latency ~ senders / throughput);
- *paced*: the senders together offer a fixed rate (default 600/s, above the 500/s
  target), so the latency is the server's answer time at that load.

The pushes go to non-default branches, so the push handler returns at once (the measure is
the server: verification, parsing, queueing, dispatch and logging),
and no request can reach GitHub. Targets: p99 under 20 ms, over 500 deliveries/s.
``--baseline`` also measures a do-nothing aiohttp server the same way: what the machine
itself allows, to read the figures against (loopback on a shared VM varies a lot).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot_process import free_port, start_bot, webhook_headers

SENDERS = 50
Settle = Callable[[], Awaitable[None]]
TARGET_BYTES = 25 * 1024
DISTINCT_BODIES = 64
REPOSITORIES = 20


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def push_payload(n: int, target_bytes: int = TARGET_BYTES) -> dict[str, Any]:
    """A push to a feature branch in GitHub's shape, padded with commits to ~target_bytes."""
    repo_id = 900_000 + n % REPOSITORIES
    owner = {"login": "bench-org", "id": 4242, "type": "Organization"}
    repo = {
        "id": repo_id,
        "name": f"notes-{repo_id}",
        "full_name": f"bench-org/notes-{repo_id}",
        "private": False,
        "owner": owner,
        "html_url": f"https://github.com/bench-org/notes-{repo_id}",
        "default_branch": "main",
        "master_branch": "main",
    }
    payload: dict[str, Any] = {
        "ref": f"refs/heads/bench-{n}",
        "before": _sha("before", n),
        "after": _sha("after", n),
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/{repo['full_name']}/compare/{n}",
        "repository": repo,
        "pusher": {"name": "bench-user", "email": "bench@example.invalid"},
        "sender": {"login": "bench-user", "id": 77, "type": "User"},
        "installation": {"id": 31337, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzEzMzc="},
        "commits": [],
    }
    i = 0
    while len(json.dumps(payload)) < target_bytes:
        sha = _sha("commit", n, i)
        person = {"name": "Bench User", "email": "bench@example.invalid", "username": "bench"}
        payload["commits"].append(
            {
                "id": sha,
                "tree_id": _sha("tree", n, i),
                "distinct": True,
                "message": f"Meeting notes {i}: agenda, decisions and action items",
                "timestamp": "2024-05-02T17:03:00Z",
                "url": f"https://github.com/{repo['full_name']}/commit/{sha}",
                "author": person,
                "committer": person,
                "added": [f"meetings/2024/05-{i:02d}.md"],
                "removed": [],
                "modified": ["meetings/README.md", f"meetings/2024/04-{i:02d}.md"],
            }
        )
        i += 1
    payload["head_commit"] = payload["commits"][-1]
    return payload


@dataclass
class Body:
    raw: bytes
    signature_headers: dict[str, str]


def prepare_bodies(secret: str) -> list[Body]:
    """Distinct signed bodies; each send gets a fresh delivery id (not part of the signature)."""
    bodies = []
    for n in range(DISTINCT_BODIES):
        raw = json.dumps(push_payload(n)).encode()
        headers = webhook_headers("push", raw, "placeholder", secret)
        bodies.append(Body(raw, headers))
    return bodies


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    latencies_ms: list[float]
    statuses: Counter[int]
    seconds: float
    server_cpu: float = 0.0

    def summary(self) -> str:
        lat = sorted(self.latencies_ms)
        count = len(lat)
        p50 = lat[count // 2]
        p99 = lat[min(count - 1, int(count * 0.99))]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.name:<11} {count:>6} deliveries in {self.seconds:6.2f} s = "
            f"{count / self.seconds:7.0f}/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
            f"max {lat[-1]:6.1f} ms   server CPU {self.server_cpu / count * 1e6:4.0f} us/delivery"
            f"   ({statuses})"
        )


async def run_phase(
    name: str,
    url: str,
    bodies: list[Body],
    *,
    count: int,
    seconds: float,
    rate: float | None,
) -> Phase:
    """50 senders; closed loop when ``rate`` is None, else each offers rate/50 a second."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=SENDERS)
    started = time.perf_counter()
    deadline = started + seconds
    sent = 0

    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender(index: int) -> None:
            nonlocal sent
            rng = random.Random(index)
            next_at = time.perf_counter() + (rng.random() * SENDERS / rate if rate else 0.0)
            while True:
                if rate:
                    # Open loop: a schedule independent of the answers (Poisson arrivals).
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    next_at += rng.expovariate(rate / SENDERS)
                if sent >= count or time.perf_counter() >= deadline:
                    return
                sent += 1
                body = bodies[sent % len(bodies)]
                headers = dict(body.signature_headers)
                headers["X-GitHub-Delivery"] = str(uuid.uuid4())
                t0 = time.perf_counter()
                async with session.post(f"{url}/webhook", data=body.raw, headers=headers) as r:
                    await r.read()
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[r.status] += 1

        await asyncio.gather(*(sender(i) for i in range(SENDERS)))
    return Phase(name, latencies, statuses, time.perf_counter() - started)


#: The floor for comparison: an aiohttp server that reads each body and answers 202, nothing else.
BASELINE_SERVER = """
import sys
from aiohttp import web

async def answer(request):
    await request.read()
    return web.json_response({"status": "accepted"}, status=202)

app = web.Application(client_max_size=26 * 1024 * 1024)
app.router.add_post("/webhook", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


async def measure(
    url: str, pid: int, bodies: list[Body], args: argparse.Namespace, settle: Settle
) -> list[Phase]:
    """Warm up, then the saturation and paced phases, with the server's CPU time for each."""
    await run_phase("warm-up", url, bodies, count=500, seconds=10, rate=None)
    await settle()
    phases = []
    for name, rate in (("saturation", None), (f"paced {args.rate:.0f}/s", args.rate)):
        cpu_before = cpu_seconds(pid)
        phase = await run_phase(
            name, url, bodies, count=args.count, seconds=args.seconds, rate=rate
        )
        await settle()  # the background work counts too
        phase.server_cpu = cpu_seconds(pid) - cpu_before
        phases.append(phase)
    return phases


async def baseline(bodies: list[Body], args: argparse.Namespace) -> list[Phase]:
    """The same phases against :data:`BASELINE_SERVER`: what this machine's loopback allows."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"{url}/"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)

        async def nothing() -> None:
            pass

        return await measure(url, proc.pid, bodies, args, nothing)
    finally:
        proc.terminate()
        proc.wait(10)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="deliveries per phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per phase")
    parser.add_argument("--rate", type=float, default=600.0, help="offered rate, paced phase")
    parser.add_argument("--log-level", default="INFO", help="the server's LOG_LEVEL")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also measure a do-nothing aiohttp server, to see what the machine itself allows",
    )
    args = parser.parse_args()
    # The load generator's own collector pauses would count as server latency.
    gc.disable()

    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        bot = await start_bot(Path(tmp), log_level=args.log_level)
        try:
            bodies = prepare_bodies(bot.secret)
            size = statistics.fmean(len(b.raw) for b in bodies)
            print(
                f"{os.cpu_count()} CPUs; {size / 1024:.1f} KB signed push bodies to non-default "
                f"branches; {SENDERS} senders; latency = request sent to answer read"
            )

            async def idle() -> None:
                await bot.wait_idle(timeout=120)

            phases = await measure(bot.url, bot.proc.pid, bodies, args, idle)
            counters = (await bot.health()).body
        finally:
            status = await bot.stop()
    print("meeting-todo-bot (python -m bot serve):")
    for phase in phases:
        print("  " + phase.summary())
    print(
        f"  server: {counters['processed']} processed, {counters['failed']} failed, "
        f"{counters['duplicates']} duplicates; exit status {status}"
    )
    if args.baseline:
        print("baseline (aiohttp reading the body and answering 202, nothing else):")
        for phase in await baseline(bodies, args):
            print("  " + phase.summary())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
