"""The webhook server: ``POST /webhook`` and ``GET /health`` (``python -m bot serve``).

A delivery is verified (``X-Hub-Signature-256``, through gidgethub) and checked at the edge
(:mod:`bot.web.payloads`), stored in the durable queue (:mod:`bot.queue`), and only then
answered 202: what GitHub was told is accepted survives a crash. The server never runs a
delivery: worker processes do (:mod:`bot.web.worker`). With the embedded default (a SQLite
queue) ``serve`` starts one worker process beside itself; with Redis, ``python -m bot worker``
processes run apart. SIGTERM or SIGINT: new deliveries get 503, the worker is stopped (it
hands back what it had not finished), and the server exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure
from gidgethub.routing import Router
from gidgethub.sansio import Event, validate_event

from bot import __version__
from bot.config import Config, ConfigError
from bot.context import delivery_log
from bot.log_format import LOG_FORMATS, formatter
from bot.queue import Admission, Delivery, DeliveryQueue, QueueStats, open_queue
from bot.web.delivery import name, received
from bot.web.dispatch import APP_EVENTS, handles
from bot.web.payloads import SCHEMAS, action_problem, problem

log = logging.getLogger(__name__)

#: GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.
MAX_BODY_BYTES = 25 * 1024 * 1024
#: How long to read and discard the rest of a refused body before closing; aiohttp's
#: default of 10 s would let one oversized request hold up a shutdown that long.
LINGER_SECONDS = 2.0
#: Heroku sends SIGKILL 30 s after SIGTERM: the worker's grace must end before.
STOP_SECONDS = 25.0

QUEUE_KEY: web.AppKey[DeliveryQueue] = web.AppKey("queue")
CONFIG_KEY: web.AppKey[Config] = web.AppKey("config", Config)
ROUTER_KEY: web.AppKey[Router] = web.AppKey("router", Router)
STARTED_KEY: web.AppKey[float] = web.AppKey("started", float)
ACCEPTING_KEY: web.AppKey[list[bool]] = web.AppKey("accepting")


class WebhookRejected(Exception):
    """A delivery that is not a valid, signed GitHub webhook; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _is_plain_json(content_type: str | None) -> bool:
    """``application/json`` in UTF-8: the content type GitHub sends unless told otherwise."""
    if content_type is None:
        return False
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return False
    charset = params.strip().lower().removeprefix("charset=").strip('"')
    return charset in ("", "utf-8", "utf8")


