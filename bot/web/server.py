"""The webhook server: ``POST /webhook`` and ``GET /health`` (``python -m bot serve``).

A delivery is verified (``X-Hub-Signature-256``, through gidgethub), answered at once, and
its work handed to a :class:`~bot.web.deliveries.DeliveryQueue`: one at a time per repository,
in order, with repeated delivery ids ignored. SIGTERM or SIGINT stops accepting, drains
the work for up to :data:`DRAIN_SECONDS`, cancels what is left and exits 0.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import signal
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure
from gidgethub.sansio import Event, validate_event

from bot import __version__
from bot.config import Config, ConfigError
from bot.context import delivery_log
from bot.engine.store import MemoryStore
from bot.github import GitHubFactory
from bot.log_format import LOG_FORMATS, formatter
from bot.web.deliveries import Admission, DeliveryQueue
from bot.web.deliveries import Delivery as QueuedDelivery
from bot.web.delivery import Delivery
from bot.web.dispatch import Services, handles, run_delivery

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

#: GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.
MAX_BODY_BYTES = 25 * 1024 * 1024
#: How long to read and discard the rest of a refused body before closing; aiohttp's
#: default of 10 s would let one oversized request hold up a shutdown that long.
LINGER_SECONDS = 2.0
#: Heroku sends SIGKILL 30 s after SIGTERM; leave time to close the session.
DRAIN_SECONDS = 25.0

QUEUE_KEY: web.AppKey[DeliveryQueue] = web.AppKey("queue", DeliveryQueue)
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)
STARTED_KEY: web.AppKey[float] = web.AppKey("started", float)


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
    signature = headers.get("x-hub-signature-256", headers.get("x-hub-signature"))
    if signature is None:
        raise ValidationFailure("signature is missing")
    validate_event(body, signature=signature, secret=secret)
    data = orjson.loads(body) if body else None
    return Event(data, event=headers["x-github-event"], delivery_id=headers["x-github-delivery"])


def _answer(status: int, state: str, **fields: Any) -> web.Response:
    return web.json_response({"status": state, **fields}, status=status)


async def receive_webhook(request: web.Request) -> web.Response:
    """``POST /webhook``: verify, acknowledge, and queue the work if a feature handles it."""
    app = request.app
    queue = app[QUEUE_KEY]
    if not queue.accepting:
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
    secret = app[SERVICES_KEY].config.webhook_secret or ""
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
    services = app[SERVICES_KEY]
    delivery = Delivery.received(event.delivery_id, event.event, event.data)
    if not handles(services.router, delivery):
        dlog.info("%s: no feature handles it", delivery.name)
        return _answer(200, "ignored")

    key = delivery.key
    admission = queue.submit(
        QueuedDelivery(
            delivery_id=delivery.id,
            event=delivery.name,
            key=key,
            run=functools.partial(run_delivery, delivery, services),
            log=dlog,
        )
    )
    if admission is Admission.ACCEPTED:
        dlog.info("%s for %s accepted (%d queued)", delivery.name, key, queue.stats().queued)
        return _answer(202, "accepted")
    if admission is Admission.DUPLICATE:
        dlog.info("%s duplicate delivery ignored", delivery.name)
        return _answer(200, "duplicate")
    dlog.warning("%s refused: queue %s", delivery.name, admission.value)
    return _answer(503, "busy" if admission is Admission.FULL else "shutting down")


def _zen(event: Event) -> str:
    return str(event.data.get("zen", ""))


async def health(request: web.Request) -> web.Response:
    """``GET /health``: liveness and the queue's counters (503 while draining)."""
    stats = request.app[QUEUE_KEY].stats()
    return web.json_response(
        {
            "status": "ok" if stats.accepting else "draining",
            "queued": stats.queued,
            "running": stats.running,
            "processed": stats.processed,
            "failed": stats.failed,
            "duplicates": stats.duplicates,
            "uptime": round(time.monotonic() - request.app[STARTED_KEY], 3),
            "version": __version__,
        },
        status=200 if stats.accepting else 503,
    )


def build_app(services: Services, queue: DeliveryQueue | None = None) -> web.Application:
    """The aiohttp application: it verifies deliveries and queues them; ``services`` run them."""
    # A little over the cap so that a body of exactly MAX_BODY_BYTES is still read.
    app = web.Application(client_max_size=MAX_BODY_BYTES + 1)
    app[SERVICES_KEY] = services
    app[QUEUE_KEY] = queue or DeliveryQueue()
    app[STARTED_KEY] = time.monotonic()
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
    """Run the server on ``config.port`` until a stop signal, then drain and exit."""
    from bot.features import router

    factory = GitHubFactory(config)  # it owns the process's one HTTP session
    queue = DeliveryQueue()
    app = build_app(Services(config, factory, MemoryStore(), router), queue)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, lingering_time=LINGER_SECONDS
    )
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, config.port).start()
        except OSError as exc:
            log.error("cannot listen on %s:%d: %s", host, config.port, exc.strerror or exc)
            return 1
        # Move everything built so far (modules, app, session) out of the collector's sight:
        # a full collection over it took ~15 ms, the slowest answers' whole latency budget.
        gc.collect()
        gc.freeze()
        log.info("listening on %s:%d (meeting-todo-bot %s)", host, config.port, __version__)
        await stop_signal()
        # Still listening while draining, so that new deliveries get a 503, not a refusal.
        dropped = await drain(queue)
    finally:
        await runner.cleanup()
        await factory.close()
    final = queue.stats()
    log.info(
        "stopped: %d processed, %d failed, %d dropped",
        final.processed,
        final.failed,
        len(dropped),
    )
    return 0


async def stop_signal() -> None:
    """Return once SIGTERM or SIGINT arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def drain(queue: DeliveryQueue) -> list[QueuedDelivery]:
    """Let the queued and running work finish for up to :data:`DRAIN_SECONDS`; log the rest."""
    stats = queue.stats()
    log.info(
        "stopping: draining %d queued and %d running deliveries for up to %.0f s",
        stats.queued,
        stats.running,
        DRAIN_SECONDS,
    )
    dropped = await queue.drain(DRAIN_SECONDS)
    for delivery in dropped:
        delivery.log.warning("%s dropped at shutdown (for %s)", delivery.event, delivery.key)
    return dropped