def parse_delivery(headers: Mapping[str, str], body: bytes, secret: str) -> Event:
    """Verify and decode a delivery; raise :class:`WebhookRejected` with the status to answer.

    The signature is checked first, so an unsigned request learns nothing else.
    ``headers`` must look names up case-insensitively (aiohttp's do).
    """
    try:
        # SHA-1 (X-Hub-Signature) is GitHub's legacy signature: gidgethub would fall back to
        # it, so a delivery without the SHA-256 one is refused before gidgethub sees it.
        if "x-hub-signature-256" not in headers:
            raise ValidationFailure("X-Hub-Signature-256 is missing")
        if _is_plain_json(headers.get("content-type")):
            event = _parse_json_delivery(headers, body, secret)
        else:
            event = Event.from_http(headers, body, secret=secret)
    except ValidationFailure as exc:
        raise WebhookRejected(401, f"signature: {exc}") from exc
    except BadRequest as exc:
        # gidgethub reports an undecodable body and a wrong content type alike.
        if isinstance(exc.__cause__, UnicodeDecodeError | json.JSONDecodeError):
            raise WebhookRejected(400, "body is not JSON") from exc
        raise WebhookRejected(400, "content-type must be application/json") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(400, "body is not JSON") from exc
    except KeyError as exc:
        raise WebhookRejected(400, f"missing header {exc.args[0]}") from exc
    if not isinstance(event.data, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    if not event.event or not event.delivery_id:
        raise WebhookRejected(400, "empty X-GitHub-Event or X-GitHub-Delivery")
    return event


def _parse_json_delivery(headers: Mapping[str, str], body: bytes, secret: str) -> Event:
    """What ``Event.from_http`` does for a JSON body, with gidgethub's own signature check,
    but parsed by orjson: the standard library's parser was half of the server's time per
    delivery (a 25 KB push), and the answer waits for it."""
    signature = headers["x-hub-signature-256"]
    validate_event(body, signature=signature, secret=secret)
    data = orjson.loads(body) if body else None
    return Event(data, event=headers["x-github-event"], delivery_id=headers["x-github-delivery"])


def _answer(status: int, state: str, **fields: Any) -> web.Response:
    return web.json_response({"status": state, **fields}, status=status)


async def receive_webhook(request: web.Request) -> web.Response:
    """``POST /webhook``: verify, acknowledge, and queue the work if a feature handles it."""
    app = request.app
    queue = app[QUEUE_KEY]
    if not app[ACCEPTING_KEY][0]:
        return _answer(503, "shutting down")
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        log.warning("rejected %d-byte body (over %d)", length, MAX_BODY_BYTES)
        return _answer(413, "too large", limit=MAX_BODY_BYTES)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        log.warning("rejected a chunked body over %d bytes", MAX_BODY_BYTES)
        return _answer(413, "too large", limit=MAX_BODY_BYTES)
    secret = app[CONFIG_KEY].webhook_secret or ""
    try:
        event = parse_delivery(request.headers, body, secret)
    except WebhookRejected as exc:
        log.warning(
            "rejected delivery=%s from %s: %s",
            request.headers.get("X-GitHub-Delivery", "-"),
            request.remote,
            exc.reason,
        )
        return _answer(exc.status, "rejected", reason=exc.reason)

    dlog = delivery_log(event.delivery_id)
    if event.event == "ping":
        dlog.info("ping (hook %s): %s", request.headers.get("X-GitHub-Hook-ID", "?"), _zen(event))
        return _answer(200, "pong")
    delivery = received(event.delivery_id, event.event, event.data)
    refused = _refusal(event, delivery, app[CONFIG_KEY], app[ROUTER_KEY])
    if refused is not None:
        status, level, reason = refused
        if status == 400:
            log.warning("rejected delivery=%s %s: %s", event.delivery_id, event.event, reason)
            return _answer(400, "rejected", reason=reason)
        dlog.log(level, "%s: %s, ignored", event.event, reason)
        return _answer(200, "ignored")
    admission = await queue.submit(delivery)
    if admission is Admission.ACCEPTED:
        dlog.info("%s for %s accepted", name(delivery), delivery.key)
        return _answer(202, "accepted")
    if admission is Admission.DUPLICATE:
        dlog.info("%s duplicate delivery ignored", name(delivery))
        return _answer(200, "duplicate")
    dlog.warning("%s refused: queue %s", name(delivery), admission.value)
    return _answer(503, "busy" if admission is Admission.FULL else "shutting down")


def _refusal(
    event: Event, delivery: Delivery, config: Config, router: Router
) -> tuple[int, int, str] | None:
    """Why a verified delivery is not queued: (400, log level, the malformed field) or (200,
    log level, why it is ignored); None to queue it. Decided from the payload alone, so that
    neither costs a token."""
    # Routing looks the action up in a table: an unhashable one must not reach it.
    bad_action = action_problem(event.data)
    if bad_action is not None:
        return 400, logging.WARNING, bad_action
    # Only GitHub's events: the bot's own (a catch-up) are made in-process, never received.
    if event.event not in SCHEMAS or not router.fetch(event):
        return 200, logging.INFO, "no feature handles it"
    malformed = problem(event.event, event.data)
    if malformed is not None:
        return 400, logging.WARNING, malformed
    no_installation = delivery.installation is None and event.event not in APP_EVENTS
    if no_installation and config.uses_app:
        # A repository's or organisation's own webhook sharing the secret: an App cannot act
        # without an installation, and refusing it would only be redelivered.
        return 200, logging.WARNING, "no installation (not an App delivery)"
    if not handles(router, delivery):
        return 200, logging.INFO, "nothing for the bot to do"
    return None


def _zen(event: Event) -> str:
    return str(event.data.get("zen", ""))


async def health(request: web.Request) -> web.Response:
    """``GET /health``: liveness and the shared queue's counters (503 while stopping)."""
    stats = await request.app[QUEUE_KEY].stats()
    accepting = request.app[ACCEPTING_KEY][0]
    return web.json_response(
        {
            "status": "ok" if accepting else "stopping",
            **queue_counters(stats),
            "uptime": round(time.monotonic() - request.app[STARTED_KEY], 3),
            "version": __version__,
        },
        status=200 if accepting else 503,
    )


def queue_counters(stats: QueueStats) -> dict[str, Any]:
    """The queue's counters as ``/health`` and ``python -m bot deliveries`` show them."""
    return {
        "queued": stats.queued,
        "running": stats.running,
        "retrying": stats.retrying,
        "dead": stats.dead,
        "processed": stats.processed,
        "failed": stats.failed,
        "duplicates": stats.duplicates,
        "oldest_age": None if stats.oldest_age is None else round(stats.oldest_age, 3),
    }


def build_app(config: Config, router: Router, queue: DeliveryQueue) -> web.Application:
    """The aiohttp application: it verifies deliveries and stores them in ``queue``."""
    # A little over the cap so that a body of exactly MAX_BODY_BYTES is still read.
    app = web.Application(client_max_size=MAX_BODY_BYTES + 1)
    app[CONFIG_KEY] = config
    app[ROUTER_KEY] = router
    app[QUEUE_KEY] = queue
    app[STARTED_KEY] = time.monotonic()
    app[ACCEPTING_KEY] = [True]
    app.router.add_post("/webhook", receive_webhook)
    app.router.add_get("/health", health)
    return app


def load_config() -> Config:
    """The server's configuration; raise :class:`ConfigError` when it cannot serve."""
    config = Config.from_env()
    if not config.webhook_secret:
        raise ConfigError("GITHUB_WEBHOOK_SECRET is not set; the server will not run without it")
    config.require_credentials()
    if not isinstance(logging.getLevelName(config.log_level), int):
        raise ConfigError(f"LOG_LEVEL={config.log_level} is not DEBUG, INFO, WARNING or ERROR")
    if config.log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT={config.log_format} is not {' or '.join(LOG_FORMATS)}")
    return config


def run_server() -> int:
    """``python -m bot serve``: serve until SIGTERM/SIGINT; returns the exit status."""
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"meeting-todo-bot: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, config.log_format)
    return asyncio.run(serve(config))


def configure_logging(level: str, log_format: str = "text") -> None:
    """One line per record on stderr (plain text, or JSON with ``log_format="json"``), without
    the per-record costs the format does not use."""
    # The logging HOWTO's "Optimization" switches: no caller frame walk, no thread or
    # process lookups for every record (a few of these per delivery add up).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])


async def serve(config: Config, *, host: str = "0.0.0.0") -> int:
    """Run the server on ``config.port`` until a stop signal, then stop and exit."""
    from bot.features import router

    queue = open_queue(config.queue_url, config.queue_policy())
    app = build_app(config, router, queue)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, lingering_time=LINGER_SECONDS
    )
    await runner.setup()
    worker: asyncio.subprocess.Process | None = None
    try:
        try:
            await web.TCPSite(runner, host, config.port).start()
        except OSError as exc:
            log.error("cannot listen on %s:%d: %s", host, config.port, exc.strerror or exc)
            return 1
        if not config.shared_queue:
            worker = await start_embedded_worker()
        # Move everything built so far (modules, app, session) out of the collector's sight:
        # a full collection over it took ~15 ms, the slowest answers' whole latency budget.
        gc.collect()
        gc.freeze()
        log.info(
            "listening on %s:%d (meeting-todo-bot %s, queue %s)",
            host,
            config.port,
            __version__,
            "shared: run `python -m bot worker` processes" if config.shared_queue else "embedded",
        )
        await stop_signal(worker)
        # Still listening while stopping, so that new deliveries get a 503, not a refusal.
        app[ACCEPTING_KEY][0] = False
        if worker is not None:
            await stop_worker(worker)
    finally:
        await runner.cleanup()
        await queue.close()
    log.info("stopped")
    return 0


async def start_embedded_worker() -> asyncio.subprocess.Process:
    """``python -m bot worker`` beside this server, on the same queue file.

    A process, not a task: reading notes and planning must never hold the event loop that
    answers GitHub. It stops when told, and by itself if this server dies (see
    ``MEETING_TODO_BOT_PARENT``).
    """
    env = {**os.environ, "MEETING_TODO_BOT_PARENT": str(os.getpid())}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "worker", env=env)


async def stop_worker(worker: asyncio.subprocess.Process) -> None:
    """SIGTERM the worker; it hands back what it has not finished within its grace."""
    if worker.returncode is None:
        worker.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(worker.wait(), STOP_SECONDS)
    except TimeoutError:
        log.warning("the worker did not stop in %.0f s; killing it", STOP_SECONDS)
        worker.kill()
        await worker.wait()


async def stop_signal(worker: asyncio.subprocess.Process | None = None) -> None:
    """Return once SIGTERM or SIGINT arrives (or the embedded worker exits: then the server
    must not go on accepting work nobody does)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    waits: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
    if worker is not None:
        waits.append(asyncio.create_task(worker.wait()))
    _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if worker is not None and worker.returncode is not None and not stop.is_set():
        log.error("the worker process exited (%s); stopping", worker.returncode)
